"""The waiting queue: leads nobody could take, placed together when managers free up."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import numpy as np

from fairlead.core import BoolArray
from fairlead.records import Lead
from fairlead.router._availability import advance_to
from fairlead.router._call import Call
from fairlead.router._inputs import instant
from fairlead.router._live import Live
from fairlead.router._look import Look
from fairlead.router._pick import band_bounds
from fairlead.router._queue import place_queue
from fairlead.router._reasons import net_text
from fairlead.router._records import Decision
from fairlead.router._routing import place, route_one
from fairlead.router._store import Entry
from fairlead.router._sync import save


def route_waiting(live: Live, now: datetime | None) -> list[Decision]:
    """Place the waiting leads at ``now`` (one atomic call); returns those now routed."""
    ts = instant(now)
    with Call(live, atomic=True):
        entries = live.store.waiting()
        on_shift, away = advance_to(live, ts)
        out = _route_queue(live, entries, ts, on_shift, away) if entries else []
        save(live)
        return out


def waiting_ids(live: Live) -> list[str]:
    """Ids of the leads nobody could take yet, oldest first."""
    with Call(live, write=False):
        return [e.lead_id for e in live.store.waiting()]


def _route_queue(
    live: Live, entries: list[Entry], ts: float, on_shift: BoolArray, away: BoolArray
) -> list[Decision]:
    """Unit-workload leads as one batch, then the others one at a time, oldest first."""
    team = live.team
    leads = [e.lead for e in entries]
    unit = [bool(np.all(team.workload(lead) == 1.0)) for lead in leads]
    batch = [i for i, ok in enumerate(unit) if ok]
    out: list[Decision] = []
    if batch:
        out += _place_batch(
            live, [entries[i] for i in batch], [leads[i] for i in batch], ts, on_shift, away
        )
    for i in (i for i, ok in enumerate(unit) if not ok):
        decision = route_one(live, leads[i], ts, entries[i].value_row, entries[i], on_shift, away)
        if decision.manager_id is not None:
            out.append(decision)
    return out


def _place_batch(
    live: Live,
    entries: list[Entry],
    leads: list[Lead],
    ts: float,
    on_shift: BoolArray,
    away: BoolArray,
) -> list[Decision]:
    """The unit-workload waiting leads as one batch (see :meth:`Router.route_waiting`)."""
    team, state = live.team, live.state
    tiers = [team.tier(lead) for lead in leads]
    rows = [e.value_row for e in entries]
    pairs = list(zip(leads, tiers, strict=True))
    eligible = np.array([team.eligible(lead, tier, strict=False) for lead, tier in pairs])
    everyone = np.ones(len(team.ids), dtype=np.bool_)
    eligible &= np.array([everyone if r is None else np.isfinite(r) for r in rows])
    clean = [None if r is None else np.where(np.isfinite(r), r, 0.0) for r in rows]
    value = team.values(leads, tiers, clean)
    room = team.capacity - state.open
    free = room >= 1.0 - 1e-9
    candidates = eligible & (on_shift & ~away & free)[None, :]
    # A lead that waited is the whole team's: managers not away count in its share.
    sharing = eligible & (~away & free)[None, :]
    shares = np.where(sharing, team.weights[None, :], 0.0)
    totals = shares.sum(axis=1)
    shares /= np.where(totals > 0, totals, 1.0)[:, None]
    band_low = band_high = None
    if live.tolerance is not None:
        target = state.target + shares.sum(axis=0)
        band_low, band_high = band_bounds(state.received, target, live.tolerance)
    net = value - state.prices
    placed = place_queue(net, candidates, room, band_low, band_high)
    missing = eligible & (on_shift & away)[None, :]
    out = []
    count = int((placed.manager >= 0).sum())
    for i, entry in enumerate(entries):
        j = int(placed.manager[i])
        offered = entry.offered_at
        if offered is None and candidates[i].any():
            offered = ts
        hold = live.max_hold is not None and bool(placed.relaxed[i])
        if hold and offered is not None and ts - offered < float(live.max_hold or 0.0):
            j = -1
        if j < 0:
            if offered != entry.offered_at:
                live.store.put(replace(entry, offered_at=offered))
            continue
        state.target += shares[i]
        if missing[i].any():
            wm = np.where(missing[i], team.weights, 0.0)
            state.missed += wm / (totals[i] + wm + 1e-300)
        how = "band relaxed: nobody within their share could take it"
        if not placed.relaxed[i]:
            how = "within the fair band" if band_high is not None else "by room"
        seen = Look(tiers[i], eligible[i], value[i], team.workload(leads[i]), free)
        reason = (
            f"routed from the waiting queue ({count} lead(s) placed together for the "
            f"best total value net of price, {how}): "
            f"{net_text(live, j, seen, net[i])}"
        )
        out.append(place(live, leads[i], j, ts, seen, entry.value_row, entry, reason, None))
    return out
