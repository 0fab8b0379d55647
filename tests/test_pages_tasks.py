"""The Train page for every task and for drawn data, driven through AppTest (one at.run() is one tick)."""

import re

import numpy as np

from micrograd.studio import drawn
from tests.test_dashboard import app, charts, messages, trainer, view
from ui.options import drawn_widgets


def blobs_drawing() -> drawn.Drawn:
    rng = np.random.default_rng(3)
    centres = np.repeat([[-2.0, -2.0], [2.0, -2.0], [0.0, 2.0]], 10, axis=0)
    xy = centres + rng.normal(0, 0.3, size=centres.shape)
    return drawn.points("classes", xy[:, 0].tolist(), xy[:, 1].tolist(), np.repeat([0, 1, 2], 10).tolist())


def test_a_link_to_a_multiclass_dataset_gets_its_task_loss_and_k_class_view():
    at = app(dataset="blobs")
    tr = trainer(at)
    assert tr.config.task == "multiclass" and tr.config.loss == "ce" and tr.dataset.n_outputs == 3
    assert tr.model.sizes[-1] == 3 and not messages(at, "warning")
    u = view(at)
    assert u["static"]["task"] == "multiclass" and u["frames"][-1]["grid"].dtype == np.uint8


def test_choosing_a_task_in_the_sidebar_switches_loss_and_outputs():
    at = app(dataset="spiral")
    assert trainer(at).config.task == "binary"
    at.selectbox(key="w_task").set_value("multiclass").run()
    assert not at.exception, at.exception
    tr = trainer(at)
    assert tr.config.task == "multiclass" and tr.config.loss == "ce" and tr.model.sizes[-1] == 3
    at.number_input(key="w_classes").set_value(5).run()
    assert trainer(at).model.sizes[-1] == 5 and len(view(at)["static"]["palette"]["classes"]) == 5
    assert at.selectbox(key="w_loss").options == ["softmax cross-entropy", "multi-class hinge (Weston-Watkins)"]


def test_the_network_size_caption_follows_a_task_change_at_once():
    """QA: after Task changed, the caption described the old outputs until the next run (2-16-16-1, 337)."""

    def size(at):
        return [c.value for c in at.sidebar.caption if c.value.startswith("Network ")]

    at = app(dataset="spiral")
    assert size(at) == ["Network 2-16-16-1: 337 parameters."]
    at.selectbox(key="w_task").set_value("multiclass").run()
    assert size(at) == ["Network 2-16-16-3: 371 parameters."]
    at.selectbox(key="w_task").set_value("binary").run()
    assert size(at) == ["Network 2-16-16-1: 337 parameters."]


def test_digits_show_the_confusion_matrix_and_the_gallery_when_paused():
    at = app(dataset="digits", layers="8", steps="3")
    at.button(key="btn_step").click().run()
    specs = charts(at)
    assert len(specs["confusion"]["data"][0]["x"]) == 10
    assert "misclassified" in specs["gallery"]["layout"]["title"]["text"]


def test_regression_shows_the_curve_view_r2_and_errors_in_the_targets_units():
    at = app(dataset="sine", steps="5", lr="0.03")
    tr = trainer(at)
    assert tr.config.task == "regression" and tr.config.loss == "mse"
    assert view(at)["static"]["mode"] == "curve"
    assert "MAE" in messages(at, "caption")
    said = messages(at, "caption")
    assert "squared distance from the (standardised) target" in said and "±1 label" not in said  # not a class's
    at.button(key="btn_start").click().run()
    for _ in range(20):
        if not at.session_state["running"]:
            break
        at.run()
    assert "R²" in messages(at, "success")


def test_a_drawing_becomes_the_data_and_travels_in_the_link():
    at = app()
    d = blobs_drawing()
    for k, v in drawn_widgets(d, "svm").items():  # what Draw mode's trigger callback (ui.uploads.apply_drawing) sets
        # AppTest checks a value against the widget's old options (two classes, binary losses): the sidebar fits
        # the task and the loss to the drawing by itself
        if k not in ("w_task", "w_loss"):
            at.session_state[k] = v
    at.run()
    assert not at.exception, at.exception
    tr = trainer(at)
    assert tr.dataset.name == "drawn" and tr.dataset.task == "multiclass" and tr.config.loss == "ce"
    assert np.array_equal(tr.dataset.X_train, d.xy) and tr.model.sizes[-1] == 3
    assert at.query_params["draw"] == [drawn.encode_url(d)] or at.query_params["draw"] == drawn.encode_url(d)
    assert view(at)["static"]["points"]["label"] == d.label.tolist()
    assert "Your drawing: 30 points" in messages(at, "caption") and not messages(at, "error")
    at.button(key="btn_step").click().run()  # the recorded run keeps the points, so it can be replayed
    recorder = at.session_state["recorder"]
    assert recorder.store.get_data_file(recorder.run_id) == ("drawn.csv", drawn.to_csv(d))
    # the link alone brings the drawing back in a new session
    again = app(**{k: v for k, v in at.query_params.items()})
    assert trainer(again).dataset.name == "drawn" and not messages(again, "warning")
    assert np.allclose(trainer(again).dataset.X_train, d.xy, atol=1e-3)


def test_use_preset_settings_sets_the_sidebar_to_the_datasets_preset_and_trains_it():
    from micrograd.studio import presets

    at = app(dataset="sine", steps="5")
    at.button(key="btn_preset").click().run()
    assert not at.exception, at.exception
    tr, want = trainer(at), presets.preset_config("sine", samples=trainer(at).config.samples)
    for name in ("task", "loss", "layers", "activation", "lr", "lr_end", "schedule", "steps", "batch_size", "momentum"):
        assert getattr(tr.config, name) == getattr(want, name), name
    assert "Preset for sine" in messages(at, "info")
    at.button(key="btn_step").click().run()  # the preset trains: a step, not a divergence
    assert trainer(at).step_count == 1 and trainer(at).status != "diverged"


def train_to_the_end(at, ticks: int = 40) -> None:
    at.button(key="btn_start").click().run()
    for _ in range(ticks):
        if not at.session_state["running"]:
            break
        at.run()
    assert not at.exception, at.exception


def test_choosing_a_regression_dataset_brings_rates_it_trains_at_and_says_so():
    at = app(steps="20", speed="50")  # moons: lr 1, end 0.1
    at.selectbox(key="w_dataset").set_value("sine").run()
    tr = trainer(at)
    assert tr.config.task == "regression" and (tr.config.lr, tr.config.lr_end) == (0.01, 0.001)
    assert "Regression: learning rate 1 → 0.01, end learning rate 0.1 → 0.001." in messages(at, "info")
    train_to_the_end(at)
    assert trainer(at).status == "finished" and trainer(at).history[-1]["train_r2"] > 0  # it diverged at step 3
    at.select_slider(key="w_lr").set_value(0.3).run()  # a rate set afterwards is the user's: kept
    assert trainer(at).config.lr == 0.3


def upload_csv(at, labels) -> None:
    rng = np.random.default_rng(0)
    rows = "\n".join(f"{a:.3f},{b:.3f},{c}" for (a, b), c in zip(rng.normal(size=(len(labels), 2)), labels))
    at.selectbox(key="w_dataset").set_value("csv").run()
    at.file_uploader(key="csv_upload_0").set_value(("mine.csv", f"u,v,y\n{rows}\n".encode(), "text/csv")).run()
    assert not at.exception, at.exception


def test_classes_after_a_regression_get_back_the_rates_regression_lowered():
    """QA: a classification CSV after a regression one kept lr 0.01 and barely trained."""
    at = app(steps="30")
    upload_csv(at, [f"{v:.3f}" for v in np.linspace(-2, 2, 60)])
    assert trainer(at).config.task == "regression" and trainer(at).config.lr == 0.01
    rows = b"".join(b"%d,%d,%s\n" % (i, -i, b"ab"[i % 2 : i % 2 + 1]) for i in range(40))
    uploader = at.file_uploader(key=f"csv_upload_{at.session_state['uploads']}")  # the next file, as a person picks
    uploader.set_value(("classes.csv", b"u,v,y\n" + rows, "text/csv")).run()
    tr = trainer(at)
    assert tr.config.task == "binary" and (tr.config.lr, tr.config.lr_end) == (1.0, 0.1), messages(at, "error")
    said = "Classification again: learning rate 0.01 → 1, end learning rate 0.001 → 0.1, the rates before regression"
    assert said in messages(at, "info")
    at = app(steps="30")  # a rate the user set in regression is theirs: kept
    at.selectbox(key="w_dataset").set_value("sine").run()
    at.select_slider(key="w_lr").set_value(0.03).run()
    at.selectbox(key="w_dataset").set_value("moons").run()
    assert trainer(at).config.task == "binary" and trainer(at).config.lr == 0.03
    assert "Classification again" not in messages(at, "info")


def test_an_uploaded_csv_gets_the_task_of_its_label_column():
    at = app(steps="30")
    upload_csv(at, [f"{v:.3f}" for v in np.linspace(-2, 2, 60)])  # 60 distinct numbers: regression
    tr = trainer(at)
    assert at.selectbox(key="w_task").value == "regression" and tr.config.task == "regression", messages(at, "error")
    assert tr.config.loss == "mse" and tr.config.lr == 0.01 and not messages(at, "error")  # it said "exactly 2 classes"
    assert "Regression: learning rate 1 → 0.01" in messages(at, "info")
    at = app()
    upload_csv(at, ["cat", "dog", "bird"] * 20)
    assert trainer(at).config.task == "multiclass" and trainer(at).model.sizes[-1] == 3, messages(at, "error")
    assert trainer(at).config.lr == 1.0  # classes: the rate stays
    at.selectbox(key="w_task").set_value("binary").run()  # the user can still override it
    assert at.selectbox(key="w_task").value == "binary" and "exactly 2 classes" in messages(at, "error")
    assert messages(at, "error").endswith(
        "; pick a two-class label column or another task. The current data and model stay."
    )


def test_a_link_to_a_regression_gets_rates_it_trains_at_unless_it_names_them():
    at = app(dataset="sine")
    assert (trainer(at).config.lr, trainer(at).config.lr_end) == (0.01, 0.001) and not messages(at, "warning")
    at = app(dataset="sine", lr="0.3", lr_end="0.03")
    assert (trainer(at).config.lr, trainer(at).config.lr_end) == (0.3, 0.03)
    assert trainer(app(dataset="moons")).config.lr == 1.0


def test_a_link_with_a_task_its_dataset_lacks_says_so():
    at = app(task="regression")  # moons: two classes only
    assert trainer(at).config.task == "binary"
    assert "dataset moons has no regression form (its tasks: binary); using binary." in messages(at, "warning")
    at = app(dataset="drawn", draw="garbage")  # one warning about the drawing, not a second one contradicting it
    about = [w.value for w in at.warning if "draw" in w.value.lower()]
    assert len(about) == 1 and "drawing could not be used" in about[0], about


def test_a_diverged_regressions_errors_are_short_numbers_not_thirty_digits():
    """QA: sine at lr 10 said "MAE 173743157024835309943161618432.0000"."""
    at = app(dataset="sine", steps="50", lr="10")
    for _ in range(20):
        if trainer(at).status == "diverged":
            break
        at.button(key="btn_step").click().run()
    assert trainer(at).status == "diverged"
    (said,) = [m for m in messages(at, "caption").splitlines() if "MAE" in m] or [messages(at, "caption")]
    assert re.search(r"MAE (\d\.\d+e\+\d+|inf|—), RMSE", said), said
    assert not re.search(r"\d{7}", said), said


def test_a_built_in_dataset_picked_after_a_drawing_gets_its_test_set_back_and_says_so():
    """QA: moons after a drawing kept the drawing's test fraction 0: "Test loss —", "Test accuracy —"."""
    at = app()
    for k, v in drawn_widgets(blobs_drawing(), "svm").items():
        if k not in ("w_task", "w_loss"):
            at.session_state[k] = v
    at.run()
    assert trainer(at).dataset.name == "drawn" and at.session_state["w_test_fraction"] == 0.0
    at.selectbox(key="w_dataset").set_value("moons").run()
    assert not at.exception, at.exception
    tr = trainer(at)
    assert tr.dataset.name == "moons" and at.session_state["w_test_fraction"] == 0.2 and len(tr.dataset.y_test) > 0
    assert "Back to moons after drawing" in messages(at, "info") + messages(at, "success") + messages(at, "warning")
