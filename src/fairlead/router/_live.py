"""What one router holds: its settings, team tables, calendar, store and live state."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np

from fairlead.core import BoolArray
from fairlead.policy import Calendar
from fairlead.records import Tier
from fairlead.router._state import CatchUp, RouterState
from fairlead.router._store import Store
from fairlead.router._team import TeamTables


class Live:
    """The parts of one router that the routing functions read and change.

    A plain holder: the functions of the router's modules take it as their first
    argument, so the algorithm lives in functions and the state in one place. Slots
    keep the attribute reads of the per-route path cheap.

    Parameters
    ----------
    team : TeamTables
        Per-manager tables (eligibility, value, workload, capacity, share weights).
    calendar : Calendar
        Working hours and absences of the team.
    store : Store
        Decisions, the event log and the saved state.
    state : RouterState
        The state to start from (before resuming a stored one).
    catch_up : CatchUp
    sla : dict of Tier to float, or None
        Time to first contact per tier, in seconds.
    half_life : float or None
        Half-life of fair counts and shares, in seconds.
    max_hold : float or None
        Longest hold of a waiting lead for a manager within their share, in seconds.
    tolerance : float or None
        The policy's balance tolerance (``None``: no fair band).
    store_arg : str, Path, Store or None
        The router's ``store`` argument as given, for messages.
    settings : dict
        The rules the state is built under, as the store keeps them (policy,
        catch-up, SLA, half-life, longest hold); empty in memory.
    team_record : dict
        Each manager's attributes by id, as the store keeps them; empty in memory.

    Attributes
    ----------
    index : dict of str to int
        Position of each manager id.
    lock : RLock
        Held for each public call of the router (see :class:`~fairlead.router._call.Call`).
    closed : bool
        Whether the router was closed.
    version : int
        Version of the state last loaded from or saved to the store (-1: reload).
    generation : int
        The store's setup generation when this router opened it: another router
        that changes the team or settings moves it on.
    cache : tuple of ndarray
        (on shift, absent) of each manager, valid over ``cache_span``.
    cache_span : tuple of float
        The span of time ``[start, end)`` over which ``cache`` holds.
    """

    __slots__ = (
        "cache",
        "cache_span",
        "calendar",
        "catch_up",
        "closed",
        "generation",
        "half_life",
        "index",
        "lock",
        "max_hold",
        "settings",
        "sla",
        "state",
        "store",
        "store_arg",
        "team",
        "team_record",
        "tolerance",
        "version",
    )

    def __init__(
        self,
        team: TeamTables,
        calendar: Calendar,
        store: Store,
        state: RouterState,
        *,
        catch_up: CatchUp,
        sla: dict[Tier, float] | None,
        half_life: float | None,
        max_hold: float | None,
        tolerance: float | None,
        store_arg: str | Path | Store | None,
        settings: dict[str, Any] | None = None,
        team_record: dict[str, Any] | None = None,
    ) -> None:
        self.team = team
        self.calendar = calendar
        self.store = store
        self.state = state
        self.catch_up = catch_up
        self.sla = sla
        self.half_life = half_life
        self.max_hold = max_hold
        self.tolerance = tolerance
        self.store_arg = store_arg
        self.settings = settings or {}
        self.team_record = team_record or {}
        self.generation = 0
        self.index = {mid: j for j, mid in enumerate(team.ids)}
        self.lock = threading.RLock()
        self.closed = False
        self.version = 0
        self.cache_span = (0.0, 0.0)
        self.cache: tuple[BoolArray, BoolArray] = (np.ones(0, bool), np.ones(0, bool))
