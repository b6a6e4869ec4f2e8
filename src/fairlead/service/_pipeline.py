"""Statements sent together: a transaction's reads in one round trip, its writes in one.

A routed lead is a handful of statements (lock the team, read the lead, write the
decision, the state, the log rows, the idempotency record, commit). Sent one by one,
each waits for the database; on PostgreSQL, psycopg's pipeline mode sends them
together and waits once, which is most of a request's time on a fast network. On
SQLite (in-process, no network) they simply run in order.

Statements are SQLAlchemy Core constructs compiled once per dialect and column set
and run on the transaction's own DBAPI connection, inside the transaction SQLAlchemy
opened; errors are raised as SQLAlchemy's (``OperationalError``, ``IntegrityError``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError, StatementError

#: Compiled SQL by (dialect, statement, columns).
_COMPILED: dict[tuple[str, int, tuple[str, ...]], str] = {}
Params = Mapping[str, Any]


def compiled(conn: Connection, statement: Any, keys: Sequence[str]) -> str:
    """The SQL of ``statement`` for this connection's dialect (with ``keys`` as columns)."""
    key = (conn.dialect.name, id(statement), tuple(keys))
    sql = _COMPILED.get(key)
    if sql is None:
        sql = str(statement.compile(dialect=conn.dialect, column_keys=list(keys)))
        _COMPILED[key] = sql
    return sql


def _raw(conn: Connection) -> Any:
    return conn.connection.driver_connection


def _wrapped(conn: Connection, sql: str, exc: Exception) -> StatementError:
    """The DBAPI's error as SQLAlchemy raises it (the service answers those)."""
    return DBAPIError.instance(sql, None, exc, conn.dialect.loaded_dbapi.Error)


def read_together(
    conn: Connection, queries: Sequence[tuple[Any, Params]]
) -> list[list[tuple[Any, ...]]]:
    """The rows of each query, all sent at once (PostgreSQL) or in order (SQLite)."""
    if conn.dialect.name != "postgresql" or len(queries) < 2:
        return [[tuple(r) for r in conn.execute(q, dict(p))] for q, p in queries]
    raw = _raw(conn)
    sql = ""
    try:
        cursors = []
        with raw.pipeline():
            for statement, params in queries:
                sql = compiled(conn, statement, sorted(params))
                cursor = raw.cursor()
                cursor.execute(sql, params)
                cursors.append(cursor)
        return [[tuple(r) for r in cursor.fetchall()] for cursor in cursors]
    except dbapi_errors(conn) as exc:
        raise _wrapped(conn, sql, exc) from exc


def dbapi_errors(conn: Connection) -> type[Exception]:
    """The DBAPI's base error class of this connection."""
    error: type[Exception] = conn.dialect.loaded_dbapi.Error
    return error


class Writes:
    """The writes of one transaction, kept until it ends and then sent together.

    ``execute`` has :meth:`sqlalchemy.Connection.execute`'s shape for the writes that
    return nothing, so code that writes (the KPI log, the idempotency record) takes
    either.
    """

    def __init__(self) -> None:
        self.items: list[tuple[Any, list[dict[str, Any]]]] = []
        # How many times the writes were sent: a piece of work whose own writes were
        # sent already is undone in the database, not by forgetting them.
        self.flushed = 0
        # Keys of rows written in this transaction that a later query of it may look
        # up (an idempotency key, an event id): only then are the writes sent first.
        self.touched: set[tuple[str, str]] = set()

    def __len__(self) -> int:
        return len(self.items)

    def execute(self, statement: Any, params: Params | Sequence[Params]) -> None:
        """Keep a write (one row, or several of one statement) for the end."""
        rows = [dict(params)] if isinstance(params, Mapping) else [dict(p) for p in params]
        if rows:
            self.items.append((statement, rows))

    def clear(self) -> None:
        """Forget the writes (the transaction is rolled back)."""
        self.items.clear()
        self.touched.clear()

    def before_lookup(self, conn: Connection, kind: str, key: str) -> None:
        """Send the writes if one of them is the row a query is about to look up."""
        if (kind, key) in self.touched and self.items:
            self.flush(conn)

    def truncate(self, size: int) -> None:
        """Forget the writes kept after the first ``size`` (a piece of work failed)."""
        del self.items[size:]

    def flush(self, conn: Connection, *, commit: bool = False) -> None:
        """Send the writes, and on PostgreSQL the commit with them (one round trip).

        With ``commit`` on SQLite the commit is left to the transaction's owner.
        """
        items, self.items = self.items, []
        self.flushed += 1
        if conn.dialect.name != "postgresql":
            for statement, rows in items:
                conn.execute(statement, rows if len(rows) > 1 else rows[0])
            return
        if not items and not commit:
            return
        raw = _raw(conn)
        sql = ""
        try:
            with raw.pipeline():
                cursor = raw.cursor()
                for statement, rows in items:
                    sql = compiled(conn, statement, sorted(rows[0]))
                    if len(rows) == 1:
                        cursor.execute(sql, rows[0])
                    else:
                        cursor.executemany(sql, rows)
                if commit:
                    # SQLAlchemy's own commit afterwards finds nothing left to commit.
                    raw.commit()
        except dbapi_errors(conn) as exc:
            raise _wrapped(conn, sql, exc) from exc
