"""The SLA: when a lead is due for first contact, which leads are overdue, and moving them."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from fairlead.core import BoolArray
from fairlead.records import InputError, Tier
from fairlead.router._availability import advance_to
from fairlead.router._call import Call
from fairlead.router._inputs import instant, never_routed, record_id
from fairlead.router._live import Live
from fairlead.router._look import look
from fairlead.router._pick import pick
from fairlead.router._reasons import why
from fairlead.router._records import Decision, Overdue, decision_of, nobody_reason, utc
from fairlead.router._store import Entry
from fairlead.router._sync import save, unload


def due(live: Live, tier: Tier, ts: float) -> float | None:
    """When a lead of ``tier`` given to a manager at ``ts`` is due (``None``: no SLA)."""
    if live.sla is None or tier not in live.sla:
        return None
    return ts + live.sla[tier]


def overdue(live: Live, now: datetime | None) -> list[Overdue]:
    """Leads not contacted within the SLA at ``now``, most overdue first."""
    ts = instant(now)
    with Call(live, write=False):
        return [
            Overdue(
                lead_id=e.lead_id,
                manager_id=str(e.manager),
                routed_at=utc(e.routed_at),
                due_at=utc(float(e.due_at or 0.0)),
                late_by=timedelta(seconds=ts - float(e.due_at or 0.0)),
            )
            for e in live.store.overdue(ts)
        ]


def reassign_overdue(live: Live, now: datetime | None) -> list[Decision]:
    """Move each overdue lead to the next best available manager, most overdue first.

    One atomic call: if any lead fails, none moves.
    """
    ts = instant(now)
    with Call(live, atomic=True):
        on_shift, away = advance_to(live, ts)
        out = [_reassign(live, e, ts, on_shift, away) for e in live.store.overdue(ts)]
        save(live)
        return out


def _reassign(
    live: Live, entry: Entry, ts: float, on_shift: BoolArray, away: BoolArray
) -> Decision:
    """Move one overdue lead, or keep it (``kept``) when nobody else can take it."""
    team, state = live.team, live.state
    lead, holder = entry.lead, str(entry.manager)
    old = live.index.get(holder)  # None: the holder has left the team
    seen = look(live, lead, entry.value_row, strict=False)
    candidates = seen.eligible & on_shift & ~away & seen.room
    others = np.ones(len(team.ids), dtype=np.bool_)
    if old is not None:
        others[old] = False
        candidates[old] = False
    due_at = float(entry.due_at or ts)
    sla = f"not contacted within the {timedelta(seconds=round(due_at - entry.routed_at))} SLA"
    due_text = f"due {utc(due_at):%Y-%m-%d %H:%M} UTC"
    if not np.count_nonzero(candidates):
        nobody = nobody_reason(seen.eligible & others, on_shift, away, seen.room, excluding=holder)
        reason = f"{sla} ({due_text}), but {nobody}"
        live.store.log(ts, "kept", entry.lead_id, entry.manager, reason)
        return Decision(
            lead_id=entry.lead_id, manager_id=entry.manager, value=entry.value,
            price=entry.price, reason=reason, at=utc(ts), kind="kept",
        )  # fmt: skip
    net = seen.value - state.prices
    choice = pick(net, candidates, state.received, state.target, live.tolerance)
    j = choice.manager
    _move_books(live, entry, old, j, float(seen.work[j]), ts)
    reason = f"reassigned from {holder!r}: {sla} ({due_text}); {why(live, choice, seen, net)}"
    updated = replace(
        entry, manager=team.ids[j], kind="reassigned", value=float(seen.value[j]),
        price=float(state.prices[j]), reason=reason, routed_at=ts,
        due_at=due(live, seen.tier, ts), previous=holder,
        reassignments=entry.reassignments + 1,
        runner_up=None if choice.runner_up < 0 else team.ids[choice.runner_up],
        work=float(seen.work[j]),
    )  # fmt: skip
    live.store.put(updated)
    live.store.log(ts, "reassign", entry.lead_id, team.ids[j], reason)
    return decision_of(updated, replayed=False)


def _move_books(live: Live, entry: Entry, old: int | None, j: int, work: float, ts: float) -> None:
    """A lead's load and fair-share counts move from manager ``old`` to manager ``j``."""
    state = live.state
    if old is not None:
        # The lead's count has faded since it was routed; forfeit what is left of it.
        left = 1.0
        if live.half_life is not None:
            left = 0.5 ** (max(ts - entry.routed_at, 0.0) / live.half_life)
        unload(live, old, entry.work)
        state.received[old] -= left
        state.target[old] -= left
        state.reassigned_out[old] += 1.0
    state.open[j] += work
    state.received[j] += 1.0
    state.target[j] += 1.0
    state.reassigned_in[j] += 1.0
    state.decisions += 1


def transfer(live: Live, lead_id: Any, manager_id: Any, now: datetime | None, by: str) -> Decision:
    """A person gave a routed lead to ``manager_id``: its load and counts follow them.

    As a reassignment does (the manager who lost the lead forfeits what it still
    counts; the new one gets it), whatever the new manager's room: the lead is
    theirs in fact. A closed lead, or one the manager holds already, stays as it is.

    Raises
    ------
    InputError
        For a lead never routed or still waiting (``field="lead_id"``), or a manager
        not on the team (``field="manager_id"``).
    """
    lead_id = record_id(lead_id)
    manager_id = record_id(manager_id, "manager id")
    ts = instant(now)
    with Call(live, atomic=True):
        entry = live.store.get(lead_id)
        if entry is None:
            raise never_routed(lead_id)
        if entry.manager is None:
            raise InputError(
                f"lead {lead_id!r}: still waiting; route it before giving it to someone",
                field="lead_id",
                value=lead_id,
            )
        j = live.index.get(manager_id)
        if j is None:
            raise InputError(
                f"lead {lead_id!r}: manager {manager_id!r} is not on the team",
                field="manager_id",
                value=manager_id,
            )
        if entry.released_at is not None or entry.manager == manager_id:
            return decision_of(entry, replayed=True)
        advance_to(live, ts)
        holder = str(entry.manager)
        seen = look(live, entry.lead, entry.value_row, strict=False)
        _move_books(live, entry, live.index.get(holder), j, float(seen.work[j]), ts)
        reason = f"given to {manager_id!r} by {by} (it was {holder!r}'s)"
        updated = replace(
            entry, manager=manager_id, kind="reassigned", value=float(seen.value[j]),
            price=float(live.state.prices[j]), reason=reason, routed_at=ts,
            due_at=None if entry.contacted_at is not None else due(live, seen.tier, ts),
            previous=holder, reassignments=entry.reassignments + 1, runner_up=None,
            work=float(seen.work[j]),
        )  # fmt: skip
        live.store.put(updated)
        live.store.log(ts, "reassign", lead_id, manager_id, reason)
        save(live)
        return decision_of(updated, replayed=False)
