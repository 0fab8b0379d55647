"""Streamlit glue of the live views: the JS/CSS files next to this module, mounted with st.components.v2.

Python API (for every page with a live view):

- ``library()``: mounts the shared JS library (every file in ``LIBRARY``) and the CSS, once per full script run;
  ui.controls.run_controls calls it in the sidebar, so every page has it. A tick then sends data, not code:
  st.components.v2 re-sends a component's JS with every update, so each view's own component is a few lines that
  hand its element to the library (``globalThis.mgLive.mount(kind, component)``).
- ``view(kind, payload, key, **callbacks)``: mounts (or updates) a view registered in JS as
  ``mgLive.views[kind]``; payload is ``micrograd.views.live.encode(...)`` bytes. The element keeps its key, so it
  never re-mounts; callbacks are ``on_<trigger>_change`` (the train view triggers ``pick``, a training point, and ``drawn``, the
  points of Draw mode: ``{kind, x, y, c}``).
- ``run_status(state, step, budget, tick)``: the sidebar's status line; while a view plays, it shows the step on
  screen; tick is the live tick's length, the players' unit.
- ``trainer_step(step, key)``: where no view plays, each tick's trainer step for that status line.

A new view: add its JS file (defining ``mgLive.views.<kind> = (component) => cleanup`` and using ``mgLive.Player``
for playback) to LIBRARY, then call ``view("<kind>", payload, key=...)`` from a fragment.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import streamlit as st

HERE = Path(__file__).parent
LIBRARY = [
    "nav.js",
    "player.js",
    "paint.js",
    "tab.js",
    "run_buttons.js",
    "train_net.js",
    "train_view.js",
    "draw.js",
    "net_view.js",
]  # in order
STYLES = ["live.css"]

LIB_JS = """
export default function () {
  const g = globalThis;
  g.mgLiveReady ??= new Promise((r) => (g.mgLiveResolve = r));
  g.mgLiveResolve(g.mgLive);
}
"""

VIEW_JS = """
export default async function (component) {
  const g = globalThis;
  g.mgLiveReady ??= new Promise((r) => (g.mgLiveResolve = r));
  const lib = await g.mgLiveReady;
  return lib.mount("%s", component);
}
"""


@cache
def _source(names: tuple[str, ...]) -> str:
    return "\n".join((HERE / n).read_text(encoding="utf-8") for n in names)


@cache
def _library():
    js = _source(tuple(LIBRARY)) + LIB_JS
    return st.components.v2.component("mg_live_lib", js=js, css=_source(tuple(STYLES)), isolate_styles=False)


@cache
def _view(kind: str):
    return st.components.v2.component(f"mg_live_{kind}", js=VIEW_JS % kind, isolate_styles=False)


def library() -> None:
    """Mount the shared JS library and styles (call once per full run, outside fragments)."""
    _library()(key="mg_live_lib")


def view(kind: str, payload: bytes, key: str, **callbacks: Any) -> Any:
    """Mount or update the live view ``kind`` with an encoded payload; returns the component's result."""
    return _view(kind)(key=key, data=payload, **callbacks)


def trainer_step(step: int, key: str) -> None:
    """On a page part with no playing view (the Graph page's "Why training fails"): the trainer's step, which the
    sidebar's status then says while running (QA: it stood still there while training went on)."""
    _view("step")(key=key, data={"step": int(step)})


def run_status(state: str, step: int, budget: int, tick: float) -> None:
    """The run's status line (state · step / budget); a playing view keeps its step current. It also tells the
    views how many seconds a live tick is: their players' limits are set in ticks."""
    data = {"state": state, "step": int(step), "budget": int(budget), "tick": float(tick)}
    _view("status")(key="mg_run_status", data=data)
