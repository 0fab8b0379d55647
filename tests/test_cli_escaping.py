"""The CLI prints user text (run names, tags, messages, CSV column names) with control characters made visible."""

import numpy as np

from micrograd.cli.main import main
from micrograd.studio.runs import RunStore

EVIL = "evil\x1b[2J\x1b]0;owned\x07\rname\n\u202eeman"
SEEN = "evil\\x1b[2J\\x1b]0;owned\\x07\\x0dname\\x0a\\u202eeman"


def _no_controls(out: str) -> bool:
    return not any((ord(c) < 32 and c != "\n") or 0x7F <= ord(c) < 0xA0 or c == "\u202e" for c in out)


def test_runs_list_show_and_delete_show_escapes_not_control_characters(tmp_path, capsys):
    db = tmp_path / "runs.db"
    with RunStore(db) as store:
        run_id = store.create_run({"dataset": "csv", "label_column": EVIL}, {"feature_names": [EVIL]}, name=EVIL)
        store.set_tags(run_id, [EVIL])
        store.update_run(run_id, status="finished", message=EVIL)
    assert main(["runs", "list", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert _no_controls(out) and SEEN in out and len(out.strip().splitlines()) == 2  # header + one row
    assert main(["runs", "show", str(run_id), "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert _no_controls(out) and f"run {run_id}: {SEEN}" in out and f"message: {SEEN}" in out
    assert f"tags: {SEEN}" in out
    assert main(["runs", "delete", str(run_id), "--yes", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert _no_controls(out) and f"deleted run {run_id} ({SEEN})" in out


def test_train_prints_csv_column_names_escaped(tmp_path, capsys):
    rng = np.random.default_rng(0)
    header = "a,b\x1b[31m,label"
    rows = "\n".join(f"{x:.3f},{y:.3f},{int(x > y)}" for x, y in rng.normal(size=(30, 2)))
    path = tmp_path / "d.csv"
    path.write_text(f"{header}\n{rows}\n")
    code = main(["train", "--csv", str(path), "--label-column", "nope", "--steps", "2"])
    err = capsys.readouterr().err
    assert code == 2 and _no_controls(err) and "b\\x1b[31m" in err
