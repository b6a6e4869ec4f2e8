"""API keys: made once, stored hashed, checked in constant time, scoped.

A key reads ``fl_<id>_<secret>``: the id finds the key's row, the secret (32 random
bytes) is checked against its SHA-256. The secret is as strong as a password manager's
longest password, so a fast hash is enough (no guessing can find a preimage of
256 random bits) and a request does not pay for a slow one. The key itself is shown
once, at creation; the database keeps only the hash.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Final

from sqlalchemy import Connection, select, update

from fairlead.records import InputError
from fairlead.service._database import Database
from fairlead.service._tables import api_keys, tenants

#: Scopes, each allowing what the ones before it allow.
SCOPES: Final = ("read", "write", "admin")
PREFIX: Final = "fl_"


@dataclass(frozen=True)
class Caller:
    """Who is calling: their team, what they may do, and which key they used."""

    tenant_id: str
    scope: str
    key_id: str

    def may(self, scope: str) -> bool:
        """Whether this caller's scope covers ``scope``."""
        return SCOPES.index(self.scope) >= SCOPES.index(scope)


def sha256(text: str) -> str:
    """Hex SHA-256 of text (keys, session tokens)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def check_scope(scope: str) -> str:
    """``scope`` if it is one of :data:`SCOPES`, else an :class:`InputError`."""
    if scope not in SCOPES:
        raise InputError(
            f"scope must be one of {', '.join(SCOPES)}, got {scope!r}", field="scope", value=scope
        )
    return scope


def create_key(conn: Connection, tenant_id: str, scope: str, label: str = "") -> tuple[str, str]:
    """A new key for a team: ``(key id, the key)``. The key is not stored; show it once."""
    check_scope(scope)
    if conn.execute(select(tenants.c.id).where(tenants.c.id == tenant_id)).first() is None:
        raise InputError(f"no team {tenant_id!r}", field="tenant", value=tenant_id)
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    conn.execute(
        api_keys.insert().values(
            id=key_id,
            tenant_id=tenant_id,
            scope=scope,
            secret_sha256=sha256(secret),
            label=label,
            created_at=time.time(),
        )
    )
    return key_id, f"{PREFIX}{key_id}_{secret}"


def revoke_key(conn: Connection, key_id: str) -> bool:
    """Revoke a key by its id; whether there was such a key, not yet revoked."""
    done = conn.execute(
        update(api_keys)
        .where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
        .values(revoked_at=time.time())
    )
    return done.rowcount > 0


def list_keys(conn: Connection, tenant_id: str | None = None) -> list[dict[str, object]]:
    """Keys (never their secrets), oldest first; of one team if ``tenant_id`` is given."""
    query = select(
        api_keys.c.id,
        api_keys.c.tenant_id,
        api_keys.c.scope,
        api_keys.c.label,
        api_keys.c.created_at,
        api_keys.c.revoked_at,
    ).order_by(api_keys.c.created_at)
    if tenant_id is not None:
        query = query.where(api_keys.c.tenant_id == tenant_id)
    return [dict(row._mapping) for row in conn.execute(query)]


def split_key(token: str) -> tuple[str, str] | None:
    """``(id, secret)`` of a key as given, or ``None`` if it is not shaped like one."""
    if not token.startswith(PREFIX):
        return None
    key_id, sep, secret = token[len(PREFIX) :].partition("_")
    if not sep or not key_id or not secret or len(key_id) > 32:
        return None
    return key_id, secret


class KeyCache:
    """Checked keys kept for a few seconds: a request does not pay a query for its key.

    A revoked key stops working within ``ttl`` seconds on every process.
    """

    def __init__(self, ttl: float = 5.0) -> None:
        self.ttl = ttl
        self._seen: dict[str, tuple[float, str, Caller | None]] = {}

    def fresh(self, token: str) -> bool:
        """Whether :meth:`caller` answers for this key without a query."""
        parts = split_key(token)
        if parts is None:
            return True  # not a key at all: refused without a query
        cached = self._seen.get(parts[0])
        return cached is not None and time.monotonic() - cached[0] <= self.ttl

    def caller(self, db: Database, token: str) -> Caller | None:
        """The caller a key belongs to, or ``None`` for a wrong, unknown or revoked key."""
        parts = split_key(token)
        if parts is None:
            return None
        key_id, secret = parts
        digest = sha256(secret)
        now = time.monotonic()
        cached = self._seen.get(key_id)
        if cached is None or now - cached[0] > self.ttl:
            cached = (now, *self._load(db, key_id))
            if len(self._seen) > 10_000:
                self._seen.clear()
            self._seen[key_id] = cached
        _, stored, caller = cached
        if caller is None or not hmac.compare_digest(stored, digest):
            return None
        return caller

    @staticmethod
    def _load(db: Database, key_id: str) -> tuple[str, Caller | None]:
        with db.read() as conn:
            row = conn.execute(
                select(
                    api_keys.c.secret_sha256,
                    api_keys.c.tenant_id,
                    api_keys.c.scope,
                    api_keys.c.revoked_at,
                ).where(api_keys.c.id == key_id)
            ).first()
        if row is None or row.revoked_at is not None:
            # compare against something all the same: the time taken does not say why
            return sha256(""), None
        return row.secret_sha256, Caller(row.tenant_id, row.scope, key_id)
