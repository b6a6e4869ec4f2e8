"""Each manager's own clock: moments (UTC) as local seconds, with one offset table per zone.

The same rule as :func:`local_seconds` (a manager's zone from ``timezones``, the team's
``timezone`` otherwise and for rows without a manager), but each zone's offsets are
read once for the whole log, so the many conversions of one KPI run cost a lookup.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np

from fairlead.kpi._cells import Int64Array
from fairlead.kpi._periods import zone, zone_changes
from fairlead.records import InputError, read_id


class Clock:
    """Local time of each manager, for moments between ``lo`` and ``hi``.

    Parameters
    ----------
    manager_ids : tuple of str
        Manager codes index this tuple.
    timezone : str
        The team's IANA zone, for managers not in ``timezones`` and rows without one.
    timezones : mapping, optional
        Manager id -> IANA zone; an id that is not in ``manager_ids`` is refused.
    lo, hi : int
        The range of moments (epoch seconds) to convert; the tables cover the whole
        years around it (with a margin of 40 days), and are kept for other runs.
        Moments outside them are converted too, only slower.

    Examples
    --------
    >>> import numpy as np
    >>> clock = Clock(("m",), timezone="UTC", timezones={"m": "Asia/Tokyo"}, lo=0, hi=10)
    >>> clock.local(np.array([0, 0]), np.array([0, -1])).tolist()
    [32400, 0]
    """

    def __init__(
        self,
        manager_ids: tuple[str, ...],
        *,
        timezone: str = "UTC",
        timezones: Mapping[str, str] | None = None,
        lo: int,
        hi: int,
    ) -> None:
        given = _zones_by_manager(timezones, manager_ids)
        self.timezone = str(timezone)
        team = zone(self.timezone, "timezone")
        names = [given.get(m, self.timezone) for m in manager_ids]
        self.names = sorted(set(names) | {self.timezone})
        self._zones: list[ZoneInfo] = [
            team if name == self.timezone else zone(name, "timezones") for name in self.names
        ]
        self._of_manager = np.array([self.names.index(z) for z in names], dtype=np.int64)
        self.team = self.names.index(self.timezone)
        # Whole years, a margin around the log: the tables are shared between runs.
        self.lo = _year_start(int(lo) - _MARGIN)
        self.hi = _year_start(int(hi) + _MARGIN, next_year=True)
        self._tables = [_table(tz, self.lo, self.hi) for tz in self._zones]

    def zone_of(self, manager: Int64Array) -> Int64Array:
        """Index into :attr:`names` of each manager's zone (-1: the team's)."""
        if self._of_manager.size == 0:
            return np.full(manager.size, self.team, dtype=np.int64)
        return np.where(manager >= 0, self._of_manager[np.maximum(manager, 0)], self.team)

    def offsets(self, at: Int64Array, zone_index: int) -> Int64Array:
        """Seconds ahead of UTC of one zone at each moment."""
        changes, values = self._tables[zone_index]
        if at.size and (int(at.min()) < self.lo or int(at.max()) > self.hi):
            changes, values = zone_changes(
                min(int(at.min()), self.lo), max(int(at.max()), self.hi), self._zones[zone_index]
            )
        return values[np.searchsorted(changes, at, side="right") - 1]

    def local(self, at: Int64Array, manager: Int64Array) -> Int64Array:
        """Each moment on the clock of its manager (-1: the team's)."""
        at = np.asarray(at, dtype=np.int64)
        if len(self.names) == 1:
            return at + self.offsets(at, 0)
        zones = self.zone_of(np.asarray(manager, dtype=np.int64))
        out = at.copy()
        for k in np.unique(zones):
            rows = zones == k
            out[rows] += self.offsets(at[rows], int(k))
        return out

    def local_team(self, at: Int64Array) -> Int64Array:
        """Moments on the team's clock."""
        at = np.asarray(at, dtype=np.int64)
        return at + self.offsets(at, self.team)

    def utc_team(self, local: Int64Array) -> Int64Array:
        """Moments on the team's clock back to UTC (an hour off only inside a DST change)."""
        local = np.asarray(local, dtype=np.int64)
        guess = local - self.offsets(local, self.team)
        return local - self.offsets(guess, self.team)


#: Period boundaries lie up to a month before the first event and after now.
_MARGIN = 40 * 86_400


def _year_start(second: int, *, next_year: bool = False) -> int:
    """The first second of the (next) UTC year holding ``second``."""
    year = np.datetime64(second, "s").astype("datetime64[Y]") + int(next_year)
    return int(year.astype("datetime64[s]").astype(np.int64))


@lru_cache(maxsize=64)
def _table(tz: ZoneInfo, lo: int, hi: int) -> tuple[Int64Array, Int64Array]:
    return zone_changes(lo, hi, tz)


def _zones_by_manager(
    timezones: Mapping[str, str] | None, manager_ids: tuple[str, ...]
) -> dict[str, str]:
    if timezones is None:
        return {}
    if not isinstance(timezones, Mapping):
        raise InputError(
            f"timezones must map manager ids to IANA zones, got {type(timezones).__name__}",
            field="timezones",
            value=timezones,
        )
    known = set(manager_ids)
    out: dict[str, str] = {}
    for key, name in timezones.items():
        manager = read_id(key, "timezones: manager id", field="timezones")
        if manager not in known:
            raise InputError(
                f"timezones names manager {manager!r}, who is neither in the event log "
                "nor in managers",
                field="timezones",
                value=manager,
            )
        out[manager] = str(name)
    return out
