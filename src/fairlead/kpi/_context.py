"""What every KPI family reads: the log, its leads, the clocks, the period grid, the settings.

A :class:`Context` places moments in periods on each manager's clock. Facts that do not
depend on the grid (who held which lead, the cohorts of received leads, the clients'
managers) are built once and kept in :attr:`Context.cache`, which the whole-span
context of :meth:`Kpis.total` shares.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

import numpy as np

from fairlead.kpi._cells import FloatArray, Int64Array
from fairlead.kpi._clock import Clock
from fairlead.kpi._leads import Leads, Owners
from fairlead.kpi._log import EventLog
from fairlead.kpi._periods import Periods

DAY = 86_400
#: A moment that never comes (an open lead's end).
NEVER = np.iinfo(np.int64).max

T = TypeVar("T")


@dataclass(frozen=True)
class Settings:
    """The arguments of :func:`compute`, checked.

    Attributes
    ----------
    funnel : tuple of str
        Stages in funnel order.
    stage_position : ndarray of int64
        Funnel position of each stage label code of the log.
    sla_bands : tuple of float
        Upper edges (minutes) of the response-time bands but the last.
    churn_days : float
    interval : float
    target : ndarray
        Target share per manager (sums to 1).
    capacity : ndarray
        ``max_active_leads`` per manager; NaN where unknown.
    active : ndarray
        ``active_leads`` per manager (open leads now, as the CRM counts them); NaN
        where unknown.
    timezone : str
    timezones : dict
    """

    funnel: tuple[str, ...]
    stage_position: Int64Array
    sla_bands: tuple[float, ...]
    churn_days: float
    interval: float
    target: FloatArray
    capacity: FloatArray
    active: FloatArray
    timezone: str = "UTC"
    timezones: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, eq=False)
class Context:
    """The log and the grid one KPI run measures.

    Attributes
    ----------
    log : EventLog
    leads : Leads
    manager_ids : tuple of str
        Every manager: the log's, then those only in ``managers``.
    periods : Periods
    clock : Clock
    now : int
        Epoch seconds; no event of the log is later.
    settings : Settings
    cache : dict
        Facts independent of the grid, built on first use.
    """

    log: EventLog
    leads: Leads
    manager_ids: tuple[str, ...]
    periods: Periods
    clock: Clock
    now: int
    settings: Settings
    cache: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def n_periods(self) -> int:
        """Number of periods."""
        return self.periods.size

    @property
    def n_managers(self) -> int:
        """Number of managers."""
        return len(self.manager_ids)

    @property
    def start_days(self) -> Int64Array:
        """First day of each period, as days since the epoch (on every manager's clock)."""
        return self.periods.starts.astype(np.int64)

    @property
    def end_day(self) -> int:
        """The day after the last period."""
        return int(self.periods.ends[-1].astype(np.int64)) if self.n_periods else 0

    def cached(self, key: str, build: Callable[[], T]) -> T:
        """A grid-independent fact, built once."""
        if key not in self.cache:
            self.cache[key] = build()
        value: T = self.cache[key]
        return value

    def place_local(self, local: Int64Array) -> Int64Array:
        """Period of each local moment (-1 outside the grid)."""
        day = np.floor_divide(local, DAY)
        k = np.searchsorted(self.start_days, day, side="right") - 1
        return np.where((k >= 0) & (day < self.end_day), k, -1).astype(np.int64)

    def place(self, at: Int64Array, manager: Int64Array) -> Int64Array:
        """Period of each moment on its manager's clock (-1 outside the grid)."""
        return self.place_local(self.clock.local(at, manager))

    def local_now(self) -> Int64Array:
        """``now`` on each manager's clock."""
        managers = np.arange(self.n_managers, dtype=np.int64)
        return self.clock.local(np.full(self.n_managers, self.now, dtype=np.int64), managers)

    @property
    def owners(self) -> Owners:
        """Who held each lead when (shared)."""
        return self.cached("owners", lambda: Owners(self.log))

    def holders(self, rows: Int64Array) -> Int64Array:
        """The manager of each log row: its own ``manager_id``, else who held its lead then."""
        manager = self.log.manager[rows]
        lead = self.log.lead[rows]
        ask = (manager < 0) & (lead >= 0)
        if ask.any():
            manager = manager.copy()
            manager[ask] = self.owners.at(lead[ask], self.log.at[rows][ask])[0]
        return manager

    def rows_of(self, code: int) -> Int64Array:
        """Rows of the log of one event type."""
        return np.flatnonzero(self.log.kind == code)

    def whole(self) -> Context:
        """The same run with the grid as one period (for totals); the facts are shared."""
        if self.n_periods == 0:
            return self
        one = Periods(self.periods.kind, self.periods.starts[:1], self.periods.ends[-1:])
        return replace(self, periods=one, cache=self.cache)
