"""The online Router: each arriving lead to a manager in microseconds, state kept safe."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import numpy as np

from fairlead.core import BoolArray, FloatArray
from fairlead.policy import Absence, Calendar
from fairlead.records import Lead, Manager, Policy, Tier, coerce_policy, coerce_records
from fairlead.router._inputs import (
    absence_list,
    coerce_catch_up,
    coerce_lead,
    instant,
    manager_id,
    optional_seconds,
    pause_reason,
    record_id,
    sla_seconds,
    store_path,
    value_row,
)
from fairlead.router._pick import Band, Pick, band_bounds, pick
from fairlead.router._pricing import window_prices
from fairlead.router._queue import place_queue
from fairlead.router._records import (
    OUTCOMES,
    Decision,
    ManagerStatus,
    Outcome,
    Overdue,
    decision_of,
    nobody_reason,
    utc,
)
from fairlead.router._state import CatchUp, RouterState, accrue, advance
from fairlead.router._store import (
    Entry,
    MemoryStore,
    SqliteStore,
    Store,
    dumps_ids,
    loads_ids,
)
from fairlead.router._team import TeamTables

__all__ = ["Decision", "ManagerStatus", "Overdue", "Router"]


@dataclass(frozen=True)
class _Look:
    """What the router sees of one lead now."""

    tier: Tier
    eligible: BoolArray
    value: FloatArray
    work: FloatArray
    room: BoolArray


class _Call:
    """One public call of a router: its lock, one store transaction, the state in step.

    If the call fails, nothing of it stays: the store rolls back, and the state is
    reloaded from it at the next call (SQLite) or restored (in memory, for calls that
    change several leads). Calls that are not ``atomic`` take no snapshot: they do
    everything that can fail (validation, eligibility, the model's values) before they
    change the state, so that a single route does not pay for a copy.
    A class rather than a generator: it runs on every route.
    """

    __slots__ = ("atomic", "router", "snapshot", "transaction", "write")

    def __init__(self, router: Router, *, write: bool, atomic: bool) -> None:
        self.router, self.write, self.atomic = router, write, atomic
        self.snapshot: RouterState | None = None
        self.transaction: AbstractContextManager[int | None] | None = None

    def __enter__(self) -> None:
        router = self.router
        router._lock.acquire()
        try:
            if router._closed:
                raise ValueError("the router is closed")
            if self.atomic and not router._store.persistent:
                self.snapshot = router._state.copy()
            self.transaction = router._store.transaction(write=self.write)
            version = self.transaction.__enter__()
            try:
                router._sync(version)
            except BaseException as exc:
                self.transaction.__exit__(type(exc), exc, exc.__traceback__)
                raise
        except BaseException:
            router._lock.release()
            raise

    def __exit__(self, kind: Any, exc: Any, trace: Any) -> None:
        router = self.router
        try:
            assert self.transaction is not None
            self.transaction.__exit__(kind, exc, trace)
        except BaseException:
            self._undo()
            raise
        else:
            if kind is not None:
                self._undo()
        finally:
            router._lock.release()

    def _undo(self) -> None:
        router = self.router
        if router._store.persistent:
            router._version = -1  # reload the committed state at the next call
        elif self.snapshot is not None:
            router._state = self.snapshot


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
    store : str or Path, optional
        SQLite file for decisions and state; default (``None``) in memory. An existing
        file is resumed: its loads and counts win over the managers' ``active_leads``.
        ``""`` and ``":memory:"`` are refused (they would keep nothing).
    durability : {"normal", "full"}, default "normal"
        ``normal`` survives a process crash; ``full`` also a power cut (an fsync per call).

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
        store: str | Path | None = None,
        durability: Literal["normal", "full"] = "normal",
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

        if durability not in ("normal", "full"):
            raise ValueError(f"durability must be 'normal' or 'full', got {durability!r}")
        path = store_path(store)
        records: list[Manager] = coerce_records(managers, Manager, "manager")
        rules = coerce_policy(policy)
        self._team = TeamTables(records, rules, model)
        self._calendar = Calendar(self._team.ids, hours, absence_list(absences))
        self._catch_up = coerce_catch_up(catch_up)
        self._sla = sla_seconds(sla)
        self._half_life = optional_seconds(share_half_life, "share_half_life")
        self._max_hold = optional_seconds(max_hold, "max_hold")
        self._tolerance = rules.balance_tolerance
        self._index = {mid: j for j, mid in enumerate(self._team.ids)}
        self._lock = threading.RLock()
        self._closed = False
        self._cache_span = (0.0, 0.0)
        self._cache: tuple[BoolArray, BoolArray] = (np.ones(0, bool), np.ones(0, bool))
        self._store: Store = (
            MemoryStore() if path is None else SqliteStore(path, durability=durability)
        )
        self._version = 0
        fresh = RouterState.empty(len(self._team.ids))
        fresh.open = np.array([mg.active_leads for mg in records], dtype=np.float64)
        fresh.paused = np.array([not mg.available for mg in records], dtype=np.float64)
        self._state = fresh
        try:
            self._resume(fresh)
        except BaseException:
            self._store.close()
            raise

    def _resume(self, fresh: RouterState) -> None:
        """Start from the stored state, if any (remapped to this team), else ``fresh``."""
        with self._lock, self._store.transaction() as version:
            stored = self._store.meta("manager_ids")
            if version is None:
                self._store.set_meta("manager_ids", dumps_ids(self._team.ids))
                self._save()
                return
            loaded = self._store.load_state()
            assert loaded is not None
            self._version, data = loaded
            try:
                old_ids = loads_ids(stored) if stored is not None else self._team.ids
                state = RouterState.from_bytes(data, len(old_ids))
            except ValueError as exc:
                raise self._store.damaged(exc) from None
            if old_ids != self._team.ids:
                state = state.remap(old_ids, self._team.ids)
                newcomers = [j for j, mid in enumerate(self._team.ids) if mid not in old_ids]
                state.open[newcomers] = fresh.open[newcomers]
                state.paused[newcomers] = fresh.paused[newcomers]
                self._remap_value_rows(old_ids)
                self._state = state
                self._store.set_meta("manager_ids", dumps_ids(self._team.ids))
                self._save()
            self._state = state

    def _remap_value_rows(self, old_ids: list[str]) -> None:
        """Caller-given value rows of leads not released, by manager id (NaN: unknown)."""
        where = {mid: j for j, mid in enumerate(old_ids)}
        for entry in self._store.pending():
            if entry.value_row is None:
                continue
            row = np.full(len(self._team.ids), np.nan)
            for k, mid in enumerate(self._team.ids):
                if mid in where:
                    row[k] = entry.value_row[where[mid]]
            self._store.put(replace(entry, value_row=row))

    # -- learned attributes -------------------------------------------------------------

    @property
    def prices_(self) -> FloatArray:
        """Manager prices (value units) the choice is net of."""
        with self._call(write=False):
            return self._state.prices.copy()

    @property
    def manager_ids_(self) -> list[str]:
        """Manager ids, in the order of ``prices_``."""
        return list(self._team.ids)

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
        records: list[Lead] = coerce_records(leads, Lead, "lead")
        ts = instant(now) if now is not None else None
        away = None
        if ts is not None:
            with self._call(write=False):
                _, absent = self._availability(ts)
                away = absent | (self._state.paused > 0)
        priced = window_prices(self._team, records, values=values, capacity=capacity, exclude=away)
        with self._call():
            keep = np.isnan(priced.prices)
            self._state.prices = np.where(keep, self._state.prices, priced.prices)
            self._state.unassigned_price = priced.unassigned_price
            at = ts if ts is not None else instant(None)
            self._store.log(at, "reprice", None, None, f"{len(records)} leads")
            self._save()
            return self._state.prices.copy()

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
        record = coerce_lead(lead)
        ts = instant(now)
        row = None if value is None else value_row(value, self._team.ids, record.id)
        with self._call():
            existing = self._store.get(record.id)
            if existing is not None and existing.manager is not None:
                return decision_of(existing, replayed=True)
            if existing is not None and existing.released_at is not None:
                raise ValueError(
                    f"lead {record.id!r} was closed ({existing.outcome}) before routing"
                )
            # Everything that can fail (an unknown product, the model) before the state
            # moves: this call keeps no snapshot to restore (see _Call).
            seen = self._look(record, row, strict=existing is None)
            on_shift, away = self._advance(ts)
            return self._route_one(record, ts, row, existing, on_shift, away, seen)

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
        ts = instant(now)
        with self._call(atomic=True):
            entries = self._store.waiting()
            on_shift, away = self._advance(ts)
            out = self._route_queue(entries, ts, on_shift, away) if entries else []
            self._save()
            return out

    def waiting(self) -> list[str]:
        """Ids of the leads nobody could take yet, oldest first."""
        with self._call(write=False):
            return [e.lead_id for e in self._store.waiting()]

    def decision(self, lead_id: str) -> Decision | None:
        """The current decision for ``lead_id``, or ``None`` if it was never routed.

        ``lead_id`` is read as :meth:`route` reads a lead's ``id`` (``123`` is ``'123'``).
        """
        lead_id = record_id(lead_id)
        with self._call(write=False):
            entry = self._store.get(lead_id)
            return None if entry is None else decision_of(entry, replayed=False)

    def _look(self, lead: Lead, row: FloatArray | None, *, strict: bool = True) -> _Look:
        """Eligibility, value, workload and room of ``lead``.

        A stored value row holds NaN for managers who joined after it was given: they
        are not eligible for that lead.
        """
        team = self._team
        tier = team.tier(lead)
        eligible = team.eligible(lead, tier, strict=strict)
        if row is not None and not np.isfinite(row).all():
            eligible = eligible & np.isfinite(row)
            row = np.where(np.isfinite(row), row, 0.0)
        work = team.workload(lead)
        room = self._state.open + work <= team.capacity + 1e-9
        return _Look(tier, eligible, team.value(lead, tier, row), work, room)

    def _route_one(
        self,
        lead: Lead,
        ts: float,
        row: FloatArray | None,
        existing: Entry | None,
        on_shift: BoolArray,
        away: BoolArray,
        seen: _Look | None = None,
    ) -> Decision:
        state = self._state
        if seen is None:
            seen = self._look(lead, row, strict=existing is None)
        candidates = seen.eligible & on_shift & ~away & seen.room
        if not np.count_nonzero(candidates):
            reason = nobody_reason(seen.eligible, on_shift, away, seen.room)
            return self._wait(lead, ts, row, existing, reason)
        accrue(state, self._team.weights, candidates, seen.eligible & on_shift & away)
        net = seen.value - state.prices
        choice = pick(net, candidates, state.received, state.target, self._tolerance)
        runner_up = None if choice.runner_up < 0 else self._team.ids[choice.runner_up]
        reason = self._why(choice, seen, net)
        return self._place(lead, choice.manager, ts, seen, row, existing, reason, runner_up)

    def _wait(
        self, lead: Lead, ts: float, row: FloatArray | None, existing: Entry | None, reason: str
    ) -> Decision:
        """Record a lead nobody can take now; it keeps its arrival time and place in line."""
        state = self._state
        entry = Entry(
            lead_id=lead.id, lead_json=lead.model_dump_json(), manager=None, kind="waiting",
            value=0.0, price=0.0, reason=reason,
            routed_at=existing.routed_at if existing is not None else ts,
            seq=existing.seq if existing is not None else state.decisions, value_row=row,
            offered_at=existing.offered_at if existing is not None else None,
        )  # fmt: skip
        if existing is None:
            state.decisions += 1
        self._store.put(entry)
        self._save()
        return decision_of(entry, replayed=False)

    def _place(
        self,
        lead: Lead,
        j: int,
        ts: float,
        seen: _Look,
        row: FloatArray | None,
        existing: Entry | None,
        reason: str,
        runner_up: str | None,
    ) -> Decision:
        """Give ``lead`` to manager ``j``: loads, fair count, the entry, the state."""
        team, state = self._team, self._state
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
            due_at=self._due(seen.tier, ts), value_row=row, runner_up=runner_up,
        )  # fmt: skip
        self._store.put(entry)
        self._save()
        return decision_of(entry, replayed=False)

    def _route_queue(
        self, entries: list[Entry], ts: float, on_shift: BoolArray, away: BoolArray
    ) -> list[Decision]:
        team = self._team
        leads = [e.lead for e in entries]
        unit = [bool(np.all(team.workload(lead) == 1.0)) for lead in leads]
        batch = [i for i, ok in enumerate(unit) if ok]
        out: list[Decision] = []
        if batch:
            out += self._place_batch(
                [entries[i] for i in batch], [leads[i] for i in batch], ts, on_shift, away
            )
        for i in (i for i, ok in enumerate(unit) if not ok):
            decision = self._route_one(
                leads[i], ts, entries[i].value_row, entries[i], on_shift, away
            )
            if decision.manager_id is not None:
                out.append(decision)
        return out

    def _place_batch(
        self,
        entries: list[Entry],
        leads: list[Lead],
        ts: float,
        on_shift: BoolArray,
        away: BoolArray,
    ) -> list[Decision]:
        """The unit-workload waiting leads as one batch (see :meth:`route_waiting`)."""
        team, state = self._team, self._state
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
        if self._tolerance is not None:
            target = state.target + shares.sum(axis=0)
            band_low, band_high = band_bounds(state.received, target, self._tolerance)
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
            hold = self._max_hold is not None and bool(placed.relaxed[i])
            if hold and offered is not None and ts - offered < float(self._max_hold or 0.0):
                j = -1
            if j < 0:
                if offered != entry.offered_at:
                    self._store.put(replace(entry, offered_at=offered))
                continue
            state.target += shares[i]
            if missing[i].any():
                wm = np.where(missing[i], team.weights, 0.0)
                state.missed += wm / (totals[i] + wm + 1e-300)
            how = "band relaxed: nobody within their share could take it"
            if not placed.relaxed[i]:
                how = "within the fair band" if band_high is not None else "by room"
            seen = _Look(tiers[i], eligible[i], value[i], team.workload(leads[i]), free)
            reason = (
                f"routed from the waiting queue ({count} lead(s) placed together for the "
                f"best total value net of price, {how}): "
                f"{self._net_text(j, seen, net[i])}"
            )
            out.append(self._place(leads[i], j, ts, seen, entry.value_row, entry, reason, None))
        return out

    def _why(self, choice: Pick, seen: _Look, net: FloatArray) -> str:
        ids, j = self._team.ids, choice.manager
        pool = {
            Band.OFF: f"{choice.pool} manager(s) available with room",
            Band.WITHIN: f"{choice.pool} manager(s) within their fair share",
            Band.BEHIND: f"{choice.pool} manager(s) behind their fair share",
            Band.RELAXED: f"{choice.pool} manager(s) with room, all above their fair share",
        }[choice.band]
        text = f"best value net of price among {pool}: {self._net_text(j, seen, net)}"
        if choice.runner_up >= 0:
            k = choice.runner_up
            text += f"; runner-up {ids[k]!r} {net[k]:.4g}"
        return text

    def _net_text(self, j: int, seen: _Look, net: FloatArray) -> str:
        """``value - price = net`` for manager ``j``, naming a soft-rule penalty."""
        penalty = float(self._team.penalty_by_tier[list(Tier).index(seen.tier)][j])
        after = f" (after the hot-lead penalty {penalty:.4g})" if penalty else ""
        return f"{seen.value[j]:.4g}{after} - price {self._state.prices[j]:.4g} = {net[j]:.4g}"

    # -- lead life cycle ----------------------------------------------------------------

    def contact(self, lead_id: str, now: datetime | None = None) -> None:
        """Record the first contact with a lead: its SLA clock stops.

        Contacting again, or after the lead's release, does nothing. A time before the
        lead was routed (or reassigned) is recorded as that time (see :meth:`release`).
        """
        lead_id = record_id(lead_id)
        ts = instant(now)
        with self._call():
            entry = self._store.get(lead_id)
            if entry is None:
                raise ValueError(f"lead {lead_id!r} was never routed")
            if entry.contacted_at is not None or entry.released_at is not None:
                return  # the SLA clock has stopped already
            if entry.manager is None:
                raise ValueError(f"lead {lead_id!r} is waiting: no manager holds it")
            at, note = self._not_before_routing(entry, ts)
            self._store.put(replace(entry, contacted_at=at))
            self._store.log(at, "contact", lead_id, entry.manager, note)

    def release(self, lead_id: str, outcome: Outcome, now: datetime | None = None) -> None:
        """A lead is won, lost or closed: its manager's slot frees up.

        Releasing again with the same outcome does nothing; with another, it is an error.
        ``lead_id`` is read as :meth:`route` reads a lead's ``id``. A time before the
        lead was routed (its arrival, or when its current manager got it) is recorded
        as that time, the given one noted in the event log: clocks of threads,
        processes and CRMs disagree, and reports arrive late.
        """
        lead_id = record_id(lead_id)
        if not isinstance(outcome, str) or outcome not in OUTCOMES:
            raise ValueError(
                f"outcome of lead {lead_id!r} must be one of {', '.join(OUTCOMES)}, got {outcome!r}"
            )
        ts = instant(now)
        with self._call():
            entry = self._store.get(lead_id)
            if entry is None:
                raise ValueError(f"lead {lead_id!r} was never routed")
            if entry.released_at is not None:
                if entry.outcome != outcome:
                    raise ValueError(
                        f"lead {lead_id!r} was already released as {entry.outcome!r}, "
                        f"not {outcome!r}"
                    )
                return
            j = self._index.get(entry.manager) if entry.manager is not None else None
            if j is not None:  # None: waiting, or its manager has left the team
                work = self._team.workload(entry.lead)[j]
                self._state.open[j] = max(self._state.open[j] - work, 0.0)
                self._state.released[j] += 1.0
                self._state.won[j] += outcome == "won"
            at, note = self._not_before_routing(entry, ts)
            self._store.put(replace(entry, released_at=at, outcome=outcome))
            detail = f"{outcome} ({note})" if note else outcome
            self._store.log(at, "release", lead_id, entry.manager, detail)
            self._save()

    @staticmethod
    def _not_before_routing(entry: Entry, ts: float) -> tuple[float, str]:
        """When a contact or release at ``ts`` happened: not before the lead was routed.

        Returns the time to record and, when the given time was earlier, a note for
        the event log naming it.
        """
        if ts >= entry.routed_at:
            return ts, ""
        return entry.routed_at, f"dated {utc(ts):%Y-%m-%d %H:%M:%S} UTC, before the lead was routed"

    def overdue(self, now: datetime | None = None) -> list[Overdue]:
        """Leads not contacted within the SLA, most overdue first."""
        ts = instant(now)
        with self._call(write=False):
            return [
                Overdue(
                    lead_id=e.lead_id,
                    manager_id=str(e.manager),
                    routed_at=utc(e.routed_at),
                    due_at=utc(float(e.due_at or 0.0)),
                    late_by=timedelta(seconds=ts - float(e.due_at or 0.0)),
                )
                for e in self._store.overdue(ts)
            ]

    def reassign_overdue(self, now: datetime | None = None) -> list[Decision]:
        """Move each overdue lead to the next best available manager, saying why.

        The manager who lost the lead forfeits its fair share (their count and share
        both drop by what the lead still counts after decay); the new one gets it on
        top of theirs. A lead nobody else can take stays, with a ``kept`` decision.
        Leads are taken most overdue first, each seeing the loads the earlier ones left.
        """
        ts = instant(now)
        with self._call(atomic=True):
            on_shift, away = self._advance(ts)
            out = [self._reassign(e, ts, on_shift, away) for e in self._store.overdue(ts)]
            self._save()
            return out

    def _reassign(self, entry: Entry, ts: float, on_shift: BoolArray, away: BoolArray) -> Decision:
        team, state = self._team, self._state
        lead, holder = entry.lead, str(entry.manager)
        old = self._index.get(holder)  # None: the holder has left the team
        seen = self._look(lead, entry.value_row, strict=False)
        candidates = seen.eligible & on_shift & ~away & seen.room
        others = np.ones(len(team.ids), dtype=np.bool_)
        if old is not None:
            others[old] = False
            candidates[old] = False
        due = float(entry.due_at or ts)
        sla = f"not contacted within the {timedelta(seconds=round(due - entry.routed_at))} SLA"
        due_text = f"due {utc(due):%Y-%m-%d %H:%M} UTC"
        if not np.count_nonzero(candidates):
            nobody = nobody_reason(
                seen.eligible & others, on_shift, away, seen.room, excluding=holder
            )
            reason = f"{sla} ({due_text}), but {nobody}"
            self._store.log(ts, "kept", entry.lead_id, entry.manager, reason)
            return Decision(
                lead_id=entry.lead_id, manager_id=entry.manager, value=entry.value,
                price=entry.price, reason=reason, at=utc(ts), kind="kept",
            )  # fmt: skip
        net = seen.value - state.prices
        choice = pick(net, candidates, state.received, state.target, self._tolerance)
        j = choice.manager
        if old is not None:
            # The lead's count has faded since it was routed; forfeit what is left of it.
            left = 1.0
            if self._half_life is not None:
                left = 0.5 ** (max(ts - entry.routed_at, 0.0) / self._half_life)
            state.open[old] = max(state.open[old] - seen.work[old], 0.0)
            state.received[old] -= left
            state.target[old] -= left
            state.reassigned_out[old] += 1.0
        state.open[j] += seen.work[j]
        state.received[j] += 1.0
        state.target[j] += 1.0
        state.reassigned_in[j] += 1.0
        state.decisions += 1
        reason = f"reassigned from {holder!r}: {sla} ({due_text}); {self._why(choice, seen, net)}"
        updated = replace(
            entry, manager=team.ids[j], kind="reassigned", value=float(seen.value[j]),
            price=float(state.prices[j]), reason=reason, routed_at=ts,
            due_at=self._due(seen.tier, ts), previous=holder,
            reassignments=entry.reassignments + 1,
            runner_up=None if choice.runner_up < 0 else team.ids[choice.runner_up],
        )  # fmt: skip
        self._store.put(updated)
        self._store.log(ts, "reassign", entry.lead_id, team.ids[j], reason)
        return decision_of(updated, replayed=False)

    # -- availability -------------------------------------------------------------------

    def pause(self, manager_id: str, now: datetime | None = None, reason: str = "paused") -> None:
        """Stop routing to a manager until :meth:`resume` (counts as an absence).

        ``reason`` (text) goes to the event log.
        """
        self._set_pause(manager_id, now, True, pause_reason(reason))

    def resume(self, manager_id: str, now: datetime | None = None) -> None:
        """Route to a paused manager again (catch-up applies from now)."""
        self._set_pause(manager_id, now, False, "resumed")

    def _set_pause(self, who: Any, now: datetime | None, paused: bool, reason: str) -> None:
        j = self._manager(manager_id(who))
        ts = instant(now)
        with self._call():
            self._advance(ts)
            self._state.paused[j] = float(paused)
            self._advance(ts)
            self._store.log(ts, "pause" if paused else "resume", None, self._team.ids[j], reason)
            self._save()

    def add_absences(self, absences: Sequence[Absence | Mapping[str, Any]]) -> None:
        """Add vacations or sick leave to the calendar (not stored: pass them at start-up)."""
        with self._lock:
            self._calendar.add_absences(absence_list(absences))
            self._cache_span = (0.0, 0.0)

    def status(self, now: datetime | None = None) -> list[ManagerStatus]:
        """Each manager's load, availability and fair-share accounts at ``now``."""
        ts = instant(now)
        with self._call(write=False):
            state = self._state.copy()
            on_shift, away = self._advance(ts, state)
        rows = []
        for j, mid in enumerate(self._team.ids):
            target = float(state.target[j])
            rows.append(
                ManagerStatus(
                    manager_id=mid,
                    open=float(state.open[j]),
                    capacity=float(self._team.capacity[j]),
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

    def close(self) -> None:
        """Close the store; the router refuses calls afterwards."""
        with self._lock:
            self._closed = True
            self._store.close()

    def __enter__(self) -> Router:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        where = "memory" if self.store is None else repr(str(self.store))
        return f"Router({len(self._team.ids)} managers, store={where})"

    # -- internals ----------------------------------------------------------------------

    def _call(self, *, write: bool = True, atomic: bool = False) -> _Call:
        """One public call: the lock, one store transaction, the state in step with it."""
        return _Call(self, write=write, atomic=atomic)

    def _availability(self, ts: float) -> tuple[BoolArray, BoolArray]:
        """(on shift, absent) at ``ts``, cached until the next minute or absence boundary."""
        start, end = self._cache_span
        if not start <= ts < end:
            self._cache = (self._calendar.on_shift(ts), self._calendar.absent(ts))
            self._cache_span = self._calendar.steady_span(ts)
        return self._cache

    def _advance(self, ts: float, state: RouterState | None = None) -> tuple[BoolArray, BoolArray]:
        """Bring the state (or a copy of it) to ``ts``; returns (on shift, away)."""
        state = self._state if state is None else state
        on_shift, absent = self._availability(ts)
        away = absent | (state.paused > 0)
        advance(
            state,
            ts,
            away,
            weights=self._team.weights,
            half_life=self._half_life,
            catch_up=self._catch_up,
        )
        return on_shift, away

    def _due(self, tier: Tier, ts: float) -> float | None:
        if self._sla is None or tier not in self._sla:
            return None
        return ts + self._sla[tier]

    def _manager(self, who: str) -> int:
        j = self._index.get(who)
        if j is None:
            raise ValueError(f"unknown manager {who!r}")
        return j

    def _sync(self, version: int | None) -> None:
        """Reload the state if another process committed since this one last did."""
        if version is None or version == self._version:
            return
        stored = self._store.meta("manager_ids")
        try:
            ids = loads_ids(stored) if stored is not None else self._team.ids
        except ValueError as exc:
            raise self._store.damaged(exc) from None
        if ids != self._team.ids:
            raise ValueError(
                f"the router store {self.store!r} was reopened by a router with another "
                "team; restart this router with that team"
            )
        loaded = self._store.load_state()
        if loaded is not None:
            version, data = loaded
            try:
                state = RouterState.from_bytes(data, len(self._team.ids))
            except ValueError as exc:
                raise self._store.damaged(exc) from None
            self._version, self._state = version, state

    def _save(self) -> None:
        if self._store.persistent:
            self._version += 1
            self._store.save_state(self._version, self._state.to_bytes())
