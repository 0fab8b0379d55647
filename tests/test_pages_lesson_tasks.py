"""The Graph page on every task, and the lesson's steps sent once per lesson (AppTest)."""

import pytest

from micrograd.views import graph_live as GL
from micrograd.views import lesson as L
from tests.test_pages_graph import page, views


@pytest.mark.parametrize(
    "query, task",
    [
        ({"dataset": "blobs", "task": "multiclass", "loss": "ce", "layers": "4"}, "multiclass"),
        ({"dataset": "sine", "task": "regression", "loss": "mse", "layers": "4"}, "regression"),
    ],
)
def test_the_graph_page_and_its_lesson_on_every_task(query, task):
    at = page("graph", **query)
    assert not at.exception and not at.error, (at.exception, [e.value for e in at.error])
    tr = at.session_state["trainer"]
    assert tr.task == task
    ((h, a),) = views(at)
    titles = h["static"]["titles"]
    assert "loss" in titles and (("lse" in titles) == (task == "multiclass"))
    at.toggle(key="g_lesson").set_value(True).run()
    assert not at.exception and not at.error, (at.exception, [e.value for e in at.error])
    d = tr.dataset
    i, _ = L.hardest_example(tr.model, d.X_train, d.y_train, tr.config.loss, task)
    assert at.session_state["g_index"] == i
    ((h, a),) = views(at)
    lines = [t for s in h["lesson"]["steps"] for t in s["t"]]
    assert any(t.startswith("∂L/∂L = 1") for t in lines)
    if task == "multiclass":
        assert any("e^(" in t and "lse" in t for t in lines) and any("the softmax" in t for t in lines)
    at.radio(key="g_lesson_gran").set_value("node").run()
    assert not at.exception, at.exception


def test_the_lessons_steps_go_once_then_only_its_key():
    at = page("graph", layers="16-16")  # the 986-node graph: its node lesson is the big one
    at.toggle(key="g_lesson").set_value(True).run()
    at.radio(key="g_lesson_gran").set_value("node").run()
    ((h, a),) = views(at)
    first = h["lesson"]
    assert len(first["steps"]) > 1000 and len(GL.encode({"lesson": first})) > 200_000
    at.run()  # an update with nothing changed: the browser has the steps, only the key goes
    ((h2, _),) = views(at)
    assert h2["lesson"] == {"key": first["key"]}
    at.radio(key="g_lesson_gran").set_value("layer").run()  # another lesson: its steps go, with a new key
    ((h3, _),) = views(at)
    assert h3["lesson"]["key"] != first["key"] and h3["lesson"]["granularity"] == "layer" and h3["lesson"]["steps"]
    at.session_state["g_lesson_sent"] = None  # what the view's "need" trigger does when it lost the steps
    at.run()
    ((h4, _),) = views(at)
    assert h4["lesson"]["steps"] == h3["lesson"]["steps"]


def test_a_lessons_key_is_its_content():
    from micrograd.nn import MLP

    model = MLP(2, [3, 1], "tanh", seed=0)
    a = L.keyed(L.lesson(model, [0.1, 0.2], 1.0, "svm", "node").to_json())
    b = L.keyed(L.lesson(model, [0.1, 0.2], 1.0, "svm", "node").to_json())
    c = L.keyed(L.lesson(model, [0.1, 0.3], 1.0, "svm", "node").to_json())
    assert a["key"] == b["key"] != c["key"]
    assert (
        L.header_for(a, None) is a and L.header_for(a, c["key"]) is a and L.header_for(a, a["key"]) == {"key": a["key"]}
    )
