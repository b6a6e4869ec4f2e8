"""The router's state kept in step with its store: opened, checked, reloaded, saved."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from fairlead.router._books import (
    BASE_FIELDS,
    Baseline,
    audit,
    dumps_baseline,
    joining_baseline,
    loads_baseline,
    summary,
)
from fairlead.router._errors import REPAIR_HINT, StoreError
from fairlead.router._inputs import instant
from fairlead.router._live import Live
from fairlead.router._settings import dumps, loads, setting_changes, team_changes
from fairlead.router._state import RouterState
from fairlead.router._store import Store, dumps_ids, loads_ids


def resume(live: Live, fresh: RouterState, *, reconfigure: bool = False) -> None:
    """Open the store: start a new one, or resume a stored state after checking its books.

    Parameters
    ----------
    live : Live
        The router's parts; ``live.state``, ``version`` and ``generation`` are set.
    fresh : RouterState
        The state of a new store: the managers' loads and pauses at the start. A
        stored state keeps its own, except for managers who joined since.
    reconfigure : bool, default False
        Whether to accept other settings than the store's (and record the change).

    Raises
    ------
    DamagedStoreError
        When the state and the leads table disagree, or a record cannot be read.
    StoreError
        When the settings differ from the store's and ``reconfigure`` is not set.
    """
    with live.lock, live.store.opening() as new:
        if new:
            _start(live, fresh)
        else:
            _resume(live, fresh, reconfigure)


def _start(live: Live, fresh: RouterState) -> None:
    """A new store: the team, its baseline (loads from outside), the settings, the state."""
    store, ids = live.store, live.team.ids
    live.state = fresh
    if not store.persistent:
        return  # nothing to reopen: nothing to remember
    baseline = {mid: [float(fresh.open[j]), 0.0, 0.0, 0.0] for j, mid in enumerate(ids)}
    _write_setup(live, store, baseline, set(ids))
    store.set_meta("settings", dumps(live.settings))
    live.generation = 1
    store.set_meta("generation", "1")
    save(live)


def _resume(live: Live, fresh: RouterState, reconfigure: bool) -> None:
    """A stored state, once its books add up; a new team or settings applied and logged."""
    store, ids = live.store, live.team.ids
    try:
        stored_ids = loads_ids(store.meta("manager_ids"))
        known = set(loads_ids(store.meta("known_ids"), "known manager ids")) | set(stored_ids)
        baseline = loads_baseline(store.meta("baseline"))
        settings = loads(store.meta("settings"), "settings")
        roster = loads(store.meta("team"), "team attributes")
        generation = _generation(store.meta("generation"))
    except ValueError as exc:
        raise store.damaged(f"{exc}; {REPAIR_HINT}") from None
    books = store.books(known)  # one pass over the leads table
    loaded = store.load_state()
    if loaded is None:
        held = f" (open leads: {books.open_text()})" if books is not None else ""
        raise store.damaged(
            f"its state row is missing, though its leads table holds "
            f"{books.rows if books is not None else 0} lead(s){held}; {REPAIR_HINT}"
        )
    live.version, data = loaded
    try:
        state = RouterState.from_bytes(data, len(stored_ids))
    except ValueError as exc:
        raise store.damaged(f"{exc}; {REPAIR_HINT}") from None
    if books is not None:
        problems = audit(state, stored_ids, known, baseline, books)
        if problems:
            raise store.damaged(f"{summary(problems)}; {REPAIR_HINT}")
    changed = setting_changes(settings, live.settings)
    if changed and not reconfigure:
        raise StoreError(
            f"the router store {store_name(live)!r} was created with other settings: "
            f"{'; '.join(changed)}. Open it with the store's settings, or pass "
            "reconfigure=True to route under these from now on (the change is recorded "
            "in the store's event log)",
            path=store_name(live),
        )
    moved = team_changes(roster, stored_ids, live.team_record, ids)
    live.generation = generation
    live.state = state
    if not changed and not moved and stored_ids == ids:
        return
    if stored_ids != ids:
        state = state.remap(stored_ids, ids)
        newcomers = [j for j, mid in enumerate(ids) if mid not in stored_ids]
        state.open[newcomers] = fresh.open[newcomers]
        state.paused[newcomers] = fresh.paused[newcomers]
        _remap_value_rows(live, stored_ids)
        tallies = books.by_manager if books is not None else {}
        baseline = {
            mid: baseline.get(mid, [0.0] * len(BASE_FIELDS))
            if mid in stored_ids
            else joining_baseline(float(state.open[j]), tallies.get(mid))
            for j, mid in enumerate(ids)
        }
    now = instant(None)
    if moved:
        store.log(now, "team", None, None, "; ".join(moved))
    if changed:
        store.log(now, "reconfigure", None, None, "; ".join(changed))
        store.set_meta("settings", dumps(live.settings))
    _write_setup(live, store, baseline, known | set(ids))
    live.generation = generation + 1
    store.set_meta("generation", str(live.generation))
    live.state = state
    save(live)


def _write_setup(live: Live, store: Store, baseline: Baseline, known: set[str]) -> None:
    """The team as the store keeps it: ids in order, every id ever, baseline, attributes."""
    store.set_meta("manager_ids", dumps_ids(live.team.ids))
    store.set_meta("known_ids", dumps_ids(sorted(known)))
    store.set_meta("baseline", dumps_baseline(baseline))
    store.set_meta("team", dumps(live.team_record))


def _generation(text: str | None) -> int:
    """The store's setup generation (a ValueError if it is not a whole number)."""
    if text is None or not text.isdigit():
        raise ValueError(f"its setup generation must be a whole number, got {text!r}")
    return int(text)


def store_name(live: Live) -> str:
    """The store as the router was given it, for messages."""
    return str(live.store_arg)


def _remap_value_rows(live: Live, old_ids: list[str]) -> None:
    """Caller-given value rows of leads not released, by manager id (NaN: unknown)."""
    ids = live.team.ids
    where = {mid: j for j, mid in enumerate(old_ids)}
    for entry in live.store.pending():
        if entry.value_row is None:
            continue
        row = np.full(len(ids), np.nan)
        for k, mid in enumerate(ids):
            if mid in where:
                row[k] = entry.value_row[where[mid]]
        live.store.put(replace(entry, value_row=row))


def sync(live: Live, version: int | None) -> None:
    """Reload the state if another process committed since this one last did.

    Parameters
    ----------
    live : Live
        The router's parts.
    version : int or None
        The stored state's version at the start of the transaction (``None``: a
        store in memory).

    Raises
    ------
    StoreError
        If the store was reopened by a router with another team or other settings,
        or repaired, since this one opened it; or is damaged.
    """
    if version is None or version == live.version:
        return
    store = live.store
    try:
        stored_ids = loads_ids(store.meta("manager_ids"))
    except ValueError as exc:
        raise store.damaged(exc) from None
    if stored_ids != live.team.ids or store.meta("generation") != str(live.generation):
        raise _changed_elsewhere(live)
    loaded = store.load_state()
    if loaded is not None:
        version, data = loaded
        try:
            state = RouterState.from_bytes(data, len(live.team.ids))
        except ValueError as exc:
            raise store.damaged(exc) from None
        live.version, live.state = version, state


def _changed_elsewhere(live: Live) -> StoreError:
    """The error for a store another router has set up anew since this one opened it."""
    store = live.store
    try:
        same_team = loads_ids(store.meta("manager_ids")) == live.team.ids
        same_settings = not setting_changes(
            loads(store.meta("settings"), "settings"), live.settings
        )
    except ValueError as exc:
        return store.damaged(exc)
    what = (
        "another team"
        if not same_team
        else "other settings"
        if not same_settings
        else "other team attributes, or repaired"
    )
    return StoreError(
        f"the router store {store_name(live)!r} was reopened by a router with {what}; "
        "restart this router with them",
        path=store_name(live),
    )


def save(live: Live) -> None:
    """Write the state to a persistent store under the next version (in memory: nothing)."""
    if live.store.persistent:
        live.version += 1
        live.store.save_state(live.version, live.state.to_bytes())


def unload(live: Live, j: int, work: float) -> None:
    """Take ``work`` off manager ``j``'s open workload, never below zero.

    The work is what the lead was charged when the manager got it. A load held
    outside the router can be less than what they release (a manager who rejoined
    holding rows of their earlier time): the load stops at zero, and their baseline
    moves by what was cut, so that the books still add up.
    """
    state = live.state
    left = float(state.open[j] - work)
    if left >= 0.0:
        state.open[j] = left
        return
    state.open[j] = 0.0
    if left < -1e-9 and live.store.persistent:
        store, mid = live.store, live.team.ids[j]
        baseline = loads_baseline(store.meta("baseline"))
        baseline.setdefault(mid, [0.0] * len(BASE_FIELDS))[0] -= left
        store.set_meta("baseline", dumps_baseline(baseline))
