"""The original micrograd demo.ipynb, reproduced with this library: two moons, a 2-16-16-1 MLP, 100 SGD steps."""

from __future__ import annotations

import statistics
import time

import pytest
from sklearn.datasets import make_moons

from micrograd import MLP, Value
from micrograd.losses import accuracy, l2, svm
from micrograd.optim import SGD, schedule
from micrograd.studio.trainer import gc_paused


@pytest.mark.slow
def test_original_demo_reaches_full_accuracy() -> None:
    # random_state=1337 draws what np.random.seed(1337) then make_moons(random_state=None) drew in the demo
    X, y = make_moons(n_samples=100, noise=0.1, random_state=1337)
    labels = [float(v) for v in y * 2 - 1]
    inputs = [[Value(float(a)), Value(float(b))] for a, b in X]
    model = MLP(2, [16, 16, 1], seed=1337)  # the same weights as random.seed(1337) in the demo
    params = model.parameters()
    lr_at = schedule("linear", 1.0, 0.1, 100)  # 1.0 - 0.9 * k / 100
    opt = SGD(params, lr=lr_at(0))
    history, seconds = [], []
    for k in range(100):
        start = time.perf_counter()
        with gc_paused():
            scores = [model(x) for x in inputs]
            loss = svm(scores, labels) + 1e-4 * l2(params)
            acc = accuracy(scores, labels)
            opt.zero_grad()
            loss.backward()
            opt.lr = lr_at(k)
            opt.step()
            del scores
        seconds.append(time.perf_counter() - start)
        history.append((loss.data, acc))
    first_full = next(k for k, (_, a) in enumerate(history) if a == 1.0)
    print(
        f"\nreference demo: step 0 loss {history[0][0]:.4f}, step 99 loss {history[-1][0]:.4f} "
        f"accuracy {history[-1][1]:.0%}, first 100% at step {first_full}, "
        f"median {statistics.median(seconds):.3f} s/step"
    )
    assert history[-1][1] == 1.0
    assert history[-1][0] < 0.05
    assert history[-1][0] < history[0][0] / 10
