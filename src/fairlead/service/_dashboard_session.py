"""Who is looking at the dashboard: a session cookie opened with an API key.

A person signs in by pasting a key (``POST /login``); a wall screen may open the page
with a read key in the link (``/?token=fl_…``), which is swapped at once for a session
and dropped from the address. The cookie is HttpOnly and SameSite=Strict (Secure over
https); the database keeps only its hash (``_auth.open_session``). A session lasts
``session_hours``, ends at ``POST /logout``, and ends as soon as its key is revoked:
:func:`page_caller` checks the key at every page, not only at sign-in.
"""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

from fastapi import Request, Response
from sqlalchemy import delete

from fairlead.service._auth import SESSION_COOKIE, key_of, service_of, session_caller
from fairlead.service._keys import Caller, sha256
from fairlead.service._tables import sessions

#: Form bodies larger than this are not read (a key and a language fit in far less).
MAX_FORM_BYTES = 8192


def page_caller(request: Request) -> Caller | None:
    """The caller of a dashboard page: a live session, or an API key in the headers.

    A session whose key was revoked since is no session: the person signs in again.
    """
    caller = session_caller(request)
    if caller is None:
        token = key_of(request)
        if token is not None:
            service = service_of(request)
            caller = service.keys.caller(service.db, token)
    if caller is not None:
        request.state.caller = caller  # the access log names the team and the key
    return caller


def key_caller(request: Request, token: str) -> Caller | None:
    """The caller a pasted key belongs to (None: unknown, revoked or mistyped)."""
    service = service_of(request)
    return service.keys.caller(service.db, token.strip())


def set_session(request: Request, response: Response, token: str) -> None:
    """Put a session's cookie on an answer: HttpOnly, SameSite=Strict, Secure over https."""
    hours = service_of(request).config.session_hours
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(hours * 3600),
        path="/",
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="strict",
    )


def close_session(request: Request, response: Response) -> None:
    """End the request's session (its row deleted) and clear the cookie."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        with service_of(request).db.write() as conn:
            conn.execute(
                delete(sessions).where(
                    (sessions.c.token_sha256 == sha256(token))
                    | (sessions.c.expires_at < time.time())
                )
            )
    response.delete_cookie(
        SESSION_COOKIE,
        path="/",
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="strict",
    )


def same_site(request: Request) -> bool:
    """Whether a form was posted from the dashboard's own pages.

    The session cookie is SameSite=Strict, so another site cannot post with it; this
    also stops another site from signing a browser in with a key of its own. A browser
    says where a request comes from in ``Sec-Fetch-Site``; an older one in ``Origin``.
    A request with neither (a script) is let through.
    """
    fetched = request.headers.get("sec-fetch-site")
    if fetched is not None:
        return fetched in ("same-origin", "none")
    origin = request.headers.get("origin")
    if origin is None:
        return True
    host = request.headers.get("host", "")
    return origin != "null" and urlsplit(origin).netloc == host


async def read_form(request: Request) -> dict[str, str]:
    """The fields of a url-encoded form post (the first value of each); {} otherwise."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        return {}
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        return {}
    fields = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    return {name: values[0] for name, values in fields.items() if values}
