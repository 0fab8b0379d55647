"""Losses (against hand-computed values, NumPy and central differences) and SGD with its schedules."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from micrograd import losses
from micrograd.engine import Value
from micrograd.fast.numeric import per_example_loss
from micrograd.gradcheck import gradcheck
from micrograd.optim import SGD, schedule
from tests import strategies as S

SCORES = [2.0, -0.5, 0.3]
LABELS = [1.0, -1.0, -1.0]
HAND = {
    # (2 - 1)^2, (-0.5 + 1)^2, (0.3 + 1)^2
    "mse": (1.0 + 0.25 + 1.69) / 3,
    # max(0, 1 - 2), max(0, 1 - 0.5), max(0, 1 + 0.3)
    "svm": (0.0 + 0.5 + 1.3) / 3,
    # log(1 + e^(-y s))
    "bce": (math.log(1 + math.exp(-2.0)) + math.log(1 + math.exp(-0.5)) + math.log(1 + math.exp(0.3))) / 3,
}


@pytest.mark.parametrize("name", HAND)
def test_losses_against_hand_computed_values(name: str) -> None:
    fn = getattr(losses, name)
    assert fn([Value(s) for s in SCORES], LABELS).data == pytest.approx(HAND[name], rel=1e-12)
    assert losses.batch_loss(name, [Value(s) for s in SCORES], LABELS).data == pytest.approx(HAND[name], rel=1e-12)


@pytest.mark.parametrize("name", ["mse", "svm", "bce"])
@S.SETTINGS
@given(pairs=st.lists(st.tuples(S.finite(-50.0, 50.0), S.label), min_size=1, max_size=20))
def test_losses_match_numpy(name: str, pairs: list[tuple[float, float]]) -> None:
    s = np.array([p[0] for p in pairs])
    y = np.array([p[1] for p in pairs])
    want = per_example_loss(name, s, y)
    got = [losses.PER_EXAMPLE[name](Value(si), yi).data for si, yi in pairs]
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    batch = losses.batch_loss(name, [Value(si) for si, _ in pairs], list(y))
    assert batch.data == pytest.approx(float(np.mean(want)), rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("name", ["mse", "svm", "bce"])
@S.SETTINGS
@given(pairs=st.lists(st.tuples(S.score, S.label), min_size=1, max_size=4))
def test_loss_gradients(name: str, pairs: list[tuple[float, float]]) -> None:
    labels = [y for _, y in pairs]
    fn = getattr(losses, name)
    gradcheck(lambda *scores: fn(list(scores), labels), *[s for s, _ in pairs])


@pytest.mark.parametrize("score", [1000.0, -1000.0])
@pytest.mark.parametrize("y", [1.0, -1.0])
def test_bce_never_overflows(score: float, y: float) -> None:
    s = Value(score)
    loss = losses.bce([s], [y])
    loss.backward()
    assert math.isfinite(loss.data) and math.isfinite(s.grad)
    wrong = score * y < 0
    assert loss.data == (1000.0 if wrong else 0.0)
    assert s.grad == (-y if wrong else 0.0)


def test_l2() -> None:
    ps = [Value(1.0), Value(-2.0), Value(3.0)]
    out = losses.l2(ps)
    assert out.data == 14.0
    out.backward()
    assert [p.grad for p in ps] == [2.0, -4.0, 6.0]
    assert losses.l2([]).data == 0.0


def test_accuracy() -> None:
    # hits: 0.5 vs +1, -0.1 vs -1; misses: 0.0 vs +1 (0 counts as class -1), 2.0 vs -1
    assert losses.accuracy([Value(0.5), -0.1, Value(0.0), 2.0], [1, -1, 1, -1]) == 0.5
    assert losses.accuracy([1.0, -1.0], [1.0, -1.0]) == 1.0
    assert math.isnan(losses.accuracy([], []))


def test_loss_bad_input() -> None:
    with pytest.raises(ValueError, match="loss must be one of mse, svm, bce"):
        losses.per_example("hinge")
    with pytest.raises(ValueError, match="2 scores but 3 labels"):
        losses.mse([Value(1.0), Value(2.0)], [1.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="empty"):
        losses.svm([], [])


# optim


def params_with_grads(data: list[float], grads: list[float]) -> list[Value]:
    ps = [Value(x) for x in data]
    for p, g in zip(ps, grads):
        p.grad = g
    return ps


def test_sgd_plain_step() -> None:
    ps = params_with_grads([1.0, -2.0], [0.5, -0.25])
    SGD(ps, lr=0.1).step()
    assert [p.data for p in ps] == [1.0 - 0.1 * 0.5, -2.0 - 0.1 * -0.25]


def test_sgd_momentum() -> None:
    ps = params_with_grads([1.0], [0.5])
    opt = SGD(ps, lr=0.1, momentum=0.9)
    opt.step()  # v = 0.5, p = 1 - 0.05 = 0.95
    assert ps[0].data == pytest.approx(0.95, abs=1e-15)
    ps[0].grad = -1.0
    opt.step()  # v = 0.9 * 0.5 - 1 = -0.55, p = 0.95 + 0.055 = 1.005
    assert opt.velocity == [pytest.approx(-0.55, abs=1e-15)]
    assert ps[0].data == pytest.approx(1.005, abs=1e-15)


def test_sgd_weight_decay() -> None:
    ps = params_with_grads([2.0, -1.0], [0.5, 0.0])
    SGD(ps, lr=0.1, weight_decay=0.01).step()
    # g = grad + 0.01 * p: 0.52 and -0.01
    assert [p.data for p in ps] == [pytest.approx(2.0 - 0.052, abs=1e-15), pytest.approx(-1.0 + 0.001, abs=1e-15)]
    ps = params_with_grads([2.0], [0.5])
    opt = SGD(ps, lr=0.1, momentum=0.5, weight_decay=0.1)
    opt.step()  # g = 0.7, v = 0.7, p = 1.93
    ps[0].grad = 0.5
    opt.step()  # g = 0.5 + 0.193 = 0.693, v = 0.35 + 0.693 = 1.043, p = 1.93 - 0.1043 = 1.8257
    assert ps[0].data == pytest.approx(1.8257, abs=1e-14)


def test_sgd_zero_grad() -> None:
    ps = params_with_grads([1.0, 2.0], [3.0, 4.0])
    SGD(ps, lr=0.1).zero_grad()
    assert [p.grad for p in ps] == [0.0, 0.0]


def test_sgd_state_dict_round_trip() -> None:
    a = params_with_grads([1.0, -1.0], [0.3, 0.7])
    opt = SGD(a, lr=0.2, momentum=0.8, weight_decay=0.01)
    opt.step()
    state = opt.state_dict()
    b = [Value(p.data) for p in a]
    opt2 = SGD(b, lr=1.0)
    opt2.load_state_dict(state)
    assert opt2.state_dict() == state
    for p, q in zip(a, b):
        p.grad = q.grad = -0.4
    opt.step()
    opt2.step()
    assert [p.data for p in a] == [q.data for q in b]


def test_sgd_load_state_dict_validates_before_changing() -> None:
    opt = SGD([Value(1.0)], lr=0.5, momentum=0.5)
    before = opt.state_dict()
    for bad, word in [
        ({**before, "lr": 0.0}, "lr"),
        ({**before, "momentum": 1.0}, "momentum"),
        ({**before, "velocity": [0.0, 0.0]}, "velocity"),
    ]:
        with pytest.raises(ValueError, match=word):
            opt.load_state_dict(bad)
        assert opt.state_dict() == before


@pytest.mark.parametrize(
    "kwargs, word",
    [
        ({"lr": 0}, "lr"),
        ({"lr": math.nan}, "lr"),
        ({"lr": -1}, "lr"),
        ({"lr": math.inf}, "lr"),
        ({"lr": 0.1, "momentum": 1}, "momentum"),
        ({"lr": 0.1, "momentum": -0.1}, "momentum"),
        ({"lr": 0.1, "weight_decay": -1}, "weight_decay"),
    ],
)
def test_sgd_bad_hyperparameters(kwargs: dict, word: str) -> None:
    with pytest.raises(ValueError, match=word):
        SGD([Value(1.0)], **kwargs)


def test_sgd_bad_params() -> None:
    with pytest.raises(ValueError, match="params"):
        SGD([], lr=0.1)
    with pytest.raises(ValueError, match="params"):
        SGD([1.0, 2.0], lr=0.1)


def test_schedules() -> None:
    const = schedule("constant", 0.3, None, 50)
    assert [const(k) for k in (0, 25, 49, 50)] == [0.3] * 4
    lin = schedule("linear", 1.0, 0.1, 100)
    for k in range(100):
        assert abs(lin(k) - (1.0 - 0.9 * k / 100)) <= 1e-15
    cos = schedule("cosine", 0.5, 0.01, 40)
    assert cos(0) == 0.5
    assert cos(40) == pytest.approx(0.01, abs=1e-15)
    assert cos(20) == pytest.approx((0.5 + 0.01) / 2, abs=1e-15)
    assert all(cos(k) >= cos(k + 1) for k in range(40))
    assert schedule("linear", 0.5, None, 10)(7) == 0.5  # no end: stays put


def test_schedule_bad_input() -> None:
    with pytest.raises(ValueError, match="schedule must be one of constant, linear, cosine; got 'step'"):
        schedule("step", 0.1, None, 10)
    with pytest.raises(ValueError, match="lr"):
        schedule("linear", 0.0, 0.1, 10)
    with pytest.raises(ValueError, match="lr_end"):
        schedule("linear", 0.1, -0.1, 10)
