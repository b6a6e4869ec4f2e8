"""Who can take leads at an instant: working hours, absences, pauses; the state brought there."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from fairlead.core import BoolArray
from fairlead.policy import Absence
from fairlead.router._call import Call
from fairlead.router._inputs import absence_list, instant, team_index
from fairlead.router._live import Live
from fairlead.router._state import RouterState, advance
from fairlead.router._sync import save


def availability(live: Live, ts: float) -> tuple[BoolArray, BoolArray]:
    """(on shift, absent) at ``ts``, cached until the next minute or absence boundary."""
    start, end = live.cache_span
    if not start <= ts < end:
        live.cache = (live.calendar.on_shift(ts), live.calendar.absent(ts))
        live.cache_span = live.calendar.steady_span(ts)
    return live.cache


def advance_to(
    live: Live, ts: float, state: RouterState | None = None
) -> tuple[BoolArray, BoolArray]:
    """Bring the state (or a copy of it) to ``ts``: decay, catch-up, returns.

    Parameters
    ----------
    live : Live
        The router's parts.
    ts : float
        The instant (timestamp).
    state : RouterState, optional
        A copy to bring there instead of ``live.state``.

    Returns
    -------
    on_shift, away : ndarray of bool (m,)
        Within working hours; absent or paused.
    """
    state = live.state if state is None else state
    on_shift, absent = availability(live, ts)
    away = absent | (state.paused > 0)
    advance(
        state,
        ts,
        away,
        weights=live.team.weights,
        half_life=live.half_life,
        catch_up=live.catch_up,
    )
    return on_shift, away


def away_at(live: Live, ts: float) -> BoolArray:
    """Managers absent or paused at ``ts`` (the state is not moved)."""
    _, absent = availability(live, ts)
    return absent | (live.state.paused > 0)


def set_pause(live: Live, who: Any, now: datetime | None, paused: bool, reason: str) -> None:
    """Pause or resume manager ``who`` at ``now``, logging ``reason``.

    The state is brought to ``now`` before the change, so the time up to it counts
    as it was, and again after it, so that the pause starts (or, with its catch-up,
    ends) at ``now``.

    Raises
    ------
    InputError
        For a manager not on the team (``field="manager_id"``).
    """
    j = team_index(who, live.index, live.team.ids)
    ts = instant(now)
    with Call(live):
        advance_to(live, ts)
        live.state.paused[j] = float(paused)
        advance_to(live, ts)
        live.store.log(ts, "pause" if paused else "resume", None, live.team.ids[j], reason)
        save(live)


def add_absences(live: Live, absences: Sequence[Absence | Mapping[str, Any]]) -> None:
    """Add absences to the calendar and drop the cached availability."""
    with live.lock:
        live.calendar.add_absences(absence_list(absences))
        live.cache_span = (0.0, 0.0)
