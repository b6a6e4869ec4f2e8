"""Where a router keeps its decisions and state: in memory, or in SQLite (WAL)."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np
from pydantic import ValidationError

from fairlead.core import FloatArray
from fairlead.records import InputError, Lead, describe_error
from fairlead.router._books import Books, read_books
from fairlead.router._errors import REPAIR_HINT, DamagedStoreError, StoreError
from fairlead.router._format import COLUMNS, Kind, classify, create, table_problems


@dataclass(slots=True)
class Entry:
    """What the router knows of one lead: the decision, the SLA clock and the outcome.

    ``routed_at`` is when the lead arrived while it waits, then when its current
    manager got it (the start of its SLA clock). ``work`` is the workload charged to
    that manager when they got it (0 while it waits): its release takes off the same.
    """

    lead_id: str
    lead_json: str
    manager: str | None
    kind: str
    value: float
    price: float
    reason: str
    routed_at: float
    seq: int
    previous: str | None = None
    runner_up: str | None = None
    due_at: float | None = None
    contacted_at: float | None = None
    released_at: float | None = None
    outcome: str | None = None
    reassignments: int = 0
    value_row: FloatArray | None = None
    offered_at: float | None = None
    work: float = 0.0

    @property
    def lead(self) -> Lead:
        """The lead record (kept as JSON: fewer live objects for the garbage collector)."""
        try:
            return Lead.model_validate_json(self.lead_json)
        except ValidationError as exc:
            detail = describe_error(exc.errors()[0])[1]
            raise DamagedStoreError(
                f"the router store is damaged: the record of lead {self.lead_id!r} "
                f"cannot be read ({detail})"
            ) from None


class Store(Protocol):
    """The ledger a router writes through; one transaction per public call.

    A router keeps its decisions (one :class:`StoreEntry` per lead), an event log,
    a few settings (``meta``) and its state (a versioned blob) in a store. fairlead
    has three: in memory, a SQLite file, and the database of ``fairlead serve``.

    The contract:

    * :meth:`opening` is the router's first transaction; it yields whether the store
      is new (then the router writes its setup and state).
    * :meth:`transaction` wraps each public call; it yields the stored state's version
      (``None`` for a store that keeps no state). Writers must be serialized: while one
      write transaction runs, no other (in any process) may start, so that a router
      that finds another version reloads the state (:meth:`load_state`) and works
      on the latest one. An exception in the block rolls everything back.
    * :meth:`books` recounts the decisions by manager, so the router can check that its
      state and its decisions agree when it resumes (``None``: nothing to recount).
    * ``persistent`` says whether the store outlives the router (settings and team are
      then remembered and compared when it is reopened).
    """

    persistent: bool

    def opening(self) -> AbstractContextManager[bool]: ...  # pragma: no cover

    def transaction(
        self, *, write: bool = True
    ) -> AbstractContextManager[int | None]: ...  # pragma: no cover

    def get(self, lead_id: str) -> Entry | None: ...  # pragma: no cover

    def put(self, entry: Entry) -> None: ...  # pragma: no cover

    def log(
        self, at: float, kind: str, lead_id: str | None, manager: str | None, detail: str
    ) -> None: ...  # pragma: no cover

    def overdue(self, ts: float) -> list[Entry]: ...  # pragma: no cover

    def waiting(self) -> list[Entry]: ...  # pragma: no cover

    def pending(self) -> list[Entry]: ...  # pragma: no cover

    def load_state(self) -> tuple[int, bytes] | None: ...  # pragma: no cover

    def save_state(self, version: int, data: bytes) -> None: ...  # pragma: no cover

    def meta(self, key: str) -> str | None: ...  # pragma: no cover

    def set_meta(self, key: str, value: str) -> None: ...  # pragma: no cover

    def books(self, known: Iterable[str] = ()) -> Books | None: ...  # pragma: no cover

    def damaged(self, detail: object) -> DamagedStoreError: ...  # pragma: no cover

    def close(self) -> None: ...  # pragma: no cover


def _pending(entry: Entry) -> bool:
    """Waiting for a manager or held by one: not released yet."""
    return entry.released_at is None


class _MemoryTransaction:
    """A :class:`MemoryStore` transaction: an undo journal of entries and the event log."""

    __slots__ = ("logged", "store")

    def __init__(self, store: MemoryStore) -> None:
        self.store = store
        self.logged = 0

    def __enter__(self) -> None:
        self.store._undo = []
        self.logged = len(self.store.events)

    def __exit__(self, kind: Any, exc: Any, trace: Any) -> None:
        store = self.store
        if kind is not None and store._undo is not None:
            for lead_id, before in reversed(store._undo):
                store._set(lead_id, before)
            del store.events[self.logged :]
        store._undo = None


class _MemoryOpening:
    """:meth:`MemoryStore.opening`: a transaction on a store that is always new."""

    __slots__ = ("transaction",)

    def __init__(self, store: MemoryStore) -> None:
        self.transaction = _MemoryTransaction(store)

    def __enter__(self) -> bool:
        self.transaction.__enter__()
        return True

    def __exit__(self, kind: Any, exc: Any, trace: Any) -> None:
        self.transaction.__exit__(kind, exc, trace)


class MemoryStore:
    """Decisions kept in a dict; the state lives in the router only.

    A transaction keeps an undo journal, so a call that fails half-way leaves the
    entries and the log as they were. Leads not released yet are also indexed on
    their own, so finding the overdue and the waiting ones does not scan the history.
    """

    persistent: bool = False

    def __init__(self) -> None:
        self.entries: dict[str, Entry] = {}
        self.events: list[tuple[float, str, str | None, str | None, str]] = []
        self._meta: dict[str, str] = {}
        self._pending: dict[str, Entry] = {}
        self._undo: list[tuple[str, Entry | None]] | None = None

    def opening(self) -> AbstractContextManager[bool]:
        """The first call of a router: always on a new store."""
        return _MemoryOpening(self)

    def transaction(self, *, write: bool = True) -> _MemoryTransaction:
        """Undo every change of the block if it raises."""
        return _MemoryTransaction(self)

    def _set(self, lead_id: str, entry: Entry | None) -> None:
        if entry is None:
            self.entries.pop(lead_id, None)
            self._pending.pop(lead_id, None)
            return
        self.entries[lead_id] = entry
        if _pending(entry):
            self._pending[lead_id] = entry
        else:
            self._pending.pop(lead_id, None)

    def get(self, lead_id: str) -> Entry | None:
        """The lead's entry, or ``None``."""
        return self.entries.get(lead_id)

    def put(self, entry: Entry) -> None:
        """Insert or replace the lead's entry."""
        if self._undo is not None:
            self._undo.append((entry.lead_id, self.entries.get(entry.lead_id)))
        self._set(entry.lead_id, entry)

    def log(
        self, at: float, kind: str, lead_id: str | None, manager: str | None, detail: str
    ) -> None:
        """Append to the event log."""
        self.events.append((at, kind, lead_id, manager, detail))

    def overdue(self, ts: float) -> list[Entry]:
        """Open leads not contacted whose SLA deadline has passed, earliest first."""
        late = [
            e
            for e in self._pending.values()
            if e.manager is not None
            and e.contacted_at is None
            and e.due_at is not None
            and e.due_at <= ts
        ]
        return sorted(late, key=lambda e: (e.due_at, e.seq))

    def waiting(self) -> list[Entry]:
        """Leads no manager could take yet (and not closed), in arrival order."""
        return sorted((e for e in self._pending.values() if e.manager is None), key=lambda e: e.seq)

    def pending(self) -> list[Entry]:
        """Every lead not released yet."""
        return list(self._pending.values())

    def load_state(self) -> tuple[int, bytes] | None:
        """Nothing stored."""
        return None

    def save_state(self, version: int, data: bytes) -> None:
        """Nothing to save."""

    def meta(self, key: str) -> str | None:
        """A stored setting."""
        return self._meta.get(key)

    def set_meta(self, key: str, value: str) -> None:
        """Store a setting."""
        self._meta[key] = value

    def books(self, known: Iterable[str] = ()) -> Books | None:
        """Nothing to recount: the state lives in the router only."""
        return None

    def damaged(self, detail: object) -> DamagedStoreError:
        """The error for state that is not what a router wrote."""
        return DamagedStoreError(f"the router store 'in memory' is damaged: {detail}")

    def close(self) -> None:
        """Nothing to close."""


#: Size the write-ahead log file is cut back to once it starts over.
WAL_LIMIT = 64 * 2**20
#: Commits between two checkpoints at most (about 50 MB of log at 200 managers).
CHECKPOINT_COMMITS = 1000

_NAMES = COLUMNS["leads"]
_COLUMNS = ", ".join(_NAMES)
_PLACES = ", ".join("?" * len(_NAMES))


class SqliteStore:
    """Decisions, events and the router state in one SQLite file (WAL journal).

    Every public router call is one ``BEGIN IMMEDIATE`` transaction: a decision, its
    log line and the new state are written together or not at all, so a process killed
    at any point restarts exactly where the last committed call left it. Several
    processes may share the file: each call first reloads the state if another
    process committed since (the state row carries a version).

    ``durability="normal"`` survives a crash of the process (WAL, ``synchronous=NORMAL``);
    ``"full"`` also survives a power cut, at the price of an fsync per call.

    The WAL is copied back into the database by the call that commits
    ``checkpoint_every`` seconds or 1000 commits after the last checkpoint, whichever
    comes first (rather than every 1000 pages, SQLite's default, about every 100 calls
    here): under load about one call in a thousand pays for a checkpoint, and the log
    stays bounded.

    The file carries fairlead's marks (``application_id``, the format as
    ``user_version``, see :mod:`fairlead.router._format`): another application's file is
    refused before anything is written to it, and an unmarked store of an earlier
    fairlead only with ``unmarked=True`` (for :func:`~fairlead.router.repair_store`).
    """

    persistent = True

    def __init__(
        self,
        path: str | Path,
        *,
        durability: Literal["normal", "full"] = "normal",
        checkpoint_every: float = 1.0,
        unmarked: bool = False,
    ) -> None:
        if durability not in ("normal", "full"):
            raise InputError(
                f"durability must be 'normal' or 'full', got {durability!r}",
                field="durability",
                value=durability,
            )
        self.path = str(path)
        self.unmarked = unmarked
        try:
            self.db = sqlite3.connect(
                self.path, timeout=30.0, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise StoreError(
                f"cannot open the router store {self.path!r}: {exc}", path=self.path
            ) from None
        try:
            # What the file is, before anything is written to it: another
            # application's file is refused as it was found.
            self.kind()
            self._set_up(durability)
        except sqlite3.Error as exc:
            self.db.close()
            raise StoreError(
                f"cannot open the router store {self.path!r}: {exc}", path=self.path
            ) from None
        except BaseException:
            self.db.close()
            raise
        self.checkpoint_every = checkpoint_every
        self._last_checkpoint = time.monotonic()
        self._commits = 0
        self._closed = False

    def kind(self) -> Kind:
        """What the file is: new, a store, or (when opened with ``unmarked``) an unmarked one.

        Raises
        ------
        StoreError
            For another application's file, a newer format, or an unmarked store.
        """
        kind = classify(self.db, self.path)
        if kind == "unmarked" and not self.unmarked:
            raise StoreError(
                f"the router store {self.path!r} has no format mark: it was written by an "
                "earlier fairlead. fairlead.router.repair_store(path, managers, policy) "
                "checks its books and marks it",
                path=self.path,
            )
        return kind

    def _set_up(self, durability: str) -> None:
        """WAL journal, durability and checkpoints by hand.

        Two processes opening a new file at once can find it locked while the other
        turns on WAL, a step SQLite does not wait for: it is retried for up to 30 s.
        """
        deadline = time.monotonic() + 30.0
        while True:
            try:
                self.db.execute("PRAGMA journal_mode=WAL")
                self.db.execute(f"PRAGMA synchronous={durability.upper()}")
                self.db.execute("PRAGMA wal_autocheckpoint=0")
                self.db.execute(f"PRAGMA journal_size_limit={WAL_LIMIT}")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.02)

    @contextmanager
    def opening(self) -> Iterator[bool]:
        """The first transaction of a router (``BEGIN IMMEDIATE``); yields whether it is new.

        The file is looked at again under the write lock (another process may have
        created the store meanwhile): a new one gets its tables and marks, a marked
        one must have all its tables, with their columns.
        """
        self.db.execute("BEGIN IMMEDIATE")
        try:
            kind = self.kind()
            if kind == "new":
                create(self.db)
            else:
                problems = table_problems(self.db)
                if problems:
                    raise self.damaged("; ".join([*problems, REPAIR_HINT]))
            yield kind == "new"
            self.db.execute("COMMIT")
        except BaseException:
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")
            raise

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[int | None]:
        """``BEGIN IMMEDIATE`` (``BEGIN`` to read) … ``COMMIT``; yields the state version.

        On any error, including a failed ``COMMIT``, the transaction is rolled back.
        """
        self.db.execute("BEGIN IMMEDIATE" if write else "BEGIN")
        try:
            row = self.db.execute("SELECT version FROM state WHERE id = 1").fetchone()
            if row is None:
                raise self.damaged("its state row is missing (deleted while the router ran)")
            if not isinstance(row[0], int):
                raise self.damaged(f"its state version must be an integer, got {row[0]!r}")
            yield row[0]
            self.db.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")
            if str(exc).startswith(("no such table", "no such column")):
                raise self.damaged(f"{exc} (changed while the router ran)") from None
            raise
        except BaseException:
            if self.db.in_transaction:  # SQLite may have rolled back already (disk full)
                self.db.execute("ROLLBACK")
            raise
        if write:
            self._commits += 1
            due = time.monotonic() - self._last_checkpoint >= self.checkpoint_every
            if due or self._commits >= CHECKPOINT_COMMITS:
                self._checkpoint()

    def _checkpoint(self) -> None:
        """Copy the log back into the database, so the log starts over at the next write.

        Done by the writer itself, at most every ``checkpoint_every`` seconds: a
        checkpoint on another connection would rarely find a moment without a write
        in progress under steady load, and the log would grow without bound.
        """
        self._last_checkpoint = time.monotonic()
        self._commits = 0
        with suppress(sqlite3.Error):  # busy with another process's write: next time
            self.db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

    def get(self, lead_id: str) -> Entry | None:
        """The lead's entry, or ``None``."""
        row = self.db.execute(
            f"SELECT {_COLUMNS} FROM leads WHERE lead_id = ?", (lead_id,)
        ).fetchone()
        return None if row is None else self._entry(row)

    def put(self, entry: Entry) -> None:
        """Insert or replace the lead's entry."""
        row = entry.value_row
        self.db.execute(
            f"INSERT OR REPLACE INTO leads ({_COLUMNS}) VALUES ({_PLACES})",
            (
                entry.lead_id,
                entry.seq,
                entry.manager,
                entry.kind,
                entry.value,
                entry.price,
                entry.reason,
                entry.routed_at,
                entry.previous,
                entry.runner_up,
                entry.due_at,
                entry.contacted_at,
                entry.released_at,
                entry.outcome,
                entry.reassignments,
                entry.lead_json,
                None if row is None else np.asarray(row, dtype=np.float64).tobytes(),
                entry.offered_at,
                entry.work,
            ),
        )

    def log(
        self, at: float, kind: str, lead_id: str | None, manager: str | None, detail: str
    ) -> None:
        """Append to the event log."""
        self.db.execute(
            "INSERT INTO events (at, kind, lead_id, manager_id, detail) VALUES (?, ?, ?, ?, ?)",
            (at, kind, lead_id, manager, detail),
        )

    def overdue(self, ts: float) -> list[Entry]:
        """Open leads not contacted whose SLA deadline has passed, earliest first."""
        rows = self.db.execute(
            f"SELECT {_COLUMNS} FROM leads WHERE manager_id IS NOT NULL AND contacted_at IS NULL "
            "AND released_at IS NULL AND due_at <= ? ORDER BY due_at, seq",
            (ts,),
        ).fetchall()
        return [self._entry(r) for r in rows]

    def waiting(self) -> list[Entry]:
        """Leads no manager could take yet (and not closed), in arrival order."""
        rows = self.db.execute(
            f"SELECT {_COLUMNS} FROM leads WHERE manager_id IS NULL AND released_at IS NULL "
            "ORDER BY seq"
        ).fetchall()
        return [self._entry(r) for r in rows]

    def pending(self) -> list[Entry]:
        """Every lead not released yet."""
        rows = self.db.execute(
            f"SELECT {_COLUMNS} FROM leads WHERE released_at IS NULL ORDER BY seq"
        ).fetchall()
        return [self._entry(r) for r in rows]

    def load_state(self) -> tuple[int, bytes] | None:
        """The stored state and its version (a ValueError if the row is not one)."""
        row = self.db.execute("SELECT version, data FROM state WHERE id = 1").fetchone()
        if row is None:
            return None
        version, data = row
        if not isinstance(version, int) or not isinstance(data, bytes):
            raise self.damaged(
                "its state row must hold an integer version and a blob, got "
                f"{type(version).__name__} and {type(data).__name__}"
            )
        return version, data

    def save_state(self, version: int, data: bytes) -> None:
        """Store the state with its new version."""
        self.db.execute(
            "INSERT OR REPLACE INTO state (id, version, data) VALUES (1, ?, ?)", (version, data)
        )

    def books(self, known: Iterable[str] = ()) -> Books:
        """The leads table counted by manager (one pass over it); see :func:`read_books`."""
        return read_books(self.db, known)

    def damaged(self, detail: object) -> DamagedStoreError:
        """The error for a file whose content is not what a router wrote."""
        return DamagedStoreError(
            f"the router store {self.path!r} is damaged: {detail}", path=self.path
        )

    def meta(self, key: str) -> str | None:
        """A stored setting."""
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        """Store a setting."""
        self.db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    def _entry(self, row: tuple[Any, ...]) -> Entry:
        try:
            return _entry(row)
        except (TypeError, ValueError) as exc:
            raise self.damaged(f"its row of lead {row[0]!r} cannot be read ({exc})") from None

    def close(self) -> None:
        """Checkpoint once more (emptying the log) and close the connection."""
        if self._closed:
            return
        self._closed = True
        with suppress(sqlite3.Error):
            self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        self.db.close()


def _entry(row: tuple[Any, ...]) -> Entry:
    fields = dict(zip(_NAMES, row, strict=True))
    blob = fields["value_row"]
    return Entry(
        lead_id=str(fields["lead_id"]),
        lead_json=str(fields["lead"]),
        manager=_text(fields["manager_id"]),
        kind=str(fields["kind"]),
        value=float(fields["value"]),
        price=float(fields["price"]),
        reason=str(fields["reason"]),
        routed_at=float(fields["routed_at"]),
        seq=int(fields["seq"]),
        previous=_text(fields["previous"]),
        runner_up=_text(fields["runner_up"]),
        due_at=_number(fields["due_at"]),
        contacted_at=_number(fields["contacted_at"]),
        released_at=_number(fields["released_at"]),
        outcome=_text(fields["outcome"]),
        reassignments=int(fields["reassignments"]),
        value_row=None if blob is None else np.frombuffer(blob, dtype=np.float64).copy(),
        offered_at=_number(fields["offered_at"]),
        work=float(fields["work"] or 0.0),
    )


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def dumps_ids(ids: list[str]) -> str:
    """Manager ids as stored in the meta table."""
    return json.dumps(ids)


def loads_ids(text: str | None, what: str = "manager ids") -> list[str]:
    """Manager ids from the meta table (a ValueError if they are not a list of ids)."""
    try:
        ids = json.loads(text) if text is not None else None
    except ValueError:
        ids = None
    if not isinstance(ids, list) or not all(isinstance(x, str) for x in ids):
        if text is None:
            raise ValueError(f"its {what} are missing from the meta table")
        shown = text if len(text) <= 60 else text[:57] + "..."
        raise ValueError(f"its {what} must be a JSON list of strings, got {shown!r}")
    return ids
