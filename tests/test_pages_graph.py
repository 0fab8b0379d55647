"""The Graph and Sandbox pages through AppTest: each ``at.run()`` is one tick (run_every never fires here).

After the first run, AppTest re-executes the switched-to page file directly (no sidebar), so training is driven
through session state (``running``) the way the sidebar's Start and Pause buttons set it.
"""

import re
import time
from pathlib import Path

import numpy as np
from streamlit.testing.v1 import AppTest

from micrograd.fast import numeric
from micrograd.views import graph as G
from micrograd.views import graph_live as GL
from micrograd.views import live
from ui import graph_network

ROOT = Path(__file__).resolve().parent.parent
ENGINE = "compiled"
NODE = re.compile(r"^\s*n(?:[0-9a-f]{8}_)?(\d+) \[(.*)\];$", re.M)  # the page names nodes n<shape key>_<id>


def page(name: str, **params: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    at.query_params.update({"engine": ENGINE, **params})
    at.run()
    at.switch_page(f"pages/{name}.py").run()
    assert not at.exception, at.exception
    return at


def dots(at: AppTest) -> list[str]:
    return [g.proto.spec for g in at.get("graphviz_chart")]


def views(at: AppTest) -> list[tuple[dict, dict]]:
    """The live graph view's payloads (header, arrays), decoded as the browser decodes them."""
    return [GL.decode(c.proto.bytes) for c in at.get("bidi_component") if c.proto.component_name == "mg_graph_view"]


def shown(at: AppTest) -> tuple[dict, dict[int, tuple[str, float, float]]]:
    """The view's header and, for the frame on screen (the last one), node id -> (title, value, gradient)."""
    ((h, a),) = views(at)
    titles = h["static"]["titles"]
    n = len(titles)
    vals, grads = a["values"][-n:], a["grads"][-n:]
    return h, {i: (titles[i], float(vals[i]), float(grads[i])) for i in range(n)}


def texts(at: AppTest, kind: str) -> str:
    return "\n".join(str(e.value) for e in getattr(at, kind))


def title_of(dot: str) -> str:
    return re.search(r'labelloc=t, label="([^"]*)"', dot).group(1)


def test_small_net_draws_every_scalar_op_with_values_and_grads():
    at = page("graph", layers="4")
    tr = at.session_state["trainer"]
    assert tr.model.sizes == [2, 4, 1]
    assert "every scalar operation" in texts(at, "info") and not at.error
    assert not dots(at)  # the live view is the canvas component; Graphviz stays for export
    header, nodes = shown(at)
    assert len(nodes) == G.graph_size(tr.model, "svm") == 54
    x, y = tr.dataset.X_train[0], tr.dataset.y_train[0]
    expected = G.snapshot(tr.model, x, y, "svm", 0, tr.dataset.feature_names)
    for n in expected.nodes:  # every node carries its value and gradient (float32 on the wire)
        title, value, grad = nodes[n.id]
        assert value == float(np.float32(n.data)) and grad == float(np.float32(n.grad))
        assert title == (n.name or (n.op if n.kind != "const" else "const") or n.kind)
    assert header["static"]["kinds"] == list(G.KINDS) and header["steps"] == [0]
    assert "Fill = gradient" in texts(at, "caption")
    assert [b.label for b in at.get("download_button")][:1] == ["DOT"]


def test_default_net_shows_every_scalar_op_in_the_live_view():
    at = page("graph")  # the default 2-16-16-1: 986 nodes, laid out once, panned and zoomed in the browser
    tr = at.session_state["trainer"]
    assert "every scalar operation" in texts(at, "info") and not dots(at)
    header, nodes = shown(at)
    assert len(nodes) == 986 == G.graph_size(tr.model, "svm")
    assert len(header["static"]["titles"]) == 986 and header["mode"] == "live"


def test_big_net_shows_neurons_and_opens_one():
    at = page("graph", layers="24,24")  # 2,050 scalar nodes: more than the scalar view shows
    assert "each neuron is one node" in texts(at, "info")
    (dot,) = dots(at)
    neurons = set(re.findall(r"^\s*(h\d+_\d+) \[", dot, re.M))
    assert len(neurons) == 24 + 24 + 1 and not NODE.findall(dot)  # no scalar nodes
    at.selectbox(key="g_neuron").set_value("1.3").run()
    assert not at.exception
    top, detail = dots(at)
    # the Train page's name (h2.4, counted from 1) beside the parameters' (layers.1.3, from 0)
    assert top == dot and title_of(detail).startswith("neuron h2.4 (layers.1.3) at step 0;")
    assert [s.value for s in at.subheader if s.value.startswith("Neuron ")] == ["Neuron h2.4 (layers.1.3)"]
    assert at.selectbox(key="g_neuron").format_func("2.0") == "out.1 (layers.2.0)"
    names = set(re.findall(r"<B>([^<\s]+)", detail))
    assert {"layers.1.3.z", "layers.1.3.a", "layers.1.bias.3", "layers.1.weight.3.19"} <= names
    assert len(NODE.findall(detail)) == 24 + 1 + 24 + 24 + 24 + 1  # inputs, bias, weights, muls, adds, relu


def test_training_takes_snapshots_that_the_slider_scrubs_and_diffs():
    at = page("graph", layers="4", steps="200", speed="50")  # the tick trains the steps due by wall clock
    at.number_input(key="g_every").set_value(5).run()
    # AppTest's switch_page renders no sidebar here, so the URL's speed is gone (in the browser the Graph page's
    # slider reads 50): give the tick the speed the URL asked for
    at.session_state["w_speed"] = 50
    at.session_state["running"] = True
    full_runs = []  # AppTest runs every tick as a full run, and a full run snapshots the step it starts at
    while len(full_runs) < 3 or at.session_state["trainer"].step_count <= 10:  # ticks, past step 10
        assert len(full_runs) < 40, full_runs
        time.sleep(0.2)  # 10 steps are due at 50 steps per second (a tick owes at most one second's worth)
        full_runs.append(at.session_state["trainer"].step_count)
        at.run()
    at.session_state["running"] = False  # pausing: the next full run snapshots the paused step
    at.run()
    tr, s = at.session_state["trainer"], at.session_state["snapshots"]
    steps = [snap.step for snap in s.snapshots]
    assert tr.step_count > 10 and steps[0] == 0 and steps[-1] == tr.step_count
    assert all(k % 5 == 0 or k in full_runs for k in steps[1:-1]) and len(steps) >= 3, (steps, full_runs)
    assert any(k % 5 == 0 and k not in full_runs for k in steps[1:-1]), steps  # the ticks' own every-5 snapshots
    header, _ = shown(at)
    assert header["steps"][-1] == tr.step_count and header["mode"] == "live"  # following the newest
    at.toggle(key="g_follow").set_value(False).run()
    at.select_slider(key="g_pick").set_value(1).run()
    first, nodes1 = shown(at)
    assert first["steps"] == [steps[1]] and first["mode"] == "still"
    at.select_slider(key="g_pick").set_value(2).run()
    second, nodes2 = shown(at)
    assert second["steps"] == [steps[2]] and nodes2 != nodes1
    at.toggle(key="g_diff").set_value(True).run()
    ((diff, arrays),) = views(at)
    assert diff["diff"] and f"Δ since step {steps[1]}" in diff["title"]
    a, b = s.snapshots[1], s.snapshots[2]
    for n in b.nodes:
        if n.kind == "param":  # the browser shows value - previous value of these two float32 arrays
            assert arrays["values"][n.id] == np.float32(n.data)
            assert arrays["prev_values"][n.id] == np.float32(a.nodes[n.id].data)


def test_snapshots_taken_on_the_train_page_are_the_graph_pages_history():
    at = page("train", layers="4", steps="200")
    at.session_state["running"] = True
    for _ in range(100):  # ticks train by wall clock (20 steps/s here): rerun until past two snapshots' steps
        time.sleep(0.1)
        at.run()
        if at.session_state["trainer"].step_count > 20:
            break
    at.session_state["running"] = False
    at.run()
    tr, before = at.session_state["trainer"], at.session_state["snapshots"].steps()
    assert tr.step_count > 10 and 10 in before and all(k % 10 == 0 for k in before), before  # the ticks' own
    at.switch_page("pages/graph.py").run()
    assert not at.exception, at.exception
    after = at.session_state["snapshots"].steps()
    assert after[: len(before)] == before and after[-1] == tr.step_count  # kept, not started over


def net_view(at: AppTest) -> dict | None:
    """The Network tab's live-view update (micrograd.views.live_net), decoded; None when the view is not drawn."""
    for e in at.get("bidi_component"):
        if e.proto.component_name == "mg_live_net":
            return live.decode(e.proto.bytes)
    return None


def test_the_network_tab_is_the_live_network_view_fed_every_tick():
    at = page("graph", layers="3")
    at.run()
    assert net_view(at) is None  # only the open tab is drawn
    at.session_state["g_tab"] = "Network"
    at.run()
    first = net_view(at)
    assert first is not None and first["static"]["sizes"] == [2, 3, 1] and first["status"]["state"] == "ready"
    (frame,) = first["frames"]
    tr = at.session_state["trainer"]
    want = np.concatenate([np.r_[lay.weight.ravel(), lay.bias] for lay in numeric.layers_of(tr.model)])
    assert frame["step"] == 0 and np.array_equal(frame["net"]["weights"], want.astype(np.float32))
    assert len(frame["net"]["thumbs"]) == first["static"]["thumb_n"] ** 2 * 4  # one thumbnail per neuron
    at.session_state["running"] = True
    at.run()  # a tick: the steps trained, each frame a network picture
    tick = net_view(at)
    steps = [f["step"] for f in tick["frames"]]
    assert tick["status"]["state"] == "running" and tr.step_count > 0
    assert steps == sorted(steps) and steps[-1] == tr.step_count and all("net" in f for f in tick["frames"])


def test_a_click_on_a_neuron_in_the_network_view_opens_it_in_the_graph_tab(monkeypatch):
    state: dict = {}
    monkeypatch.setattr(graph_network.st, "session_state", state)  # the trigger's callback, outside a script run
    sizes = (2, 3, 1)
    graph_network._on_neuron(sizes)  # nothing picked yet
    for bad in ("9.0", "0.7", "2.0", "x.1", "1", "0.1.2", 3, "1e3.0", "-1.0", "00000001.0"):
        state["live_net"] = {"neuron": bad}
        graph_network._on_neuron(sizes)  # hostile or stale names from the browser are ignored
        assert "g_full_rerun" not in state, bad
    state["live_net"] = {"neuron": "0.2"}
    graph_network._on_neuron(sizes)
    assert (state["g_neuron"], state["g_tab"], state["g_full_rerun"]) == ("0.2", "Computation graph", True)
    monkeypatch.undo()
    at = page("graph", layers="3")  # what the page then shows: the neuron's scalar operations
    for k in ("g_neuron", "g_tab", "g_full_rerun"):
        at.session_state[k] = state[k]
    at.run()
    assert not at.exception and any(h.value == "Neuron h1.3 (layers.0.2)" for h in at.subheader)
    assert not at.error, [e.value for e in at.error]  # the page's guard turns an exception into an error box
    header, nodes = shown(at)  # one neuron's part of the graph: the view still knows the net has 2 layers
    assert header["layers"] == 2 and not any(t.startswith("layers.1.") for t, _, _ in nodes.values())


def test_bad_examples_get_messages_not_tracebacks():
    at = page("graph", layers="4")
    at.number_input(key="g_index").set_value(999).run()
    assert "Training point 999 does not exist" in texts(at, "error") and not at.exception
    at.radio(key="g_source").set_value("typed").run()
    at.text_input(key="g_coords").set_value("1.5, abc").run()
    assert "'abc' is not a number" in texts(at, "error") and not at.exception
    at.text_input(key="g_coords").set_value("1.5").run()
    assert "got 1 coordinates but the data has 2 features" in texts(at, "error")
    at.text_input(key="g_coords").set_value("1.5, -0.25").run()
    at.selectbox(key="g_label").set_value(-1.0).run()
    assert not at.error and "x = (1.5000, -0.2500), y = -1.0000" in shown(at)[0]["title"]


def test_sandbox_readme_preset():
    at = page("sandbox")
    assert at.selectbox(key="s_preset").value == "micrograd README"
    assert [m.value for m in at.metric] == ["24.7041"]
    table = at.dataframe[0].value.set_index("name")
    assert f"{table.loc['a', 'autograd']:.4f}" == "138.8338" and f"{table.loc['b', 'autograd']:.4f}" == "645.5773"
    assert "g = 24.7041" in dots(at)[0]


def test_sandbox_expression_graph_and_gradient_check():
    at = page("sandbox")
    at.text_area(key="s_text").set_value("p*q + (p/q).exp() - q.tanh()").run()
    assert [n.key for n in at.number_input] == ["s_var_p", "s_var_q"]
    at.number_input(key="s_var_p").set_value(0.7).run()
    at.number_input(key="s_var_q").set_value(-1.3).run()
    table = at.dataframe[0].value
    assert table["name"].tolist() == ["p", "q"] and table["value"].tolist() == [0.7, -1.3]
    assert (abs(table["autograd"] - table["central difference"]) < 1e-6).all()
    assert abs(table["autograd"][0] - (-1.3 + 2.718281828459045 ** (0.7 / -1.3) / -1.3)) < 1e-9
    (dot,) = dots(at)
    assert "<B>p</B>" in dot and "<B>q</B>" in dot and "tanh" in dot


def test_sandbox_rejects_code_and_points_at_the_column(tmp_path):
    target = tmp_path / "pwned"
    at = page("sandbox")
    at.text_area(key="s_text").set_value(f"__import__('os').system('touch {target}')").run()
    assert "calling functions" in texts(at, "error") and not at.exception
    assert not target.exists() and not dots(at) and not at.dataframe
    at.text_area(key="s_text").set_value("a * b + c $ 2").run()
    assert "syntax error at column 11" in texts(at, "error")
    assert at.code[0].value == "a * b + c $ 2\n          ^"


def test_sandbox_overflow_gets_a_note():
    at = page("sandbox")
    at.text_area(key="s_text").set_value("a ** 10**10**10").run()
    assert [m.value for m in at.metric] == ["inf"]
    assert "Overflow: 10 ** 1e+10 = inf" in texts(at, "warning") and not at.exception
    at.text_area(key="s_text").set_value("a * 2").run()
    assert not at.warning


def test_a_big_net_trains_as_the_live_network_picture_and_shows_its_neurons_when_paused():
    at = page("graph", layers="24,24")  # 2,050 scalar nodes: the neuron view
    at.session_state["running"] = True
    at.run()  # a tick: Graphviz would lay the whole net out anew on every update, for seconds
    assert not at.exception and not dots(at)
    view = net_view(at)
    assert view is not None and view["static"]["sizes"] == [2, 24, 24, 1] and view["status"]["state"] == "running"
    assert any("press **Pause** to see one node per neuron" in c.value for c in at.caption)
    at.session_state["running"] = False
    at.run()
    (dot,) = dots(at)  # paused: one node per neuron, with its value and gradient
    assert len(set(re.findall(r"^\s*(h\d+_\d+) \[", dot, re.M))) == 24 + 24 + 1 and net_view(at) is None
    # no legend row in the picture (the caption below says it): its ten nodes in a row made the picture ~1,500 pt
    # wide, shrunk to 9 px labels on the page; without it a 32-32-32 net draws 13 px labels (Chromium, 1500 px)
    assert "cluster_legend" not in dot and "cluster_legend" in G.neuron_dot(at.session_state["snapshots"].snapshots[-1])


def test_an_example_with_zero_loss_says_why_its_gradients_are_all_zero():
    at = page("graph")  # the default: SVM loss, training point 0
    assert not any("loss is exactly 0" in m.value for m in at.info)
    tr = at.session_state["trainer"]
    tr.run()  # the budget of 100 steps: the network learns the moons, point 0 ends up past the margin
    at.run()
    snap = at.session_state["snapshots"].snapshots[-1]
    assert snap.step == tr.step_count == 100 and snap.loss == 0.0
    assert all(n.grad == 0 for n in snap.nodes if n.name != "loss")
    note = [m.value for m in at.info if "loss is exactly 0" in m.value]
    assert note and "At step 100" in note[0] and "SVM" in note[0]


def test_while_training_the_zero_loss_note_names_no_step_and_the_caption_tells_snapshots_from_the_live_picture():
    at = page("graph")
    tr = at.session_state["trainer"]
    tr.run()  # point 0 ends up past the SVM margin
    tr.update(steps=3000)  # a raised budget: training can go on
    at.session_state["running"] = True
    at.run()  # a full run while training: the live picture plays steps around the newest snapshot's
    assert at.session_state["running"] and tr.step_count > 100
    note = [m.value for m in at.info if "loss is exactly 0" in m.value]
    assert note and note[0].startswith("By now") and "At step" not in note[0]
    captions = "\n".join(c.value for c in at.caption)
    assert (
        "The live picture follows training as it runs" in captions and "a snapshot is kept every 10 steps" in captions
    )


def test_the_graph_pages_status_line_says_what_the_sidebar_says():
    at = page("graph")
    assert any(c.value.startswith("**ready** · a budget of") for c in at.caption)
    tr = at.session_state["trainer"]
    tr.run()  # the whole budget: the run is finished, not paused
    at.run()
    assert tr.status == "finished"
    assert any(c.value.startswith("**finished** · a budget of 100 steps") for c in at.caption), [
        c.value for c in at.caption
    ]


def test_a_run_that_diverges_says_why_on_the_graph_page_too():
    at = page("graph", lr="10", lr_end="10", loss="mse", activation="linear", speed="20", layers="4")
    tr = at.session_state["trainer"]
    while tr.step() is not None:  # as the Graph page's ticks would, until it diverges
        pass
    at.run()
    assert tr.status == "diverged"
    err = texts(at, "error")  # it showed "diverged" in the status line only, with Start and Step greyed
    assert f"Training diverged at step {tr.step_count}" in err and "Press **Reset** to start again." in err


def test_a_regression_example_says_its_target_in_both_units():
    from micrograd.views import classes

    at = page("graph", dataset="sine", layers="4")
    d = at.session_state["trainer"].dataset
    raw = float(classes.targets(d.y_train, d.target_scaling)[0])
    said = f"target y = {float(d.y_train[0]):.3f} standardised ({raw:.3f} in the data's units)"
    assert said in texts(at, "caption")  # the Train page's tooltip says the data's units; this said only 1.714
    at.radio(key="g_source").set_value("typed").run()
    assert [w.label for w in at.number_input if w.key == "g_target_0"] == ["Target y (standardised)"]


def test_the_graph_pages_own_step_and_reset_do_what_the_sidebars_do():
    """The row a phone or a folded sidebar shows (ui.page_run_buttons): a diverged run says "press Reset" (QA)."""
    at = page("graph", layers="4", steps="50")
    first = at.session_state["trainer"]
    weights = [p.data for p in first.model.parameters()]
    at.button(key="graph_step_btn").click().run()
    assert not at.exception, at.exception
    assert first.step_count == 1 and not at.session_state["running"]
    header, _ = shown(at)
    assert header["steps"][-1] == 1  # the graph shows the step just taken
    at.button(key="graph_reset_btn").click().run()
    tr = at.session_state["trainer"]
    assert tr is not first and tr.step_count == 0
    assert [p.data for p in tr.model.parameters()] == weights  # re-initialised from the same seed
    assert shown(at)[0]["steps"][-1] == 0
    assert at.button(key="graph_start_btn").disabled is False and at.button(key="graph_pause_btn").disabled
