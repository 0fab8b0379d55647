"""Drawn data: points a user placed on the Train page's plane, as a Dataset, a link and a CSV file.

Three kinds of drawing:

- ``classes``: points (x1, x2), each of a class 0..9 (two classes make a binary set, more a multi-class one);
- ``curve``: points (x, y) of a one-feature regression: the click's height is the target;
- ``values``: points (x1, x2), each with a real value: a two-feature regression.

The link form (``encode_url``/``decode_url``) carries up to MAX_POINTS points in ~7 characters each: the extents
as float32, then every coordinate (and value) as a 16-bit step of its extent, zlib-compressed and base64url-encoded.
"""

from __future__ import annotations

import base64
import binascii
import io
import struct
import zlib
from dataclasses import dataclass

import numpy as np

from micrograd.studio import datasets
from micrograd.studio.datasets import DataError

KINDS = ("classes", "curve", "values")
MAX_POINTS = 200  # what a link carries; the drawing tool stops there too
MAX_CLASSES = 10
MIN_POINTS = 4  # micrograd.studio.limits: a dataset's smallest size
URL_VERSION = 1
CSV_NAME = "drawn.csv"
_HEADER = struct.Struct("<BBH4f")  # version, kind, n, x0, x1, y0, y1
_VALUES = struct.Struct("<2f")  # values only: the values' extent


@dataclass(frozen=True)
class Drawn:
    """n drawn points: xy (n, 2) and each point's class index (classes), value (values) or 0 (curve), shape (n,)."""

    kind: str
    xy: np.ndarray
    label: np.ndarray

    def __len__(self) -> int:
        return len(self.xy)

    @property
    def classes(self) -> list[int]:
        """The class indices used, ascending (empty for a curve)."""
        return sorted({int(c) for c in self.label}) if self.kind == "classes" else []

    @property
    def task(self) -> str:
        """The task the drawing makes: binary (two classes), multiclass (more) or regression (a curve)."""
        if self.kind != "classes":
            return "regression"
        return "binary" if len(self.classes) <= 2 else "multiclass"


def points(kind: str, x: list[float], y: list[float], label: list[float] | None = None) -> Drawn:
    """A checked drawing: finite numbers, at most MAX_POINTS points, classes 0..9 (label: classes or values)."""
    if kind not in KINDS:
        raise DataError(f"a drawing is one of {', '.join(KINDS)}, got {kind!r}")
    try:
        xy = np.column_stack([np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)]).reshape(-1, 2)
        if label is None or kind == "curve":
            lab = np.zeros(len(xy), dtype=np.int64)
        else:
            lab = np.asarray(label, dtype=np.float64 if kind == "values" else np.int64)
    except (TypeError, ValueError):
        raise DataError("drawn points must be numbers; draw them again") from None
    if lab.shape != (len(xy),):
        raise DataError(f"{len(xy)} drawn points but {lab.size} classes; draw them again")
    if len(xy) > MAX_POINTS:
        raise DataError(f"{len(xy)} drawn points; at most {MAX_POINTS} fit in a link, erase some")
    if not np.isfinite(xy).all() or not np.isfinite(lab).all():
        raise DataError("a drawn point lies outside the plane (not a finite number); draw it again")
    if kind == "classes" and len(lab) and (lab.min() < 0 or lab.max() >= MAX_CLASSES):
        raise DataError(f"drawn classes are 0 to {MAX_CLASSES - 1}")
    return Drawn(kind, xy, lab)


def problem(drawn: Drawn) -> str:
    """Why the drawing cannot be trained on yet ('' when it can)."""
    if len(drawn) < MIN_POINTS:
        return f"{len(drawn)} point(s) drawn: draw at least {MIN_POINTS} to train on them"
    if drawn.kind == "classes" and len(drawn.classes) < 2:
        return "every drawn point has the same class: draw points of at least two classes"
    return ""


def class_names(drawn: Drawn) -> tuple[str, ...]:
    """Each class's name: its index as drawn ("0", "2", ...), so the CSV file reads back in the same order."""
    return tuple(str(c) for c in drawn.classes)


def to_dataset(drawn: Drawn, test_fraction: float = 0.0, seed: int = 0) -> datasets.Dataset:
    """The drawing as a Dataset (via datasets.from_arrays); raises DataError when it cannot be trained on."""
    why = problem(drawn)
    if why:
        raise DataError(why)
    names: tuple[str, ...]
    if drawn.kind == "curve":
        X, y, names, features = drawn.xy[:, :1], drawn.xy[:, 1], ("y",), ["x"]
    elif drawn.kind == "values":
        X, y, names, features = drawn.xy, drawn.label, ("value",), ["x1", "x2"]
    else:
        index = {c: k for k, c in enumerate(drawn.classes)}  # classes as drawn, renumbered 0..K-1
        k = np.array([index[int(c)] for c in drawn.label])
        y = np.where(k > 0, 1.0, -1.0) if drawn.task == "binary" else k.astype(np.int64)
        X, names, features = drawn.xy, class_names(drawn), ["x1", "x2"]
    return datasets.from_arrays(X, y, drawn.task, names, features, name="drawn", test_fraction=test_fraction)


def to_csv(drawn: Drawn) -> bytes:
    """The drawing as a CSV file that datasets.load_csv reads back (x1,x2,class or x,y)."""
    out = io.StringIO()
    if drawn.kind == "curve":
        out.write("x,y\n")
        for x, y in drawn.xy:
            out.write(f"{float(x)!r},{float(y)!r}\n")
    elif drawn.kind == "values":
        out.write("x1,x2,value\n")
        for (x, y), v in zip(drawn.xy, drawn.label):
            out.write(f"{float(x)!r},{float(y)!r},{float(v)!r}\n")
    else:
        out.write("x1,x2,class\n")
        for (x, y), c in zip(drawn.xy, drawn.label):
            out.write(f"{float(x)!r},{float(y)!r},{int(c)}\n")
    return out.getvalue().encode()


HEADERS = {"x,y": "curve", "x1,x2,value": "values", "x1,x2,class": "classes"}  # to_csv's, by kind


def from_csv(data: bytes) -> Drawn:
    """The drawing back from to_csv's file, bit for bit (a drawn run's copy in the run store, for replay)."""
    lines = data.decode("utf-8", "replace").strip().splitlines()
    kind = HEADERS.get(lines[0].strip() if lines else "")
    if kind is None:
        raise DataError("not a drawing's CSV file: its header is none of " + ", ".join(HEADERS))
    try:
        cols = list(zip(*(line.split(",") for line in lines[1:]))) or [(), (), ()]
        x, y = [float(v) for v in cols[0]], [float(v) for v in cols[1]]
        label = None if kind == "curve" else [int(v) if kind == "classes" else float(v) for v in cols[2]]
    except (ValueError, IndexError):
        raise DataError("a drawing's CSV file has a row that is not numbers in its columns") from None
    return points(kind, x, y, label)


def csv_columns(drawn: Drawn) -> tuple[str, list[str]]:
    """(label column, feature columns) of to_csv's file."""
    return ("y", ["x"]) if drawn.kind == "curve" else ("value" if drawn.kind == "values" else "class", ["x1", "x2"])


def _extent(v: np.ndarray) -> tuple[float, float]:
    lo, hi = (float(v.min()), float(v.max())) if len(v) else (0.0, 1.0)
    lo, hi = float(np.float32(lo)), float(np.float32(hi))
    return (lo, hi) if hi > lo else (lo, lo + 1.0)


def encode_url(drawn: Drawn) -> str:
    """The drawing as a short URL-safe text (decode_url reads it back, each coordinate within 1/65535 of its extent)."""
    xr, yr = _extent(drawn.xy[:, 0]), _extent(drawn.xy[:, 1])
    head = _HEADER.pack(URL_VERSION, KINDS.index(drawn.kind), len(drawn), *xr, *yr)

    def steps(v: np.ndarray, r: tuple[float, float]) -> bytes:
        return np.rint(np.clip((v - r[0]) / (r[1] - r[0]), 0, 1) * 65535).astype("<u2").tobytes()

    body = steps(drawn.xy[:, 0], xr) + steps(drawn.xy[:, 1], yr)
    if drawn.kind == "classes":
        body += drawn.label.astype(np.uint8).tobytes()
    elif drawn.kind == "values":
        vr = _extent(drawn.label.astype(np.float64))
        head += _VALUES.pack(*vr)
        body += steps(drawn.label.astype(np.float64), vr)
    return base64.urlsafe_b64encode(zlib.compress(head + body, 9)).decode().rstrip("=")


def decode_url(text: str) -> Drawn:
    """encode_url reversed; raises DataError with a sentence for text that is not a drawing."""
    bad = DataError("the link's drawn points are damaged (draw=...); draw them again or remove draw from the link")
    try:
        raw = zlib.decompress(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)), bufsize=4096)
        version, kind, n, x0, x1, y0, y1 = _HEADER.unpack_from(raw)
    except (binascii.Error, zlib.error, struct.error, ValueError):
        raise bad from None
    extra = {0: n, 1: 0, 2: _VALUES.size + 2 * n}.get(kind, 0)
    if version != URL_VERSION or kind >= len(KINDS) or len(raw) != _HEADER.size + 4 * n + extra or n > MAX_POINTS:
        raise bad
    at = _HEADER.size + (_VALUES.size if kind == 2 else 0)
    q = np.frombuffer(raw, dtype="<u2", count=2 * n, offset=at).astype(np.float64) / 65535
    x, y = x0 + q[:n] * (x1 - x0), y0 + q[n:] * (y1 - y0)
    label = None
    if kind == 0:
        label = np.frombuffer(raw, dtype=np.uint8, count=n, offset=at + 4 * n)
    elif kind == 2:
        v0, v1 = _VALUES.unpack_from(raw, _HEADER.size)
        label = v0 + np.frombuffer(raw, dtype="<u2", count=n, offset=at + 4 * n).astype(np.float64) / 65535 * (v1 - v0)
    try:
        return points(KINDS[kind], x.tolist(), y.tolist(), None if label is None else label.tolist())
    except DataError:
        raise bad from None
