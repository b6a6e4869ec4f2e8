"""A router's store in the service's database: one per team, shared by every process.

:class:`DatabaseStore` keeps what the router's SQLite file keeps (decisions, event
log, settings, state), in the tables of :mod:`fairlead.service._tables` with the team's
id on every row. The router's own rules run unchanged on top (one implementation):
each public call is one transaction that first locks the team's row, so writers of a
team take turns across processes and machines, and a process that finds a newer state
version reloads it before it decides.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import Connection, and_, bindparam, case, func, insert, literal_column, select
from sqlalchemy.dialects import postgresql, sqlite

from fairlead.router import Books, DamagedStoreError, StoreEntry, Tally
from fairlead.service._database import Database
from fairlead.service._pipeline import SAVEPOINT, Writes, read_together
from fairlead.service._tables import (
    router_events,
    router_leads,
    router_meta,
    router_state,
    tenants,
)

#: Columns of a decision, in the order :func:`_entry` reads them.
_LEAD_COLUMNS = (
    "lead_id", "seq", "manager_id", "kind", "value", "price", "reason", "routed_at",
    "previous", "runner_up", "due_at", "contacted_at", "released_at", "outcome",
    "reassignments", "lead", "value_row", "offered_at", "work",
)  # fmt: skip
_L = router_leads.c
_SELECT = select(*(router_leads.c[name] for name in _LEAD_COLUMNS))
_MINE = _L.tenant_id == bindparam("tenant")
_GET = _SELECT.where(_MINE, _L.lead_id == bindparam("lead_id"))
_OVERDUE = _SELECT.where(
    _MINE,
    _L.manager_id.is_not(None),
    _L.contacted_at.is_(None),
    _L.released_at.is_(None),
    _L.due_at <= bindparam("ts"),
).order_by(_L.due_at, _L.seq)
_WAITING = _SELECT.where(_MINE, _L.manager_id.is_(None), _L.released_at.is_(None)).order_by(_L.seq)
_PENDING = _SELECT.where(_MINE, _L.released_at.is_(None)).order_by(_L.seq)
_PEEK = (
    select(tenants.c.revision, router_state.c.version)
    .select_from(tenants.outerjoin(router_state, router_state.c.tenant_id == tenants.c.id))
    .where(tenants.c.id == bindparam("tenant"))
)
# Writers lock the team's row, then read the state's version in a statement of its
# own: under READ COMMITTED a statement that waited for a lock sees the locked row as
# committed since, but other rows of the same statement as of before the wait, so a
# version read in the locking statement could be stale. The statements after it start
# after the lock is held (in the same round trip: they are sent together).
_LOCK = select(tenants.c.revision).where(tenants.c.id == bindparam("tenant")).with_for_update()
# The version, and the state itself when it is not the one this process holds
# (another process wrote since): the reload then costs no round trip of its own.
# With it, the two settings a router reads when the version moved (router._sync.sync).
_SYNC_KEYS = ("manager_ids", "generation")


def _setting(name: str) -> Any:
    return (
        select(router_meta.c.value)
        .where(
            router_meta.c.tenant_id == router_state.c.tenant_id,
            router_meta.c.key == bindparam(name),
        )
        .scalar_subquery()
    )


_FRESH = select(
    router_state.c.version,
    case((router_state.c.version != bindparam("known"), router_state.c.data), else_=None),
    _setting("key1"),
    _setting("key2"),
).where(router_state.c.tenant_id == bindparam("tenant"))
# A transaction that trusts what this process knows (see DatabaseStore.trust) locks the
# team's row, then checks in a statement of its own that the team and the state are
# still the ones it knows: if not, a division by zero aborts the transaction.
_SAME = select(
    literal_column("1")
    / case(
        (
            and_(
                select(tenants.c.revision)
                .where(tenants.c.id == bindparam("tenant"))
                .scalar_subquery()
                == bindparam("revision"),
                select(router_state.c.version)
                .where(router_state.c.tenant_id == bindparam("tenant"))
                .scalar_subquery()
                == bindparam("version"),
            ),
            literal_column("1"),
        ),
        else_=literal_column("0"),
    )
)
#: A decision assumed new: a row already there is an error, not an update.
_NEW_LEAD = insert(router_leads)
_STATE = select(router_state.c.version, router_state.c.data).where(
    router_state.c.tenant_id == bindparam("tenant")
)
_META = select(router_meta.c.value).where(
    router_meta.c.tenant_id == bindparam("tenant"), router_meta.c.key == bindparam("key")
)
_LOG = insert(router_events)

#: Rows no router writes (the database enforces the types the SQLite store checks).
_ODD = (
    _L.kind.not_in(("routed", "reassigned", "waiting"))
    | (_L.manager_id.is_(None) & (_L.kind != "waiting"))
    | (_L.manager_id.is_not(None) & (_L.kind == "waiting"))
    | (_L.work < 0)
)


def _count(condition: Any) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


_BY_MANAGER = (
    select(
        _L.manager_id,
        func.count(),
        _count(_L.released_at.is_(None)),
        func.coalesce(func.sum(case((_L.released_at.is_(None), _L.work), else_=0.0)), 0.0),
        _count(_L.released_at.is_not(None)),
        _count(and_(_L.released_at.is_not(None), _L.outcome == "won")),
        func.coalesce(func.sum(_L.reassignments), 0),
        _count(_ODD),
    )
    .where(_MINE)
    .group_by(_L.manager_id)
)
_ODD_ROWS = select(_L.lead_id, _L.manager_id, _L.kind, _L.work).where(_MINE, _ODD).limit(5)


_UPSERTS: dict[tuple[str, str], Any] = {}


def _upsert_statement(dialect: str, table: Any, keys: tuple[str, ...]) -> Any:
    """``INSERT … ON CONFLICT (keys) DO UPDATE`` of every other column, built once."""
    built = _UPSERTS.get((dialect, table.name))
    if built is None:
        insert_of = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = insert_of(table)
        changed = {c.name: statement.excluded[c.name] for c in table.c if c.name not in keys}
        # Without a key the serial column would be set to NULL: every table upserted
        # here has none.
        built = statement.on_conflict_do_update(index_elements=list(keys), set_=changed)
        _UPSERTS[(dialect, table.name)] = built
    return built


#: How a packed state begins.
_PACKED = b"FLZ1"


def _packed(data: bytes) -> bytes:
    """A router state as stored: packed with zlib (about a sixth of its size).

    A team's state (24 kB of numbers for 200 managers, many of them zero) is written
    with every transaction; packed, PostgreSQL writes 4 kB to its log and its
    out-of-line storage instead of 24, which its vacuum then has to clear.
    """
    return _PACKED + zlib.compress(data, 1)


def _packed_row(row: dict[str, Any]) -> dict[str, Any]:
    """A state's row as sent: the state packed (only the state a transaction sends)."""
    return row | {"data": _packed(row["data"])}


_UNKNOWN = object()
_ROLLBACK_TO = f"ROLLBACK TO SAVEPOINT {SAVEPOINT}"


@dataclass
class Mark:
    """Where a transaction was before a piece of work: enough to take the work back."""

    writes: int
    flushed: int
    entries: dict[str, StoreEntry | None]
    meta: dict[str, str]
    held: Any


_LEAD_KEY = ("tenant_id", "lead_id")
_TEAM_KEY = ("tenant_id",)
_META_KEY = ("tenant_id", "key")


class TeamChangedError(Exception):
    """The team, its policy or its routing settings changed since the router was built."""


class TeamGoneError(LookupError):
    """The team was deleted while a router of it was open."""


class DatabaseStore:
    """The :class:`~fairlead.router.Store` of one team in the service's database.

    Parameters
    ----------
    db : Database
    tenant_id : str
        The team.
    revision : int
        The team's revision the router is built for: a transaction that finds another
        raises :class:`TeamChangedError` before anything is read or written.

    Attributes
    ----------
    outer : Connection or None
        The service's transaction, when the router's call is part of one (the request's
        idempotency record and KPI events commit with the decision); the store then
        neither begins nor commits.
    stale : bool
        Set when an outer transaction was rolled back after a router call: the router's
        state moved on in memory, so the next call reloads it from the database.
    """

    persistent = True

    def __init__(self, db: Database, tenant_id: str, revision: int) -> None:
        self.db = db
        self.tenant = tenant_id
        self.revision = revision
        self.outer: Connection | None = None
        self.stale = False
        self._conn: Connection | None = None
        # The state's version in the outer transaction, known since it was adopted
        # (None: no state yet); _UNKNOWN: read it from the database.
        self._held: int | object | None = _UNKNOWN
        self._held_write = False
        # Writes of the transaction in progress, sent at its end (see _pipeline), and
        # what they put, so that reads in the same transaction see them.
        self.writes = Writes()
        self._entries: dict[str, StoreEntry | None] = {}
        self._meta: dict[str, str] = {}
        # The state as read with the lock when another process wrote it, and the
        # version this process last read or wrote (the lock's query skips the state
        # when the stored one is that).
        self._state: tuple[int, bytes] | None = None
        self._seen = -1
        # Whether the last transaction found the state as this process left it (no
        # other process wrote since): the next may trust it (see trust).
        self.trusted = False
        # Leads a trusting transaction assumed to have no decision yet.
        self._assumed_new: set[str] = set()
        self._params = {"tenant": tenant_id}

    def __str__(self) -> str:
        return f"team {self.tenant!r} in {self.db.shown}"

    # -- transactions -------------------------------------------------------------------

    @contextmanager
    def _begin(self, write: bool) -> Iterator[int | None]:
        """The transaction of one router call; yields the state's version (``None``: none)."""
        if self.outer is not None:
            yield from self._within(self.outer, write)
            return
        try:
            with self.db.write() if write else self.db.read() as conn:
                yield from self._within(conn, write)
                self.writes.flush(conn, commit=True)
        finally:
            self._forget()

    def _forget(self) -> None:
        """The transaction is over: its pending writes and what they put are dropped."""
        self.writes.clear()
        self._entries.clear()
        self._meta.clear()
        self._state = None

    def _check(self, conn: Connection, write: bool) -> int | None:
        """The team's row (locked to write) checked; the state's version (None: none yet).

        One round trip: the lock (writers of a team take turns, in any process), the
        team's revision and the routing state's version.
        """
        return self._locked(write, read_together(conn, self._checks(write)))

    def _checks(self, write: bool) -> list[tuple[Any, dict[str, Any]]]:
        """The queries that open a transaction of the team, sent together."""
        if not write:  # one statement: a read-only snapshot
            return [(_PEEK, self._params)]
        fresh = {"tenant": self.tenant, "known": self._seen}
        fresh.update(key1=_SYNC_KEYS[0], key2=_SYNC_KEYS[1])
        return [(_LOCK, self._params), (_FRESH, fresh)]

    def _locked(self, write: bool, found: list[list[tuple[Any, ...]]]) -> int | None:
        """The checks' answers read: the revision checked, the state and settings kept."""
        if not write:
            return self._checked(found[0][0] if found[0] else None)
        if not found[0]:
            return self._checked(None)
        fresh = found[1][0] if found[1] else (None, None, None, None)
        self.trusted = fresh[0] is not None and int(fresh[0]) == self._seen
        if fresh[1] is not None:
            self._state = (int(fresh[0]), self._unpacked(bytes(fresh[1])))
        for key, value in zip(_SYNC_KEYS, fresh[2:], strict=True):
            if value is not None:
                self._meta[key] = str(value)
        return self._checked((found[0][0][0], fresh[0]))

    def _checked(self, row: tuple[Any, ...] | None) -> int | None:
        if row is None:
            raise TeamGoneError(f"team {self.tenant!r} no longer exists")
        if row[0] != self.revision:
            raise TeamChangedError(
                f"team {self.tenant!r} changed (revision {row[0]}, router built for "
                f"{self.revision})"
            )
        return None if row[1] is None else int(row[1])

    def adopt(self, conn: Connection, *, write: bool, lead_ids: Sequence[str] = ()) -> None:
        """Make the service's transaction this store's, the team checked (locked to write).

        The router's calls in it take the state's version from here (the store keeps it
        as the router saves), so each call saves a round trip; ``lead_id``'s decision
        is read in the same round trip as the lock.
        """
        checks = self._checks(write)
        wanted = list(dict.fromkeys(lead_ids))
        queries = checks + [(_GET, {"tenant": self.tenant, "lead_id": x}) for x in wanted]
        found = read_together(conn, queries)
        self._held = self._locked(write, found[: len(checks)])
        self._held_write = write
        for lead_id, rows in zip(wanted, found[len(checks) :], strict=True):
            self._entries[lead_id] = self._entry(rows[0]) if rows else None
        self.outer = conn

    def trust(self, conn: Connection, lead_ids: Sequence[str]) -> None:
        """Make the service's transaction this store's, trusting what this process knows.

        When this process wrote the team's state last, the lock and the checks need
        not be read before deciding: they are sent with the writes, at the commit, in
        one round trip instead of two. The leads are assumed to have no decision yet.
        Every assumption is checked by the database when the writes arrive: the team's
        row is locked, then a statement fails unless the team's revision and the
        state's version are still the ones known, and a decision already there for a
        lead fails its insert. A transaction that fails so (:func:`missed_trust`) is
        rolled back and the work runs again in the ordinary way.
        """
        if self._seen < 0 or self.stale:
            raise RuntimeError("a store trusts only a state it read or wrote itself")
        self._held, self._held_write = self._seen, True
        self._assumed_new = set(lead_ids)
        for lead_id in lead_ids:
            self._entries[lead_id] = None
        self.writes.execute(_LOCK, self._params)
        same = {"tenant": self.tenant, "revision": self.revision, "version": self._seen}
        self.writes.execute(_SAME, same)
        self.outer = conn

    def mark(self) -> Mark:
        """Where the transaction is before a piece of work (see :meth:`undo`).

        The database gets a savepoint here only if the work's writes are sent before
        it ends (:meth:`Writes.open_piece`).
        """
        self.writes.open_piece()
        return Mark(
            writes=len(self.writes),
            flushed=self.writes.flushed,
            entries=dict(self._entries),
            meta=dict(self._meta),
            held=self._held,
        )

    def undo(self, mark: Mark) -> None:
        """Take back a failed piece of work: its writes, what it put, the router's state.

        Writes still kept are forgotten; if some were sent already, the database goes
        back to the savepoint. The router reloads its state at its next call.
        """
        if self.writes.flushed != mark.flushed:
            self.writes.clear()
            self.conn_of_outer().exec_driver_sql(_ROLLBACK_TO)
        else:
            self.writes.truncate(mark.writes)
        self._entries = mark.entries
        self._meta = mark.meta
        self._held = mark.held
        self._state = None
        self.stale = True

    def conn_of_outer(self) -> Connection:
        """The service's transaction (an error outside one)."""
        if self.outer is None:
            raise RuntimeError("no transaction of the service is in progress")
        return self.outer

    def commit(self) -> None:
        """Send the outer transaction's writes, and on PostgreSQL its commit, together."""
        if self.outer is not None:
            self.writes.flush(self.outer, commit=True)

    def leave(self) -> None:
        """The service's transaction is over (committed or rolled back)."""
        self.outer = None
        self._held = _UNKNOWN
        self._assumed_new.clear()
        self._forget()

    def _within(self, conn: Connection, write: bool) -> Iterator[int | None]:
        known = conn is self.outer and self._held is not _UNKNOWN
        if known and (self._held_write or not write):
            version = self._held
        else:
            version = self._check(conn, write)
        self._conn = conn
        try:
            yield version  # type: ignore[misc]
        finally:
            self._conn = None

    @contextmanager
    def opening(self) -> Iterator[bool]:
        """The router's first transaction: whether the team has no routing state yet."""
        with self._begin(True) as version:
            yield version is None

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[int | None]:
        """One router call; yields the stored state's version."""
        with self._begin(write) as version:
            if version is None:
                raise self.damaged("its state row is missing (deleted while the router ran)")
            if self.stale:
                self.stale = False
                yield -2  # never the router's own version: it reloads
            else:
                yield version

    @property
    def conn(self) -> Connection:
        """The connection of the transaction in progress."""
        if self._conn is None:
            raise RuntimeError("the store is used outside a transaction")
        return self._conn

    # -- decisions ----------------------------------------------------------------------

    def get(self, lead_id: str) -> StoreEntry | None:
        """The lead's entry, or ``None``."""
        if lead_id in self._entries:
            return self._entries[lead_id]
        row = self.conn.execute(_GET, {"tenant": self.tenant, "lead_id": lead_id}).first()
        return None if row is None else self._entry(tuple(row))

    def _reading(self) -> Connection:
        """The connection, the transaction's writes sent first (a query must see them)."""
        conn = self.conn
        if self.writes:
            self.writes.flush(conn)
        return conn

    def put(self, entry: StoreEntry) -> None:
        """Insert or replace the lead's entry."""
        row = entry.value_row
        values = {
            "tenant_id": self.tenant,
            "lead_id": entry.lead_id,
            "seq": entry.seq,
            "manager_id": entry.manager,
            "kind": entry.kind,
            "value": entry.value,
            "price": entry.price,
            "reason": entry.reason,
            "routed_at": entry.routed_at,
            "previous": entry.previous,
            "runner_up": entry.runner_up,
            "due_at": entry.due_at,
            "contacted_at": entry.contacted_at,
            "released_at": entry.released_at,
            "outcome": entry.outcome,
            "reassignments": entry.reassignments,
            "lead": entry.lead_json,
            "value_row": None if row is None else np.asarray(row, dtype=np.float64).tobytes(),
            "offered_at": entry.offered_at,
            "work": entry.work,
        }
        if entry.lead_id in self._assumed_new:
            self._assumed_new.discard(entry.lead_id)
            self.writes.execute(_NEW_LEAD, values)
        else:
            statement = _upsert_statement(self.db.dialect, router_leads, _LEAD_KEY)
            self.writes.execute(statement, values)
        self._entries[entry.lead_id] = entry

    def log(
        self, at: float, kind: str, lead_id: str | None, manager: str | None, detail: str
    ) -> None:
        """Append to the team's router event log."""
        self.writes.execute(
            _LOG,
            {
                "tenant_id": self.tenant,
                "at": at,
                "kind": kind,
                "lead_id": lead_id,
                "manager_id": manager,
                "detail": detail,
            },
        )

    def overdue(self, ts: float) -> list[StoreEntry]:
        """Open leads not contacted whose SLA deadline has passed, earliest first."""
        rows = self._reading().execute(_OVERDUE, {"tenant": self.tenant, "ts": ts})
        return [self._entry(tuple(r)) for r in rows]

    def waiting(self) -> list[StoreEntry]:
        """Leads no manager could take yet (and not closed), in arrival order."""
        return [self._entry(tuple(r)) for r in self._reading().execute(_WAITING, self._params)]

    def pending(self) -> list[StoreEntry]:
        """Every lead not released yet."""
        return [self._entry(tuple(r)) for r in self._reading().execute(_PENDING, self._params)]

    # -- state and settings -------------------------------------------------------------

    def load_state(self) -> tuple[int, bytes] | None:
        """The stored state and its version."""
        if self._state is not None:  # read with the lock (another process wrote)
            self._seen = self._state[0]
            return self._state
        row = self._reading().execute(_STATE, self._params).first()
        loaded = None if row is None else (int(row[0]), self._unpacked(bytes(row[1])))
        if loaded is not None:
            self._seen = loaded[0]
        return loaded

    def save_state(self, version: int, data: bytes) -> None:
        """Store the state with its new version."""
        values = {"tenant_id": self.tenant, "version": version, "data": data}
        # Only the last state of a transaction needs writing: several decisions in
        # one transaction write one state (see Writes.execute's ``latest``).
        statement = _upsert_statement(self.db.dialect, router_state, _TEAM_KEY)
        self.writes.execute(statement, values, latest="state", late=_packed_row)
        self._state = None
        self._seen = version
        if self.outer is not None:
            self._held = version

    def meta(self, key: str) -> str | None:
        """A stored setting of the team's router."""
        if key in self._meta:
            return self._meta[key]
        row = self.conn.execute(_META, {"tenant": self.tenant, "key": key}).first()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        """Store a setting of the team's router."""
        values = {"tenant_id": self.tenant, "key": key, "value": value}
        self.writes.execute(_upsert_statement(self.db.dialect, router_meta, _META_KEY), values)
        self._meta[key] = value

    def books(self, known: Iterable[str] = ()) -> Books:
        """The team's decisions counted by manager, in one query."""
        books = Books()
        odd = 0
        for mid, held, open_, work, released, won, moves, bad in self._reading().execute(
            _BY_MANAGER, self._params
        ):
            books.rows += int(held)
            books.reassignments += int(moves)
            odd += int(bad)
            if mid is None:
                continue
            books.by_manager[str(mid)] = Tally(
                held=int(held),
                open=int(open_),
                work=float(work),
                released=int(released),
                won=int(won),
            )
        strangers = sorted(set(books.by_manager) - set(known))
        for mid in strangers[:8]:
            first = self.conn.execute(
                select(func.min(_L.lead_id)).where(_MINE, _L.manager_id == mid), self._params
            ).scalar_one()
            books.first[mid] = str(first)
        if odd:
            for lead_id, mid, kind, work in self.conn.execute(_ODD_ROWS, self._params):
                who = "no manager" if mid is None else f"manager {mid!r}"
                what = f"a workload of {work!r}" if work < 0 else f"kind {kind!r} and {who}"
                books.odd.append(f"lead {lead_id!r} has {what}")
            if odd > len(books.odd):
                books.odd.append(f"{odd - len(books.odd)} more such row(s)")
        return books

    def _unpacked(self, stored: bytes) -> bytes:
        """A stored state as the router wrote it (see :func:`_packed`)."""
        if not stored.startswith(_PACKED):
            return stored  # written before states were packed
        try:
            return zlib.decompress(stored[len(_PACKED) :])
        except zlib.error as exc:
            raise self.damaged(f"its packed state cannot be unpacked ({exc})") from None

    def damaged(self, detail: object) -> DamagedStoreError:
        """The error for stored routing state that is not what a router wrote."""
        return DamagedStoreError(f"the router store of {self} is damaged: {detail}")

    def close(self) -> None:
        """Nothing to close: the engine's connections are shared by the service."""

    # -- helpers ------------------------------------------------------------------------

    def _entry(self, row: tuple[Any, ...]) -> StoreEntry:
        try:
            return _entry(row)
        except (TypeError, ValueError) as exc:
            raise self.damaged(f"its row of lead {row[0]!r} cannot be read ({exc})") from None


def _entry(row: tuple[Any, ...]) -> StoreEntry:
    (lead_id, seq, manager, kind, value, price, reason, routed_at, previous, runner_up,
     due_at, contacted_at, released_at, outcome, reassignments, lead, blob, offered_at,
     work) = row  # fmt: skip
    return StoreEntry(
        lead_id=str(lead_id),
        lead_json=str(lead),
        manager=None if manager is None else str(manager),
        kind=str(kind),
        value=float(value),
        price=float(price),
        reason=str(reason),
        routed_at=float(routed_at),
        seq=int(seq),
        previous=previous,
        runner_up=runner_up,
        due_at=due_at,
        contacted_at=contacted_at,
        released_at=released_at,
        outcome=outcome,
        reassignments=int(reassignments),
        value_row=None if blob is None else np.frombuffer(bytes(blob), dtype=np.float64).copy(),
        offered_at=offered_at,
        work=float(work),
    )


#: SQLSTATEs of a trusting transaction's checks failing: the state or team changed
#: (division by zero in the check), a lead had a decision already (unique violation).
_MISSED = ("22012", "23505")


def missed_trust(exc: BaseException) -> bool:
    """Whether an error is a trusting transaction's check failing (see ``trust``)."""
    return getattr(getattr(exc, "orig", None), "sqlstate", None) in _MISSED
