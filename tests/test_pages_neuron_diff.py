"""Graph page: a neuron opened into its scalar operations, shown as the change since the previous snapshot."""

import re
from pathlib import Path

from streamlit.testing.v1 import AppTest

from micrograd.views import graph as G

ROOT = Path(__file__).resolve().parent.parent
NODE = re.compile(r"^\s*n(?:[0-9a-f]{8}_)?(\d+) \[(.*)\];$", re.M)  # the page names nodes n<shape key>_<id>


def test_opened_neuron_shows_its_change_since_the_previous_snapshot():
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    at.query_params.update({"steps": "200", "layers": "24,24"})  # 2-24-24-1: over 2,000 scalar nodes, the neuron view
    at.run()
    at.switch_page("pages/graph.py").run()
    at.number_input(key="g_every").set_value(2).run()
    at.session_state["running"] = True
    at.run()
    at.session_state["running"] = False
    at.run()
    s = at.session_state["snapshots"]
    assert len(s) >= 2
    at.selectbox(key="g_neuron").set_value("0.3").run()
    at.toggle(key="g_diff").set_value(True).run()  # raised IndexError: tuple index out of range
    assert not at.exception and not at.error, (at.exception, [e.value for e in at.error])
    detail = [g.proto.spec for g in at.get("graphviz_chart")][1]
    prev, last = s.snapshots[-2], s.snapshots[-1]
    assert f"Δ since step {prev.step}" in detail
    nodes = dict(NODE.findall(detail))
    before = G.neuron_detail_snapshot(s.model_at(len(s) - 2), 0, 3, prev.x, prev.y, prev.loss_name, prev.step)
    now = G.neuron_detail_snapshot(s.model_at(len(s) - 1), 0, 3, last.x, last.y, last.loss_name, last.step)
    old = {n.id: n for n in before.nodes}
    assert len(now.nodes) < max(n.id for n in now.nodes)  # ids are the full graph's: a subset, not 0..k
    for n in now.nodes:  # each node's Δdata is against the same node (by id) of the previous snapshot
        d = n.data - old[n.id].data
        assert f"Δdata {('+' if d > 0 else '') + G.format_number(d)}" in nodes[str(n.id)]
