"""CLI defects from QA: problem lists on real lines, `runs list --sweep` of an unknown sweep, a sweep on a bad store."""

import pytest

from micrograd.cli.main import main
from micrograd.studio.runs import RunStore


@pytest.fixture(autouse=True)
def _private_db(tmp_path, monkeypatch):
    monkeypatch.setenv("MICROGRAD_DB", str(tmp_path / "runs.db"))


def _no_controls(out: str) -> bool:
    return not any((ord(c) < 32 and c != "\n") or 0x7F <= ord(c) < 0xA0 or c == "\u202e" for c in out)


# ---- 1. a message listing problems: one real line each, text from the file still escaped


def test_predict_lists_the_weights_files_problems_on_their_own_lines(tmp_path, capsys):
    model, rows = tmp_path / "garbage.json", tmp_path / "p.csv"
    model.write_text("this is not JSON {")
    rows.write_text("x,y\n1,2\n")
    assert main(["predict", str(model), "--csv", str(rows)]) == 2
    err = capsys.readouterr().err
    assert "\\x0a" not in err
    lines = err.rstrip("\n").split("\n")
    assert lines[0] == f"micrograd: error: {model} is not a valid weights file (1 problem):"
    assert lines[1].startswith("- not valid JSON") and len(lines) == 2


def test_predict_problem_lines_keep_hostile_text_escaped(tmp_path, capsys, monkeypatch):
    from micrograd.studio import weights

    def load(path):
        raise weights.WeightsError(["'name' is evil\x1b[2J\nforged line\u202e", "second"])

    monkeypatch.setattr(weights, "load", load)
    rows = tmp_path / "p.csv"
    rows.write_text("x,y\n1,2\n")
    assert main(["predict", str(tmp_path / "m\x1b]0;t\x07.json"), "--csv", str(rows)]) == 2
    err = capsys.readouterr().err
    assert _no_controls(err)
    lines = err.rstrip("\n").split("\n")
    assert len(lines) == 3 and lines[0].endswith("m\\x1b]0;t\\x07.json is not a valid weights file (2 problems):")
    assert lines[1] == "- 'name' is evil\\x1b[2J\\x0aforged line\\u202e" and lines[2] == "- second"


# ---- 2. `runs list --sweep ID` of a sweep that does not exist


def _store_with_a_run(db):
    with RunStore(db) as store:
        run_id = store.create_run({"dataset": "moons"}, {}, name="a plain run")
        sweep_id = store.create_sweep("empty sweep", {"base": {}, "axes": []})
    return run_id, sweep_id


def test_runs_list_of_an_unknown_sweep_says_so_and_fails_like_runs_show(tmp_path, capsys):
    db = tmp_path / "cli.db"
    _store_with_a_run(db)
    assert main(["runs", "show", "999", "--db", str(db)]) == 2  # the other "not found": status 2, on stderr
    assert "no run with id 999" in capsys.readouterr().err
    assert main(["runs", "list", "--sweep", "99", "--db", str(db)]) == 2
    cap = capsys.readouterr()
    assert "no sweep with id 99" in cap.err and "no runs yet" not in cap.out + cap.err


def test_runs_list_of_a_sweep_without_runs_and_of_a_missing_database(tmp_path, capsys):
    db = tmp_path / "cli.db"
    _, sweep_id = _store_with_a_run(db)
    assert main(["runs", "list", "--sweep", str(sweep_id), "--db", str(db)]) == 0
    assert capsys.readouterr().out.strip() == f"no runs in sweep {sweep_id}"
    missing = tmp_path / "missing.db"
    assert main(["runs", "list", "--sweep", "3", "--db", str(missing)]) == 2
    assert "no sweep with id 3" in capsys.readouterr().err and not missing.exists()
    assert main(["runs", "list", "--db", str(missing)]) == 0  # without --sweep: still "no runs yet"
    assert "no runs yet" in capsys.readouterr().out


@pytest.mark.parametrize("sweep", ["0", "-1", "99999999999999999999", "x"])
def test_runs_list_rejects_a_sweep_id_out_of_range_in_one_line(tmp_path, capsys, sweep):
    db = tmp_path / "cli.db"
    _store_with_a_run(db)
    assert main(["runs", "list", "--sweep", sweep, "--db", str(db)]) == 2  # was a traceback for 2**64 and over
    err = capsys.readouterr().err
    assert "a sweep id must be a whole number" in err and len(err.strip().splitlines()) == 1


# ---- 3. a sweep on a run store that cannot be used: said before any cluster starts, with what to do


@pytest.fixture
def no_cluster(monkeypatch):
    """Record every attempt to reach or start a cluster (and make it fail rather than start one)."""
    from micrograd.studio import cluster

    calls = []

    def client(self):
        calls.append(self)
        raise cluster.ClusterError("the test's cluster was asked for")

    monkeypatch.setattr(cluster.Clusters, "client", client)
    return calls


SWEEP = ["sweep", "--lr", "0.1,0.2", "--steps", "5", "--workers", "1", "--quiet"]


@pytest.mark.parametrize("how", ["env", "--db"])
def test_sweep_on_a_corrupt_store_fails_before_the_cluster_with_a_sweep_message(
    tmp_path, capsys, monkeypatch, no_cluster, how
):
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"\x00not a database at all\xff" * 200)
    if how == "env":
        monkeypatch.setenv("MICROGRAD_DB", str(garbage))
        args = SWEEP
    else:
        args = [*SWEEP, "--db", str(garbage)]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert no_cluster == []  # no cluster was asked for
    assert "Training still works" not in err and "corrupt" in err and str(garbage) in err
    assert "sweep was not started" in err and "move or delete" in err and "MICROGRAD_DB" in err and "--db" in err
    assert len(err.strip().splitlines()) == 1


def test_sweep_with_a_bad_scheduler_address_is_a_one_line_error(tmp_path, capsys, no_cluster):
    db = tmp_path / "s.db"
    assert main([*SWEEP, "--scheduler", "bogus!!", "--db", str(db)]) == 2  # was a traceback
    err = capsys.readouterr().err
    assert err.startswith("micrograd: error: 'bogus!!' is not a Dask scheduler address") and no_cluster == []
    assert not db.exists()  # a mistyped flag is reported before the store is touched


def test_sweep_cluster_log_is_printed_on_real_lines(tmp_path, capsys, monkeypatch):
    from micrograd.studio import cluster

    def client(self):
        raise cluster.ClusterError("The local Dask cluster did not start (OSError: x). Its log:\nfirst\nsecond\x1b[2J")

    monkeypatch.setattr(cluster.Clusters, "client", client)
    assert main([*SWEEP, "--db", str(tmp_path / "s.db")]) == 2
    err = capsys.readouterr().err
    assert _no_controls(err)
    assert err.rstrip("\n").split("\n")[-3:] == [
        "micrograd: error: The local Dask cluster did not start (OSError: x). Its log:",
        "first",
        "second\\x1b[2J",
    ]
