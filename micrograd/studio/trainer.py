"""The trainer that the UI ticks one step at a time."""

from __future__ import annotations

import copy
import hashlib
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from operator import attrgetter
from typing import TYPE_CHECKING, Any

import numpy as np

from micrograd.fast import numeric
from micrograd.nn import MLP
from micrograd.optim import SGD, schedule
from micrograd.studio import config as schema
from micrograd.studio import diagnostics, measure
from micrograd.studio.config import MAX_PARAMETERS, ConfigError, RunConfig
from micrograd.studio.copying import copy_model
from micrograd.studio.status import Status
from micrograd.studio.stepping import scalar_loss_and_grads, sgd_update
from micrograd.studio.threads import gc_paused, one_blas_thread

if TYPE_CHECKING:  # imported at run time only when the compiled engine is first used
    from micrograd.fast.compiled import CompiledLoss

STACK_ELEMENTS = 1 << 17  # batch(): steps x rows x widest layer measured at once (~1 MB arrays per layer)
HISTORY_LIMIT = 50_000  # step records kept in memory (a record is ~0.4 KB); beyond, older ones are thinned
_data, _grad = attrgetter("data"), attrgetter("grad")


# Trainer.status values: two phases of its own (no run status: ready = no step yet, training = may step on),
# then the run statuses it ends in
READY, TRAINING = "ready", "training"
FINISHED, DIVERGED, FAILED = Status.FINISHED, Status.DIVERGED, Status.FAILED


class Trainer:
    """Trains a model on a dataset one step at a time, reporting each step through ``on_step``.

    Each step records metrics measured before its update (as the original micrograd demo prints them):
    ``loss`` is the objective the step minimised (data loss on the batch + l2·Σp²); train/test loss and
    accuracy are the data loss and accuracy on the whole train/test sets, from a NumPy forward pass.
    """

    def __init__(
        self,
        config: RunConfig,
        dataset=None,
        model: MLP | None = None,
        on_step: Callable[[dict], None] | None = None,
    ) -> None:
        self.config = config.validate()
        one_blas_thread()  # the CLI, sweeps and the dashboard all train faster on one BLAS thread (threads.py)
        self.dataset = dataset if dataset is not None else config.make_dataset()
        self.task = getattr(self.dataset, "task", "binary")
        if self.task != config.task:
            raise ConfigError([f"the data is for task {self.task} but the configuration says {config.task}"])
        nin, nout = self.dataset.X_train.shape[1], self.dataset.n_outputs
        sizes = model.sizes if model is not None else [nin, *config.layers, nout]
        n_params = sum((a + 1) * b for a, b in zip(sizes, sizes[1:]))
        if n_params > MAX_PARAMETERS:  # checked before building: a million Values take seconds
            raise ConfigError(
                [
                    f"the network has {n_params:,} parameters; at most {MAX_PARAMETERS:,} fit in a weights file: "
                    "use fewer or narrower layers"
                ]
            )
        self.model = model if model is not None else config.make_model(nin, nout)
        if self.model.sizes[0] != nin:
            raise ConfigError([f"the model takes {self.model.sizes[0]} inputs but the data has {nin} features"])
        if self.model.sizes[-1] != nout:
            raise ConfigError([f"the model has {self.model.sizes[-1]} outputs but the data needs {nout}"])
        self.on_step = on_step
        self.params = self.model.parameters()
        self._index = numeric.layer_index(self.model, self.params)  # where each layer sits in the parameter vector
        self._sizes = tuple(self.model.sizes)  # read every step; MLP.sizes builds a list each time
        self.optimizer = SGD(self.params, lr=config.lr, momentum=config.momentum)
        self.history: list[dict] = []
        self.step_count = 0
        self.train_seconds = 0.0
        self.status = READY
        self.message = ""
        self.origin: int | None = None  # the stored run this one goes on from (a reopened run), named in its record
        self._rng = np.random.default_rng(config.seed)
        self._order = np.arange(0)
        self._cursor = 0
        self._compiled: CompiledLoss | None = None
        self._stop = threading.Event()  # set by request_stop(), from any thread; checked first by every step
        self.monitor = diagnostics.Monitor()  # per-step diagnostics; .last is the latest step's
        self._pending: list | None = None  # inside batch(): the steps taken and not yet measured
        self._unwritten: tuple[np.ndarray, np.ndarray] | None = None  # inside batch(): weights, grads not in the Values
        self._schedule: tuple[tuple, Callable[[int], float]] | None = None  # lr_at's schedule and what it was made of

    # hyperparameters that change live, without re-initialising (RunConfig's settings with effect LIVE)

    LIVE = schema.names_with(schema.LIVE)

    def set_dataset(self, dataset, config: RunConfig) -> None:
        """Train on new data from the next step, keeping the weights and the history; config describes that data.

        Only the data settings of config may differ from the current ones; raises ConfigError otherwise.
        """
        config = config.validate()
        self._flush()  # a batch's steps so far are measured on the data they trained on
        data = set(schema.names_with(schema.DATA))
        other = [f for f in config.to_dict() if f not in data and getattr(config, f) != getattr(self.config, f)]
        if other:
            raise ConfigError([f"{', '.join(other)} cannot change with the data; reset with a new configuration"])
        if dataset.n_features != self.model.sizes[0]:
            raise ConfigError(
                [f"the model takes {self.model.sizes[0]} inputs but the data has {dataset.n_features} features"]
            )
        if dataset.task != self.task or dataset.n_outputs != self.model.sizes[-1]:
            raise ConfigError(
                [f"the model is for {self.task} with {self.model.sizes[-1]} outputs; the new data cannot use it"]
            )
        if len(dataset.y_train) != len(self.dataset.y_train):  # the batch order indexes the old training set
            self._order, self._cursor = np.arange(0), 0
        self.dataset, self.config = dataset, config

    def update(self, **changes: Any) -> None:
        """Change live hyperparameters (see ``LIVE``); raises ConfigError and changes nothing if any is bad."""
        self._flush()  # a batch's steps so far are measured with the settings they trained with (the loss)
        bad = sorted(set(changes) - set(self.LIVE))
        if bad:
            raise ConfigError([f"{', '.join(bad)} cannot change during a run; reset with a new configuration"])
        new = self.config.replace(**changes)
        if new.loss != self.config.loss:
            self._compiled = None  # re-trace the per-example loss
        self.config = new
        self.optimizer.momentum = new.momentum
        if self.status == FINISHED and (new.steps == 0 or self.step_count < new.steps):  # a raised or no budget
            self.status = TRAINING
        elif self.status == TRAINING and 0 < new.steps <= self.step_count:  # a budget already spent (No budget off)
            self.status = FINISHED

    @property
    def has_budget(self) -> bool:
        """False when the run has no step budget (steps 0): it trains until stopped."""
        return self.config.steps > 0

    def lr_at(self, k: int) -> float:
        """The learning rate of step k (0-based) under the current schedule; constant lr with no budget."""
        c = self.config
        # a schedule runs over the budget: with none it has no end to move toward, so the rate stays at lr
        key = (c.schedule if self.has_budget else "constant", c.lr, c.lr_end, c.steps)
        if self._schedule is None or self._schedule[0] != key:  # made once per setting, not once per step
            self._schedule = (key, schedule(*key))
        return self._schedule[1](k)

    def request_stop(self) -> None:
        """Make every following step a no-op (step() returns None, run() ends) until resume(); safe from any thread."""
        self._stop.set()

    def resume(self) -> None:
        """Allow steps again after request_stop()."""
        self._stop.clear()

    @property
    def stop_requested(self) -> bool:
        """True between request_stop() and resume()."""
        return self._stop.is_set()

    @property
    def done(self) -> bool:
        """True when the budget is spent or the run cannot go on (never for the budget when there is none)."""
        spent = self.has_budget and self.step_count >= self.config.steps
        return self.status in (FINISHED, DIVERGED, FAILED) or spent

    def _batch(self) -> np.ndarray:
        n = len(self.dataset.y_train)
        b = self.config.batch_size
        if b == 0 or b >= n:
            return np.arange(n)
        if self._cursor + b > len(self._order):  # a new epoch: reshuffle
            self._order = self._rng.permutation(n)
            self._cursor = 0
        idx = self._order[self._cursor : self._cursor + b]
        self._cursor += b
        return idx

    def weights(self) -> np.ndarray:
        """The current parameter vector, in model.parameters() order: read from the Values (a page may have edited a
        weight), or inside a batch the newest step's, ahead of them (nothing else writes them then). To read, not to
        change."""
        if self._unwritten is not None:
            return self._unwritten[0]
        return np.fromiter(map(_data, self.params), dtype=float, count=len(self.params))

    def layers(self) -> list[numeric.DenseLayer]:
        """numeric.layers_of(self.model), from the current parameter vector (cheaper, and current inside a batch)."""
        return numeric.layers_from(self.weights(), self._index)

    def sync(self) -> None:
        """Write the batch's newest weights and gradients into the Values (a batch's steps leave that to its end, or to
        this: call it before reading the model inside a batch)."""
        if self._unwritten is not None:
            theta, grads = self._unwritten
            self._unwritten = None
            self._write(theta, grads)

    def _gradient(self, X: np.ndarray, y: np.ndarray, theta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        """(the objective on this batch, its gradient, the data loss's gradient) at theta, the current values; the
        gradients as vectors in parameter order. Without L2 both gradients are one array.

        The compiled engine works on vectors throughout; the scalar one sets every Value's grad, read back here (its
        data gradient is the objective's less the penalty's, 2 * l2 * theta, to rounding).
        """
        c = self.config
        if c.engine != "compiled":
            self.optimizer.zero_grad()
            loss = scalar_loss_and_grads(self.model, self.params, self.task, c.loss, c.l2, X, y)
            grads = np.fromiter(map(_grad, self.params), dtype=float, count=len(self.params))
            return loss, grads, (grads - 2.0 * c.l2 * theta if c.l2 else grads)
        loss, data = self._compiled_loss()(X, y, theta)
        grads = data
        if c.l2:
            with np.errstate(all="ignore"):  # a diverging run overflows here; the step reports it
                loss += c.l2 * float(theta @ theta)
                grads = data + 2.0 * c.l2 * theta
        return float(loss), grads, data

    def _compiled_loss(self) -> CompiledLoss:
        """The compiled engine's loss, traced on first use (and again after the loss changes)."""
        if self._compiled is None:
            from micrograd.fast.compiled import CompiledLoss

            self._compiled = CompiledLoss(self.model, self.config.loss, task=self.task)
        return self._compiled

    @property
    def metric_keys(self) -> tuple[str, ...]:
        """The keys evaluate() gives: losses, then accuracy (classes) or R² (regression) per set."""
        return measure.metric_keys(self.task)

    def evaluate(self, layers: list | None = None, train_out: np.ndarray | None = None) -> dict:
        """Data loss and accuracy (or R²) on the train and test sets at the current weights (or at ``layers``).

        train_out: numeric.outputs(layers, X_train), if the caller has it (step() shares it with the diagnostics).
        """
        layers = self.layers() if layers is None else layers
        return measure.evaluate(self.task, self.config.loss, self.dataset, layers, train_out)

    def step(self) -> dict | None:
        """One optimisation step; returns its record, or None when the run is done or stopped. Never raises.

        Inside ``batch()`` the record's metrics are measured when the batch ends (its keys are there, set to None
        until then), and history, the monitor and on_step see it then.
        """
        if self._stop.is_set():  # first, so a Pause takes effect before any work of the next step
            return None
        if self.done:
            if self.status in (READY, TRAINING):
                self.status = FINISHED
            return None
        k = self.step_count
        lr = self.optimizer.lr = self.lr_at(k)
        later = self._pending is not None
        try:
            idx = self._batch()
            X, y = self.dataset.X_train[idx], self.dataset.y_train[idx]
            # the parameters as one vector for the whole step; the Values are written once, at its end
            theta = self.weights()
            if later:
                metrics: dict = dict.fromkeys(self.metric_keys)  # measured with the batch's other steps
            else:
                layers = numeric.layers_from(theta, self._index)  # the weights this step's metrics describe
                X_train = self.dataset.X_train
                outs = numeric.forward_all(layers, X_train) if len(X_train) else None  # for metrics and health
                metrics = self.evaluate(layers, None if outs is None else outs[-1])
            t0 = time.perf_counter()
            with gc_paused(), np.errstate(all="ignore"):  # overflow is checked below and reported in words
                loss, grads, data = self._gradient(X, y, theta)
                # each layer's norm is its data loss gradient's, the flow back through the network: L2's own pull,
                # 2 * l2 * w, reaches even a dead layer (QA: two dead layers drew at ~5)
                grad_norm, layer_grads = diagnostics.grad_norms(grads, self._sizes, data)
                new = sgd_update(self.optimizer, theta, grads)
                if later and self.config.engine == "compiled":  # the scalar engine reads the Values; others call sync()
                    self._unwritten = (new, grads)
                else:
                    self._write(new, grads)
            seconds = time.perf_counter() - t0
        except Exception as e:  # a bug must not take the UI down; say what happened instead
            self.status, self.message = FAILED, f"Training stopped at step {k + 1}: {type(e).__name__}: {e}"
            return None
        self.train_seconds += seconds
        self.step_count = k + 1
        finite = bool(np.isfinite(new).all())
        c = self.config
        diverged = self.monitor.divergence(
            k + 1, loss, grad_norm, finite, lr, self.task, loss_name=c.loss, momentum=c.momentum, l2=c.l2
        )
        record = {"step": k + 1, "lr": lr, "loss": loss, **metrics, "grad_norm": grad_norm, "seconds": seconds}
        self.status = TRAINING
        if diverged:
            self.status = DIVERGED
            self.message = diverged
        elif self.has_budget and self.step_count >= self.config.steps:
            self.status = FINISHED
        if self._pending is not None:
            self._pending.append((record, theta, layer_grads, diverged))
            # big data: measured a few steps at a time, so a batch's arrays and its last pause stay small
            if len(self._pending) * len(self.dataset.X_train) * max(self._sizes[1:]) >= STACK_ELEMENTS:
                self._flush()
        else:
            self._close(record, diagnostics.layer_health(layers, X_train, layer_grads, outs), diverged)
        return record

    def _close(self, record: dict, health: list[diagnostics.LayerHealth], diverged: str) -> None:
        """A measured step's last part: the monitor's warnings, history and on_step."""
        diag = self.monitor.observe(record["step"], record["loss"], health, self.model.activation, diverged)
        self.history.append(record)
        if len(self.history) > HISTORY_LIMIT:  # memory stays bounded; the run store and on_step see every step
            diagnostics.thin(self.history, HISTORY_LIMIT // 2)
        self.message = diverged or " ".join(diag.warnings)  # kept by the run store with the final status
        if self.on_step is not None:
            self.on_step(record)

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Steps taken inside are measured together when it ends, then reach history, the monitor and on_step in
        order: one NumPy pass over a tick's steps instead of one per step (the live server's CPU), the same numbers
        bit for bit. The compiled engine's steps write the Values when it ends (or at sync()): inside, weights() and
        layers() are each step's. Nested batches are one."""
        if self._pending is not None:
            yield
            return
        self._pending = []
        try:
            yield
        finally:
            self._flush()
            self._pending = None

    def _flush(self) -> None:
        """Measure the batch's steps taken so far (metrics at the weights each started from, layer health) and close
        them; the batch goes on."""
        self.sync()  # on_step (the run recorder) may read the model
        if not self._pending:
            return
        pending, self._pending = self._pending, []
        d = self.dataset
        try:
            thetas = np.stack([theta for _, theta, _, _ in pending])
            outs = numeric.forward_stack(thetas, self._index, d.X_train)
            tests = numeric.forward_stack(thetas, self._index, d.X_test)[-1]
            measured = measure.evaluate_stack(self.task, self.config.loss, d, outs[-1], tests)
            norms = [g for _, _, g, _ in pending]
            healths = diagnostics.layer_health_stack([ix.activation for ix in self._index], outs, norms)
        except Exception as e:  # as step(): say what happened; the steps stay taken
            self.status, self.message = FAILED, f"Training stopped at step {self.step_count}: {type(e).__name__}: {e}"
            return
        for (record, _, _, diverged), values, health in zip(pending, measured, healths):
            record.update(zip(self.metric_keys, values))
            self._close(record, health, diverged)

    def _write(self, theta: np.ndarray, grads: np.ndarray) -> None:
        """Give every parameter Value its new data and this step's grad, in one pass (views read the model)."""
        if self.config.engine == "compiled":
            for p, x, g in zip(self.params, theta.tolist(), grads.tolist()):
                p.data, p.grad = x, g
        else:  # backward() already set the grads
            for p, x in zip(self.params, theta.tolist()):
                p.data = x

    def run(self, steps: int | None = None) -> str:
        """Take up to ``steps`` steps (default: to the end of the budget); returns the status.

        A run with no budget (steps 0) needs ``steps``: otherwise it would never return. Raises ConfigError.
        """
        if steps is None and not self.has_budget:
            raise ConfigError(
                ["this run has no step budget (steps 0), so run() would never end: pass steps=N, or set a budget"]
            )
        n = self.config.steps if steps is None else steps
        for _ in range(n):
            if self.step() is None or self.done:
                break
        return self.status

    def metrics(self) -> dict:
        """The metrics block of the weights file: at the current weights."""
        finite = self.status != DIVERGED
        m = self.evaluate() if finite else dict.fromkeys(self.metric_keys)
        warnings = list(self.monitor.warnings.values())
        return {
            "step": self.step_count,
            **m,
            "train_seconds": self.train_seconds,
            **({"warnings": warnings} if warnings else {}),
        }

    def state_key(self) -> str:
        """A digest of everything the next steps depend on: trainers with equal keys take equal steps."""
        h = hashlib.blake2b(digest_size=12)
        h.update(self.weights().tobytes())
        h.update(np.asarray(self.optimizer.velocity, dtype=float).tobytes())
        h.update(np.asarray(self._order).tobytes())
        state = (self.step_count, self._cursor, self._rng.bit_generator.state, self.status, id(self.dataset))
        h.update(repr((state, sorted(self.config.to_dict().items()))).encode())
        return h.hexdigest()

    def fork(self) -> Trainer:
        """A twin at this step that trains on without touching this trainer: its steps are the ones this trainer
        takes next, bit for bit (the live view shows them the moment Start is pressed)."""
        self.sync()
        if self.config.engine == "compiled":
            self._compiled_loss()  # traced here once, then shared: it reads the parameters from theta per call
        twin = copy.copy(self)  # shares the config, the dataset and the compiled loss
        twin.model = copy_model(self.model)
        twin.params = twin.model.parameters()
        twin.optimizer = SGD(twin.params, lr=self.optimizer.lr, momentum=self.optimizer.momentum)
        twin.optimizer.velocity = list(self.optimizer.velocity)
        twin._rng = copy.deepcopy(self._rng)
        twin._order = self._order.copy()
        twin._stop = threading.Event()
        twin._pending = None
        twin.history, twin.monitor, twin.on_step = [], self.monitor.fork(), None
        return twin

    def export_kwargs(self) -> dict:
        """Keyword arguments for micrograd.studio.weights: data description, configuration and metrics."""
        d = self.dataset
        kwargs = {
            "feature_names": list(d.feature_names),
            "preprocessing": d.preprocessing,
            "class_names": list(d.class_names),
            "training": self.config.to_dict(),
            "metrics": self.metrics(),
        }
        if self.task != "binary":  # a binary model's file stays version 1, as before
            kwargs |= {"task": self.task, "target_scaling": getattr(d, "target_scaling", None)}
        return kwargs

    def export_json(self) -> str:
        """The model in the weights-file format (docs/weights-format.md)."""
        from micrograd.studio import weights as export

        self.sync()
        return export.dumps(self.model, **self.export_kwargs())
