"""Reading a CSV dataset: size limits checked first, linear parsing, one clear DataError per problem."""

from __future__ import annotations

import csv
import io
import os
import re
import stat
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from micrograd.studio.limits import LIMITS
from micrograd.studio.text import TextError, check_text, is_number

MAX_CSV_ROWS = 10_000


MAX_CSV_FEATURES = LIMITS.features  # the 8x8 digits set has 64


# Columns a file may have, checked on the header line before the rest is parsed; room for ids and notes
# that are not used as features.
MAX_CSV_COLUMNS = 2 * MAX_CSV_FEATURES


MAX_CSV_BYTES = 5 * 1024 * 1024


# Cells that mean "no value": pandas' usual markers, compared case-insensitively after stripping spaces.
MISSING = {"", "na", "n/a", "nan", "null", "none", "?"}


class DataError(ValueError):
    """Bad user data; the message says what is wrong, where, and what to do."""


def _source_name(file: object) -> str:
    if isinstance(file, (str, os.PathLike)):
        return os.fspath(file)
    name = getattr(file, "name", None)
    return Path(name).name if isinstance(name, str) and name else "upload"


def _read_text(file: object) -> str:
    """The file's text, after the size, binary and encoding checks."""
    limit = f"files may be at most {MAX_CSV_BYTES // (1024 * 1024)} MB; use fewer rows"
    if isinstance(file, (str, os.PathLike)):
        path = Path(file)
        try:
            mode = path.stat().st_mode
        except FileNotFoundError:
            raise DataError(f"no such file: {os.fspath(file)!r}; check the path") from None
        except OSError as e:
            raise DataError(f"cannot read {os.fspath(file)!r}: {e.strerror}") from None
        if stat.S_ISDIR(mode):
            raise DataError(f"{os.fspath(file)!r} is a folder, not a file; give the path of a CSV file inside it")
        if not stat.S_ISREG(mode):  # a device (/dev/zero) or a pipe has no end we can rely on
            raise DataError(f"{os.fspath(file)!r} is not a regular file (a device or a pipe); save the data as a file")
        if path.stat().st_size > MAX_CSV_BYTES:
            raise DataError(f"{path.name} is {path.stat().st_size:,} bytes; {limit}")
        try:
            with path.open("rb") as f:
                data: bytes | str = f.read(MAX_CSV_BYTES + 1)
        except OSError as e:
            raise DataError(f"cannot read {os.fspath(file)!r}: {e.strerror}") from None
    elif isinstance(file, (bytes, bytearray, memoryview)):
        data = bytes(file)
    elif hasattr(file, "read"):
        if hasattr(file, "seek"):  # the dashboard reads an upload twice: once for the header, once for the data
            file.seek(0)
        data = file.read(MAX_CSV_BYTES + 1)
    else:
        raise TypeError(f"file must be a path, bytes or a file-like object, got {type(file).__name__}")
    if len(data) > MAX_CSV_BYTES:
        raise DataError(f"the file is larger than {MAX_CSV_BYTES:,} bytes; {limit}")
    if isinstance(data, bytes):
        if b"\x00" in data:
            raise DataError("the file is binary, not text (a spreadsheet?); save it as CSV (comma-separated) first")
        try:
            data = data.decode("utf-8-sig")  # -sig: Excel starts UTF-8 CSVs with a byte-order mark
        except UnicodeDecodeError as e:
            raise DataError(f"the file is not UTF-8 text (bad byte at offset {e.start}); save it as 'CSV UTF-8'") from e
    if "\x00" in data:
        raise DataError("the file is binary, not text; save it as CSV (comma-separated) first")
    try:
        check_text(data, "the file")
    except TextError:  # only text handed over as str gets here: UTF-8 bytes never decode to a lone surrogate
        bad = next(i for i, c in enumerate(data) if "\ud800" <= c <= "\udfff")
        row = data.count("\n", 0, bad) + 1
        raise DataError(
            f"row {row} holds a character that is not valid Unicode (a lone surrogate, U+{ord(data[bad]):04X}); "
            "save the file as UTF-8 text"
        ) from None
    if not data.strip():
        raise DataError("the file is empty; it needs a header row of column names and at least 4 data rows")
    return data


def _header_cells(first: str, sep: str) -> list[str]:
    """The header line's cells; raises when there are more than MAX_CSV_COLUMNS, before any other row is parsed."""
    cells = next(csv.reader([first], delimiter=sep), [])
    if len(cells) > MAX_CSV_COLUMNS:
        raise DataError(
            f"the file has {len(cells):,} columns; at most {MAX_CSV_COLUMNS} are allowed "
            f"(up to {MAX_CSV_FEATURES} of them features): keep the columns you need"
        )
    return cells


def _ragged(text: str, sep: str, width: int, named: int = 3) -> str:
    """Which rows have more cells than the first row's width, the first few by number: a file with several such
    rows was fixed one error message at a time (QA)."""
    rows = csv.reader(io.StringIO(text), delimiter=sep)
    wide = [(rows.line_num, len(r)) for r in rows if len(r) > width]
    if not wide:  # pandas saw one, but csv reads quotes differently: say what pandas said
        return f"a row has more cells than the first row, which has {width}"
    (line, n), more = wide[0], len(wide) - named
    if len(wide) == 1:
        return f"row {line} has {n} cells, but the first row has {width}"
    listed = [f"{line} ({n} cells)" for line, n in wide[:named]] + ([f"{more} more"] if more > 0 else [])
    return f"rows {', '.join(listed[:-1])} and {listed[-1]} have more cells than the first row, which has {width}"


def _read_table(file: object, min_columns: int = 2) -> tuple[list[str], Any]:
    """(header, cells): the validated header and a DataFrame of stripped strings, one row per data line.

    Training data needs 2 columns (features and a label); rows to predict need only the model's features.
    """
    import pandas as pd

    text = _read_text(file).rstrip("\r\n")  # trailing blank lines are not data rows
    end = text.find("\n")
    first = text if end < 0 else text[:end]
    if not first.strip():  # pandas found "no columns to parse" and raised past every message (review)
        raise DataError("the first line is blank; the first row must be the column names, e.g. x1,x2,label")
    sep = next((s for s in (",", ";", "\t") if s in first), ",")  # semicolons: European spreadsheet exports
    _header_cells(first, sep)  # a file too wide is refused here, in time linear in its first line
    try:
        # everything as text: we convert and report bad cells ourselves, with spreadsheet row numbers
        raw = pd.read_csv(io.StringIO(text), sep=sep, header=None, dtype=str, na_filter=False, skip_blank_lines=False)
    except pd.errors.ParserError as e:
        # pandas says "Error tokenizing data. C error: Expected 3 fields in line 4, saw 4": in the file's own terms
        ragged = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(e))
        quote = re.search(r"EOF inside string starting at row (\d+)", str(e))  # pandas counts these rows from 0
        if quote:
            raise DataError(
                f"the file is not a well-formed CSV: row {int(quote[1]) + 1} opens a quote that is never closed; "
                "close it, or remove it"
            ) from e
        what = _ragged(text, sep, int(ragged[1])) if ragged else str(e).strip()
        raise DataError(
            f"the file is not a well-formed CSV: {what}; every row needs as many cells as the header"
        ) from e
    except pd.errors.EmptyDataError as e:  # a file of separators and blanks only
        raise DataError("the file has no columns; the first row must be the column names, e.g. x1,x2,label") from e
    header = [str(h).strip() for h in raw.iloc[0]]
    cells = raw.iloc[1:].reset_index(drop=True).fillna("")
    cells = cells.apply(lambda col: col.astype(str).str.strip())
    cells.columns = header
    numeric = sum(is_number(h) for h in header)
    if numeric == len(header) or (numeric >= 2 and numeric == len(header) - 1):
        raise DataError(
            f"the first row must be column names, but it looks like data ({first[:60]!r}); "
            "add a header row such as x1,x2,label"
        )
    for i, h in enumerate(header):
        if not h:
            raise DataError(f"column {i + 1} has no name; give every column a name in the first row")
    dupes = sorted(h for h, n in Counter(header).items() if n > 1)  # one pass: header.count(h) per column was O(n²)
    if dupes:
        raise DataError(f"duplicated column names: {', '.join(map(repr, dupes))}; rename them so each is unique")
    if len(header) < min_columns:
        raise DataError(
            f"the file has one column ({header[0]!r}); it needs feature columns and a label column, separated by commas"
        )
    return header, cells


def _first_bad(mask: np.ndarray) -> int:
    return int(np.argmax(mask))


def _feature_matrix(cells: Any, features: list[str], label: str | None = None) -> np.ndarray:
    """The feature columns as an (n, d) float array, after the missing-value and number checks (label: missing only)."""
    import pandas as pd

    for col in [*features, *([label] if label else [])]:
        empty = cells[col].str.lower().isin(MISSING).to_numpy()
        if empty.any():
            r = _first_bad(empty)
            raise DataError(
                f"missing value in column {col!r} at row {r + 2} (row 1 is the header); fill it in or delete that row"
            )
    X = np.empty((len(cells), len(features)), dtype=np.float64)
    for j, col in enumerate(features):
        values = pd.to_numeric(cells[col], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        bad = ~np.isfinite(values)
        if bad.any():
            r = _first_bad(bad)
            cell = cells[col].iloc[r]
            if np.isinf(values[r]) and "inf" not in cell.lower():
                raise DataError(
                    f"column {col!r} row {r + 2} (row 1 is the header) holds {cell!r}, beyond the largest 64-bit "
                    "float (about 1.8e308); rescale the column or leave it out"
                )
            raise DataError(
                f"column {col!r} must be numeric, but row {r + 2} (row 1 is the header) holds "
                f"{cells[col].iloc[r]!r}; fix that cell or leave the column out"
            )
        X[:, j] = values
    return X


MAX_CLASSES = LIMITS.classes
REGRESSION_MIN_DISTINCT = 11  # a numeric label with more distinct values than MAX_CLASSES is a regression target


def _classes_of(values: np.ndarray) -> tuple[np.ndarray, list, list[str]]:
    """(comparable values, sorted distinct keys, each key's name): numbers compare numerically, "1" == "1.0"."""
    distinct = list(dict.fromkeys(values))
    if all(is_number(v) for v in distinct):
        nums = np.array([float(v) for v in values])
        first: dict[float, str] = {}
        for v in distinct:  # each class is named as it was first written; one pass, not one search per class
            first.setdefault(float(v), v)
        keys = sorted(first)
        return nums, keys, [first[k] for k in keys]
    names = sorted(distinct)
    return values, names, names


def label_task(values: np.ndarray) -> str:
    """The task a label column suggests: regression for numbers with more than 10 distinct values, else classes
    (binary for 2, multiclass for more)."""
    _, keys, _ = _classes_of(values)
    if len(keys) >= REGRESSION_MIN_DISTINCT and all(isinstance(k, float) for k in keys):
        return "regression"
    return "multiclass" if len(keys) > 2 else "binary"


def _label_classes(values: np.ndarray, label: str, task: str = "binary") -> tuple[np.ndarray, tuple[str, ...]]:
    """Labels as the task wants them (±1 for binary, class indices for multiclass) and the class names."""
    nums, keys, names = _classes_of(values)
    shown = ", ".join(repr(n) for n in names[:5]) + (", ..." if len(names) > 5 else "")
    if task == "binary" and len(keys) != 2:
        raise DataError(
            f"the label column {label!r} must hold exactly 2 classes, but has {len(keys)}: {shown}; "
            "pick a two-class label column or another task"
        )
    if not 2 <= len(keys) <= MAX_CLASSES:
        raise DataError(
            f"the label column {label!r} must hold 2 to {MAX_CLASSES} classes, but has {len(keys)}: {shown}; "
            "pick another label column, or task regression for a numeric target"
        )
    if task == "binary":
        return np.where(nums == keys[0], -1.0, 1.0), (names[0], names[1])
    index = {k: j for j, k in enumerate(keys)}
    return np.array([index[v] for v in nums.tolist()], dtype=np.int64), tuple(names)


def _label_targets(values: np.ndarray, label: str) -> np.ndarray:
    """A regression label column as floats; a cell that is not a finite number is an error naming its row."""
    for r, v in enumerate(values):
        if not is_number(v):
            raise DataError(
                f"the label column {label!r} must hold numbers for regression, but row {r + 2} (row 1 is the header) "
                f"holds {v!r}; fix that cell or choose a classification task"
            )
    return np.array([float(v) for v in values], dtype=np.float64)


def check_labels(y: np.ndarray, task: str, classes: tuple[str, ...]) -> np.ndarray:
    """y checked and converted to the task's label form: ±1, class indices or float targets (see datasets.from_arrays)."""
    if task == "regression":
        Y = np.asarray(y, dtype=np.float64)
        if not np.isfinite(Y).all() or Y.ndim > 2 or len(classes) != (1 if Y.ndim == 1 else Y.shape[1]):
            raise DataError(f"regression targets must be finite numbers, one column per target name {list(classes)}")
        return Y
    k = len(classes)
    if task == "binary":
        if k != 2:
            raise DataError(f"a binary dataset needs 2 class names, got {k}")
        v = np.asarray(y, dtype=np.float64)
        if np.isin(v, (0.0, 1.0)).all():  # class indices 0/1 -> -1/+1
            v = v * 2.0 - 1.0
        if v.ndim != 1 or not np.isin(v, (-1.0, 1.0)).all():
            raise DataError("binary labels must be -1/+1 (or class indices 0/1)")
        return v
    if not 2 <= k <= MAX_CLASSES:
        raise DataError(f"a multiclass dataset needs 2 to {MAX_CLASSES} class names, got {k}")
    v = np.asarray(y, dtype=np.float64)
    if v.ndim != 1 or not (np.isin(v, np.arange(k))).all():
        raise DataError(f"multiclass labels must be class indices 0 to {k - 1}")
    return v.astype(np.int64)


def csv_task(file: object, label_column: str | None = None) -> str:
    """The task load_csv detects from the file's label column (default: the last column)."""
    header, cells = _read_table(file)
    label = header[-1] if label_column is None else label_column
    if label not in header:
        raise DataError(f"label column {label!r} is not in the file; the columns are: {', '.join(header)}")
    return label_task(cells[label].to_numpy(dtype=object))
