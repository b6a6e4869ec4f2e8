"""Turn tabular lead features (arrays, DataFrames, records) into a numeric matrix.

Dict rows and DataFrames are read through the records layer's row reader
(:class:`fairlead.records.Rows`); a mapping of columns and a 2-d array are read here.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from fairlead.records import InputError, Rows, is_frame, is_missing

FloatArray = npt.NDArray[np.float64]


def _is_records(data: Any) -> bool:
    return isinstance(data, Sequence) and bool(data) and isinstance(data[0], Mapping)


def _is_positional(data: Any) -> bool:
    """Whether ``data`` is a plain array, whose columns have positions, not names."""
    return not (is_frame(data) or isinstance(data, Mapping) or _is_records(data))


def _column_array(values: Any) -> np.ndarray[Any, Any]:
    """A column given as a list or an array; a list mixing text and numbers stays objects.

    numpy would turn ``[7, 7.0, "8"]`` into the text ``'7', '7.0', '8'``, losing which
    values were numbers.
    """
    if isinstance(values, list | tuple):
        kinds = {type(v) for v in values}
        if str in kinds and len(kinds) > 1:
            out = np.empty(len(values), dtype=object)
            out[:] = list(values)
            return out
    return np.asarray(values)


def as_columns(data: Any, *, what: str = "X") -> tuple[list[str], list[np.ndarray[Any, Any]]]:
    """Columns of ``data`` as (names, arrays).

    Accepts a 2-d numeric array (columns named ``x0, x1, ...``), a pandas DataFrame,
    a mapping of column name to array, or a sequence of dict records.
    """
    if is_frame(data) or _is_records(data):
        rows = Rows(data, kind="record")
        names = rows.names
        return names, [rows.column(name, required=False) for name in names]
    if isinstance(data, Mapping):
        names = [str(k) for k in data]
        arrays = [_column_array(v) for v in data.values()]
    else:
        array = np.asarray(data)
        if array.ndim != 2:
            raise InputError(f"{what} must be 2-d (rows x features), got shape {array.shape}")
        return [f"x{k}" for k in range(array.shape[1])], [
            array[:, k] for k in range(array.shape[1])
        ]
    lengths = {a.shape[0] if a.ndim else -1 for a in arrays}
    if len(lengths) > 1 or -1 in lengths:
        raise InputError(f"{what} columns must be 1-d arrays of one length, got lengths {lengths}")
    return names, arrays


# The kind of one cell of a feature column.
_NUMBER, _TEXT, _MISSING = 0, 1, 2


def _is_missing(value: Any) -> bool:
    """None, NaN, pandas' NA / NaT, or a blank string: no value at all."""
    if isinstance(value, str):
        return not value.strip()
    return is_missing(value)


def _kind(value: Any) -> int:
    if _is_missing(value):
        return _MISSING
    if isinstance(value, bool | int | float | np.integer | np.floating | np.bool_):
        return _NUMBER
    try:
        float(value)
    except (TypeError, ValueError, OverflowError):
        return _TEXT
    return _NUMBER


def _kinds(values: np.ndarray[Any, Any]) -> npt.NDArray[np.int8]:
    """The kind of each cell: number (or text that parses as one), text, or missing."""
    seen: dict[Any, int] = {}
    kinds = np.empty(values.shape[0], dtype=np.int8)
    for row, value in enumerate(values.tolist()):
        try:
            kind = seen.get(value)
        except TypeError:  # unhashable: classify it on its own
            kind = None
        if kind is None:
            kind = _kind(value)
            with contextlib.suppress(TypeError):
                seen[value] = kind
        kinds[row] = kind
    return kinds


def _shown(values: np.ndarray[Any, Any], row: int) -> Any:
    value = values[row]
    return value.item() if isinstance(value, np.generic) else value


def _first(mask: npt.NDArray[np.bool_]) -> int:
    return int(np.flatnonzero(mask)[0])


def _numeric(values: np.ndarray[Any, Any]) -> FloatArray | None:
    if values.dtype == np.bool_:
        return values.astype(np.float64)
    if np.issubdtype(values.dtype, np.number):
        return values.astype(np.float64)
    try:
        return np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        return None


def _first_non_number(values: np.ndarray[Any, Any]) -> int:
    for row, value in enumerate(values.tolist()):
        try:
            number = float(value)
        except (TypeError, ValueError):
            return row
        if not np.isfinite(number):
            return row
    return 0


def _fit_column(name: str, values: np.ndarray[Any, Any]) -> FloatArray | list[str]:
    """A numeric column as floats, or the sorted categories of a text column.

    A column is text (categorical) only when none of its values is a number; one
    that mixes the two, or has a missing value, is an error naming the row.
    """
    numeric = _numeric(values)  # fast: every value a number or None / NaN
    if numeric is None and values.dtype.kind not in "OUS":  # e.g. dates: categories
        return sorted({str(v) for v in values.tolist()})
    if numeric is None:
        kinds = _kinds(values)
        numbers, texts = kinds == _NUMBER, kinds == _TEXT
        if numbers.any() and texts.any():
            odd = texts if texts.sum() <= numbers.sum() else numbers
            row = _first(odd)
            raise InputError(
                f"feature {name!r} mixes numbers and text: row {row} has {_shown(values, row)!r}"
            )
        missing = kinds == _MISSING
        if texts.any():
            if missing.any():
                row = _first(missing)
                raise InputError(
                    f"feature {name!r} must not be missing, got {_shown(values, row)!r} "
                    f"in row {row}"
                )
            return sorted({str(v) for v in values.tolist()})
        numeric = np.full(values.shape[0], np.nan)
        numeric[numbers] = [float(v) for v in values[numbers].tolist()]
    bad = ~np.isfinite(numeric)
    if bad.any():
        row = _first(bad)
        raise InputError(
            f"feature {name!r} must be finite, got {_shown(values, row)!r} in row {row}"
        )
    return numeric


# How the missing values of _is_missing print: only cells printing so are checked one by one.
_MISSING_TEXT = frozenset({"None", "nan", "NaN", "<NA>", "NaT"})


def _labels(name: str, values: np.ndarray[Any, Any]) -> npt.NDArray[np.str_]:
    """Text labels of a categorical column; a missing value is an error naming the row."""
    cells = values.tolist()
    labels = [str(v) for v in cells]
    suspects = {t for t in set(labels) if t in _MISSING_TEXT or not t.strip()}
    if suspects:
        for row, (value, text) in enumerate(zip(cells, labels, strict=True)):
            if text in suspects and _is_missing(value):
                raise InputError(
                    f"feature {name!r} must not be missing, got {_shown(values, row)!r} "
                    f"in row {row}"
                )
    return np.asarray(labels)


def _mean_std(values: FloatArray) -> tuple[float, float]:
    """Mean and standard deviation of finite ``values``, without overflow or underflow.

    Computed on the values divided by a power of two near their largest magnitude,
    then scaled back. Division by a power of two is exact, so for ordinary values
    the result is bit for bit ``values.mean(), values.std()``; unscaled, the squares
    overflow from magnitudes of about 1e154 (and underflow below 1e-162), and the
    sum overflows near 1e308.
    """
    peak = float(np.max(np.abs(values))) if values.size else 0.0
    if peak == 0.0:
        return 0.0, 0.0
    unit = float(np.ldexp(1.0, int(np.frexp(peak)[1]) - 1))  # peak / unit in [1, 2)
    scaled = values / unit
    return float(scaled.mean()) * unit, float(scaled.std()) * unit


def _standardized(
    name: str, values: np.ndarray[Any, Any], numeric: FloatArray, mean: float, scale: float
) -> FloatArray:
    """``(numeric - mean) / scale`` as a column; a value too far out to encode is an error."""
    with np.errstate(over="ignore", invalid="ignore"):
        column = (numeric - mean) / scale
        far = ~np.isfinite(column)
        if far.any():  # the difference of two huge values overflowed: divide first
            column[far] = numeric[far] / scale - mean / scale
    far = ~np.isfinite(column)
    if far.any():
        row = _first(far)
        raise InputError(
            f"feature {name!r} is too far from the values seen in fit, got "
            f"{_shown(values, row)!r} in row {row} (mean {mean:.6g}, standard deviation "
            f"{scale:.6g})"
        )
    return column[:, None]


@dataclass
class FeatureEncoder:
    """Numeric columns pass through (standardized); text columns are one-hot encoded.

    Learned in :meth:`fit`: the column names, which are categorical, their categories,
    and the mean and scale of each numeric column. A category unseen in ``fit``
    encodes as all zeros.

    A column is categorical only when none of its values is a number (text such as
    ``"42"`` counts as one). A column mixing numbers and text, or with a missing value
    (``None``, NaN, a blank string), is an error naming the feature, the row and the
    value. A plain 2-d array is read by position, so at :meth:`transform` it must have
    as many columns as in :meth:`fit`.

    Examples
    --------
    >>> enc = FeatureEncoder().fit({"age": [30, 40, 50], "channel": ["web", "phone", "web"]})
    >>> enc.output_names
    ['age', 'channel=phone', 'channel=web']
    >>> FeatureEncoder().fit({"age": [30, 40, "4O"]})
    Traceback (most recent call last):
    ...
    fairlead.InputError: feature 'age' mixes numbers and text: row 2 has '4O'
    """

    names: list[str] = field(default_factory=list)
    categories: dict[str, list[str]] = field(default_factory=dict)
    means: dict[str, float] = field(default_factory=dict)
    scales: dict[str, float] = field(default_factory=dict)

    def fit(self, data: Any) -> FeatureEncoder:
        """Learn columns, categories and scales from ``data``."""
        names, arrays = as_columns(data)
        if not names:
            raise InputError("X has no feature columns")
        self.names, self.categories, self.means, self.scales = names, {}, {}, {}
        for name, values in zip(names, arrays, strict=True):
            column = _fit_column(name, values)
            if isinstance(column, list):
                self.categories[name] = column
                continue
            mean, spread = _mean_std(column)
            self.means[name] = mean
            self.scales[name] = spread if spread > 0 else 1.0
        return self

    @property
    def output_names(self) -> list[str]:
        """Names of the encoded columns."""
        out: list[str] = []
        for name in self.names:
            if name in self.categories:
                out.extend(f"{name}={c}" for c in self.categories[name])
            else:
                out.append(name)
        return out

    def transform(self, data: Any) -> FloatArray:
        """Encode ``data`` with the columns learned in :meth:`fit`."""
        names, arrays = as_columns(data)
        if _is_positional(data) and len(names) != len(self.names):
            raise InputError(
                f"X has {len(names)} feature columns, the model was fitted on {len(self.names)}"
            )
        given = dict(zip(names, arrays, strict=True))
        missing = [n for n in self.names if n not in given]
        if missing:
            raise InputError(f"X lacks feature column(s) {missing} seen in fit; it has {names}")
        blocks: list[FloatArray] = []
        for name in self.names:
            values = given[name]
            if name in self.categories:
                labels = _labels(name, values)
                cats = np.asarray(self.categories[name])
                blocks.append((labels[:, None] == cats[None, :]).astype(np.float64))
                continue
            numeric = _numeric(values)
            if numeric is None or not np.all(np.isfinite(numeric)):
                bad_row = _first_non_number(values)
                shown = _shown(values, bad_row)
                raise InputError(
                    f"feature {name!r} must be a finite number, got {shown!r} in row {bad_row}"
                )
            blocks.append(_standardized(name, values, numeric, self.means[name], self.scales[name]))
        return np.hstack(blocks) if blocks else np.zeros((0, 0))
