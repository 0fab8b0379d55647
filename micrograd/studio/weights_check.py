"""Checking a weights file: every field, every shape, every number; each problem said once, in one list."""

from __future__ import annotations

import json
import math

from micrograd.nn import ACTIVATIONS
from micrograd.studio.limits import LIMITS
from micrograd.studio.text import TextError, check_text

METRIC_KEYS = ("step", "train_loss", "train_accuracy", "test_loss", "test_accuracy", "train_seconds")
REGRESSION_METRIC_KEYS = ("train_r2", "test_r2")
FORMAT = "micrograd-mlp"


# Version 1: a binary classifier (one output score). Version 2 adds "task" (binary, multiclass or regression),
# K class names for multiclass and the target scaling for regression. Binary models are still written as version 1,
# which says everything about them, so every reader of version 1 keeps reading them.
VERSION = 2


SUPPORTED_VERSIONS = (1, 2)
TASKS = ("binary", "multiclass", "regression")
MAX_CLASSES = LIMITS.classes


MAX_BYTES = 5_000_000


# A trained weight takes ~20 bytes of JSON, so MAX_BYTES alone allows ~250k of them; MAX_PARAMETERS stops a
# hand-made file of one-digit numbers from building millions of Values.
MAX_LAYERS, MAX_WIDTH, MAX_PARAMETERS = LIMITS.layers, LIMITS.width, LIMITS.parameters


_LISTED = 5  # problems listed per array; the rest are counted, so a broken 1024 x 1024 matrix stays readable


_MISSING = object()


def _problems(doc: object) -> list[str]:
    """Every reason doc is not a loadable weights file ([] if it is one)."""
    if not isinstance(doc, dict):
        return [f"the top level must be a JSON object {{...}}, got {_kind(doc)}"]
    p: list[str] = []
    bad_text: list[str] = []
    _check_unicode(doc, "", bad_text)
    _report(bad_text, "text", p)
    fmt = doc.get("format", _MISSING)
    if fmt != FORMAT:
        p.append(f"'format' is {_show(fmt)}; expected {json.dumps(FORMAT)} (is this a micrograd studio weights file?)")
    version = doc.get("version", _MISSING)
    if not _is_int(version) or version not in SUPPORTED_VERSIONS:
        supported = ", ".join(map(str, SUPPORTED_VERSIONS))
        p.append(f"'version' is {_show(version)}; supported versions: {supported}")
    nin = doc.get("nin", _MISSING)
    if not _is_int(nin) or nin < 1:
        p.append(f"'nin' (the number of input features) is {_show(nin)}; it must be a whole number >= 1")
        nin = None
    elif nin > MAX_WIDTH:
        p.append(f"'nin' is {nin}; the limit is {MAX_WIDTH} inputs (MAX_WIDTH)")
        nin = None
    task = doc.get("task", "binary") if version == 2 else "binary"  # version 1 is binary, whatever else it says
    if task not in TASKS:
        p.append(f"'task' is {_show(task)}; use one of {', '.join(TASKS)}")
        task = None
    nout = _check_layers(doc.get("layers", _MISSING), nin, p)
    _check_outputs(task, nout, doc, p)
    _check_preprocessing(doc.get("preprocessing"), nin, p)
    names = doc.get("feature_names")
    if names is not None and not (_strings(names) and (nin is None or len(names) == nin)):
        want = f"{nin} strings" if nin else "a list of strings"
        p.append(f"'feature_names' is {_show(names)}; it must be {want}, one name per input")
    for key in ("training", "metrics"):
        value = doc.get(key)
        if value is not None and not isinstance(value, dict):
            p.append(f"'{key}' is {_kind(value)}; it must be an object (or left out)")
        elif value:
            _check_finite(value, key, p)
    metrics = doc.get("metrics")
    if isinstance(metrics, dict):
        step = metrics.get("step", 0)
        if not _is_int(step) or step < 0:
            p.append(f"metrics.step is {_show(step)}; it must be a whole number >= 0")
        for k in METRIC_KEYS[1:] + REGRESSION_METRIC_KEYS:
            v = metrics.get(k)
            if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float))):
                p.append(f"metrics.{k} is {_show(v)}; it must be a number or null")
    return p


def _check_outputs(task: str | None, nout: int | None, doc: dict, p: list[str]) -> None:
    """The output layer, class names and target scaling fit the task."""
    classes = doc.get("class_names")
    if task == "binary":
        if nout is not None and nout != 1:
            p.append(
                f"the last layer has {nout} units; it must have exactly 1 "
                "(the model scores two classes: score > 0 means class_names[1])"
            )
        if classes is not None and not (_strings(classes) and len(classes) == 2):
            p.append(f"'class_names' is {_show(classes)}; it must be 2 strings: the -1 class, then the +1 class")
    elif task == "multiclass":
        if nout is not None and not 2 <= nout <= MAX_CLASSES:
            p.append(f"the last layer has {nout} units; a multiclass model has one per class, 2 to {MAX_CLASSES}")
        elif classes is not None and not (_strings(classes) and (nout is None or len(classes) == nout)):
            p.append(f"'class_names' is {_show(classes)}; it must be {nout or 'K'} strings, one per output unit")
    elif task == "regression" and classes is not None and not (_strings(classes) and len(classes) in (nout, None)):
        p.append(f"'class_names' is {_show(classes)}; it must be {nout} strings, one target name per output unit")
    scaling = doc.get("target_scaling")
    if scaling is None:
        return
    if task != "regression":
        p.append("'target_scaling' is only for task regression; leave it out (or null)")
    else:
        _check_stats(scaling, "target_scaling", nout, "output unit", p)


def _check_layers(layers: object, nin: int | None, p: list[str]) -> int | None:
    """Check the layers; return the width of the last one (None if unknown)."""
    if not isinstance(layers, list) or not layers:
        p.append(f"'layers' is {_show(layers)}; it must be a non-empty list of layer objects")
        return None
    if len(layers) > MAX_LAYERS:
        p.append(f"'layers' has {len(layers)} layers; the limit is {MAX_LAYERS} (MAX_LAYERS)")
    sizes: list[int | None] = [nin]
    for i, layer in enumerate(layers):
        fed_by = "nin, the number of inputs" if i == 0 else f"the width of layers[{i - 1}]"
        sizes.append(_check_layer(layer, f"layers[{i}]", sizes[-1], fed_by, p))
    known = [s for s in sizes if s is not None]
    if len(known) == len(sizes):
        n = sum((a + 1) * b for a, b in zip(known, known[1:]))
        if n > MAX_PARAMETERS:
            p.append(f"the model has {n:,} parameters; the limit is {MAX_PARAMETERS:,} (MAX_PARAMETERS)")
    return sizes[-1]


def _check_layer(layer: object, where: str, nin: int | None, fed_by: str, p: list[str]) -> int | None:
    """Check one layer and return its width (None if unknown)."""
    if not isinstance(layer, dict):
        p.append(f"{where} is {_kind(layer)}; each layer must be an object with activation, weights and biases")
        return None
    act = layer.get("activation", _MISSING)
    if not isinstance(act, str) or act not in ACTIVATIONS:
        p.append(f"{where}.activation is {_show(act)}; use one of {', '.join(ACTIVATIONS)}")
    rows = layer.get("weights", _MISSING)
    width = None
    if not isinstance(rows, list) or not rows:
        p.append(f"{where}.weights is {_show(rows)}; it must be a non-empty list of rows (one per unit) of numbers")
    else:
        width = len(rows)
        if width > MAX_WIDTH:
            p.append(f"{where} has {width} units; the limit is {MAX_WIDTH} (MAX_WIDTH)")
        lengths = {len(r) for r in rows if isinstance(r, list)}
        if (
            nin is not None and len(lengths) == 1 and nin not in lengths
        ):  # the usual mistake: one message, not one per row
            p.append(f"every row of {where}.weights has {lengths.pop()} numbers; expected {nin} ({fed_by})")
            nin = None
        found: list[str] = []
        for j, row in enumerate(rows):
            if not isinstance(row, list):
                found.append(f"{where}.weights[{j}] is {_kind(row)}; each row must be a list of numbers")
                continue
            if nin is not None and len(row) != nin:
                found.append(f"{where}.weights[{j}] has {len(row)} numbers; expected {nin} ({fed_by})")
            found += [f"{where}.weights[{j}][{i}] {m}" for i, x in enumerate(row) if (m := _bad_number(x))]
        _report(found, where + ".weights", p)
    biases = layer.get("biases", _MISSING)
    if not isinstance(biases, list):
        p.append(f"{where}.biases is {_show(biases)}; it must be a list of numbers, one per unit")
    else:
        found = [f"{where}.biases[{j}] {m}" for j, x in enumerate(biases) if (m := _bad_number(x))]
        _report(found, where + ".biases", p)
        if width is not None and len(biases) != width:
            p.append(f"{where}.biases has {len(biases)} numbers but weights has {width} rows; give one bias per unit")
        width = width if width is not None else len(biases) or None
    return width


def _check_preprocessing(pre: object, nin: int | None, p: list[str]) -> None:
    if pre is not None:
        _check_stats(pre, "preprocessing", nin, "input", p)


def _check_stats(pre: object, name: str, n: int | None, per: str, p: list[str]) -> None:
    """An object of 'mean' and 'std' lists, one number per input (or output), every std > 0."""
    if not isinstance(pre, dict):
        p.append(f"'{name}' is {_kind(pre)}; it must be null or an object with 'mean' and 'std' lists")
        return
    size = "nin" if per == "input" else "the last layer's width"
    for key in ("mean", "std"):
        v = pre.get(key, _MISSING)
        where = f"{name}.{key}"
        if not isinstance(v, list):
            p.append(f"{where} is {_show(v)}; it must be a list of numbers, one per {per}")
            continue
        if n is not None and len(v) != n:
            p.append(f"{where} has {len(v)} numbers; expected {n} ({size}), one per {per}")
        found = [f"{where}[{i}] {m}" for i, x in enumerate(v) if (m := _bad_number(x))]
        if key == "std":
            found += [
                f"{where}[{i}] is {x}; every std must be > 0 ({'inputs are' if per == 'input' else 'targets were'} divided by it)"
                for i, x in enumerate(v)
                if not _bad_number(x) and x <= 0
            ]
        _report(found, where, p)


def _check_finite(x: object, where: str, p: list[str]) -> None:
    """Report NaN/Infinity anywhere in x: Python's json reads them, but no other JSON reader does."""
    if isinstance(x, float) and not math.isfinite(x):
        p.append(f"{where} is {x}; JSON has no NaN or Infinity, use null")
    elif isinstance(x, dict):
        for k, v in x.items():
            _check_finite(v, f"{where}.{k}", p)
    elif isinstance(x, list):
        for i, v in enumerate(x):
            _check_finite(v, f"{where}[{i}]", p)


def _check_unicode(x: object, where: str, p: list[str]) -> None:
    """Report every string (key or value) that is not valid Unicode: JSON's "\\ud800" is legal, but no page,
    database or file can encode it later."""
    if isinstance(x, str):
        try:
            check_text(x, where or "the top level")
        except TextError as e:
            p.append(str(e))
    elif isinstance(x, dict):
        for k, v in x.items():
            inside = f"{where}.{_showable(k)}" if where else _showable(k)
            if isinstance(k, str):
                try:
                    check_text(k, f"a key in {where or 'the top-level object'}")
                except TextError as e:
                    p.append(str(e))
            _check_unicode(v, inside, p)
    elif isinstance(x, list):
        for i, v in enumerate(x):
            if isinstance(v, (str, list, dict)):  # the weights themselves are numbers: skip them quickly
                _check_unicode(v, f"{where}[{i}]", p)


def _showable(s: str) -> str:
    """s, or its JSON escape when it is not valid Unicode (so the message itself can be shown)."""
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(s)[1:-1]
    return s


def _bad_number(x: object) -> str:
    """Why x is not a usable weight ('' if it is one)."""
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return f"is {_show(x)}; expected a number"
    try:
        finite = math.isfinite(x)
    except OverflowError:  # an int beyond float range
        return "is too large for a 64-bit float"
    if not finite:
        return f"is {x}; numbers must be finite (NaN or Infinity usually means training diverged)"
    return ""


def _report(found: list[str], where: str, p: list[str]) -> None:
    p += found[:_LISTED]
    if len(found) > _LISTED:
        p.append(f"{where}: {len(found) - _LISTED} more problems like these")


def _is_int(x: object) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _strings(x: object) -> bool:
    return isinstance(x, list) and all(isinstance(s, str) for s in x)


def _kind(x: object) -> str:
    """The JSON name of x's type, as a user who wrote the file would say it."""
    if isinstance(x, bool) or x is None:
        return json.dumps(x)
    names = {dict: "an object", list: "an array", str: "a string", int: "a number", float: "a number"}
    return names.get(type(x), type(x).__name__)


def _show(x: object) -> str:
    """x as it would look in the file, shortened."""
    if x is _MISSING:
        return "missing"
    try:
        s = json.dumps(x, ensure_ascii=False)
    except (TypeError, ValueError):
        s = repr(x)
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        s = json.dumps(x)  # ASCII: a lone surrogate is shown as its \u escape, so the message itself can be shown
    return s if len(s) <= 60 else s[:57] + "..."
