"""Command line: ``python -m micrograd train|predict|datasets|graph|runs``."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from micrograd.studio import config
from micrograd.studio.config import LIMITS, ConfigError, RunConfig, settings
from micrograd.studio.presets import REGRESSION_LR, REGRESSION_LR_END
from micrograd.studio.trainer import Trainer
from micrograd.views.text import terminal


class CliError(Exception):
    """A user mistake: printed after "micrograd: error:", exit status 2.

    lines: more lines below the message, such as a list of problems. The message and each line are escaped for
    the terminal one by one (text quoted from a user's file shows its control characters, newlines included, as
    escapes), and only the breaks between them are real line breaks.
    """

    def __init__(self, message: str, lines: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.lines = tuple(lines)

    def __str__(self) -> str:
        return "\n".join([super().__str__(), *self.lines])

    def for_terminal(self) -> str:
        """The message and its lines, each escaped, joined by real line breaks."""
        return "\n".join(terminal(line) for line in [super().__str__(), *self.lines])


class Parser(argparse.ArgumentParser):
    """An argparse parser whose errors are one line and exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        # prog is "micrograd", "micrograd train" or "micrograd runs show": the command path after the program
        command = " ".join(["python -m micrograd", *self.prog.split()[1:]])
        raise CliError(f"{message} (see: {command} --help)")


def _arg_type(parse: Callable[[str], Any], name: str) -> Callable[[str], Any]:
    """An argparse type that reports the parser's ValueError message as is."""

    def convert(text: str) -> Any:
        try:
            return parse(text)
        except ValueError as e:
            raise argparse.ArgumentTypeError(str(e)) from None

    convert.__name__ = name  # argparse names the type in its messages
    return convert


def _add_settings(parser: argparse.ArgumentParser) -> None:
    """One flag per RunConfig setting that has one: type, choices, default and help from its Setting."""
    for name, s in settings().items():
        if s.cli_flag is None:
            continue
        choices = s.choices if isinstance(s.choices, tuple) else None  # a registry's names are checked by config
        if s.cli_type is not None:
            kind = s.cli_type
        elif s.many:
            kind = _arg_type(s.from_text, name)
        else:
            kind = s.kind
        metavar = None if choices else s.cli_flag[2:].upper().replace("-", "_")
        # task and loss: None until config_of picks the dataset's task and that task's first loss; the rates: None
        # until it picks the task's (regression diverges at the classifiers' default rate)
        default = None if name in _INFERRED else s.default
        rates = {"lr": REGRESSION_LR, "lr_end": REGRESSION_LR_END}
        helps = s.help if name not in rates else f"{s.help} (default {s.default}; {rates[name]:g} for regression)"
        parser.add_argument(
            s.cli_flag, dest=name, type=kind, choices=choices, default=default, metavar=metavar, help=helps
        )


_INFERRED = ("task", "loss", "lr", "lr_end")


def _default_task(values: dict) -> str:
    """The task of a run given no --task: the built-in dataset's own, or the one its CSV's label column suggests."""
    from micrograd.studio.datasets import DATASETS, DataError, csv_task

    if values.get("dataset") == "csv" and values.get("csv"):
        try:
            return csv_task(values["csv"], values.get("label_column"))
        except DataError:
            return "binary"  # make_dataset reports the problem with the file in full
    spec = DATASETS.get(str(values.get("dataset")))
    return spec.task if spec is not None else "binary"


def config_of(args: argparse.Namespace) -> RunConfig:
    """The (not yet validated) run configuration the train flags give; --csv selects dataset csv."""
    values = {name: getattr(args, name) for name, s in settings().items() if s.cli_flag is not None}
    if values.get("csv"):
        values["dataset"] = "csv"
    if getattr(args, "preset", False):
        _apply_preset(values)
    if values.get("task", "") is None:
        values["task"] = _default_task(values)
    if values.get("loss", "") is None:
        values["loss"] = config.LOSSES_BY_TASK.get(values.get("task", "binary"), ("svm",))[0]
    regression = values.get("task") == "regression"  # rates the dashboard also gives regression (presets.py)
    for name, rate in (("lr", REGRESSION_LR), ("lr_end", REGRESSION_LR_END)):
        if name in values and values[name] is None:
            values[name] = rate if regression else settings()[name].default
    return config.build(values)


def _apply_preset(values: dict) -> None:
    """Fill in the dataset's preset for every setting left at its default (a flag given keeps its value)."""
    from micrograd.studio.presets import preset

    try:
        chosen = preset(str(values.get("dataset")), values.get("task"))
    except ValueError as e:
        raise CliError(f"--preset: {e}") from None
    defaults = settings()
    for name, v in chosen.items():
        if name in values and (values[name] is None or values[name] == defaults[name].default):
            values[name] = v


def build_parser() -> Parser:
    """The argument parser of every subcommand."""
    p = Parser(prog="micrograd", description="Train and inspect MLPs on micrograd's scalar autograd engine.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=Parser)

    t = sub.add_parser("train", help="train a model and write its weights as JSON")
    _add_settings(t)
    t.add_argument(
        "--preset", action="store_true", help="use the dataset's preset settings (micrograd datasets shows them)"
    )
    t.add_argument("--out", type=Path, help="write the trained weights here (JSON)")
    t.add_argument("--quiet", action="store_true", help="no progress bar")
    t.add_argument("--db", type=Path, help="the run history database (default: $MICROGRAD_DB or ~/.micrograd/runs.db)")
    t.add_argument("--no-record", action="store_true", help="do not save this run in the run history")
    t.set_defaults(func=cmd_train)

    pr = sub.add_parser("predict", help="score the rows of a CSV file with a trained model")
    pr.add_argument("model", type=Path, help="a weights file written by `train --out`")
    pr.add_argument("--csv", type=Path, required=True, help="rows to score; needs the model's feature columns")
    pr.add_argument("--out", type=Path, help="write predictions here (default: standard output)")
    pr.set_defaults(func=cmd_predict)

    ds = sub.add_parser("datasets", help="list the built-in datasets and their defaults")
    ds.set_defaults(func=cmd_datasets)

    g = sub.add_parser("graph", help="write the computation graph of a small net for one input")
    g.add_argument("--out", type=Path, default=Path("graph.dot"), help="file to write: .dot, .svg or .png")
    g.add_argument("--seed", type=int, default=1, help="seed of the weights")
    g.set_defaults(func=cmd_graph)

    from micrograd.cli.runs import register

    register(sub)
    from micrograd.cli import sweep

    sweep.register(sub)
    return p


def _progress(total: int, quiet: bool):
    """An on_step callback drawing a one-line progress bar on stderr (only on a terminal)."""
    show = not quiet and sys.stderr.isatty()

    def on_step(r: dict) -> None:
        if not show:
            return
        width = 30
        done = int(width * r["step"] / total)
        score = f"R² {r['train_r2']:.3f}" if "train_r2" in r else f"acc {r['train_accuracy']:.1%}"
        sys.stderr.write(
            f"\r[{'#' * done}{'.' * (width - done)}] {r['step']}/{total} loss {r['loss']:.4f} {score} lr {r['lr']:.3g}   "
        )
        if r["step"] == total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return on_step


def _recorder(args: argparse.Namespace):
    """The run recorder (micrograd.studio.recording.Recorder), or None with --no-record.

    A store problem (cannot open, disk full mid-run) is said once on stderr; training and --out go on.
    """
    if args.no_record:
        return None
    from micrograd.studio.recording import Recorder

    return Recorder(args.db, on_error=lambda problem: print(f"warning: {terminal(problem)}", file=sys.stderr))


def cmd_train(args: argparse.Namespace) -> int:
    """Train, print a summary line, write the weights."""
    from micrograd.studio.datasets import DataError
    from micrograd.studio.status import Status
    from micrograd.studio.weights import weights_of

    config = config_of(args)
    # out of range: said with the command line's range (1 to the limit), not the dashboard's (0 is no budget)
    if isinstance(config.steps, int) and not 0 <= config.steps <= LIMITS.steps:
        raise CliError(f"--steps must be a whole number from 1 to {LIMITS.steps:,}, got {config.steps}")
    if config.steps == 0:  # no budget trains until Pause: the dashboard has one, a command line run would never end
        raise CliError(
            "--steps 0 means no budget (train until Pause), which only the dashboard offers; "
            f"a command-line run needs a budget: give --steps N (1 to {LIMITS.steps:,})"
        )
    try:
        config.validate()
        dataset = config.make_dataset()
    except (ConfigError, DataError) as e:
        raise CliError(str(e)) from None
    if args.out:  # before training, so a bad --out costs no training time
        _check_out(args.out)
    progress = _progress(config.steps, args.quiet)
    recorder = _recorder(args)
    try:
        trainer = Trainer(config, dataset, on_step=progress)
    except ConfigError as e:
        raise CliError(str(e)) from None
    if recorder is not None:
        recorder.watch(trainer)  # records from the first step, with the initial weights
    try:
        trainer.run()
    except KeyboardInterrupt:
        if recorder is not None:
            recorder.close(Status.CANCELLED, f"stopped with Ctrl-C after step {trainer.step_count}")
        raise
    m = trainer.metrics()
    if trainer.status in (Status.DIVERGED, Status.FAILED):
        print(terminal(trainer.message), file=sys.stderr)
    else:
        for warning in trainer.monitor.warnings.values():  # a dead layer, vanishing gradients, saturation
            print(f"warning: {terminal(warning)}", file=sys.stderr)

        def score(which: str) -> str:
            if "train_r2" in m:
                return f"{which} R² {m[f'{which}_r2']:.3f}"
            return f"{which} accuracy {m[f'{which}_accuracy']:.1%}"

        test = f", test loss {m['test_loss']:.4f}, {score('test')}" if len(dataset.y_test) else ""
        print(
            f"{trainer.status}: {trainer.step_count} steps in {trainer.train_seconds:.2f} s ({config.engine} engine), "
            f"train loss {m['train_loss']:.4f}, {score('train')}{test}"
        )
    weights = weights_of(trainer)  # None when they cannot be exported (a diverged run's NaNs)
    if recorder is not None:
        recorder.close()  # final status, metrics, weights; a store problem was said once on stderr
    if args.out:
        if weights is None:
            print(f"no weights written to {args.out}: {_unexportable(trainer)}", file=sys.stderr)
            return 1  # the file the user asked for does not exist: never a success
        _write(args.out, weights)
        after = f" (at step {trainer.step_count}, after the divergence)" if trainer.status == Status.DIVERGED else ""
        print(f"weights written to {args.out}{after}")
    return 0 if trainer.status == Status.FINISHED else 1


def _unexportable(trainer: Trainer) -> str:
    """Why the trainer's weights cannot be written, in a few words."""
    from micrograd.studio.weights import WeightsError

    try:
        trainer.export_json()
    except WeightsError as e:
        return "; ".join(e.problems)
    return "they could not be exported"


def _check_out(path: Path) -> None:
    """Raise a CliError now if nothing could be written at path (a folder, a pipe, a missing folder)."""
    from micrograd.studio.files import OutputError, check_output

    try:
        check_output(path)
    except OutputError as e:
        raise CliError(str(e)) from None


def _write(path: Path, data: str | bytes) -> None:
    """Every --out goes through here: see micrograd.studio.files; a failure is a one-line CliError."""
    from micrograd.studio.files import OutputError, write_file

    try:
        write_file(path, data)
    except OutputError as e:
        raise CliError(str(e)) from None


def cmd_predict(args: argparse.Namespace) -> int:
    """Write one row per input row: the score and the predicted class."""
    from micrograd.studio.datasets import DataError, read_feature_matrix
    from micrograd.studio.weights import WeightsError, load

    try:
        loaded = load(args.model)
    except OSError as e:
        raise CliError(f"cannot read {args.model}: {e.strerror}; check the path") from None
    except WeightsError as e:  # one line per problem; each is escaped, as it may quote the file's text
        n = len(e.problems)
        raise CliError(
            f"{args.model} is not a valid weights file ({n} problem{'s' * (n != 1)}):", [f"- {p}" for p in e.problems]
        ) from None
    try:
        frame, X = read_feature_matrix(args.csv, loaded.feature_names)
    except DataError as e:
        raise CliError(str(e)) from None
    values = loaded.predict(X)
    if loaded.task == "binary":
        frame = frame.assign(score=values, predicted=loaded.labels(X))
    elif loaded.task == "multiclass":  # one score column per class, then the winning class's name
        scores = {f"score_{name}": values[:, j] for j, name in enumerate(loaded.class_names)}
        frame = frame.assign(**scores, predicted=loaded.labels(X))
    else:  # regression: the values in the data's own units, one column per target
        cols = values.reshape(len(values), -1)
        names = ["predicted"] if cols.shape[1] == 1 else [f"predicted_{n}" for n in loaded.class_names]
        frame = frame.assign(**{n: cols[:, j] for j, n in enumerate(names)})
    text = frame.to_csv(index=False)
    if args.out:
        _write(args.out, text)
        print(f"{len(frame)} predictions written to {args.out}")
    else:
        sys.stdout.write(text)
    return 0


def cmd_datasets(args: argparse.Namespace) -> int:
    """Print the dataset registry."""
    from micrograd.studio.datasets import DATASETS, DEFAULT_TEST_FRACTION
    from micrograd.studio.presets import PRESETS, describe

    print(f"{'name':<15}{'task':<12}{'features':>9}{'samples':>9}{'noise':>7}  description")
    for name, s in DATASETS.items():
        for task in s.tasks:
            print(f"{name:<15}{task:<12}{s.n_features:>9}{s.samples:>9}{s.noise:>7g}  {s.description}")
            if (name, task) in PRESETS:
                print(f"{'':<27}preset: {describe(PRESETS[(name, task)])}")
    print(
        f"(default test fraction {DEFAULT_TEST_FRACTION}; your own data: train --csv FILE --label-column NAME, "
        "which holds out no test rows unless --test-fraction says so)"
    )
    print("(a preset's settings as flags: train --dataset NAME --task TASK --preset)")
    return 0


def cmd_graph(args: argparse.Namespace) -> int:
    """The classic 2 -> 2 -> 1 example's scalar graph for one input, as DOT (or SVG/PNG with Graphviz)."""
    from micrograd.nn import MLP
    from micrograd.views import graph

    model = MLP(2, [2, 1], activation="tanh", seed=args.seed)
    snap = graph.snapshot(model, [2.0, -1.0], 1.0, "mse")
    dot = graph.to_dot(snap)
    suffix = args.out.suffix.lower()
    if suffix in (".svg", ".png"):
        try:
            _write(args.out, graph.render(dot, suffix[1:]))
        except graph.GraphvizNotInstalled as e:
            raise CliError(str(e)) from None
    elif suffix in (".dot", ".gv", ""):
        _write(args.out, dot)
    else:
        raise CliError(f"--out must end in .dot, .svg or .png; got {args.out.name}")
    print(f"graph of MLP(2, [2, 1]) for x = (2, -1), y = 1 ({len(snap.nodes)} nodes) written to {args.out}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m micrograd`` and the ``micrograd`` console script."""
    parser = build_parser()
    try:
        args, extra = parser.parse_known_args(argv)
        if extra:  # reported here, not by the top parser, so the hint names the subcommand the words were given to
            command = " ".join(c for c in (args.command, getattr(args, "runs_command", None)) if c)
            raise CliError(f"unrecognized arguments: {' '.join(extra)} (see: python -m micrograd {command} --help)")
        status = int(args.func(args) or 0)
        sys.stdout.flush()  # here, so a closed pipe is caught below rather than at exit
        return status
    except CliError as e:
        print(f"micrograd: error: {e.for_terminal()}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("micrograd: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `micrograd runs list | head -1`: the reader has gone, which is no error of ours. Point stdout at
        # /dev/null so the interpreter's own flush at exit does not fail again (Python's documented recipe).
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # 128 + SIGPIPE, what a C program killed by the signal reports


if __name__ == "__main__":
    sys.exit(main())
