"""The leads each manager received: one entry per (lead, manager) pair, and what became of it.

A lead assigned to A and then to B was received twice: by A and by B. Each pair
belongs to the period of the lead's first assignment to that manager, on that
manager's clock; everything said of the pair is as of now:

- *contacted*: a ``contacted`` row came while this manager held the lead (or named
  this manager);
- *reassigned*: the lead is now held by another manager;
- *stage*: the furthest funnel stage a ``stage`` row recorded while this manager
  held the lead (or naming this manager); a lead this manager closed won has passed
  every stage;
- *won*: this manager held the lead when it closed won.

Metrics here: ``leads_received``, ``leads_contacted``, ``leads_waiting`` (received,
not contacted by this manager: ``received = contacted + waiting``) and
``leads_reassigned``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import fairlead.kpi._schema as schema
from fairlead.kpi._cells import BoolArray, FloatArray, Int64Array
from fairlead.kpi._context import Context
from fairlead.kpi._groups import Measures, table


@dataclass(frozen=True)
class Cohort:
    """The (lead, manager) pairs of received leads (see the module's docstring)."""

    lead: Int64Array
    manager: Int64Array
    at: Int64Array
    local: Int64Array
    contacted: BoolArray
    reassigned: BoolArray
    stage: Int64Array
    won: BoolArray
    value: FloatArray

    @property
    def size(self) -> int:
        """Number of pairs."""
        return int(self.lead.size)


def _per_pair(ctx: Context, rows: Int64Array) -> Int64Array:
    """Pair keys ``lead * n_managers + manager`` of log rows, by who held the lead then."""
    holder = ctx.holders(rows)
    lead = ctx.log.lead[rows]
    return np.where(holder >= 0, lead * ctx.n_managers + holder, -1)


def build_cohort(ctx: Context) -> Cohort:
    """The pairs of ``ctx``'s log."""
    log, leads, m = ctx.log, ctx.leads, ctx.n_managers
    rows = ctx.rows_of(schema.ASSIGNED)
    rows = rows[log.lead[rows] >= 0]
    # Rows are in time order: the first row of each key is the first assignment.
    keys, first = np.unique(log.lead[rows] * m + log.manager[rows], return_index=True)
    rows = rows[first]
    lead, manager, at = log.lead[rows], log.manager[rows], log.at[rows]

    contact_rows = ctx.rows_of(schema.CONTACTED)
    contacted = np.isin(keys, _per_pair(ctx, contact_rows[log.lead[contact_rows] >= 0]))

    stage = np.full(keys.size, -1, dtype=np.int64)
    stage_rows = ctx.rows_of(schema.STAGE)
    stage_rows = stage_rows[log.lead[stage_rows] >= 0]
    if stage_rows.size:
        stage_keys = _per_pair(ctx, stage_rows)
        position = ctx.settings.stage_position[log.labels["stage"][0][stage_rows]]
        order = np.lexsort((position, stage_keys))
        stage_keys, position = stage_keys[order], position[order]
        last = np.r_[stage_keys[1:] != stage_keys[:-1], True]  # the furthest of each key
        furthest_keys, furthest = stage_keys[last], position[last]
        found = np.asarray(np.searchsorted(furthest_keys, keys), dtype=np.int64)
        hit = np.asarray(found < furthest_keys.size)
        hit[hit] = furthest_keys[found[hit]] == keys[hit]
        stage[hit] = furthest[found[hit]]
    won = (leads.outcome[lead] == 1) & (leads.closer[lead] == manager)
    stage = np.where(won, len(ctx.settings.funnel) - 1, stage)
    value = np.nan_to_num(leads.deal_value[lead], nan=0.0)
    return Cohort(
        lead=lead,
        manager=manager,
        at=at,
        local=ctx.clock.local(at, manager),
        contacted=contacted,
        reassigned=leads.owner[lead] != manager,
        stage=stage,
        won=won,
        value=value,
    )


def cohort(ctx: Context) -> Cohort:
    """The pairs of ``ctx`` (built once per log)."""
    return ctx.cached("cohort", lambda: build_cohort(ctx))


def cohort_periods(ctx: Context) -> Int64Array:
    """The period of each pair on ``ctx``'s grid."""
    return ctx.place_local(cohort(ctx).local)


def measure_leads(ctx: Context) -> Measures:
    """``leads_received``, ``leads_contacted``, ``leads_waiting``, ``leads_reassigned``."""
    pairs = cohort(ctx)
    period = cohort_periods(ctx)
    shape = (ctx.n_periods, ctx.n_managers)
    out = Measures()
    received = table(period, pairs.manager, shape)
    contacted = table(period, pairs.manager, shape, pairs.contacted)
    for name, values in (
        ("leads_received", received),
        ("leads_contacted", contacted),
        ("leads_waiting", received - contacted),
        ("leads_reassigned", table(period, pairs.manager, shape, pairs.reassigned)),
    ):
        out.add(name, values, values.sum(axis=1))
    return out
