"""What clients said: satisfaction (CSAT), would-recommend (NPS) and complaints.

Each ``feedback`` row counts for its ``manager_id``; without one, for the manager who
held its lead at that moment, else (a client's feedback) the client's manager then
(see ``_clients``); in the period of the row on that manager's clock.

- ``csat``: the mean of the 1-5 ratings; ``csat_count``: how many.
- ``nps``: ``100 * (answers 9-10 - answers 0-6) / answers``; ``nps_count``: answers.
- ``complaints``: rows with ``complaint`` true; ``complaint_rate``: complaints per 100
  leads received in the same period (see ``_cohort``).
"""

from __future__ import annotations

import numpy as np

import fairlead.kpi._schema as schema
from fairlead.kpi._clients import client_managers
from fairlead.kpi._cohort import cohort, cohort_periods
from fairlead.kpi._context import Context
from fairlead.kpi._groups import Measures, ratio, table


def measure_feedback(ctx: Context) -> Measures:
    """``csat``, ``csat_count``, ``nps``, ``nps_count``, ``complaints``, ``complaint_rate``."""
    out = Measures()
    shape = (ctx.n_periods, ctx.n_managers)
    log = ctx.log
    rows = ctx.rows_of(schema.FEEDBACK)
    manager = ctx.holders(rows)
    by_client = (manager < 0) & (log.client[rows] >= 0)
    if by_client.any():
        manager[by_client] = client_managers(ctx).at(
            log.client[rows][by_client], log.at[rows][by_client]
        )
    period = ctx.place(log.at[rows], manager)

    csat = log.numbers["csat"][rows]
    rated = ~np.isnan(csat)
    count = table(period, manager, shape, rated)
    total = table(period, manager, shape, np.where(rated, csat, 0.0))
    out.add("csat", ratio(total, count), ratio(total.sum(axis=1), count.sum(axis=1)))
    out.add("csat_count", count, count.sum(axis=1))

    nps = log.numbers["nps"][rows]
    answered = ~np.isnan(nps)
    answers = table(period, manager, shape, answered)
    net = table(period, manager, shape, (nps >= 9).astype(np.float64) - (nps <= 6))
    out.add("nps", ratio(net, answers, 100.0), ratio(net.sum(axis=1), answers.sum(axis=1), 100.0))
    out.add("nps_count", answers, answers.sum(axis=1))

    complaints = table(period, manager, shape, log.complaint[rows] == 1)
    received = table(cohort_periods(ctx), cohort(ctx).manager, shape)
    out.add("complaints", complaints, complaints.sum(axis=1))
    out.add(
        "complaint_rate",
        ratio(complaints, received, 100.0),
        ratio(complaints.sum(axis=1), received.sum(axis=1), 100.0),
    )
    return out
