"""Statements sent together: a transaction's reads in one round trip, its writes in one.

A routed lead is a handful of statements (lock the team, read the lead, write the
decision, the state, the log rows, the idempotency record, commit). Sent one by one,
each waits for the database. On PostgreSQL they are sent as one text of several
statements: psycopg binds each statement's values on the client
(:class:`psycopg.ClientCursor`, which quotes them for this connection) and the server
runs the text in one round trip, answering each statement's rows in turn. psycopg's
pipeline mode does the same on the wire, but spends about five times the CPU in Python
to drive it (measured: 0.5 ms against 0.1 ms for three reads and a commit), which at
hundreds of leads a second is most of a core. On SQLite (in-process, no network) the
statements simply run in order.

Statements are SQLAlchemy Core constructs compiled once per dialect and column set
and run on the transaction's own DBAPI connection, inside the transaction SQLAlchemy
opened; errors are raised as SQLAlchemy's (``OperationalError``, ``IntegrityError``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError, StatementError

from fairlead.service._database import PENDING_BEGIN

#: Compiled SQL by (dialect, statement, columns).
_COMPILED: dict[tuple[str, int, tuple[str, ...]], str] = {}
Params = Mapping[str, Any]
#: The savepoint before a piece of work whose writes were sent before it ended.
SAVEPOINT = "fairlead_work"
_SAVEPOINT = text(f"SAVEPOINT {SAVEPOINT}")


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


def _wrapped(conn: Connection, templates: Sequence[str], exc: Exception) -> StatementError:
    """The DBAPI's error as SQLAlchemy raises it (the service answers those).

    It quotes the statements' templates, never the text sent: that holds the values.
    """
    sql = ";\n".join(dict.fromkeys(templates))
    return DBAPIError.instance(sql, None, exc, conn.dialect.loaded_dbapi.Error)


def read_together(
    conn: Connection, queries: Sequence[tuple[Any, Params]]
) -> list[list[tuple[Any, ...]]]:
    """The rows of each query, all sent at once (PostgreSQL) or in order (SQLite)."""
    if conn.dialect.name != "postgresql" or len(queries) < 2:
        return [[tuple(r) for r in conn.execute(q, dict(p))] for q, p in queries]
    cursor = _client_cursor(conn)
    templates = [compiled(conn, statement, sorted(params)) for statement, params in queries]
    begin = _pending_begin(conn)
    try:
        cursor.execute(
            ";\n".join(
                begin
                + [
                    cursor.mogrify(sql, params)
                    for sql, (_, params) in zip(templates, queries, strict=True)
                ]
            )
        )
        found = []
        if begin:
            cursor.nextset()  # past the BEGIN's result
        while True:
            found.append([tuple(r) for r in cursor.fetchall()])
            if not cursor.nextset():
                break
    except dbapi_errors(conn) as exc:
        raise _wrapped(conn, templates, exc) from exc
    finally:
        cursor.close()
    if len(found) != len(queries):  # one result per statement, or the text was not ours
        raise RuntimeError(f"{len(queries)} queries sent together gave {len(found)} results")
    return found


def _pending_begin(conn: Connection) -> list[str]:
    """The transaction's ``BEGIN`` when no statement has sent it yet (see ``_database``)."""
    begin = conn.info.pop(PENDING_BEGIN, None)
    return [] if begin is None else [begin]


def _client_cursor(conn: Connection) -> Any:
    """A cursor that binds values on the client, so that one text holds several statements."""
    import psycopg  # the PostgreSQL driver, there whenever the dialect is

    return psycopg.ClientCursor(_raw(conn))


def dbapi_errors(conn: Connection) -> type[Exception]:
    """The DBAPI's base error class of this connection."""
    error: type[Exception] = conn.dialect.loaded_dbapi.Error
    return error


Late = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass
class _Write:
    """One kept write: a statement, its rows, and how it is sent (see ``Writes.execute``)."""

    statement: Any
    rows: list[dict[str, Any]]
    latest: str | None
    late: Late | None


class Writes:
    """The writes of one transaction, kept until it ends and then sent together.

    ``execute`` has :meth:`sqlalchemy.Connection.execute`'s shape for the writes that
    return nothing, so code that writes (the KPI log, the idempotency record) takes
    either.
    """

    def __init__(self) -> None:
        self.items: list[_Write] = []
        # How many times the writes were sent: a piece of work whose own writes were
        # sent already is undone in the database, not by forgetting them.
        self.flushed = 0
        # Keys of rows written in this transaction that a later query of it may look
        # up (an idempotency key, an event id): only then are the writes sent first.
        self.touched: set[tuple[str, str]] = set()
        # Where the piece of work in progress began in ``items`` (None: none, or its
        # savepoint is sent already).
        self._piece: int | None = None

    def __len__(self) -> int:
        return len(self.items)

    def execute(
        self,
        statement: Any,
        params: Params | Sequence[Params],
        *,
        latest: str | None = None,
        late: Late | None = None,
    ) -> None:
        """Keep a write (one row, or several of one statement) for the end.

        Of the writes kept with the same ``latest``, only the last is sent (a row
        rewritten whole, such as the routing state); but a piece of work's savepoint
        (:meth:`open_piece`) keeps the last one before it too, to go back to.
        ``late`` is applied to each row of a write when it is sent, so that work only
        the sent one needs (packing the state) is not done for the others.
        """
        rows = [dict(params)] if isinstance(params, Mapping) else [dict(p) for p in params]
        if rows:
            self.items.append(_Write(statement, rows, latest, late))

    def clear(self) -> None:
        """Forget the writes (the transaction is rolled back)."""
        self.items.clear()
        self.touched.clear()
        self._piece = None

    def open_piece(self) -> None:
        """A piece of work begins: a failure takes back its writes only.

        Writes still kept are simply forgotten; if the piece's writes must be sent
        before it ends (a query must see them), a savepoint is sent first, where it
        began, to go back to. At the commit no savepoint is needed: the pieces have
        ended, and a failure there takes back the whole transaction.
        """
        self._piece = len(self.items)

    def before_lookup(self, conn: Connection, kind: str, key: str) -> None:
        """Send the writes if one of them is the row a query is about to look up."""
        if (kind, key) in self.touched and self.items:
            self.flush(conn)

    def truncate(self, size: int) -> None:
        """Forget the writes kept after the first ``size`` (a piece of work failed)."""
        del self.items[size:]

    def _sent(self, start: int, stop: int) -> list[tuple[Any, list[dict[str, Any]]]]:
        """The items from ``start`` to ``stop`` to send: of each ``latest`` kind, the last."""
        kept = self.items[start:stop]
        last = {w.latest: i for i, w in enumerate(kept) if w.latest is not None}
        return [
            (w.statement, w.rows if w.late is None else [w.late(row) for row in w.rows])
            for i, w in enumerate(kept)
            if w.latest is None or last[w.latest] == i
        ]

    def flush(self, conn: Connection, *, commit: bool = False) -> None:
        """Send the writes, and on PostgreSQL the commit with them (one round trip).

        With ``commit`` on SQLite the commit is left to the transaction's owner.
        """
        items: list[tuple[Any, list[dict[str, Any]]]]
        if self._piece is not None and not commit:
            cut = self._piece
            items = [*self._sent(0, cut), (_SAVEPOINT, [{}]), *self._sent(cut, len(self.items))]
        else:
            items = self._sent(0, len(self.items))
        self.items, self._piece = [], None
        self.flushed += 1
        if conn.dialect.name != "postgresql":
            for statement, rows in items:
                conn.execute(statement, rows if len(rows) > 1 else rows[0])
            return
        if not items and not commit:
            return
        cursor = _client_cursor(conn)
        templates = [compiled(conn, statement, sorted(rows[0])) for statement, rows in items]
        try:
            parts = _pending_begin(conn) + [
                cursor.mogrify(sql, row)
                for sql, (_, rows) in zip(templates, items, strict=True)
                for row in rows
            ]
            if commit:
                # SQLAlchemy's own commit afterwards finds nothing left to commit.
                parts.append("COMMIT")
            cursor.execute(";\n".join(parts))
        except dbapi_errors(conn) as exc:
            raise _wrapped(conn, templates, exc) from exc
        finally:
            cursor.close()
