"""The router store's file format: its marks, its tables, and what a file turns out to be.

A router store marks itself in the SQLite header: ``PRAGMA application_id`` is
:data:`APPLICATION_ID` and ``PRAGMA user_version`` the format, :data:`FORMAT`. A file
is read as a store only with those marks; an empty file becomes one; anything else is
refused before a byte of it is written.
"""

from __future__ import annotations

import sqlite3
from typing import Literal

from fairlead.router._errors import DamagedStoreError, StoreError

#: SQLite ``application_id`` of a fairlead router store: ``"FLRT"`` in ASCII.
APPLICATION_ID = 0x464C5254
#: The store format this version writes and reads (SQLite ``user_version``).
FORMAT = 1

#: The tables of a store and how each is created.
TABLES = {
    "meta": "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "state": (
        "CREATE TABLE state (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL, "
        "data BLOB NOT NULL)"
    ),
    "leads": """CREATE TABLE leads (
    lead_id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    manager_id TEXT,
    kind TEXT NOT NULL,
    value REAL NOT NULL,
    price REAL NOT NULL,
    reason TEXT NOT NULL,
    routed_at REAL NOT NULL,
    previous TEXT,
    runner_up TEXT,
    due_at REAL,
    contacted_at REAL,
    released_at REAL,
    outcome TEXT,
    reassignments INTEGER NOT NULL DEFAULT 0,
    lead TEXT NOT NULL,
    value_row BLOB,
    offered_at REAL,
    work REAL NOT NULL DEFAULT 0
)""",
    "events": """CREATE TABLE events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at REAL NOT NULL,
    kind TEXT NOT NULL,
    lead_id TEXT,
    manager_id TEXT,
    detail TEXT NOT NULL
)""",
}
#: Indexes of the leads table (the open leads by deadline, the pending ones in order).
INDEXES = (
    "CREATE INDEX IF NOT EXISTS leads_open_due ON leads (due_at) "
    "WHERE manager_id IS NOT NULL AND contacted_at IS NULL AND released_at IS NULL",
    "CREATE INDEX IF NOT EXISTS leads_pending ON leads (seq) WHERE released_at IS NULL",
)
INDEX_NAMES = ("leads_open_due", "leads_pending")
#: Columns of each table, in order (``work`` is new in format 1).
COLUMNS = {
    "meta": ("key", "value"),
    "state": ("id", "version", "data"),
    "leads": (
        "lead_id", "seq", "manager_id", "kind", "value", "price", "reason", "routed_at",
        "previous", "runner_up", "due_at", "contacted_at", "released_at", "outcome",
        "reassignments", "lead", "value_row", "offered_at", "work",
    ),
    "events": ("seq", "at", "kind", "lead_id", "manager_id", "detail"),
}  # fmt: skip

Kind = Literal["new", "current", "unmarked"]


def classify(db: sqlite3.Connection, path: str) -> Kind:
    """What the file behind ``db`` is: empty (``new``), a store, or an unmarked store.

    ``unmarked``: exactly the tables of a store but no marks, as fairlead wrote before
    it marked its files (:func:`fairlead.router.repair_store` checks and marks it).

    Raises
    ------
    StoreError
        For a file of another application, or a store of a newer format.
    """
    app = int(db.execute("PRAGMA application_id").fetchone()[0])
    version = int(db.execute("PRAGMA user_version").fetchone()[0])
    if app == APPLICATION_ID:
        if version > FORMAT:
            raise StoreError(
                f"the router store {path!r} has format {version}, newer than this fairlead "
                f"reads (format {FORMAT}): open it with the fairlead that wrote it, or a newer one",
                path=path,
            )
        if version < 1:
            raise DamagedStoreError(
                f"the router store {path!r} is damaged: its format mark (user_version) is "
                f"{version}, not a format fairlead wrote",
                path=path,
            )
        return "current"
    objects = db.execute(
        "SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"
    ).fetchall()
    tables = sorted(str(name) for kind, name in objects if kind == "table")
    if app == 0 and version == 0 and not objects:
        return "new"
    if app == 0 and tables == sorted(TABLES):
        return "unmarked"
    ours = {*TABLES, *INDEX_NAMES}
    foreign = [f"{kind} {str(name)!r}" for kind, name in objects if name not in ours]
    if app != 0:
        what = f"its SQLite application_id is {app:#010x}, not fairlead's {APPLICATION_ID:#010x}"
    elif not objects:
        what = f"it is empty but its user_version is {version}, set by another application"
    elif foreign:
        what = f"it holds {', '.join(foreign)}"
    else:
        what = f"it holds only some of a store's tables ({', '.join(map(repr, tables))})"
    raise StoreError(f"{path!r} is not a fairlead router store: {what}", path=path)


def create(db: sqlite3.Connection) -> None:
    """Create the tables of a store and mark the file (inside the caller's transaction)."""
    for statement in (*TABLES.values(), *INDEXES):
        db.execute(statement)
    mark(db)


def mark(db: sqlite3.Connection) -> None:
    """Write the store's marks: fairlead's application id and the current format."""
    db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    db.execute(f"PRAGMA user_version = {FORMAT}")


def columns(db: sqlite3.Connection, table: str) -> tuple[str, ...]:
    """The columns ``table`` has, in order (empty if it is missing)."""
    return tuple(str(row[1]) for row in db.execute(f"PRAGMA table_info({table})"))


def table_problems(db: sqlite3.Connection) -> list[str]:
    """What is wrong with the tables of a marked store: missing, or other columns."""
    problems = []
    for table, expected in COLUMNS.items():
        found = columns(db, table)
        if not found:
            problems.append(f"its table {table!r} is missing")
        elif found != expected:
            problems.append(
                f"its table {table!r} has the columns ({', '.join(found)}), "
                f"not ({', '.join(expected)})"
            )
    return problems
