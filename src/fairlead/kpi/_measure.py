"""Every KPI family run on one context, the metrics in the catalogue's order."""

from __future__ import annotations

from collections.abc import Callable

from fairlead.kpi._cohort import measure_leads
from fairlead.kpi._context import Context
from fairlead.kpi._fairness import measure_fairness
from fairlead.kpi._feedback import measure_feedback
from fairlead.kpi._funnel import measure_funnel
from fairlead.kpi._groups import Measures
from fairlead.kpi._metrics import metric_names
from fairlead.kpi._money import measure_money
from fairlead.kpi._response import measure_response
from fairlead.kpi._retention import measure_retention
from fairlead.kpi._workload import measure_workload

#: The families, each a function of a context.
FAMILIES: tuple[Callable[[Context], Measures], ...] = (
    measure_leads,
    measure_response,
    measure_funnel,
    measure_money,
    measure_fairness,
    measure_workload,
    measure_feedback,
    measure_retention,
)


def measure(ctx: Context) -> Measures:
    """All metrics of ``ctx``: per (period, manager) and the team's, in catalogue order."""
    found = Measures()
    for family in FAMILIES:
        found.update(family(ctx))
    names = metric_names(ctx.settings.funnel, ctx.settings.sla_bands)
    missing = set(names) ^ set(found.team)
    assert not missing, f"metrics computed and catalogued differ: {sorted(missing)}"
    return Measures(
        {name: found.by_manager[name] for name in names if name in found.by_manager},
        {name: found.team[name] for name in names},
    )
