"""A routed lead's life after routing: its first contact and its release."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from fairlead.records import InputError
from fairlead.router._call import Call
from fairlead.router._inputs import instant, never_routed, outcome_of, record_id
from fairlead.router._live import Live
from fairlead.router._records import OUTCOMES, utc
from fairlead.router._store import Entry
from fairlead.router._sync import save, unload


def contact(live: Live, lead_id: Any, now: datetime | None) -> None:
    """Record the first contact with a lead: its SLA clock stops.

    Raises
    ------
    InputError
        For a lead never routed, or one still waiting (``field="lead_id"``).
    """
    lead_id = record_id(lead_id)
    ts = instant(now)
    with Call(live):
        entry = live.store.get(lead_id)
        if entry is None:
            raise never_routed(lead_id)
        if entry.contacted_at is not None or entry.released_at is not None:
            return  # the SLA clock has stopped already
        if entry.manager is None:
            raise InputError(
                f"lead {lead_id!r}: still waiting; no manager holds it yet",
                field="lead_id",
                value=lead_id,
            )
        at, note = _not_before_routing(entry, ts)
        live.store.put(replace(entry, contacted_at=at))
        live.store.log(at, "contact", lead_id, entry.manager, note)


def release(live: Live, lead_id: Any, outcome: Any, now: datetime | None) -> None:
    """Close a lead as ``outcome``: its manager's load drops, their counts move.

    Raises
    ------
    InputError
        For an unknown outcome or one other than a previous release's
        (``field="outcome"``), or a lead never routed (``field="lead_id"``).
    """
    lead_id = record_id(lead_id)
    outcome = outcome_of(outcome, lead_id, OUTCOMES)
    ts = instant(now)
    with Call(live):
        entry = live.store.get(lead_id)
        if entry is None:
            raise never_routed(lead_id)
        if entry.released_at is not None:
            if entry.outcome != outcome:
                raise InputError(
                    f"lead {lead_id!r}: already released as {entry.outcome!r}, not {outcome!r}",
                    field="outcome",
                    value=outcome,
                )
            return
        j = live.index.get(entry.manager) if entry.manager is not None else None
        if j is not None:  # None: waiting, or its manager has left the team
            state = live.state
            unload(live, j, entry.work)  # what it was charged, whatever changed since
            state.released[j] += 1.0
            state.won[j] += outcome == "won"
        at, note = _not_before_routing(entry, ts)
        live.store.put(replace(entry, released_at=at, outcome=outcome))
        detail = f"{outcome} ({note})" if note else outcome
        live.store.log(at, "release", lead_id, entry.manager, detail)
        save(live)


def _not_before_routing(entry: Entry, ts: float) -> tuple[float, str]:
    """When a contact or release at ``ts`` happened: not before the lead was routed.

    Returns the time to record and, when the given time was earlier, a note for
    the event log naming it.
    """
    if ts >= entry.routed_at:
        return ts, ""
    return entry.routed_at, f"dated {utc(ts):%Y-%m-%d %H:%M:%S} UTC, before the lead was routed"
