"""The Experiments page through AppTest, on a run store in tmp_path seeded by really training small models."""

import json

import pytest
from streamlit.testing.v1 import AppTest

from micrograd.studio import recording
from micrograd.studio.config import RunConfig
from micrograd.studio.runs import RunStore
from micrograd.studio.trainer import Trainer
from tests.test_dashboard import ROOT

CONFIG = dict(dataset="moons", samples=40, noise=0.1, test_fraction=0.2, data_seed=1337, layers=[4], engine="scalar")


def record(db, tr: Trainer, steps: int | None = None) -> Trainer:
    """Train tr (to its budget, or ``steps`` steps) while recording it into db, as the dashboard records a run."""
    rec = recording.Recorder(db)
    rec.sync(tr, True)
    tr.run(steps)
    rec.sync(tr, False)
    rec.close()
    return tr


def seed_store(db, seeds=(1, 2, 3)) -> list[Trainer]:
    """One finished run per seed (layers differ for the last one), recorded as the dashboard records them."""
    trainers = []
    for k, seed in enumerate(seeds):
        layers = [4] if k < 2 else [4, 4]
        trainers.append(record(db, Trainer(RunConfig(**{**CONFIG, "layers": layers, "steps": 8 + k, "seed": seed}))))
    return trainers


@pytest.fixture
def db(tmp_path, monkeypatch):
    path = tmp_path / "runs.db"
    monkeypatch.setenv("MICROGRAD_DB", str(path))
    return path


def page(**params: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    at.query_params.update({"engine": "scalar", **params})
    at.run()
    at.switch_page("pages/experiments.py").run()
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["Experiments"]
    return at


def select(at: AppTest, rows: list[int]) -> None:
    at.session_state[at.dataframe[0].key] = {"selection": {"rows": rows, "columns": [], "cells": []}}
    at.run()
    assert not at.exception, at.exception


def ids(db) -> list[int]:
    with RunStore(db) as store:
        return sorted(r["id"] for r in store.list_runs())


def test_the_table_lists_every_run_newest_first(db):
    seed_store(db)
    at = page()
    table = at.dataframe[0].value
    assert table["id"].tolist() == [3, 2, 1]
    assert table["architecture"].tolist() == ["2-4-4-1", "2-4-1", "2-4-1"]
    assert table["steps"].tolist() == [10, 9, 8] and set(table["status"]) == {"finished"}
    assert "test_accuracy" in table and "train_r2" not in table and "test_r2" not in table  # no column of blanks
    at.multiselect(key="exp_f_arch").set_value(["2-4-4-1"]).run()
    assert at.dataframe[0].value["id"].tolist() == [3]


def test_comparing_two_runs_overlays_their_curves_and_diffs_their_settings(db):
    seed_store(db)
    at = page()
    select(at, [0, 2])  # runs 3 and 1
    specs = {c.proto.id.rsplit("-", 1)[-1]: json.loads(c.proto.spec) for c in at.get("plotly_chart")}
    for key in ("exp_loss", "exp_accuracy"):
        names = [t["name"] for t in specs[key]["data"]]
        assert len(names) == 4 and {n.split(" · ")[0][-2:] for n in names} == {"#3", "#1"}
    diff = at.dataframe[1].value
    assert diff.loc["seed"].tolist() == ["3", "1"] and diff.loc["layers"].tolist() == ["[4, 4]", "[4]"]
    assert diff.loc["dataset"].tolist() == ["moons", "moons"]
    index = json.loads(at.dataframe[1].proto.columns)["_index"]  # the settings' names in full (QA: "feature_colum")
    assert index["width"] == "medium" and index["label"] == "setting"
    at.toggle(key="exp_only_diff").set_value(True).run()
    assert set(at.dataframe[1].value.index) == {"layers", "steps", "seed"}


def test_rename_and_tag_a_run(db, caplog):
    seed_store(db, seeds=(1,))
    at = page()
    at.text_input(key="exp_name_1").set_value("baseline")
    at.text_input(key="exp_tags_1").set_value("small, keep ,small")
    at.button(key="exp_save").click().run()
    with RunStore(db) as store:
        run = store.get_run(1)
    assert (run["name"], run["tags"]) == ("baseline", ["keep", "small"])
    assert at.dataframe[0].value["name"].tolist() == ["baseline"]
    assert at.text_input(key="exp_tags_1").value == "keep, small"  # what was saved, not what was typed (QA)
    assert any(" after 8 steps" in c.value for c in at.caption)
    at.run()  # QA: the boxes set by Save and given a value= logged Streamlit's "created with a default value"
    assert at.text_input(key="exp_name_1").value == "baseline"
    assert "created with a default value" not in caplog.text


def test_a_run_of_one_step_says_step_not_steps(db):
    record(db, Trainer(RunConfig(**{**CONFIG, "layers": [4], "steps": 1})))
    at = page()
    select(at, [0])
    said = [c.value for c in at.caption if c.value.startswith("Status ")]
    assert len(said) == 1 and " after 1 step." in said[0] and "1 steps" not in said[0], said


def test_a_name_too_long_is_an_error_message_and_the_run_keeps_its_name(db):
    seed_store(db, seeds=(1,))
    at = page()
    at.text_input(key="exp_name_1").set_value("n" * 5000)
    at.button(key="exp_save").click().run()
    assert at.error[0].value == "Could not rename the run: a run name is at most 200 characters, got 5,000; shorten it"
    with RunStore(db) as store:
        assert store.get_run(1)["name"] == "moons 2-4-1 relu svm #1"


def test_delete_asks_first_and_then_removes_the_run(db):
    seed_store(db, seeds=(1, 2))
    at = page()
    at.selectbox(key="exp_run").set_value(1).run()
    at.button(key="exp_delete").click().run()
    assert "cannot be undone" in at.warning[0].value and ids(db) == [1, 2]
    at.button(key="exp_delete_no").click().run()
    assert not at.warning and ids(db) == [1, 2]
    at.button(key="exp_delete").click().run()
    at.button(key="exp_delete_yes").click().run()
    assert ids(db) == [2] and at.dataframe[0].value["id"].tolist() == [2]


def test_open_in_train_page_loads_the_runs_weights_and_settings(db):
    trainers = seed_store(db, seeds=(1, 5))
    at = page()
    at.selectbox(key="exp_run").set_value(1).run()
    at.button(key="exp_open").click().run()
    assert not at.exception and not at.error, at.error
    assert [t.value for t in at.title] == ["micrograd studio"]  # the Train page
    tr = at.session_state["trainer"]
    want = trainers[0]
    assert tr.config == want.config and tr.step_count == 0
    assert [p.data for p in tr.model.parameters()] == [p.data for p in want.model.parameters()]
    said = " ".join(n.value for n in [*at.info, *at.success, *at.warning])
    assert f"its weights at step {want.step_count}, where it ended; training goes on from them as a new run" in said
    at.run()  # the sidebar must not re-initialise the opened model on the next run
    assert at.session_state["trainer"] is tr and tr.config.seed == 1 and not at.exception
    assert tr.step() is not None  # training it records a new run that says where it came from (QA)
    at.session_state["recorder"].sync(tr, False)  # as the page's next run does
    with RunStore(db) as store:
        new = max(store.list_runs(), key=lambda r: r["id"])
    assert new["id"] == 3 and new["name"].endswith(" #3, from run #1") and new["steps"] == 1


def test_open_a_csv_run_without_its_file_explains_what_to_upload(db):
    seed_store(db, seeds=(1,))
    with RunStore(db) as store:  # a run as a CSV upload would have recorded it
        config = {**RunConfig(**CONFIG).to_dict(), "dataset": "csv", "csv": "flowers.csv", "samples": None}
        run_id = store.create_run(config, {"name": "flowers.csv"})
        store.update_run(run_id, status="finished", weights_json=store.get_run(1)["weights"])
    at = page()
    at.selectbox(key="exp_run").set_value(run_id).run()
    at.button(key="exp_open").click().run()
    assert "flowers.csv" in at.error[0].value and "upload" in at.error[0].value
    assert [t.value for t in at.title] == ["Experiments"]


def test_a_corrupt_store_is_a_banner_and_the_page_still_works(db):
    db.write_bytes(b"definitely not sqlite " * 200)
    at = page()
    assert "corrupt" in at.warning[0].value and "Training still works" in at.warning[0].value
    assert len(at.warning) == 1  # the run recorder's banner and the page's said the same twice
    assert not at.exception and not at.error


def test_an_empty_store_says_how_to_get_runs(db):
    at = page()
    assert "No runs recorded yet" in at.info[0].value


def test_open_a_cli_run_beyond_the_sidebars_limits_clamps_and_says_so(db):
    tr = Trainer(RunConfig(**{**CONFIG, "steps": 200_000}))  # the CLI allows budgets the sidebar does not
    record(db, tr, steps=1)
    at = page()
    at.selectbox(key="exp_run").set_value(1).run()
    at.button(key="exp_open").click().run()
    assert not at.exception and not at.error, at.error
    opened = at.session_state["trainer"]
    assert opened.config.steps == 100_000  # the sidebar's limit, not silently 1
    assert [p.data for p in opened.model.parameters()] == [p.data for p in tr.model.parameters()]
    text = "\n".join(str(m.value) for kind in ("info", "warning", "success") for m in getattr(at, kind))
    assert "steps 200,000 → 100,000" in text


def test_the_page_shares_one_store_per_database_and_keeps_it_open(db, tmp_path, monkeypatch):
    """The store (migrations, the interrupted-run check) opens once per server and path, not on every rerun."""
    seed_store(db, seeds=(1,))
    opened = []
    real_init = RunStore.__init__

    def counting_init(self, path, *args, **kwargs):
        opened.append(str(path))
        real_init(self, path, *args, **kwargs)

    monkeypatch.setattr(RunStore, "__init__", counting_init)
    at = page()
    for _ in range(3):
        at.run()
        select(at, [0])
    assert opened == [str(db)] and not at.exception
    assert "No runs recorded yet" not in [i.value for i in at.info]
    other = tmp_path / "other.db"  # another MICROGRAD_DB (another test, another server): its own store
    monkeypatch.setenv("MICROGRAD_DB", str(other))
    at = page()
    assert opened == [str(db), str(other)] and "No runs recorded yet" in [i.value for i in at.info][-1]


def test_renaming_a_run_keeps_the_run_picked_and_the_next_action_on_it(db):
    seed_store(db)
    at = page()
    at.selectbox(key="exp_run").set_value(2).run()
    at.text_input(key="exp_name_2").set_value("renamed two")
    at.button(key="exp_save").click().run()
    assert at.selectbox(key="exp_run").value == 2  # it fell back to the first run (#3) before
    assert "renamed two" in at.selectbox(key="exp_run").format_func(2)
    at.button(key="exp_delete").click().run()
    assert "Delete run #2 (renamed two)" in at.warning[0].value
    at.button(key="exp_delete_yes").click().run()
    assert ids(db) == [1, 3]


def test_opening_an_interrupted_run_says_its_weights_are_from_the_last_save(db, monkeypatch):
    """A tab closed between two saves: the store has more steps than its weights; opening it says which step the
    weights are from (it said "final weights")."""
    from tests.test_recording import Clock

    monkeypatch.setattr(recording, "SAVE_SHARE", 1e-12)  # saves as rare as a large net's: every 10 s
    clock = Clock()
    store = RunStore(db, clock=clock)
    rec = recording.Recorder(opener=lambda: (store, ""), heartbeat=True, clock=clock)
    tr = Trainer(RunConfig(**{**CONFIG, "steps": 50}))
    rec.sync(tr, True)
    for _ in range(12):  # saved at steps 2 (1.5 s) and 9 (12 s); steps 10-12 only in the steps table
        tr.step()
        clock.t += 1.5
    rec.sync(tr, True)
    clock.t += 1000  # the tab is gone; another session's sweep ends the run
    assert store.close_stale(force=True) == [rec.run_id]
    store.close()
    at = page()
    at.selectbox(key="exp_run").set_value(rec.run_id).run()
    at.button(key="exp_open").click().run()
    said = " ".join(n.value for n in [*at.info, *at.success, *at.warning])
    assert "its weights at step 9, the last saved: the run went on to step 12 before it was interrupted" in said, said
    assert "final weights" not in said


def test_sweep_trials_that_never_took_a_step_are_not_listed_and_the_page_says_how_many(db):
    seed_store(db, seeds=(1,))
    with RunStore(db) as store:
        sweep_id = store.create_sweep("cancelled early", {"axes": []})
        for _ in range(3):
            run_id = store.create_run(RunConfig(steps=30).to_dict(), {}, sweep_id=sweep_id, status="queued")
            store.update_run(run_id, status="cancelled")
    at = page()
    (table,) = at.dataframe
    assert list(table.value["id"]) == [1]
    assert "3 sweep trials that never took a step not listed: Filter → Sweep trials." in [c.value for c in at.caption]
    at.selectbox(key="exp_f_trials").set_value("all").run()
    assert sorted(at.dataframe[0].value["id"]) == [1, 2, 3, 4] and not at.exception
