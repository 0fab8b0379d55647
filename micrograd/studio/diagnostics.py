"""Per-step training diagnostics: divergence, dead and saturated units, gradient norms per layer, the loss trend.

Computed with NumPy on the weights the step's metrics were measured at (one forward pass over the training set) and
on the step's gradients, so a step costs little more than its metrics. The trainer asks ``Monitor`` once per step.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache

import numpy as np

from micrograd.fast import numeric
from micrograd.nn import MLP
from micrograd.studio.config import LR_OPTIONS

DIVERGE_FACTOR = 1e6  # a loss this many times max(1, the first step's loss) has diverged, finite or not
SATURATED_SHARE = 0.9  # a unit is saturated when this share of the training points sits on a flat tail
# first layer's gradient norm below this times the last layer's: vanishing gradients (sigmoid's slope is at most 1/4,
# so five layers between them can shrink it ~1000×; at 1/1000 the lesson's own six-layer net was never flagged)
VANISHING_RATIO = 1e-2
TREND_WINDOW = 20  # steps the loss trend looks back over
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)  # a layer's activation distribution over the training points, in brief
RISING = 0.5  # a loss this much (50 %) above its value TREND_WINDOW steps ago: the learning rate may be too high


@dataclass(frozen=True)
class LayerHealth:
    """One layer at one step: how many units are dead or saturated, and the norm of its parameters' gradient."""

    units: int
    dead: int  # output exactly 0 on every training point (a ReLU whose input is <= 0 everywhere)
    saturated: int  # |tanh| > 0.99, or sigmoid outside [0.01, 0.99], on >= 90 % of the training points
    grad_norm: float  # || d objective / d (this layer's weights and biases) ||
    activations: tuple[float, ...] = ()  # the QUANTILES of its outputs over every unit and training point

    @property
    def dead_share(self) -> float:
        """Share of the layer's units that are dead."""
        return self.dead / self.units if self.units else 0.0

    @property
    def saturated_share(self) -> float:
        """Share of the layer's units that are saturated."""
        return self.saturated / self.units if self.units else 0.0


@dataclass(frozen=True)
class Diagnosis:
    """The diagnostics of one step."""

    step: int
    layers: tuple[LayerHealth, ...]
    loss_trend: float  # relative change of the loss over the last TREND_WINDOW steps (< 0: falling)
    diverged: str  # why the run diverged at this step, "" if it did not
    warnings: tuple[str, ...]  # every warning so far, each from the step it first appeared
    trend_steps: int = TREND_WINDOW  # the steps loss_trend spans (fewer early in a run)
    trend_ends: tuple[float, float] = (math.nan, math.nan)  # the losses it is measured between


def layer_grad_norms(model: MLP, params: list | None = None) -> list[float]:
    """Per layer, the norm of the gradient of its weights and biases (the grads the last backward pass left).

    params: model.parameters(), if the caller has it (building it names every parameter, which costs more than
    this); they come layer by layer, (nin + 1) * nout each.
    """
    params = model.parameters() if params is None else params
    return grad_norms(np.array([p.grad for p in params], dtype=float), model.sizes)[1]


def grad_norms(grads: np.ndarray, sizes: Sequence[int], layers: np.ndarray | None = None) -> tuple[float, list[float]]:
    """(the whole gradient's norm, each layer's) from the gradient vector in model.parameters() order; the layers'
    from ``layers`` instead when given (the trainer's: the data loss's gradient, without L2's).

    NumPy's sums (to ~1e-15 of math.fsum's exact one, at a fifth of its cost on every training step).
    """
    with np.errstate(over="ignore", invalid="ignore"):  # a diverging run's huge gradient squares to inf
        sq = grads * grads
        total = math.sqrt(float(np.add.reduce(sq)))
        if layers is not None and layers is not grads:
            sq = layers * layers
        norms = np.sqrt(np.add.reduceat(sq, _layer_starts(tuple(sizes)))).tolist()
    return total, norms


@cache
def _layer_starts(sizes: tuple[int, ...]) -> np.ndarray:
    """Where each layer's weights and biases begin in the parameter vector."""
    counts = [(nin + 1) * nout for nin, nout in zip(sizes, sizes[1:])]
    return np.cumsum([0, *counts[:-1]])


def saturated_mask(activation: str, a: np.ndarray) -> np.ndarray:
    """Which activations sit on a flat tail of their function (where the local derivative is nearly 0)."""
    if activation == "tanh":
        return np.abs(a) > 0.99
    if activation == "sigmoid":
        return (a < 0.01) | (a > 0.99)
    return np.zeros(a.shape, dtype=bool)  # relu's flat side is "dead"; linear has none


_Q = np.array(QUANTILES)


@lru_cache(maxsize=64)
def _quantile_plan(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """For n values: np.quantile's (method "linear") neighbour indices and weights for QUANTILES."""
    v = (n - 1) * _Q
    prev = np.floor(v)
    nxt = prev + 1
    above = v >= n - 1  # past the last value: numpy takes the last one
    prev[above] = -1
    nxt[above] = -1
    prev_i, next_i = prev.astype(np.intp), nxt.astype(np.intp)
    gamma = np.asarray(v - prev_i, dtype=v.dtype)
    return prev_i, next_i, gamma, gamma >= 0.5


def quantiles(a: np.ndarray) -> np.ndarray:
    """np.quantile(a, QUANTILES) of a non-empty 1-D array of finite floats, bit for bit but for the sign of a zero
    (always 0.0 here), at a tenth of its cost; tests/test_step_vector.py compares."""
    return quantile_rows(a[None, :])[0]


def layer_health(
    layers: list[numeric.DenseLayer], X: np.ndarray, grad_norms: list[float], outs: list[np.ndarray] | None = None
) -> list[LayerHealth]:
    """Dead and saturated units per layer over the rows of X, with each layer's gradient norm.

    outs: numeric.forward_all(layers, X), if the caller has it (the trainer's metrics share that pass).
    """
    if outs is None:
        outs = numeric.forward_all(layers, X) if len(X) else [np.zeros((0, len(lay.bias))) for lay in layers]
    health = []
    for lay, out, g in zip(layers, outs, grad_norms):
        n, units = out.shape
        if not n:
            health.append(LayerHealth(units, 0, 0, g, ()))
            continue
        dead = units - int(np.count_nonzero((out != 0.0).any(axis=0)))  # a nan output is not 0: the unit is alive
        saturated = 0
        if lay.activation in ("tanh", "sigmoid"):  # relu's flat side is "dead"; linear has none
            share = np.count_nonzero(saturated_mask(lay.activation, out), axis=0) / n  # = the mask's mean per unit
            saturated = int(np.count_nonzero(share >= SATURATED_SHARE))
        ok = np.isfinite(out)
        finite = out.ravel() if ok.all() else out[ok]  # the same values (np.quantile does not care about order)
        q = tuple(quantiles(finite).tolist()) if finite.size else ()
        health.append(LayerHealth(units, dead, saturated, g, q))
    return health


def quantile_rows(A: np.ndarray) -> np.ndarray:
    """np.quantile(row, QUANTILES) of each row of A (B, m), m > 0, finite, with NumPy's two-sided interpolation.

    A sort, not NumPy's partition at ten points (4x its cost for a layer's 1,280 outputs): the values at each rank
    are the same, except that one may hold -0.0 where the partition puts 0.0, so a zero result is made 0.0.
    """
    prev, nxt, gamma, upper = _quantile_plan(A.shape[1])
    arr = np.sort(A, axis=1)
    lo, hi = arr[:, prev], arr[:, nxt]
    diff = hi - lo
    out = lo + diff * gamma
    np.subtract(hi, diff * (1 - gamma), out=out, where=upper)
    out += 0.0  # -0.0 + 0.0 is 0.0: the sign of a zero then does not depend on where the sort put it
    return out


def layer_health_stack(
    activations: Sequence[str], outs: list[np.ndarray], grad_norms: Sequence[Sequence[float]]
) -> list[list[LayerHealth]]:
    """layer_health for many steps at once: outs are each layer's outputs (B, n, units) (numeric.forward_stack),
    grad_norms[b] step b's per-layer norms. Returns each step's list of LayerHealth, bit for bit layer_health's."""
    B = len(grad_norms)
    columns = []  # per layer, each step's LayerHealth
    for i, (activation, out) in enumerate(zip(activations, outs)):
        _, n, units = out.shape
        if not n:
            columns.append([LayerHealth(units, 0, 0, g[i], ()) for g in grad_norms])
            continue
        dead = (units - np.count_nonzero((out != 0.0).any(axis=1), axis=1)).tolist()
        saturated = [0] * B
        if activation in ("tanh", "sigmoid"):
            share = np.count_nonzero(saturated_mask(activation, out), axis=1) / n
            saturated = np.count_nonzero(share >= SATURATED_SHARE, axis=1).tolist()
        flat = out.reshape(B, n * units)
        finite = np.isfinite(flat).all(axis=1)
        q: list = [None] * B
        rows = np.flatnonzero(finite)
        if len(rows):
            for b, values in zip(rows.tolist(), quantile_rows(flat[rows]).tolist()):
                q[b] = tuple(values)
        for b in np.flatnonzero(~finite).tolist():  # a row with nan or inf: its finite values, as layer_health
            kept = flat[b][np.isfinite(flat[b])]
            q[b] = tuple(quantiles(kept).tolist()) if kept.size else ()
        columns.append([LayerHealth(units, dead[b], saturated[b], grad_norms[b][i], q[b]) for b in range(B)])
    return [list(step) for step in zip(*columns)]


SERIES_LIMIT = 50_000  # per-step entries kept in memory; beyond, the older half is thinned (see thin)


def thin(records: list, keep: int) -> None:
    """Halve the older part of a long per-step list in place: every other entry before the newest ``keep`` (the
    first stays). A run without a budget then holds a bounded number, denser towards the present."""
    if len(records) > keep:
        records[:] = records[:-keep:2] + records[-keep:]


# what to try against vanishing gradients, by the hidden layers' activation (QA: a ReLU net was told "try ReLU")
VANISHING_ADVICE = {
    "sigmoid": "Try ReLU or tanh instead of sigmoid, fewer layers, or the scaled initialisation.",
    "tanh": "Try ReLU instead of tanh, fewer layers, or the scaled initialisation.",
    "relu": (
        "Its ReLU units are off (output 0, slope 0) wherever the gradient would pass back: try a smaller learning "
        "rate or the scaled initialisation, then start again from fresh weights."
    ),
    "linear": "Try fewer layers or the scaled initialisation.",
}


class Monitor:
    """Follows one run step by step: remembers the first loss and the recent ones, and the warnings so far."""

    def __init__(self) -> None:
        self.first_loss: float | None = None
        self.recent: deque[float] = deque(maxlen=TREND_WINDOW + 1)
        self.warnings: dict[str, str] = {}  # kind -> sentence, in the order they first appeared
        self.last: Diagnosis | None = None
        # per step, one value per layer: the run's diagnostics over time, beside the trainer's history
        self.series: dict[str, list] = {
            "step": [],
            "dead_units": [],
            "saturated_units": [],
            "layer_grad_norms": [],
            "activation_quantiles": [],
        }

    def fork(self) -> Monitor:
        """A copy that judges the next steps as this one would, with an empty series of its own."""
        twin = Monitor()
        twin.first_loss, twin.last, twin.warnings = self.first_loss, self.last, dict(self.warnings)
        twin.recent.extend(self.recent)
        return twin

    def trend(self) -> float:
        """Relative change of the loss over the window (0 until two finite losses are known)."""
        if len(self.recent) < 2 or not all(math.isfinite(v) for v in (self.recent[0], self.recent[-1])):
            return 0.0
        return (self.recent[-1] - self.recent[0]) / max(abs(self.recent[0]), 1e-12)

    def divergence(
        self,
        step: int,
        loss: float,
        grad_norm: float,
        params_finite: bool,
        lr: float,
        task: str = "binary",
        *,
        loss_name: str | None = None,
        momentum: float | None = None,
        l2: float = 0.0,
    ) -> str:
        """Why the run diverged at this step ("" if it did not): a non-finite or exploded loss, or an overflow.

        loss is the step's objective (its data loss, plus the L2 penalty when l2 > 0). The advice fits the run: a
        binary classifier on MSE may swap it for a margin loss, a regression for Huber; momentum 0 only when the
        run has momentum (loss_name and momentum None: both suggested, as when they are unknown).
        """
        if self.first_loss is None and math.isfinite(loss):
            self.first_loss = loss
        limit = DIVERGE_FACTOR * max(1.0, self.first_loss or 0.0)
        # measured before the step's update, as its record; the view's metrics at this step are after it, and are
        # the data loss alone
        penalty = " (with its L2 penalty)" if l2 else ""
        if not math.isfinite(loss):
            what = f"the loss became {loss}{penalty}"
        elif loss > limit:
            what = (
                f"the loss reached {loss:.3g}{penalty} before this step's update, over a million times its first "
                f"value ({self.first_loss:.3g})"
            )
        elif not math.isfinite(grad_norm):
            what = f"the gradient overflowed (its norm is {grad_norm})"
        elif not params_finite:
            what = "the weights overflowed"
        else:
            return ""
        advice = [f"a smaller learning rate (this step used {lr:g}; try {smaller_rate(lr):g})"]
        if loss_name in (None, "mse"):
            advice += {
                "binary": ["an SVM or BCE loss instead of MSE"],
                "regression": ["the Huber loss instead of MSE (it grows only linearly with large errors)"],
            }.get(task, [])
        if momentum is None or momentum > 0:
            advice.append("momentum 0")
        tries = ", ".join(advice[:-1] + [f"or {advice[-1]}"]) if len(advice) > 1 else advice[0]
        return f"Training diverged at step {step}: {what}. Try {tries}, then start again from fresh weights."

    def observe(self, step: int, loss: float, health: list[LayerHealth], activation: str, diverged: str) -> Diagnosis:
        """Record one step and add the warnings it brings (dead layer, vanishing gradients, saturation)."""
        self.recent.append(loss)
        hidden = health[:-1]  # the output layer is linear: it can be neither dead nor saturated by design
        for i, h in enumerate(hidden):
            if h.dead == h.units and f"dead{i}" not in self.warnings:
                self.warnings[f"dead{i}"] = (
                    f"The network is dead from step {step}: all {h.units} units of hidden layer {i + 1} output 0 on "
                    "every training point, so no gradient reaches the layers below it and its output stops "
                    "depending on the input. Training goes on, but it cannot recover: try a smaller learning rate, "
                    "the scaled initialisation, or tanh, then start again from fresh weights."
                )
            if h.units and h.saturated == h.units and f"saturated{i}" not in self.warnings:
                name = "tanh" if activation == "tanh" else "sigmoid"
                self.warnings[f"saturated{i}"] = (
                    f"Hidden layer {i + 1} is saturated at step {step}: every {name} unit sits on a flat tail on "
                    "at least 90 % of the training points, where its gradient is nearly 0. Try a smaller learning "
                    "rate or the scaled initialisation."
                )
        gap = vanishing(health)
        if gap is not None and "vanishing" not in self.warnings:
            first, last = gap
            advice = VANISHING_ADVICE.get(activation, VANISHING_ADVICE["linear"])
            self.warnings["vanishing"] = (
                f"Vanishing gradients at step {step}: the first layer's gradient norm ({first:.2g}) is under 1/100 "
                f"of the last layer's ({last:.2g}), so the first layers barely learn. {advice}"
            )
        span = max(1, len(self.recent) - 1)
        ends = (self.recent[0], self.recent[-1])
        self.last = Diagnosis(step, tuple(health), self.trend(), diverged, tuple(self.warnings.values()), span, ends)
        for key, values in (
            ("step", step),
            ("dead_units", tuple(h.dead for h in health)),
            ("saturated_units", tuple(h.saturated for h in health)),
            ("layer_grad_norms", tuple(h.grad_norm for h in health)),
            ("activation_quantiles", tuple(h.activations for h in health)),
        ):
            self.series[key].append(values)
        if len(self.series["step"]) > SERIES_LIMIT:
            for column in self.series.values():
                thin(column, SERIES_LIMIT // 2)
        return self.last


def smaller_rate(lr: float) -> float:
    """The rate to try after a divergence: the sidebar's largest choice at or below a tenth of lr (QA: "try 0.97525"
    is no choice of its slider); else its largest choice below lr; else a tenth of lr."""
    fits = [o for o in LR_OPTIONS if o <= lr / 10] or [o for o in LR_OPTIONS if o < lr]
    return max(fits) if fits else lr / 10


def vanishing(health: Sequence[LayerHealth]) -> tuple[float, float] | None:
    """(the first layer's gradient norm, the last layer's) when the first is under VANISHING_RATIO of the last, else
    None. A wholly dead hidden layer cuts the gradient off instead (said as dead units): that is never vanishing."""
    if len(health) <= 2 or any(h.units and h.dead == h.units for h in health[:-1]):
        return None
    first, last = health[0].grad_norm, health[-1].grad_norm
    return (first, last) if last > 0 and first < VANISHING_RATIO * last else None


def findings(diag: Diagnosis, activation: str) -> list[str]:
    """One plain sentence for each problem the step shows (dead or saturated units, vanishing gradients, a rising
    loss); [] when none. Unlike the run's warnings (said once, from the step they first appear), these describe
    this very step, so a view over the run can say what is wrong now."""
    out = []
    hidden = diag.layers[:-1]  # the output layer is linear
    dead = sum(h.dead for h in hidden)
    units = sum(h.units for h in hidden)
    if dead:
        where = ", ".join(f"{h.dead} of {h.units} in hidden layer {i + 1}" for i, h in enumerate(hidden) if h.dead)
        out.append(
            f"{dead} of the {units} hidden units ({dead / units:.0%}) are dead ({where}): they output 0 on every "
            "training point, so no gradient flows through them and they stop learning."
        )
    sat = sum(h.saturated for h in hidden)
    if sat:
        name = "tanh" if activation == "tanh" else "sigmoid"
        tail = "beyond ±0.99" if name == "tanh" else "outside [0.01, 0.99]"
        out.append(
            f"{sat} of the {units} hidden units ({sat / units:.0%}) are saturated: their {name} output is {tail} on "
            "at least 90 % of the training points, where its slope is nearly 0, so they learn slowly."
        )
    gap = vanishing(diag.layers)
    if gap is not None:
        first, last = gap
        out.append(
            f"Vanishing gradients: the first layer's gradient norm ({first:.2g}) is under 1/100 of the last "
            f"layer's ({last:.2g}); each layer multiplies the backward signal by its activation's slope, so the "
            "first layers barely learn."
        )
    if diag.loss_trend > RISING:
        # from a loss near 0 a percentage is unreadable (QA: "rose 52108585%"): a factor, and the two losses
        rise = f"{diag.loss_trend:.0%}" if diag.loss_trend <= 10 else f"{diag.loss_trend + 1:,.0f}-fold"
        a, b = diag.trend_ends
        ends = f" (from {a:.3g} to {b:.3g})" if math.isfinite(a) and math.isfinite(b) else ""
        out.append(
            f"The loss rose {rise} over the last {diag.trend_steps} step{'s' * (diag.trend_steps != 1)} instead of "
            f"falling{ends}: the learning rate may be too high, so each step overshoots the minimum."
        )
    if diag.diverged:
        out.append(diag.diverged)
    return out
