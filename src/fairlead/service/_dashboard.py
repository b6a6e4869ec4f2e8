"""The head of sales' dashboard: server-rendered, live, in English and Russian.

- ``GET /``: today's leads per manager against their fair share, open leads against
  limits, leads late for their first contact, response times, plan against fact and
  what needs attention, for the signed-in team, refreshed every minute. ``?lang=ru``
  for Russian; ``?at=`` for another moment (as ``/v1/status`` takes it).
- ``GET /login`` / ``POST /login``: sign in by pasting an API key (any scope);
  ``/?token=fl_…`` signs a wall screen in with a read key. A script may send its key
  in the headers instead, as the API takes it.
- ``POST /logout``.

The figures are the API's own answers (``_dashboard_data``); the page only writes them.
"""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from fairlead.records import InputError
from fairlead.service._api_leads import At, now_or
from fairlead.service._auth import open_session, service_of
from fairlead.service._crm_store import retry_failed, retry_failed_events
from fairlead.service._dashboard_data import snapshot
from fairlead.service._dashboard_render import HEADERS, html, render
from fairlead.service._dashboard_session import (
    close_session,
    key_caller,
    page_caller,
    read_form,
    same_site,
    set_session,
)
from fairlead.service._dashboard_view import LANGUAGES, page
from fairlead.service._dashboard_words import Words
from fairlead.service._errors import ApiError

api = APIRouter(tags=["dashboard"])

Lang = Annotated[Literal["en", "ru"], Query(description="The page's language.")]
Token = Annotated[
    str | None,
    Query(description="A read key, for a screen that cannot sign in (swapped for a session)."),
]


def _home(lang: str, **more: str) -> str:
    query = {"lang": lang, **more} if lang != "en" else dict(more)
    return "/" + (f"?{urlencode(query)}" if query else "")


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303, headers=HEADERS)


def _login_page(lang: str, problem: str = "", status: int = 200) -> Response:
    w = Words(lang)
    languages = [(code, name, f"/login?lang={code}") for code, name in LANGUAGES]
    text = render(
        "login.html.j2",
        lang=w.lang,
        title=w["login_title"],
        words={k: w[k] for k in ("login_key", "login_hint", "login_button", "error_back")},
        problem=problem,
        form=True,
        languages=languages,
        back=_home(lang),
    )
    return html(text, status)


def _error_page(lang: str, error: ApiError) -> Response:
    w = Words(lang)
    text = render(
        "login.html.j2",
        lang=w.lang,
        title=w["error_title"],
        words={"error_back": w["error_back"]},
        problem=error.message,
        form=False,
        languages=[],
        back=_home(lang),
    )
    return html(text, error.status)


@api.get("/", include_in_schema=False)
def dashboard(request: Request, lang: Lang = "en", at: At = None, token: Token = None) -> Response:
    """The dashboard of the signed-in team (else the sign-in page)."""
    if token is not None:
        return _open_by_link(request, token, lang, at)
    caller = page_caller(request)
    if caller is None:
        return _redirect(f"/login?lang={lang}")
    try:
        moment = None if at is None else now_or(at)
        snap = snapshot(service_of(request), caller.tenant_id, moment)
    except ApiError as exc:
        return _error_page(lang, exc)
    except InputError as exc:
        return _error_page(lang, ApiError(422, str(exc), field=exc.field))
    shown = {} if moment is None else {"at": moment.isoformat()}
    links = {code: _home(code, **shown) for code, _ in LANGUAGES}
    may_write = caller.may("write")
    return html(render("dashboard.html.j2", page=page(snap, lang, links, may_write=may_write)))


def _open_by_link(request: Request, token: str, lang: str, at: object) -> Response:
    """A wall screen's link: a read key becomes a session, and leaves the address."""
    w = Words(lang)
    caller = key_caller(request, token)
    if caller is None:
        return _login_page(lang, w["login_bad_key"], 401)
    if caller.scope != "read":
        return _login_page(lang, w["login_link_scope"], 403)
    session = open_session(service_of(request), caller)
    shown = {} if at is None else {"at": request.query_params.get("at", "")}
    response = _redirect(_home(lang, **shown))
    set_session(request, response, session)
    return response


@api.get("/login", include_in_schema=False)
def login_form(request: Request, lang: Lang = "en") -> Response:
    """The sign-in form (the dashboard at once when already signed in)."""
    if page_caller(request) is not None:
        return _redirect(_home(lang))
    return _login_page(lang)


@api.post("/login", include_in_schema=False)
async def login(request: Request) -> Response:
    """Check a pasted key and open a session for it."""
    form = await read_form(request)
    lang = "ru" if form.get("lang") == "ru" else "en"
    w = Words(lang)
    if not same_site(request):
        return _login_page(lang, w["login_foreign"], 403)
    key = form.get("key", "").strip()
    if not key:
        return _login_page(lang, w["login_no_key"], 422)
    caller = await run_in_threadpool(key_caller, request, key)
    if caller is None:
        return _login_page(lang, w["login_bad_key"], 401)
    session = await run_in_threadpool(open_session, service_of(request), caller)
    response = _redirect(_home(lang))
    set_session(request, response, session)
    return response


@api.post("/crm/{crm}/retry", include_in_schema=False)
async def retry_crm(crm: str, request: Request) -> Response:
    """The dashboard's button: the CRM's failed owner writes and events are queued again."""
    form = await read_form(request)
    lang = "ru" if form.get("lang") == "ru" else "en"
    if not same_site(request):
        return _login_page(lang, Words(lang)["login_foreign"], 403)
    caller = page_caller(request)
    if caller is None:
        return _redirect(f"/login?lang={lang}")
    if not caller.may("write"):
        return _error_page(lang, ApiError(403, Words(lang)["crm_read_only"], field="scope"))
    service = service_of(request)

    def retry() -> int:
        with service.db.write() as conn:
            writes = retry_failed(conn, caller.tenant_id, crm)
            return writes + retry_failed_events(conn, caller.tenant_id, crm)

    await run_in_threadpool(retry)
    service.crm_wake.set()
    return _redirect(_home(lang))


@api.post("/logout", include_in_schema=False)
async def logout(request: Request) -> Response:
    """End the session and go back to the sign-in form."""
    form = await read_form(request)
    lang = "ru" if form.get("lang") == "ru" else "en"
    if not same_site(request):
        return _login_page(lang, Words(lang)["login_foreign"], 403)
    response = _redirect(f"/login?lang={lang}")
    await run_in_threadpool(close_session, request, response)
    return response
