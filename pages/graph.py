"""Graph page: one example's computation graph with values and gradients, snapshots over training, the network."""

from __future__ import annotations

import math
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import streamlit as st

import ui
from micrograd.studio import diagnostics
from micrograd.studio.config import NO_BUDGET
from micrograd.views import graph as G
from micrograd.views import graph_live as GL
from micrograd.views import health, text
from micrograd.views import series as S
from micrograd.views.names import neuron_title
from ui import graph_network
from ui import lesson as lesson_ui
from ui.components import graph_view
from ui.components import live as components

EVERY_MAX = 10_000
NO_NEURON = "none"
EXAMPLE_TITLES = {"point": "a training point", "typed": "type coordinates and a label"}

if "trainer" not in st.session_state:  # a fresh session needs dashboard.py's state and sidebar first
    ui.require_dashboard("pages/graph.py")
st.title("Computation graph")
st.caption(
    "The real scalar graph the engine builds for **one example** through its loss: every node shows its value "
    "(forward pass) and its gradient d loss / d node (backward pass). "
    + ("While training runs, watch them change." if ui.is_running() else "Press **Start** and watch them change.")
)
ui.show_notices()
ui.show_run_error(ui.get_trainer())  # a diverged run says why here too, not only on the Train page
ui.page_run_buttons("graph")  # where the sidebar's are out of sight (a phone, a folded sidebar): in the first screen
with ui.guard("showing the lesson"):
    PROJECTOR = lesson_ui.preset_banner()
graph_view.library()  # the live view's JS and CSS, sent once per full run
st.session_state.pop("g_static_sent", None)  # a full run may be a reload or a page switch: resend the layout
graph_network.feed().invalidate()  # and the network view's static part


@dataclass(frozen=True)
class Options:
    """What the controls above the live fragment chose."""

    follow: bool
    pick: int
    diff: bool
    neuron: str
    lesson: bool


def series() -> GL.LiveSeries:
    """This session's snapshot series (made by init_state, filled by every page's ticks), which also records this
    view's frames; a replayed run's own series while one is replayed."""
    ss = st.session_state
    key = "g_replay_series" if lesson_ui.replaying() is not None else "snapshots"
    if not isinstance(ss.get(key), GL.LiveSeries):
        ss[key] = GL.LiveSeries()
    return ss[key]


def parse_coordinates(typed: str, names: list[str]) -> tuple[float, ...]:
    """Typed coordinates as floats; ValueError says what is wrong and what to type."""
    parts = [p.strip() for p in typed.replace(";", ",").split(",")]
    want = f"type {len(names)} numbers separated by commas, for {', '.join(names)} (e.g. {', '.join(['0.5'] * len(names))})"
    if len(parts) != len(names):
        raise ValueError(f"got {len(parts)} coordinates but the data has {len(names)} features: {want}")
    xs = []
    for name, p in zip(names, parts):
        try:
            v = float(p)
        except ValueError:
            raise ValueError(f"{name} = {p!r} is not a number: {want}") from None
        if not math.isfinite(v):
            raise ValueError(f"{name} = {p!r} must be a finite number: {want}")
        xs.append(v)
    return tuple(xs)


def choose_example(s: S.SnapshotSeries) -> str:
    """The example widgets; sets the series' example and returns a problem to show ("" when fine)."""
    d = lesson_ui.trainer().dataset
    n, names = len(d.y_train), list(d.feature_names)
    source = st.radio("Example", ["point", "typed"], key="g_source", horizontal=True, format_func=EXAMPLE_TITLES.get)
    if source == "point":
        # no value=: the Train page sets g_index when a point is clicked on its boundary plot
        i = st.number_input(f"Training point (0 to {n - 1})", min_value=0, step=1, key="g_index")
        st.caption("Tip: click a training point on the Train page's decision-boundary plot to pick it here.")
        if not 0 <= i < n:
            return f"Training point {i} does not exist: the training set has points 0 to {n - 1}. Pick one in range."
        s.set_example(index=int(i))
        x = d.X_train[int(i)]
        # a tiny negative coordinate rounds to 0.000, not -0.000 (QA: the spiral's centre beside the header's 0)
        coords = ", ".join(f"{a} = {f'{v:.3f}'.replace('-0.000', '0.000')}" for a, v in zip(names, x))
        st.caption(text.md(f"{coords}; {lesson_ui.label_text(d, d.y_train[int(i)])}"))  # feature, class names
        return ""
    a, b = st.columns([3, 1])
    typed = a.text_input(f"Coordinates ({text.md_list(names)})", value=", ".join(["0.5"] * len(names)), key="g_coords")
    with b:
        y = lesson_ui.typed_label(d)
    try:
        s.set_example(parse_coordinates(typed, names), y)
    except ValueError as e:
        return f"{e}. The graph keeps the previous example."
    return ""


def controls(s: S.SnapshotSeries) -> Options:
    """Snapshot frequency, scrubbing, diff mode and (in the neuron view) the neuron to open."""
    ss = st.session_state
    tr = lesson_ui.trainer()
    left, right = st.columns(2)
    with left:
        problem = choose_example(s)
        if problem:
            st.error(text.md(problem))  # quotes the typed text and the feature names
    with right:
        every = st.number_input("Snapshot every N steps", 1, EVERY_MAX, value=10, key="g_every")
        s.every = int(every)
        try:
            s.take(tr, force=True)  # on every full run: pauses, steps and example changes get their snapshot
        except ValueError as e:
            st.error(text.md(f"{e}. Pick another example."))
        n = len(s)
        st.caption(  # the count lives in the live caption below: this one is drawn once, and would lag
            f"The live picture follows training as it runs. For the slider and the Δ view, a snapshot is kept every "
            f"{s.every} steps (up to {s.limit}), and one whenever training pauses or the example changes."
        )
        ss.setdefault("g_follow", True)  # no value=: the lesson sets it too, and both drew Streamlit's warning (QA)
        follow = st.toggle("Follow training (show the newest snapshot)", key="g_follow")
        pick = n - 1
        if not follow and n > 1:
            if not (isinstance(ss.get("g_pick"), int) and 0 <= ss["g_pick"] < n):
                ss["g_pick"] = n - 1
            steps = s.steps()
            pick = st.select_slider(
                "Snapshot", options=list(range(n)), key="g_pick", format_func=lambda i: f"step {steps[i]}"
            )
        elif not follow:
            st.caption("Scrubbing needs at least two snapshots: train a few steps first.")
        diff = st.toggle("Show change since the previous snapshot", key="g_diff")
    lesson = lesson_ui.controls()
    view, why = G.choose_view(tr.model, tr.config.loss, tr.task)
    st.info(why)
    neuron = NO_NEURON
    if view == "neuron" or ss.get("g_neuron", NO_NEURON) != NO_NEURON:
        n_layers = len(tr.model.layers)
        options = [NO_NEURON] + [
            f"{li}.{j}" for li, layer in enumerate(tr.model.layers) for j in range(len(layer.neurons))
        ]
        if ss.get("g_neuron") not in options:
            ss["g_neuron"] = NO_NEURON
        neuron = st.selectbox(
            "Open a neuron into its scalar operations",
            options,
            key="g_neuron",
            format_func=lambda o: "(none)" if o == NO_NEURON else neuron_title(*map(int, o.split(".")), n_layers),
        )
    return Options(follow, pick, diff, neuron, lesson)


LEGEND = (
    "**Fill = gradient** d loss / d node (or the value: the *colour* button): blue > 0, orange < 0, white 0, "
    "deeper = larger on a log scale over four decades below the largest. **Border = kind**: green input, dashed "
    "green label y, purple parameter, dotted grey constant, thin grey operation, thick black the loss. "
    "Scroll or use the buttons to zoom, drag to pan, click a node for its numbers and its neighbours."
)
NEURON_LEGEND = (
    "Each ellipse is a neuron: z is its weighted sum, a its activation; fill = d loss / d a (blue > 0, orange < 0). "
    "Edges are weights: blue w > 0, orange w < 0, width ∝ |w|; hover an edge for w and d loss / d w."
)


def exports(dot: Callable[[], str] | str, name: str, key: str) -> None:
    """Download buttons: DOT always; SVG and PNG when Graphviz's dot program is installed (built at click time)."""
    cols = st.columns(3)
    make = dot if callable(dot) else (lambda d=dot: d)
    cols[0].download_button("DOT", make, f"{name}.dot", "text/vnd.graphviz", key=f"dl_{key}_dot", on_click="ignore")
    if shutil.which("dot") is None:
        st.caption(
            "SVG/PNG export needs Graphviz's `dot` program (`apt-get install graphviz`, `brew install graphviz`); "
            "the DOT file opens in any Graphviz viewer."
        )
        return
    for col, fmt, mime in ((cols[1], "svg", "image/svg+xml"), (cols[2], "png", "image/png")):
        # rendered at click time on another thread, from the snapshot captured now
        col.download_button(
            fmt.upper(),
            lambda f=fmt: G.render(make(), f),
            f"{name}.{fmt}",
            mime,
            key=f"dl_{key}_{fmt}",
            on_click="ignore",
        )


def _need_static() -> None:
    st.session_state.pop("g_static_sent", None)  # the browser lost the layout (a new element): send it again
    st.session_state.pop("g_lesson_sent", None)  # or the lesson's steps


def example_title(snap: G.Snapshot) -> str:
    """The example and loss in the view's status line."""
    xs = ", ".join(G.format_number(v) for v in snap.x)
    y = f"class {int(snap.y)}" if snap.task == "multiclass" else f"y = {G.format_label(snap.y)}"  # type: ignore[arg-type]
    return f"{snap.loss_name} loss on x = ({xs}), {y}" if snap.x else snap.loss_name


def draw_live(
    s: GL.LiveSeries,
    snap: G.Snapshot,
    prev: G.Snapshot | None,
    follow: bool,
    lesson: int = -1,
    part: tuple[int, ...] | None = None,
) -> None:
    """The scalar graph in the live view: the layout once per architecture, then only the numbers.

    lesson: the snapshot's index when the step-through is on (read-only: a still picture of that snapshot);
    part: snap is a renumbered part of that snapshot's graph (one neuron), with the full graph's id of each node."""
    ss = st.session_state
    lay = s.layout_of(snap)
    static = GL.static_part(snap, lay) if ss.get("g_static_sent") != lay.key else None
    title = example_title(snap)
    tr = lesson_ui.trainer()
    # what every picture of this view carries: while training, the trainer's step (the sidebar's status says it
    # whatever picture is shown), and the model's depth, which names neurons as the Train page does, even in a part
    send = partial(
        GL.payload,
        lay.key,
        static=static,
        projector=PROJECTOR,
        trainer_step=tr.step_count if ui.is_running() else None,
        layers=len(tr.model.layers),
    )
    lesson_head = None
    if lesson >= 0:
        les = lesson_ui.build(s, lesson, s.snapshots[lesson])
        if part is not None:
            les = les.restrict(part)
        lesson_head = lesson_ui.payload_of(les)
        hidden = lesson_ui.quiz_node(les)
        grads = list(les.grads)
        if hidden is not None:
            grads[hidden] = math.nan  # the gradient to predict is hidden in the picture
        frames = [GL.frame_from(snap.step, les.loss, les.values, grads)]
        data = send(frames, mode="still", title=f"{title} · lesson", lesson=lesson_head)
    elif part is not None:
        frames = [GL.frame_of(snap)]
        data = send(frames, mode="still", title=title)
    elif follow and prev is None:
        frames = s.since(ss.get("g_sent_seq", -1)) or ([s.frames[-1]] if s.frames else [GL.frame_of(snap)])
        data = send(
            frames,
            title=title,
            rate=s.rate() if ui.is_running() else None,
            every=s.frame_every if ui.is_running() else 1,  # paused, the picture is the step the model holds
        )
    else:
        frames = [GL.frame_of(snap)]
        if prev is not None:
            title += f" · Δ since step {prev.step}"
        before = GL.frame_of(prev) if prev is not None else None
        data = send(frames, mode="still", previous=before, title=title)
    result = graph_view.graph_view(data, on_need=_need_static)
    ss["g_static_sent"] = lay.key
    lesson_ui.lesson_sent(lesson_head)
    ss["g_sent_seq"] = frames[-1].seq
    if lesson >= 0:
        lesson_ui.quiz(les)
    if result is not None and getattr(result, "select", None):
        ss["g_selected"] = result.select  # {id, title, step}: the step-through lesson starts from here
    st.caption(LEGEND)


def zero_loss_note(snap: G.Snapshot | G.NeuronSnapshot) -> None:
    """A loss of exactly 0 (an SVM margin met) sends no gradient back: say why every node below it is white."""
    if snap.loss == 0:
        # while training, the live picture plays steps before and after this snapshot's: name none of them
        when = "By now" if ui.is_running() else f"At step {snap.step}"
        st.info(
            f"{when} this example's loss is exactly 0 (it is past the margin of the "
            f"{snap.loss_name.upper()} loss), so d loss / d node is 0 for every node below the loss and the picture "
            "is white: this example no longer teaches the network anything. To watch gradients flow, pick a point "
            "the network gets wrong or nearly wrong (click one on the Train page's boundary), or train with BCE, "
            "whose loss is never exactly 0."
        )


def draw_graph(s: GL.LiveSeries, opts: Options) -> None:
    """The chosen snapshot: the whole scalar graph, or one node per neuron plus an opened neuron."""
    snaps = s.snapshots
    if not snaps:
        st.info("No snapshot yet: pick an example above that fits the data.")
        return
    i = len(snaps) - 1 if opts.follow else min(opts.pick, len(snaps) - 1)
    snap = snaps[i]
    prev = snaps[i - 1] if opts.diff and i > 0 else None
    if opts.diff and prev is None:
        st.caption("This is the first snapshot, so there is nothing to compare with yet; showing values.")
    elif prev is not None and (prev.x, prev.y) != (snap.x, snap.y):
        st.caption("The previous snapshot traced another example, so the change mixes both effects.")
    stepping = opts.lesson and not ui.is_running()
    if opts.lesson and ui.is_running():
        st.caption("Pause training to step through one training step of the current snapshot.")
    if isinstance(snap, G.Snapshot) and opts.neuron == NO_NEURON:
        draw_live(s, snap, None if stepping else prev, opts.follow, i if stepping else -1)
        zero_loss_note(snap)
        exports(lambda: G.to_dot(snap, prev, show="diff" if prev else "value"), f"graph-step{snap.step}", "graph")
        return
    if isinstance(snap, G.Snapshot) or (stepping and opts.neuron != NO_NEURON):
        draw_neuron_live(s, i, opts.neuron, stepping)  # one neuron's scalar operations in the live view
        return
    if ui.is_running():  # Graphviz lays a big net out anew on every update, for seconds: the live picture instead
        st.caption(
            "While training, a network this big is shown live as its network picture (weights and activations); "
            "press **Pause** to see one node per neuron with its value and gradient."
        )
        graph_network.draw(lesson_ui.trainer())
        return
    dot = G.neuron_dot(snap, prev, legend=False)  # NEURON_LEGEND below says it; the legend row made it wide
    st.graphviz_chart(dot, width="stretch")
    st.caption(NEURON_LEGEND)
    zero_loss_note(snap)
    exports(lambda: G.neuron_dot(snap, prev), f"neurons-step{snap.step}", "graph")  # a file keeps its legend
    if opts.neuron == NO_NEURON:
        return
    layer, j = (int(k) for k in opts.neuron.split("."))
    names = [r[0] for r in snap.inputs]

    def detail(k: int) -> G.Snapshot:
        sk = snaps[k]
        return G.neuron_detail_snapshot(s.model_at(k), layer, j, sk.x, sk.y, sk.loss_name, sk.step, names, sk.task)

    one = detail(i)
    before = detail(i - 1) if prev is not None else None
    name = neuron_title(layer, j, snap.n_layers)
    title = f"neuron {name} at step {snap.step}; grads are d({snap.loss_name} loss) / d node"
    if before is not None:
        title += f"; Δ since step {prev.step}"
    show = "diff" if before else "value"
    ddot = G.to_dot(one, before, show=show, title=title, legend=False, keyed=True)  # LEGEND below says it
    st.subheader(f"Neuron {name}")
    st.graphviz_chart(ddot, width="stretch")
    st.caption(LEGEND)
    exports(lambda: G.to_dot(one, before, show=show, title=title), f"neuron-{layer}.{j}-step{snap.step}", "neuron")


def draw_neuron_live(s: GL.LiveSeries, i: int, neuron: str, stepping: bool) -> None:
    """One neuron's scalar operations (from the neuron view, or a click in the network) in the live view."""
    snap = s.snapshots[i]
    layer, j = (int(k) for k in neuron.split("."))
    tr = lesson_ui.trainer()
    names, name = list(tr.dataset.feature_names), neuron_title(layer, j, len(tr.model.layers))
    part = G.neuron_detail_snapshot(
        s.model_at(i), layer, j, snap.x, snap.y, snap.loss_name, snap.step, names, snap.task
    )
    small, ids = G.compact(part)
    st.subheader(f"Neuron {name}")
    draw_live(s, small, None, False, i if stepping else -1, ids)
    exports(lambda: G.to_dot(part), f"neuron-{layer}.{j}-step{snap.step}", "neuron")


@st.fragment(run_every=ui.TICK_SECONDS if ui.is_running() else None)
def live(opts: Options) -> None:
    """Train a few steps (when running), snapshot, and redraw the graph and the network."""
    if st.session_state.pop("g_full_rerun", False):
        st.rerun()  # a click in the network view chose a neuron (above this fragment)
    with ui.guard("training"):
        tr = lesson_ui.trainer()
        s = series()
        s.wall_rate = ui.steps_per_second()  # over the last ticks (None at first): the frame stride and the rate shown
        # a snapshot after every step on a multiple of N, and the frames of the view that shows them
        big = G.choose_view(tr.model, tr.config.loss, tr.task)[0] == "neuron"  # its graph tab shows the network view
        net = st.session_state.get("g_tab") == "Network" or big
        ui.tick(on_step=graph_network.feed().record if net else s.record)
        st.session_state["g_net_drawn"] = False
        replay = lesson_ui.replaying()
        state = f"replaying run #{replay.run_id}" if replay else ui.run_state(tr)
        budget = f"a budget of {tr.config.steps:,} steps" if tr.config.steps else NO_BUDGET
        if state == "finished":  # Start is off: say what turns it on (QA: a lesson's "switch the loss" did nothing)
            budget += " (raise it, tick No budget or press Reset to train on)"
        # the step on screen is the view's (its frames play a little behind the trainer) and the sidebar's
        st.caption(f"**{state}** · {budget} · {len(s)} snapshot{'s' * (len(s) != 1)} of this run")
        # only the open tab is drawn: a closed tab's element goes away, so it gets its static part when opened again
        graph_tab, network_tab, health_tab = st.tabs(
            ["Computation graph", "Network", "Why training fails"], key="g_tab", on_change="rerun"
        )
        if graph_tab.open:
            with graph_tab:
                draw_graph(s, opts)
        else:
            st.session_state.pop("g_static_sent", None)  # the view element goes away; a new one needs the layout
        if network_tab.open:
            with network_tab:
                graph_network.draw(tr)
        if not st.session_state["g_net_drawn"]:  # its element went away: a new one needs the static part
            graph_network.feed().invalidate()
        if health_tab.open:
            with health_tab:
                if ui.is_running():  # no view plays on this tab: the sidebar's status gets the step from here
                    components.trainer_step(tr.step_count, key="g_health_step")
                draw_health()


def draw_health() -> None:
    """The run's diagnostics: one sentence per problem at the latest step, and the per-layer picture over the run."""
    tr = lesson_ui.trainer()
    last = tr.monitor.last
    if last is None:
        st.info("Train a few steps: the diagnostics describe each step's gradients and activations.")
        return
    found = diagnostics.findings(last, tr.model.activation)
    for sentence in found:
        st.warning(text.md(sentence))
    if not found:
        st.success(f"No problem found at step {last.step}: no dead or saturated units, no vanishing gradients.")
    fig = health.health_figure(tr.monitor.series, tr.model.sizes[1:])
    st.plotly_chart(fig, key="health", config={"displaylogo": False})
    st.caption(
        "Left: the norm of each layer's gradient per step (log scale); a first layer far below the last one means "
        "vanishing gradients. Middle: the share of hidden units that are dead (ReLU output 0 on every training "
        "point) or saturated (|tanh| > 0.99 or sigmoid outside [0.01, 0.99] on ≥ 90 % of the points). Right: each "
        "layer's outputs over the training set at the last step (5, 25, 50, 75, 95 % quantiles)."
    )


with ui.guard("showing the graph controls"):
    lesson_ui.replay_panel()
    options = controls(series())
    live(options)
