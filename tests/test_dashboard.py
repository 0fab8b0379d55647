"""The Streamlit dashboard driven through AppTest: each ``at.run()`` is one live tick (run_every never fires here)."""

import base64
import json
import math
import time
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from micrograd.studio import weights as export
from micrograd.studio.datasets import DATASETS
from micrograd.views import live

ROOT = Path(__file__).resolve().parent.parent


ENGINE = "compiled"


class App(AppTest):
    """AppTest that runs dashboard.py on every run, as a real server does once st.navigation has been called.

    With a pages/ folder next to the script, AppTest (1.67) resets PagesManager.uses_pages_directory before each
    run, so every run after the first re-executes the last page's file directly (old multipage mode); the page then
    bounces to dashboard.py (ui.require_dashboard), a detour that drops the widget values a test just set.
    """

    def _run(self, *args, **kwargs):
        self._finished_page_script_hash = ""  # "" = the main script, which picks the page via st.navigation
        return super()._run(*args, **kwargs)


def app(**params: str) -> AppTest:
    """A freshly started dashboard session with these query parameters."""
    at = App(str(ROOT / "dashboard.py"), default_timeout=60)
    at.query_params.update({"engine": ENGINE, **params})
    at.run()  # the first screen (ui.session.first_screen)
    assert not at.exception, at.exception
    at.run()  # the whole page, as the view's request for it brings (AppTest runs no JS)
    assert not at.exception, at.exception
    return at


def start_and_tick_until_stopped(at: AppTest, max_ticks: int) -> None:
    """Press Start, then run ticks (AppTest fires no timers) until training stops or max_ticks pass."""
    at.button(key="btn_start").click().run()
    for _ in range(max_ticks):
        if not at.session_state["running"]:
            break
        at.run()


def trainer(at: AppTest):
    return at.session_state["trainer"]


def weights(at: AppTest) -> list[float]:
    return [p.data for p in trainer(at).model.parameters()]


def array(v) -> np.ndarray:
    """A plotly array from a chart spec: plotly >= 6 packs numpy arrays as base64 with dtype and shape."""
    if isinstance(v, dict):
        a = np.frombuffer(base64.b64decode(v["bdata"]), dtype=v["dtype"])
        return a.reshape([int(s) for s in v["shape"].split(",")]) if "shape" in v else a
    return np.asarray(v, dtype=float)


def charts(at: AppTest) -> dict[str, dict]:
    """Plotly specs by chart key."""
    return {c.proto.id.rsplit("-", 1)[-1]: json.loads(c.proto.spec) for c in at.get("plotly_chart")}


def view(at: AppTest) -> dict | None:
    """The Train page's live-view update (micrograd.views.live), decoded; None when the view is not drawn."""
    for e in at.get("bidi_component"):
        if e.proto.component_name == "mg_live_train":
            return live.decode(e.proto.bytes)
    return None


def messages(at: AppTest, kind: str) -> str:
    return "\n".join(str(e.value) for e in getattr(at, kind))


def test_landing_page_has_the_micrograd_demo_defaults():
    at = app()
    c = trainer(at).config
    assert (c.dataset, c.samples, c.noise, c.layers, c.activation, c.loss) == (
        "moons",
        100,
        0.1,
        [16, 16],
        "relu",
        "svm",
    )
    assert (c.lr, c.lr_end, c.schedule, c.l2, c.batch_size, c.steps, c.seed) == (1.0, 0.1, "linear", 1e-4, 0, 100, 1337)
    assert trainer(at).step_count == 0 and not at.error
    assert "Press **Start**" in messages(at, "info")
    assert not charts(at)  # the live view draws the boundary, the network and the curves
    u = view(at)
    d = trainer(at).dataset
    assert u["static"]["points"]["n_train"] == len(d.y_train) == 80
    assert len(u["static"]["points"]["x"]) == len(d.y_train) + len(d.y_test) == 100
    assert [f["step"] for f in u["frames"]] == [0] and u["frames"][0]["grid"].shape == (live.GRID_N**2,)
    assert u["status"]["state"] == "ready" and u["static"]["sizes"] == [2, 16, 16, 1]


def later(at: AppTest, seconds: float = 0.15) -> AppTest:
    """Wait, so that steps are due (the tick trains by wall clock: at the default 20 steps/s, 3 steps), then return at.

    A fast machine runs an AppTest rerun in under 1/20 s, which is due no step.
    """
    time.sleep(seconds)
    return at


def test_start_ticks_then_pause_stops():
    at = app()
    at.button(key="btn_start").click().run()
    counts = [trainer(at).step_count]
    for _ in range(2):
        later(at).run()
        counts.append(trainer(at).step_count)
    assert 0 < counts[0] < counts[1] < counts[2] and at.session_state["running"]
    u = view(at)
    assert u["status"]["step"] == counts[2] and 0 <= u["metrics"]["train_accuracy"][-1] <= 1
    assert u["metrics"]["step"] == list(range(1, counts[2] + 1)) and u["status"]["state"] == "running"
    assert u["frames"][-1]["step"] == counts[2]  # the newest step taken is always in the update
    z = u["frames"][-1]["grid"]
    assert (z > 0).any() and (z < 0).any() and not (z == -128).any()  # a boundary runs through the plane
    at.button(key="btn_pause").click().run()
    paused = trainer(at).step_count
    at.run().run()
    assert trainer(at).step_count == paused and not at.session_state["running"]


def test_run_to_the_budget_finishes_and_learns():
    at = app(steps="30", speed="50")
    start_and_tick_until_stopped(at, 30)
    tr = trainer(at)
    assert tr.status == "finished" and tr.step_count == 30 and not at.session_state["running"]
    assert tr.history[-1]["train_accuracy"] > 0.8
    assert "Finished 30 steps" in messages(at, "success")
    assert "test accuracy" in messages(at, "success")


def test_a_finished_runs_message_gives_the_accuracies_of_its_final_weights():
    """QA: digits ended with tiles at 66.5 / 62.7 % and a message at 66.1 / 61.0 % "(measured before the last
    update)": two sets of numbers for one run. The message now gives the final weights' numbers, as the tiles do."""
    at = app(steps="4", speed="50")
    start_and_tick_until_stopped(at, 4)
    tr = trainer(at)
    final, before = tr.evaluate(), tr.history[-1]
    assert (final["train_accuracy"], final["test_accuracy"]) != (before["train_accuracy"], before["test_accuracy"])
    said = messages(at, "success")
    want = f"Train accuracy {100 * final['train_accuracy']:.1f} %, test accuracy {100 * final['test_accuracy']:.1f} %"
    assert want in said and "before the last update" not in said


def test_a_finished_run_without_a_test_set_says_nothing_of_one():
    """QA: drawn points (no test set) finished with "test accuracy —"."""
    at = app(steps="3", speed="50", test_fraction="0")
    start_and_tick_until_stopped(at, 10)
    assert len(trainer(at).dataset.y_test) == 0 and trainer(at).status == "finished"
    said = messages(at, "success")
    assert "Finished 3 steps. Train accuracy " in said and "test" not in said


def test_step_takes_exactly_one_step_and_reset_restores_initial_weights():
    at = app()
    initial = weights(at)
    at.button(key="btn_step").click().run()
    assert trainer(at).step_count == 1 and weights(at) != initial
    at.button(key="btn_step").click().run()
    at.run()  # a plain rerun while paused trains nothing
    assert trainer(at).step_count == 2 and len(trainer(at).history) == 2
    at.button(key="btn_reset").click().run()
    assert trainer(at).step_count == 0 and trainer(at).history == []
    assert weights(at) == initial  # re-initialised from the same seed, reproducibly
    assert "Reset" in messages(at, "info")


@pytest.mark.parametrize("name", list(DATASETS))
def test_each_dataset_trains(name):
    at = app()
    at.selectbox(key="w_dataset").set_value(name).run()
    tr = trainer(at)
    spec = DATASETS[name]
    assert tr.dataset.name == name and len(tr.dataset.y_train) + len(tr.dataset.y_test) == spec.samples
    assert ("Data changed" in messages(at, "info")) == (name != "moons")  # moons is the default: no change
    at.button(key="btn_step").click().run()
    assert trainer(at).step_count == 1 and not at.exception and not at.error
    u = view(at)
    picture = u["frames"][-1].get("grid", u["frames"][-1].get("curve"))  # a 1-feature regression draws a curve
    assert u["frames"][-1]["step"] == 1 and picture.shape in ((live.GRID_N**2,), (live.CURVE_N,))
    assert u["static"]["sizes"][0] == spec.n_features
    if spec.n_features > 2:  # a feature pair to look at, and a confusion matrix
        varying = [k for k in range(spec.n_features) if np.ptp(tr.dataset.X_train[:, k]) > 0]  # digits: not pixel 0
        assert (
            at.selectbox(key="view_feat_x").value == varying[0] and at.selectbox(key="view_feat_y").value == varying[1]
        )
        assert array(charts(at)["confusion"]["data"][0]["z"]).sum() == len(tr.dataset.y_test)
        at.selectbox(key="view_feat_y").set_value(varying[0]).run()  # the same feature on both axes
        assert "same feature" in messages(at, "warning") and view(at) is None
        last = spec.n_features - 1
        at.selectbox(key="view_feat_y").set_value(last).run()
        u = view(at)
        shown = f"{tr.dataset.feature_names[last]}, standardised"  # these sets are standardised: the axes say so
        assert u["static"]["y_name"] == shown and not (u["frames"][-1]["grid"] == -128).any()


def test_each_loss_applies_live_and_each_activation_reinitialises():
    at = app()
    at.button(key="btn_step").click().run()
    model = trainer(at).model
    for loss in ("mse", "bce", "svm"):
        at.selectbox(key="w_loss").set_value(loss).run()
        at.button(key="btn_step").click().run()
        assert trainer(at).config.loss == loss and trainer(at).model is model and not at.error
    assert trainer(at).step_count == 4
    for act in ("tanh", "sigmoid", "linear", "relu"):
        at.selectbox(key="w_activation").set_value(act).run()
        assert trainer(at).config.activation == act and trainer(at).step_count == 0
        assert trainer(at).model.layers[0].activation == act
        assert "Architecture changed: weights re-initialised" in messages(at, "info")
        at.button(key="btn_step").click().run()
        assert trainer(at).step_count == 1 and np.isfinite(trainer(at).history[-1]["train_loss"])


def test_an_architecture_change_while_running_says_that_training_stopped():
    at = app()
    at.button(key="btn_start").click().run()
    later(at).run()
    step = trainer(at).step_count
    at.selectbox(key="w_activation").set_value("tanh").run()
    assert not at.session_state["running"] and trainer(at).step_count == 0
    said = messages(at, "info")
    assert f"Architecture changed: weights re-initialised. Training stopped at step {step:,}; press Start" in said
    at.selectbox(key="w_activation").set_value("relu").run()  # paused: nothing stopped, nothing said of it
    assert "Training stopped" not in messages(at, "info")


def test_learning_rate_changes_live_without_reset():
    at = app()
    at.button(key="btn_start").click().run()
    later(at).run()
    tr, before = trainer(at), trainer(at).step_count
    later(at).select_slider(key="w_lr").set_value(0.1).run()
    assert trainer(at) is tr and tr.config.lr == 0.1 and tr.step_count > before  # kept training, same weights
    assert at.session_state["running"] and at.query_params["lr"] == "0.1"
    assert "re-initialised" not in messages(at, "info")


def test_architecture_change_reinitialises():
    at = app()
    at.number_input(key="w_nlayers").set_value(1).run()
    at.number_input(key="w_layer_0").set_value(8).run()
    assert trainer(at).model.sizes == [2, 8, 1] and trainer(at).config.layers == [8]
    assert at.query_params["layers"] == "8"


def test_diverging_run_stops_with_a_message():
    at = app(lr="10", lr_end="10", loss="mse", activation="linear", speed="20")
    at.button(key="btn_start").click().run()
    for _ in range(5):
        at.run()
    tr = trainer(at)
    assert tr.status == "diverged" and not at.session_state["running"]
    err = messages(at, "error")
    assert f"diverged at step {tr.step_count}" in err and "smaller learning rate" in err
    assert len(view(at)["metrics"]["step"]) == tr.step_count  # the curves keep what happened
    assert at.get("download_button")[0].proto.disabled  # non-finite weights cannot be exported
    at.button(key="btn_reset").click().run()
    assert trainer(at).status == "ready" and trainer(at).step_count == 0


def test_query_parameters_round_trip_and_bad_values_fall_back():
    at = app(dataset="circles", samples="60", layers="8-4", activation="tanh", loss="bce", lr="0.03", steps="50")
    c = trainer(at).config
    assert (c.dataset, c.samples, c.layers, c.activation, c.loss, c.lr, c.steps) == (
        "circles",
        60,
        [8, 4],
        "tanh",
        "bce",
        0.03,
        50,
    )
    assert at.select_slider(key="w_lr").value == 0.03 and at.number_input(key="w_layer_1").value == 4
    assert at.query_params["layers"] == "8-4" and at.query_params["dataset"] == "circles"
    at.selectbox(key="w_schedule").set_value("cosine").run()
    assert at.query_params["schedule"] == "cosine" and trainer(at).config.schedule == "cosine"
    bad = app(lr="abc", steps="-5", layers="8-x", activation="swish", momentum="0.9", dataset="csv")
    c = trainer(bad).config
    assert (c.lr, c.steps, c.layers, c.activation, c.momentum) == (1.0, 100, [16, 16], "relu", 0.9)
    warned = messages(bad, "warning")
    assert all(f"URL parameter {k}=" in warned for k in ("lr", "steps", "layers", "activation"))
    assert "momentum" not in warned and "choose Dataset → Upload CSV… in the sidebar and upload it again" in warned
    assert not bad.exception


def test_two_sessions_do_not_share_models():
    a, b = app(), app()
    a.button(key="btn_step").click().run()
    assert trainer(a).step_count == 1 and trainer(b).step_count == 0
    assert trainer(a).model is not trainer(b).model and weights(a) != weights(b)


def test_an_unexpected_error_becomes_a_message_not_a_traceback():
    at = app()
    trainer(at).dataset = None  # a broken run: the page must say so and keep the app usable
    at.run()
    assert not at.exception and "Something went wrong" in messages(at, "error")
    at.button(key="btn_reset").click().run()  # the run controls survive; Reset reloads the data from the config
    assert not at.exception and not at.error and trainer(at).dataset.name == "moons"


def test_new_data_keeps_the_weights_and_the_history():
    at = app()
    at.button(key="btn_step").click().run()
    tr, w, X = trainer(at), weights(at), trainer(at).dataset.X_train.copy()
    at.button(key="btn_new_data").click().run()
    assert trainer(at) is tr and weights(at) == w and tr.step_count == 1
    assert tr.config.data_seed != 1337 and not np.array_equal(tr.dataset.X_train, X)
    assert at.number_input(key="w_data_seed").value == tr.config.data_seed
    assert at.query_params["data_seed"] == str(tr.config.data_seed)  # the link reproduces the new data
    at.button(key="btn_step").click().run()
    assert tr.step_count == 2 and "re-initialised" not in messages(at, "info")


def test_a_big_network_gets_a_speed_note():
    at = app(layers="64-64-64")
    assert "8,577 parameters" in messages(at, "warning")
    assert not app().warning  # the default network has none


def test_a_run_on_the_train_page_is_recorded_in_the_store(tmp_path, monkeypatch):
    from micrograd.studio.runs import RunStore

    db = tmp_path / "studio.db"
    monkeypatch.setenv("MICROGRAD_DB", str(db))
    at = app(steps="20", speed="50")
    start_and_tick_until_stopped(at, 20)
    assert trainer(at).status == "finished"
    store = RunStore(db)
    (run,) = store.list_runs()
    assert run["status"] == "finished" and run["dataset"] == "moons" and run["architecture"] == "2-16-16-1"
    assert [r["step"] for r in store.get_steps(run["id"])] == list(range(1, 21))
    assert export.loads(store.get_run(run["id"])["weights"]).metrics["step"] == 20
    assert run["heartbeat"] is not None and run["has_initial_weights"]  # a session's run: closed if it goes silent
    store.close()


@pytest.mark.parametrize("params", [{"samples": "5", "test_fraction": "0.9"}, {"seed": "1" * 400}])
def test_a_link_whose_settings_cannot_work_falls_back_to_the_defaults(params):
    at = app(**params)
    tr = trainer(at)
    assert tr.config.samples == 100 and tr.config.seed == 1337 and tr.step_count == 0
    assert at.warning and not at.exception and not at.error
    at.button(key="btn_step").click().run()
    assert trainer(at).step_count == 1


def test_a_notice_that_cannot_be_shown_does_not_wedge_the_session():
    at = app()
    at.session_state["notices"] = ["Loaded \ud800.json", "a fine notice"]  # a lone surrogate: no UTF-8 form
    at.run()
    assert not at.exception and at.session_state["notices"] == []
    assert "Loaded ?.json" in messages(at, "info") and "a fine notice" in messages(at, "info")
    at.run()
    assert not at.exception and "Loaded" not in messages(at, "info")  # shown once, never again


SIDEBAR_ONLY = """
import ui
ui.init_state()
ui.sidebar(live={live})
"""


def test_a_page_without_the_live_view_offers_no_start_and_claims_no_run():
    at = AppTest.from_string(SIDEBAR_ONLY.format(live=False), default_timeout=60)
    at.query_params.update({"engine": ENGINE})
    at.run()
    start = at.button(key="btn_start")
    assert start.disabled and "Train and Graph" in start.help
    at.session_state["running"] = True  # e.g. training was on when the user opened the Sandbox
    at.run()
    assert not at.session_state["running"] and trainer(at).stop_requested
    assert "**running**" not in " ".join(str(c.value) for c in at.caption)
    at.button(key="btn_step").click().run()  # Step still works here, one step at a time
    assert trainer(at).step_count == 1 and not at.exception
    live = AppTest.from_string(SIDEBAR_ONLY.format(live=True), default_timeout=60)
    live.query_params.update({"engine": ENGINE})
    live.run()
    assert not live.button(key="btn_start").disabled


def test_pause_stops_the_trainer_itself():
    at = app()
    at.button(key="btn_start").click().run()
    assert not trainer(at).stop_requested
    at.button(key="btn_pause").click().run()
    assert trainer(at).stop_requested and trainer(at).step() is None  # a tick still under way would do nothing
    at.button(key="btn_start").click().run()
    assert not trainer(at).stop_requested


def test_the_tick_trains_by_wall_clock_at_the_chosen_speed(monkeypatch):
    monkeypatch.setattr("ui.controls.TICK_BUDGET", 60.0)  # count the steps due, whatever this machine's speed
    at = app(steps="500", speed="1")
    at.button(key="btn_start").click().run()
    # the steps the browser plays before the first tick are due at once (at 1 step a second: two)
    lead = math.ceil(1 * live.AHEAD_SECONDS)
    assert trainer(at).step_count == lead == 2
    # constants set from the tick's length: the look-ahead covers the first tick, a late tick catches up on more
    from ui.controls import MAX_LAG
    from ui.options import TICK_SECONDS

    assert TICK_SECONDS < live.AHEAD_SECONDS < 2 * TICK_SECONDS and MAX_LAG >= 2 * TICK_SECONDS
    t0 = time.monotonic()
    at.run()
    assert trainer(at).step_count <= lead + 1 + int(time.monotonic() - t0)  # 1 step per second of wall clock
    fast = app(steps="500", speed="20")
    fast.button(key="btn_start").click().run()
    first = trainer(fast).step_count
    time.sleep(0.3)
    fast.run()
    # 6 or more due after 0.3 s, and no burst: not the steps before Start, nor more than a second's worth
    assert 6 <= trainer(fast).step_count - first <= 20


def test_a_run_far_below_its_speed_shows_every_step_at_the_rate_it_reaches():
    """QA: the scalar engine trains ~10 steps a second at a speed of 100 (then the highest); the view showed "every
    2nd step" of a rate never reached, and played each tick's few steps in a burst. It now plans for the rate
    reached (at the highest speed now, 50, it would play each tick's steps in a burst)."""
    at = app(steps="0", speed="50", engine="scalar", layers="16-16")
    at.button(key="btn_start").click().run()
    for _ in range(4):  # the rate is known from the second tick on
        time.sleep(0.2)
        at.run()
    assert at.session_state["w_speed"] == 50 and trainer(at).config.engine == "scalar"
    status = view(at)["status"]
    assert status["every"] == 1 and 0 < status["speed"] < 25  # the rate reached, well under the speed set


def test_pause_leaves_the_view_on_the_last_step_with_its_network():
    at = app(steps="300", speed="50")
    at.button(key="btn_start").click().run()
    at.run()
    at.button(key="btn_pause").click().run()
    tr = trainer(at)
    u = view(at)
    assert u["status"]["state"] == "paused" and u["status"]["step"] == tr.step_count
    assert u["frames"][-1]["step"] == tr.step_count and "net" in u["frames"][-1]
    w = [p.data for layer in tr.model.layers for n in layer.neurons for p in (*n.w, n.b)]
    assert len(u["frames"][-1]["net"]["weights"]) == len(w)


def test_a_paused_page_keeps_its_session_alive_and_a_running_one_ticks_instead(monkeypatch):
    """While paused nothing ticks: the sidebar's keep-alive fragment gets a timer (every KEEPALIVE_SECONDS) that tells
    the run store the session is here; while running the ticks do, and it has none. It is there on every run, last
    in the sidebar, so nothing after it moves."""
    import importlib

    import streamlit

    module = importlib.import_module("ui.sidebar")  # ui.sidebar is also the function the package re-exports
    timers: list = []

    class Spy:  # the sidebar's streamlit, with fragment() noting its timer
        def __getattr__(self, name):
            return getattr(streamlit, name)

        def fragment(self, func=None, *, run_every=None):
            if func is module._keep_alive:
                timers.append(run_every)
            return streamlit.fragment(func, run_every=run_every)

    monkeypatch.setattr(module, "st", Spy())
    at = app()
    at.button(key="btn_step").click().run()  # a recorded run, paused
    assert timers and timers[-1] == module.KEEPALIVE_SECONDS
    at.button(key="btn_start").click().run()
    assert at.session_state["running"] and timers[-1] is None  # running: the ticks beat instead
    at.button(key="btn_pause").click().run()
    assert timers[-1] == module.KEEPALIVE_SECONDS
    assert not at.exception


def test_the_server_leaves_its_loaded_modules_out_of_the_collectors_scans(monkeypatch):
    """A full collection of the live server scanned ~190,000 objects, its modules', in ~130 ms: a spike in a
    training session's CPU (issue 12). After each complete run the dashboard asks to freeze them (gc.freeze), which
    happens once per process."""
    import gc

    from micrograd.studio import threads

    threads.freeze_startup()  # the real one: collects, then freezes what is alive
    frozen = gc.get_freeze_count()
    assert frozen > 10_000  # the modules loaded by now (streamlit, numpy, the studio)
    threads.freeze_startup()
    assert gc.get_freeze_count() == frozen  # once: later calls do nothing
    calls = []
    monkeypatch.setattr(threads, "freeze_startup", lambda: calls.append(True))
    app()
    assert len(calls) == 2  # the first screen and the whole page: each complete run asks
