"""`micrograd runs ...`: list, show, export and delete the training runs in the experiment store."""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from micrograd.studio.config import NO_BUDGET
from micrograd.studio.files import OutputError, write_file
from micrograd.studio.runs import STEP_KEYS, RunStore, StoreError, default_db_path, status_text
from micrograd.views.text import terminal

MAX_ID = 2**63 - 1  # SQLite's INTEGER; a bigger number cannot even be looked up
# score: accuracy in percent, or R² for a regression run
_LIST_COLUMNS = (
    "id",
    "name",
    "dataset",
    "architecture",
    "loss",
    "status",
    "steps",
    "train score",
    "test score",
    "created",
)


def _whole(low: int, high: int, what: str):
    """An argparse type: a whole number in [low, high], or a one-line error that names the range."""

    def parse(text: str) -> int:
        try:
            n = int(text)
        except ValueError:
            n = None
        if n is None or not low <= n <= high:
            raise argparse.ArgumentTypeError(f"{what} must be a whole number from {low} to {high}, got {text!r}")
        return n

    return parse


_run_id = _whole(1, MAX_ID, "a run id (see `runs list`)")
_sweep_id = _whole(1, MAX_ID, "a sweep id")


def register(subparsers: Any) -> None:
    """Add the `runs` command (list, show, export, delete) to an argparse subparsers object."""
    runs = subparsers.add_parser("runs", help="list, show, export and delete recorded training runs")
    sub = runs.add_subparsers(dest="runs_command", metavar="{list,show,export,delete}", required=True)
    db = argparse.ArgumentParser(add_help=False)
    db.add_argument("--db", type=Path, default=None, help="the runs database (default: $MICROGRAD_DB or ~/.micrograd)")

    p = sub.add_parser("list", parents=[db], help="a table of all runs, newest first")
    p.add_argument(
        "--sweep", type=_sweep_id, metavar="ID", help="only the trials of this sweep (see `micrograd sweep`)"
    )
    p.set_defaults(func=cmd_list)
    p = sub.add_parser("show", parents=[db], help="one run's config, metrics and last steps")
    p.add_argument("id", type=_run_id, help="the run id (see `runs list`)")
    p.add_argument(
        "--steps",
        type=_whole(0, MAX_ID, "--steps"),
        default=10,
        help="how many of the last steps to print (default 10)",
    )
    p.set_defaults(func=cmd_show)
    p = sub.add_parser("export", parents=[db], help="write a run's stored model weights (JSON) to a file")
    p.add_argument("id", type=_run_id, help="the run id (see `runs list`)")
    p.add_argument("--out", type=Path, required=True, help="the JSON file to write")
    p.set_defaults(func=cmd_export)
    p = sub.add_parser("delete", parents=[db], help="delete a run and its steps")
    p.add_argument("id", type=_run_id, help="the run id (see `runs list`)")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p.set_defaults(func=cmd_delete)


def _fail(message: str) -> int:
    print(f"micrograd: error: {terminal(message)}", file=sys.stderr)  # as main.py says every other error
    return 2


def _run_with_store(args: argparse.Namespace, body: Any, missing_ok: bool = False, what: str | None = None) -> int:
    """Open the --db store, call body(store), and turn store problems and unknown ids into exit status 2.

    A missing database file is "no runs yet" (exit 0) with missing_ok, else "no {what}" (default: the run args.id).
    """
    try:
        path = Path(args.db).expanduser() if args.db is not None else default_db_path()
        if not path.exists():  # looking at runs must not create a database (e.g. at a mistyped --db)
            if missing_ok:
                print(f"no runs yet ({path} does not exist)")
                return 0
            return _fail(f"no {what or f'run with id {args.id}'} ({path} does not exist)")
        with RunStore(path) as store:
            return body(store)
    except StoreError as e:
        return _fail(str(e))
    except KeyError as e:
        return _fail(str(e.args[0]) if e.args else "unknown run")


def _when(t: float | None) -> str:
    return "" if t is None else datetime.fromtimestamp(t).strftime("%Y-%m-%d %H:%M")


def _score(run: dict, split: str) -> str:
    """A run's accuracy on the split in percent, or its R² ("R² 0.912") when it is a regression."""
    if run.get("task") == "regression":
        r2 = run.get(f"{split}_r2")
        return "" if r2 is None else f"R² {r2:.3f}"
    x = run.get(f"{split}_accuracy")
    return "" if x is None else f"{100 * x:.1f}%"


def table(rows: list[list[str]], header: tuple[str, ...]) -> str:
    """Plain-text table with columns as wide as their widest cell."""
    cells = [list(header), *([terminal(c) for c in r] for r in rows)]  # names and CSV columns are user text
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in cells)


def cmd_list(args: argparse.Namespace) -> int:
    """Print a table of all runs."""

    def body(store: RunStore) -> int:
        if args.sweep is not None:
            store.get_sweep(args.sweep)  # KeyError: no such sweep, exit status 2 as for `runs show` of an unknown id
        runs = store.list_runs(sweep_id=args.sweep)
        if not runs:
            print(f"no runs yet in {store.path}" if args.sweep is None else f"no runs in sweep {args.sweep}")
            return 0
        now = time.time()  # a live run whose dashboard tab went quiet says so
        rows = [
            [str(r["id"]), r["name"], r["dataset"] or "", r["architecture"] or "", r["loss"] or "", status_text(r, now)]
            + [str(r["steps"]), *(_score(r, split) for split in ("train", "test")), _when(r["created_at"])]
            for r in runs
        ]
        print(table(rows, _LIST_COLUMNS))
        return 0

    if args.sweep is not None:  # a sweep id names something, like a run id: a missing database has no such sweep
        return _run_with_store(args, body, what=f"sweep with id {args.sweep}")
    return _run_with_store(args, body, missing_ok=True)


def _fmt(x: Any) -> str:
    return "" if x is None else f"{x:.6g}" if isinstance(x, float) else str(x)


def cmd_show(args: argparse.Namespace) -> int:
    """Print one run: its fields, config, data, metrics and last steps."""

    def body(store: RunStore) -> int:
        run = store.get_run(args.id)
        steps = store.get_steps(args.id, last=args.steps)
        print(f"run {run['id']}: {terminal(run['name'])}")
        print(f"  status: {terminal(status_text(run, time.time()))}")
        for key in ("dataset", "architecture", "loss", "steps", "wall_seconds", "message"):
            print(f"  {key}: {terminal(_fmt(run[key]))}")
        print(f"  tags: {terminal(', '.join(run['tags']))}")
        print(f"  created: {_when(run['created_at'])}  updated: {_when(run['updated_at'])}")
        print(f"  weights: {'stored' if run['has_weights'] else 'none'}")
        for key in ("config", "data", "metrics"):
            print(f"{key}:")
            for k, v in sorted(run[key].items()):
                note = f"  ({NO_BUDGET})" if key == "config" and k == "steps" and v == 0 else ""
                print(f"  {terminal(k)}: {json.dumps(v)}{note}")  # json.dumps escapes controls in values
        print(f"last {len(steps)} steps (each row measured before its step's update; metrics: at the final weights):")
        if steps:
            keys = tuple(k for k in STEP_KEYS if k in steps[0])  # the run's own score: accuracy or R²
            print(table([[_fmt(s[k]) for k in keys] for s in steps], keys))
        return 0

    return _run_with_store(args, body)


def cmd_export(args: argparse.Namespace) -> int:
    """Write a run's stored weights JSON to --out."""

    def body(store: RunStore) -> int:
        weights = store.get_run(args.id)["weights"]
        if weights is None:
            return _fail(f"run {args.id} has no stored weights (only finished runs keep their model)")
        try:
            write_file(args.out, weights)  # the same writer as every --out: atomic, never replaces a device
        except OutputError as e:
            return _fail(str(e))
        print(f"wrote the weights of run {args.id} to {args.out}")
        return 0

    return _run_with_store(args, body)


def cmd_delete(args: argparse.Namespace) -> int:
    """Delete a run and its steps (asks first unless --yes)."""

    def body(store: RunStore) -> int:
        name = terminal(store.get_run(args.id)["name"])
        if not args.yes:
            if not sys.stdin.isatty():
                return _fail(f"not deleting run {args.id} without confirmation; pass --yes")
            if input(f"delete run {args.id} ({name}) and its steps? [y/N] ").strip().lower() not in ("y", "yes"):
                print("not deleted")
                return 1
        store.delete(args.id)
        print(f"deleted run {args.id} ({name})")
        return 0

    return _run_with_store(args, body)
