"""The KPIs over any span of days: the history behind a plan, the window of a rating.

The KPIs of a run are measured again with the span as one period, so a rate or a
median over thirteen weeks is recomputed from the events of those weeks (never a mean
of the weekly figures), by the same rules as every figure of the report.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np

from fairlead.kpi._cells import FloatArray
from fairlead.kpi._kpis import Kpis
from fairlead.kpi._measure import measure
from fairlead.kpi._periods import Periods
from fairlead.kpi._report_format import Formats
from fairlead.records import InputError


@dataclass(frozen=True)
class Window:
    """Every KPI over one span ``[start, end)``, per manager and for the team.

    Attributes
    ----------
    start, end : date
        First day and the day after the last.
    manager_ids : tuple of str
        The KPIs' managers, in their order.
    by_manager : dict
        Metric name → array ``(n_managers,)``.
    team : dict
        Metric name → float.
    """

    start: date
    end: date
    manager_ids: tuple[str, ...]
    by_manager: dict[str, FloatArray]
    team: dict[str, float]

    def get(self, metric: str) -> FloatArray:
        """A metric per manager (NaN for a metric the KPIs do not have)."""
        if metric in self.by_manager:
            return self.by_manager[metric]
        return np.full(len(self.manager_ids), np.nan)

    def team_value(self, metric: str) -> float:
        """The team's figure (NaN for a metric the KPIs do not have)."""
        return float(self.team.get(metric, np.nan))

    def label(self, lang: str = "en") -> str:
        """The window's days as the report writes a span (last day included)."""
        return Formats(lang).span(self.start, self.end - timedelta(days=1))


def measure_window(kpis: Kpis, start: date, end: date) -> Window:
    """The KPIs of ``kpis`` measured again over ``[start, end)`` as one period.

    Examples
    --------
    >>> from datetime import date
    >>> from fairlead import kpi
    >>> log = kpi.EventLog.from_records([
    ...     {"type": "assigned", "at": "2026-11-02T09:00", "lead_id": "a", "manager_id": "m"},
    ...     {"type": "contacted", "at": "2026-11-02T09:10", "lead_id": "a"},
    ...     {"type": "assigned", "at": "2026-11-10T09:00", "lead_id": "b", "manager_id": "m"},
    ...     {"type": "contacted", "at": "2026-11-10T09:30", "lead_id": "b"},
    ... ])
    >>> w = measure_window(kpi.compute(log, "week"), date(2026, 11, 2), date(2026, 11, 16))
    >>> w.team_value("leads_received"), w.team_value("response_p50")
    (2.0, 20.0)
    """
    if end <= start:
        raise InputError(
            f"a window must end after it starts, got {start.isoformat()} to {end.isoformat()}",
            field="window",
        )
    ctx: Any = getattr(kpis, "context", None)
    if ctx is None:
        raise InputError(
            "these KPIs cannot be measured over another span: make them with kpi.compute()",
            field="kpis",
        )
    grid = Periods(
        kpis.periods.kind,
        np.array([start], dtype="datetime64[D]"),
        np.array([end], dtype="datetime64[D]"),
    )
    found = measure(replace(ctx, periods=grid, cache=ctx.cache))
    return Window(
        start=start,
        end=end,
        manager_ids=tuple(kpis.manager_ids),
        by_manager={name: values[0] for name, values in found.by_manager.items()},
        team={name: float(values[0]) for name, values in found.team.items()},
    )


def log_span(kpis: Kpis) -> tuple[date, date]:
    """The day of the log's first event and the day after ``now`` (UTC)."""
    start = kpis.log.start
    first = start.date() if start is not None else kpis.now.date()
    return first, kpis.now.date() + timedelta(days=1)


def now_of(kpis: Kpis) -> datetime:
    """The KPIs' moment (naive UTC)."""
    return kpis.now
