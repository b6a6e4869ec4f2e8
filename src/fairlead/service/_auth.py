"""Who is calling: an API key (header) or a dashboard session (cookie), and its scope.

Keys come in ``Authorization: Bearer fl_…`` or ``X-API-Key: fl_…``. The dashboard
logs in with a key once and then holds a session cookie (HttpOnly, SameSite=Strict),
whose hash is stored; a read key may also open the dashboard by ``?token=`` (for a
screen on the office wall).
"""

from __future__ import annotations

import secrets
import time

from fastapi import Request
from sqlalchemy import delete, select
from starlette.concurrency import run_in_threadpool

from fairlead.service._errors import ApiError
from fairlead.service._keys import Caller, sha256
from fairlead.service._service import Service
from fairlead.service._tables import api_keys, sessions

SESSION_COOKIE = "fairlead_session"


def service_of(request: Request) -> Service:
    """The service this request belongs to."""
    service: Service = request.app.state.service
    return service


def key_of(request: Request) -> str | None:
    """The API key the request carries, if any."""
    header = request.headers.get("authorization")
    if header is not None:
        kind, _, token = header.partition(" ")
        if kind.lower() == "bearer" and token.strip():
            return token.strip()
    key = request.headers.get("x-api-key")
    return key.strip() if key else None


def authenticate(request: Request, scope: str) -> Caller:
    """The caller of a request with at least ``scope``; 401 or 403 otherwise."""
    service = service_of(request)
    token = key_of(request)
    caller = None
    if token is not None:
        caller = service.keys.caller(service.db, token)
    if caller is None:
        raise ApiError(
            401,
            "an API key is needed: 'Authorization: Bearer fl_…' (fairlead keys create)"
            if token is None
            else "the API key is not valid (unknown, revoked or mistyped)",
            field="Authorization",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if not caller.may(scope):
        raise ApiError(
            403,
            f"this key may {caller.scope}; this request needs "
            f"{'an' if scope[0] in 'aeiou' else 'a'} {scope} key",
            field="scope",
            value=caller.scope,
        )
    request.state.caller = caller
    return caller


async def authenticate_async(request: Request, scope: str) -> Caller:
    """:func:`authenticate` for a coroutine: a key not checked lately is looked up in a thread."""
    token = key_of(request)
    if token is not None and not service_of(request).keys.fresh(token):
        return await run_in_threadpool(authenticate, request, scope)
    return authenticate(request, scope)


def open_session(service: Service, caller: Caller) -> str:
    """A new dashboard session for a caller; the cookie's value (stored hashed)."""
    token = secrets.token_urlsafe(32)
    now = time.time()
    with service.db.write() as conn:
        conn.execute(delete(sessions).where(sessions.c.expires_at < now))
        conn.execute(
            sessions.insert().values(
                token_sha256=sha256(token),
                tenant_id=caller.tenant_id,
                key_id=caller.key_id,
                scope=caller.scope,
                expires_at=now + service.config.session_hours * 3600,
            )
        )
    return token


def session_caller(request: Request) -> Caller | None:
    """The caller of a dashboard session cookie, if valid, not expired, its key not revoked."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    service = service_of(request)
    with service.db.read() as conn:
        row = conn.execute(
            select(sessions.c.tenant_id, sessions.c.scope, sessions.c.key_id)
            .join(api_keys, api_keys.c.id == sessions.c.key_id)
            .where(
                sessions.c.token_sha256 == sha256(token),
                sessions.c.expires_at > time.time(),
                api_keys.c.revoked_at.is_(None),
                api_keys.c.tenant_id == sessions.c.tenant_id,
            )
        ).first()
    return None if row is None else Caller(row.tenant_id, row.scope, row.key_id)
