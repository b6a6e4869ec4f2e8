"""Each manager's accounts at an instant: load, availability, fair share, counts, price."""

from __future__ import annotations

from datetime import datetime

from fairlead.router._availability import advance_to
from fairlead.router._call import Call
from fairlead.router._inputs import instant
from fairlead.router._live import Live
from fairlead.router._records import ManagerStatus


def manager_status(live: Live, now: datetime | None) -> list[ManagerStatus]:
    """Each manager's load, availability and fair-share accounts at ``now``.

    A copy of the state is brought to ``now``, so asking changes nothing; the rows
    are built after the router's lock is released.
    """
    ts = instant(now)
    with Call(live, write=False):
        state = live.state.copy()
        on_shift, away = advance_to(live, ts, state)
    rows = []
    for j, mid in enumerate(live.team.ids):
        target = float(state.target[j])
        rows.append(
            ManagerStatus(
                manager_id=mid,
                open=float(state.open[j]),
                capacity=float(live.team.capacity[j]),
                available=bool(on_shift[j] and not away[j]),
                paused=bool(state.paused[j]),
                received=float(state.received[j]),
                target=target,
                deviation=float(state.received[j]) / target - 1.0 if target > 0 else 0.0,
                routed=int(state.routed[j]),
                reassigned_in=int(state.reassigned_in[j]),
                reassigned_out=int(state.reassigned_out[j]),
                won=int(state.won[j]),
                released=int(state.released[j]),
                missed=float(state.missed[j]),
                owed=float(state.owed[j]),
                price=float(state.prices[j]),
            )
        )
    return rows
