"""`micrograd sweep`: train many configurations at once on a Dask cluster and record each as a run.

    micrograd sweep --lr 0.01,0.1,1 --layers 4 16 16,16 --activation tanh,relu --seeds 3 --steps 200

A setting given one value changes the base configuration; two or more values (comma-separated, or network shapes
separated by spaces, or a range low:high:count[:log]) make it an axis.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

from micrograd.studio.sweeps import AXIS_FIELDS, MAX_SEEDS, MAX_TRIALS, Axis, SweepError, SweepSpec, label

DRY_RUN_LINES = 20


def register(subparsers: Any) -> None:
    """Add the `sweep` command to an argparse subparsers object."""
    from micrograd.studio.cluster import ENV_VAR

    p = subparsers.add_parser(
        "sweep",
        help="train a grid (or random sample) of configurations on a Dask cluster",
        description="Each setting takes one value (the base configuration) or several (an axis): comma-separated "
        "like --lr 0.01,0.1,1, a range low:high:count or low:high:count:log, or for --layers network shapes "
        "separated by spaces like --layers 4 16 16,16. Every trial is recorded in the run history.",
    )
    for name in AXIS_FIELDS:
        flag = "--" + name.replace("_", "-")
        if name == "layers":
            p.add_argument(flag, nargs="+", metavar="SHAPE", help="hidden layer sizes, one shape per value: 4 16,16")
        else:
            p.add_argument(flag, metavar="VALUES", help=f"{name}: one value, a comma-separated list or a range")
    p.add_argument(
        "--seeds", type=int, default=1, help=f"train each configuration with this many seeds (1-{MAX_SEEDS})"
    )
    p.add_argument("--random", type=int, metavar="N", help="random search: N configurations drawn from the axes")
    p.add_argument("--sample-seed", type=int, default=0, help="seed of the random search's draw")
    p.add_argument("--name", default="", help="a name for the sweep")
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help=f"an existing Dask scheduler, e.g. tcp://host:8786 (default: ${ENV_VAR}, else a local cluster)",
    )
    p.add_argument("--workers", type=int, help="worker processes of the local cluster (default: one per core)")
    p.add_argument("--db", type=Path, help="the run history database (default: $MICROGRAD_DB or ~/.micrograd/runs.db)")
    p.add_argument("--dry-run", action="store_true", help="print the sweep's size and trials, run nothing")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_sweep)


def spec_from_args(args: argparse.Namespace) -> SweepSpec:
    """The sweep the flags describe (SweepError listing every problem)."""
    from micrograd.studio.config import ConfigError, RunConfig

    base, axes, problems = RunConfig().to_dict(), [], []
    for name in AXIS_FIELDS:
        raw = getattr(args, name, None)
        if raw is None:
            continue
        try:
            axis = Axis.parse(name, " ".join(raw) if isinstance(raw, list) else raw)
        except SweepError as e:
            problems += e.problems
            continue
        values = axis.grid()
        if len(values) == 1 and axis.low is None:
            base[name] = values[0]
        else:
            axes.append(axis)
    if problems:
        raise SweepError(problems)
    try:
        RunConfig.from_dict({**base, "engine": "compiled"})
    except ConfigError as e:
        raise SweepError(e.problems) from None
    mode = "random" if args.random is not None else "grid"
    return SweepSpec(
        base={**base, "engine": "compiled"},
        axes=axes,
        mode=mode,
        samples=args.random if args.random is not None else 10,
        seeds=args.seeds,
        sample_seed=args.sample_seed,
        name=args.name,
    )


# the store's messages are written for training, which goes on without it; a sweep does not
_TRAINING_GOES_ON = re.compile(r"\s*Training still works, but runs are not saved\.")


def store_problem(error: Exception) -> str:
    """A StoreError's message for the sweep command: nothing runs without the store, and how to pick another file."""
    what, _, todo = _TRAINING_GOES_ON.sub("", str(error)).strip().partition(" To fix: ")
    todo = f"{todo.rstrip('.')}, or " if todo else ""
    return (
        f"{what} The sweep was not started: it records every trial there. "
        f"To fix: {todo}record it in another file with --db FILE (or MICROGRAD_DB=FILE)."
    )


def _check_store(args: argparse.Namespace) -> Path:
    """The run store's path, once it is known to open (StoreError if not): checked before any cluster starts."""
    from micrograd.studio.runs import RunStore, default_db_path

    db = args.db if args.db is not None else default_db_path()
    with RunStore(db):
        pass
    return db


def _duration(seconds: float) -> str:
    s = int(round(seconds))
    return f"{s // 60}m{s % 60:02d}s" if s >= 60 else f"{s}s"


def _progress_line(counts: dict, total: int, elapsed: float) -> str:
    done = sum(counts.get(s, 0) for s in ("finished", "diverged", "failed", "cancelled", "interrupted"))
    width = 30
    bar = "#" * int(width * done / max(1, total))
    eta = f" ETA {_duration(elapsed / done * (total - done))}" if 0 < done < total else ""
    failed = counts.get("failed", 0) + counts.get("interrupted", 0)
    return (
        f"\r[{bar.ljust(width, '.')}] {done}/{total} done, {counts.get('running', 0)} running, "
        f"{failed} failed, {counts.get('diverged', 0)} diverged, {_duration(elapsed)}{eta}   "
    )


def cmd_sweep(args: argparse.Namespace) -> int:
    """Run the sweep, drawing a progress bar; Ctrl-C cancels it and still records every trial."""
    from micrograd.cli.main import CliError
    from micrograd.studio.cluster import ENV_VAR, ClusterError, Clusters
    from micrograd.studio.runs import StoreError
    from micrograd.studio.sweep_driver import SweepRun
    from micrograd.views.text import terminal

    try:
        spec = spec_from_args(args)
        problems = spec.problems()
    except SweepError as e:
        raise CliError(str(e)) from None
    if problems:
        raise CliError("; ".join(problems))
    print(f"sweep: {spec.describe()} (at most {MAX_TRIALS:,})")
    if args.dry_run:
        trials = spec.trials()
        for t in trials[:DRY_RUN_LINES]:
            print("  " + " ".join(f"{k}={label(v)}" for k, v in {**t.axes, "seed": t.config["seed"]}.items()))
        if len(trials) > DRY_RUN_LINES:
            print(f"  ... and {len(trials) - DRY_RUN_LINES} more")
        return 0
    try:
        clusters = Clusters(args.scheduler or os.environ.get(ENV_VAR) or None, args.workers)  # starts nothing yet
        db = _check_store(args)  # a store that cannot record the trials: say so before any cluster starts
    except StoreError as e:
        raise CliError(store_problem(e)) from None
    except ClusterError as e:  # an address that is no Dask scheduler's
        raise CliError(str(e)) from None
    try:
        print(f"on the {clusters.describe()}", flush=True)
        run = SweepRun(db, clusters, spec, on_problem=lambda p: print(f"micrograd: {terminal(p)}", file=sys.stderr))
        try:
            sweep_id = run.start()
        except StoreError as e:
            clusters.close()
            raise CliError(store_problem(e)) from None
        except ClusterError as e:  # a local cluster's failure ends with its log: one line each
            clusters.close()
            first, *log = str(e).split("\n")
            raise CliError(first, log) from None
        except SweepError as e:
            clusters.close()
            raise CliError(str(e)) from None
        print(f"sweep {sweep_id}: {len(run.trials)} trials submitted", flush=True)
        code = _follow(run, quiet=args.quiet)
        clusters.close()
    except KeyboardInterrupt:  # a second Ctrl-C while cancelling: stop waiting; the driver's records stand
        print("\nmicrograd: interrupted", file=sys.stderr)
        return 130
    c = run.counts()
    summary = ", ".join(f"{n} {s}" for s, n in sorted(c.items()))
    print(f"sweep {sweep_id} {'cancelled' if run.cancelled else 'done'}: {summary}")  # problems were told on stderr
    print(f"results: micrograd runs list --sweep {sweep_id}")
    return code


def _follow(run, quiet: bool) -> int:
    """Draw progress until the driver is done; the first Ctrl-C cancels the sweep and waits for its records."""
    show = not quiet and sys.stderr.isatty()
    total, t0, code = len(run.trials), time.monotonic(), 0
    while True:
        try:  # the progress line too: a Ctrl-C while drawing it must cancel as well
            finished = run.join(0.5)
            if show:
                sys.stderr.write(_progress_line(run.counts(), total, time.monotonic() - t0))
                sys.stderr.flush()
        except KeyboardInterrupt:
            if run.cancelled:
                raise
            sys.stderr.write("\ncancelling: running trials stop and are recorded (Ctrl-C again to stop waiting)\n")
            run.cancel()
            code = 130
            continue
        if finished:
            break
    if show:
        sys.stderr.write("\n")
    c = run.counts()
    if code == 0 and (c.get("failed") or c.get("interrupted") or run.error):
        code = 1
    return code
