"""The online Router: each arriving lead to a manager in microseconds, state kept safe."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal, TypeVar

import numpy as np
from pydantic import ValidationError

from fairlead._availability import Absence, Calendar, timestamp
from fairlead._inputs import InputError, coerce_policy, coerce_records, describe_error
from fairlead._models import Lead, Manager, Policy, Tier
from fairlead._problem import BoolArray, FloatArray
from fairlead._router_pricing import window_prices
from fairlead._router_queue import place_queue
from fairlead._router_state import CatchUp, RouterState, accrue, advance
from fairlead._router_store import (
    Entry,
    MemoryStore,
    SqliteStore,
    Store,
    dumps_ids,
    loads_ids,
)
from fairlead._router_team import TeamTables
from fairlead._routing import Band, Pick, pick

Outcome = Literal["won", "lost", "closed"]
T = TypeVar("T")
_OUTCOMES = ("won", "lost", "closed")


@dataclass(frozen=True, slots=True)
class Decision:
    """Where a lead went and why.

    Attributes
    ----------
    lead_id : str
    manager_id : str or None
        ``None`` when nobody eligible was available with room (the lead waits; see
        :meth:`Router.route_waiting`).
    value : float
        Expected value of the lead with that manager.
    price : float
        The manager's price (from the last batch solve) the choice was net of.
    reason : str
        Why, in words and numbers.
    at : datetime
        When the decision was taken (UTC).
    kind : {"routed", "reassigned", "waiting", "kept"}
        ``kept``: an overdue lead stayed because no other manager could take it.
    previous_manager_id : str or None
        For a reassignment, who held the lead before.
    runner_up_id : str or None
        The next best manager in the running.
    replayed : bool
        True when the lead had already been routed and this is its decision returned
        again (routing is idempotent by lead id; after a reassignment, the current one).
    """

    lead_id: str
    manager_id: str | None
    value: float
    price: float
    reason: str
    at: datetime
    kind: Literal["routed", "reassigned", "waiting", "kept"] = "routed"
    previous_manager_id: str | None = None
    runner_up_id: str | None = None
    replayed: bool = False

    @property
    def score(self) -> float:
        """``value - price``: what the choice maximized."""
        return self.value - self.price


@dataclass(frozen=True)
class Overdue:
    """A lead its manager has not contacted within the SLA."""

    lead_id: str
    manager_id: str
    routed_at: datetime
    due_at: datetime
    late_by: timedelta


@dataclass(frozen=True)
class ManagerStatus:
    """One manager's live load and fair-share accounts in a router.

    ``received`` and ``target`` are the fair count and fair share (decayed with the
    router's ``share_half_life``); ``deviation`` is ``received / target - 1``.
    Reassignments move a lead's count: the manager who lost it forfeits that share.
    """

    manager_id: str
    open: float
    capacity: float
    available: bool
    paused: bool
    received: float
    target: float
    deviation: float
    routed: int
    reassigned_in: int
    reassigned_out: int
    won: int
    released: int
    missed: float
    owed: float
    price: float


def _now(now: datetime | None) -> float:
    if now is None:
        return datetime.now(UTC).timestamp()
    if not isinstance(now, datetime):
        raise ValueError(f"now must be a datetime, got {type(now).__name__} {now!r}")
    return timestamp(now)


def _at(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def _sla_seconds(sla: Any) -> dict[Tier, float] | None:
    if sla is None:
        return None
    if isinstance(sla, timedelta):
        return dict.fromkeys(Tier, _positive_seconds(sla, "sla"))
    if isinstance(sla, Mapping):
        out: dict[Tier, float] = {}
        for key, value in sla.items():
            try:
                tier = Tier(key)
            except ValueError:
                raise ValueError(
                    f"sla names an unknown tier {key!r} (use hot, warm, cold)"
                ) from None
            if not isinstance(value, timedelta):
                raise ValueError(f"sla of tier {tier.value!r} must be a timedelta, got {value!r}")
            out[tier] = _positive_seconds(value, f"sla of tier {tier.value!r}")
        return out
    raise ValueError(
        f"sla must be a timedelta, a mapping of tier to timedelta or None, got {sla!r}"
    )


def _positive_seconds(value: timedelta, what: str) -> float:
    if value <= timedelta(0):
        raise ValueError(f"{what} must be positive, got {value}")
    return value.total_seconds()


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
        starts them paused.
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
        Time to first contact (:meth:`contact`) after which a lead is overdue.
    share_half_life : timedelta or None, default 30 days
        Fair counts and shares fade with this half-life, so fairness is about the recent
        past; ``None`` counts from the start.
    max_hold : timedelta or None, default 3 hours
        How long a waiting lead may wait for a manager within their fair share when only
        managers above it could take it (see :meth:`route_waiting`); ``None``: not at all.
        A lead routed on arrival is never held.
    store : str or Path, optional
        SQLite file for decisions and state; default in memory. An existing file is
        resumed: its loads and counts win over the managers' ``active_leads``.
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
        absences: Sequence[Absence | Mapping[str, Any]] = (),
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

        records: list[Manager] = coerce_records(managers, Manager, "manager")
        rules = coerce_policy(policy)
        self._team = TeamTables(records, rules, model)
        self._calendar = Calendar(self._team.ids, hours, absences)
        self._catch_up = _coerce_catch_up(catch_up)
        self._sla = _sla_seconds(sla)
        if share_half_life is not None:
            self._half_life: float | None = _positive_seconds(share_half_life, "share_half_life")
        else:
            self._half_life = None
        self._tolerance = rules.balance_tolerance
        self._max_hold = None if max_hold is None else _positive_seconds(max_hold, "max_hold")
        self._index = {mid: j for j, mid in enumerate(self._team.ids)}
        self._lock = threading.RLock()
        self._cache_span = (0.0, 0.0)
        self._cache: tuple[BoolArray, BoolArray] = (np.ones(0, bool), np.ones(0, bool))
        self._store: Store = (
            MemoryStore() if store is None else SqliteStore(store, durability=durability)
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
            old_ids = loads_ids(stored) if stored is not None else self._team.ids
            try:
                state = RouterState.from_bytes(data, len(old_ids))
            except ValueError as exc:
                raise ValueError(f"the router store {self.store!r} is damaged: {exc}") from None
            if old_ids != self._team.ids:
                state = state.remap(old_ids, self._team.ids)
                newcomers = [j for j, mid in enumerate(self._team.ids) if mid not in old_ids]
                state.open[newcomers] = fresh.open[newcomers]
                state.paused[newcomers] = fresh.paused[newcomers]
                self._state = state
                self._store.set_meta("manager_ids", dumps_ids(self._team.ids))
                self._save()
            self._state = state

    # -- learned attributes -------------------------------------------------------------

    @property
    def prices_(self) -> FloatArray:
        """Manager prices (value units) the choice is net of."""
        with self._lock:
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
        ts = _now(now) if now is not None else None
        away = None
        if ts is not None:
            with self._lock:
                _, absent = self._availability(ts)
                away = absent | (self._state.paused > 0)
        # The batch solve runs outside the lock: routes go on meanwhile.
        priced = window_prices(self._team, records, values=values, capacity=capacity, exclude=away)
        with self._lock:
            with self._store.transaction() as version:
                self._sync(version)

                def apply() -> None:
                    keep = np.isnan(priced.prices)
                    self._state.prices = np.where(keep, self._state.prices, priced.prices)
                    self._state.unassigned_price = priced.unassigned_price
                    at = ts if ts is not None else _now(None)
                    self._store.log(at, "reprice", None, None, f"{len(records)} leads")
                    self._save()

                self._guarded(apply)
            return self._state.prices.copy()

    # -- routing ------------------------------------------------------------------------

    def route(self, lead: Any, now: datetime | None = None, *, value: Any = None) -> Decision:
        """Route one lead now; the same lead id again returns its decision, unchanged.

        Parameters
        ----------
        lead : Lead or dict
        now : datetime, optional
            Default the current time; a naive datetime is read as UTC.
        value : array_like (m,), optional
            The lead's value for each manager, instead of the router's model.

        Returns
        -------
        Decision
            ``manager_id`` is None when nobody eligible is available with room: the
            lead is kept waiting (:meth:`waiting`, :meth:`route_waiting`).
        """
        record = _lead(lead)
        ts = _now(now)
        row = None if value is None else self._team.check_value(value, record.id)
        with self._lock, self._store.transaction() as version:
            self._sync(version)
            existing = self._store.get(record.id)
            if existing is not None and existing.manager is not None:
                return _decision(existing, replayed=True)
            if existing is not None and existing.released_at is not None:
                raise ValueError(
                    f"lead {record.id!r} was closed ({existing.outcome}) before routing"
                )
            return self._guarded(lambda: self._route_new(record, ts, row, existing))

    def route_waiting(self, now: datetime | None = None) -> list[Decision]:
        """Place the leads that found nobody, together; returns the ones now routed.

        The waiting leads are solved as one batch: as many as fit within the managers'
        fair band and room, with the best total value net of price, then the rest within
        room alone. With ``max_hold``, a lead only a manager above their fair share could
        take keeps waiting up to ``max_hold`` (from the first time anyone could take it)
        for a manager within it, so the first shift of the morning does not take the
        whole night's backlog. Leads with other workloads than 1 go one at a time,
        oldest first.
        """
        ts = _now(now)
        with self._lock, self._store.transaction() as version:
            self._sync(version)
            entries = [e for e in self._store.waiting() if e.released_at is None]
            if not entries:
                return []
            return self._guarded(lambda: self._route_queue(entries, ts))

    def waiting(self) -> list[str]:
        """Ids of the leads nobody could take yet, oldest first."""
        with self._lock, self._store.transaction() as version:
            self._sync(version)
            return [e.lead_id for e in self._store.waiting() if e.released_at is None]

    def decision(self, lead_id: str) -> Decision | None:
        """The current decision for ``lead_id``, or ``None`` if it was never routed."""
        with self._lock, self._store.transaction() as version:
            self._sync(version)
            entry = self._store.get(lead_id)
            return None if entry is None else _decision(entry, replayed=False)

    def _route_new(
        self, lead: Lead, ts: float, row: FloatArray | None, existing: Entry | None
    ) -> Decision:
        team, state = self._team, self._state
        tier = team.tier(lead)
        eligible = team.eligible(lead, tier)
        value = team.value(lead, tier) if row is None else self._with_penalty(row, tier)
        work = team.workload(lead)
        on_shift, away = self._advance(ts)
        room = state.open + work <= team.capacity + 1e-9
        candidates = eligible & on_shift & ~away & room
        if not np.count_nonzero(candidates):
            reason = _nobody(eligible, on_shift, away, room)
            return self._wait(lead, ts, row, existing, reason)
        accrue(state, team.weights, candidates, eligible & on_shift & away)
        net = value - state.prices
        choice = pick(net, candidates, state.received, state.target, self._tolerance)
        runner_up = None if choice.runner_up < 0 else team.ids[choice.runner_up]
        reason = self._why(choice, value, net)
        return self._place(lead, choice.manager, ts, value, row, existing, reason, runner_up)

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
        return _decision(entry, replayed=False)

    def _place(
        self,
        lead: Lead,
        j: int,
        ts: float,
        value: FloatArray,
        row: FloatArray | None,
        existing: Entry | None,
        reason: str,
        runner_up: str | None,
    ) -> Decision:
        """Give ``lead`` to manager ``j``: loads, fair count, the entry, the state."""
        team, state = self._team, self._state
        state.open[j] += team.workload(lead)[j]
        state.received[j] += 1.0
        state.routed[j] += 1.0
        if existing is None:
            state.decisions += 1
        entry = Entry(
            lead_id=lead.id, lead_json=lead.model_dump_json(), manager=team.ids[j], kind="routed",
            value=float(value[j]), price=float(state.prices[j]), reason=reason,
            routed_at=ts, seq=existing.seq if existing is not None else state.decisions - 1,
            due_at=self._due(team.tier(lead), ts), value_row=row, runner_up=runner_up,
        )  # fmt: skip
        self._store.put(entry)
        self._save()
        return _decision(entry, replayed=False)

    def _route_queue(self, entries: list[Entry], ts: float) -> list[Decision]:
        team, state = self._team, self._state
        on_shift, away = self._advance(ts)
        leads = [e.lead for e in entries]
        tiers = [team.tier(lead) for lead in leads]
        work = np.array([team.workload(lead) for lead in leads])
        if not np.all(work == 1.0):
            decisions = [
                self._route_new(lead, ts, e.value_row, e)
                for lead, e in zip(leads, entries, strict=True)
            ]
            return [d for d in decisions if d.manager_id is not None]
        eligible = np.array([team.eligible(lead, t) for lead, t in zip(leads, tiers, strict=True)])
        value = np.array(
            [
                team.value(lead, t) if e.value_row is None else self._with_penalty(e.value_row, t)
                for lead, e, t in zip(leads, entries, tiers, strict=True)
            ]
        )
        room = team.capacity - state.open
        candidates = eligible & (on_shift & ~away & (room >= 1.0 - 1e-9))[None, :]
        shares = np.where(candidates, team.weights[None, :], 0.0)
        totals = shares.sum(axis=1)
        shares /= np.where(totals > 0, totals, 1.0)[:, None]
        band_low = band_high = None
        if self._tolerance is not None:
            target = state.target + shares.sum(axis=0)
            t = self._tolerance
            band_high = np.floor((1.0 + t) * target + 1.0 - state.received + 1e-9)
            band_low = np.floor((1.0 - t) * target - state.received + 1e-9)
        net = value - state.prices
        placed = place_queue(net, candidates, room, band_low, band_high)
        missing = eligible & (on_shift & away)[None, :]
        if placed.relaxed.any():
            how = "fair band relaxed: nobody within their share could take it"
        else:
            how = "by room" if band_high is None else "within the fair band"
        out = []
        for i, entry in enumerate(entries):
            j = int(placed.manager[i])
            offered = entry.offered_at
            if offered is None and candidates[i].any():
                offered = ts
            held = self._max_hold is not None and bool(placed.relaxed[i])
            if held and offered is not None and ts - offered < float(self._max_hold or 0.0):
                j = -1
            if j < 0:
                if offered != entry.offered_at:
                    self._store.put(replace(entry, offered_at=offered))
                continue
            state.target += shares[i]
            if missing[i].any():
                wm = np.where(missing[i], team.weights, 0.0)
                state.missed += wm / (totals[i] + wm + 1e-300)
            band = how if placed.relaxed[i] or not placed.relaxed.any() else "within the fair band"
            reason = (
                f"routed from the waiting queue ({len(entries)} lead(s) placed together for "
                f"the best total value net of price, {band}): {value[i, j]:.4g} - price "
                f"{state.prices[j]:.4g} = {net[i, j]:.4g}"
            )
            decision = self._place(leads[i], j, ts, value[i], entry.value_row, entry, reason, None)
            out.append(decision)
        return out

    def _why(self, choice: Pick, value: FloatArray, net: FloatArray) -> str:
        ids, j = self._team.ids, choice.manager
        pool = {
            Band.OFF: f"{choice.pool} manager(s) available with room",
            Band.WITHIN: f"{choice.pool} manager(s) within their fair share",
            Band.BEHIND: f"{choice.pool} manager(s) behind their fair share",
            Band.RELAXED: f"{choice.pool} manager(s) with room, all above their fair share",
        }[choice.band]
        text = (
            f"best value net of price among {pool}: {value[j]:.4g} - price "
            f"{self._state.prices[j]:.4g} = {net[j]:.4g}"
        )
        if choice.runner_up >= 0:
            k = choice.runner_up
            text += f"; runner-up {ids[k]!r} {net[k]:.4g}"
        return text

    # -- lead life cycle ----------------------------------------------------------------

    def contact(self, lead_id: str, now: datetime | None = None) -> None:
        """Record the first contact with a lead: its SLA clock stops."""
        ts = _now(now)
        with self._lock, self._store.transaction() as version:
            self._sync(version)
            entry = self._held(lead_id)
            if entry.contacted_at is None:
                self._store.put(replace(entry, contacted_at=ts))
                self._store.log(ts, "contact", lead_id, entry.manager, "")

    def release(self, lead_id: str, outcome: Outcome, now: datetime | None = None) -> None:
        """A lead is won, lost or closed: its manager's slot frees up.

        Releasing again with the same outcome does nothing; with another, it is an error.
        """
        if outcome not in _OUTCOMES:
            raise ValueError(
                f"outcome of lead {lead_id!r} must be one of {', '.join(_OUTCOMES)}, "
                f"got {outcome!r}"
            )
        ts = _now(now)
        with self._lock, self._store.transaction() as version:
            self._sync(version)
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

            def apply() -> None:
                j = self._index.get(entry.manager) if entry.manager is not None else None
                if j is not None:
                    work = self._team.workload(entry.lead)[j]
                    self._state.open[j] = max(self._state.open[j] - work, 0.0)
                    self._state.released[j] += 1.0
                    self._state.won[j] += outcome == "won"
                self._store.put(replace(entry, released_at=ts, outcome=outcome))
                self._store.log(ts, "release", lead_id, entry.manager, outcome)
                self._save()

            self._guarded(apply)

    def overdue(self, now: datetime | None = None) -> list[Overdue]:
        """Leads not contacted within the SLA, most overdue first."""
        ts = _now(now)
        with self._lock, self._store.transaction() as version:
            self._sync(version)
            return [
                Overdue(
                    lead_id=e.lead_id,
                    manager_id=str(e.manager),
                    routed_at=_at(e.routed_at),
                    due_at=_at(float(e.due_at or 0.0)),
                    late_by=timedelta(seconds=ts - float(e.due_at or 0.0)),
                )
                for e in self._store.overdue(ts)
            ]

    def reassign_overdue(self, now: datetime | None = None) -> list[Decision]:
        """Move each overdue lead to the next best available manager, saying why.

        The manager who lost the lead forfeits its fair share (their count and share both
        drop by one); the new one gets it on top of theirs. A lead nobody else can take
        stays, with a ``kept`` decision.
        """
        ts = _now(now)
        with self._lock, self._store.transaction() as version:
            self._sync(version)
            late = self._store.overdue(ts)
            return self._guarded(lambda: [self._reassign(e, ts) for e in late])

    def _reassign(self, entry: Entry, ts: float) -> Decision:
        team, state = self._team, self._state
        lead, holder = entry.lead, str(entry.manager)
        old = self._index.get(holder)  # None: the holder has left the team
        tier = team.tier(lead)
        eligible = team.eligible(lead, tier)
        row = entry.value_row
        value = team.value(lead, tier) if row is None else self._with_penalty(row, tier)
        work = team.workload(lead)
        on_shift, away = self._advance(ts)
        room = state.open + work <= team.capacity + 1e-9
        candidates = eligible & on_shift & ~away & room
        if old is not None:
            candidates[old] = False
        due = float(entry.due_at or ts)
        sla = f"not contacted within the {timedelta(seconds=round(due - entry.routed_at))} SLA"
        due_text = f"due {_at(due):%Y-%m-%d %H:%M} UTC"
        if not np.count_nonzero(candidates):
            nobody = _nobody(eligible, on_shift, away, room, excluding=holder)
            reason = f"{sla} ({due_text}), but {nobody}"
            self._store.log(ts, "kept", entry.lead_id, entry.manager, reason)
            return Decision(
                lead_id=entry.lead_id, manager_id=entry.manager, value=entry.value,
                price=entry.price, reason=reason, at=_at(ts), kind="kept",
            )  # fmt: skip
        net = value - state.prices
        choice = pick(net, candidates, state.received, state.target, self._tolerance)
        j = choice.manager
        if old is not None:
            state.open[old] = max(state.open[old] - work[old], 0.0)
            state.received[old] -= 1.0
            state.target[old] -= 1.0
            state.reassigned_out[old] += 1.0
        state.open[j] += work[j]
        state.received[j] += 1.0
        state.target[j] += 1.0
        state.reassigned_in[j] += 1.0
        state.decisions += 1
        reason = f"reassigned from {holder!r}: {sla} ({due_text}); {self._why(choice, value, net)}"
        updated = replace(
            entry, manager=team.ids[j], kind="reassigned", value=float(value[j]),
            price=float(state.prices[j]), reason=reason, routed_at=ts,
            due_at=self._due(tier, ts), previous=holder,
            reassignments=entry.reassignments + 1,
            runner_up=None if choice.runner_up < 0 else team.ids[choice.runner_up],
        )  # fmt: skip
        self._store.put(updated)
        self._store.log(ts, "reassign", entry.lead_id, team.ids[j], reason)
        self._save()
        return _decision(updated, replayed=False)

    # -- availability -------------------------------------------------------------------

    def pause(self, manager_id: str, now: datetime | None = None, reason: str = "paused") -> None:
        """Stop routing to a manager until :meth:`resume` (counts as an absence)."""
        self._set_pause(manager_id, now, True, reason)

    def resume(self, manager_id: str, now: datetime | None = None) -> None:
        """Route to a paused manager again (catch-up applies from now)."""
        self._set_pause(manager_id, now, False, "resumed")

    def _set_pause(self, manager_id: str, now: datetime | None, paused: bool, reason: str) -> None:
        j = self._manager(manager_id)
        ts = _now(now)
        with self._lock, self._store.transaction() as version:
            self._sync(version)

            def apply() -> None:
                self._advance(ts)
                self._state.paused[j] = float(paused)
                self._advance(ts)
                self._store.log(ts, "pause" if paused else "resume", None, manager_id, reason)
                self._save()

            self._guarded(apply)

    def add_absences(self, absences: Sequence[Absence | Mapping[str, Any]]) -> None:
        """Add vacations or sick leave to the calendar (not stored: pass them at start-up)."""
        with self._lock:
            self._calendar.add_absences(absences)
            self._cache_span = (0.0, 0.0)

    def status(self, now: datetime | None = None) -> list[ManagerStatus]:
        """Each manager's load, availability and fair-share accounts at ``now``."""
        ts = _now(now)
        with self._lock, self._store.transaction() as version:
            self._sync(version)
            state = self._state.copy()
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
        """Close the store (the router is unusable afterwards)."""
        with self._lock:
            self._store.close()

    def __enter__(self) -> Router:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        where = "memory" if self.store is None else repr(str(self.store))
        return f"Router({len(self._team.ids)} managers, store={where})"

    # -- internals ----------------------------------------------------------------------

    def _availability(self, ts: float) -> tuple[BoolArray, BoolArray]:
        """(on shift, absent) at ``ts``, cached until the next minute or absence boundary."""
        start, end = self._cache_span
        if not start <= ts < end:
            self._cache = (self._calendar.on_shift(ts), self._calendar.absent(ts))
            self._cache_span = self._calendar.steady_span(ts)
        return self._cache

    def _advance(self, ts: float) -> tuple[BoolArray, BoolArray]:
        """Bring the state to ``ts``; returns (on shift, away)."""
        on_shift, absent = self._availability(ts)
        away = absent | (self._state.paused > 0)
        advance(
            self._state,
            ts,
            away,
            weights=self._team.weights,
            half_life=self._half_life,
            catch_up=self._catch_up,
        )
        return on_shift, away

    def _with_penalty(self, row: FloatArray, tier: Tier) -> FloatArray:
        if self._team.policy.hot_rule != "soft":
            return row
        k = list(Tier).index(tier)
        out: FloatArray = row - self._team.penalty_by_tier[k]
        return out

    def _due(self, tier: Tier, ts: float) -> float | None:
        if self._sla is None or tier not in self._sla:
            return None
        return ts + self._sla[tier]

    def _held(self, lead_id: str) -> Entry:
        entry = self._store.get(lead_id)
        if entry is None:
            raise ValueError(f"lead {lead_id!r} was never routed")
        if entry.manager is None:
            raise ValueError(f"lead {lead_id!r} is waiting: no manager holds it")
        return entry

    def _manager(self, manager_id: str) -> int:
        j = self._index.get(manager_id)
        if j is None:
            raise ValueError(f"unknown manager {manager_id!r}")
        return j

    def _sync(self, version: int | None) -> None:
        """Reload the state if another process committed since this one last did."""
        if version is None or version == self._version:
            return
        stored = self._store.meta("manager_ids")
        if stored is not None and loads_ids(stored) != self._team.ids:
            raise ValueError(
                f"the router store {self.store!r} was reopened by a router with another "
                "team; restart this router with that team"
            )
        loaded = self._store.load_state()
        if loaded is not None:
            self._version, data = loaded
            self._state = RouterState.from_bytes(data, len(self._team.ids))

    def _save(self) -> None:
        if getattr(self._store, "persistent", False):
            self._version += 1
            self._store.save_state(self._version, self._state.to_bytes())

    def _guarded(self, apply: Callable[[], T]) -> T:
        """Run a state change; if it (or its write) fails, the state is as before."""
        if not getattr(self._store, "persistent", False):
            return apply()
        snapshot, version = self._state.copy(), self._version
        try:
            return apply()
        except BaseException:
            self._state, self._version = snapshot, version
            raise


def _coerce_catch_up(value: CatchUp | Mapping[str, Any] | None) -> CatchUp:
    if value is None:
        return CatchUp()
    if isinstance(value, CatchUp):
        return value
    if isinstance(value, Mapping):
        try:
            return CatchUp.model_validate(dict(value))
        except ValidationError as exc:
            field, message, got = describe_error(exc.errors()[0])
            raise ValueError(f"catch_up {field!r}: {message}, got {got!r}") from None
    raise ValueError(f"catch_up must be a CatchUp or a dict, got {type(value).__name__}")


def _lead(lead: Any) -> Lead:
    if isinstance(lead, Lead):
        return lead
    if isinstance(lead, Mapping):
        try:
            return Lead.model_validate(lead)
        except ValidationError as exc:
            field, message, got = describe_error(exc.errors()[0])
            who = f"lead {lead.get('id')!r}" if lead.get("id") is not None else "lead"
            raise InputError(
                f"{who}: {field!r} {message}, got {got!r}", field=field, value=got
            ) from None
    raise InputError(f"lead must be a Lead or a dict, got {type(lead).__name__}")


def _decision(entry: Entry, *, replayed: bool) -> Decision:
    kind: Any = entry.kind
    return Decision(
        lead_id=entry.lead_id,
        manager_id=entry.manager,
        value=entry.value,
        price=entry.price,
        reason=entry.reason,
        at=_at(entry.routed_at),
        kind=kind,
        previous_manager_id=entry.previous,
        runner_up_id=entry.runner_up,
        replayed=replayed,
    )


def _nobody(
    eligible: BoolArray,
    on_shift: BoolArray,
    away: BoolArray,
    room: BoolArray,
    excluding: str | None = None,
) -> str:
    """Why no manager could take a lead, as counts of who fell out where."""
    qualified = int(eligible.sum())
    working = int((eligible & on_shift).sum())
    present = int((eligible & on_shift & ~away).sum())
    free = int((eligible & on_shift & ~away & room).sum())
    other = f" other than {excluding!r}" if excluding is not None else ""
    return (
        f"no manager{other} can take it now: {qualified} qualified, {working} of them "
        f"within working hours, {present} not absent or paused, {free} with room"
    )
