"""Trainer.step() gives bit for bit the records, parameters and diagnostics it gave before it was made cheap.

tests/data/step_reference.json was written by this file's ``record`` (``python -m tests.test_step_reference``) from
the trainer as it was before issue 12's rewrite (commit 71b1bda: every step looped over the parameters as Values,
evaluated the metrics and the layer health in separate forward passes, and updated with optim.SGD.step). Floats
are stored as float.hex, so equal means equal to the last bit.
"""

from __future__ import annotations

import hashlib
import json
import struct
import sys
from pathlib import Path

import pytest

from micrograd.studio.config import RunConfig
from micrograd.studio.trainer import Trainer

REFERENCE = Path(__file__).parent / "data" / "step_reference.json"
STEPS = 50

CONFIGS: dict[str, dict] = {
    # binary svm, momentum and L2, full batch: the default loss with the terms the optimizer adds
    "svm_momentum_l2_full_compiled": dict(samples=60, layers=[8, 8], loss="svm", momentum=0.9, l2=1e-3),
    "svm_momentum_l2_full_scalar": dict(samples=30, layers=[6, 6], loss="svm", momentum=0.9, l2=1e-3, engine="scalar"),
    # binary bce, mini-batches (reshuffled each epoch), tanh, cosine schedule
    "bce_batch_compiled": dict(
        samples=60, layers=[8, 8], loss="bce", activation="tanh", batch_size=16, momentum=0.5, schedule="cosine"
    ),
    "bce_batch_scalar": dict(
        samples=30, layers=[6], loss="bce", activation="tanh", batch_size=8, momentum=0.5, engine="scalar"
    ),
    # multiclass cross-entropy
    "multiclass_ce_compiled": dict(
        dataset="spiral", task="multiclass", classes=3, samples=60, layers=[8], loss="ce", lr=0.3, batch_size=20
    ),
    "multiclass_ce_scalar": dict(
        dataset="spiral", task="multiclass", classes=3, samples=24, layers=[5], loss="ce", lr=0.3, engine="scalar"
    ),
    # regression mse
    "regression_mse_compiled": dict(
        dataset="sine",
        task="regression",
        samples=50,
        layers=[8, 8],
        activation="tanh",
        loss="mse",
        lr=0.03,
        momentum=0.9,
    ),
    "regression_mse_scalar": dict(
        dataset="sine",
        task="regression",
        samples=20,
        layers=[4],
        activation="tanh",
        loss="mse",
        lr=0.03,
        batch_size=8,
        engine="scalar",
    ),
    # a run that diverges: the step it stops at, the message, and the weights it leaves
    "binary_mse_diverges_compiled": dict(samples=40, layers=[8, 8], loss="mse", lr=10.0, momentum=0.99, l2=0.0),
}


def canon(x: object) -> object:
    """x with every float as its exact hex form (nan and inf included), tuples as lists."""
    if isinstance(x, float):
        return x.hex()
    if isinstance(x, (list, tuple)):
        return [canon(v) for v in x]
    if isinstance(x, dict):
        return {k: canon(v) for k, v in x.items()}
    return x


def digest(floats: list[float]) -> str:
    """A short hash of the exact bits of a list of floats."""
    return hashlib.sha256(struct.pack(f"<{len(floats)}d", *floats)).hexdigest()[:16]


def record(name: str) -> dict:
    """50 steps of one configuration: every record (seconds left out), the parameters, gradients and momentum
    buffers after every step (hashed), the diagnostics series (hashed), and the final status and message."""
    tr = Trainer(RunConfig(steps=STEPS, **CONFIGS[name]))
    steps = []
    while (rec := tr.step()) is not None:
        rec = {k: v for k, v in rec.items() if k != "seconds"}
        steps.append(
            {
                **canon(rec),
                "params": digest([p.data for p in tr.params]),
                "grads": digest([p.grad for p in tr.params]),
                "velocity": digest(tr.optimizer.velocity),
            }
        )
    return {
        "steps": steps,
        "series": {
            k: hashlib.sha256(json.dumps(canon(v)).encode()).hexdigest()[:16] for k, v in tr.monitor.series.items()
        },
        "status": str(tr.status),
        "message": tr.message,
        "final_params": canon([p.data for p in tr.params]),
    }


@pytest.fixture(scope="module")
def reference() -> dict:
    return json.loads(REFERENCE.read_text())


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_steps_match_the_reference_bit_for_bit(name, reference):
    got, want = record(name), reference[name]
    assert len(got["steps"]) == len(want["steps"]) > 0
    for i, (g, w) in enumerate(zip(got["steps"], want["steps"])):
        assert g == w, f"{name}: step {i + 1} differs"
    assert got["series"] == want["series"]
    assert got["final_params"] == want["final_params"]
    assert (got["status"], got["message"]) == (want["status"], want["message"])


def test_the_reference_covers_what_it_claims(reference):
    """Every configuration is in the file, the diverging one diverged, the others ran their 50 steps."""
    assert set(reference) == set(CONFIGS)
    assert reference["binary_mse_diverges_compiled"]["status"] == "diverged"
    assert len(reference["binary_mse_diverges_compiled"]["steps"]) < STEPS
    for name in set(CONFIGS) - {"binary_mse_diverges_compiled"}:
        assert len(reference[name]["steps"]) == STEPS, name


if __name__ == "__main__":  # regenerate (only from a trainer known to be right)
    REFERENCE.write_text(json.dumps({n: record(n) for n in sorted(CONFIGS)}, indent=0) + "\n")
    sys.exit(0)
