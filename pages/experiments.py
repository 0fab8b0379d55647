"""Experiments page: every recorded run; filter, compare, rename, tag, delete, download and reopen them."""

import hashlib
import time
from datetime import datetime

import streamlit as st

import ui
from micrograd.studio.runs import STATUSES, RunStore, StoreError, status_text
from micrograd.views import compare, text
from ui.store import run_store

CHART = {"displaylogo": False}
COLUMNS = {
    "id": st.column_config.NumberColumn("id", width="small"),
    "created": st.column_config.DatetimeColumn("created", format="YYYY-MM-DD HH:mm"),
    "train_loss": st.column_config.NumberColumn("train loss", format="%.4f"),
    "train_accuracy": st.column_config.NumberColumn("train acc. %", format="%.1f"),
    "test_accuracy": st.column_config.NumberColumn("test acc. %", format="%.1f"),
    "train_r2": st.column_config.NumberColumn("train R²", format="%.3f", help="regression runs: 1 is a perfect fit"),
    "test_r2": st.column_config.NumberColumn("test R²", format="%.3f", help="regression runs: 1 is a perfect fit"),
    "wall_seconds": st.column_config.NumberColumn("wall s", format="%.1f"),
}

if "trainer" not in st.session_state:  # a fresh session needs dashboard.py's state and sidebar first
    ui.require_dashboard("pages/experiments.py")
ss = st.session_state
if ss.pop("exp_switch", False):  # "Open in Train page" was clicked: go before this page shows (and clears) notices
    st.switch_page("pages/train.py")

st.title("Experiments")
st.caption(
    "Every run trained in this dashboard is recorded here with its settings, curves and final weights. "
    "Select rows to compare them; pick one to rename, tag, download, delete or open it again on the Train page."
)
ui.show_notices()


def _store() -> RunStore:
    return run_store()  # the server's one store for this path: `with` blocks leave it open


def _act(what: str, action) -> bool:
    """Run a store action from a callback; its problem becomes this page's error message."""
    try:
        with _store() as store:
            action(store)
    except StoreError as e:
        ss["exp_error"] = str(e)
    except (KeyError, ValueError) as e:
        ss["exp_error"] = f"Could not {what}: {e.args[0] if e.args else e}"
    else:
        return True
    return False


def _save(run_id: int) -> None:
    name, tags = ss.get(f"exp_name_{run_id}", ""), ss.get(f"exp_tags_{run_id}", "")

    kept: dict = {}

    def save(store: RunStore) -> None:
        store.rename(run_id, name)
        store.set_tags(run_id, [t for t in tags.split(",")])
        kept.update(store.get_run(run_id))

    if _act("rename the run", save):
        said = f"with the tags {', '.join(map(repr, kept['tags']))}" if kept["tags"] else "without tags"
        ss["notices"].append(f"Run #{run_id} saved as {kept['name']!r}, {said}.")
        # the boxes show what the store kept (trimmed, tags sorted and unique): set, not dropped, or the browser
        # keeps showing what was typed
        ss[f"exp_name_{run_id}"], ss[f"exp_tags_{run_id}"] = kept["name"], ", ".join(kept["tags"])


def _delete(run_id: int) -> None:
    ss.pop("exp_confirm", None)
    if _act("delete the run", lambda store: store.delete(run_id)):
        ss["notices"].append(f"Run #{run_id} deleted.")


def _open(run_id: int) -> None:
    """Load a run's settings and weights into this session, then go to the Train page."""
    try:
        with _store() as store:
            run = store.get_run(run_id)
        ui.open_run(run_id, run)
    except StoreError as e:
        ss["exp_error"] = str(e)
        return
    except (KeyError, ValueError) as e:  # ConfigError, DataError and WeightsError are ValueErrors
        ss["exp_error"] = f"Could not open run #{run_id}: {e.args[0] if e.args else e}."
        return
    ss["exp_switch"] = True


TRIAL_TITLES = {"trained": "those that trained", "all": "all", "none": "none"}


def _filters(runs: list[dict]) -> list[dict]:
    def values(key: str) -> list:
        return sorted({r[key] for r in runs if r.get(key) is not None})

    with st.expander("Filter", expanded=False):
        a, b, c, d = st.columns(4)
        chosen = {
            "datasets": a.multiselect("Dataset", values("dataset"), key="exp_f_dataset"),
            "architectures": b.multiselect("Architecture", values("architecture"), key="exp_f_arch"),
            "losses": c.multiselect("Loss", values("loss"), key="exp_f_loss"),
            "statuses": d.multiselect("Status", [s for s in STATUSES if s in values("status")], key="exp_f_status"),
        }
        a, b, c, d = st.columns(4)
        chosen["tags"] = a.multiselect("Tag", sorted({t for r in runs for t in r["tags"]}), key="exp_f_tags")
        since = b.date_input("Created since", value=None, key="exp_f_since")
        low = c.slider("Final accuracy at least (%)", 0, 100, 0, key="exp_f_acc", help="test accuracy, else train")
        chosen["trials"] = d.selectbox("Sweep trials", compare.TRIALS, format_func=TRIAL_TITLES.get, key="exp_f_trials")
    chosen["since"] = datetime.combine(since, datetime.min.time()) if since else None
    trials = chosen.pop("trials")
    matching = compare.filter_runs(runs, **chosen, min_accuracy=low / 100)  # every sweep trial among them
    shown = compare.filter_runs(matching, trials=trials)
    unstarted = len(matching) - len(shown)
    if trials == "trained" and unstarted:  # a cancelled sweep leaves many (QA: 140 of 315 runs)
        st.caption(
            f"{unstarted:,} sweep trial{'s' * (unstarted != 1)} that never took a step not listed: Filter → Sweep trials."
        )
    return shown


def _table(runs: list[dict]) -> list[dict]:
    """The runs table; returns the selected runs."""
    df = compare.runs_frame(runs)
    empty = [c for c in compare.NUMBER_COLUMNS if df[c].isna().all()]  # e.g. R² when no run is a regression
    df = df.drop(columns=empty)  # a column of blanks only took room (QA)
    # a new key when the listed runs change, so a selection never points at another run's row
    digest = hashlib.sha1(",".join(str(i) for i in df["id"]).encode()).hexdigest()[:10]
    event = st.dataframe(
        df,
        key=f"exp_table_{digest}",
        on_select="rerun",
        selection_mode="multi-row",
        hide_index=True,
        column_config=COLUMNS,
        placeholder=compare.MISSING,  # a classification run has no R², a regression run no accuracy
    )
    rows = list(event.selection.rows) if event is not None else []
    return [runs[i] for i in rows if 0 <= i < len(runs)]


def _compare(store: RunStore, chosen: list[dict]) -> None:
    st.subheader(f"Compare {len(chosen)} run{'s' * (len(chosen) != 1)}")
    series = [(compare.run_label(r), store.get_steps(r["id"])) for r in chosen]
    log_y = st.toggle("Log-scale loss", key="exp_log_loss")
    fits = [compare.is_regression(r) for r in chosen]
    charts = [("exp_loss", compare.loss_figure(series, log_y))]
    # classifiers: accuracy; regression runs: R² (a mix gets both); each chart gets every run, so a run keeps its
    # colour, and draws the runs that have its score
    if not all(fits):
        charts.append(("exp_accuracy", compare.accuracy_figure(series)))
    if any(fits):
        charts.append(("exp_r2", compare.r2_figure(series)))
    for col, (key, fig) in zip(st.columns(len(charts)), charts):
        col.plotly_chart(fig, key=key, config=CHART)
    said = "Solid lines: training set; dotted: test set. Each run keeps one colour."
    if charts[0][1].layout.yaxis.range is not None:  # compare.loss_figure clipped a diverged run's losses
        said += " The loss chart stops at 1.1× the runs' first losses, so a diverged run leaves its top: Log-scale loss shows all."
    st.caption(said)
    only = st.toggle("Only settings that differ", key="exp_only_diff", disabled=len(chosen) < 2)
    diff = compare.config_diff([(compare.run_label(r), r["config"]) for r in chosen], only_different=only)
    shown = diff.drop(columns="differs")
    style = shown.style.apply(
        lambda row: ["background-color: #fff3cd" if diff.at[row.name, "differs"] else ""] * len(row), axis=1
    )
    # the settings' names in full (QA: "feature_columns" read "feature_colum")
    names = {"_index": st.column_config.TextColumn("setting", width="medium")}
    st.dataframe(style, key="exp_diff", placeholder=compare.MISSING, column_config=names)
    if len(chosen) > 1:
        n = int(diff["differs"].sum())
        st.caption(f"{n} setting{'s' * (n != 1)} differ (highlighted).")


def _manage(store: RunStore, choices: list[dict]) -> None:
    st.subheader("Run")
    labels = {r["id"]: compare.run_label(r) for r in choices}
    run_id = ui.pick("Run", labels, key="exp_run")  # stays on a run that is renamed
    if run_id is None:
        return
    try:
        run = store.get_run(run_id)
    except KeyError:
        st.info(f"Run #{run_id} is gone (deleted in another window).")
        return
    msg = f" — {text.md(run['message'].rstrip('.'))}" if run["message"] else ""  # the caption ends with its own
    steps = run["steps"] or 0
    status = status_text(run, time.time())  # a live run whose tab went quiet says so
    st.caption(f"Status **{text.md(status)}** after {steps:,} step{'s' * (steps != 1)}{msg}.")
    a, b = st.columns(2)
    # the boxes start from the store and keep what Save set (a value= beside that logged a Streamlit warning)
    ss.setdefault(f"exp_name_{run_id}", run["name"])
    ss.setdefault(f"exp_tags_{run_id}", ", ".join(run["tags"]))
    a.text_input("Name", key=f"exp_name_{run_id}")
    b.text_input("Tags (comma-separated)", key=f"exp_tags_{run_id}")
    c = st.columns(4)
    c[0].button("Save name and tags", key="exp_save", on_click=_save, args=(run_id,), width="stretch")
    c[1].button(
        "Open in Train page",
        key="exp_open",
        on_click=_open,
        args=(run_id,),
        disabled=not run["has_weights"],
        type="primary",
        width="stretch",
        help="Load this run's settings and final weights into the Train page",
    )
    if run["weights"]:
        name = f"micrograd-run{run_id}-{run['dataset']}-{run['architecture']}.json"
        c[2].download_button(
            "Download weights", run["weights"], file_name=name, mime="application/json", key="exp_download"
        )
    else:
        c[2].caption("No weights stored for this run.")
    c[3].button("Delete…", key="exp_delete", on_click=lambda: ss.update(exp_confirm=run_id), width="stretch")
    if ss.get("exp_confirm") == run_id:
        st.warning(f"Delete run #{run_id} ({text.md(run['name'])}) with its curves and weights? This cannot be undone.")
        y, n, _ = st.columns([1, 1, 4])
        y.button("Yes, delete", key="exp_delete_yes", on_click=_delete, args=(run_id,), type="primary")
        n.button("Cancel", key="exp_delete_no", on_click=lambda: ss.pop("exp_confirm", None))


def page() -> None:
    """The whole page; a store problem is a banner, never a traceback."""
    recorder = ss.get("recorder")
    if recorder is not None and recorder.error:
        st.warning(text.md(recorder.error))
    if ss.get("exp_error"):
        st.error(text.md(ss.pop("exp_error")))  # store errors quote run names and CSV paths
    try:
        store = _store()
    except StoreError as e:
        if recorder is None or recorder.error != str(e):  # the recorder's banner above says it already
            st.warning(text.md(e))
        return
    with store:
        runs = store.list_runs()
        if not runs:
            st.info("No runs recorded yet. Train a model on the Train page; every run appears here.")
            return
        shown = _filters(runs)
        st.caption(f"{len(shown)} of {len(runs)} runs. Click a column header to sort; tick rows to compare.")
        chosen = _table(shown)
        if chosen:
            _compare(store, chosen)
        _manage(store, chosen or shown)


with ui.guard("showing the experiments"):
    page()
