"""The online Router: each arriving lead to a manager in microseconds, state kept safe.

:class:`Router` holds the state and answers the public calls; the work of each call is
a function of the router's modules (routing one lead, the waiting queue, the SLA, a
lead's contact and release, availability and pauses, status, prices, the store).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import Executor
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import numpy as np

from fairlead.core import FloatArray
from fairlead.policy import Absence, Calendar
from fairlead.records import (
    InputError,
    Manager,
    Policy,
    coerce_policy,
    coerce_records,
    read_ids,
)
from fairlead.router._availability import add_absences, set_pause
from fairlead.router._inputs import (
    absence_list,
    coerce_catch_up,
    instant,
    is_store,
    optional_seconds,
    pause_reason,
    sla_seconds,
    store_path,
)
from fairlead.router._lifecycle import contact, release
from fairlead.router._live import Live
from fairlead.router._records import Decision, ManagerStatus, Outcome, Overdue
from fairlead.router._reprice import (
    WindowPrices,
    away_ids,
    current_prices,
    reprice,
    set_prices,
    solve_window,
)
from fairlead.router._routing import current_decision, route_lead
from fairlead.router._settings import settings_record, team_record
from fairlead.router._sla import overdue, reassign_overdue, transfer
from fairlead.router._state import CatchUp, RouterState
from fairlead.router._status import manager_status
from fairlead.router._store import MemoryStore, SqliteStore, Store
from fairlead.router._sync import resume
from fairlead.router._team import TeamTables
from fairlead.router._waiting import route_waiting, waiting_ids

__all__ = ["Decision", "ManagerStatus", "Overdue", "Router"]


class Router:
    """Route leads one at a time: best value net of price, within a fair band.

    Each lead goes to the eligible manager, within working hours, not absent or paused
    and with room, who maximizes ``value - price``: the prices come from the last batch
    solve over a window of leads (:meth:`reprice`, :meth:`fit`), so the online choice
    keeps the batch optimum's quality (primal-dual). A fair band around each manager's
    fair share (``Policy.balance_tolerance``) steers the choice when counts drift.
    Managers back from an absence make up their missed share as ``catch_up`` says.
    Leads not contacted within the SLA can be moved (:meth:`reassign_overdue`).

    With ``store`` (a file path) every call is one SQLite transaction (WAL journal):
    a restarted router resumes exactly, and several processes may share the file.
    Routing is idempotent by lead id and every method is safe to call from many threads.

    Parameters
    ----------
    managers : sequence of Manager or dict, or DataFrame
        The team; ``active_leads`` is each manager's load at the start, ``available=False``
        starts them paused (on a fresh store; a resumed store keeps its own loads).
    policy : Policy or dict, optional
        Qualification, hot-lead level, target shares, the balance band
        (``balance_tolerance``, ``None`` for none) and the default value's level factors.
    model : ConversionModel or callable, optional
        Value of a lead for each manager (as in :func:`fairlead.assign`); default: the
        lead's score times the policy's level factor.
    hours : WorkingHours, dict, or mapping of manager id to either, optional
        Working hours in each manager's time zone; default around the clock.
    absences : sequence of Absence or dict, optional
        Vacation, sick leave and other planned absences.
    catch_up : CatchUp or dict, optional
        What a manager back from an absence or pause gets of the share they missed
        (default: half of it, spread over five days).
    sla : timedelta or mapping of tier to timedelta, optional
        Time to first contact (:meth:`contact`) after which a lead is overdue; the clock
        starts when a manager gets the lead.
    share_half_life : timedelta or None, default 30 days
        Fair counts and shares fade with this half-life, so fairness is about the recent
        past; ``None`` counts from the start.
    max_hold : timedelta or None, default 3 hours
        How long a waiting lead may wait for a manager within their fair share when only
        managers above it could take it (see :meth:`route_waiting`); ``None``: not at all.
        A lead routed on arrival (:meth:`route`) is never held.
    store : str, Path or Store, optional
        SQLite file for decisions and state; default (``None``) in memory. A
        :class:`~fairlead.router.Store` object keeps them where it likes (``fairlead
        serve`` keeps them in its database, one store per team). An existing
        store is resumed after its books are checked (``docs/store.md``): its loads and
        counts win over the managers' ``active_leads``. A file that is not a fairlead
        router store is refused, as is a damaged one (:class:`DamagedStoreError`; see
        :func:`repair_store`). ``""`` and ``":memory:"`` are refused (they would keep
        nothing).
    durability : {"normal", "full"}, default "normal"
        ``normal`` survives a process crash; ``full`` also a power cut (an fsync per call).
    reconfigure : bool, default False
        A store remembers the settings it was created with (``policy``, ``catch_up``,
        ``sla``, ``share_half_life``, ``max_hold``); reopening it with others is a
        :class:`StoreError` naming each change, unless ``reconfigure=True``: then the
        new settings hold from now on and the change is written to the store's event
        log. A change of team (managers joining, leaving, or with other attributes)
        needs no flag; it is recorded in the event log too.

    Attributes
    ----------
    prices_ : ndarray (m,)
        Manager prices in value units (zero until :meth:`fit` or :meth:`reprice`).
    manager_ids_ : list of str

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> import fairlead as fl
    >>> managers = [
    ...     {"id": "anna", "level": "senior", "max_active_leads": 2},
    ...     {"id": "ben", "level": "junior", "max_active_leads": 2},
    ... ]
    >>> router = fl.Router(managers, policy={"balance_tolerance": None})
    >>> now = datetime(2026, 11, 2, 10, 0, tzinfo=timezone.utc)
    >>> router.route({"id": "l-1", "score": 0.8}, now).manager_id
    'anna'
    >>> router.route({"id": "l-1", "score": 0.8}, now).replayed
    True
    """

    def __init__(
        self,
        managers: Any,
        policy: Policy | Mapping[str, Any] | None = None,
        model: Any = None,
        *,
        hours: Any = None,
        absences: Sequence[Absence | Mapping[str, Any]] | None = (),
        catch_up: CatchUp | Mapping[str, Any] | None = None,
        sla: timedelta | Mapping[Any, timedelta] | None = None,
        share_half_life: timedelta | None = timedelta(days=30),
        max_hold: timedelta | None = timedelta(hours=3),
        store: str | Path | Store | None = None,
        durability: Literal["normal", "full"] = "normal",
        reconfigure: bool = False,
    ) -> None:
        self.managers = managers
        self.policy = policy
        self.model = model
        self.hours = hours
        self.absences = absences
        self.catch_up = catch_up
        self.sla = sla
        self.share_half_life = share_half_life
        self.max_hold = max_hold
        self.store = store
        self.durability = durability
        self.reconfigure = reconfigure

        if durability not in ("normal", "full"):
            raise InputError(
                f"durability must be 'normal' or 'full', got {durability!r}",
                field="durability",
                value=durability,
            )
        if not isinstance(reconfigure, bool):
            raise InputError(
                f"reconfigure must be True or False, got {reconfigure!r}",
                field="reconfigure",
                value=reconfigure,
            )
        path = store_path(store)
        records: list[Manager] = coerce_records(managers, Manager, "manager")
        rules = coerce_policy(policy)
        team = TeamTables(records, rules, model)
        calendar = Calendar(team.ids, hours, absence_list(absences))
        catch_up_rule = coerce_catch_up(catch_up)
        sla_by_tier = sla_seconds(sla)
        half_life = optional_seconds(share_half_life, "share_half_life")
        hold = optional_seconds(max_hold, "max_hold")
        ledger: Store
        if is_store(store):
            ledger = store  # a database of the caller's (fairlead serve keeps its own)
        else:
            ledger = MemoryStore() if path is None else SqliteStore(path, durability=durability)
        fresh = RouterState.empty(len(team.ids))
        fresh.open = np.array([mg.active_leads for mg in records], dtype=np.float64)
        fresh.paused = np.array([not mg.available for mg in records], dtype=np.float64)
        self._live = Live(
            team,
            calendar,
            ledger,
            fresh,
            catch_up=catch_up_rule,
            sla=sla_by_tier,
            half_life=half_life,
            max_hold=hold,
            tolerance=rules.balance_tolerance,
            store_arg=store,
            # what a file remembers, to compare when it is reopened (in memory: nothing)
            settings=None
            if not ledger.persistent
            else settings_record(rules, catch_up_rule, sla_by_tier, half_life, hold),
            team_record=None if not ledger.persistent else team_record(records),
        )
        try:
            resume(self._live, fresh, reconfigure=reconfigure)
        except BaseException:
            ledger.close()
            raise

    # -- learned attributes -------------------------------------------------------------

    @property
    def prices_(self) -> FloatArray:
        """Manager prices (value units) the choice is net of."""
        return current_prices(self._live)

    @property
    def manager_ids_(self) -> list[str]:
        """Manager ids, in the order of ``prices_``."""
        return list(self._live.team.ids)

    # -- pricing ------------------------------------------------------------------------

    def fit(
        self,
        leads: Any,
        *,
        now: datetime | None = None,
        values: Any = None,
        capacity: Any = None,
    ) -> Router:
        """Warm start: learn prices from past leads (a batch solve over them).

        Parameters are those of :meth:`reprice`. Returns ``self``.
        """
        self.reprice(leads, now=now, values=values, capacity=capacity)
        return self

    def reprice(
        self,
        leads: Any,
        *,
        now: datetime | None = None,
        values: Any = None,
        capacity: Any = None,
    ) -> FloatArray:
        """Refresh the prices from a window of leads: solve them as a batch, keep the duals.

        The solve runs outside the router's lock, so routing goes on meanwhile.

        Parameters
        ----------
        leads : sequence of Lead or dict, or DataFrame
            Recent (or historical) leads, representative of those to come.
        now : datetime, optional
            Managers away (absent or paused) at ``now`` are left out of the window
            and keep their price.
        values : array_like (n, m), optional
            Values of the window's leads; default from the router's model.
        capacity : array_like (m,), optional
            Leads each manager may take in the window. Default: their fair share of the
            window (the policy's band around it, or the share itself without a band).

        Returns
        -------
        ndarray (m,)
            The new prices.
        """
        return reprice(self._live, leads, now, values, capacity)

    def window_prices(
        self,
        leads: Any,
        *,
        away: Any = (),
        values: Any = None,
        capacity: Any = None,
        executor: Executor | None = None,
    ) -> WindowPrices:
        """The prices :meth:`reprice` would set, solved without reading or changing the router.

        Only the team's rules are used, so this may run in another thread while the
        router routes: a service solves a window in the background and then sets its
        prices with :meth:`set_prices`, in a short call.

        Parameters
        ----------
        leads : sequence of Lead or dict, or DataFrame
            As :meth:`reprice` takes them.
        away : iterable of str, default ()
            Managers left out of the window (they keep their price), e.g. those
            :meth:`away_at` names.
        values, capacity : optional
            As :meth:`reprice` takes them.
        executor : concurrent.futures.Executor, optional
            Where the window's batch is solved (default: in this thread). The solver
            holds Python's interpreter lock for most of its run, so in a thread it
            pauses the process's other threads (a service's requests) for that long;
            a ``ProcessPoolExecutor`` solves it beside them.

        Returns
        -------
        WindowPrices
        """
        left_out = set(read_ids(list(away), "away: manager id", field="away").tolist())
        unknown = sorted(left_out - set(self._live.team.ids))
        if unknown:
            raise InputError(
                f"away names {unknown[0]!r}, who is not on the team", field="away", value=unknown[0]
            )
        exclude = np.array([mid in left_out for mid in self._live.team.ids], dtype=np.bool_)
        return solve_window(self._live, leads, exclude, values, capacity, executor)

    def set_prices(self, prices: WindowPrices, *, now: datetime | None = None) -> FloatArray:
        """Set prices from :meth:`window_prices` (logged at ``now``); the prices after.

        Raises
        ------
        InputError
            For prices solved for another team (``field="prices"``).
        """
        return set_prices(self._live, prices, instant(now) if now is not None else None)

    def away_at(self, now: datetime) -> list[str]:
        """Managers absent or paused at ``now``."""
        return away_ids(self._live, now)

    # -- routing ------------------------------------------------------------------------

    def route(self, lead: Any, now: datetime | None = None, *, value: Any = None) -> Decision:
        """Route one lead now; the same lead id again returns its decision, unchanged.

        Parameters
        ----------
        lead : Lead or dict
        now : datetime, optional
            Default the current time; a naive datetime is read as UTC. Between
            1900-01-01 and 9999-01-01 (UTC).
        value : array_like (m,), optional
            The lead's value for each manager (real numbers, finite), instead of the
            router's model.

        Returns
        -------
        Decision
            ``manager_id`` is None when nobody eligible is available with room: the
            lead is kept waiting (:meth:`waiting`, :meth:`route_waiting`).
        """
        return route_lead(self._live, lead, now, value)

    def route_waiting(self, now: datetime | None = None) -> list[Decision]:
        """Place the leads that found nobody; returns the ones now routed.

        The waiting leads are solved as one batch: as many as fit within the managers'
        fair band and room, with the best total value net of price, then the rest within
        room alone. A lead that waited belongs to the whole team's share: managers
        qualified for it and not away (absent or paused) count in the band, on shift or
        not. So with ``max_hold``, a lead only managers above their share could take
        keeps waiting up to ``max_hold`` (from the first time anyone could take it) for
        one within it, and the first shift of the morning does not take the whole
        night's backlog. Leads whose workload is not 1 for every manager go one at a
        time afterwards, oldest first.
        """
        return route_waiting(self._live, now)

    def waiting(self) -> list[str]:
        """Ids of the leads nobody could take yet, oldest first."""
        return waiting_ids(self._live)

    def decision(self, lead_id: str) -> Decision | None:
        """The current decision for ``lead_id``, or ``None`` if it was never routed.

        ``lead_id`` is read as :meth:`route` reads a lead's ``id`` (``123`` is ``'123'``).
        """
        return current_decision(self._live, lead_id)

    # -- lead life cycle ----------------------------------------------------------------

    def contact(self, lead_id: str, now: datetime | None = None) -> None:
        """Record the first contact with a lead: its SLA clock stops.

        Contacting again, or after the lead's release, does nothing. A time before the
        lead was routed (or reassigned) is recorded as that time (see :meth:`release`).
        """
        contact(self._live, lead_id, now)

    def release(self, lead_id: str, outcome: Outcome, now: datetime | None = None) -> None:
        """A lead is won, lost or closed: its manager's slot frees up.

        Releasing again with the same outcome does nothing; with another, it is an error.
        ``lead_id`` is read as :meth:`route` reads a lead's ``id``. A time before the
        lead was routed (its arrival, or when its current manager got it) is recorded
        as that time, the given one noted in the event log: clocks of threads,
        processes and CRMs disagree, and reports arrive late.
        """
        release(self._live, lead_id, outcome, now)

    def overdue(self, now: datetime | None = None) -> list[Overdue]:
        """Leads not contacted within the SLA, most overdue first."""
        return overdue(self._live, now)

    def reassign_overdue(self, now: datetime | None = None) -> list[Decision]:
        """Move each overdue lead to the next best available manager, saying why.

        The manager who lost the lead forfeits its fair share (their count and share
        both drop by what the lead still counts after decay); the new one gets it on
        top of theirs. A lead nobody else can take stays, with a ``kept`` decision.
        Leads are taken most overdue first, each seeing the loads the earlier ones left.
        """
        return reassign_overdue(self._live, now)

    def transfer(
        self, lead_id: str, manager_id: str, now: datetime | None = None, *, by: str = "hand"
    ) -> Decision:
        """A person gave a lead to ``manager_id`` (in the CRM): the books follow.

        The lead's load moves to that manager, whatever their room (the lead is theirs
        in fact), and its fair-share count moves as in a reassignment: the manager who
        lost it forfeits what it still counts. ``by`` says who moved it, for the reason
        and the event log. A closed lead, or one the manager holds already, is left as
        it is (the decision returned is the current one, ``replayed``).

        Raises
        ------
        fairlead.InputError
            For a lead never routed or still waiting (``field="lead_id"``), or a
            manager not on the team (``field="manager_id"``).
        """
        return transfer(self._live, lead_id, manager_id, now, by)

    # -- availability -------------------------------------------------------------------

    def pause(self, manager_id: str, now: datetime | None = None, reason: str = "paused") -> None:
        """Stop routing to a manager until :meth:`resume` (counts as an absence).

        ``reason`` (text) goes to the event log.
        """
        set_pause(self._live, manager_id, now, True, pause_reason(reason))

    def resume(self, manager_id: str, now: datetime | None = None) -> None:
        """Route to a paused manager again (catch-up applies from now)."""
        set_pause(self._live, manager_id, now, False, "resumed")

    def add_absences(self, absences: Sequence[Absence | Mapping[str, Any]]) -> None:
        """Add vacations or sick leave to the calendar (not stored: pass them at start-up)."""
        add_absences(self._live, absences)

    def status(self, now: datetime | None = None) -> list[ManagerStatus]:
        """Each manager's load, availability and fair-share accounts at ``now``."""
        return manager_status(self._live, now)

    def close(self) -> None:
        """Close the store; the router refuses calls afterwards."""
        live = self._live
        with live.lock:
            live.closed = True
            live.store.close()

    def __enter__(self) -> Router:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        where = "memory" if self.store is None else repr(str(self._live.store_arg))
        return f"Router({len(self._live.team.ids)} managers, store={where})"

    # -- introspection: the store and the state, read in place --------------------------

    @property
    def _store(self) -> Store:
        """The store of decisions, events and state."""
        return self._live.store

    @property
    def _state(self) -> RouterState:
        """The live state (replaced when reloaded from the store)."""
        return self._live.state
