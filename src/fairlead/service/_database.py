"""The service's connection to its database: SQLite by default, PostgreSQL by URL.

Writers are serialized per team by a lock on the team's row (``SELECT … FOR UPDATE``
on PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` takes the one write lock of the file), so
several service processes, on one machine or many, see one history of decisions:
``docs/deployment.md`` explains the choice.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, select
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from fairlead.records import InputError
from fairlead.service._tables import tenants

#: The database of a service started with no configuration: a file in the working directory.
DEFAULT_URL = "sqlite:///fairlead.db"
#: Seconds a SQLite writer waits for the file's write lock before giving up.
SQLITE_BUSY_SECONDS = 30
#: Dialects the service supports.
DIALECTS = ("sqlite", "postgresql")


def database_url(text: str) -> URL:
    """A database URL as the service uses it: PostgreSQL through psycopg 3.

    ``postgresql://`` and ``postgres://`` mean psycopg 3 (SQLAlchemy would pick
    psycopg2, which fairlead does not install); ``sqlite:///file.db`` is a file.

    Examples
    --------
    >>> str(database_url("postgresql://postgres@127.0.0.1:5432/test"))
    'postgresql+psycopg://postgres@127.0.0.1:5432/test'
    >>> database_url("mysql://x").drivername
    Traceback (most recent call last):
    ...
    fairlead.InputError: database URL must be sqlite:///<file> or postgresql://<host>/<db>, got 'mysql://x'
    """
    try:
        url = make_url(text.replace("postgres://", "postgresql://", 1))
    except ArgumentError:
        url = None
    if url is None or url.get_backend_name() not in DIALECTS:
        shown = text if url is None else url.render_as_string(hide_password=True)
        raise InputError(
            f"database URL must be sqlite:///<file> or postgresql://<host>/<db>, got {shown!r}",
            field="database_url",
            value=shown,
        )
    if url.get_backend_name() == "postgresql" and url.drivername != "postgresql+psycopg":
        url = url.set(drivername="postgresql+psycopg")
    if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
        raise InputError(
            "database URL must name a SQLite file (sqlite:///fairlead.db): a database "
            "in memory would keep nothing and each connection would see another one",
            field="database_url",
            value=str(url),
        )
    return url


class Database:
    """An engine and the service's two kinds of transaction (read, write).

    Parameters
    ----------
    url : str
        ``sqlite:///file.db`` or ``postgresql://user@host:port/db``.
    pool_size : int, default 10
        Connections kept open (PostgreSQL); as many more may open under a burst.

    Attributes
    ----------
    url : sqlalchemy.engine.URL
    dialect : {"sqlite", "postgresql"}
    engine : sqlalchemy.Engine
    """

    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        self.url = database_url(url)
        self.dialect = self.url.get_backend_name()
        if self.dialect == "sqlite":
            self.engine = _sqlite_engine(self.url)
        else:
            self.engine = _postgresql_engine(self.url, pool_size)

    def __repr__(self) -> str:
        return f"Database({self.shown!r})"

    @property
    def shown(self) -> str:
        """The URL with its password hidden, for messages and logs."""
        return self.url.render_as_string(hide_password=True)

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A write transaction: committed at the end of the block, rolled back on error."""
        with self.engine.connect() as conn:
            conn.execution_options(fairlead_write=True)
            with conn.begin():
                yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read transaction (one snapshot of the database on PostgreSQL)."""
        with self.engine.connect() as conn:
            conn.execution_options(fairlead_read=True)
            with conn.begin():
                yield conn

    def lock_team(self, conn: Connection, tenant_id: str) -> tuple[int, float | None] | None:
        """Lock a team's row for the rest of the transaction: its revision, last reprice.

        ``None`` when there is no such team. Every write of a team's routing state
        starts here, so writers of one team, in any process, take turns.
        """
        query = select(tenants.c.revision, tenants.c.repriced_at).where(tenants.c.id == tenant_id)
        row = conn.execute(query.with_for_update()).first()
        return None if row is None else (int(row[0]), row[1])

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


#: Where a PostgreSQL connection keeps the ``BEGIN`` its transaction has not sent yet.
PENDING_BEGIN = "fairlead_begin"


def _postgresql_engine(url: URL, pool_size: int) -> Engine:
    """A PostgreSQL engine whose transactions begin with their first statement.

    psycopg begins a transaction with a ``BEGIN`` of its own, a round trip before the
    first statement. Here the connection is in autocommit mode and SQLAlchemy's
    ``begin`` only notes the ``BEGIN`` to send (SQLAlchemy's documented recipe for
    taking transactions in hand): a statement sends it first, and the service's
    statements sent together (:mod:`fairlead.service._pipeline`) carry it in their
    text, so a routed lead costs two round trips, not three. A connection in a
    transaction is committed or rolled back as usual (psycopg sends ``COMMIT`` or
    ``ROLLBACK`` whenever the server is in one).
    """
    engine = create_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        # No ping per checkout (a round trip per request): a connection the server
        # dropped fails its request, and the pool starts afresh.
        connect_args={"connect_timeout": 10, "autocommit": True},
        # A database error's message would quote the statement's values (a lead's
        # features may hold a phone or an e-mail): logs get none.
        hide_parameters=True,
    )

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        read = conn.get_execution_options().get("fairlead_read", False)
        conn.info[PENDING_BEGIN] = (
            "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" if read else "BEGIN"
        )

    @event.listens_for(engine, "before_cursor_execute")
    def _first(conn: Connection, cursor: Any, *_: Any) -> None:
        begin = conn.info.pop(PENDING_BEGIN, None)
        if begin is not None:
            cursor.execute(begin)

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _end(conn: Connection) -> None:
        conn.info.pop(PENDING_BEGIN, None)  # a transaction that sent nothing

    return engine


def _sqlite_engine(url: URL) -> Engine:
    """A SQLite engine with a write-ahead log and explicit transactions.

    Python's sqlite3 opens transactions itself, late and deferred; the service needs
    ``BEGIN IMMEDIATE`` for a writer, so that two writers never both read the state and
    then fail to upgrade their lock (SQLAlchemy's documented recipe for pysqlite).
    """
    if url.database:
        Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_SECONDS}, hide_parameters=True)

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, record: Any) -> None:
        dbapi_connection.isolation_level = None  # no implicit BEGIN: ours below
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_SECONDS * 1000}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        write = conn.get_execution_options().get("fairlead_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine
