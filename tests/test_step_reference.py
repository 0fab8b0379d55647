"""Trainer.step() gives bit for bit the records, parameters and diagnostics it gave before it was made cheap.

tests/data/step_reference.json was written by this file's ``record`` (``python -m tests.test_step_reference``) from
the trainer as it was before issue 12's rewrite (commit 71b1bda: every step looped over the parameters as Values,
evaluated the metrics and the layer health in separate forward passes, and updated with optim.SGD.step). Floats
are stored as float.hex, so equal means equal to the last bit. Rewritten once since, when the gradient norms
moved from math.fsum to NumPy's sums (session 19): only each record's grad_norm and the hash of the layer_grad_norms
series changed, in their last bits; every other field of every configuration stayed the same.

The last bit of a NumPy result can depend on the CPU: OpenBLAS picks its kernels per CPU (the compiled engine's
gradient sums are matrix products) and NumPy dispatches AVX-512 versions of exp, log and tanh where the CPU has
them. The reference was written with the AVX2 kernels (OpenBLAS "Haswell", NumPy without its AVX-512 dispatch), so
the records are replayed in a subprocess pinned to those kernels (``PINNED``): the same arithmetic on any x86-64
CPU with AVX2, such as the CI machines. Regenerate with the same pin: ``python -m tests.test_step_reference``.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
import subprocess
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


def pinned_env() -> dict[str, str]:
    """The environment that gives NumPy and OpenBLAS the AVX2 kernels the reference was written with."""
    import numpy as np  # noqa: F401  (loads the module that lists the CPU's features)
    from numpy._core._multiarray_umath import __cpu_features__ as features

    if not features.get("AVX2"):
        raise RuntimeError("the reference needs the AVX2 kernels, and this CPU has no AVX2")
    avx512 = [f for f, on in features.items() if on and (f.startswith("AVX512") or f == "X86_V4")]
    env = {**os.environ, "OPENBLAS_CORETYPE": "Haswell", "PYTHONPATH": str(Path(__file__).parent.parent)}
    if avx512:
        env["NPY_DISABLE_CPU_FEATURES"] = " ".join(avx512)
    return env


def record_pinned() -> dict:
    """record() of every configuration, in a fresh process on the pinned kernels."""
    code = "import json; from tests.test_step_reference import CONFIGS, record; "
    code += "print(json.dumps({n: record(n) for n in sorted(CONFIGS)}))"
    out = subprocess.run([sys.executable, "-c", code], env=pinned_env(), capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


@pytest.fixture(scope="module")
def reference() -> dict:
    return json.loads(REFERENCE.read_text())


@pytest.fixture(scope="module")
def replayed() -> dict:
    return record_pinned()


def test_the_pin_gives_the_avx2_kernels():
    code = "import numpy; numpy.show_runtime()"
    out = subprocess.run([sys.executable, "-c", code], env=pinned_env(), capture_output=True, text=True, check=True)
    assert "'architecture': 'Haswell'" in out.stdout and "AVX512" not in out.stdout.split("not_found")[0]


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_steps_match_the_reference_bit_for_bit(name, reference, replayed):
    got, want = replayed[name], reference[name]
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


if __name__ == "__main__":  # regenerate (only from a trainer known to be right), on the pinned kernels
    REFERENCE.write_text(json.dumps(record_pinned(), indent=0) + "\n")
    sys.exit(0)
