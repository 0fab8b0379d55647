"""The Graph page as a lesson, through AppTest: the step-through, predict the gradient, presets, replay, diagnostics."""

import math
import os

import numpy as np
import pytest

from micrograd.studio import lessons, recording
from micrograd.studio.runs import RunStore
from micrograd.studio.trainer import Trainer
from micrograd.views import lesson as L
from tests.test_pages_graph import page, texts, views


def lesson_view(at):
    """(header, arrays) of the live view's last payload, which carries the lesson while stepping."""
    ((h, a),) = views(at)
    return h, a


def test_the_lesson_starts_on_the_example_the_network_gets_most_wrong_and_changes_nothing():
    at = page("graph", layers="4")
    tr = at.session_state["trainer"]
    before = [p.data for p in tr.params]
    at.toggle(key="g_lesson").set_value(True).run()
    assert not at.exception, at.exception
    d = tr.dataset
    i, loss = L.hardest_example(tr.model, d.X_train, d.y_train, tr.config.loss)
    assert at.session_state["g_index"] == i and loss > 0
    assert f"Tracing training point {i}, the example the network gets most wrong" in texts(at, "caption")
    h, a = lesson_view(at)
    les = h["lesson"]
    phases = [s["p"] for s in les["steps"]]
    assert phases[0] == "forward" and "backward" in phases and phases[-1] == "update"
    assert phases == sorted(phases, key=["forward", "backward", "update"].index)  # forward, then backward, update
    expected = L.lesson(tr.model, d.X_train[i], d.y_train[i], tr.config.loss, "neuron", d.feature_names)
    n = len(expected.values)
    assert np.array_equal(a["values"][-n:], np.float32(expected.values))
    assert np.array_equal(a["grads"][-n:], np.float32(expected.grads))
    assert [s["t"] for s in les["steps"] if s["p"] != "update"] == [list(s.lines) for s in expected.steps]
    assert h["mode"] == "still"
    # read-only: neither the trainer nor its weights moved
    assert tr.step_count == 0 and [p.data for p in tr.params] == before
    at.radio(key="g_lesson_gran").set_value("node").run()
    h, _ = lesson_view(at)
    assert h["lesson"]["granularity"] == "node" and len(h["lesson"]["steps"]) > len(les["steps"])


def test_predict_the_gradient_hides_one_gradient_then_checks_the_students_number():
    at = page("graph", layers="4")
    at.toggle(key="g_lesson").set_value(True).run()
    at.toggle(key="g_quiz_on").set_value(True).run()
    assert not at.exception, at.exception
    node = at.session_state["g_quiz"]["node"]
    h, a = lesson_view(at)
    n = len(h["static"]["titles"]) if "static" in h else len(a["grads"])
    grads = a["grads"][-n:]
    assert math.isnan(grads[node]) and sum(math.isnan(g) for g in grads) == 1
    tr = at.session_state["trainer"]
    d = tr.dataset
    i = at.session_state["g_index"]
    truth = L.lesson(tr.model, d.X_train[i], d.y_train[i], tr.config.loss).grads[node]
    assert "What is ∂L/∂" in "\n".join(str(m.value) for m in at.markdown)
    at.number_input(key="g_quiz_guess").set_value(truth * 1.5 + 0.05).run()
    at.button(key="g_quiz_check").click().run()
    assert "Not quite" in texts(at, "warning")
    at.number_input(key="g_quiz_guess").set_value(truth * 1.01).run()
    at.button(key="g_quiz_check").click().run()
    assert "Right: you said" in texts(at, "success")
    assert any(f"= {L.num(truth)}" in c.value for c in at.code)  # the chain rule, shown after
    _, a = lesson_view(at)
    assert not np.isnan(a["grads"][-n:]).any()  # answered: the gradient is shown again
    # QA: Check on a cleared field kept the old verdict on a number no longer there
    at.number_input(key="g_quiz_guess").set_value(None).run()
    at.button(key="g_quiz_check").click().run()
    assert not at.success and not at.warning and "Type your value" in texts(at, "info")
    _, a = lesson_view(at)
    assert math.isnan(a["grads"][-n:][node])  # no answer: the gradient is hidden again


@pytest.mark.parametrize("name", list(lessons.PRESETS))
def test_every_lesson_preset_loads_from_its_url(name):
    preset = lessons.PRESETS[name]
    at = page("graph", **preset.query())
    assert not at.exception and not at.error, at.error
    tr = at.session_state["trainer"]
    c = tr.config
    want = preset.settings
    assert c.dataset == want["dataset"]
    assert c.layers == ([] if want["layers"] == "none" else [int(k) for k in want["layers"].split("-")])
    assert c.lr == float(want["lr"]) and c.steps == int(want["steps"])
    for key in ("activation", "loss", "init"):  # engine: page() links the compiled one, and a link's own settings win
        if key in want:
            assert getattr(c, key) == want[key]
    assert preset.question in texts(at, "info")


def test_an_unknown_lesson_says_which_exist_and_projector_mode_reaches_the_view():
    at = page("graph", lesson="nope", projector="1")
    assert "Unknown lesson 'nope'" in texts(at, "warning") and "dead-relu" in texts(at, "warning")
    assert (
        texts(at, "warning").count("Unknown lesson") == 1
    )  # said once (twice before: the link's warning and the banner's)
    h, _ = lesson_view(at)
    assert h.get("projector") is True


def test_a_first_link_to_an_unknown_lesson_on_the_graph_page_says_so_once():
    from streamlit.testing.v1 import AppTest

    import ui
    from tests.test_pages_graph import ROOT

    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    at.query_params.update({"lesson": "nope"})
    at.session_state[ui.RETURN_TO] = "pages/graph.py"  # as a shared link to /graph?lesson=nope arrives
    at.run()
    assert [t.value for t in at.title] == ["Computation graph"]
    assert [w.value.split(";")[0] for w in at.warning] == ["Unknown lesson 'nope'"]  # and "There is no lesson 'nope'"


def test_replay_a_stored_run_on_the_graph_page():
    store = RunStore(os.environ["MICROGRAD_DB"])  # the test's own database, the one the page opens
    at = page("graph", layers="4", steps="20")
    tr = at.session_state["trainer"]
    rec = recording.Recorder(opener=lambda: (store, ""))
    other = Trainer(tr.config)
    rec.watch(other)
    other.run(5)
    rec.sync(other, running=False)
    rec.close()
    (run,) = store.list_runs()
    at.number_input(key="g_replay_id").set_value(run["id"]).run()
    at.button(key="g_replay_load").click().run()
    assert not at.exception and not at.error, at.error
    at.slider(key="g_replay_step").set_value(3).run()
    assert f"Replaying run #{run['id']}" in texts(at, "caption") and "bit for bit" in texts(at, "caption")
    assert "; training objective (batch loss + L2 penalty) " in texts(at, "caption")  # the default L2 is 1e-4
    assert at.session_state["g_replay"].trainer.step_count == 3
    assert at.session_state["trainer"].step_count == 0  # the session's own run is untouched
    h, _ = lesson_view(at)
    assert h["steps"][-1] == 3  # the graph shows the replayed step


def test_why_training_fails_tab_at_lr_10_names_the_dead_units():
    at = page("graph", lesson="dead-relu")
    tr = at.session_state["trainer"]
    tr.run()  # lr 10 on ReLU 2-16-16-1 kills a whole hidden layer (tests/test_diagnostics.py)
    at.session_state["g_tab"] = "Why training fails"
    at.run()
    assert not at.exception, at.exception
    assert "hidden units" in texts(at, "warning") and "dead" in texts(at, "warning")
    assert any(c.proto.spec and "gradient norm per layer" in c.proto.spec for c in at.get("plotly_chart"))


def test_the_vanishing_gradients_lesson_finds_vanishing_gradients_whenever_it_is_paused():
    """QA: paused at step 74 (and 121) of this lesson, the tab said "no vanishing gradients"."""
    at = page("graph", lesson="vanishing")
    tr = at.session_state["trainer"]
    for stop in (1, 74, 121, 300):
        tr.run(stop - tr.step_count)
        at.session_state["g_tab"] = "Why training fails"
        at.run()
        assert not at.exception, at.exception
        said = texts(at, "warning")
        assert "Vanishing gradients: the first layer's gradient norm" in said, (tr.step_count, said)
        assert "No problem found" not in texts(at, "success") + texts(at, "info")


def test_a_lesson_link_to_the_train_page_shows_its_question_and_projector_mode_reaches_the_view():
    from tests.test_dashboard import app, view

    preset = lessons.PRESETS["lr-too-high"]
    at = app(lesson="lr-too-high", projector="1")
    assert preset.question in texts(at, "info")  # the question was on the Graph page only
    assert view(at)["projector"] is True  # the Train view sets the page's projector class (live.css)
    assert view(app())["projector"] is False
    at = app(lesson="nope")
    assert texts(at, "warning").count("Unknown lesson") == 1


def test_a_lesson_banner_says_which_of_its_settings_this_run_changed():
    """QA: ?lesson=lr-too-high&lr=0.01 asked about "the learning rate is 10" while the run used 0.01."""
    from tests.test_dashboard import app

    assert "differ from the lesson" not in texts(app(lesson="lr-too-high"), "info")
    said = texts(app(lesson="lr-too-high", lr="0.01", layers="8"), "info")
    assert (
        "This run's settings differ from the lesson's: layers 8 (the lesson's 16); lr 0.01 (the lesson's 10)." in said
    )
    at = app(lesson="xor-hidden")  # the lesson says: add a hidden layer of 4 units and train again
    at.number_input(key="w_nlayers").set_value(1).run()
    assert "This run's settings differ from the lesson's: layers 4 (the lesson's no hidden layer)." in texts(at, "info")


def test_the_lesson_sets_follow_without_streamlits_default_value_warning():
    """QA: switching the step-through on logged "The widget with key "g_follow" was created with a default value
    but also had its value set via the Session State API" with a stack, on every run."""
    import logging

    said: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            said.append(record.getMessage())

    keep = Keep()
    # Streamlit's loggers do not propagate to their parents: listen on each
    loggers = [logging.getLogger(n) for n in list(logging.root.manager.loggerDict) if n.startswith("streamlit")]
    for log in loggers:
        log.addHandler(keep)
    try:
        at = page("graph", lesson="dead-relu")
        at.toggle(key="g_lesson").set_value(True).run()
        at.run()
    finally:
        for log in loggers:
            log.removeHandler(keep)
    assert not at.exception and at.session_state["g_follow"] is True
    assert not [m for m in said if "created with a default value" in m], said


def test_the_lesson_note_says_when_training_has_moved_past_the_step_it_chose_at():
    """QA: "the example the network gets most wrong at step 23" stood beside the graph of step 100."""
    at = page("graph", layers="4")
    tr = at.session_state["trainer"]
    at.toggle(key="g_lesson").set_value(True).run()
    first = [c for c in texts(at, "caption").split("\n") if c.startswith("Tracing training point")]
    assert first and "The weights are at step" not in texts(at, "caption")
    tr.run(5)
    at.run()
    assert not at.exception, at.exception
    assert 'The weights are at step 5 now: press "Pick the example the network gets most wrong" to choose again.' in (
        texts(at, "caption")
    )
    at.button(key="g_rechoose").click().run()
    assert "The weights are at step" not in texts(at, "caption")  # chosen again at step 5
    chosen = at.session_state["g_index"]
    at.number_input(key="g_index").set_value(0 if chosen else 1).run()  # another point, by hand
    assert "Tracing training point" not in texts(at, "caption")  # the note was about the chosen one
