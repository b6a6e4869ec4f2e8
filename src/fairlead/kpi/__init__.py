"""Monitoring: the event log, manager and team KPIs, the sales plan, rating and the report.

- :func:`read_events` / :class:`EventLog`: what a CRM knows about each lead and client
  over time, validated once, with data-quality findings (:class:`DataQuality`).
- :func:`lead_table`: each lead's life (created, assigned, contacted, stages, closed).
- Periods on each manager's own clock (:func:`local_seconds`, :func:`period_start`).
- :func:`compute` -> :class:`Kpis`: every metric of :data:`METRICS` per period and
  manager, and for the team (each :class:`Metric` explained in English and Russian).
- :class:`Formats`: numbers, durations and dates as the report writes them, in
  English and Russian (the service's dashboard writes them the same way).
- :func:`read_sales_plan` / :class:`SalesPlan`: the revenue plan per month or week;
  :func:`decompose` -> :class:`Decomposition`: the plan as deals and leads per stage,
  week and manager, each figure a :class:`Step` with its inputs; :func:`rating` ->
  :class:`Rating` and its performance indices; :func:`alerts` -> :class:`Alert` s.

``docs/kpi.md`` documents the columns, the rules and every figure.
"""

from fairlead.kpi._alerts import Alert, AlertRules, alerts
from fairlead.kpi._compute import compute
from fairlead.kpi._decompose import Chain, Decomposition, decompose
from fairlead.kpi._kpis import Kpis
from fairlead.kpi._leads import Leads, Owners, funnel_order, lead_table
from fairlead.kpi._log import EventLog
from fairlead.kpi._metrics import METRICS, Metric
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
from fairlead.kpi._plan_check import Check
from fairlead.kpi._plan_file import SalesPlan, read_sales_plan
from fairlead.kpi._quality import DataQuality, Finding
from fairlead.kpi._rating import Rating, RatingRow, rating
from fairlead.kpi._read import read_events
from fairlead.kpi._report import report
from fairlead.kpi._report_format import Formats
from fairlead.kpi._schema import COLUMNS, EVENT_TYPES, EventType, uses
from fairlead.kpi._steps import Step

__all__ = [
    "COLUMNS",
    "EVENT_TYPES",
    "METRICS",
    "PERIODS",
    "Alert",
    "AlertRules",
    "Chain",
    "Check",
    "DataQuality",
    "Decomposition",
    "EventLog",
    "EventType",
    "Finding",
    "Formats",
    "Kpis",
    "Leads",
    "Metric",
    "Owners",
    "Period",
    "Periods",
    "Rating",
    "RatingRow",
    "SalesPlan",
    "Step",
    "alerts",
    "check_period",
    "compute",
    "decompose",
    "funnel_order",
    "lead_table",
    "local_seconds",
    "period_grid",
    "period_start",
    "rating",
    "read_events",
    "read_sales_plan",
    "report",
    "uses",
    "zone",
    "zone_offsets",
]
