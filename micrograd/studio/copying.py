"""Copies of a model with parameters of their own, for a trainer's twin and the Graph page's snapshots."""

from __future__ import annotations

import copy

from micrograd.engine import Value
from micrograd.nn import MLP


def copy_model(model: MLP) -> MLP:
    """A copy of an MLP with parameters of its own, equal in data and grad (deepcopy's generic walk over the
    Values cost a page's first run tens of ms); any other module is deep-copied."""
    if type(model) is not MLP:
        return copy.deepcopy(model)

    def leaf(v: Value) -> Value:
        c = Value(v.data, label=v.label)
        c.grad = v.grad
        return c

    twin = copy.copy(model)
    twin.layers = []
    for layer in model.layers:
        twin_layer = copy.copy(layer)
        twin_layer.neurons = []
        for n in layer.neurons:
            twin_n = copy.copy(n)
            twin_n.w, twin_n.b = [leaf(w) for w in n.w], leaf(n.b)
            twin_layer.neurons.append(twin_n)
        twin.layers.append(twin_layer)
    return twin
