"""The ASGI application: routes, errors as JSON, request ids, logs, metrics, limits."""

from __future__ import annotations

import logging
import re
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, MutableMapping
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException

from fairlead.connectors import CrmError
from fairlead.records import InputError
from fairlead.router import StoreError
from fairlead.service._api_crm import api as crm_api
from fairlead.service._api_events import api as events_api
from fairlead.service._api_health import api as health_api
from fairlead.service._api_kpi import api as kpi_api
from fairlead.service._api_leads import api as leads_api
from fairlead.service._api_leads import route_lead_directly
from fairlead.service._api_team import api as team_api
from fairlead.service._config import ServiceConfig
from fairlead.service._crm_worker import CrmWorker
from fairlead.service._dashboard import api as dashboard_api
from fairlead.service._errors import ApiError, from_input_error, shorten
from fairlead.service._lifecycle import Scheduler, prepare
from fairlead.service._logging import LOGGER
from fairlead.service._nul import nul_problem
from fairlead.service._service import Service

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: A request id a client may choose (otherwise one is made).
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
DESCRIPTION = """\
fairlead routes each new lead to the manager who maximizes expected conversion within a
fair share of the team's work, and keeps the team's KPIs. Every request except
`/healthz`, `/readyz` and `/metrics` needs an API key (`fairlead keys create`), sent as
`Authorization: Bearer fl_…`; a key sees only its own team. Errors are JSON:
`{"error": {"status", "message", "field", "id", "value", "request_id"}}`.
"""


def create_app(config: ServiceConfig | None = None) -> FastAPI:
    """The service as an ASGI application (``fairlead serve`` runs it on uvicorn).

    Parameters
    ----------
    config : ServiceConfig, optional
        Default: from the ``FAIRLEAD_*`` environment variables.
    """
    settings = config if config is not None else ServiceConfig.from_env()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        service = Service.start(settings)
        try:
            prepare(service)
        except BaseException:
            service.close()
            raise
        app.state.service = service
        scheduler = Scheduler(service)
        scheduler.start()
        crm = CrmWorker(service)
        crm.start()
        try:
            yield
        finally:
            crm.close()
            scheduler.close()
            service.close()

    app = ServiceApp(
        title="fairlead",
        summary="Fair, explainable lead routing for sales teams",
        description=DESCRIPTION,
        version=_version(),
        lifespan=lifespan,
    )
    for part in (health_api, leads_api, team_api, events_api, kpi_api, crm_api, dashboard_api):
        app.include_router(part)
    _handlers(app)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "DELETE"],
            allow_headers=["Authorization", "X-API-Key", "Content-Type", "Idempotency-Key"],
        )
    # With CORS, its headers come from a middleware inside this one: no shortcut then.
    direct: dict[tuple[str, str], Direct] = {}
    if not settings.cors_origins:
        direct[("POST", "/v1/leads")] = route_lead_directly
    framework = partial(FastAPI.__call__, app)
    app.guard = Guard(framework, max_body=settings.max_body_bytes, direct=direct)
    return app


class ServiceApp(FastAPI):
    """The FastAPI application with :class:`Guard` in front of all of it.

    In front of the framework's own layers too: the request id, the size limit, the
    log line and the metrics then cover every answer, an unexpected error's 500
    included, and a lead on the direct path passes through nothing else (the
    framework's layers cost about a tenth of a routed lead).
    """

    guard: Guard

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope["app"] = self
        await self.guard(scope, receive, send)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("fairlead")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0"


def _answer(request: Request, error: ApiError) -> JSONResponse:
    request_id = getattr(request.state, "request_id", None)
    return JSONResponse(error.body(request_id), status_code=error.status, headers=error.headers)


def _handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> JSONResponse:
        return _answer(request, exc)

    @app.exception_handler(InputError)
    async def input_error(request: Request, exc: InputError) -> JSONResponse:
        return _answer(request, from_input_error(exc))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return _answer(request, validation_error(exc, request.path_params))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        message, field = str(exc.detail), None
        if exc.status_code == 400:
            field = "body"  # Starlette could not read it (not UTF-8, a broken form)
        elif exc.status_code == 404:
            message = f"no such path: {request.method} {request.url.path}"
        elif exc.status_code == 405:
            message = f"{request.method} is not allowed on {request.url.path}"
        error = ApiError(exc.status_code, message, field=field, headers=dict(exc.headers or {}))
        return _answer(request, error)

    @app.exception_handler(CrmError)
    async def crm_error(request: Request, exc: CrmError) -> JSONResponse:
        # The CRM refused or could not be reached: its own words, never its address.
        return _answer(request, ApiError(502, f"the CRM did not do it: {exc}", field="crm"))

    @app.exception_handler(StoreError)
    async def store_error(request: Request, exc: StoreError) -> JSONResponse:
        LOGGER.error(f"routing state problem: {exc}")
        return _answer(request, ApiError(503, f"the team's routing state needs care: {exc}"))

    @app.exception_handler(OperationalError)
    async def database_down(request: Request, exc: OperationalError) -> JSONResponse:
        LOGGER.error(f"database unavailable: {type(exc.orig).__name__}")
        return _answer(request, ApiError(503, "the database cannot be reached; try again"))

    @app.exception_handler(SQLAlchemyError)
    async def database_error(request: Request, exc: SQLAlchemyError) -> JSONResponse:
        LOGGER.error(f"database error: {type(exc).__name__}", exc_info=exc)
        return _answer(request, ApiError(500, "the database refused the change; nothing was saved"))

    @app.exception_handler(Exception)
    async def internal(request: Request, exc: Exception) -> JSONResponse:
        LOGGER.error("internal error", exc_info=exc)
        return _answer(request, ApiError(500, "internal error; nothing was saved"))


#: Parts of a pydantic error's location that name a type tried, not a field.
_TYPE_TAGS = frozenset(
    {"str", "int", "float", "bool", "datetime", "date", "time", "timedelta", "dict", "list",
     "none", "bytes", "decimal", "tuple", "set", "frozenset", "enum", "literal"}
)  # fmt: skip


def _field_part(part: object) -> bool:
    text = str(part)
    return (
        text not in ("body", "query", "path", "header")
        and text not in _TYPE_TAGS
        and "[" not in text
        and not text.startswith(("function-", "json-or-python", "lax-or-strict", "union"))
    )


def validation_error(
    exc: RequestValidationError, path_params: dict[str, Any] | None = None
) -> ApiError:
    """The 400 / 422 answer to a request FastAPI could not read into its model.

    The field is the dotted path of the value (without the union branch pydantic
    tried); a rule across fields names ``body``; the id is the record's own, or the
    path's (``/v1/managers/{manager_id}``).
    """
    first = exc.errors()[0]
    location = list(first.get("loc", ()))
    loc = [str(part) for part in location if _field_part(part)]
    field = ".".join(loc) or ("body" if location[:1] == ["body"] else None)
    message = str(first.get("msg", "invalid request"))
    kind = str(first.get("type", ""))
    if kind == "json_invalid":
        return ApiError(400, f"the body is not valid JSON: {message}", field="body")
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    value = first.get("input")
    body = getattr(exc, "body", None)
    ident = body.get("id") if isinstance(body, dict) and isinstance(body.get("id"), str) else None
    if ident is None and path_params:
        ident = next((str(v) for k, v in path_params.items() if k.endswith("_id")), None)
    shown = "the body" if field in (None, "body") else repr(field)
    where = f" of {_quoted(ident)}" if ident else ""
    plain = kind == "missing" or isinstance(value, dict | list)
    got = "" if plain else f", got {_quoted(value)}"
    return ApiError(
        422,
        f"{shown}{where}: {message}{got}",
        field=field,
        ident=ident,
        value=None if kind == "missing" or isinstance(value, dict | list) else value,
    )


def _quoted(value: Any) -> str:
    """A value as a message quotes it: long text cut (an id of 10,000 characters)."""
    return repr(shorten(value, 80)) if isinstance(value, str) else repr(value)


#: A request answered without the framework's routing: the response, or ``None`` to
#: leave the request to the framework.
Direct = Callable[[Scope, Receive, bytes], Awaitable[Response | None]]


class Guard:
    """Request id, body size limit, timing, metrics and the access log (pure ASGI).

    ``direct`` maps a method and path to a handler tried first (see
    :func:`~fairlead.service._api_leads.route_lead_directly`).
    """

    def __init__(
        self, app: ASGIApp, *, max_body: int, direct: Mapping[tuple[str, str], Direct] | None = None
    ) -> None:
        self.app = app
        self.max_body = max_body
        self.direct = direct or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        given = headers.get("x-request-id", "")
        request_id = given if _REQUEST_ID.match(given) else secrets.token_hex(16)
        scope.setdefault("state", {})["request_id"] = request_id
        status = {"code": 500}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                message.setdefault("headers", []).append(
                    (b"x-request-id", request_id.encode("latin-1"))
                )
            await send(message)

        try:
            await self._answer(scope, receive, send_with_id, headers, request_id)
        finally:
            self._log(scope, status["code"], started, request_id)

    async def _answer(
        self, scope: Scope, receive: Receive, send: Send, headers: dict[str, str], request_id: str
    ) -> None:
        body = await self._read(scope, receive, headers)
        nul = None if body is None else nul_problem(scope["path"], scope["query_string"], body)
        if body is None or nul is not None:
            too_big = f"the request body is larger than {self.max_body} bytes"
            error = ApiError(413, too_big, field="body") if nul is None else nul
            response = JSONResponse(error.body(request_id), status_code=error.status)
            await response(scope, receive, send)
        else:
            chunks = [body]

            async def replay() -> Message:
                if chunks:
                    return {"type": "http.request", "body": chunks.pop(), "more_body": False}
                return await receive()

            shortcut = self.direct.get((scope["method"], scope["path"]))
            answer = None if shortcut is None else await shortcut(scope, replay, body)
            if answer is not None:
                await answer(scope, replay, send)
            else:
                await self.app(scope, replay, send)

    async def _read(self, scope: Scope, receive: Receive, headers: dict[str, str]) -> bytes | None:
        """The whole body, or ``None`` when it is over the limit (read no further)."""
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_body:
            return None
        parts: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                return None
            parts.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(parts)

    def _log(self, scope: Scope, status: int, started: float, request_id: str) -> None:
        elapsed = time.perf_counter() - started
        route = scope.get("route")
        path = getattr(route, "path", None) or "unmatched"
        app = scope.get("app")
        service = getattr(getattr(app, "state", None), "service", None)
        if service is not None:
            service.metrics.requests.labels(scope["method"], path, str(status)).observe(elapsed)
            if status >= 400:
                service.metrics.errors.labels(str(status)).inc()
        caller = scope.get("state", {}).get("caller")
        LOGGER.log(
            logging.WARNING if status >= 500 else logging.INFO,
            "request",
            extra={
                "request_id": request_id,
                "method": scope["method"],
                # Only a route's template (never a raw path: it may hold an e-mail).
                "path": path,
                "status": status,
                "ms": round(elapsed * 1000, 2),
                "team": getattr(caller, "tenant_id", None),
                "key_id": getattr(caller, "key_id", None),
            },
        )
