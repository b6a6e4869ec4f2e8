"""Working days of a plan period: the weeks of a month, how much of a period is behind us.

A month's plan is spread over its working days, Monday to Friday (``holidays`` taken
out), so a week with two working days of the month carries two days' worth of the
plan. The same days say how far a period has gone: on Wednesday evening of a
five-day week, three fifths.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
import numpy.typing as npt

from fairlead.kpi._cells import FloatArray, Int64Array

DateArray = npt.NDArray[np.datetime64]

_WEEK = np.timedelta64(7, "D")


def holiday_array(holidays: Iterable[date | str] | None) -> DateArray:
    """Holidays as sorted ``datetime64[D]`` (dates or ISO text)."""
    days = [np.datetime64(h, "D") for h in holidays or ()]
    return np.unique(np.array(days, dtype="datetime64[D]"))


def working_days(start: DateArray, end: DateArray, holidays: DateArray) -> Int64Array:
    """Working days (Monday to Friday, not a holiday) in each ``[start, end)``.

    Examples
    --------
    >>> import numpy as np
    >>> start = np.array(["2026-11-01", "2026-11-23"], dtype="datetime64[D]")
    >>> end = np.array(["2026-12-01", "2026-11-30"], dtype="datetime64[D]")
    >>> working_days(start, end, holiday_array(["2026-11-04"])).tolist()
    [20, 5]
    """
    return np.busday_count(start, end, holidays=holidays).astype(np.int64)


@dataclass(frozen=True)
class Weeks:
    """The weeks a plan period spreads over, each with its working days in the period.

    Attributes
    ----------
    starts : ndarray of datetime64[D]
        Each week's Monday (the first may fall in the month before).
    days : ndarray of int64
        Working days of the week that lie in the period.
    share : ndarray
        ``days`` over the period's working days: what part of the plan each week
        carries (sums to 1).
    """

    starts: DateArray
    days: Int64Array
    share: FloatArray

    def dates(self) -> list[date]:
        """Each week's Monday as ``datetime.date``."""
        return [d.item() for d in self.starts]


def weeks_of(start: date, end: date, holidays: DateArray) -> Weeks:
    """The weeks (Monday first) holding a working day of ``[start, end)``.

    A period without a working day (a week of holidays) is spread over its calendar
    days instead, so its plan is never lost.

    Examples
    --------
    >>> from datetime import date
    >>> weeks = weeks_of(date(2026, 11, 1), date(2026, 12, 1), holiday_array([]))
    >>> [str(d) for d in weeks.starts], weeks.days.tolist()
    (['2026-11-02', '2026-11-09', '2026-11-16', '2026-11-23', '2026-11-30'], [5, 5, 5, 5, 1])
    >>> weeks.share.round(3).tolist()
    [0.238, 0.238, 0.238, 0.238, 0.048]
    """
    first = np.datetime64(start - timedelta(days=start.weekday()), "D")
    stop = np.datetime64(end, "D")
    mondays = np.arange(first, stop, _WEEK)
    lo = np.maximum(mondays, np.datetime64(start, "D"))
    hi = np.minimum(mondays + _WEEK, stop)
    days = working_days(lo, hi, holidays)
    if days.sum() == 0:  # no working day at all: calendar days carry the plan
        days = (hi - lo).astype(np.int64)
    keep = days > 0
    share = days[keep] / days[keep].sum()
    return Weeks(mondays[keep], days[keep], share.astype(np.float64))


def elapsed_part(start: date, end: date, lo: date, now: datetime, holidays: DateArray) -> float:
    """The part of ``[start, end)``'s working time that lies between day ``lo`` and ``now``.

    Each working day counts whole once over, and the day of ``now`` by the part of
    its 24 hours gone (naive ``now`` read in the same clock as the dates). A period
    without working days is measured in calendar days.

    Examples
    --------
    >>> from datetime import date, datetime
    >>> h = holiday_array([])
    >>> week = (date(2026, 11, 23), date(2026, 11, 30))
    >>> elapsed_part(*week, date(2026, 11, 23), datetime(2026, 11, 25, 12, 0), h)
    0.5
    >>> elapsed_part(*week, date(2026, 11, 25), datetime(2026, 11, 28), h)
    0.6
    """
    a = np.datetime64(max(start, lo), "D")
    hi = np.datetime64(end, "D")
    today = np.datetime64(now.date(), "D")
    if today < a:
        return 0.0
    part = (now - datetime.combine(now.date(), datetime.min.time())).total_seconds() / 86_400
    stop = min(today, hi)
    total = int(np.busday_count(np.datetime64(start, "D"), hi, holidays=holidays))
    if total == 0:
        days = int((stop - a).astype(np.int64)) + (part if today < hi else 0.0)
        return float(min(days / int((hi - np.datetime64(start, "D")).astype(np.int64)), 1.0))
    done = float(np.busday_count(a, stop, holidays=holidays))
    if today < hi and np.is_busday(today, holidays=holidays):
        done += part
    return min(done / total, 1.0)


def elapsed_share(start: date, end: date, now: datetime, holidays: DateArray) -> float:
    """How much of ``[start, end)`` is behind ``now``, in working time (0 to 1).

    Examples
    --------
    >>> from datetime import date, datetime
    >>> h = holiday_array([])
    >>> elapsed_share(date(2026, 11, 23), date(2026, 11, 30), datetime(2026, 11, 26, 0, 0), h)
    0.6
    >>> elapsed_share(date(2026, 11, 23), date(2026, 11, 30), datetime(2026, 11, 28, 12), h)
    1.0
    """
    return elapsed_part(start, end, start, now, holidays)


def overlap_share(start: date, end: date, lo: date, hi: date, holidays: DateArray) -> float:
    """The part of ``[start, end)``'s working days that fall in ``[lo, hi)``.

    Examples
    --------
    >>> from datetime import date
    >>> h = holiday_array([])
    >>> round(overlap_share(date(2026, 11, 1), date(2026, 12, 1), date(2026, 11, 23),
    ...                     date(2026, 11, 30), h), 4)
    0.2381
    """
    a = max(start, lo)
    b = min(end, hi)
    if b <= a:
        return 0.0
    total = int(np.busday_count(start, end, holidays=holidays))
    if total == 0:
        return (b - a).days / (end - start).days
    return int(np.busday_count(a, b, holidays=holidays)) / total
