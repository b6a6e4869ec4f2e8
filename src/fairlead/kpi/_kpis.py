"""The KPIs of one run: tables per (period, manager), the team's columns, and read-outs."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from typing import Any

import numpy as np

from fairlead.kpi._cells import FloatArray
from fairlead.kpi._context import Context
from fairlead.kpi._groups import Measures
from fairlead.kpi._leads import Leads
from fairlead.kpi._log import EventLog
from fairlead.kpi._measure import measure
from fairlead.kpi._metrics import TEAM_ONLY, Metric, describe
from fairlead.kpi._periods import Periods
from fairlead.records import InputError


@dataclass(frozen=True, eq=False)
class Kpis:
    """Every metric of :data:`METRICS` per period and manager, and for the team.

    Made by :func:`compute`. NaN means "no data" (no contacted lead: no response
    time). The team's counts and money are the sums of its managers'; its rates,
    percentiles and peaks are recomputed from all the team's events, never averaged.

    Attributes
    ----------
    period : {"day", "week", "month"}
    periods : Periods
        The grid: every period from the one holding ``since`` (default: the log's
        first event) to the one holding ``now``.
    manager_ids : tuple of str
        Every manager of the log, then those only in ``managers``.
    by_manager : dict
        Metric name -> array ``(n_periods, n_managers)`` (team-only metrics absent).
    team : dict
        Metric name -> array ``(n_periods,)``; its keys are :attr:`metrics`.
    funnel : tuple of str
    now : datetime
        Naive UTC.
    leads : Leads
    log : EventLog

    Examples
    --------
    >>> from fairlead import kpi
    >>> log = kpi.EventLog.from_records([
    ...     {"type": "created", "at": "2026-11-02T09:00", "lead_id": "l1", "deal_value": 500},
    ...     {"type": "assigned", "at": "2026-11-02T09:01", "lead_id": "l1", "manager_id": "a"},
    ...     {"type": "contacted", "at": "2026-11-02T09:05", "lead_id": "l1"},
    ...     {"type": "won", "at": "2026-11-04T12:00", "lead_id": "l1"},
    ... ])
    >>> kpis = kpi.compute(log, "week")
    >>> kpis.value("response_p50", "a"), kpis.value("revenue"), kpis.periods.label(0)
    (4.0, 500.0, '2026-11-02')
    """

    period: str
    periods: Periods
    manager_ids: tuple[str, ...]
    by_manager: dict[str, FloatArray]
    team: dict[str, FloatArray]
    funnel: tuple[str, ...]
    now: datetime
    leads: Leads
    log: EventLog
    context: Context = field(repr=False)

    def __repr__(self) -> str:
        return (
            f"Kpis({self.period}, {self.periods.size} periods, {len(self.manager_ids)} managers, "
            f"{len(self.team)} metrics)"
        )

    @property
    def metrics(self) -> tuple[str, ...]:
        """The metric names, in the catalogue's order."""
        return tuple(self.team)

    def describe(self, metric: str) -> Metric:
        """The :class:`Metric` (unit, labels, explanation) of one of :attr:`metrics`."""
        self._check_metric(metric)
        return describe(metric, self.context.settings.sla_bands)

    def value(self, metric: str, manager: str | None = None, period: Any = -1) -> float:
        """One figure: a manager's (or, with ``manager=None``, the team's) in one period.

        Parameters
        ----------
        metric : str
            One of :attr:`metrics`.
        manager : str, optional
            A manager id; None for the team.
        period : int, date or str, default -1
            Position in :attr:`periods` (negative from the end), or the period's first
            day (``date`` or ``"2026-11-23"``; a month also as ``"2026-11"``).
        """
        k = self._period_index(period)
        if manager is None:
            return float(self.team[self._check_metric(metric)][k])
        return float(self._manager_table(metric)[k, self._manager_index(manager)])

    def series(self, metric: str, manager: str | None = None) -> FloatArray:
        """A metric over all periods, for one manager or (None) the team."""
        if manager is None:
            return self.team[self._check_metric(metric)].copy()
        return self._manager_table(metric)[:, self._manager_index(manager)].copy()

    def total(self, metric: str, manager: str | None = None) -> float:
        """The metric over the whole span, as if it were one period.

        Counts and money add up over the periods; rates, percentiles and peaks are
        recomputed from all the events of the span (never a mean of means); states
        are read at the span's ends: ``pipeline`` now, ``clients`` at the first
        period's start and ``clients_kept`` now.

        Examples
        --------
        >>> from fairlead import kpi
        >>> log = kpi.EventLog.from_records([
        ...     {"type": "assigned", "at": "2026-11-02T09:00", "lead_id": "a", "manager_id": "m"},
        ...     {"type": "contacted", "at": "2026-11-02T09:10", "lead_id": "a"},
        ...     {"type": "assigned", "at": "2026-11-10T09:00", "lead_id": "b", "manager_id": "m"},
        ...     {"type": "contacted", "at": "2026-11-10T09:30", "lead_id": "b"},
        ... ])
        >>> kpis = kpi.compute(log, "week")
        >>> kpis.series("response_p50").tolist(), kpis.total("response_p50")
        ([10.0, 30.0], 20.0)
        >>> kpis.series("leads_received").tolist(), kpis.total("leads_received")
        ([1.0, 1.0], 2.0)
        """
        whole = self._whole
        if manager is None:
            return float(whole.team[self._check_metric(metric)][0])
        self._manager_table(metric)
        return float(whole.by_manager[metric][0, self._manager_index(manager)])

    @cached_property
    def _whole(self) -> Measures:
        return measure(self.context.whole())

    def to_records(self) -> list[dict[str, Any]]:
        """One dict per (period, manager), then the team's (``manager_id`` None) per period.

        Keys: ``period`` (the first day, a ``date``), ``manager_id`` and every metric
        (team-only metrics are NaN in the managers' rows).
        """
        names = self.metrics
        nan = float("nan")
        dates = self.periods.dates()
        columns = {name: self.by_manager.get(name) for name in names}
        rows: list[dict[str, Any]] = []
        for k, day in enumerate(dates):
            for j, manager in enumerate(self.manager_ids):
                row: dict[str, Any] = {"period": day, "manager_id": manager}
                for name in names:
                    values = columns[name]
                    row[name] = nan if values is None else float(values[k, j])
                rows.append(row)
            team: dict[str, Any] = {"period": day, "manager_id": None}
            team.update({name: float(self.team[name][k]) for name in names})
            rows.append(team)
        return rows

    def to_frame(self) -> Any:
        """:meth:`to_records` as a pandas DataFrame (pandas must be installed)."""
        try:
            import pandas as pd
        except ImportError:  # pragma: no cover - pandas is optional
            raise ImportError("Kpis.to_frame needs pandas: pip install pandas") from None
        columns = ["period", "manager_id", *self.metrics]
        return pd.DataFrame.from_records(self.to_records(), columns=columns)

    def _check_metric(self, metric: str) -> str:
        if metric not in self.team:
            raise InputError(
                f"no metric named {metric!r} in these KPIs (metrics: {', '.join(self.team)})",
                field="metric",
                value=metric,
            )
        return metric

    def _manager_table(self, metric: str) -> FloatArray:
        self._check_metric(metric)
        if metric not in self.by_manager:
            kind = describe(metric).team
            assert kind == TEAM_ONLY
            raise InputError(
                f"{metric!r} is a figure of the team only; ask with manager=None",
                field="manager",
                value=metric,
            )
        return self.by_manager[metric]

    def _manager_index(self, manager: str) -> int:
        try:
            return self.manager_ids.index(str(manager))
        except ValueError:
            raise InputError(
                f"no manager {manager!r} in these KPIs (managers: {', '.join(self.manager_ids)})",
                field="manager",
                value=manager,
            ) from None

    def _period_index(self, period: Any) -> int:
        n = self.periods.size
        if isinstance(period, int | np.integer) and not isinstance(period, bool):
            if -n <= int(period) < n:
                return int(period) % n
        elif isinstance(period, date | str):
            text = period.date().isoformat() if isinstance(period, datetime) else str(period)
            labels = [self.periods.label(k) for k in range(n)]
            days = [str(d) for d in self.periods.starts]
            for options in (labels, days):
                if text in options:
                    return options.index(text)
        raise InputError(
            f"period must be a position from {-n} to {n - 1} or the first day of one of "
            f"the periods, got {period!r}",
            field="period",
            value=period,
        )
