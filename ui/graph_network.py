"""The Graph page's Network tab: the live network view (micrograd.views.live_net), larger than the Train page's."""

from __future__ import annotations

from functools import partial

import streamlit as st

from micrograd.studio import trainer as training
from micrograd.views import live
from micrograd.views.live_net import NetFeed
from ui.components import live as components
from ui.controls import steps_per_second, view_speed
from ui.session import run_state

KEY = "live_net"


def feed() -> NetFeed:
    """This session's network-view feed: what the browser holds, and the steps recorded since the last tick."""
    ss = st.session_state
    if not isinstance(ss.get("g_net_feed"), NetFeed):
        ss["g_net_feed"] = NetFeed()
    return ss["g_net_feed"]


def _on_need() -> None:
    """The view has no static part (a new element without a full run): send it, and the current state, again."""
    feed().invalidate()


def _on_neuron(sizes: tuple[int, ...]) -> None:
    """A click on a neuron opens its scalar operations in the Computation graph tab (a full run: the choice sits
    above the page's fragment). The name comes from the browser: only a neuron of this network is taken."""
    ss = st.session_state
    name = (ss.get(KEY) or {}).get("neuron")
    parts = name.split(".") if isinstance(name, str) else []
    if len(parts) != 2 or not all(p.isdigit() and len(p) < 6 for p in parts):
        return
    layer, j = int(parts[0]), int(parts[1])
    if layer < len(sizes) - 1 and j < sizes[layer + 1]:
        ss["g_neuron"], ss["g_tab"], ss["g_full_rerun"] = f"{layer}.{j}", "Computation graph", True


def draw(tr: training.Trainer) -> None:
    """Send the view what changed since the last tick (the static part when new, the recorded steps, the status)."""
    f = feed()
    f.set_speed(view_speed(), tr.model.sizes)
    payload = live.encode(f.update(tr, state=run_state(tr), sps=steps_per_second()))
    on_neuron = partial(_on_neuron, tuple(tr.model.sizes))
    components.view("net", payload, key=KEY, on_neuron_change=on_neuron, on_need_change=_on_need)
    st.session_state["g_net_drawn"] = True
