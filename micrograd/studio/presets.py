"""Settings that train each built-in dataset well: ``micrograd datasets`` shows them, the targets in the tests use them.

A preset is keyed by (dataset, task): the spiral has a binary form (TF Playground's two spirals) and a multiclass
one (K arms). Settings a preset leaves out take RunConfig's defaults.
"""

from __future__ import annotations

from typing import Any

from micrograd.studio.config import RunConfig

# regression's squared error on standardised targets diverges within a few steps at the classifiers' rates (1, 0.3,
# even 0.1 with the default network); 0.01 trains every built-in regression dataset (sine: R² 0.89 in 300 steps)
REGRESSION_LR, REGRESSION_LR_END = 0.01, 0.001  # the dashboard and the CLI alike

# fmt: off
PRESETS: dict[tuple[str, str], dict[str, Any]] = {
    ("moons", "binary"): dict(layers=[16, 16], activation="relu", loss="svm", lr=1.0, lr_end=0.1, steps=100),
    ("circles", "binary"): dict(layers=[16, 16], activation="relu", loss="svm", lr=0.3, lr_end=0.03, steps=200),
    ("xor", "binary"): dict(layers=[8, 8], activation="tanh", init="scaled", loss="bce", lr=0.3, lr_end=0.03,
                            steps=300),
    ("gauss", "binary"): dict(layers=[4], activation="tanh", init="scaled", loss="bce", lr=0.1, lr_end=0.01,
                              steps=100),
    ("spiral", "binary"): dict(layers=[16, 16, 16], activation="tanh", init="scaled", loss="bce", lr=0.3,
                               lr_end=0.03, momentum=0.9, steps=1000, noise=0.0),
    ("breast_cancer", "binary"): dict(layers=[16], activation="relu", init="scaled", loss="bce", lr=0.1,
                                      lr_end=0.01, steps=200),
    ("spiral", "multiclass"): dict(classes=3, samples=300, noise=0.2, layers=[16, 16], activation="relu",
                                   loss="ce", lr=1.0, lr_end=0.1, steps=400, test_fraction=0.0),
    ("blobs", "multiclass"): dict(classes=4, layers=[8], activation="relu", init="scaled", loss="ce", lr=0.3,
                                  lr_end=0.03, steps=200, noise=0.1),
    ("yinyang", "multiclass"): dict(layers=[32, 32], activation="relu", loss="ce", lr=0.3, lr_end=0.03, steps=600),
    ("iris", "multiclass"): dict(layers=[16], activation="tanh", init="scaled", loss="ce", lr=0.3, lr_end=0.03,
                                 l2=0.001, steps=300),
    ("wine", "multiclass"): dict(layers=[16], activation="tanh", init="scaled", loss="ce", lr=0.3, lr_end=0.03,
                                 l2=0.001, steps=200),
    ("digits", "multiclass"): dict(layers=[32], activation="tanh", init="scaled", loss="ce", lr=0.3, lr_end=0.03,
                                   l2=0.0001, batch_size=128, steps=300, engine="compiled"),
    ("sine", "regression"): dict(layers=[16, 16], activation="tanh", init="scaled", loss="mse", lr=0.03,
                                 lr_end=0.003, momentum=0.9, steps=500, noise=0.1),
    ("abs", "regression"): dict(layers=[16, 16], activation="tanh", init="scaled", loss="mse", lr=0.03,
                                lr_end=0.003, momentum=0.9, steps=500, noise=0.1),
    ("step", "regression"): dict(layers=[16, 16], activation="tanh", init="scaled", loss="huber", lr=0.03,
                                 lr_end=0.003, momentum=0.9, steps=500, noise=0.1),
    ("plane", "regression"): dict(layers=[4], activation="linear", init="scaled", loss="mse", lr=0.03,
                                  lr_end=0.003, steps=100),
    ("multi_gaussian", "regression"): dict(layers=[16, 16], activation="tanh", init="scaled", loss="mse",
                                           lr=0.03, lr_end=0.003, momentum=0.9, steps=1000),
}
# fmt: on


def preset(dataset: str, task: str | None = None) -> dict[str, Any]:
    """The preset settings of a dataset for task (default: the dataset's own task), including dataset and task."""
    from micrograd.studio.datasets import DATASETS

    spec = DATASETS.get(dataset)
    if spec is None:
        raise ValueError(f"unknown dataset {dataset!r}; choose one of: {', '.join(DATASETS)}")
    task = spec.task if task is None else task
    if (dataset, task) not in PRESETS:
        raise ValueError(f"dataset {dataset} has no {task} form; its tasks: {', '.join(spec.tasks)}")
    return {"dataset": dataset, "task": task, **PRESETS[(dataset, task)]}


def preset_config(dataset: str, task: str | None = None, **overrides: Any) -> RunConfig:
    """A validated RunConfig of a dataset's preset, with some settings changed."""
    return RunConfig.from_dict({**preset(dataset, task), **overrides})


def describe(settings: dict[str, Any]) -> str:
    """A preset in one short line, e.g. 'ce, relu [16, 16], lr 1 -> 0.1, 400 steps'."""
    s = settings
    parts = [s.get("loss", "svm"), f"{s.get('activation', 'relu')} {s.get('layers', [16, 16])}"]
    parts.append(f"lr {s.get('lr', 1.0):g} -> {s.get('lr_end', 0.1):g}")
    if s.get("momentum"):
        parts.append(f"momentum {s['momentum']:g}")
    if s.get("batch_size"):
        parts.append(f"batch {s['batch_size']}")
    parts.append(f"{s.get('steps', 100)} steps")
    if "classes" in s:
        parts.append(f"K={s['classes']}")
    return ", ".join(parts)
