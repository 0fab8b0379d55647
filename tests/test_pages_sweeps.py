"""The Sweeps page through AppTest, on a run store in tmp_path (no cluster: sweeps recorded directly)."""

import json

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from micrograd.studio.config import RunConfig
from micrograd.studio.runs import RunStore
from micrograd.views import text
from tests.test_dashboard import ROOT
from tests.test_pages_experiments import db

__all__ = ["db"]  # the fixture


@pytest.fixture(autouse=True)
def fresh_service():
    st.cache_resource.clear()  # the page's sweep service reads $MICROGRAD_DB when it is made
    yield
    st.cache_resource.clear()


def page() -> AppTest:
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    at.query_params["steps"] = "30"
    at.run()
    at.switch_page("pages/sweeps.py").run()
    assert not at.exception, at.exception
    return at


def record_sweep(db, statuses: list[str], sweep_status: str) -> int:
    """A sweep whose trials ended with these statuses, as the driver records them."""
    with RunStore(db) as store:
        sweep_id = store.create_sweep("a test sweep", {"axes": []})
        config = RunConfig(steps=30).to_dict()
        for k, status in enumerate(statuses):
            run_id = store.create_run(config, {}, sweep_id=sweep_id, sweep_axes={"lr": 0.1 * (k + 1)}, status="queued")
            store.update_run(run_id, status=status)
        store.update_sweep(sweep_id, status=sweep_status)
    return sweep_id


def test_a_cancelled_sweep_counts_its_cancelled_trials_apart_from_the_done_ones(db):
    record_sweep(db, ["finished", "finished", "diverged", "failed", "cancelled", "cancelled"], "cancelled")
    at = page()
    (bar,) = at.get("progress")
    assert bar.proto.text == "3 of 6 trials done, 1 failed, 2 cancelled — sweep cancelled"  # it said 6 of 6 done
    shown = {m.label: m.value for m in at.metric}
    assert shown == {"Done": "3", "Running": "0", "Queued": "0", "Failed": "1", "Cancelled": "2", "ETA": "—"}


def test_a_sweep_of_no_value_cannot_start(db):
    at = page()
    at.text_input(key="sweep_values_lr").set_value(",,,").run()
    assert "lr: give at least one value" in at.error[0].value  # it offered to start 0 trials
    assert at.button(key="sweep_start").disabled


def test_typed_values_in_a_sweeps_message_are_shown_as_typed(db):
    hostile = "<b>x</b> **bold** `c` [l](http://x.y) &lt; &amp;"
    at = page()
    at.text_input(key="sweep_values_lr").set_value(hostile).run()
    (error,) = at.error
    assert text.md(repr(hostile)) in error.value
    # no link, and no bare entity (escaped as \&lt;, shown as typed; bare, the browser would show <)
    assert "http://" not in error.value and " &lt;" not in error.value, error.value


def test_the_base_names_the_network_with_its_inputs_and_the_table_its_columns_in_words(db):
    """QA: the base said 16-16-1 where every other page says 2-16-16-1; the table showed test_accuracy, None."""
    sweep_id = record_sweep(db, ["finished", "finished"], "finished")
    with RunStore(db) as store:
        for r in store.list_runs(sweep_id=sweep_id):
            final = {"steps": 30, "train_loss": 0.5, "train_accuracy": 0.9, "test_accuracy": 0.8}
            store.update_run(r["id"], metrics=final, wall_seconds=1.5)
    at = page()
    assert any(c.value.startswith("Base: the current run's settings (moons, 2-16-16-1 relu,") for c in at.caption)
    (table,) = at.dataframe
    assert "train_r2" not in table.value and "test_accuracy" in table.value  # a classifier sweep: no R² blanks
    columns = json.loads(table.proto.columns)  # the column labels travel in the element's column configuration
    assert columns["test_accuracy"]["label"] == "test accuracy (%)" and columns["wall_seconds"]["label"] == "seconds"
    assert not at.exception and not at.error  # the page drew all of it


def _with_results(db, sweep_id, accuracies):
    """Final metrics for the trials in the order record_sweep made them."""
    with RunStore(db) as store:
        for r, acc in zip(sorted(store.list_runs(sweep_id=sweep_id), key=lambda r: r["id"]), accuracies):
            final = {"steps": 30, "train_loss": 1 - acc, "train_accuracy": acc, "test_accuracy": acc}
            store.update_run(r["id"], metrics=final, wall_seconds=1.0)


def test_the_results_use_only_trials_that_trained_to_their_end_and_list_the_others_last(db):
    """QA: a trial cancelled after 179 of 200 steps was averaged into the heat map's cell and listed first."""
    sweep_id = record_sweep(db, ["cancelled", "finished", "finished"], "cancelled")  # lr 0.1, 0.2, 0.3
    _with_results(db, sweep_id, [0.5, 0.9, 0.8])
    at = page()
    assert not at.exception and not at.error
    (table,) = at.dataframe
    assert list(table.value["status"]) == ["finished", "finished", "cancelled"]
    assert any(
        c.value.startswith("The heat map, best trials and parallel coordinates show the 2 of 3") for c in at.caption
    )
    charts = {c.proto.id: json.loads(c.proto.spec) for c in at.get("plotly_chart")}
    heat = next(c for c in charts.values() if c["data"] and c["data"][0]["type"] == "heatmap")["data"][0]
    assert heat["x"] == ["0.2", "0.3"]  # not the cancelled trial's lr 0.1
    lines = next(c for c in charts.values() if c["data"] and c["data"][0]["type"] == "parcoords")["data"][0]
    assert sorted(lines["dimensions"][-1]["values"]) == [80.0, 90.0] and lines["dimensions"][-1]["range"] == [0, 100]


def test_a_sweep_with_one_result_shows_it_without_an_error(db):
    """The "How many" slider ran from 1 to 1, which Streamlit refuses: an error box instead of the results."""
    sweep_id = record_sweep(db, ["finished"], "finished")
    _with_results(db, sweep_id, [0.9])
    at = page()
    assert not at.exception and not at.error
    assert [b for b in at.button if b.label == "Open in Train page"]


def test_a_sweep_that_finishes_while_the_page_reads_it_is_labelled_finished(db, monkeypatch):
    """CI: the picker kept "— running" for good. The page read the sweeps for the picker's labels, then the picked
    sweep again; when the sweep finished in between, the page drew as final (no more redraws) under the old label."""
    sweep_id = record_sweep(db, ["finished", "finished"], "running")
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    at.query_params["steps"] = "30"
    at.run()
    reads, list_sweeps = [], RunStore.list_sweeps

    def finished_after_the_first_read(self):
        rows = list_sweeps(self)
        if not reads:  # the sweep's driver records its end just after the page's first read
            reads.append(rows[0]["status"])
            with RunStore(db) as store:
                store.update_sweep(sweep_id, status="finished")
        return rows

    monkeypatch.setattr(RunStore, "list_sweeps", finished_after_the_first_read)
    at.switch_page("pages/sweeps.py").run()
    assert not at.exception, at.exception
    assert reads == ["running"]
    picker = at.selectbox(key="sweep_pick")
    assert picker.options[picker.index].endswith("— finished"), picker.options
    (bar,) = at.get("progress")
    assert bar.proto.text.endswith("— sweep finished")


def test_every_table_shows_a_missing_value_as_a_dash_not_none(db):
    """QA: regression runs showed a grey "None" as their accuracy in the Experiments table (Streamlit's default)."""
    sweep_id = record_sweep(db, ["finished", "cancelled"], "cancelled")
    _with_results(db, sweep_id, [0.9])  # the cancelled trial has no metrics
    at = page()
    (sweeps_table,) = at.dataframe
    assert sweeps_table.value.isna().any().any()  # there is a missing value to show
    for name in ("pages/sweeps.py", "pages/experiments.py", "pages/sandbox.py"):
        at.switch_page(name).run()
        assert not at.exception, at.exception
        assert at.dataframe and all(d.proto.placeholder == "—" for d in at.dataframe), name


def test_a_sweep_of_many_trials_says_so_as_a_warning_and_a_small_one_as_a_note(db):
    """QA: an lr range of 500 points made 1,000 trials, said as plainly as 6."""
    at = page()
    assert not at.warning and "= 6 trials" in at.info[0].value  # the default: 3 lr x 2 activations
    at.text_input(key="sweep_values_lr").set_value("0.001:1:500").run()
    assert "= 1,000 trials" in at.warning[0].value and "long queue" in at.warning[0].value
    assert not at.button(key="sweep_start").disabled  # a warning, not a refusal
