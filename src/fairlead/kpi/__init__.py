"""Monitoring: the event log, manager and team KPIs, the sales plan, rating and the report.

- :func:`read_events` / :class:`EventLog`: what a CRM knows about each lead and client
  over time, validated once, with data-quality findings (:class:`DataQuality`).
- :func:`lead_table`: each lead's life (created, assigned, contacted, stages, closed).
- Periods on each manager's own clock (:func:`local_seconds`, :func:`period_start`).

``docs/kpi.md`` documents the columns, the rules and every figure.
"""

from fairlead.kpi._leads import Leads, Owners, funnel_order, lead_table
from fairlead.kpi._log import EventLog
from fairlead.kpi._periods import (
    PERIODS,
    Period,
    Periods,
    check_period,
    local_seconds,
    period_grid,
    period_start,
    zone,
    zone_offsets,
)
from fairlead.kpi._quality import DataQuality, Finding
from fairlead.kpi._read import read_events
from fairlead.kpi._schema import COLUMNS, EVENT_TYPES, EventType, uses

__all__ = [
    "COLUMNS",
    "EVENT_TYPES",
    "PERIODS",
    "DataQuality",
    "EventLog",
    "EventType",
    "Finding",
    "Leads",
    "Owners",
    "Period",
    "Periods",
    "check_period",
    "funnel_order",
    "lead_table",
    "local_seconds",
    "period_grid",
    "period_start",
    "read_events",
    "uses",
    "zone",
    "zone_offsets",
]
