"""Who held each open lead from when to when: the spans behind pipeline and workload.

Each ``assigned`` row opens a span for its manager; the span ends at the lead's next
``assigned`` row or at its first close, whichever comes first; a lead not closed and
not reassigned is still open now. Assignments after the lead closed open nothing. A
lead never assigned is nobody's. Every span also carries its moments on the
holder's clock.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import fairlead.kpi._schema as schema
from fairlead.kpi._cells import BoolArray, FloatArray, Int64Array
from fairlead.kpi._context import NEVER, Context


@dataclass(frozen=True)
class Spans:
    """One entry per span a manager held an open lead.

    Attributes
    ----------
    lead, manager, row : ndarray of int64
        The lead, its holder, and the ``assigned`` row that opened the span.
    start, end : ndarray of int64
        Epoch seconds; ``end`` is :data:`NEVER` while the lead is open now.
    local_start, local_end : ndarray of int64
        The same on the holder's clock (``local_end`` :data:`NEVER` while open).
    """

    lead: Int64Array
    manager: Int64Array
    row: Int64Array
    start: Int64Array
    end: Int64Array
    local_start: Int64Array
    local_end: Int64Array

    @property
    def open_now(self) -> BoolArray:
        """Spans still open now."""
        return np.asarray(self.end == NEVER)

    def weight(self, ctx: Context) -> FloatArray:
        """Each span's chance to win.

        Its assignment's ``win_probability``, else the lead's ``score``, else the
        team's win rate over the whole log (0 with no closed lead).
        """
        chance = ctx.log.numbers["win_probability"][self.row]
        score = ctx.leads.score[self.lead]
        outcome = ctx.leads.outcome
        closed = int(np.count_nonzero(outcome >= 0))
        team = np.count_nonzero(outcome == 1) / closed if closed else 0.0
        return np.where(np.isnan(chance), np.where(np.isnan(score), team, score), chance)


def build_spans(ctx: Context) -> Spans:
    """The spans of ``ctx``'s log."""
    log, leads = ctx.log, ctx.leads
    rows = ctx.rows_of(schema.ASSIGNED)
    rows = rows[log.lead[rows] >= 0]
    # Rows are in time order; a stable sort by lead keeps each lead's in time order.
    rows = rows[np.argsort(log.lead[rows], kind="stable")]
    lead, start = log.lead[rows], log.at[rows]
    same = np.r_[lead[1:] == lead[:-1], False]
    following = np.where(same, np.r_[start[1:], 0], NEVER)
    closed = leads.closed_at[lead]
    close = np.where(np.isnan(closed), NEVER, np.nan_to_num(closed).astype(np.int64))
    end = np.minimum(following, close)
    keep = start < end
    rows, lead, start, end = rows[keep], lead[keep], start[keep], end[keep]
    manager = log.manager[rows]
    local_start = ctx.clock.local(start, manager)
    local_end = np.full(end.size, NEVER, dtype=np.int64)
    ended = end != NEVER
    local_end[ended] = ctx.clock.local(end[ended], manager[ended])
    return Spans(lead, manager, rows, start, end, local_start, local_end)


def spans(ctx: Context) -> Spans:
    """The spans of ``ctx`` (built once per log)."""
    return ctx.cached("spans", lambda: build_spans(ctx))


def open_at_period_ends(ctx: Context, weights: FloatArray) -> FloatArray:
    """Sum of ``weights`` of the spans open at the end of each period, per manager.

    A span is open at a period's end (midnight on its holder's clock) when it started
    before and ends after; at the end of the last period, which ``now`` cuts, the
    spans open now count.
    """
    s = spans(ctx)
    n_periods, n_managers = ctx.n_periods, ctx.n_managers
    out = np.zeros((n_periods + 1, n_managers))
    if n_periods == 0 or s.lead.size == 0:
        return out[:n_periods]
    ends = ctx.periods.ends[:-1].astype(np.int64) * 86_400  # all but the last period
    first = np.searchsorted(ends, s.local_start, side="right")
    last = np.searchsorted(ends, s.local_end, side="left") - 1  # ends strictly before
    last = np.where(s.open_now, n_periods - 1, last)
    has = first <= last
    np.add.at(out, (first[has], s.manager[has]), weights[has])
    np.add.at(out, (last[has] + 1, s.manager[has]), -weights[has])
    return np.cumsum(out, axis=0)[:n_periods]
