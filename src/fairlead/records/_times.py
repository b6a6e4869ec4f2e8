"""The time rule: how a moment given from outside becomes a UTC time.

A moment is a ``datetime`` (an aware one is converted to UTC, a naive one is
taken as UTC already), a ``date`` (its midnight), ISO 8601 text or a numpy
``datetime64``; pandas' ``Timestamp`` is a ``datetime``. ``None``, NaN and NaT
mean "not known".
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import numpy as np

from fairlead.records._cells import is_missing
from fairlead.records._errors import InputError

EXPECTED_TIME = "must be a datetime, a date or ISO 8601 text"


def epoch_seconds(moment: datetime) -> float:
    """Seconds since the epoch of ``moment``; a naive datetime is read as UTC.

    Examples
    --------
    >>> from datetime import datetime
    >>> epoch_seconds(datetime(1970, 1, 2))
    86400.0
    """
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _utc(value: Any) -> datetime | None:
    """:func:`read_time` without the message: a ``TypeError`` or ``ValueError`` instead."""
    if is_missing(value):
        return None
    if isinstance(value, np.datetime64):
        value = value.astype("datetime64[us]").item()
    if isinstance(value, str):
        value = datetime.fromisoformat(value.strip())
    if isinstance(value, datetime):
        moment: datetime = value
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC).replace(tzinfo=None)
        return moment
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    raise TypeError(type(value).__name__)


def read_time(
    value: Any, what: str = "time", *, row: int | None = None, field: str | None = None
) -> datetime | None:
    """A moment given from outside as a naive UTC ``datetime``; ``None`` if missing.

    Parameters
    ----------
    value : datetime, date, str, numpy.datetime64 or None
        An aware datetime is converted to UTC; a naive one is taken as UTC; a
        date is its midnight; text is ISO 8601. ``None``, NaN and NaT: missing.
    what : str, default "time"
        What the value is, for the message.
    row, field : optional
        Set on the error.

    Raises
    ------
    InputError
        For any other value, or text that is not ISO 8601.

    Examples
    --------
    >>> read_time("2024-05-01T12:00:00+02:00")
    datetime.datetime(2024, 5, 1, 10, 0)
    >>> read_time(None) is None
    True
    >>> read_time("soon", "now")
    Traceback (most recent call last):
    ...
    fairlead.InputError: now must be a datetime, a date or ISO 8601 text, got 'soon'
    """
    try:
        return _utc(value)
    except (TypeError, ValueError, OverflowError):
        raise InputError(
            f"{what} {EXPECTED_TIME}, got {value!r}", row=row, field=field, value=value
        ) from None
