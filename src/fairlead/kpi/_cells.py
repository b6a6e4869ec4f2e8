"""One column of the event log read at once: ids, labels, text, moments, numbers, flags.

Each reader takes the column's values (a numpy array, ``object`` for mixed cells) and
the rows where the column holds a value, and returns the column in the log's storage
(codes, epoch seconds, floats). A bad value is reported through a :class:`Locator`, so
a file's error names the file, the line, the column and the value.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from fairlead.records import (
    EXPECTED_TIME,
    MAX_ID_LENGTH,
    FileError,
    InputError,
    epoch_seconds,
    is_missing,
    label_key,
    read_ids,
    read_time,
)

Int64Array = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
ObjectArray = npt.NDArray[Any]


class Locator:
    """Where row ``k`` of the log came from, for messages.

    Parameters
    ----------
    source : str
        A file's name, or ``"events"`` for rows given in memory.
    lines : list of int, optional
        Line of the file on which each row starts (CSV) or the row's JSON item line.
    """

    def __init__(self, source: str, lines: list[int] | None = None, *, items: bool = False):
        self.source = source
        self.lines = lines
        self.items = items

    def where(self, row: int) -> str:
        """``events.csv, line 14`` or ``event row 13``."""
        if self.lines is None:
            return f"event row {row}"
        if self.items:
            return f"{self.source}, item {row} (line {self.lines[row]})"
        return f"{self.source}, line {self.lines[row]}"

    def error(self, row: int, column: str | None, problem: str, value: Any = None) -> InputError:
        """An error about ``column`` of row ``row``: ``<where>, column 'x': <problem>``."""
        shown = value.item() if isinstance(value, np.generic) else value
        noun = "column" if self.lines is not None and not self.items else "field"
        place = f"{self.where(row)}, {noun} {column!r}" if column else self.where(row)
        got = "" if value is None else f", got {shown!r}"
        message = f"{place}: {problem}{got}"
        if self.lines is None:
            return InputError(message, row=row, field=column, value=shown)
        return FileError(
            message,
            source=self.source,
            line=self.lines[row],
            row=row,
            field=column,
            value=shown,
        )


def _blank(value: Any) -> bool:
    return is_missing(value) or (isinstance(value, str) and not value.strip())


_BLANK = np.frompyfunc(_blank, 1, 1)


def present(values: ObjectArray) -> BoolArray:
    """Where a column holds a value: not ``None``, NaN, NaT or empty text.

    Examples
    --------
    >>> import numpy as np
    >>> present(np.array([1.0, np.nan])).tolist()
    [True, False]
    >>> present(np.array(["a", "", None, float("nan")], dtype=object)).tolist()
    [True, False, False, False]
    """
    kind = values.dtype.kind
    if kind == "f":
        return np.asarray(~np.isnan(values))
    if kind in "iub":
        return np.ones(values.size, dtype=bool)
    if kind == "M":
        return np.asarray(~np.isnat(values))
    if kind == "U":
        return np.asarray(np.char.strip(values) != "")
    if values.size == 0:
        return np.zeros(0, dtype=bool)
    try:
        # Whole-array comparisons first (None, NaN: the only value unequal to itself).
        with np.errstate(invalid="ignore"):
            empty = (values == None) | np.not_equal(values, values) | np.equal(values, "")  # noqa: E711
        empty = np.asarray(empty, dtype=bool)
    except (TypeError, ValueError):  # cells such as pandas.NA refuse to compare
        return ~np.asarray(_BLANK(values), dtype=bool)
    # Text of spaces only is left to the readers, which refuse it as blank.
    return ~empty


def _each_unique(
    values: ObjectArray, rows: Int64Array, read: Callable[[Any], Any], locator: Locator, column: str
) -> tuple[list[Any], Int64Array]:
    """``read`` applied to each distinct value once; the first bad value's row reported."""
    uniques, inverse = factorize(values)
    out: list[Any] = []
    for k, value in enumerate(uniques):
        try:
            out.append(read(value))
        except _RefusedError as exc:
            bad = int(np.flatnonzero(inverse == k)[0])
            raise locator.error(int(rows[bad]), column, exc.problem, value) from None
    return out, inverse


def factorize(values: ObjectArray) -> tuple[list[Any], Int64Array]:
    """Distinct values in first-seen order and the code of each cell.

    Values of different types stay apart (``1``, ``1.0`` and ``True`` are three).

    Examples
    --------
    >>> import numpy as np
    >>> factorize(np.array(["b", "a", "b", 1, True], dtype=object))
    (['b', 'a', 1, True], array([0, 1, 0, 2, 3]))
    >>> factorize(np.array(["b", "a", "b"]))
    (['b', 'a'], array([0, 1, 0]))
    >>> factorize(np.array([[1], "a", [1]], dtype=object))
    ([[1], 'a'], array([0, 1, 0]))
    """
    if values.dtype.kind == "U":
        return _factorize_text(values)
    if values.dtype.kind in "iufM":
        uniques, first, inverse = np.unique(values, return_index=True, return_inverse=True)
        return _first_seen([u.item() for u in uniques], first, inverse.ravel())
    seen: dict[tuple[type, Any], int] = {}
    distinct: list[Any] = []

    def code(v: Any) -> int:
        # A list or a dict in a cell (JSON input) cannot be a key: its text stands in,
        # and the column's reader refuses the value itself with its row and column.
        key = (v.__class__, v if v.__hash__ is not None else repr(v))
        found = seen.setdefault(key, len(seen))
        if found == len(distinct):
            distinct.append(v)
        return found

    codes = np.fromiter((code(v) for v in values.tolist()), dtype=np.int64, count=values.size)
    return distinct, codes


def _first_seen(
    uniques: list[Any], first: Int64Array, inverse: Int64Array
) -> tuple[list[Any], Int64Array]:
    """Sorted distinct values recoded in order of their first row."""
    order = np.argsort(first, kind="stable")
    rank = np.empty(order.size, dtype=np.int64)
    rank[order] = np.arange(order.size)
    return [uniques[k] for k in order], rank[inverse]


def _factorize_text(values: ObjectArray) -> tuple[list[Any], Int64Array]:
    """:func:`factorize` of a numpy text array, by the strings' hashes (no string sort)."""
    hashes = _text_hashes(values)
    _, first, inverse = np.unique(hashes, return_index=True, return_inverse=True)
    inverse = inverse.ravel()
    if not bool(np.all(values == values[first][inverse])):  # two strings share a hash
        uniques, first, inverse = np.unique(values, return_index=True, return_inverse=True)
        return _first_seen([str(u) for u in uniques], first, inverse.ravel())
    return _first_seen([str(values[k]) for k in first], first, inverse)


_FNV_OFFSET = np.uint64(14695981039346656037)
_FNV_PRIME = np.uint64(1099511628211)


def _text_hashes(values: ObjectArray) -> npt.NDArray[Any]:
    """A 64-bit hash of each string of a numpy text array (FNV-1a over its characters)."""
    width = values.dtype.itemsize // 4
    if width > 32 or values.size == 0:  # long text: Python's own hash, one by one
        return np.fromiter(map(hash, values.tolist()), dtype=np.int64, count=values.size)
    codes = np.ascontiguousarray(values).view(np.uint32).reshape(values.size, width)
    out = np.full(values.size, _FNV_OFFSET, dtype=np.uint64)
    for k in range(width):
        out ^= codes[:, k].astype(np.uint64)
        out *= _FNV_PRIME
    return out


class _RefusedError(Exception):
    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


def read_id_column(
    values: ObjectArray, rows: Int64Array, locator: Locator, column: str
) -> tuple[Int64Array, tuple[str, ...]]:
    """Ids by the id rule as codes into a table of distinct ids (first-seen order)."""
    if values.dtype.kind in "iuf":
        uniques: ObjectArray = values
        inverse = np.arange(values.size, dtype=np.int64)
    else:  # each distinct cell read once
        found, inverse = factorize(values)
        if values.dtype.kind == "U" and _plain_ids(np.array(found, dtype=values.dtype)):
            return inverse, tuple(found)  # distinct ids already, in first-seen order
        uniques = np.empty(len(found), dtype=object)
        uniques[:] = found
    try:
        ids = read_ids(uniques, column, field=column)
    except InputError as exc:
        k = int(exc.row) if exc.row is not None else 0
        bad = int(np.flatnonzero(inverse == k)[0])
        raise locator.error(
            int(rows[bad]), column, "must be text or a whole number", exc.value
        ) from None
    codes, names = _codes(ids)
    return codes[inverse], names


def _plain_ids(texts: ObjectArray) -> bool:
    """Whether numpy text already holds ids as the id rule writes them (the common case)."""
    if texts.size == 0 or texts.dtype.itemsize // 4 > MAX_ID_LENGTH:
        return texts.size == 0
    length = np.char.str_len(texts)
    # numpy text drops trailing NULs; one inside shows as a zero code before the end
    codes = texts.view(np.uint32).reshape(texts.size, -1)
    return bool(
        np.all(length > 0)
        and np.all(np.char.strip(texts) == texts)
        and np.all(np.count_nonzero(codes, axis=1) == length)
    )


def _codes(keys: ObjectArray) -> tuple[Int64Array, tuple[str, ...]]:
    """Codes in first-seen order, and the names."""
    names, codes = factorize(keys)
    return codes, tuple(str(u) for u in names)


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise _RefusedError("must be text")
    if not value.strip():
        raise _RefusedError("is blank (leave the cell empty for no value)")
    return value.strip()


def read_label_column(
    values: ObjectArray, rows: Int64Array, locator: Locator, column: str
) -> tuple[Int64Array, tuple[str, ...]]:
    """Labels matched by the label rule; each shown as first given."""
    texts, inverse = _each_unique(values, rows, _text, locator, column)
    # Each label is shown as first given: "Hot" and "hot" are one label, shown "Hot".
    keys, key_of_text = factorize(np.array([label_key(t) for t in texts], dtype=object))
    _, first = np.unique(key_of_text, return_index=True)
    return key_of_text[inverse], tuple(texts[int(k)] for k in first[: len(keys)])


def read_text_column(
    values: ObjectArray, rows: Int64Array, locator: Locator, column: str
) -> ObjectArray:
    """Free text, trimmed."""
    if values.dtype.kind == "U":  # numpy text: trimmed at once
        trimmed = np.char.strip(values)
        blank = np.flatnonzero(trimmed == "")
        if blank.size:
            k = int(blank[0])
            raise locator.error(
                int(rows[k]), column, "is blank (leave the cell empty for no value)", values[k]
            )
        return trimmed.astype(object)
    texts, inverse = _each_unique(values, rows, _text, locator, column)
    return np.array(texts, dtype=object)[inverse] if texts else np.empty(0, dtype=object)


def _moment(value: Any) -> int:
    try:
        moment = read_time(value)
    except InputError:
        raise _RefusedError(EXPECTED_TIME) from None
    assert moment is not None
    return round(epoch_seconds(moment))


def read_time_column(
    values: ObjectArray, rows: Int64Array, locator: Locator, column: str
) -> Int64Array:
    """Moments as whole seconds since the epoch, UTC (the time rule of fairlead.records)."""
    if values.dtype.kind == "M":
        return values.astype("datetime64[s]").astype(np.int64)
    seconds, inverse = _each_unique(values, rows, _moment, locator, column)
    return np.asarray(seconds, dtype=np.int64)[inverse]


def _number(value: Any) -> float:
    if isinstance(value, bool | np.bool_):
        raise _RefusedError("must be a number")
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            raise _RefusedError("must be a number") from None
    elif isinstance(value, int | float | np.integer | np.floating):
        number = float(value)
    else:
        raise _RefusedError("must be a number")
    if not math.isfinite(number):
        raise _RefusedError("must be a finite number")
    return number


#: The range of each kind of number: (low, high, whole, words).
RANGES: dict[str, tuple[float, float, bool, str]] = {
    "share": (0.0, 1.0, False, "must be a number from 0 to 1"),
    "amount": (0.0, math.inf, False, "must be a number >= 0"),
    "csat": (1.0, 5.0, True, "must be a whole number from 1 to 5"),
    "nps": (0.0, 10.0, True, "must be a whole number from 0 to 10"),
}


def read_number_column(
    values: ObjectArray, rows: Int64Array, locator: Locator, column: str, kind: str
) -> FloatArray:
    """Numbers in the range of ``kind`` (see :data:`RANGES`)."""
    low, high, whole, words = RANGES[kind]
    if values.dtype.kind in "iuf":
        numbers = values.astype(np.float64)
        bad = ~np.isfinite(numbers)
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            raise locator.error(int(rows[k]), column, "must be a finite number", values[k])
    elif values.dtype.kind == "U":
        numbers = _strings_as_numbers(values, rows, locator, column)
    else:
        found, inverse = _each_unique(values, rows, _number, locator, column)
        numbers = np.asarray(found, dtype=np.float64)[inverse]
    wrong = (numbers < low) | (numbers > high)
    if whole:
        wrong |= numbers != np.floor(numbers)
    if wrong.any():
        k = int(np.flatnonzero(wrong)[0])
        raise locator.error(int(rows[k]), column, words, values[k])
    return numbers


def _strings_as_numbers(
    values: ObjectArray, rows: Int64Array, locator: Locator, column: str
) -> FloatArray:
    try:
        numbers = np.char.strip(values).astype(np.float64)
    except ValueError:
        found, inverse = _each_unique(values.astype(object), rows, _number, locator, column)
        return np.asarray(found, dtype=np.float64)[inverse]
    bad = ~np.isfinite(numbers)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise locator.error(int(rows[k]), column, "must be a finite number", values[k])
    return numbers


_FLAGS = {"true": 1, "false": 0, "yes": 1, "no": 0, "1": 1, "0": 0}


def _flag(value: Any) -> int:
    if isinstance(value, bool | np.bool_):
        return int(value)
    if isinstance(value, int | float | np.integer | np.floating) and value in (0, 1):
        return int(value)
    if isinstance(value, str) and value.strip().casefold() in _FLAGS:
        return _FLAGS[value.strip().casefold()]
    raise _RefusedError("must be true or false (also yes / no, 1 / 0)")


def read_flag_column(
    values: ObjectArray, rows: Int64Array, locator: Locator, column: str
) -> npt.NDArray[np.int8]:
    """Yes / no values as 1 / 0."""
    flags, inverse = _each_unique(values, rows, _flag, locator, column)
    return np.asarray(flags, dtype=np.int8)[inverse]
