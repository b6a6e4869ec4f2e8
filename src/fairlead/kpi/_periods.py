"""Days, weeks and months on each manager's own clock.

A lead received at 23:30 UTC on Sunday is Monday's lead for a manager in Moscow: each
event is placed in the period of the local time of the manager it concerns (the team's
time zone for events without a manager). Weeks start on Monday (ISO 8601).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Final, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import numpy.typing as npt

from fairlead.kpi._cells import Int64Array
from fairlead.records import InputError

Period = Literal["day", "week", "month"]
PERIODS: Final[tuple[str, ...]] = ("day", "week", "month")
DateArray = npt.NDArray[np.datetime64]

_HOUR = 3600
_DAY = 86_400


def check_period(period: str) -> Period:
    """``period`` if it is one of day, week, month; an InputError otherwise."""
    if period not in PERIODS:
        raise InputError(
            f"period must be one of {', '.join(PERIODS)}, got {period!r}",
            field="period",
            value=period,
        )
    return period  # type: ignore[return-value]


def zone(name: str, what: str = "timezone") -> ZoneInfo:
    """An IANA time zone by name (``Europe/Moscow``), or an InputError naming it."""
    try:
        return ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(
            f"{what} must be an IANA time zone such as 'Europe/Moscow', got {name!r}",
            field=what,
            value=name,
        ) from None


def _offset(tz: ZoneInfo, second: int) -> int:
    moment = datetime.fromtimestamp(second, UTC).astimezone(tz)
    offset = moment.utcoffset()
    return int(offset.total_seconds()) if offset is not None else 0


def zone_offsets(at: Int64Array, tz: ZoneInfo) -> Int64Array:
    """Seconds ahead of UTC of the zone at each moment, daylight saving included.

    The offset is read on an hourly grid over the moments' range and each change is
    found to the second by bisection, so the result is exact at every moment.

    Examples
    --------
    >>> import numpy as np
    >>> from zoneinfo import ZoneInfo
    >>> summer, winter = 1751371200, 1767225600     # 2025-07-01 and 2026-01-01 UTC
    >>> zone_offsets(np.array([summer, winter]), ZoneInfo("Europe/Berlin")).tolist()
    [7200, 3600]
    """
    if at.size == 0:
        return np.zeros(0, dtype=np.int64)
    changes, values = zone_changes(int(at.min()), int(at.max()), tz)
    index = np.searchsorted(changes, at, side="right") - 1
    return values[index]


def zone_changes(lo: int, hi: int, tz: ZoneInfo) -> tuple[Int64Array, Int64Array]:
    """The zone's offsets from ``lo`` to ``hi`` (epoch seconds) as a step function.

    Returns the moments the offset changes, sorted (the first is before ``lo``), and
    the offset from each on: the offset at ``t`` in ``[lo, hi]`` is ``values[k]`` for
    the last ``changes[k] <= t``.

    Examples
    --------
    >>> from zoneinfo import ZoneInfo
    >>> changes, values = zone_changes(1767225600, 1798761600, ZoneInfo("Europe/Berlin"))
    >>> changes[1:].tolist(), values.tolist()           # 2026: DST from March to October
    ([1774746000, 1792890000], [3600, 7200, 3600])
    """
    grid = list(range(lo - lo % _HOUR, hi + _HOUR, _HOUR))
    offsets = [_offset(tz, s) for s in grid]
    changes = [grid[0] - 1]  # offsets[0] holds from grid[0] <= lo on
    values = [offsets[0]]
    for k in range(1, len(grid)):
        if offsets[k] != offsets[k - 1]:
            left, right = grid[k - 1], grid[k]  # offset changes in (left, right]
            while right - left > 1:
                mid = (left + right) // 2
                if _offset(tz, mid) == offsets[k - 1]:
                    left = mid
                else:
                    right = mid
            changes.append(right)
            values.append(offsets[k])
    return np.asarray(changes, dtype=np.int64), np.asarray(values, dtype=np.int64)


def local_seconds(
    at: Int64Array,
    manager: Int64Array,
    manager_ids: tuple[str, ...],
    *,
    timezone: str = "UTC",
    timezones: Mapping[str, str] | None = None,
) -> Int64Array:
    """Each moment on the clock of its manager (``timezones``), else of the team.

    Examples
    --------
    >>> import numpy as np
    >>> at = np.array([0, 0])                       # 1970-01-01 00:00 UTC
    >>> local_seconds(at, np.array([0, -1]), ("m",), timezones={"m": "Asia/Tokyo"}).tolist()
    [32400, 0]
    """
    timezones = dict(timezones or {})
    unknown = sorted(set(timezones) - set(manager_ids))
    if unknown:
        raise InputError(
            f"timezones names manager {unknown[0]!r}, who has no event in the log",
            field="timezones",
            value=unknown[0],
        )
    names = [str(timezones.get(m, timezone)) for m in manager_ids]
    distinct = sorted(set(names) | {timezone})
    zone_of_manager = np.array([distinct.index(z) for z in names], dtype=np.int64)
    team = distinct.index(timezone)
    zone_of = np.where(manager >= 0, zone_of_manager[np.maximum(manager, 0)], team)
    zone_of = zone_of if zone_of_manager.size else np.full(at.size, team)
    out = at.copy()
    for k, name in enumerate(distinct):
        rows = zone_of == k
        if rows.any():
            out[rows] += zone_offsets(
                at[rows], zone(name, "timezones" if k != team else "timezone")
            )
    return out


def period_start(local: Int64Array, period: Period) -> DateArray:
    """The first day of the period holding each local moment, as ``datetime64[D]``.

    Examples
    --------
    >>> import numpy as np
    >>> sunday_night = np.array([np.datetime64("2026-11-29T23:30", "s").astype(np.int64)])
    >>> str(period_start(sunday_night, "week")[0]), str(period_start(sunday_night, "month")[0])
    ('2026-11-23', '2026-11-01')
    """
    days = np.floor_divide(local, _DAY)
    if period == "day":
        return days.astype("datetime64[D]")
    if period == "week":
        # 1970-01-01 was a Thursday: Monday-based weeks start 3 days earlier.
        return ((days + 3) // 7 * 7 - 3).astype("datetime64[D]")
    return days.astype("datetime64[D]").astype("datetime64[M]").astype("datetime64[D]")


def _next(start: np.datetime64, period: Period) -> np.datetime64:
    if period == "day":
        return start + np.timedelta64(1, "D")
    if period == "week":
        return start + np.timedelta64(7, "D")
    month: np.datetime64 = start.astype("datetime64[M]") + np.timedelta64(1, "M")
    day: np.datetime64 = month.astype("datetime64[D]")
    return day


@dataclass(frozen=True)
class Periods:
    """The consecutive periods a report covers, empty ones included.

    Attributes
    ----------
    kind : {"day", "week", "month"}
    starts : ndarray of datetime64[D]
        First day of each period.
    ends : ndarray of datetime64[D]
        First day after each period.
    """

    kind: Period
    starts: DateArray
    ends: DateArray

    @property
    def size(self) -> int:
        """Number of periods."""
        return int(self.starts.size)

    def index(self, starts: DateArray) -> Int64Array:
        """Position of each period start in the grid (-1 outside it)."""
        k = np.searchsorted(self.starts, starts)
        inside = (k < self.size) & (self.starts[np.minimum(k, self.size - 1)] == starts)
        return np.where(inside, k, -1).astype(np.int64)

    def dates(self) -> list[date]:
        """First day of each period as ``datetime.date``."""
        return [d.item() for d in self.starts]

    def label(self, k: int) -> str:
        """``2026-11-23`` (day or week start) or ``2026-11`` (month)."""
        start = self.starts[k]
        return str(start.astype("datetime64[M]")) if self.kind == "month" else str(start)


def period_grid(starts: DateArray, period: Period) -> Periods:
    """Every period from the first to the last of ``starts``."""
    if starts.size == 0:
        empty = np.zeros(0, dtype="datetime64[D]")
        return Periods(period, empty, empty)
    first, last = starts.min(), starts.max()
    grid = [first]
    while grid[-1] < last:
        grid.append(_next(grid[-1], period))
    ends = [_next(s, period) for s in grid]
    return Periods(
        period, np.array(grid, dtype="datetime64[D]"), np.array(ends, dtype="datetime64[D]")
    )
