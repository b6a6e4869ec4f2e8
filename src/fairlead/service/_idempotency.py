"""Replays of a request answered with its first answer; another body under a key is 409.

A client that retries after a timeout sends the same request again with the same
``Idempotency-Key`` header: the service answers with the first answer, exactly, and
does nothing twice. The record is written in the request's own transaction, so a
request is either done and recorded, or neither.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, select

from fairlead.service._errors import ApiError
from fairlead.service._pipeline import Writes
from fairlead.service._tables import idempotency

_RECORD = idempotency.insert()
#: The longest key accepted, in characters.
MAX_KEY = 200


def fingerprint(method: str, path: str, body: bytes) -> str:
    """SHA-256 of what makes two requests the same request."""
    digest = hashlib.sha256()
    for part in (method.encode(), b"\0", path.encode(), b"\0", body):
        digest.update(part)
    return digest.hexdigest()


def check_key(key: str) -> str:
    """An ``Idempotency-Key`` as given, if usable (1 to 200 printable characters)."""
    if not key or len(key) > MAX_KEY or not key.isprintable():
        raise ApiError(
            400,
            f"Idempotency-Key must be 1 to {MAX_KEY} printable characters",
            field="Idempotency-Key",
            value=key[:50],
        )
    return key


def once(
    conn: Connection,
    tenant_id: str,
    key: str | None,
    print_: str,
    produce: Callable[[], tuple[int, Any]],
    sink: Writes | None = None,
) -> tuple[int, Any, bool]:
    """``produce()`` once per key: ``(status, body, replayed)``.

    The caller holds the team's row lock, so two requests with one key take turns and
    the second finds the first's record.
    """
    if key is None:
        status, body = produce()
        return status, body, False
    if sink is not None:  # a request before in the same transaction may hold the key
        sink.before_lookup(conn, "idempotency", key)
    row = conn.execute(
        select(idempotency.c.fingerprint, idempotency.c.status, idempotency.c.body).where(
            idempotency.c.tenant_id == tenant_id, idempotency.c.key == key
        )
    ).first()
    if row is not None:
        if row.fingerprint != print_:
            raise ApiError(
                409,
                f"Idempotency-Key {key!r} was used for another request (another path or "
                "body); use a new key for a new request",
                field="Idempotency-Key",
                value=key,
            )
        return int(row.status), json.loads(row.body), True
    status, body = produce()
    record = {
        "tenant_id": tenant_id,
        "key": key,
        "fingerprint": print_,
        "status": status,
        "body": json.dumps(body),
        "created_at": time.time(),
    }
    if sink is None:
        conn.execute(_RECORD, record)
    else:
        sink.execute(_RECORD, record)
        sink.touched.add(("idempotency", key))
    return status, body, False
