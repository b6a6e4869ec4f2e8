"""Dates of a transaction log read strictly: ISO or compact strings, date objects, datetime64."""

from __future__ import annotations

import datetime as _dt
import sys
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from fairlead.records._cells import is_missing
from fairlead.records._columns import py_value
from fairlead.records._errors import InputError

DateArray = npt.NDArray[Any]  # datetime64 of some unit
DateLike = str | _dt.date | np.datetime64
"""A date: ISO string (``"1998-06-30"``) or compact ``"19980630"``, ``datetime.date``,
``datetime.datetime``, ``numpy.datetime64`` or ``pandas.Timestamp``."""


class _BadDateError(Exception):
    """The first unreadable date, by row; turned into a ValueError naming the customer."""

    def __init__(self, row: int, value: Any) -> None:
        self.row = row
        self.value = value


def _in_subset(mask: npt.NDArray[np.bool_], parse: Callable[[], Any]) -> Any:
    """Run ``parse`` on the rows selected by ``mask``; a bad row is renumbered."""
    try:
        return parse()
    except _BadDateError as bad:
        raise _BadDateError(int(np.flatnonzero(mask)[bad.row]), bad.value) from None


def _compact_dates(array: npt.NDArray[np.str_]) -> DateArray:
    """``YYYYMMDD`` strings (all of that form) as days."""
    codes = np.ascontiguousarray(array.astype("<U8")).view(np.uint32).reshape(-1, 8)
    digits = codes.astype(np.int64) - ord("0")
    year = digits[:, :4] @ np.array([1000, 100, 10, 1])
    month = digits[:, 4:6] @ np.array([10, 1])
    day = digits[:, 6:] @ np.array([10, 1])
    months = ((year - 1970) * 12 + month - 1).astype("datetime64[M]")
    days: DateArray = months.astype("datetime64[D]") + (day - 1).astype("timedelta64[D]")
    ok = (month >= 1) & (month <= 12) & (day >= 1) & (days.astype("datetime64[M]") == months)
    if not ok.all():
        row = int(np.flatnonzero(~ok)[0])
        raise _BadDateError(row, str(array[row]))
    return days


def _strict(array: npt.NDArray[Any]) -> DateArray | None:
    """``array`` as ``datetime64[us]``, or ``None`` when numpy cannot read it cleanly."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            parsed: DateArray = array.astype("datetime64[us]")
    except (ValueError, TypeError, OverflowError, Warning):
        return None
    return parsed


def _parse_strings(array: npt.NDArray[np.str_]) -> DateArray:
    """ISO (``1998-06-30``, ``1998-06-30 14:05``) or compact (``19980630``) strings."""
    out = np.empty(len(array), dtype="datetime64[us]")
    if not len(array):
        return out
    length = np.char.str_len(array)
    digits = np.char.isdigit(array)
    compact = digits & (length == 8)
    if compact.any():
        out[compact] = _in_subset(compact, lambda: _compact_dates(array[compact]))
    # numpy would read other runs of digits (e.g. "199806") as a year: reject them.
    odd = digits & (length > 4) & ~compact
    if odd.any():
        row = int(np.flatnonzero(odd)[0])
        raise _BadDateError(row, str(array[row]))
    rest = ~compact
    if rest.any():
        parsed = _strict(array[rest])
        if parsed is None:
            for row in np.flatnonzero(rest).tolist():
                if _strict(array[row : row + 1]) is None:
                    raise _BadDateError(row, str(array[row]))
        out[rest] = parsed
    return out


def _parse_objects(array: npt.NDArray[Any]) -> DateArray:
    """``date``/``datetime``/``Timestamp``/``datetime64`` objects; None and NaT missing."""
    parsed = _strict(array)
    if parsed is not None:
        return parsed
    for row, value in enumerate(array):
        if is_missing(value):
            continue
        if isinstance(value, bool) or _strict(np.array([value], dtype=object)) is None:
            raise _BadDateError(row, py_value(value))
    missing = np.array([is_missing(v) for v in array], dtype=np.bool_)
    out = np.full(len(array), np.datetime64("NaT"), dtype="datetime64[us]")
    out[~missing] = array[~missing].astype("datetime64[us]")
    return out


def _parse_dates(array: npt.NDArray[Any]) -> DateArray:
    """Dates as ``datetime64`` (NaT where missing); ``_BadDateError`` for the first bad one."""
    kind = array.dtype.kind
    if kind == "M":
        return array
    if kind == "S":
        return _parse_strings(array.astype(np.str_))
    if kind == "U":
        return _parse_strings(array)
    if kind != "O":
        raise _BadDateError(0, py_value(array[0]) if array.size else None)
    is_str = np.fromiter((isinstance(v, str) for v in array), dtype=np.bool_, count=len(array))
    if is_str.all():
        return _parse_strings(array.astype(np.str_))
    out = np.empty(len(array), dtype="datetime64[us]")
    if is_str.any():
        out[is_str] = _in_subset(is_str, lambda: _parse_strings(array[is_str].astype(np.str_)))
    other = ~is_str
    out[other] = _in_subset(other, lambda: _parse_objects(array[other]))
    return out


def parse_dates(
    values: npt.NDArray[Any],
    field_name: str,
    who: Callable[[int], str],
    *,
    allow_missing: bool = False,
) -> DateArray:
    """A column of dates as ``datetime64``; errors name the customer (``who(row)``).

    Missing dates (None, NaT, empty strings) are errors unless ``allow_missing``;
    then they come back as NaT.
    """
    try:
        dates = _parse_dates(values)
    except _BadDateError as bad:
        if values.dtype.kind in "iufb":
            raise InputError(
                f"{field_name} must hold dates (datetime64, date objects or strings such as "
                f"'1998-06-30' or '19980630'), got {values.dtype} (e.g. {bad.value!r})"
            ) from None
        raise InputError(
            f"{field_name} of {who(bad.row)} is not a date, "
            f"got {py_value(bad.value)!r} (row {bad.row})"
        ) from None
    missing = np.isnat(dates)
    if missing.any() and not allow_missing:
        row = int(np.flatnonzero(missing)[0])
        raise InputError(f"{field_name} of {who(row)} is missing (row {row})")
    return dates


def parse_date(value: Any, field_name: str) -> np.datetime64:
    """One date (``now``, ``observation_end``) as ``datetime64[us]``."""
    pd = sys.modules.get("pandas")
    if pd is not None and isinstance(value, pd.Timestamp) and value.tzinfo is not None:
        value = value.tz_localize(None)
    if isinstance(value, _dt.datetime) and value.tzinfo is not None:
        value = value.replace(tzinfo=None)
    if isinstance(value, bool) or not isinstance(value, str | _dt.date | np.datetime64):
        raise InputError(
            f"{field_name} must be a date (e.g. '1998-06-30', datetime.date), got {value!r}"
        )
    try:
        parsed = _parse_dates(np.array([value], dtype=object))[0]
    except _BadDateError:
        raise InputError(f"{field_name} is not a date, got {value!r}") from None
    if np.isnat(parsed):
        raise InputError(f"{field_name} is not a date, got {value!r}")
    return np.datetime64(parsed, "us")


def show_date(value: Any) -> str:
    """A date or time for messages: the day alone when it falls at midnight."""
    day = np.datetime64(value, "D")
    return str(day) if np.datetime64(value, "us") == day else str(np.datetime64(value, "s"))
