"""One public call of a router: its lock, one store transaction, the state in step."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

from fairlead.router._live import Live
from fairlead.router._state import RouterState
from fairlead.router._sync import sync


class Call:
    """One public call of a router: its lock, one store transaction, the state in step.

    If the call fails, nothing of it stays: the store rolls back, and the state is
    reloaded from it at the next call (SQLite) or restored (in memory, for calls that
    change several leads). Calls that are not ``atomic`` take no snapshot: they do
    everything that can fail (validation, eligibility, the model's values) before they
    change the state, so that a single route does not pay for a copy.
    A class rather than a generator: it runs on every route.

    Parameters
    ----------
    live : Live
        The router's parts.
    write : bool, default True
        Whether the call writes to the store.
    atomic : bool, default False
        Whether to restore the in-memory state if the call fails.
    """

    __slots__ = ("atomic", "live", "snapshot", "transaction", "write")

    def __init__(self, live: Live, *, write: bool = True, atomic: bool = False) -> None:
        self.live, self.write, self.atomic = live, write, atomic
        self.snapshot: RouterState | None = None
        self.transaction: AbstractContextManager[int | None] | None = None

    def __enter__(self) -> None:
        live = self.live
        live.lock.acquire()
        try:
            if live.closed:
                raise ValueError("the router is closed")
            if self.atomic and not live.store.persistent:
                self.snapshot = live.state.copy()
            self.transaction = live.store.transaction(write=self.write)
            version = self.transaction.__enter__()
            try:
                sync(live, version)
            except BaseException as exc:
                self.transaction.__exit__(type(exc), exc, exc.__traceback__)
                raise
        except BaseException:
            live.lock.release()
            raise

    def __exit__(self, kind: Any, exc: Any, trace: Any) -> None:
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
            self.live.lock.release()

    def _undo(self) -> None:
        live = self.live
        if live.store.persistent:
            live.version = -1  # reload the committed state at the next call
        elif self.snapshot is not None:
            live.state = self.snapshot
