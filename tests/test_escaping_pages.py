"""Hostile user text on every page (issue 11 item 2): the Markdown Streamlit receives holds the escaped form only.

AppTest gives each element's Markdown source, which is what the browser renders; so each test checks that the source
contains micrograd.views.text's escaped form of the hostile text and never the raw Markdown.
"""

import numpy as np

from micrograd.nn import MLP
from micrograd.studio import weights as export
from micrograd.studio.runs import RunStore
from micrograd.views import live, text
from tests.test_dashboard import app, messages, trainer
from tests.test_pages_experiments import db, seed_store
from tests.test_pages_experiments import page as experiments_page

__all__ = ["db"]  # the fixture, imported for the Experiments test

IMAGE = "![U](http://host/x.png)"
RED = ":red[alarm]"


def markdown_of(at) -> str:
    """Every Markdown body and label on the page (messages, captions, markdown, widget labels)."""
    bodies = [
        str(e.value) for kind in ("error", "warning", "info", "success", "caption", "markdown") for e in at.get(kind)
    ]
    labels = [w.label for kind in ("text_input", "number_input", "selectbox", "multiselect") for w in at.get(kind)]
    return "\n".join(bodies + labels)


def test_a_shared_link_cannot_make_visitors_load_an_image():
    at = app(lr=IMAGE, layers=f"{RED}")
    warnings = messages(at, "warning")
    assert text.md(repr(IMAGE)) in warnings and text.md(repr(RED)) in warnings
    assert IMAGE not in markdown_of(at) and RED not in markdown_of(at) and "http://" not in markdown_of(at)


def csv_app():
    rng = np.random.default_rng(0)
    classes = (IMAGE, RED)
    rows = "\n".join(f"{a:.3f},{b:.3f},{classes[int(a + b > 0)]}" for a, b in rng.normal(size=(40, 2)))
    at = app(engine="compiled")
    at.selectbox(key="w_dataset").set_value("csv").run()
    data = f"$x$,<b>y</b>,label\n{rows}\n".encode()
    at.file_uploader(key="csv_upload_0").set_value(("evil.csv", data, "text/csv")).run()
    d = trainer(at).dataset
    assert d.class_names == (IMAGE, RED) and d.feature_names == ["$x$", "<b>y</b>"], (
        d.class_names,
        messages(at, "error"),
    )
    return at


def test_csv_class_and_feature_names_are_escaped_on_the_train_page():
    at = csv_app()
    shown = markdown_of(at)
    assert f"class {text.md(RED)}" in shown and f"class {text.md(IMAGE)}" in shown  # the boundary caption
    assert IMAGE not in shown and RED not in shown
    # the boundary itself is the live component, which draws names as text (textContent, fillText), never HTML:
    # tests/test_browser_escaping.py checks what the browser shows


def test_csv_names_are_escaped_on_the_graph_page():
    at = csv_app()
    at.switch_page("pages/graph.py").run()
    assert not at.exception
    shown = markdown_of(at)
    assert f"{text.md('$x$')} = " in shown and "(class " in shown and IMAGE not in shown and "$x$" not in shown
    at.radio(key="g_source").set_value("typed").run()
    label = at.text_input(key="g_coords").label
    assert label == f"Coordinates ({text.md('$x$')}, {text.md('<b>y</b>')})"
    at.text_input(key="g_coords").set_value("1, ![a](http://host/z.png)").run()
    errors = messages(at, "error")
    assert "is not a number" in errors and "http://" not in errors and text.md("'![a](http://host/z.png)'") in errors
    at.session_state["g_tab"] = "Network"  # only the open tab is drawn
    at.run()
    (net,) = [live.decode(c.proto.bytes) for c in at.get("bidi_component") if c.proto.component_name == "mg_live_net"]
    # the names travel as data: net_view.js / train_net.js draw them with textContent and esc(), never as HTML
    # (tests/test_browser_escaping.py checks what the browser shows)
    assert "$x$" in net["static"]["feature_names"] and not at.get("plotly_chart")


def test_a_weights_files_feature_names_are_escaped_in_the_notice():
    at = app()
    names = [IMAGE, "<img src=http://host/y.png>"]
    data = export.dumps(MLP(2, [4, 1], seed=1), feature_names=names).encode()
    at.file_uploader(key="weights_upload_0").set_value(("w [1].json", data, "application/json")).run()
    info = messages(at, "info")
    assert f"trained on features {text.md(IMAGE)}, {text.md(names[1])}" in info and text.md("w [1].json") in info
    assert IMAGE not in info and "<img" not in info.replace("\\<img", "")  # only the escaped \<img


def test_a_run_name_typed_in_one_session_is_escaped_in_another(db):
    seed_store(db, seeds=(1,))
    with RunStore(db) as store:
        store.rename(1, f"{IMAGE} {RED} $e^x$")
        store.update_run(1, message="see https://host/a <b>now</b>")
    at = experiments_page()
    at.selectbox(key="exp_run").set_value(1).run()
    caption = messages(at, "caption")
    assert text.md("see https://host/a <b>now</b>") in caption and "https://" not in caption
    at.button(key="exp_delete").click().run()
    warning = messages(at, "warning")
    assert f"({text.md(f'{IMAGE} {RED} $e^x$')})" in warning and IMAGE not in warning
    at.button(key="exp_delete_no").click().run()
    at.button(key="exp_open").click().run()  # the "Opened run #1 (name)" notice on the Train page
    info = messages(at, "info")
    assert "Opened run #1" in info and text.md(f"{IMAGE} {RED} $e^x$") in info and IMAGE not in info


def test_an_unexpected_error_message_is_escaped(monkeypatch):
    from micrograd.views import live

    def boom(*args, **kwargs):
        raise RuntimeError(IMAGE)

    monkeypatch.setattr(live.LiveFeed, "update", boom)  # fails inside the Train page's guard
    at = app()
    errors = messages(at, "error")
    assert "Something went wrong" in errors and text.md(IMAGE) in errors and IMAGE not in errors
