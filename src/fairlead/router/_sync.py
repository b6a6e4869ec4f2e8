"""The router's state kept in step with its store: resumed, reloaded, saved."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from fairlead.router._live import Live
from fairlead.router._state import RouterState
from fairlead.router._store import dumps_ids, loads_ids


def resume(live: Live, fresh: RouterState) -> None:
    """Start from the stored state, if any (remapped to this team), else ``fresh``.

    Parameters
    ----------
    live : Live
        The router's parts; ``live.state`` is set.
    fresh : RouterState
        The state of a new store: the managers' loads and pauses at the start. A
        stored state keeps its own, except for managers who joined since.
    """
    with live.lock, live.store.transaction() as version:
        stored = live.store.meta("manager_ids")
        ids = live.team.ids
        if version is None:
            live.store.set_meta("manager_ids", dumps_ids(ids))
            save(live)
            return
        loaded = live.store.load_state()
        assert loaded is not None
        live.version, data = loaded
        try:
            old_ids = loads_ids(stored) if stored is not None else ids
            state = RouterState.from_bytes(data, len(old_ids))
        except ValueError as exc:
            raise live.store.damaged(exc) from None
        if old_ids != ids:
            state = state.remap(old_ids, ids)
            newcomers = [j for j, mid in enumerate(ids) if mid not in old_ids]
            state.open[newcomers] = fresh.open[newcomers]
            state.paused[newcomers] = fresh.paused[newcomers]
            _remap_value_rows(live, old_ids)
            live.state = state
            live.store.set_meta("manager_ids", dumps_ids(ids))
            save(live)
        live.state = state


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
        The stored state's version at the start of the transaction (``None``: none
        stored, or a store in memory).

    Raises
    ------
    ValueError
        If the store was reopened by a router with another team, or is damaged.
    """
    if version is None or version == live.version:
        return
    ids = live.team.ids
    stored = live.store.meta("manager_ids")
    try:
        stored_ids = loads_ids(stored) if stored is not None else ids
    except ValueError as exc:
        raise live.store.damaged(exc) from None
    if stored_ids != ids:
        raise ValueError(
            f"the router store {live.store_arg!r} was reopened by a router with another "
            "team; restart this router with that team"
        )
    loaded = live.store.load_state()
    if loaded is not None:
        version, data = loaded
        try:
            state = RouterState.from_bytes(data, len(ids))
        except ValueError as exc:
            raise live.store.damaged(exc) from None
        live.version, live.state = version, state


def save(live: Live) -> None:
    """Write the state to a persistent store under the next version (in memory: nothing)."""
    if live.store.persistent:
        live.version += 1
        live.store.save_state(live.version, live.state.to_bytes())
