"""Neurons, layers and MLPs: shapes, names, state dicts, seeding, initialisation and bad input."""

from __future__ import annotations

import json
import math
import random
import statistics

import pytest

from micrograd import MLP, Layer, Module, Neuron, Value


def weights(m: Module) -> list[float]:
    return [p.data for p in m.parameters()]


def test_parameter_counts() -> None:
    assert MLP(2, [16, 16, 1]).num_parameters() == 337
    assert len(MLP(2, [16, 16, 1]).parameters()) == 337
    assert len(Neuron(3).parameters()) == 4
    assert len(Layer(3, 2).parameters()) == 8
    assert len(MLP(3, [4, 4, 1]).parameters()) == (3 * 4 + 4) + (4 * 4 + 4) + (4 + 1)


def test_classic_nonlin_keyword() -> None:
    assert Neuron(2, nonlin=True).activation == "relu"
    assert Neuron(2, nonlin=False).activation == "linear"
    assert Layer(2, 3, nonlin=False).activation == "linear"
    assert all(n.activation == "linear" for n in Layer(2, 3, nonlin=False).neurons)
    n = Neuron(2, nonlin=False)
    n.w[0].data, n.w[1].data = -1.0, 0.0
    assert n([2.0, 5.0]).data == -2.0  # a relu would have clipped it to 0


@pytest.mark.parametrize(
    "activation, z_to_out",
    [
        ("relu", lambda z: max(z, 0.0)),
        ("tanh", math.tanh),
        ("sigmoid", lambda z: 1.0 / (1.0 + math.exp(-z))),
        ("linear", lambda z: z),
    ],
)
def test_activations_on_a_hand_set_neuron(activation: str, z_to_out) -> None:
    n = Neuron(2, activation)
    n.w[0].data, n.w[1].data, n.b.data = 0.5, -1.0, 0.25
    for x, z in [([2.0, 3.0], -1.75), ([4.0, 0.5], 1.75)]:  # 0.5*x0 - x1 + 0.25
        assert n(x).data == pytest.approx(z_to_out(z), rel=1e-12, abs=1e-15)


def test_last_layer_is_linear_unless_told() -> None:
    m = MLP(2, [3, 3, 1], seed=0)
    assert [layer.activation for layer in m.layers] == ["relu", "relu", "linear"]
    m = MLP(2, [3, 1], activation="tanh", output_activation="sigmoid", seed=0)
    assert [layer.activation for layer in m.layers] == ["tanh", "sigmoid"]
    # a linear output can go negative; check it does for weights that force it
    m = MLP(1, [1, 1], seed=0)
    m.layers[0].neurons[0].w[0].data = 1.0
    m.layers[1].neurons[0].w[0].data = -2.0
    assert m([3.0]).data == -6.0


def test_one_unit_middle_layers() -> None:
    m = MLP(2, [1, 1], seed=3)
    m.layers[0].neurons[0].w[0].data, m.layers[0].neurons[0].w[1].data = 1.0, 1.0
    out = m([1.0, 2.0])
    assert isinstance(out, Value)
    out.backward()
    assert m.layers[0].neurons[0].w[0].grad == m.layers[1].neurons[0].w[0].data
    out3 = MLP(2, [1, 1, 3], seed=3)([1.0, 2.0])
    assert isinstance(out3, list) and len(out3) == 3


def test_call_returns_a_value_for_one_unit_else_a_list() -> None:
    x = [0.5, -1.5]
    assert isinstance(Layer(2, 1)(x), Value)
    assert isinstance(Layer(2, 3)(x), list) and len(Layer(2, 3)(x)) == 3
    assert isinstance(Layer(2, 1).forward(x), list)
    assert isinstance(MLP(2, [3, 1])(x), Value)
    out = MLP(2, [3, 2])(x)
    assert isinstance(out, list) and len(out) == 2 and all(isinstance(v, Value) for v in out)
    assert isinstance(Neuron(2)(x), Value)


def test_wrong_input_length_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="expects 2 inputs, got 3"):
        MLP(2, [3, 1])([1.0, 2.0, 3.0])


def test_named_parameters_names_and_order() -> None:
    m = MLP(2, [16, 16, 1], seed=1)
    named = list(m.named_parameters())
    names = [n for n, _ in named]
    assert len(names) == len(set(names)) == 337
    assert all(p is q for (_, p), q in zip(named, m.parameters()))
    d = dict(named)
    assert d["layers.0.weight.3.1"] is m.layers[0].neurons[3].w[1]
    assert d["layers.0.bias.3"] is m.layers[0].neurons[3].b
    assert d["layers.2.weight.0.15"] is m.layers[2].neurons[0].w[15]
    assert names[0] == "layers.0.weight.0.0" and names[-1] == "layers.2.bias.0"
    assert [n for n, _ in Neuron(2).named_parameters()] == ["weight.0", "weight.1", "bias"]


def test_zero_grad() -> None:
    m = MLP(2, [4, 1], seed=0)
    m([1.0, -1.0]).backward()
    assert any(p.grad != 0.0 for p in m.parameters())
    m.zero_grad()
    assert all(p.grad == 0.0 for p in m.parameters())


def test_state_dict_round_trip() -> None:
    a, b = MLP(2, [8, 8, 1], seed=1), MLP(2, [8, 8, 1], seed=2)
    xs = [[0.3, -1.2], [2.0, 0.5], [-0.7, -0.1]]
    assert [a(x).data for x in xs] != [b(x).data for x in xs]
    state = json.loads(json.dumps(a.state_dict()))  # plain floats and lists only
    assert set(state) == {f"layers.{i}.{k}" for i in range(3) for k in ("weight", "bias")}
    assert len(state["layers.0.weight"]) == 8 and len(state["layers.0.weight"][0]) == 2
    b.load_state_dict(state)
    assert [a(x).data for x in xs] == [b(x).data for x in xs]
    assert weights(a) == weights(b)


def test_load_state_dict_strict_lists_every_problem_and_changes_nothing() -> None:
    m = MLP(2, [3, 1], seed=0)
    before = m.state_dict()
    state = MLP(2, [3, 1], seed=9).state_dict()
    del state["layers.1.bias"]
    state["layers.7.weight"] = [[1.0]]
    state["layers.0.weight"] = [[1.0, 2.0]] * 3 + [[0.0, 0.0]]  # 4 rows where 3 are needed
    state["layers.0.bias"] = [0.0, "x", 0.0]
    with pytest.raises(ValueError) as err:
        m.load_state_dict(state)
    msg = str(err.value)
    for key in ["layers.1.bias", "layers.7.weight", "layers.0.weight", "layers.0.bias"]:
        assert key in msg
    assert "missing" in msg and "unexpected" in msg and "shape" in msg
    assert m.state_dict() == before  # layers.1.weight was fine but must not be loaded either


def test_load_state_dict_non_strict_ignores_missing_and_unexpected() -> None:
    m, other = MLP(2, [3, 1], seed=0), MLP(2, [3, 1], seed=5)
    state = other.state_dict()
    del state["layers.1.weight"]
    state["extra"] = 1.0
    kept = m.state_dict()["layers.1.weight"]
    m.load_state_dict(state, strict=False)
    assert m.state_dict()["layers.0.weight"] == other.state_dict()["layers.0.weight"]
    assert m.state_dict()["layers.1.weight"] == kept
    with pytest.raises(ValueError, match="shape"):
        m.load_state_dict({"layers.0.bias": [1.0]}, strict=False)  # shape errors still count


def test_seeding() -> None:
    assert weights(MLP(2, [5, 1], seed=7)) == weights(MLP(2, [5, 1], seed=7))
    assert weights(MLP(2, [5, 1], seed=7)) != weights(MLP(2, [5, 1], seed=8))
    assert weights(MLP(2, [5, 1], seed=random.Random(7))) == weights(MLP(2, [5, 1], seed=7))
    rng = random.Random(7)
    first, second = MLP(2, [5, 1], seed=rng), MLP(2, [5, 1], seed=rng)
    assert weights(first) != weights(second)  # a shared generator moves on
    assert weights(Layer(3, 2, seed=4)) == weights(Layer(3, 2, seed=4))
    assert weights(Neuron(3, seed=4)) == weights(Neuron(3, seed=4))


def test_global_random_state_untouched() -> None:
    state = random.getstate()
    MLP(2, [16, 16, 1], seed=1337)
    MLP(2, [4, 1])  # unseeded too
    MLP(2, [4, 1], init="he", seed=random.Random(1))
    Neuron(3)
    Layer(3, 2)
    assert random.getstate() == state


def test_classic_micrograd_weights() -> None:
    """MLP(2, [16, 16, 1], seed=1337) equals the original micrograd's MLP built after random.seed(1337)."""
    saved = random.getstate()
    try:
        random.seed(1337)
        sizes = [2, 16, 16, 1]
        classic = [[[random.uniform(-1, 1) for _ in range(sizes[i])] for _ in range(sizes[i + 1])] for i in range(3)]
    finally:
        random.setstate(saved)
    state = MLP(2, [16, 16, 1], seed=1337).state_dict()
    for i in range(3):
        assert state[f"layers.{i}.weight"] == classic[i]
        assert state[f"layers.{i}.bias"] == [0.0] * sizes[i + 1]


def test_uniform_init_bounds() -> None:
    w = weights(Layer(50, 40, seed=0))[: 50 * 40]
    assert all(-1.0 <= x <= 1.0 for x in w)
    assert max(w) > 0.9 and min(w) < -0.9  # actually spread over [-1, 1]


def test_xavier_init_bounds() -> None:
    for nin, nout in [(50, 40), (2, 16)]:
        bound = math.sqrt(6.0 / (nin + nout))
        layer = Layer(nin, nout, "tanh", init="xavier", seed=0)
        w = [x for row in layer.state_dict()["weight"] for x in row]
        assert all(abs(x) <= bound for x in w)
        assert max(abs(x) for x in w) > 0.8 * bound
        assert all(b == 0.0 for b in layer.state_dict()["bias"])


def test_he_init_std() -> None:
    nin = 400
    layer = Layer(nin, 200, init="he", seed=0)
    w = [x for row in layer.state_dict()["weight"] for x in row]
    std = statistics.pstdev(w)
    assert std == pytest.approx(math.sqrt(2.0 / nin), rel=0.03)
    assert abs(statistics.fmean(w)) < 0.02 * std  # the standard error is std / 283
    assert max(abs(x) for x in w) > math.sqrt(2.0 / nin) * 3  # a normal's tails, not a uniform's edge


def test_scaled_init_picks_he_for_relu_and_xavier_otherwise() -> None:
    for act, same_as in [("relu", "he"), ("tanh", "xavier"), ("sigmoid", "xavier")]:
        scaled = weights(Layer(20, 10, act, init="scaled", seed=3))
        assert scaled == weights(Layer(20, 10, act, init=same_as, seed=3))
    m = MLP(20, [10, 1], activation="relu", output_activation="tanh", init="scaled", seed=3)
    rng = random.Random(3)
    assert weights(m.layers[0]) == weights(Layer(20, 10, "relu", init="he", seed=rng))
    assert weights(m.layers[1]) == weights(Layer(10, 1, "tanh", init="xavier", seed=rng))


def test_repr_is_readable() -> None:
    assert repr(Neuron(3)) == "Neuron(3, activation='relu')"
    assert repr(Layer(3, 2, "tanh")) == "Layer(3, 2, activation='tanh')"
    r = repr(MLP(2, [16, 16, 1]))
    assert "Layer(2, 16, activation='relu')" in r and "Layer(16, 1, activation='linear')" in r
    assert "337 parameters" in r


@pytest.mark.parametrize(
    "make, words",
    [
        (lambda: MLP(0, [2]), ["nin"]),
        (lambda: MLP(2, []), ["nouts"]),
        (lambda: MLP(2, [4, -1]), ["nouts[1]"]),
        (lambda: MLP(2, [2.5]), ["nouts[0]"]),
        (lambda: MLP(2, [True]), ["nouts[0]"]),
        (lambda: MLP(2, "16"), ["nouts"]),
        (lambda: MLP(2, [2], activation="swish"), ["activation", "relu", "tanh", "sigmoid", "linear", "swish"]),
        (lambda: MLP(2, [2], output_activation="softmax"), ["output_activation", "linear"]),
        (lambda: MLP(2, [2], init="glorot"), ["init", "uniform", "xavier", "he", "scaled", "glorot"]),
        (lambda: Neuron(0), ["nin"]),
        (lambda: Neuron(2, "gelu"), ["activation"]),
        (lambda: Layer(2, 0), ["nout"]),
        (lambda: Layer(2, 3, init="zeros"), ["init"]),
    ],
)
def test_bad_construction_names_the_argument(make, words: list[str]) -> None:
    with pytest.raises(ValueError) as err:
        make()
    for w in words:
        assert w in str(err.value)
