"""Sweeps page: train a grid of settings at once on a Dask cluster, watch it, compare the results, open a trial."""

import atexit
import threading
import time

import streamlit as st

import ui
from micrograd.studio.cluster import ClusterError
from micrograd.studio.config import budget_text
from micrograd.studio.runs import RunStore, StoreError, default_db_path
from micrograd.studio.sweep_driver import SweepService
from micrograd.studio.sweeps import AXIS_FIELDS, MAX_SEEDS, MAX_TRIALS, Axis, SweepError, SweepSpec, label
from micrograd.views import compare
from micrograd.views import sweep as view
from micrograd.views.text import md

CHART = {"displaylogo": False}
DEFAULT_AXES = ("lr", "activation")
EXAMPLES = {"lr": "0.01,0.1,1", "activation": "tanh,relu", "layers": "4 16 16,16", "l2": "0,0.0001,0.001"}
EXAMPLES |= {"momentum": "0,0.9", "batch_size": "0,32", "loss": "svm,bce", "noise": "0.1:0.3:3", "seed": "1,2,3"}
FINAL_SWEEP = ("finished", "cancelled", "failed", "interrupted")
MANY_TRIALS = 100  # above this many trials the summary is a warning: a long queue for the workers
REDRAW_SECONDS = 3.0  # while a sweep runs, its results (outside the progress fragment) follow at most this often

if "trainer" not in st.session_state:  # a fresh session needs dashboard.py's state and sidebar first
    ui.require_dashboard("pages/sweeps.py")
ss = st.session_state


if ss.pop("sweep_switch", False):  # "Open in Train page" was clicked
    st.switch_page("pages/train.py")


def _release(entry: dict) -> None:
    """A cleared cache entry's service closes its cluster's client (else it outlives the cluster and keeps trying to
    reconnect), off the event loop; one still driving a sweep is left to finish it (atexit closes it then)."""
    service = entry["service"]
    if not service.busy():
        threading.Thread(target=service.close, name="sweep-service-release", daemon=True).start()


@st.cache_resource(on_release=_release)
def _service() -> dict:
    """The server's one sweep service: its driver threads and its cluster outlive every session.

    Returned in a dict: the service holds a distributed.Client, which is awaitable, and st.cache_resource refuses
    to return an awaitable. The cluster address comes from $MICROGRAD_DASK of whoever started the server, never
    from this page: a Dask client unpickles what its scheduler sends.
    """
    service = SweepService(default_db_path())
    atexit.register(service.close)
    return {"service": service}


def _start(spec: SweepSpec) -> None:
    try:
        ss["sweep_pick"] = _service()["service"].start(spec)
    except (SweepError, ClusterError, StoreError) as e:
        ss["sweep_error"] = f"The sweep did not start: {e}"
    else:
        # queued, not started: the driver may still be starting the cluster (its status line says so)
        ss["notices"].append(
            f"Sweep #{ss['sweep_pick']} queued: {spec.describe()}. Its trials start once the cluster is up."
        )


def _open(run_id: int) -> None:
    """The Experiments page's 'open in Train page', for one trial."""
    try:
        with RunStore(default_db_path()) as store:
            run = store.get_run(run_id)
        ui.open_run(run_id, run)
    except StoreError as e:
        ss["sweep_error"] = str(e)
    except (KeyError, ValueError) as e:
        ss["sweep_error"] = f"Could not open trial #{run_id}: {e.args[0] if e.args else e}."
    else:
        ss["sweep_switch"] = True


def _define() -> None:
    """The form for a new sweep: the current run's settings (the Train page's) as the base, plus axes."""
    tr = ui.get_trainer()
    base, sizes = tr.config, "-".join(map(str, tr.model.sizes))  # with its inputs, as the sidebar says it
    st.caption(
        f"Base: the current run's settings ({base.dataset}, {sizes} {base.activation}, lr {base.lr:g}, "
        f"{budget_text(base.steps)}). Each axis lists values (0.01,0.1,1), a range low:high:count or low:high:count:log, "
        "or for layers shapes separated by spaces, each shape's sizes by commas or dashes (4 16 16,16 or 4 16 16-16)."
    )
    names = st.multiselect("Axes", AXIS_FIELDS, default=list(DEFAULT_AXES), key="sweep_axes")
    axes, problems = [], []
    cols = st.columns(max(1, min(3, len(names))))
    for i, name in enumerate(names):
        current = getattr(base, name)
        default = EXAMPLES.get(name, label(current) if current is not None else "")
        text = cols[i % len(cols)].text_input(f"{name} values", value=default, key=f"sweep_values_{name}")
        try:
            axes.append(Axis.parse(name, text))
        except SweepError as e:
            problems += e.problems
    a, b, c = st.columns(3)
    mode = a.radio("Search", ("grid", "random"), horizontal=True, key="sweep_mode")
    samples = b.number_input("Random samples", 1, MAX_TRIALS, 10, key="sweep_samples", disabled=mode == "grid")
    seeds = c.number_input("Seeds per configuration", 1, MAX_SEEDS, 1, key="sweep_seeds")
    if base.dataset == "csv":
        problems.append("sweeps run on the built-in datasets (the workers cannot see an upload); pick one")
    spec = SweepSpec(
        base={**base.to_dict(), "engine": "compiled"}, axes=axes, mode=mode, samples=int(samples), seeds=int(seeds)
    )
    if not problems:
        problems = spec.problems()
    if problems:
        st.error(md("This sweep cannot start: " + "; ".join(problems) + "."))
    elif spec.size() > MANY_TRIALS:  # QA: "0.001:1:500" for lr made 1,000 trials and said it as plainly as 6
        st.warning(
            f"This sweep trains {spec.describe()}, with the compiled engine: a long queue for the workers. "
            "Fewer points per range (the number after the last colon) or fewer seeds finish sooner."
        )
    else:
        st.info(f"This sweep trains {spec.describe()}, with the compiled engine.")
    st.button("Start sweep", type="primary", disabled=bool(problems), on_click=_start, args=(spec,), key="sweep_start")


def _progress(sweep_id: int, was_final: bool, shown: tuple[str, int]) -> None:
    """Progress of one sweep, redrawn every second while it runs. A full rerun shows what changed outside it: when
    the sweep's status changes (the picker and notices say it) and, at most every REDRAW_SECONDS, new results.

    shown: the sweep's status and trained-trial count when the page was last drawn in full.
    """
    service = _service()["service"]
    with RunStore(default_db_path()) as store:
        sw = store.get_sweep(sweep_id)
    total = sum(sw["trials"].values())
    p = view.progress(sw["trials"], total, sw["created_at"])
    status = str(sw["status"])
    st.progress(p["settled"] / max(1, total), text=view.progress_text(p, status))
    m = st.columns(6)
    for col, key in zip(m, ("done", "running", "queued", "failed", "cancelled")):
        col.metric(key.capitalize(), p[key])
    m[5].metric("ETA", "—" if p["eta"] is None else f"{p['eta']:.0f} s")
    if sw["message"]:
        st.caption(md(sw["message"]))
    if service.active(sweep_id):
        st.button("Cancel sweep", key="sweep_cancel", on_click=service.cancel, args=(sweep_id,))
    elif status not in FINAL_SWEEP:
        st.caption(md(f"Driven by another process (pid {sw['pid']} on {sw['host']}); cancel it there."))
    since = time.monotonic() - ss.get("sweep_drawn_at", 0.0)
    if (status in FINAL_SWEEP) != was_final or view.redraw(status, p["done"], shown, since, REDRAW_SECONDS):
        st.rerun(scope="app")


def _results(store: RunStore, sweep_id: int) -> None:
    runs = store.list_runs(sweep_id=sweep_id)
    # results are the trials that trained to their end: a cancelled or interrupted one stopped part way
    trained = [r for r in runs if r["status"] in view.TRAINED and r["train_loss"] is not None]
    if not trained:
        st.caption("Results appear here as trials finish.")
        return
    done = {r["id"] for r in trained}
    table = view.trials_frame(trained + [r for r in runs if r["id"] not in done])  # the results first
    frame = view.trials_frame(trained)
    axes = view.axis_names(runs)
    metrics = view.shown_metrics(frame)
    metric = st.selectbox("Final metric", metrics, format_func=lambda m: view.METRICS[m][0], key="sweep_metric")
    names = {m: view.METRICS[m][0] + (" (%)" if view.METRICS[m][2] else "") for m in metrics}
    shown = [c for c in table.columns if c not in view.METRICS or c in metrics]  # no column of blanks (QA)
    columns = {m: st.column_config.NumberColumn(n, format="%.4g") for m, n in names.items()}
    columns["wall_seconds"] = st.column_config.NumberColumn("seconds", format="%.1f")
    st.dataframe(table[shown], hide_index=True, column_config=columns, key=f"sweep_table_{sweep_id}", placeholder="—")
    if len(trained) < len(runs):
        st.caption(
            f"The heat map, best trials and parallel coordinates show the {len(trained)} of {len(runs)} trials that "
            "trained to their end (finished or diverged); the others are listed last."
        )

    st.subheader("Heat map")
    options = [*axes, "seed"] if "seed" not in axes else axes
    a, b = st.columns(2)
    x = a.selectbox("x axis", options, index=0, key="sweep_hx")
    y = b.selectbox("y axis", options, index=min(1, len(options) - 1), key="sweep_hy")
    if x == y:
        st.info("Pick two different axes.")
    else:
        seeded = [{**r, "sweep_axes": {**(r["sweep_axes"] or {}), "seed": r["config"].get("seed")}} for r in trained]
        st.plotly_chart(view.heatmap(seeded, view.trials_frame(seeded), x, y, metric), key="sweep_heat", config=CHART)

    st.subheader("Best trials")
    # a slider needs two values to choose between: with one result it is that one
    n = st.slider("How many", 1, min(10, len(frame)), min(5, len(frame)), key="sweep_best_n") if len(frame) > 1 else 1
    top = view.best(frame, metric, n)
    series = [
        (f"#{i} " + " ".join(f"{k}={frame.loc[j, k]}" for k in axes), store.get_steps(int(i)))
        for j, i in top["id"].items()
    ]
    st.plotly_chart(
        compare.loss_figure(series, st.toggle("Log-scale loss", key="sweep_log")), key="sweep_curves", config=CHART
    )
    if len(axes) >= 1:
        st.subheader("Parallel coordinates")
        st.plotly_chart(view.parallel(trained, frame, metric), key="sweep_parallel", config=CHART)

    st.subheader("Open a trial")
    ranked = view.best(frame, metric, len(frame))
    labels = {
        int(r["id"]): f"#{int(r['id'])} " + " ".join(f"{k}={r[k]}" for k in axes) + f" seed={r['seed']}"
        for _, r in ranked.iterrows()
    }
    run_id = st.selectbox(
        "Trial (best first)",
        list(labels),
        format_func=labels.get,
        key=f"sweep_trial_{sweep_id}_{len(ranked)}_{int(frame[metric].notna().sum())}",
    )  # best first again as results arrive
    st.button("Open in Train page", type="primary", on_click=_open, args=(run_id,), key="sweep_open")


def page() -> None:
    """The whole page; problems are messages, never a traceback."""
    st.title("Sweeps")
    service = _service()["service"]
    st.caption(md(f"Cluster: {service.clusters.describe()}."))
    ui.show_notices()
    if ss.get("sweep_error"):
        st.error(md(ss.pop("sweep_error")))
    try:
        store = RunStore(default_db_path())
    except StoreError as e:
        st.warning(md(e))
        return
    with store:
        sweeps = store.list_sweeps()
        with st.expander("New sweep", expanded=not sweeps):
            _define()
        if not sweeps:
            st.info("No sweeps yet. Define one above; its trials appear here and on the Experiments page.")
            return
        names = {s["id"]: f"#{s['id']} {s['name']} — {s['status']}" for s in sweeps}
        if ss.get("sweep_pick") not in names:  # deleted, or a store changed under the session
            ss.pop("sweep_pick", None)
        sweep_id = ui.pick("Sweep", names, key="sweep_pick")  # stays on its sweep as its status changes
        # the record the picker's label was read from: a second read could find the sweep finished while the label
        # says running, and the page then drew as final (no more redraws) with "— running" kept (seen in CI)
        sweep = next(s for s in sweeps if s["id"] == sweep_id)
        status = str(sweep["status"])
        final = status in FINAL_SWEEP
        done = view.progress(sweep["trials"], sum(sweep["trials"].values()), sweep["created_at"])["done"]
        ss["sweep_drawn_at"] = time.monotonic()
        st.fragment(_progress, run_every=None if final else 1.0)(sweep_id, final, (status, done))
        _results(store, sweep_id)


with ui.guard("showing the sweeps"):
    page()
