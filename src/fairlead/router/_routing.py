"""Routing one lead: the best value net of price within the fair band, or the wait."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np

from fairlead.core import BoolArray, FloatArray
from fairlead.records import InputError, Lead
from fairlead.router._availability import advance_to
from fairlead.router._call import Call
from fairlead.router._inputs import coerce_lead, instant, record_id, value_row
from fairlead.router._live import Live
from fairlead.router._look import Look, look
from fairlead.router._pick import pick
from fairlead.router._reasons import why
from fairlead.router._records import Decision, decision_of, nobody_reason
from fairlead.router._sla import due
from fairlead.router._state import accrue
from fairlead.router._store import Entry
from fairlead.router._sync import save


def route_lead(live: Live, lead: Any, now: datetime | None, value: Any) -> Decision:
    """Route one lead at ``now``; a lead id routed before gets its decision back.

    Parameters
    ----------
    live : Live
        The router's parts.
    lead : Lead or dict
    now : datetime or None
        ``None``: the current time.
    value : array_like (m,) or None
        The lead's value for each manager; ``None``: the router's model.

    Returns
    -------
    Decision
        ``manager_id`` is None when the lead waits.

    Raises
    ------
    InputError
        For bad input, or a lead released while it waited (closed, so not routed).
    """
    record = coerce_lead(lead)
    ts = instant(now)
    row = None if value is None else value_row(value, live.team.ids, record.id)
    with Call(live):
        existing = live.store.get(record.id)
        if existing is not None and existing.manager is not None:
            return decision_of(existing, replayed=True)
        if existing is not None and existing.released_at is not None:
            raise InputError(
                f"lead {record.id!r}: released as {existing.outcome!r} while it waited; "
                "a closed lead is not routed",
                field="id",
                value=record.id,
            )
        # Everything that can fail (an unknown product, the model) before the state
        # moves: this call keeps no snapshot to restore (see Call).
        seen = look(live, record, row, strict=existing is None)
        on_shift, away = advance_to(live, ts)
        return route_one(live, record, ts, row, existing, on_shift, away, seen)


def current_decision(live: Live, lead_id: Any) -> Decision | None:
    """The current decision for ``lead_id``, or ``None`` if it was never routed."""
    lead_id = record_id(lead_id)
    with Call(live, write=False):
        entry = live.store.get(lead_id)
        return None if entry is None else decision_of(entry, replayed=False)


def route_one(
    live: Live,
    lead: Lead,
    ts: float,
    row: FloatArray | None,
    existing: Entry | None,
    on_shift: BoolArray,
    away: BoolArray,
    seen: Look | None = None,
) -> Decision:
    """Give ``lead`` to the best candidate the fair band allows, or keep it waiting.

    Parameters
    ----------
    live : Live
        The router's parts, with the state brought to ``ts``.
    lead : Lead
    ts : float
        The instant of the decision.
    row : ndarray (m,) or None
        The caller's values of the lead.
    existing : Entry or None
        The lead's entry if it was waiting.
    on_shift, away : ndarray of bool (m,)
        Availability at ``ts``.
    seen : Look, optional
        What the router sees of the lead, if already looked at.
    """
    state = live.state
    if seen is None:
        seen = look(live, lead, row, strict=existing is None)
    candidates = seen.eligible & on_shift & ~away & seen.room
    if not np.count_nonzero(candidates):
        reason = nobody_reason(seen.eligible, on_shift, away, seen.room)
        return _wait(live, lead, ts, row, existing, reason)
    accrue(state, live.team.weights, candidates, seen.eligible & on_shift & away)
    net = seen.value - state.prices
    choice = pick(net, candidates, state.received, state.target, live.tolerance)
    runner_up = None if choice.runner_up < 0 else live.team.ids[choice.runner_up]
    reason = why(live, choice, seen, net)
    return place(live, lead, choice.manager, ts, seen, row, existing, reason, runner_up)


def _wait(
    live: Live, lead: Lead, ts: float, row: FloatArray | None, existing: Entry | None, reason: str
) -> Decision:
    """Record a lead nobody can take now; it keeps its arrival time and place in line."""
    state = live.state
    entry = Entry(
        lead_id=lead.id, lead_json=lead.model_dump_json(), manager=None, kind="waiting",
        value=0.0, price=0.0, reason=reason,
        routed_at=existing.routed_at if existing is not None else ts,
        seq=existing.seq if existing is not None else state.decisions, value_row=row,
        offered_at=existing.offered_at if existing is not None else None,
    )  # fmt: skip
    if existing is None:
        state.decisions += 1
    live.store.put(entry)
    save(live)
    return decision_of(entry, replayed=False)


def place(
    live: Live,
    lead: Lead,
    j: int,
    ts: float,
    seen: Look,
    row: FloatArray | None,
    existing: Entry | None,
    reason: str,
    runner_up: str | None,
) -> Decision:
    """Give ``lead`` to manager ``j``: loads, fair count, the entry, the state.

    Parameters
    ----------
    live : Live
        The router's parts.
    lead : Lead
    j : int
        The manager.
    ts : float
        The instant; the lead's SLA clock starts there.
    seen : Look
        What the router sees of the lead.
    row : ndarray (m,) or None
        The caller's values of the lead, kept with it.
    existing : Entry or None
        The lead's entry if it was waiting (it keeps its place in the sequence).
    reason : str
    runner_up : str or None
        The next best manager's id.
    """
    team, state = live.team, live.state
    state.open[j] += seen.work[j]
    state.received[j] += 1.0
    state.routed[j] += 1.0
    if existing is None:
        state.decisions += 1
    entry = Entry(
        lead_id=lead.id, lead_json=lead.model_dump_json(), manager=team.ids[j],
        kind="routed", value=float(seen.value[j]), price=float(state.prices[j]),
        reason=reason, routed_at=ts,
        seq=existing.seq if existing is not None else state.decisions - 1,
        due_at=due(live, seen.tier, ts), value_row=row, runner_up=runner_up,
        work=float(seen.work[j]),
    )  # fmt: skip
    live.store.put(entry)
    save(live)
    return decision_of(entry, replayed=False)
