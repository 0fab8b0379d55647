"""The command line, in-process through main() and end to end in a subprocess."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from micrograd.cli.main import main
from micrograd.studio.weights import load
from tests.conftest import require_tool


@pytest.fixture(autouse=True)
def _private_db(tmp_path, monkeypatch):
    monkeypatch.setenv("MICROGRAD_DB", str(tmp_path / "runs.db"))


def run_cli(*args: str, cwd=None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    return subprocess.run(
        [sys.executable, "-m", "micrograd", *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=300
    )


def test_original_demo_from_the_command_line(tmp_path):
    out = tmp_path / "model.json"
    p = run_cli(
        "train",
        *("--dataset", "moons", "--samples", "100", "--noise", "0.1", "--test-fraction", "0"),
        *("--layers", "16,16", "--activation", "relu", "--loss", "svm", "--lr", "1.0", "--lr-end", "0.1"),
        *("--schedule", "linear", "--steps", "100", "--batch-size", "0", "--l2", "1e-4", "--seed", "1337"),
        *("--out", str(out)),
    )
    assert p.returncode == 0, p.stderr
    assert "finished: 100 steps" in p.stdout and "train accuracy 100.0%" in p.stdout
    assert "Traceback" not in p.stderr
    doc = json.loads(out.read_text())
    assert doc["format"] == "micrograd-mlp" and doc["metrics"]["train_accuracy"] == 1.0
    assert doc["training"]["seed"] == 1337 and doc["metrics"]["step"] == 100


@pytest.mark.parametrize(
    "args, words",
    [
        (["train", "--layers", "16,x"], "comma-separated whole numbers"),
        (["train", "--activation", "gelu"], "invalid choice"),
        (["train", "--lr", "0"], "lr must be"),
        (["train", "--steps", "-3"], "steps must be"),
        (["train", "--samples", "2"], "samples"),
        (["train", "--dataset", "mnist"], "dataset must be one of"),
        (["train", "--csv", "/no/such/file.csv"], "file.csv"),
        (["train", "--out", "/no/such/dir/m.json", "--steps", "1"], "does not exist"),
        (["predict", "/no/such/model.json", "--csv", "x.csv"], "cannot read"),
        (["frobnicate"], "invalid choice"),
        ([], "required"),
    ],
)
def test_bad_flags_and_files_get_one_line_and_status_2(args, words, capsys):
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("micrograd: error: ")
    assert words in err


def test_bad_flag_in_a_subprocess_has_no_traceback():
    p = run_cli("train", "--momentum", "5")
    assert p.returncode == 2
    assert p.stderr.startswith("micrograd: error: momentum must be") and "Traceback" not in p.stderr


def test_train_csv_then_predict(tmp_path, capsys):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 2))
    rows = ["a,b,kind"] + [f"{x:.6f},{y:.6f},{'yes' if x + y > 0 else 'no'}" for x, y in X]
    (tmp_path / "d.csv").write_text("\n".join(rows) + "\n")
    model = tmp_path / "m.json"
    argv = ["train", "--csv", str(tmp_path / "d.csv"), "--label-column", "kind", "--layers", "4"]
    assert main([*argv, "--lr", "0.1", "--steps", "60", "--out", str(model)]) == 0
    loaded = load(model)
    assert loaded.feature_names == ["a", "b"] and list(loaded.class_names) == ["no", "yes"]
    assert main(["predict", str(model), "--csv", str(tmp_path / "d.csv"), "--out", str(tmp_path / "p.csv")]) == 0
    lines = (tmp_path / "p.csv").read_text().splitlines()
    assert lines[0] == "a,b,kind,score,predicted" and len(lines) == 81
    agree = sum(line.split(",")[2] == line.split(",")[4] for line in lines[1:])
    assert agree >= 72  # a linear rule: nearly all rows right


def test_predict_names_missing_feature_columns(tmp_path, capsys):
    from micrograd import MLP
    from micrograd.studio.weights import save

    save(tmp_path / "m.json", MLP(2, [1], seed=0), feature_names=["a", "b"])
    (tmp_path / "x.csv").write_text("a,c\n1,2\n")
    assert main(["predict", str(tmp_path / "m.json"), "--csv", str(tmp_path / "x.csv")]) == 2
    assert "b" in capsys.readouterr().err


def test_datasets_lists_every_dataset(capsys):
    from micrograd.studio.datasets import DATASETS

    assert main(["datasets"]) == 0
    out = capsys.readouterr().out
    for name in DATASETS:
        assert name in out


def test_graph_writes_dot(tmp_path, capsys):
    assert main(["graph", "--out", str(tmp_path / "g.dot")]) == 0
    dot = (tmp_path / "g.dot").read_text()
    assert dot.lstrip().startswith(("digraph", "strict digraph")) and "grad" in dot


def test_graph_writes_svg(tmp_path):
    require_tool("dot")
    assert main(["graph", "--out", str(tmp_path / "g.svg")]) == 0
    assert b"<svg" in (tmp_path / "g.svg").read_bytes()


def test_graph_without_dot_says_what_to_install(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path))
    assert main(["graph", "--out", str(tmp_path / "g.png")]) == 2
    assert "graphviz" in capsys.readouterr().err.lower()


def test_a_diverging_run_exits_1_with_the_message(capsys):
    argv = ["train", "--samples", "50", "--layers", "8,8", "--loss", "mse", "--lr", "1000", "--schedule", "constant"]
    assert main([*argv, "--init", "he", "--steps", "50"]) == 1
    assert "diverged at step" in capsys.readouterr().err


def test_the_console_script_is_installed():
    from pathlib import Path

    script = Path(sys.executable).parent / "micrograd"
    assert script.exists(), "make test installs the package (pip install -e .), which creates the script"
    p = subprocess.run([str(script), "datasets"], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0 and "moons" in p.stdout


def test_cli_runs_are_recorded_and_listed(tmp_path, capsys):
    db = tmp_path / "cli.db"
    assert main(["train", "--samples", "40", "--layers", "4", "--steps", "5", "--db", str(db)]) == 0
    assert main(["runs", "list", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "moons" in out and "2-4-1" in out and "finished" in out


@pytest.mark.parametrize(
    "args, words",
    [
        (["train", "--steps", "1", "--out", "{tmp}"], "it is a folder"),
        (["graph", "--out", "{tmp}/no/such/g.dot"], "cannot write"),
        (["train", "--layers", "1024,1024", "--steps", "1"], "1,053,697 parameters"),
        (["train", "--seed", "1" * 400], "seed must be a whole number"),
    ],
)
def test_unwritable_outputs_and_impossible_networks_get_one_line(args, words, tmp_path, capsys):
    assert main([a.replace("{tmp}", str(tmp_path)) for a in args]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and words in err


def test_a_store_that_fills_up_mid_run_is_said_once_and_the_model_is_still_written(tmp_path, monkeypatch, capsys):
    """Issue 11 item 9: the disk under the run store fills up mid-run (SQLite's own SQLITE_FULL)."""
    from micrograd.studio import recording
    from micrograd.studio.runs import RunStore

    real = recording.open_store

    def nearly_full(path=None):
        store, problem = real(path)
        pages = store._conn.execute("PRAGMA page_count").fetchone()[0]
        store._conn.execute(f"PRAGMA max_page_count = {pages + 2}")  # room for a few dozen steps only
        return store, problem

    monkeypatch.setattr(recording, "open_store", nearly_full)
    db, out = tmp_path / "full.db", tmp_path / "model.json"
    args = ["train", "--samples", "100", "--layers", "8", "--steps", "600", "--out", str(out), "--db", str(db)]
    assert main(args) == 0
    cap = capsys.readouterr()
    assert cap.err.count("warning:") == 1 and "disk is full" in cap.err and "Training still works" in cap.err
    assert "finished: 600 steps" in cap.out and f"weights written to {out}" in cap.out
    assert load(out).metrics["step"] == 600
    with RunStore(db) as store:
        (run,) = store.list_runs()
        saved = len(store.get_steps(run["id"]))
    assert 0 < saved < 600 and run["steps"] == saved
    # the true status, and where the record stops, fit even when the weights do not
    assert run["status"] == "finished" and f"record stops at step {saved}" in run["message"]


def test_ctrl_c_records_the_run_as_cancelled(tmp_path, monkeypatch, capsys):
    from micrograd.studio.runs import RunStore
    from micrograd.studio.trainer import Trainer

    real_step = Trainer.step

    def step(self):
        if self.step_count == 7:
            raise KeyboardInterrupt
        return real_step(self)

    monkeypatch.setattr(Trainer, "step", step)
    db = tmp_path / "c.db"
    assert main(["train", "--samples", "40", "--layers", "4", "--steps", "50", "--db", str(db)]) == 130
    with RunStore(db) as store:
        (run,) = store.list_runs()
        assert run["status"] == "cancelled" and "Ctrl-C after step 7" in run["message"]
        assert len(store.get_steps(run["id"])) == 7 and run["has_weights"] and run["has_initial_weights"]


# ---------------------------------------------------------------- outputs (--out): what may be replaced, and how


@pytest.fixture
def outputs(tmp_path):
    """A model, a CSV to score and a run store holding one finished run with weights: every command with --out."""
    csv = tmp_path / "d.csv"
    rng = np.random.default_rng(0)
    csv.write_text("x1,x2,kind\n" + "".join(f"{x:.4f},{y:.4f},{int(x > y)}\n" for x, y in rng.normal(size=(20, 2))))
    db, model = tmp_path / "runs.db", tmp_path / "model.json"
    assert (
        main(["train", "--samples", "20", "--layers", "2", "--steps", "2", "--db", str(db), "--out", str(model)]) == 0
    )
    return {
        "train": ["train", "--samples", "20", "--layers", "2", "--steps", "1", "--no-record", "--out"],
        "predict": ["predict", str(model), "--csv", str(csv), "--out"],
        "graph": ["graph", "--out"],
        "runs export": ["runs", "export", "1", "--db", str(db), "--out"],
    }


COMMANDS = ["train", "predict", "graph", "runs export"]


def _one_line_error(capsys) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "error: " in err and "Traceback" not in err, err
    return err


@pytest.mark.parametrize("command", COMMANDS)
def test_out_through_a_symlink_replaces_the_file_it_names_and_keeps_the_link(command, outputs, tmp_path, capsys):
    target, link = tmp_path / "real.dot", tmp_path / "link.dot"  # .dot: graph --out needs a suffix it knows
    target.write_text("old\n")
    link.symlink_to(target)
    assert main([*outputs[command], str(link)]) == 0
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text() != "old\n" and target.stat().st_size > 20
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []  # no temp file left


def _char_device(tmp_path, name: str, minor: int) -> str:
    """A character device to write to: as root a private node (1, minor) in tmp_path, so a failing run can only
    replace that; otherwise the system's own, which a non-root process could not replace anyway."""
    import stat

    if os.geteuid() != 0:
        return {3: "/dev/null", 7: "/dev/full"}[minor]
    path = tmp_path / name
    os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, minor))
    return str(path)


@pytest.mark.parametrize("command", COMMANDS)
def test_out_writes_into_a_character_device_and_leaves_it_one(command, outputs, tmp_path, capsys):
    import stat

    null = _char_device(tmp_path, "null", 3)
    assert main([*outputs[command], null]) == 0
    assert stat.S_ISCHR(os.stat(null).st_mode)
    full = _char_device(tmp_path, "full", 7)  # every write fails with "No space left on device"
    capsys.readouterr()
    assert main([*outputs[command], full]) == 2
    assert "No space left" in _one_line_error(capsys) and stat.S_ISCHR(os.stat(full).st_mode)


@pytest.mark.parametrize("command", COMMANDS)
def test_out_refuses_pipes_sockets_and_folders_in_one_line(command, outputs, tmp_path, capsys):
    import socket
    import stat

    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    sock_path = tmp_path / "sock"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(sock_path))
    try:
        for path, words, is_kind in [
            (fifo, "named pipe", stat.S_ISFIFO),
            (sock_path, "socket", stat.S_ISSOCK),
            (tmp_path, "folder", stat.S_ISDIR),
        ]:
            capsys.readouterr()
            assert main([*outputs[command], str(path)]) == 2, path
            assert words in _one_line_error(capsys)
            assert is_kind(os.stat(path).st_mode)  # still what it was
    finally:
        server.close()


def test_a_failed_export_leaves_the_old_file_whole(outputs, tmp_path, monkeypatch, capsys):
    """A full disk: the new text cannot be written (a file size limit, set once the run is read), the old file stays."""
    import resource
    import signal

    from micrograd.studio.runs import RunStore

    out = tmp_path / "keep.json"
    out.write_text('{"old": true}\n')
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    get_run = RunStore.get_run

    def then_the_disk_fills(self, run_id):
        run = get_run(self, run_id)
        resource.setrlimit(resource.RLIMIT_FSIZE, (8, hard))  # a write past byte 8 now fails with EFBIG
        return run

    monkeypatch.setattr(RunStore, "get_run", then_the_disk_fills)
    old_handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    try:
        status = main([*outputs["runs export"], str(out)])
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, old_handler)
    assert status == 2 and "too large" in _one_line_error(capsys).lower()
    assert out.read_text() == '{"old": true}\n'
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".keep")] == []


# ---------------------------------------------------------------- no tracebacks, right hints


@pytest.mark.parametrize("action", ["show", "export", "delete"])
def test_run_ids_beyond_sqlite_get_one_line(action, capsys, tmp_path):
    extra = ["--out", str(tmp_path / "x.json")] if action == "export" else ["--yes"] if action == "delete" else []
    assert main(["runs", action, "1180591620717411303424", *extra]) == 2
    err = _one_line_error(capsys)
    assert "run id" in err and "9223372036854775807" in err and "Overflow" not in err


def test_help_hints_name_the_whole_command(capsys):
    assert main(["runs", "show"]) == 2
    assert "(see: python -m micrograd runs show --help)" in _one_line_error(capsys)
    assert main([]) == 2
    assert "(see: python -m micrograd --help)" in _one_line_error(capsys)
    assert main(["train", "--bogus"]) == 2
    assert "(see: python -m micrograd train --help)" in _one_line_error(capsys)


def test_a_reader_that_goes_away_is_no_error(tmp_path):
    """`micrograd runs list | head -1`: the pipe closes before we write; no traceback, no 'Exception ignored'."""
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    for args in (["runs", "list", "--db", str(tmp_path / "none.db")], ["datasets"]):
        p = subprocess.Popen(
            [sys.executable, "-m", "micrograd", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
        )
        p.stdout.close()  # before the child has imported anything, let alone printed
        err = p.stderr.read().decode()
        p.wait(timeout=120)
        assert "Traceback" not in err and "BrokenPipeError" not in err and "Exception ignored" not in err, err


@pytest.mark.parametrize("path, words", [("/dev/zero", "not a regular file"), ("{tmp}", "is a folder")])
def test_csv_that_is_not_a_file_is_named_for_what_it_is(path, words, tmp_path, capsys):
    assert main(["train", "--csv", path.replace("{tmp}", str(tmp_path))]) == 2
    err = _one_line_error(capsys)
    assert words in err and "no such file" not in err


# ---------------------------------------------------------------- numbers: huge cells, divergence, no silent success


def test_a_huge_csv_cell_trains_and_writes_without_numpy_warnings(tmp_path):
    rng = np.random.default_rng(0)
    rows = [f"{x:.4f},{y:.4f},{int(x + y > 0)}" for x, y in rng.normal(size=(40, 2))]
    rows[0] = "1e308,0.5,1"
    (tmp_path / "big.csv").write_text("a,b,label\n" + "\n".join(rows) + "\n")
    out = tmp_path / "m.json"
    p = run_cli("train", "--csv", str(tmp_path / "big.csv"), "--steps", "20", "--no-record", "--out", str(out))
    assert p.returncode == 0, p.stderr
    assert "Warning" not in p.stderr and "diverged" not in p.stderr
    assert load(out).preprocessing["std"][0] > 1e306


def test_train_never_exits_0_without_writing_out(tmp_path, monkeypatch, capsys):
    from micrograd.studio.trainer import Trainer
    from micrograd.studio.weights import WeightsError

    def cannot(self):
        raise WeightsError(["preprocessing.std[0] is inf"], "cannot export these weights")

    monkeypatch.setattr(Trainer, "export_json", cannot)
    out = tmp_path / "m.json"
    assert main(["train", "--samples", "20", "--steps", "2", "--no-record", "--out", str(out)]) == 1
    assert not out.exists() and "no weights written" in capsys.readouterr().err


def test_divergence_says_what_overflowed_and_names_no_dashboard_button(tmp_path, monkeypatch, capsys):
    """Gradients of 1e200 overflow the norm, yet the weights stay finite: they are written, and nobody claims
    they became infinite."""
    from micrograd.studio.trainer import Trainer

    def huge_gradients(self, X, y, theta):
        g = np.full(len(self.params), 1e200)
        return 1.0, g, g  # the objective's gradient and the data loss's

    monkeypatch.setattr(Trainer, "_gradient", huge_gradients)
    out = tmp_path / "m.json"
    assert main(["train", "--samples", "20", "--steps", "5", "--lr", "0.01", "--no-record", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "diverged at step 1" in err and "gradient" in err
    assert "infinite or NaN" not in err and "Reset" not in err
    assert all(
        abs(w) < 1e199 for layer in json.loads(out.read_text())["layers"] for row in layer["weights"] for w in row
    )


def test_a_regression_dataset_trains_at_regression_rates_unless_the_flags_say_otherwise():
    """QA: `train --dataset sine` diverged at step 3 at the classifiers' rate 1; the dashboard brings it to 0.01."""
    from micrograd.cli.main import build_parser, config_of
    from micrograd.studio.presets import REGRESSION_LR, REGRESSION_LR_END

    def rates(*flags: str) -> tuple[float, float]:
        c = config_of(build_parser().parse_args(["train", *flags]))
        return c.lr, c.lr_end

    assert rates("--dataset", "sine") == (REGRESSION_LR, REGRESSION_LR_END)
    assert rates("--dataset", "moons") == (1.0, 0.1)  # the classifiers keep the settings' defaults
    assert rates("--dataset", "sine", "--lr", "0.05") == (0.05, REGRESSION_LR_END)  # a flag given wins
    assert rates("--dataset", "moons", "--task", "regression") == (REGRESSION_LR, REGRESSION_LR_END)
    p = run_cli("train", "--dataset", "sine", "--steps", "50", "--quiet")
    assert p.returncode == 0 and p.stdout.startswith("finished: 50 steps"), p.stdout + p.stderr


def test_every_error_says_micrograd_error_and_a_missing_model_file_says_check_the_path(tmp_path):
    """QA: `runs show 99999` printed "error: ..." where every other command says "micrograd: error: ..."."""
    p = run_cli("predict", str(tmp_path / "missing.json"), "--csv", str(tmp_path / "x.csv"))
    assert (
        p.returncode == 2 and p.stderr.startswith("micrograd: error: cannot read ") and "; check the path" in p.stderr
    )
    for args in (("runs", "show", "99999"), ("runs", "delete", "99", "--yes"), ("runs", "list", "--sweep", "99")):
        p = run_cli(*args)
        assert p.returncode == 2 and p.stderr.startswith("micrograd: error: "), (args, p.stderr)
        assert "Traceback" not in p.stderr
