"""Lesson presets for teachers: each one a setup (URL settings) and one guiding question, linkable as ?lesson=name.

A link such as ``/graph?lesson=dead-relu`` loads the preset's settings (any setting also in the link wins) and
the Graph page shows its question; add ``&projector=1`` for large fonts, no sidebar and high contrast.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Preset:
    """A lesson: its title, the settings it starts from (URL keys and values) and the question it asks."""

    name: str
    title: str
    settings: dict[str, str]
    question: str

    def query(self, projector: bool = False) -> dict[str, str]:
        """The query parameters of a link to this lesson."""
        return {"lesson": self.name, **({"projector": "1"} if projector else {})}


_ALL = (
    Preset(
        "one-neuron",
        "one neuron, as in the video",
        {"dataset": "gauss", "layers": "none", "loss": "svm", "lr": "0.1", "steps": "100", "engine": "scalar"},
        # with the names the graph uses (QA: "w1" named nothing on screen)
        "One neuron computes w1·x1 + w2·x2 + b; on the graph w1, w2 and b are layers.0.weight.0.0, "
        "layers.0.weight.0.1 and layers.0.bias.0. Step through one training step: which number decides how much "
        "∂L/∂w1 is, and why is it the input x1?",
    ),
    Preset(
        "xor-hidden",
        "XOR needs a hidden layer",
        {"dataset": "xor", "layers": "none", "activation": "tanh", "loss": "svm", "lr": "0.1", "steps": "300"},
        "Train with no hidden layer: the accuracy stays near 50 %. Why can no single straight line separate XOR? "
        "Add a hidden layer of 4 units and train again: what does each hidden unit draw?",
    ),
    Preset(
        "dead-relu",
        "dead ReLU units",
        # a constant rate: the question is about learning rate 10, which a linear schedule would lower each step (QA)
        {
            "dataset": "moons",
            "layers": "16-16",
            "activation": "relu",
            "lr": "10",
            "schedule": "constant",
            "steps": "100",
        },
        "Train a few steps at learning rate 10 and read the diagnostics: units die. Step through the backward pass "
        "of a dead unit: where does the gradient stop, and why can it never come back?",
    ),
    Preset(
        "vanishing",
        "vanishing gradients",
        {
            "dataset": "moons",
            "layers": "8-8-8-8-8-8",
            "activation": "sigmoid",
            "init": "scaled",
            "lr": "1",
            "steps": "300",
        },
        "Six sigmoid layers: compare the gradient norms of the first and the last layer. The slope of a sigmoid is at "
        "most 0.25: what happens to a gradient multiplied by it six times?",
    ),
    Preset(
        "lr-too-high",
        "learning rate too high",
        {
            "dataset": "moons",
            "layers": "16",
            "activation": "tanh",
            "loss": "mse",
            "lr": "10",
            "schedule": "constant",
            "steps": "100",
        },
        "Train and watch the loss jump instead of falling. Step through the update line: how far does one step move "
        "a weight when the learning rate is 10, compared with the size of the weights?",
    ),
    Preset(
        "mse-vs-svm",
        "MSE vs SVM on moons",
        {"dataset": "moons", "layers": "16-16", "activation": "relu", "loss": "mse", "lr": "0.1", "steps": "300"},
        "Train with MSE, then switch the loss to SVM and compare. Step through a point the network already "
        "classifies correctly: why does MSE still push it, while SVM's gradient is 0 once the margin is 1?",
    ),
)
PRESETS: dict[str, Preset] = {p.name: p for p in _ALL}


def preset_settings(params: dict[str, str]) -> tuple[dict[str, str], str]:
    """(the query parameters with the named lesson's settings under them, a warning or ''): the link's own win."""
    name = params.get("lesson")
    if not name:
        return params, ""
    p = PRESETS.get(name)
    if p is None:
        return params, unknown_lesson(name)
    return {**p.settings, **params}, ""


def unknown_lesson(name: str) -> str:
    """What a link naming no lesson is told (the same words wherever it is said)."""
    return f"Unknown lesson {name!r}; the lessons are: {', '.join(PRESETS)}."
