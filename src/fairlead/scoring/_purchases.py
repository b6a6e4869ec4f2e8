"""The purchase log shared by RFM and the CLV summary: read, checked, grouped by customer.

One row per purchase (customer, date, amount). The log is read and checked once
(:func:`read_purchases`), then sorted by customer so that per-customer figures are
segment reductions over contiguous runs (:func:`sort_log`, :func:`run_starts`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from numbers import Number
from typing import Any

import numpy as np
import numpy.typing as npt

from fairlead.core import FloatArray, IntArray
from fairlead.records import (
    MAX_ID_LENGTH,
    DateArray,
    InputError,
    id_problem,
    infer_dtype,
    is_missing,
    parse_dates,
    py_value,
    read_columns,
    read_ids,
    show_date,
)

TextArray = npt.NDArray[np.str_]

# Rows per block when looking for NUL characters in a column of text: bounds the
# (rows x longest id) scratch array of a large log.
_NUL_BLOCK = 1 << 16


@dataclass(frozen=True)
class Purchases:
    """A purchase log, read and checked.

    Attributes
    ----------
    ids : ndarray of str
        Customer id of each row, read by the id rule
        (:func:`fairlead.records.read_id`).
    stamps : ndarray of datetime64
        Time of each purchase.
    spend : ndarray of float or None
        Amount of each purchase (finite, ``>= 0``); ``None`` when not read.
    frame : bool
        Whether the log came as a pandas DataFrame (a DataFrame then goes out).
    who : callable
        Names the customer of a row, for messages.
    """

    ids: TextArray
    stamps: DateArray
    spend: FloatArray | None
    frame: bool
    who: Callable[[int], str]


def read_purchases(
    transactions: Any, columns: Mapping[str, str], outputs: Sequence[str]
) -> Purchases:
    """Read and check the purchase log.

    Parameters
    ----------
    transactions : DataFrame or mapping of str to array_like
        One row per purchase.
    columns : mapping of str to str
        Column name of the roles ``"customer"`` and ``"date"``, and of ``"amount"``
        when amounts are needed.
    outputs : sequence of str
        Column names of the caller's result, which the customer column must not take.

    Returns
    -------
    Purchases

    Raises
    ------
    InputError
        On a missing column, a customer column named as an output, empty input, or a
        missing or bad customer id, date or amount (naming the customer and the row).
    """
    table, frame = read_columns(transactions, columns)
    customer, date = columns["customer"], columns["date"]
    if customer in outputs:
        raise InputError(f"customer column {customer!r} clashes with an output column")
    ids = read_customer_ids(table[customer], customer)
    if len(ids) == 0:
        raise InputError("transactions are empty; at least one purchase is needed")
    who = _namer(ids)
    stamps = parse_dates(table[date], date, who)
    spend = None
    if "amount" in columns:
        amount = columns["amount"]
        spend = amounts(table[amount], amount, who)
    return Purchases(ids, stamps, spend, frame, who)


def read_customer_ids(values: npt.NDArray[Any], name: str) -> TextArray:
    """Customer ids as text, by the package's id rule; none missing.

    The rule of :func:`fairlead.records.read_id`: text is trimmed (``" 7 "`` is
    ``"7"``), integers and whole floats are the integer's text (``7`` and ``7.0``
    are ``"7"``), anything else is refused (``7.5``, booleans, text that is empty,
    longer than 200 characters or holds a NUL). So one customer written three ways
    in a CRM export is one customer.

    Parameters
    ----------
    values : ndarray
        The column as read (:func:`fairlead.records.read_columns`).
    name : str
        The column's name, for messages.

    Returns
    -------
    ndarray of str

    Raises
    ------
    InputError
        For the first missing or refused id, naming the column, the row and the value.

    Examples
    --------
    >>> import numpy as np
    >>> read_customer_ids(np.array([7, " 7 ", 7.0, "c3"], dtype=object), "customer_id").tolist()
    ['7', '7', '7', 'c3']
    >>> read_customer_ids(np.array(["a", None], dtype=object), "customer_id")
    Traceback (most recent call last):
    ...
    fairlead.InputError: customer_id is missing in row 1
    """
    array = infer_dtype(values)
    if array.size == 0:
        return np.empty(0, dtype=np.str_)
    kind = array.dtype.kind
    if kind == "U":
        return _text_ids(array, name)
    # A blank cell is "missing" rather than a value of the wrong type.
    if kind == "f":
        blank = np.flatnonzero(np.isnan(array))
        if len(blank):
            row = int(blank[0])
            raise InputError(f"{name} is missing in row {row}", row=row, field=name)
    elif kind == "O":
        for row, value in enumerate(array):
            if is_missing(value):
                raise InputError(f"{name} is missing in row {row}", row=row, field=name)
    # Integers and whole floats are converted at once; other kinds value by value.
    return read_ids(array, name, field=name)


def _text_ids(array: TextArray, name: str) -> TextArray:
    """A column of text as ids: trimmed, then checked, all vectorized."""
    # NULs are looked for before trimming: a NUL left last by the trim would read as
    # numpy's padding, and vanish.
    nul = _has_nul(array, np.strings.str_len(array))
    text = np.strings.strip(array)
    length = np.strings.str_len(text)
    bad = (length == 0) | (length > MAX_ID_LENGTH) | nul
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        value = str(array[row])
        problem = id_problem(value)[1]
        raise InputError(
            f"{name} in row {row} {problem}, got str {value!r}", row=row, field=name, value=value
        )
    return text


def _has_nul(text: TextArray, length: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
    """Whether each text holds a NUL before its end.

    numpy pads text with NULs and its string functions read a NUL as the end, so
    the code points are read directly: a zero before the text's length is a NUL.
    """
    out = np.zeros(len(text), dtype=np.bool_)
    width = text.dtype.itemsize // 4
    if width == 0:
        return out
    points = np.ascontiguousarray(text).view(np.uint32).reshape(len(text), width)
    # Without a NUL, the non-zero code points are exactly the texts' lengths: one
    # count over the whole column settles the common case.
    if np.count_nonzero(points) == int(length.sum()):
        return out
    column = np.arange(width)
    for start in range(0, len(text), _NUL_BLOCK):
        block = slice(start, start + _NUL_BLOCK)
        inside = column < length[block, None]
        out[block] = np.any((points[block] == 0) & inside, axis=1)
    return out


def amounts(values: npt.NDArray[Any], field_name: str, who: Callable[[int], str]) -> FloatArray:
    """A column of amounts as finite floats ``>= 0``; errors name the customer."""
    array = infer_dtype(values)
    kind = array.dtype.kind
    if kind == "b":
        raise InputError(f"{field_name} must hold numbers, got booleans")
    if kind == "O":
        for row, value in enumerate(array):
            if is_missing(value):
                raise InputError(f"{field_name} of {who(row)} is missing (row {row})")
            if isinstance(value, bool | np.bool_ | complex) or not isinstance(value, Number):
                raise InputError(
                    f"{field_name} of {who(row)} must be a number, "
                    f"got {py_value(value)!r} (row {row})"
                )
    elif kind not in "iuf":
        sample = py_value(array[0]) if array.size else None
        raise InputError(f"{field_name} must hold numbers, got {array.dtype} (e.g. {sample!r})")
    result = array.astype(np.float64)
    nan = np.isnan(result)
    if nan.any():
        row = int(np.flatnonzero(nan)[0])
        raise InputError(f"{field_name} of {who(row)} is missing (row {row})")
    inf = np.isinf(result)
    if inf.any():
        row = int(np.flatnonzero(inf)[0])
        raise InputError(
            f"{field_name} of {who(row)} must be finite, got {result[row]:g} (row {row})"
        )
    negative = result < 0
    if negative.any():
        row = int(np.flatnonzero(negative)[0])
        raise InputError(
            f"{field_name} of {who(row)} must be >= 0, got {result[row]:g} (row {row}; "
            f"{int(negative.sum())} negative amount(s) in all)"
        )
    return result


def _namer(ids: TextArray) -> Callable[[int], str]:
    """Name the customer of a row, for messages (built only when a message is)."""

    def who(row: int) -> str:
        return f"customer {py_value(ids[row])!r}"

    return who


def check_not_future(
    stamp: npt.NDArray[np.int64],
    limit: int,
    dates: DateArray,
    who: Callable[[int], str],
    limit_name: str,
    limit_shown: str,
) -> None:
    """Raise on the first purchase after ``limit`` (in the units of ``stamp``).

    Parameters
    ----------
    stamp : ndarray of int
        Day or period of each purchase.
    limit : int
        The last day or period allowed.
    dates : ndarray of datetime64
        The purchases' dates, for the message.
    who : callable
        Names the customer of a row.
    limit_name, limit_shown : str
        The limit's argument name and its value, for the message.
    """
    late = stamp > limit
    if late.any():
        row = int(np.flatnonzero(late)[0])
        count = int(late.sum())
        raise InputError(
            f"future dates: {who(row)} bought on {show_date(dates[row])}, after {limit_name} "
            f"({limit_shown}) (row {row}; {count} row(s) in all)"
        )


def sort_log(ids: TextArray, *keys: npt.NDArray[Any]) -> tuple[TextArray, IntArray, IntArray]:
    """Unique ids, and the order sorting the rows by (customer, *keys), and the customer index."""
    unique, inverse = np.unique(ids, return_inverse=True)
    inverse = inverse.astype(np.int64).ravel()
    order = np.lexsort((*reversed(keys), inverse))
    return unique, order, inverse


def run_starts(*sorted_keys: npt.NDArray[Any]) -> IntArray:
    """Positions where any of the sorted keys changes (the first row always)."""
    n = len(sorted_keys[0])
    new = np.zeros(n, dtype=np.bool_)
    new[:1] = True
    for key in sorted_keys:
        new[1:] |= key[1:] != key[:-1]
    return np.flatnonzero(new).astype(np.int64)
