"""How the views name a neuron: h1.3 on every picture, and layers.0.2 where its parameter names show.

The network pictures count from 1 (h1.1 is the first hidden layer's first neuron, out.1 the first output), as
TensorFlow Playground does; ``named_parameters()`` counts from 0 (layers.0.weight.2.0 is a weight of neuron
layers.0.2). Views that show both say both, so a learner can match a box on the Train page with a node of a graph.
"""

from __future__ import annotations


def neuron_name(layer: int, j: int, n_layers: int) -> str:
    """h{layer+1}.{j+1} for hidden neurons, out.{j+1} for the output layer."""
    return f"out.{j + 1}" if layer == n_layers - 1 else f"h{layer + 1}.{j + 1}"


def neuron_title(layer: int, j: int, n_layers: int) -> str:
    """Both names of a neuron, e.g. 'h1.3 (layers.0.2)'."""
    return f"{neuron_name(layer, j, n_layers)} (layers.{layer}.{j})"
