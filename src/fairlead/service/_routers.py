"""Each team's router in this process, built from the database and kept in step with it.

A service process keeps one :class:`~fairlead.Router` per team, over a
:class:`~fairlead.service._router_store.DatabaseStore`. Work that changes a team runs
through :meth:`TeamRouters.write` (or :meth:`TeamRouters.write_async`), on the team's
writer thread: in a transaction that locks the team's row (so writers of any process
take turns), shared with the requests queued behind it (group commit). Reads run through
:meth:`TeamRouters.read`. When the team's setup changed (another process, or this one,
added a manager or a policy), the router is rebuilt from the database and the work runs
again.
"""

from __future__ import annotations

import asyncio
import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
from sqlalchemy import Connection

from fairlead.records import InputError, InputWarning
from fairlead.router import Router
from fairlead.service._database import Database
from fairlead.service._errors import ApiError
from fairlead.service._router_store import (
    DatabaseStore,
    TeamChangedError,
    TeamGoneError,
    missed_trust,
)
from fairlead.service._teams import TeamSettings, TeamSetup, read_setup

T = TypeVar("T")
#: Rebuilds of a team's router one piece of work may need (setup changing meanwhile).
ATTEMPTS = 5
#: Requests served by one transaction at most (each holds a savepoint: PostgreSQL
#: keeps 64 of a transaction's subtransactions in memory).
BATCH = 32
#: Seconds a team's writer thread waits for work before it stops (a new one starts
#: with the next request).
WRITER_IDLE_SECONDS = 30.0


class _TrustMissedError(Exception):
    """A trusting transaction's checks failed: it was rolled back, to run again."""


def _settle(answered: asyncio.Future[None]) -> None:
    if not answered.done():  # a request cancelled meanwhile (the client left)
        answered.set_result(None)


@dataclass
class TeamRouter:
    """A team's router in this process, with the setup and store it was built on."""

    router: Router
    store: DatabaseStore
    setup: TeamSetup


def router_of(setup: TeamSetup, store: DatabaseStore | None) -> Router:
    """The router a team's setup describes (in memory without a store)."""
    settings = setup.settings
    with warnings.catch_warnings():
        # Managers over their limit were accepted, and said so, when they were stored.
        warnings.simplefilter("ignore", InputWarning)
        return _router(setup, settings, store)


def _router(setup: TeamSetup, settings: TeamSettings, store: DatabaseStore | None) -> Router:
    return Router(
        setup.managers,
        setup.policy,
        hours=setup.hours or None,
        absences=setup.absences,
        catch_up=settings.catch_up,
        sla=settings.sla,
        share_half_life=settings.share_half_life,
        max_hold=settings.max_hold,
        store=store,
        # The team's setup is versioned in the database; the router follows it.
        reconfigure=True,
    )


def check_setup(conn: Connection, tenant_id: str) -> None:
    """Refuse (422) a change that leaves the team with a setup no router can run.

    Called inside the transaction that made the change, so a refused change is never
    stored: a router is built from the new setup, in memory.
    """
    setup = read_setup(conn, tenant_id)
    if setup is None or not setup.managers:
        return
    try:
        # Figures too large to compute with (a touch counted as 1e300 leads) would give
        # infinities silently: here they are an error, and the change is refused.
        with np.errstate(over="raise", invalid="raise"), warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)
            router_of(setup, None).close()
    except InputError as exc:
        raise ApiError(
            422,
            f"the team's setup would not work, so nothing was changed: {exc}",
            field=exc.field,
            value=exc.value,
        ) from None
    except (ArithmeticError, RuntimeWarning) as exc:
        raise ApiError(
            422,
            "the team's setup would not work, so nothing was changed: a figure of the "
            f"policy or the team is too large to compute with ({exc})",
            field="policy",
        ) from None


class _Job:
    """One request's work on a team, waiting for a transaction.

    ``finished`` is called (from the team's writer thread) once the job has a result
    or an error: it wakes whoever waits for the answer.
    """

    __slots__ = ("error", "finished", "lead_id", "new", "result", "work")

    def __init__(
        self,
        work: Callable[[TeamRouter, Connection], Any],
        lead_id: str | None,
        finished: Callable[[], None],
        new: bool = False,
    ) -> None:
        self.work = work
        self.lead_id = lead_id
        self.finished = finished
        # Whether the work creates ``lead_id``'s decision when it has none (routing
        # a lead): then a transaction may assume it has none (DatabaseStore.trust).
        self.new = new
        self.result: Any = None
        self.error: BaseException | None = None


class _Slot:
    __slots__ = ("lock", "queue", "ready", "team", "writer")

    def __init__(self) -> None:
        # Held while the team's router is used: by the writer thread for a batch of
        # writes, by a read or a long call.
        self.lock = threading.Lock()
        self.team: TeamRouter | None = None
        self.queue: list[_Job] = []
        self.ready = threading.Condition(threading.Lock())
        self.writer: threading.Thread | None = None


class TeamRouters:
    """The routers of every team this process has served.

    Requests that change a team wait for one another (the team's decisions are
    sequential): one writer thread per team runs them. While one transaction runs, the
    requests that arrive queue up, and the next transaction serves them all, up to
    :data:`BATCH` (group commit): one lock, one state write and one commit for the
    lot; one request's failure takes back its work only (its writes dropped, or rolled
    back to a savepoint sent before them). A request is answered after its transaction
    commits. Right after this process's own write, a batch of new leads trusts the
    state it holds and is checked at the commit (``DatabaseStore.trust``).

    Parameters
    ----------
    db : Database
    """

    def __init__(self, db: Database) -> None:
        self.db = db
        self._slots: dict[str, _Slot] = {}
        self._guard = threading.Lock()

    def _slot(self, tenant_id: str) -> _Slot:
        slot = self._slots.get(tenant_id)
        if slot is None:
            with self._guard:
                slot = self._slots.setdefault(tenant_id, _Slot())
        return slot

    def write(
        self,
        tenant_id: str,
        work: Callable[[TeamRouter, Connection], T],
        *,
        lead_id: str | None = None,
        new: bool = False,
    ) -> T:
        """Run ``work`` in a write transaction of the team, its router up to date.

        The team's row is locked first, so the request's checks (an idempotency key,
        a lead's state) see what the last writer of any process left; ``lead_id``'s
        decision is read with the lock. Writes go through ``team.store.writes`` and are
        sent with the commit; a read of the database that must see them sends them
        first (``team.store.writes.flush(conn)``).

        ``new``: the work routes ``lead_id`` when it has no decision yet, and answers
        the same whether its decision was read first or not (a decision already there
        makes the transaction run again, read first).

        The calling thread waits; the work runs on the team's writer thread.
        """
        answered = threading.Event()
        job = _Job(work, lead_id, answered.set, new)
        self._submit(tenant_id, job)
        answered.wait()
        result: T = self._answer(job)
        return result

    async def write_async(
        self,
        tenant_id: str,
        work: Callable[[TeamRouter, Connection], T],
        *,
        lead_id: str | None = None,
        new: bool = False,
    ) -> T:
        """:meth:`write` for a coroutine: the event loop serves others meanwhile."""
        loop = asyncio.get_running_loop()
        answered: asyncio.Future[None] = loop.create_future()

        def finished() -> None:
            loop.call_soon_threadsafe(_settle, answered)

        job = _Job(work, lead_id, finished, new)
        self._submit(tenant_id, job)
        await answered
        result: T = self._answer(job)
        return result

    @staticmethod
    def _answer(job: _Job) -> Any:
        if job.error is not None:
            raise job.error
        return job.result

    def _submit(self, tenant_id: str, job: _Job) -> None:
        """Queue a job for the team's writer thread (started when the team has none)."""
        slot = self._slot(tenant_id)
        with slot.ready:
            slot.queue.append(job)
            if slot.writer is None:
                slot.writer = threading.Thread(
                    target=self._writer,
                    args=(slot, tenant_id),
                    name=f"fairlead-writer-{tenant_id[:32]}",
                    daemon=True,
                )
                slot.writer.start()
            else:
                slot.ready.notify()

    def _writer(self, slot: _Slot, tenant_id: str) -> None:
        """The team's writer: serve the queue in batches; stop after a while with none.

        One thread per team and process takes the team's requests in order, so that
        the requests that arrive while a transaction runs are served together by the
        next (group commit), and the event loop never waits for a thread of a pool.
        """
        while True:
            with slot.ready:
                if not slot.queue:
                    slot.ready.wait(WRITER_IDLE_SECONDS)
                if not slot.queue:
                    slot.writer = None
                    return
                batch, slot.queue = slot.queue[:BATCH], slot.queue[BATCH:]
            try:
                with slot.lock:
                    self._serve(slot, tenant_id, batch)
            except BaseException as exc:  # no job is left unanswered, whatever happens
                for job in batch:
                    job.error = job.error or exc
            finally:
                for job in batch:
                    job.finished()

    def _serve(self, slot: _Slot, tenant_id: str, batch: list[_Job]) -> None:
        """Run a batch of jobs in one transaction; each job ends with a result or an error."""
        for _ in range(ATTEMPTS):
            team = slot.team
            for job in batch:
                job.result, job.error = None, None
            try:
                if team is None:
                    team = slot.team = self._build(tenant_id)
                self._transaction(team, batch)
                return
            except _TrustMissedError:
                if team is not None:
                    team.store.trusted = False  # the next attempt reads first
                    team.store.stale = True  # and reloads the state the attempt moved on
                continue
            except TeamChangedError:
                slot.team = None
                continue
            except TeamGoneError:
                slot.team = None
                gone = ApiError(404, f"no team {tenant_id!r}", field="tenant")
                for job in batch:
                    job.error = gone
                return
            except BaseException as exc:
                if team is not None:
                    # The router's state may have moved on in memory for a
                    # transaction that did not commit: the next call reloads it.
                    team.store.stale = True
                for job in batch:
                    job.error = exc
                return
        busy = ApiError(503, f"team {tenant_id!r} is being changed; try again", field="tenant")
        for job in batch:
            job.error = busy

    def _transaction(self, team: TeamRouter, batch: list[_Job]) -> None:
        store = team.store
        leads = [job.lead_id for job in batch if job.lead_id is not None]
        # Routing new leads, right after this process's own write: the checks go with
        # the writes (one round trip); a check that fails runs the batch again.
        trusting = (
            self.db.dialect == "postgresql"
            and store.trusted
            and not store.stale
            and all(job.new for job in batch)
        )
        with self.db.write() as conn:
            if trusting:
                store.trust(conn, leads)
            else:
                store.adopt(conn, write=True, lead_ids=leads)
            try:
                if len(batch) == 1:  # alone: a failure rolls the transaction back
                    batch[0].result = batch[0].work(team, conn)
                    store.commit()
                    return
                for job in batch:
                    mark = store.mark()
                    try:
                        job.result = job.work(team, conn)
                    except (TeamChangedError, TeamGoneError):
                        raise
                    except Exception as exc:  # this request's answer; the others go on
                        if trusting and missed_trust(exc):
                            raise
                        store.undo(mark)
                        job.error = exc
                store.commit()
            except Exception as exc:
                if trusting and missed_trust(exc):
                    raise _TrustMissedError from exc
                raise
            finally:
                store.leave()

    def read(self, tenant_id: str, work: Callable[[TeamRouter, Connection], T]) -> T:
        """Run ``work`` in one read transaction of the team, its router up to date."""
        return self._run(tenant_id, work)

    def _run(self, tenant_id: str, work: Callable[[TeamRouter, Connection], T]) -> T:
        slot = self._slot(tenant_id)
        with slot.lock:
            for _ in range(ATTEMPTS):
                team = slot.team
                try:
                    if team is None:
                        team = slot.team = self._build(tenant_id)
                    with self.db.read() as conn:
                        team.store.adopt(conn, write=False)
                        try:
                            return work(team, conn)
                        finally:
                            team.store.leave()
                except TeamChangedError:
                    slot.team = None
                    continue
                except TeamGoneError:
                    slot.team = None
                    raise ApiError(404, f"no team {tenant_id!r}", field="tenant") from None
                except BaseException:
                    if team is not None:
                        # The router's state may have moved on in memory for a
                        # transaction that did not commit: the next call reloads it.
                        team.store.stale = True
                    raise
            raise ApiError(503, f"team {tenant_id!r} is being changed; try again", field="tenant")

    def call(self, tenant_id: str, work: Callable[[TeamRouter], T]) -> T:
        """Run ``work`` on the team's router outside a transaction of ours.

        For long work (a price refresh solves a batch): the router opens its own short
        transactions, so other processes route meanwhile; this process's requests for
        the team wait for the lock.
        """
        slot = self._slot(tenant_id)
        with slot.lock:
            for _ in range(ATTEMPTS):
                team = slot.team
                try:
                    if team is None:
                        team = slot.team = self._build(tenant_id)
                    return work(team)
                except TeamChangedError:
                    slot.team = None
                except TeamGoneError:
                    slot.team = None
                    raise ApiError(404, f"no team {tenant_id!r}", field="tenant") from None
            raise ApiError(503, f"team {tenant_id!r} is being changed; try again", field="tenant")

    def _build(self, tenant_id: str) -> TeamRouter:
        with self.db.read() as conn:
            setup = read_setup(conn, tenant_id)
        if setup is None:
            raise TeamGoneError(tenant_id)
        if not setup.managers:
            raise ApiError(
                409,
                f"team {tenant_id!r} has no managers yet: add one with PUT /v1/managers/{{id}}",
                field="managers",
            )
        store = DatabaseStore(self.db, tenant_id, setup.revision)
        return TeamRouter(router_of(setup, store), store, setup)

    def forget(self, tenant_id: str) -> None:
        """Drop this process's router of a team (rebuilt at its next request)."""
        slot = self._slots.get(tenant_id)
        if slot is not None:
            with slot.lock:
                slot.team = None
