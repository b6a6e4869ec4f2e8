"""A routed lead's life after routing: its first contact and its release."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from fairlead.router._call import Call
from fairlead.router._inputs import instant, record_id
from fairlead.router._live import Live
from fairlead.router._records import OUTCOMES, utc
from fairlead.router._store import Entry
from fairlead.router._sync import save, unload


def contact(live: Live, lead_id: Any, now: datetime | None) -> None:
    """Record the first contact with a lead: its SLA clock stops.

    Raises
    ------
    ValueError
        For a lead never routed, or one still waiting.
    """
    lead_id = record_id(lead_id)
    ts = instant(now)
    with Call(live):
        entry = live.store.get(lead_id)
        if entry is None:
            raise ValueError(f"lead {lead_id!r} was never routed")
        if entry.contacted_at is not None or entry.released_at is not None:
            return  # the SLA clock has stopped already
        if entry.manager is None:
            raise ValueError(f"lead {lead_id!r} is waiting: no manager holds it")
        at, note = _not_before_routing(entry, ts)
        live.store.put(replace(entry, contacted_at=at))
        live.store.log(at, "contact", lead_id, entry.manager, note)


def release(live: Live, lead_id: Any, outcome: Any, now: datetime | None) -> None:
    """Close a lead as ``outcome``: its manager's load drops, their counts move.

    Raises
    ------
    ValueError
        For an unknown outcome, a lead never routed, or one released before as
        another outcome.
    """
    lead_id = record_id(lead_id)
    if not isinstance(outcome, str) or outcome not in OUTCOMES:
        raise ValueError(
            f"outcome of lead {lead_id!r} must be one of {', '.join(OUTCOMES)}, got {outcome!r}"
        )
    ts = instant(now)
    with Call(live):
        entry = live.store.get(lead_id)
        if entry is None:
            raise ValueError(f"lead {lead_id!r} was never routed")
        if entry.released_at is not None:
            if entry.outcome != outcome:
                raise ValueError(
                    f"lead {lead_id!r} was already released as {entry.outcome!r}, not {outcome!r}"
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
