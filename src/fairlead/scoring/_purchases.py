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
    DateArray,
    InputError,
    customer_ids,
    infer_dtype,
    is_missing,
    parse_dates,
    py_value,
    read_columns,
    show_date,
)


@dataclass(frozen=True)
class Purchases:
    """A purchase log, read and checked.

    Attributes
    ----------
    ids : ndarray
        Customer id of each row (str, int or float).
    stamps : ndarray of datetime64
        Time of each purchase.
    spend : ndarray of float or None
        Amount of each purchase (finite, ``>= 0``); ``None`` when not read.
    frame : bool
        Whether the log came as a pandas DataFrame (a DataFrame then goes out).
    who : callable
        Names the customer of a row, for messages.
    """

    ids: npt.NDArray[Any]
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
    ValueError
        On a missing column, a customer column named as an output, empty input, or a
        missing or bad customer id, date or amount (naming the customer and the row).
    """
    table, frame = read_columns(transactions, columns)
    customer, date = columns["customer"], columns["date"]
    if customer in outputs:
        raise InputError(f"customer column {customer!r} clashes with an output column")
    ids = customer_ids(table[customer], customer)
    if len(ids) == 0:
        raise InputError("transactions are empty; at least one purchase is needed")
    who = _namer(ids)
    stamps = parse_dates(table[date], date, who)
    spend = None
    if "amount" in columns:
        amount = columns["amount"]
        spend = amounts(table[amount], amount, who)
    return Purchases(ids, stamps, spend, frame, who)


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


def _namer(ids: npt.NDArray[Any]) -> Callable[[int], str]:
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


def sort_log(
    ids: npt.NDArray[Any], *keys: npt.NDArray[Any]
) -> tuple[npt.NDArray[Any], IntArray, IntArray]:
    """Unique ids, and the order sorting the rows by (customer, *keys), and the customer index."""
    try:
        unique, inverse = np.unique(ids, return_inverse=True)
    except TypeError:  # pragma: no cover - customer_ids() leaves no mixed kinds
        raise InputError("customer ids cannot be ordered") from None
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
