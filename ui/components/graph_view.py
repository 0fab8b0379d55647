"""Streamlit glue of the live graph view: graph_view.js/.css next to this file, mounted with st.components.v2.

st.components.v2 sends a component's JS and CSS with every update, so the code travels in a library component
mounted once per full run (``library()``, outside the live fragment) and the view's own component is a stub
that hands its element to ``globalThis.mgGraph``. Payloads are ``micrograd.views.graph_live.payload`` bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import streamlit as st

HERE = Path(__file__).parent

LIB_JS = """
export default function () {
  const g = globalThis;
  g.mgGraphReady ??= new Promise((r) => (g.mgGraphResolve = r));
  g.mgGraphResolve(g.mgGraph);
}
"""

VIEW_JS = """
export default async function (component) {
  const g = globalThis;
  g.mgGraphReady ??= new Promise((r) => (g.mgGraphResolve = r));
  const lib = await g.mgGraphReady;
  return lib.mount(component);
}
"""


@cache
def _library():
    js = (
        "\n".join(
            (HERE / n).read_text(encoding="utf-8")
            for n in ("nav.js", "graph_codec.js", "graph_text.js", "graph_view.js", "lesson.js")
        )
        + LIB_JS
    )
    css = (HERE / "graph_view.css").read_text(encoding="utf-8")
    return st.components.v2.component("mg_graph_lib", js=js, css=css, isolate_styles=False)


@cache
def _view():
    return st.components.v2.component("mg_graph_view", js=VIEW_JS, isolate_styles=False)


def library() -> None:
    """Mount the view's JS and CSS (once per full run, outside fragments)."""
    _library()(key="mg_graph_lib")


def graph_view(
    payload: bytes,
    key: str = "graph_view",
    on_select: Callable[[], None] | None = None,
    on_need: Callable[[], None] | None = None,
) -> Any:
    """Mount or update the live graph view; returns its result (``.select``: the clicked node, ``.need``)."""
    return _view()(
        key=key,
        data=payload,
        on_select_change=on_select or (lambda: None),
        on_need_change=on_need or (lambda: None),
    )
