"""micrograd studio: a scalar autograd engine and the neural-net library the dashboard trains."""

from micrograd.engine import Value
from micrograd.nn import MLP, Layer, Module, Neuron

__all__ = ["Value", "Module", "Neuron", "Layer", "MLP"]
__version__ = "0.1.0"
