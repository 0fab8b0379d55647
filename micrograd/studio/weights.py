"""An MLP's weights as plain JSON that numpy alone can run; the format is described in docs/weights-format.md.

``loads`` trusts nothing: it checks every field, lists every problem in one ``WeightsError`` and only then
builds a brand-new model, so a bad file never touches a model that already exists.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from numbers import Integral, Real
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from micrograd.fast import numeric
from micrograd.nn import MLP
from micrograd.studio.datasets import standardized
from micrograd.studio.files import write_file
from micrograd.studio.weights_check import FORMAT as FORMAT  # re-exported
from micrograd.studio.weights_check import MAX_BYTES as MAX_BYTES  # re-exported
from micrograd.studio.weights_check import MAX_LAYERS as MAX_LAYERS  # re-exported
from micrograd.studio.weights_check import MAX_PARAMETERS as MAX_PARAMETERS  # re-exported
from micrograd.studio.weights_check import MAX_WIDTH as MAX_WIDTH  # re-exported
from micrograd.studio.weights_check import METRIC_KEYS as METRIC_KEYS  # re-exported
from micrograd.studio.weights_check import REGRESSION_METRIC_KEYS as REGRESSION_METRIC_KEYS  # re-exported
from micrograd.studio.weights_check import SUPPORTED_VERSIONS as SUPPORTED_VERSIONS  # re-exported
from micrograd.studio.weights_check import VERSION as VERSION  # re-exported
from micrograd.studio.weights_check import (
    _bad_number,
    _problems,
)

if TYPE_CHECKING:  # the trainer imports this module (lazily, to export): only its type here
    from micrograd.studio.trainer import Trainer

DEFAULT_CLASS_NAMES = ("-1", "+1")
_EXPORT = "cannot export these weights"


class WeightsError(ValueError):
    """Every problem with a weights file, listed in one message."""

    def __init__(self, problems: list[str], heading: str = "invalid weights file") -> None:
        self.problems = list(problems)
        n = len(self.problems)
        lines = "\n".join(f"- {p}" for p in self.problems)
        super().__init__(f"{heading} ({n} problem{'s' * (n != 1)}):\n{lines}")


@dataclass
class LoadedModel:
    """A model rebuilt from a weights file, with the file's metadata."""

    model: MLP
    feature_names: list[str]
    preprocessing: dict | None
    class_names: tuple[str, ...]
    training: dict
    metrics: dict
    task: str = "binary"
    target_scaling: dict | None = None

    def predict(self, X_raw: np.ndarray) -> np.ndarray:
        """For raw (un-preprocessed) rows: binary, the scores (score > 0 means class_names[1]); multiclass, the
        (n, K) class scores; regression, the predicted values in the data's own units."""
        out = self.outputs(X_raw)
        if self.task == "binary":
            return out[:, 0]
        if self.task == "multiclass":
            return out
        mean, std = (np.asarray(self.target_scaling[k]) for k in ("mean", "std")) if self.target_scaling else (0, 1)
        values = out * std + mean
        return values[:, 0] if values.shape[1] == 1 else values

    def labels(self, X_raw: np.ndarray) -> list[str]:
        """The predicted class name of each raw row (binary and multiclass models)."""
        if self.task == "regression":
            raise ValueError("a regression model predicts values, not classes: use predict()")
        pred = numeric.predict(self.task, self.outputs(X_raw))
        index = (pred > 0).astype(int) if self.task == "binary" else pred
        return [self.class_names[int(i)] for i in index]

    def outputs(self, X_raw: np.ndarray) -> np.ndarray:
        """Every output unit for raw rows: (n, n_outputs), in the units the model was trained in."""
        X = np.asarray(X_raw, dtype=float)
        nin = self.model.sizes[0]
        if X.ndim != 2 or X.shape[1] != nin:
            names = ", ".join(self.feature_names[:8]) + (", ..." if nin > 8 else "")
            raise ValueError(
                f"predict needs a 2-D array with one column per feature ({nin}: {names}), got shape {X.shape}"
            )
        if self.preprocessing is not None:  # the training data's own formula, safe near the float limit
            X = standardized(X, self.preprocessing["mean"], self.preprocessing["std"])
        return numeric.outputs(numeric.layers_of(self.model), X)

    def metadata(self) -> dict:
        """The keyword arguments that ``dumps``/``save`` need to write this model's file again."""
        meta: dict[str, Any] = {
            "feature_names": self.feature_names,
            "preprocessing": self.preprocessing,
            "class_names": self.class_names,
            "training": self.training,
            "metrics": self.metrics,
        }
        if self.task != "binary":  # a binary model's file stays version 1, as before
            meta.update(task=self.task, target_scaling=self.target_scaling)
        return meta


# ---- writing


def to_dict(
    model: MLP,
    *,
    feature_names: list[str] | None = None,
    preprocessing: dict | None = None,
    class_names: tuple[str, ...] | list[str] | None = None,
    training: dict | None = None,
    metrics: dict | None = None,
    task: str = "binary",
    target_scaling: dict | None = None,
) -> dict:
    """The weights file as a JSON-ready dict; raises WeightsError if it would not load back.

    A binary model is written as version 1 (byte for byte as before); multiclass and regression as version 2.
    """
    if not isinstance(model, MLP):
        raise TypeError(f"to_dict needs a micrograd.nn.MLP, got {type(model).__name__}")
    bad = [name for name, p in model.named_parameters() if not math.isfinite(p.data)]
    if bad:
        raise WeightsError(
            [
                f"{len(bad)} weight(s) are nan or inf (first: {bad[0]}): training diverged. "
                "Reset the model or lower the learning rate, then train again before exporting."
            ],
            _EXPORT,
        )
    layers = []
    for i, layer in enumerate(model.layers):
        if any(n.activation != layer.activation for n in layer.neurons):
            raise WeightsError(
                [f"layers[{i}]: its neurons use different activations; the format has one per layer"], _EXPORT
            )
        layers.append(
            {
                "activation": layer.activation,
                "weights": [[w.data for w in n.w] for n in layer.neurons],
                "biases": [n.b.data for n in layer.neurons],
            }
        )
    nin, nout = model.sizes[0], model.sizes[-1]
    v2 = task != "binary"
    doc: dict = {"format": FORMAT, "version": VERSION if v2 else 1}
    if v2:
        doc["task"] = task
    doc |= {
        "nin": nin,
        "layers": layers,
        "preprocessing": None if preprocessing is None else _plain_preprocessing(preprocessing),
        "feature_names": _default_names(nin) if feature_names is None else _plain(feature_names, "feature_names"),
        "class_names": _default_classes(task, nout) if class_names is None else _plain(class_names, "class_names"),
    }
    if v2:
        doc["target_scaling"] = None if target_scaling is None else _plain_preprocessing(target_scaling)
    doc |= {
        "training": {} if training is None else _plain(training, "training"),
        "metrics": _plain_metrics(metrics, task),
    }
    problems = _problems(doc)
    if problems:
        raise WeightsError(problems, _EXPORT)
    return doc


def dumps(model: MLP, **kwargs: Any) -> str:
    """The weights file as text: one weight row per line, no NaN/Infinity ever; kwargs as for ``to_dict``."""
    doc = to_dict(model, **kwargs)
    text = _format(doc)
    size = len(text.encode("utf-8"))
    if size > MAX_BYTES:
        raise WeightsError([f"the file would be {size:,} bytes; the limit is {MAX_BYTES:,} (MAX_BYTES)"], _EXPORT)
    return text


def save(path: str | os.PathLike, model: MLP, **kwargs: Any) -> None:
    """Write the weights file atomically (micrograd.studio.files.write_file); raises OutputError (an OSError)."""
    write_file(path, dumps(model, **kwargs))


def _format(doc: dict) -> str:
    def j(v: object) -> str:
        return json.dumps(v, allow_nan=False, ensure_ascii=False)

    def layer(d: dict) -> str:
        rows = ",\n".join(f"        {j(r)}" for r in d["weights"])
        return (
            f'    {{\n      "activation": {j(d["activation"])},\n      "weights": [\n{rows}\n      ],\n'
            f'      "biases": {j(d["biases"])}\n    }}'
        )

    parts = []
    for k, v in doc.items():
        if k == "layers":
            parts.append('  "layers": [\n' + ",\n".join(layer(d) for d in v) + "\n  ]")
        else:
            parts.append(f"  {j(k)}: {j(v)}")
    return "{\n" + ",\n".join(parts) + "\n}\n"


def _plain(x: object, where: str) -> Any:
    """x as plain JSON values (numpy scalars and arrays, tuples unwrapped); nan/inf become None."""
    if x is None or isinstance(x, (str, bool)):
        return x
    if isinstance(x, np.ndarray):
        return _plain(x.tolist(), where)
    if isinstance(x, Integral):
        return int(x)
    if isinstance(x, Real):
        f = float(x)
        return f if math.isfinite(f) else None
    if isinstance(x, Mapping):
        out = {}
        for k, v in x.items():
            if not isinstance(k, str):
                raise WeightsError([f"{where} has a key {k!r}; JSON object keys must be strings"], _EXPORT)
            out[k] = _plain(v, f"{where}.{k}")
        return out
    if isinstance(x, (list, tuple)):
        return [_plain(v, f"{where}[{i}]") for i, v in enumerate(x)]
    raise WeightsError(
        [f"{where} is a {type(x).__name__}; only numbers, strings, booleans, None, lists and dicts can be saved"],
        _EXPORT,
    )


def _plain_preprocessing(pre: object) -> dict:
    if not isinstance(pre, Mapping):
        raise WeightsError(
            [f"preprocessing must be a dict with 'mean' and 'std' lists, got {type(pre).__name__}"], _EXPORT
        )
    out = {}
    for k in ("mean", "std"):
        v = _plain(pre.get(k), f"preprocessing.{k}")
        # floats, not ints, so a file read back and written again is byte-identical
        out[k] = [x if _bad_number(x) else float(x) for x in v] if isinstance(v, list) else v
    return out


def _default_classes(task: str, nout: int) -> list[str]:
    if task == "multiclass":
        return [str(j) for j in range(nout)]
    if task == "regression":
        return ["y"] if nout == 1 else [f"y{j + 1}" for j in range(nout)]
    return list(DEFAULT_CLASS_NAMES)


def _plain_metrics(metrics: dict | None, task: str = "binary") -> dict:
    out: dict = {k: None for k in METRIC_KEYS}
    if task == "regression":
        out.update(dict.fromkeys(REGRESSION_METRIC_KEYS))
    out["step"] = 0
    out.update(_plain(metrics or {}, "metrics"))
    step = out["step"]
    if isinstance(step, float) and step.is_integer():
        out["step"] = int(step)
    return out


# ---- reading


def loads(data: str | bytes) -> LoadedModel:
    """Check a weights file's text and build a new model from it; every problem comes in one WeightsError."""
    doc, problems = _parse(data)
    if not problems:
        problems = _problems(doc)
    if problems:
        raise WeightsError(problems)
    return _build(cast(dict, doc))  # _problems found none, and its first check is that doc is a dict


def load(path: str | os.PathLike) -> LoadedModel:
    """Read and check a weights file (never more than MAX_BYTES + 1 bytes of it)."""
    with open(path, "rb") as f:
        data = f.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        size = os.path.getsize(path)
        raise WeightsError([f"{os.fspath(path)} is {size:,} bytes; the limit is {MAX_BYTES:,} (MAX_BYTES)"])
    return loads(data)


def _parse(data: object) -> tuple[object, list[str]]:
    if isinstance(data, (bytes, bytearray, memoryview)):
        raw = bytes(data)
        if len(raw) > MAX_BYTES:
            return None, [f"the file is {len(raw):,} bytes; the limit is {MAX_BYTES:,} (MAX_BYTES)"]
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as e:
            return None, [f"the file is not UTF-8 text (byte {e.start} is 0x{raw[e.start]:02x}); save it as UTF-8 JSON"]
    elif isinstance(data, str):
        size = len(data.encode("utf-8", "surrogatepass"))
        if size > MAX_BYTES:
            return None, [f"the file is {size:,} bytes; the limit is {MAX_BYTES:,} (MAX_BYTES)"]
        text = data.removeprefix("\ufeff")
    else:
        return None, [f"expected the file's contents as str or bytes, got {type(data).__name__}"]
    dupes: list[str] = []

    def no_dupes(pairs: list[tuple[str, Any]]) -> dict:
        keys = [k for k, _ in pairs]
        dupes.extend(k for i, k in enumerate(keys) if k in keys[:i])
        return dict(pairs)

    try:
        doc = json.loads(text, object_pairs_hook=no_dupes)
    except json.JSONDecodeError as e:
        return None, [f"not valid JSON: {e.msg} at line {e.lineno}, column {e.colno}"]
    except RecursionError:
        return None, ["not usable JSON: lists or objects are nested too deeply"]
    except ValueError as e:  # e.g. an integer with more digits than Python will convert
        return None, [f"not usable JSON: {e}"]
    return doc, [f"key {k!r} appears twice in one object; give each key once" for k in dict.fromkeys(dupes)]


def _default_names(nin: int) -> list[str]:
    return [f"x{i + 1}" for i in range(nin)]


def _build(doc: dict) -> LoadedModel:
    specs = doc["layers"]
    acts = [s["activation"] for s in specs]
    hidden = acts[0] if len(acts) > 1 else "relu"
    model = MLP(doc["nin"], [len(s["weights"]) for s in specs], hidden, output_activation=acts[-1], seed=0)
    for layer, spec in zip(model.layers, specs):
        layer.activation = spec["activation"]  # hidden layers may differ from one another
        for neuron, row, b in zip(layer.neurons, spec["weights"], spec["biases"]):
            neuron.activation = spec["activation"]
            for w, x in zip(neuron.w, row):
                w.data = float(x)
            neuron.b.data = float(b)
    pre = doc.get("preprocessing")
    nin = doc["nin"]
    task = doc.get("task", "binary") if doc["version"] == 2 else "binary"
    metrics = _plain_metrics(doc.get("metrics"), task)
    scaling = doc.get("target_scaling") if task == "regression" else None
    return LoadedModel(
        model=model,
        feature_names=list(doc.get("feature_names") or _default_names(nin)),
        preprocessing=None if pre is None else {k: [float(x) for x in pre[k]] for k in ("mean", "std")},
        class_names=tuple(doc.get("class_names") or _default_classes(task, model.sizes[-1])),
        training=dict(doc.get("training") or {}),
        metrics=metrics,
        task=task,
        target_scaling=None if scaling is None else {k: [float(x) for x in scaling[k]] for k in ("mean", "std")},
    )


# a trainer's weights as file text, for the run store, sweeps and the CLI


def weights_of(trainer: Trainer) -> str | None:
    """The trainer's weights file text, or None when they cannot be exported (a diverged run's NaNs, or a model the
    exporter cannot read: a run that failed on a bug ends with its record, not with a second error)."""
    try:
        return trainer.export_json()
    except Exception:  # no weights is better than no record
        return None


def initial_weights_of(trainer: Trainer, values: list[float]) -> str | None:
    """The weights file text of trainer's model with its parameters set to values (those before step 1)."""
    now = [p.data for p in trainer.params]
    try:  # the session's thread is inside on_step: nothing else reads the parameters meanwhile
        for p, v in zip(trainer.params, values):
            p.data = v
        kwargs = trainer.export_kwargs()  # metrics at the initial weights
        kwargs["metrics"] = {**kwargs["metrics"], "step": 0, "train_seconds": 0.0}
        return dumps(trainer.model, **kwargs)
    except (WeightsError, ValueError):
        return None
    finally:
        for p, v in zip(trainer.params, now):
            p.data = v
