"""A local fake of the amoCRM / Kommo API v4 and its outgoing webhooks, for the connector's tests.

The fake speaks the wire formats of ``docs/crm/api-facts.md`` (sections 5-7): HAL lists with
``_page`` / ``_links`` / ``_embedded``, HTTP 204 with no body for an empty list,
``application/problem+json`` errors, a 7 requests-per-second limit answered with 429, Bearer
tokens (long-lived, or OAuth with single-use refresh tokens), and ``x-www-form-urlencoded``
webhooks with the legacy field names (``leads[status][0][old_status_id]`` ...).

Usage, with the loopback server of ``fakes._serve``::

    fake = FakeKommo(handler_url="http://127.0.0.1:9000/hooks/amo/<secret>")
    with serving(fake.app) as base_url:
        ...  # point the connector at base_url with the token fake.token
    fake.close()  # stops the webhook sender

Everything the server does is also reachable from Python under one lock, so a test can seed
leads, inspect them, inject failures and read the counters while the server runs in another
thread. Where the documentation is silent the fake makes a choice and says so in the docstring
of the option that controls it.
"""

from __future__ import annotations

import asyncio
import base64
import heapq
import itertools
import json
import re
import secrets
import threading
import time
import uuid
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

__all__ = [
    "ALL_LEAD_EVENTS",
    "DEFAULT_CUSTOM_FIELDS",
    "DEFAULT_GROUPS",
    "DEFAULT_PIPELINES",
    "DEFAULT_USERS",
    "DOCUMENTED_RETRY_DELAYS",
    "LOST_STATUS_ID",
    "MAX_LIMIT",
    "WEBHOOK_TIMEOUT",
    "WON_STATUS_ID",
    "Delivery",
    "FakeKommo",
    "RequestRecord",
    "TokenInfo",
    "WebhookEvent",
]

#: The system statuses present in every pipeline ("Успешно реализовано" / "Закрыто и не ...").
WON_STATUS_ID = 142
LOST_STATUS_ID = 143
#: ``limit`` of a list request: at most 250 ("Максимум - 250").
MAX_LIMIT = 250
#: amo waits at most 2 s for a webhook's answer.
WEBHOOK_TIMEOUT = 2.0
#: The documented delays before attempts 2, 3, 4 and 5 of a webhook (5 min, 15 min, 15 min, 1 h).
DOCUMENTED_RETRY_DELAYS: tuple[float, ...] = (300.0, 900.0, 900.0, 3600.0)
#: The lead events of ``POST /api/v4/webhooks`` ``settings``.
ALL_LEAD_EVENTS: tuple[str, ...] = (
    "add_lead",
    "update_lead",
    "delete_lead",
    "restore_lead",
    "status_lead",
    "responsible_lead",
)
WEBHOOK_USER_AGENT = "amoCRM-WebHook-client/1.0"

HAL = "application/hal+json"
PROBLEM = "application/problem+json"
FORM = "application/x-www-form-urlencoded"
OAUTH_PROBLEM_TYPE = "https://developers.amocrm.ru/v3/errors/OAuthProblemJson"

_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    402: "Payment Required",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
}
_DETAILS = {
    400: "Request validation failed",
    401: "Invalid user name or password",
    402: "Payment Required",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    422: "Unprocessable Entity",
    429: "You have sent too many requests in a given period of time. Try again later.",
}
_HTML_REASONS = {
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Temporarily Unavailable",
    504: "Gateway Time-out",
}
_EVENT_OF_ACTION = {
    "add": "add_lead",
    "update": "update_lead",
    "delete": "delete_lead",
    "restore": "restore_lead",
    "status": "status_lead",
    "responsible": "responsible_lead",
}
_LEAD_FIELDS = (
    "id",
    "name",
    "price",
    "responsible_user_id",
    "group_id",
    "status_id",
    "pipeline_id",
    "loss_reason_id",
    "source_id",
    "created_by",
    "updated_by",
    "created_at",
    "updated_at",
    "closed_at",
    "closest_task_at",
    "is_deleted",
    "custom_fields_values",
    "score",
    "account_id",
    "labor_cost",
)
_INT_FIELDS = (
    "price",
    "status_id",
    "pipeline_id",
    "responsible_user_id",
    "loss_reason_id",
    "created_by",
    "updated_by",
    "created_at",
    "updated_at",
    "closed_at",
)

DEFAULT_USERS: tuple[dict[str, Any], ...] = (
    {"id": 504141, "name": "Администратор", "email": "admin@example.com", "is_admin": True},
    {"id": 504142, "name": "Анна Смирнова", "email": "anna@example.com", "group_id": 625},
    {"id": 504143, "name": "Борис Иванов", "email": "boris@example.com", "group_id": 625},
    {"id": 504144, "name": "Вера Петрова", "email": "vera@example.com", "is_active": False},  # noqa: RUF001
)
DEFAULT_GROUPS: dict[int, str] = {625: "Менеджеры"}
DEFAULT_PIPELINES: tuple[dict[str, Any], ...] = (
    {
        "id": 3177727,
        "name": "Воронка",
        "is_main": True,
        "statuses": [
            {"id": 32392156, "name": "Неразобранное", "type": 1, "color": "#c1c1c1"},
            {"id": 32392159, "name": "Первичный контакт", "color": "#99ccff"},
            {"id": 32392165, "name": "Принимают решение", "color": "#ffcc66"},
        ],
    },
    {
        "id": 3177730,
        "name": "Повторные продажи",
        "statuses": [
            {"id": 32392170, "name": "Неразобранное", "type": 1, "color": "#c1c1c1"},
            {"id": 32392173, "name": "Новая заявка", "color": "#99ccff"},
            {"id": 32392176, "name": "Переговоры", "color": "#ffcc66"},
        ],
    },
)
DEFAULT_CUSTOM_FIELDS: tuple[dict[str, Any], ...] = (
    {"id": 294471, "name": "Источник заявки", "code": "LEAD_SOURCE", "type": "text"},
    {
        "id": 294473,
        "name": "Регион",
        "code": None,
        "type": "select",
        "enums": [
            {"id": 501, "value": "Москва", "code": None},
            {"id": 502, "value": "Санкт-Петербург", "code": None},
        ],
    },
)
_SYSTEM_STATUSES = (
    {"id": WON_STATUS_ID, "name": "Успешно реализовано", "sort": 10000, "color": "#CCFF66"},
    {"id": LOST_STATUS_ID, "name": "Закрыто и не реализовано", "sort": 11000, "color": "#D5D8DB"},
)


# ------------------------------------------------------------------------------------ records


@dataclass(frozen=True)
class RequestRecord:
    """One request the fake answered.

    Attributes
    ----------
    t : float
        ``time.monotonic()`` when the fake processed it (after any injected delay).
    method, path, query : str
        The request line (``path`` without the query string).
    endpoint : str
        The route it matched, e.g. ``"GET /api/v4/leads/{id}"`` (``"GET ?"`` when none).
    status : int
        The HTTP status answered.
    outcome : str
        ``"executed"`` (reached the endpoint), ``"rate_limited"`` (429), ``"blocked"`` (403 of
        the escalation), ``"injected"`` (:meth:`FakeKommo.fail_next`) or ``"outage"``.
    """

    t: float
    method: str
    path: str
    query: str
    endpoint: str
    status: int
    outcome: str


@dataclass(frozen=True)
class WebhookEvent:
    """One webhook body the fake produced (whether or not it was delivered).

    Attributes
    ----------
    id : int
        Sequence number.
    actions : tuple of str
        The ``leads[<action>]`` keys in the body (``("responsible",)``, ...); ``()`` for a replay.
    lead_ids : tuple of int
        The leads it names.
    body : str
        The exact urlencoded body.
    created_at : float
        ``time.monotonic()`` when it was produced.
    """

    id: int
    actions: tuple[str, ...]
    lead_ids: tuple[int, ...]
    body: str
    created_at: float


@dataclass(frozen=True)
class Delivery:
    """One attempt to deliver a webhook.

    Attributes
    ----------
    event_id : int
        The :class:`WebhookEvent` delivered.
    url, body : str
        Where and what was POSTed.
    attempt : int
        1 for the first try, 2-5 for the documented retries.
    status : int or None
        The receiver's HTTP status, None when no answer came (``error`` says why).
    error : str or None
        ``"timeout"`` or the connection error's text.
    ok : bool
        Whether amo would count it delivered (an answer with a status 100-299 within the timeout).
    started, elapsed : float
        ``time.monotonic()`` at the start, and seconds taken.
    """

    event_id: int
    url: str
    body: str
    attempt: int
    status: int | None
    error: str | None
    ok: bool
    started: float
    elapsed: float


@dataclass
class TokenInfo:
    """A token the fake knows.

    Attributes
    ----------
    token : str
        The token string.
    kind : str
        ``"long_lived"``, ``"access"``, ``"refresh"`` or ``"code"`` (an authorization code).
    issued_at : float
        The fake's clock when issued.
    expires_at : float or None
        The fake's clock when it stops working; None: never.
    used : bool
        A refresh token or code that was exchanged (it cannot be exchanged again).
    revoked : bool
        Revoked by :meth:`FakeKommo.revoke_token`.
    """

    token: str
    kind: str
    issued_at: float
    expires_at: float | None
    used: bool = False
    revoked: bool = False


class _RejectError(Exception):
    """Stop handling a request and answer ``response``."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


# ------------------------------------------------------------------------------------ helpers


def _json(body: Any, status: int = 200, media_type: str = HAL, **headers: str) -> Response:
    return Response(
        json.dumps(body, ensure_ascii=False),
        status_code=status,
        media_type=media_type,
        headers=headers or None,
    )


def _problem(status: int, detail: str | None = None, **extra: Any) -> Response:
    """An ``application/problem+json`` answer with the keys of the documented samples."""
    if status == 500:
        body: dict[str, Any] = {
            "title": "ErrInternalServer",
            "status": 500,
            "detail": detail or "Our team is probably already working on the problem.",
            "trace_id": str(uuid.uuid4()),
        }
    else:
        body = {
            "title": _TITLES.get(status, "Error"),
            "type": f"https://httpstatus.es/{status}",
            "status": status,
            "detail": detail or _DETAILS.get(status, "Error"),
        }
    body.update(extra)
    return _json(body, status, PROBLEM)


def _validation(errors: Mapping[str, list[dict[str, str]]]) -> Response:
    """The documented 400 ``validation-errors`` envelope, one entry per ``request_id``."""
    return _problem(
        400,
        "Request validation failed",
        **{
            "validation-errors": [
                {"request_id": rid, "errors": errs} for rid, errs in errors.items() if errs
            ]
        },
    )


def _oauth_error(status: int, title: str, detail: str, hint: str | None = None) -> Response:
    body: dict[str, Any] = {}
    if hint is not None:
        body["hint"] = hint
    body.update({"title": title, "type": OAUTH_PROBLEM_TYPE, "status": status, "detail": detail})
    return _json(body, status, "application/json")


def _default_failure(status: int) -> Response:
    if status in _HTML_REASONS and status != 500:
        reason = _HTML_REASONS[status]
        html = (
            f"<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n"
            f"<center><h1>{status} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n"
            "</body>\r\n</html>\r\n"
        )
        return Response(html, status_code=status, media_type="text/html")
    return _problem(status)


def _failure_response(status: int, body: Any, headers: Mapping[str, str] | None) -> Response:
    if body is None:
        response = _default_failure(status)
    elif isinstance(body, bytes | str):
        response = Response(body, status_code=status, media_type="text/plain")
    else:
        response = _json(body, status, PROBLEM)
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _query_int(params: Mapping[str, str], key: str, default: int | None) -> int | None:
    raw = params.get(key)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise _RejectError(_problem(400, f"Invalid value of {key}")) from None


def _indexed(items: Iterable[tuple[str, str]], name: str) -> list[str]:
    """Values of ``name``, ``name[]`` and ``name[N]`` (every way PHP-style arrays arrive)."""
    pattern = re.compile(re.escape(name) + r"(\[\d*\])?$")
    return [value for key, value in items if pattern.fullmatch(key)]


def _int_list(values: Iterable[str], key: str) -> list[int]:
    out: list[int] = []
    for value in values:
        for part in value.split(","):
            if part.strip():
                try:
                    out.append(int(part))
                except ValueError:
                    raise _RejectError(_problem(400, f"Invalid value of {key}")) from None
    return out


# ------------------------------------------------------------------------------------ delivery


class _Sender:
    """The background thread that POSTs webhooks, with amo's timeout and retry schedule."""

    def __init__(self, fake: FakeKommo) -> None:
        self.fake = fake
        self.cond = threading.Condition()
        self.heap: list[tuple[float, int, dict[str, Any]]] = []
        self.seq = itertools.count()
        self.busy = 0
        self.stopping = False
        self.thread: threading.Thread | None = None

    def put(self, job: dict[str, Any], delay: float = 0.0) -> None:
        with self.cond:
            if self.stopping:
                return
            heapq.heappush(self.heap, (time.monotonic() + delay, next(self.seq), job))
            if self.thread is None:
                self.thread = threading.Thread(
                    target=self.run, name="fake-kommo-hooks", daemon=True
                )
                self.thread.start()
            self.cond.notify_all()

    def run(self) -> None:
        while True:
            with self.cond:
                while not self.stopping:
                    now = time.monotonic()
                    if self.heap and self.heap[0][0] <= now:
                        break
                    wait = (self.heap[0][0] - now) if self.heap else None
                    self.cond.wait(wait)
                if self.stopping:
                    return
                _, _, job = heapq.heappop(self.heap)
                self.busy += 1
            try:
                self.fake._deliver(job)
            except Exception:  # pragma: no cover - a delivery must never kill the thread
                pass
            finally:
                with self.cond:
                    self.busy -= 1
                    self.cond.notify_all()

    def idle(self) -> bool:
        with self.cond:
            return not self.heap and not self.busy

    def wait_idle(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self.cond:
            while self.heap or self.busy:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.cond.wait(min(left, 0.05))
            return True

    def stop(self) -> None:
        with self.cond:
            self.stopping = True
            self.heap.clear()
            self.cond.notify_all()
            thread = self.thread
        if thread is not None:
            thread.join(timeout=WEBHOOK_TIMEOUT + 1)


# ------------------------------------------------------------------------------------ the fake


class FakeKommo:
    """A fake amoCRM / Kommo account: API v4, OAuth, rate limit and outgoing webhooks.

    Build it, serve :attr:`app` (e.g. with ``fakes._serve.serving``), drive it from the test.
    All state lives behind one re-entrant lock; every public method is thread-safe.

    Parameters
    ----------
    subdomain : str
        The account's subdomain; webhooks carry ``account[subdomain]`` and
        ``account[_links][self] = https://<subdomain>.<domain>``.
    account_id : int
        ``account_id`` of leads and ``account[id]`` of webhooks.
    domain : str
        ``"amocrm.ru"`` (default), ``"amocrm.com"`` or ``"kommo.com"``; only used in webhooks.
    token : str or None
        A long-lived token accepted as ``Authorization: Bearer <token>`` (None: none).
    users : iterable of mapping, optional
        The account's users, each ``{"id", "name"}`` plus optional ``email``, ``lang``
        (``"ru"``), ``is_active`` (True), ``is_admin`` (False), ``is_free``, ``group_id``,
        ``role_id``, ``status_rights``. Default :data:`DEFAULT_USERS` (an admin, two active
        managers in group 625, an inactive one).
    groups : mapping of int to str, optional
        Group names by id (``_embedded.groups`` with ``with=group``); default {625: "Менеджеры"}.
    pipelines : sequence of mapping, optional
        Each ``{"id", "name", "is_main"?, "statuses": [{"id", "name", "type"?, "color"?}]}``;
        statuses 142 (won) and 143 (lost) are appended to every pipeline unless given. The
        first pipeline is the main one unless one says ``is_main``. Default
        :data:`DEFAULT_PIPELINES`.
    custom_fields : sequence of mapping, optional
        Lead fields writable through ``custom_fields_values``: ``{"id", "name", "code",
        "type", "enums"?: [{"id", "value", "code"}]}``. Default :data:`DEFAULT_CUSTOM_FIELDS`.
    api_user_id : int, optional
        The user the tokens belong to: written as ``updated_by`` of API changes (so webhooks
        echo it as ``modified_user_id``); ``GET /api/v4/users`` needs this user to be an admin
        (the method is "available only with account administrator rights"), else 403.
        Default: the first admin.
    rate : int
        Requests admitted per ``rate_window`` seconds (documented: 7 per second per
        integration). Only ``/api/`` paths are limited, not ``/oauth2/access_token``. The
        window slides and holds admitted requests only, so rejected ones do not prolong it.
    rate_window : float
        The window of ``rate``, seconds.
    block_after : int or None
        Documented escalation: after this many 429 answers every API request gets 403 until
        :meth:`unblock`. None (default): never.
    retry_after : int or None
        ``retry_after`` of the 429 body (the documented sample has 300). None: omitted.
    client_id, client_secret, redirect_uri : str
        The OAuth integration's credentials; the token endpoint checks all three.
    refresh_token : str or None
        A refresh token valid at start (None: none); see :meth:`issue_auth_code` for codes.
    access_ttl : int
        ``expires_in`` of issued access tokens, seconds (documented 86400).
    refresh_ttl : int
        Lifetime of refresh tokens, seconds ("Refresh токен действует всего 3 месяца").
    revoked_refresh_status : int
        HTTP status when a refresh token is reused. The docs give only "400 — переданы
        некорректные данные"; accounts reported 401 with ``"hint": "Token has been revoked"``
        (amocrm/amocrm-api-php#123, #315), which is the default.
    clock : callable
        Wall clock in Unix seconds (``time.time``): timestamps of leads and token expiry.
    handler_url : str or None
        Where webhooks go (fairlead's URL, secret included: amo signs nothing). None: events
        are produced and kept in :attr:`events` but not sent. Settable later.
    events : iterable of str
        Subscribed events (``settings`` of ``POST /api/v4/webhooks``); default all lead events.
    echo_api_changes : bool
        Whether changes made through the API (PATCH) fire ``update`` / ``status`` /
        ``responsible`` webhooks like changes made in the UI. The documentation does not say;
        the default True assumes they do, so a connector must recognise its own write-backs
        (e.g. by ``modified_user_id`` == the token's user). Leads created through the API
        always fire ``add``.
    combine_actions : bool
        One POST per change with all its actions (``leads[status]`` and ``leads[update]`` in
        one body) instead of one POST per action (default).
    webhook_timeout : float
        Seconds to wait for the receiver's answer (documented: 2).
    webhook_retry_delays : sequence of float
        Delays before attempts 2, 3, ... (documented :data:`DOCUMENTED_RETRY_DELAYS`: 5 min,
        15 min, 15 min, 1 h). Attempts 2-3 follow no answer or a status outside 100-299;
        attempts 4-5 only a 499 or 5xx. Default ``()``: no retries; pass scaled delays in tests.
    disable_after : int or None
        Documented: the hook is disabled when more than this many invalid answers came within
        the last 2 hours and the latest is invalid (100). After that nothing is sent until
        :meth:`enable_webhook`. None: never.
    max_batch : int
        Most leads in one POST/PATCH; more gives 422. Kommo's status page shows a 422 for more
        than 250 leads; the official SDK advises at most 50, the default here.
    default_limit : int
        Page size when ``limit`` is not given (50).
    missing_lead_status : int
        Answer of ``GET /api/v4/leads/{id}`` for a missing lead: 204 as documented ("204: the
        lead with this ID does not exist"), or 404 for a problem+json "Not Found".
    """

    def __init__(
        self,
        *,
        subdomain: str = "example",
        account_id: int = 28805383,
        domain: str = "amocrm.ru",
        token: str | None = "long-lived-token",
        users: Iterable[Mapping[str, Any]] | None = None,
        groups: Mapping[int, str] | None = None,
        pipelines: Sequence[Mapping[str, Any]] | None = None,
        custom_fields: Sequence[Mapping[str, Any]] | None = None,
        api_user_id: int | None = None,
        rate: int = 7,
        rate_window: float = 1.0,
        block_after: int | None = None,
        retry_after: int | None = 300,
        client_id: str = "fairlead-client-id",
        client_secret: str = "fairlead-client-secret",
        redirect_uri: str = "https://fairlead.example/oauth/amocrm",
        refresh_token: str | None = "initial-refresh-token",
        access_ttl: int = 86400,
        refresh_ttl: int = 90 * 86400,
        revoked_refresh_status: int = 401,
        clock: Callable[[], float] = time.time,
        handler_url: str | None = None,
        events: Iterable[str] = ALL_LEAD_EVENTS,
        echo_api_changes: bool = True,
        combine_actions: bool = False,
        webhook_timeout: float = WEBHOOK_TIMEOUT,
        webhook_retry_delays: Sequence[float] = (),
        disable_after: int | None = 100,
        max_batch: int = 50,
        default_limit: int = 50,
        missing_lead_status: int = 204,
    ) -> None:
        self._lock = threading.RLock()
        self.subdomain = subdomain
        self.account_id = account_id
        self.account_url = f"https://{subdomain}.{domain}"
        self.token = token
        self.rate = rate
        self.rate_window = rate_window
        self.block_after = block_after
        self.retry_after = retry_after
        self.client_id = client_id
        self.client_secret = client_secret
        self.redirect_uri = redirect_uri
        self.access_ttl = access_ttl
        self.refresh_ttl = refresh_ttl
        self.revoked_refresh_status = revoked_refresh_status
        self.clock = clock
        self._handler_url = handler_url
        self.subscribed = frozenset(events)
        self.echo_api_changes = echo_api_changes
        self.combine_actions = combine_actions
        self.webhook_timeout = webhook_timeout
        self.webhook_retry_delays = tuple(webhook_retry_delays)
        self.disable_after = disable_after
        self.max_batch = max_batch
        self.default_limit = default_limit
        self.missing_lead_status = missing_lead_status

        self._users: dict[int, dict[str, Any]] = {}
        for user in DEFAULT_USERS if users is None else users:
            self.add_user(**user)
        self._groups = dict(DEFAULT_GROUPS if groups is None else groups)
        admins = [uid for uid, u in self._users.items() if u["is_admin"]]
        self.api_user_id = (
            api_user_id
            if api_user_id is not None
            else (admins[0] if admins else next(iter(self._users), 0))
        )
        self._pipelines: dict[int, dict[str, Any]] = {}
        for pipeline in DEFAULT_PIPELINES if pipelines is None else pipelines:
            self._add_pipeline(pipeline)
        if self._pipelines and not any(p["is_main"] for p in self._pipelines.values()):
            next(iter(self._pipelines.values()))["is_main"] = True
        self._fields: dict[int, dict[str, Any]] = {}
        for cf in DEFAULT_CUSTOM_FIELDS if custom_fields is None else custom_fields:
            self._fields[int(cf["id"])] = {
                "id": int(cf["id"]),
                "name": cf["name"],
                "code": cf.get("code"),
                "type": cf.get("type", "text"),
                "enums": list(cf.get("enums", ())),
            }

        self._leads: dict[int, dict[str, Any]] = {}
        self._next_lead_id = 1000001
        self._tokens: dict[str, TokenInfo] = {}
        now = self.clock()
        if token is not None:
            self._tokens[token] = TokenInfo(token, "long_lived", now, None)
        if refresh_token is not None:
            self._tokens[refresh_token] = TokenInfo(
                refresh_token, "refresh", now, now + refresh_ttl
            )

        # failure injection
        self._failures: list[list[Any]] = []
        self._outage: tuple[int, Any] | None = None
        self._delay = 0.0
        # rate limit
        self._admitted: deque[float] = deque()
        self._violations = 0
        self._blocked = False
        # counters
        self._total = 0
        self._executed = 0
        self._rate_limited = 0
        self._blocked_count = 0
        self._injected = 0
        self._auth_failures = 0
        self._per_endpoint: Counter[str] = Counter()
        self._by_status: Counter[int] = Counter()
        self._log: list[RequestRecord] = []
        # webhooks
        self._events: list[WebhookEvent] = []
        self._deliveries: list[Delivery] = []
        self._invalid_times: deque[float] = deque()
        self._webhook_disabled = False
        self._sender = _Sender(self)

        self._routes: list[tuple[str, re.Pattern[str], str, Callable[..., Awaitable[Response]]]]
        self._routes = [
            ("GET", re.compile(r"/api/v4/leads"), "GET /api/v4/leads", self._list_leads),
            ("POST", re.compile(r"/api/v4/leads"), "POST /api/v4/leads", self._create_leads),
            ("PATCH", re.compile(r"/api/v4/leads"), "PATCH /api/v4/leads", self._patch_leads),
            (
                "GET",
                re.compile(r"/api/v4/leads/pipelines"),
                "GET /api/v4/leads/pipelines",
                self._list_pipelines,
            ),
            (
                "GET",
                re.compile(r"/api/v4/leads/pipelines/(\d+)"),
                "GET /api/v4/leads/pipelines/{id}",
                self._get_pipeline,
            ),
            ("GET", re.compile(r"/api/v4/leads/(\d+)"), "GET /api/v4/leads/{id}", self._get_lead),
            (
                "PATCH",
                re.compile(r"/api/v4/leads/(\d+)"),
                "PATCH /api/v4/leads/{id}",
                self._patch_lead,
            ),
            ("GET", re.compile(r"/api/v4/users"), "GET /api/v4/users", self._list_users),
            ("GET", re.compile(r"/api/v4/users/(\d+)"), "GET /api/v4/users/{id}", self._get_user),
            (
                "POST",
                re.compile(r"/oauth2/access_token"),
                "POST /oauth2/access_token",
                self._oauth_token,
            ),
        ]
        methods = ["GET", "POST", "PATCH", "PUT", "DELETE", "HEAD", "OPTIONS"]
        self.app = Starlette(
            routes=[
                Route("/", self._dispatch, methods=methods),
                Route("/{path:path}", self._dispatch, methods=methods),
            ]
        )

    # -------------------------------------------------------------------- lifecycle

    def close(self) -> None:
        """Stop the webhook sender (pending deliveries are dropped)."""
        self._sender.stop()

    def __enter__(self) -> FakeKommo:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -------------------------------------------------------------------- seeding: users etc.

    def add_user(
        self,
        id: int,
        name: str,
        *,
        email: str | None = None,
        lang: str = "ru",
        is_active: bool = True,
        is_admin: bool = False,
        is_free: bool = False,
        group_id: int | None = None,
        role_id: int | None = None,
        status_rights: list[dict[str, Any]] | None = None,
    ) -> None:
        """Add (or replace) a user of the account.

        Parameters
        ----------
        id, name : int, str
            The user.
        email, lang, is_active, is_admin, is_free, group_id, role_id, status_rights
            As in ``GET /api/v4/users`` (``rights.*`` for the flags and ids).
        """
        with self._lock:
            self._users[int(id)] = {
                "id": int(id),
                "name": name,
                "email": email if email is not None else f"user{id}@example.com",
                "lang": lang,
                "is_active": is_active,
                "is_admin": is_admin,
                "is_free": is_free,
                "group_id": group_id,
                "role_id": role_id,
                "status_rights": list(status_rights or []),
            }

    def update_user(self, user_id: int, **fields: Any) -> None:
        """Change a user's attributes (the keyword names of :meth:`add_user`).

        Parameters
        ----------
        user_id : int
            The user.
        **fields
            E.g. ``is_active=False`` to deactivate a manager.
        """
        with self._lock:
            user = self._users[user_id]
            unknown = set(fields) - set(user)
            if unknown:
                raise TypeError(f"unknown user fields: {sorted(unknown)}")
            user.update(fields)

    def _add_pipeline(self, spec: Mapping[str, Any]) -> None:
        pid = int(spec["id"])
        statuses = []
        given = list(spec.get("statuses", ()))
        ids = {int(s["id"]) for s in given}
        given += [dict(s) for s in _SYSTEM_STATUSES if s["id"] not in ids]
        for n, status in enumerate(given, start=1):
            sid = int(status["id"])
            system = sid in (WON_STATUS_ID, LOST_STATUS_ID)
            kind = int(status.get("type", 0))
            statuses.append(
                {
                    "id": sid,
                    "name": status["name"],
                    "sort": int(status.get("sort", 10 * n)),
                    "is_editable": bool(status.get("is_editable", not system and kind != 1)),
                    "pipeline_id": pid,
                    "color": status.get("color", "#99ccff"),
                    "type": kind,
                    "account_id": self.account_id,
                }
            )
        self._pipelines[pid] = {
            "id": pid,
            "name": spec["name"],
            "sort": int(spec.get("sort", len(self._pipelines) + 1)),
            "is_main": bool(spec.get("is_main", False)),
            "is_unsorted_on": bool(spec.get("is_unsorted_on", True)),
            "is_archive": bool(spec.get("is_archive", False)),
            "account_id": self.account_id,
            "statuses": statuses,
        }

    @property
    def users(self) -> list[dict[str, Any]]:
        """Copies of the users (flat: ``id, name, email, lang, is_active, is_admin, ...``)."""
        with self._lock:
            return [dict(u) for u in self._users.values()]

    @property
    def pipelines(self) -> list[dict[str, Any]]:
        """Copies of the pipelines, each with its ``statuses``."""
        with self._lock:
            return [
                {**p, "statuses": [dict(s) for s in p["statuses"]]}
                for p in self._pipelines.values()
            ]

    @property
    def main_pipeline_id(self) -> int:
        """The id of the main pipeline."""
        with self._lock:
            return next(p["id"] for p in self._pipelines.values() if p["is_main"])

    def first_status_id(self, pipeline_id: int | None = None) -> int:
        """The first open, sorted stage of a pipeline (where a lead lands by default).

        Parameters
        ----------
        pipeline_id : int, optional
            Default: the main pipeline.
        """
        with self._lock:
            pipeline = self._pipelines[pipeline_id or self.main_pipeline_id]
            for status in pipeline["statuses"]:
                if status["type"] == 0 and status["id"] not in (WON_STATUS_ID, LOST_STATUS_ID):
                    return int(status["id"])
            return int(pipeline["statuses"][0]["id"])

    # -------------------------------------------------------------------- leads from Python

    def add_lead(self, *, notify: bool = True, **fields: Any) -> dict[str, Any]:
        """Create a lead as if entered in amoCRM; fires ``leads[add]``.

        Parameters
        ----------
        notify : bool
            Whether to fire the webhook (False to seed quietly).
        **fields
            Any writable lead field: ``name, price, status_id, pipeline_id,
            responsible_user_id, created_by, updated_by, created_at, updated_at, closed_at,
            loss_reason_id, custom_fields_values`` (write shape ``[{"field_id", "values":
            [{"value"} or {"enum_id"}]}]``), plus ``id``, ``score``, ``labor_cost``,
            ``closest_task_at``, ``source_id`` and ``tags`` (``[{"id", "name"}]``).
            ``created_at`` / ``updated_at`` default to the clock, ``responsible_user_id`` and
            ``created_by`` to the API user.

        Returns
        -------
        dict
            The lead in the API's shape (a copy, without ``_links``).

        Raises
        ------
        ValueError
            If a field is invalid (unknown user, status not in the pipeline, ...).
        """
        with self._lock:
            lead_id = fields.pop("id", None)
            lead, errors = self._new_lead(fields, lead_id)
            if errors:
                raise ValueError(errors)
            assert lead is not None
            self._leads[lead["id"]] = lead
            if notify:
                self._notify([("add", [(lead, None)])])
            return self._copy(lead)

    def update_lead(
        self, lead_id: int, *, notify: bool = True, by: int | None = None, **fields: Any
    ) -> dict[str, Any]:
        """Change a lead as if edited in amoCRM by a user; fires the matching webhooks.

        A change of ``status_id`` / ``pipeline_id`` fires ``leads[status]``, of
        ``responsible_user_id`` fires ``leads[responsible]``, and any change ``leads[update]``
        (always, unlike API changes, which follow ``echo_api_changes``).

        Parameters
        ----------
        lead_id : int
            The lead.
        notify : bool
            Whether to fire webhooks.
        by : int, optional
            The user making the change (``updated_by``); default the lead's responsible user.
        **fields
            Writable fields, as for :meth:`add_lead`.

        Returns
        -------
        dict
            The updated lead (a copy).
        """
        with self._lock:
            lead = self._leads[lead_id]
            who = by if by is not None else lead["responsible_user_id"]
            fields.setdefault("updated_by", who)
            errors = self._check_update(lead, fields)
            if errors:
                raise ValueError(errors)
            old = self._copy(lead)
            self._apply(lead, fields)
            if notify:
                self._notify(self._change_actions([(lead, old)]))
            return self._copy(lead)

    def delete_lead(self, lead_id: int, *, notify: bool = True) -> None:
        """Move a lead to the bin (``is_deleted``); fires ``leads[delete]``.

        Parameters
        ----------
        lead_id : int
            The lead.
        notify : bool
            Whether to fire the webhook.
        """
        with self._lock:
            lead = self._leads[lead_id]
            lead["is_deleted"] = True
            lead["updated_at"] = int(self.clock())
            if notify:
                self._notify([("delete", [(lead, None)])])

    def restore_lead(self, lead_id: int, *, notify: bool = True) -> None:
        """Take a lead out of the bin; fires ``leads[restore]``.

        Parameters
        ----------
        lead_id : int
            The lead.
        notify : bool
            Whether to fire the webhook.
        """
        with self._lock:
            lead = self._leads[lead_id]
            lead["is_deleted"] = False
            lead["updated_at"] = int(self.clock())
            if notify:
                self._notify([("restore", [(lead, None)])])

    def lead(self, lead_id: int) -> dict[str, Any] | None:
        """A copy of a lead (deleted ones too), or None.

        Parameters
        ----------
        lead_id : int
            The lead.
        """
        with self._lock:
            lead = self._leads.get(lead_id)
            return self._copy(lead) if lead is not None else None

    @property
    def leads(self) -> list[dict[str, Any]]:
        """Copies of all leads, by id (deleted ones included, with ``is_deleted``)."""
        with self._lock:
            return [self._copy(self._leads[k]) for k in sorted(self._leads)]

    # -------------------------------------------------------------------- failure injection

    def fail_next(
        self,
        n: int = 1,
        status: int = 503,
        body: Any = None,
        *,
        path: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Answer the next ``n`` requests (optionally only those under ``path``) with an error.

        Parameters
        ----------
        n : int
            How many requests.
        status : int
            Their HTTP status.
        body : dict, str, bytes or None
            A dict is sent as problem+json, text as is; None: the documented problem+json of
            ``status`` (400-429, 500) or an nginx-style HTML page (502, 503, 504).
        path : str, optional
            Only requests whose path starts with this (e.g. ``"/api/v4/leads"``).
        headers : mapping, optional
            Extra response headers (e.g. ``{"Retry-After": "1"}``).
        """
        with self._lock:
            self._failures.append([n, status, body, path, dict(headers or {})])

    def outage(self, on: bool = True, status: int = 503, body: Any = None) -> None:
        """Answer every request with ``status`` until called with ``on=False``.

        Parameters
        ----------
        on : bool
            Start (True) or end (False) the outage.
        status : int
            The status during the outage.
        body : dict, str, bytes or None
            As for :meth:`fail_next`.
        """
        with self._lock:
            self._outage = (status, body) if on else None

    def delay(self, seconds: float) -> None:
        """Wait ``seconds`` before answering each request (0 to stop).

        Parameters
        ----------
        seconds : float
            The delay.
        """
        with self._lock:
            self._delay = max(0.0, float(seconds))

    def unblock(self) -> None:
        """End the 403 block of ``block_after`` and forget the 429s counted towards it."""
        with self._lock:
            self._blocked = False
            self._violations = 0

    @property
    def blocked(self) -> bool:
        """Whether the account is blocked (403) for repeated 429s."""
        with self._lock:
            return self._blocked

    # -------------------------------------------------------------------- counters

    @property
    def total_requests(self) -> int:
        """Requests received."""
        with self._lock:
            return self._total

    @property
    def executed(self) -> int:
        """Requests that reached an endpoint (whatever it answered)."""
        with self._lock:
            return self._executed

    @property
    def rate_limited(self) -> int:
        """Requests answered 429 by the rate limit."""
        with self._lock:
            return self._rate_limited

    @property
    def blocked_requests(self) -> int:
        """Requests answered 403 by the block of ``block_after``."""
        with self._lock:
            return self._blocked_count

    @property
    def injected(self) -> int:
        """Requests answered by :meth:`fail_next` or :meth:`outage`."""
        with self._lock:
            return self._injected

    @property
    def auth_failures(self) -> int:
        """API requests answered 401 (no, unknown, expired or revoked token)."""
        with self._lock:
            return self._auth_failures

    @property
    def per_endpoint(self) -> Counter[str]:
        """Requests per route, e.g. ``{"GET /api/v4/leads": 3, "PATCH /api/v4/leads": 1}``."""
        with self._lock:
            return Counter(self._per_endpoint)

    @property
    def by_status(self) -> Counter[int]:
        """Requests per HTTP status answered."""
        with self._lock:
            return Counter(self._by_status)

    @property
    def log(self) -> list[RequestRecord]:
        """Every request, in order: ``(t, method, path, query, endpoint, status, outcome)``."""
        with self._lock:
            return list(self._log)

    def peak_rate(self, window: float | None = None, prefix: str = "/api/") -> int:
        """The most requests received within any ``window`` seconds (counting rejected ones).

        A client that honours the limit keeps this at most ``rate``.

        Parameters
        ----------
        window : float, optional
            Default ``rate_window``.
        prefix : str
            Only requests whose path starts with this (the limited ones by default).
        """
        window = self.rate_window if window is None else window
        times = sorted(r.t for r in self.log if r.path.startswith(prefix))
        best = 0
        start = 0
        for end, t in enumerate(times):
            while t - times[start] >= window:
                start += 1
            best = max(best, end - start + 1)
        return best

    def stats(self) -> dict[str, Any]:
        """All counters in one dict (``total, executed, rate_limited, blocked, injected,
        auth_failures, per_endpoint, by_status, events, deliveries``)."""
        with self._lock:
            return {
                "total": self._total,
                "executed": self._executed,
                "rate_limited": self._rate_limited,
                "blocked": self._blocked_count,
                "injected": self._injected,
                "auth_failures": self._auth_failures,
                "per_endpoint": dict(self._per_endpoint),
                "by_status": dict(self._by_status),
                "events": len(self._events),
                "deliveries": len(self._deliveries),
            }

    def reset_counters(self) -> None:
        """Zero the counters and the request log (not the data, tokens or webhooks)."""
        with self._lock:
            self._total = self._executed = self._rate_limited = 0
            self._blocked_count = self._injected = self._auth_failures = 0
            self._per_endpoint.clear()
            self._by_status.clear()
            self._log.clear()

    # -------------------------------------------------------------------- tokens

    def add_long_lived_token(self, token: str, ttl: float | None = None) -> None:
        """Accept another long-lived token (from 1 day to 5 years in amo; None: forever).

        Parameters
        ----------
        token : str
            The token.
        ttl : float, optional
            Seconds until it expires.
        """
        with self._lock:
            now = self.clock()
            self._tokens[token] = TokenInfo(
                token, "long_lived", now, None if ttl is None else now + ttl
            )

    def issue_auth_code(self, ttl: float = 20 * 60) -> str:
        """An authorization code for ``grant_type=authorization_code`` (lives 20 min, once).

        Parameters
        ----------
        ttl : float
            Seconds until it expires.
        """
        with self._lock:
            code = "def50200" + secrets.token_hex(32)
            now = self.clock()
            self._tokens[code] = TokenInfo(code, "code", now, now + ttl)
            return code

    def expire_token(self, token: str) -> None:
        """Make a token (of any kind) expired now.

        Parameters
        ----------
        token : str
            The token.
        """
        with self._lock:
            self._tokens[token].expires_at = self.clock() - 1

    def revoke_token(self, token: str) -> None:
        """Revoke a token, as when an admin disables the integration.

        Parameters
        ----------
        token : str
            The token.
        """
        with self._lock:
            self._tokens[token].revoked = True

    def revoke_all(self) -> None:
        """Revoke every token (the integration disabled)."""
        with self._lock:
            for info in self._tokens.values():
                info.revoked = True

    def tokens(self, kind: str | None = None) -> list[TokenInfo]:
        """Copies of the tokens the fake knows, in issue order.

        Parameters
        ----------
        kind : str, optional
            Only ``"long_lived"``, ``"access"``, ``"refresh"`` or ``"code"``.
        """
        with self._lock:
            return [
                TokenInfo(**vars(info))
                for info in self._tokens.values()
                if kind is None or info.kind == kind
            ]

    def token_valid(self, token: str) -> bool:
        """Whether the API would accept ``Authorization: Bearer <token>`` now.

        Parameters
        ----------
        token : str
            The token.
        """
        with self._lock:
            info = self._tokens.get(token)
            return (
                info is not None
                and info.kind in ("long_lived", "access")
                and not info.revoked
                and (info.expires_at is None or self.clock() < info.expires_at)
            )

    # -------------------------------------------------------------------- webhooks

    @property
    def handler_url(self) -> str | None:
        """Where webhooks are sent (None: nowhere)."""
        with self._lock:
            return self._handler_url

    @handler_url.setter
    def handler_url(self, url: str | None) -> None:
        with self._lock:
            self._handler_url = url

    @property
    def events(self) -> list[WebhookEvent]:
        """Every webhook body produced, in order."""
        with self._lock:
            return list(self._events)

    @property
    def deliveries(self) -> list[Delivery]:
        """Every delivery attempt, in order."""
        with self._lock:
            return list(self._deliveries)

    @property
    def webhook_disabled(self) -> bool:
        """Whether the hook was disabled after too many invalid answers."""
        with self._lock:
            return self._webhook_disabled

    def enable_webhook(self) -> None:
        """Re-enable a disabled hook (as an admin would in the settings)."""
        with self._lock:
            self._webhook_disabled = False
            self._invalid_times.clear()

    def send_event(
        self,
        body: str | bytes | Mapping[str, Any] | Sequence[tuple[str, Any]],
        url: str | None = None,
    ) -> WebhookEvent:
        """Send a webhook body as given (to replay one exactly, e.g. a duplicate).

        Parameters
        ----------
        body : str, bytes, mapping or sequence of pairs
            A raw urlencoded body, or pairs / a mapping to urlencode in order.
        url : str, optional
            Default :attr:`handler_url`.

        Returns
        -------
        WebhookEvent
            The event recorded (its deliveries appear in :attr:`deliveries`).
        """
        if isinstance(body, bytes):
            text = body.decode()
        elif isinstance(body, str):
            text = body
        else:
            pairs = list(body.items()) if isinstance(body, Mapping) else list(body)
            text = urlencode([(k, str(v)) for k, v in pairs])
        ids = tuple(
            int(v) for k, v in parse_qsl(text) if re.fullmatch(r"leads\[\w+\]\[\d+\]\[id\]", k)
        )
        with self._lock:
            event = WebhookEvent(len(self._events) + 1, (), ids, text, time.monotonic())
            self._events.append(event)
            target = url or self._handler_url
        if target is not None:
            self._sender.put({"event_id": event.id, "url": target, "body": text, "attempt": 1})
        return event

    def wait_deliveries(self, count: int, timeout: float = 5.0) -> bool:
        """Wait until at least ``count`` delivery attempts are recorded.

        Parameters
        ----------
        count : int
            Attempts to wait for.
        timeout : float
            Seconds.

        Returns
        -------
        bool
            False on timeout.
        """
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self._deliveries) >= count:
                    return True
            time.sleep(0.01)
        with self._lock:
            return len(self._deliveries) >= count

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Wait until no webhook is queued, in flight, or scheduled for a retry.

        Parameters
        ----------
        timeout : float
            Seconds.

        Returns
        -------
        bool
            False on timeout.
        """
        return self._sender.wait_idle(timeout)

    def _notify(self, changes: list[tuple[str, list[tuple[dict[str, Any], Any]]]]) -> None:
        """Produce (and queue) the webhooks of ``[(action, [(lead, old), ...]), ...]``."""
        changes = [(a, items) for a, items in changes if _EVENT_OF_ACTION[a] in self.subscribed]
        if not changes:
            return
        groups = [changes] if self.combine_actions else [[c] for c in changes]
        for group in groups:
            pairs = [
                ("account[subdomain]", self.subdomain),
                ("account[id]", str(self.account_id)),
                ("account[_links][self]", self.account_url),
            ]
            ids: list[int] = []
            for action, items in group:
                for n, (lead, old) in enumerate(items):
                    ids.append(lead["id"])
                    for key, value in self._hook_fields(lead, action, old):
                        pairs.append((f"leads[{action}][{n}]{key}", value))
            body = urlencode(pairs)
            event = WebhookEvent(
                len(self._events) + 1,
                tuple(a for a, _ in group),
                tuple(ids),
                body,
                time.monotonic(),
            )
            self._events.append(event)
            if self._handler_url is not None:
                self._sender.put(
                    {"event_id": event.id, "url": self._handler_url, "body": body, "attempt": 1}
                )

    def _hook_fields(
        self, lead: Mapping[str, Any], action: str, old: Mapping[str, Any] | None
    ) -> list[tuple[str, str]]:
        """The legacy (v2) fields of one lead in a webhook, in the order of real captures."""

        def s(value: Any) -> str:
            return "" if value is None else str(value)

        if action == "delete":
            return [
                ("[id]", s(lead["id"])),
                ("[status_id]", s(lead["status_id"])),
                ("[pipeline_id]", s(lead["pipeline_id"])),
            ]
        out = [("[id]", s(lead["id"])), ("[name]", s(lead["name"]))]
        out.append(("[status_id]", s(lead["status_id"])))
        if action == "status" and old is not None:
            out.append(("[old_status_id]", s(old["status_id"])))
        out += [
            ("[price]", s(lead["price"] or 0)),
            ("[responsible_user_id]", s(lead["responsible_user_id"])),
            ("[last_modified]", s(lead["updated_at"])),
            ("[modified_user_id]", s(lead["updated_by"])),
            ("[created_user_id]", s(lead["created_by"])),
            ("[date_create]", s(lead["created_at"])),
            ("[pipeline_id]", s(lead["pipeline_id"])),
        ]
        if action == "status" and old is not None:
            out.append(("[old_pipeline_id]", s(old["pipeline_id"])))
        out.append(("[account_id]", s(lead["account_id"])))
        for i, tag in enumerate(lead["tags"]):
            out += [(f"[tags][{i}][id]", s(tag.get("id"))), (f"[tags][{i}][name]", s(tag["name"]))]
        for i, cf in enumerate(lead["custom_fields_values"] or []):
            out += [(f"[custom_fields][{i}][id]", s(cf["field_id"]))]
            out += [(f"[custom_fields][{i}][name]", s(cf["field_name"]))]
            for j, value in enumerate(cf["values"]):
                out.append((f"[custom_fields][{i}][values][{j}][value]", s(value.get("value"))))
                if value.get("enum_id") is not None:
                    out.append((f"[custom_fields][{i}][values][{j}][enum]", s(value["enum_id"])))
            if cf.get("field_code"):
                out.append((f"[custom_fields][{i}][code]", s(cf["field_code"])))
        if action == "responsible" and old is not None:
            out.append(("[old_responsible_user_id]", s(old["responsible_user_id"])))
        out += [("[created_at]", s(lead["created_at"])), ("[updated_at]", s(lead["updated_at"]))]
        return out

    def _change_actions(
        self, pairs: list[tuple[dict[str, Any], dict[str, Any]]]
    ) -> list[tuple[str, list[tuple[dict[str, Any], Any]]]]:
        status = [
            (lead, old)
            for lead, old in pairs
            if (lead["status_id"], lead["pipeline_id"]) != (old["status_id"], old["pipeline_id"])
        ]
        responsible = [
            (lead, old)
            for lead, old in pairs
            if lead["responsible_user_id"] != old["responsible_user_id"]
        ]
        actions: list[tuple[str, list[tuple[dict[str, Any], Any]]]] = []
        if status:
            actions.append(("status", status))
        if responsible:
            actions.append(("responsible", responsible))
        actions.append(("update", list(pairs)))
        return actions

    def _deliver(self, job: dict[str, Any]) -> None:
        """One POST of a webhook (in the sender's thread); schedules the retry if due."""
        with self._lock:
            if self._webhook_disabled:
                return
        started = time.monotonic()
        status: int | None = None
        error: str | None = None
        try:
            with httpx.Client(timeout=self.webhook_timeout) as client:
                response = client.post(
                    job["url"],
                    content=job["body"].encode(),
                    headers={"Content-Type": FORM, "User-Agent": WEBHOOK_USER_AGENT},
                )
            status = response.status_code
        except httpx.TimeoutException:
            error = "timeout"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"
        elapsed = time.monotonic() - started
        ok = status is not None and 100 <= status <= 299
        record = Delivery(
            event_id=job["event_id"],
            url=job["url"],
            body=job["body"],
            attempt=job["attempt"],
            status=status,
            error=error,
            ok=ok,
            started=started,
            elapsed=elapsed,
        )
        with self._lock:
            self._deliveries.append(record)
            if not ok:
                now = time.monotonic()
                self._invalid_times.append(now)
                while self._invalid_times and now - self._invalid_times[0] > 7200:
                    self._invalid_times.popleft()
                if self.disable_after is not None and len(self._invalid_times) > self.disable_after:
                    self._webhook_disabled = True
        if ok:
            return
        attempt = job["attempt"] + 1
        code = status or 0
        # attempts 2-3 follow "0-99, >=300"; attempts 4-5 only "499 or 500-599"
        late = code == 499 or 500 <= code <= 599
        due = (code < 100 or code >= 300) if attempt in (2, 3) else late
        if attempt <= 5 and due and len(self.webhook_retry_delays) >= attempt - 1:
            self._sender.put({**job, "attempt": attempt}, self.webhook_retry_delays[attempt - 2])

    # -------------------------------------------------------------------- HTTP: dispatch

    async def _dispatch(self, request: Request) -> Response:
        method = request.method
        path = request.url.path.rstrip("/") or "/"
        handler: Callable[..., Awaitable[Response]] | None = None
        endpoint = f"{method} ?"
        args: tuple[str, ...] = ()
        path_known = False
        for route_method, pattern, name, func in self._routes:
            match = pattern.fullmatch(path)
            if match:
                path_known = True
                if route_method == method:
                    handler, endpoint, args = func, name, match.groups()
                    break
        with self._lock:
            self._total += 1
            self._per_endpoint[endpoint] += 1
            pause = self._delay
        if pause:
            await asyncio.sleep(pause)
        with self._lock:
            now = time.monotonic()
            response, outcome = self._gate(path, now)
        if response is None:
            outcome = "executed"
            with self._lock:
                self._executed += 1
            try:
                if handler is None:
                    raise _RejectError(_problem(405 if path_known else 404))
                if path.startswith("/api/"):
                    self._authorize(request)
                response = await handler(request, *args)
            except _RejectError as reject:
                response = reject.response
        with self._lock:
            self._by_status[response.status_code] += 1
            self._log.append(
                RequestRecord(
                    now, method, path, request.url.query, endpoint, response.status_code, outcome
                )
            )
        return response

    def _gate(self, path: str, now: float) -> tuple[Response | None, str]:
        """Outage, injected failures, block and rate limit, in that order (lock held)."""
        if self._outage is not None:
            self._injected += 1
            return _failure_response(self._outage[0], self._outage[1], None), "outage"
        for failure in self._failures:
            if failure[3] is None or path.startswith(failure[3]):
                failure[0] -= 1
                if failure[0] <= 0:
                    self._failures.remove(failure)
                self._injected += 1
                return _failure_response(failure[1], failure[2], failure[4]), "injected"
        if not path.startswith("/api/"):
            return None, ""
        if self._blocked:
            self._blocked_count += 1
            detail = "Account blocked for repeatedly exceeding the requests-per-second limit"
            return _problem(403, detail), "blocked"
        while self._admitted and now - self._admitted[0] >= self.rate_window:
            self._admitted.popleft()
        if len(self._admitted) >= self.rate:
            self._rate_limited += 1
            self._violations += 1
            if self.block_after is not None and self._violations >= self.block_after:
                self._blocked = True
            extra = {} if self.retry_after is None else {"retry_after": self.retry_after}
            return _problem(429, **extra), "rate_limited"
        self._admitted.append(now)
        return None, ""

    def _authorize(self, request: Request) -> None:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() == "bearer" and self.token_valid(token.strip()):
            return
        with self._lock:
            self._auth_failures += 1
        raise _RejectError(_problem(401))

    def _base(self, request: Request) -> str:
        return f"{request.url.scheme}://{request.url.netloc}"

    # -------------------------------------------------------------------- HTTP: leads

    async def _list_leads(self, request: Request) -> Response:
        items = request.query_params.multi_items()
        params = request.query_params
        page = _query_int(params, "page", 1) or 1
        limit = _query_int(params, "limit", self.default_limit) or self.default_limit
        if limit > MAX_LIMIT:
            return _problem(422, f"Limit of {MAX_LIMIT} per page")
        if page < 1 or limit < 1:
            return _problem(400, "Invalid paging")
        with_ = {w.strip() for w in params.get("with", "").split(",") if w.strip()}
        ids = set(_int_list(_indexed(items, "filter[id]"), "filter[id]"))
        responsible = set(
            _int_list(_indexed(items, "filter[responsible_user_id]"), "filter[responsible_user_id]")
        )
        pipelines = set(_int_list(_indexed(items, "filter[pipeline_id]"), "filter[pipeline_id]"))
        stages: set[tuple[int, int]] = set()
        for n in range(100):
            p = _query_int(params, f"filter[statuses][{n}][pipeline_id]", None)
            s = _query_int(params, f"filter[statuses][{n}][status_id]", None)
            if p is None and s is None:
                break
            stages.add((p or 0, s or 0))
        ranges = {}
        for name in ("created_at", "updated_at", "closed_at"):
            low = _query_int(params, f"filter[{name}][from]", None)
            high = _query_int(params, f"filter[{name}][to]", None)
            if low is not None or high is not None:
                ranges[name] = (low, high)
        query = params.get("query", "").strip().lower()
        order_key, descending = "id", False
        for key, value in items:
            m = re.fullmatch(r"order\[(created_at|updated_at|id)\]", key)
            if m:
                if value not in ("asc", "desc"):
                    return _problem(400, f"Invalid value of {key}")
                order_key, descending = m.group(1), value == "desc"

        def keep(lead: Mapping[str, Any]) -> bool:
            if lead["is_deleted"] != ("only_deleted" in with_):
                return False
            if ids and lead["id"] not in ids:
                return False
            if responsible and lead["responsible_user_id"] not in responsible:
                return False
            if pipelines and lead["pipeline_id"] not in pipelines:
                return False
            if stages and (lead["pipeline_id"], lead["status_id"]) not in stages:
                return False
            for name, (low, high) in ranges.items():
                value = lead[name]
                if value is None or (low is not None and value < low):
                    return False
                if high is not None and value > high:
                    return False
            return not query or query in (lead["name"] or "").lower() or query == str(lead["id"])

        base = self._base(request)
        with self._lock:
            found = [lead for lead in self._leads.values() if keep(lead)]
            found.sort(key=lambda x: (x[order_key] or 0, x["id"]), reverse=descending)
            chunk = found[(page - 1) * limit : page * limit]
            rendered = [self._render_lead(lead, base, with_) for lead in chunk]
        if not rendered:
            return Response(status_code=204)
        others = [(k, v) for k, v in items if k != "page"]

        def href(n: int) -> dict[str, str]:
            return {"href": f"{base}/api/v4/leads?{urlencode([*others, ('page', str(n))])}"}

        links = {"self": href(page)}
        if page * limit < len(found):
            links["next"] = href(page + 1)
        if page > 1:
            links["first"] = href(1)
            links["prev"] = href(page - 1)
        return _json({"_page": page, "_links": links, "_embedded": {"leads": rendered}})

    async def _get_lead(self, request: Request, lead_id: str) -> Response:
        with_ = {w.strip() for w in request.query_params.get("with", "").split(",") if w.strip()}
        with self._lock:
            lead = self._leads.get(int(lead_id))
            if lead is None or lead["is_deleted"]:
                if self.missing_lead_status == 204:
                    return Response(status_code=204)
                return _problem(self.missing_lead_status, f"Lead {lead_id} not found")
            return _json(self._render_lead(lead, self._base(request), with_))

    async def _create_leads(self, request: Request) -> Response:
        items = await self._json_list(request)
        base = self._base(request)
        with self._lock:
            created: list[dict[str, Any]] = []
            errors: dict[str, list[dict[str, str]]] = {}
            for n, item in enumerate(items):
                rid = str(item.get("request_id", n)) if isinstance(item, dict) else str(n)
                if not isinstance(item, dict):
                    errors[rid] = [_err("InvalidType", "", "This value should be of type object.")]
                    continue
                fields = {k: v for k, v in item.items() if k != "request_id"}
                fields.setdefault("created_by", self.api_user_id)
                fields.setdefault("updated_by", fields["created_by"])
                lead, errs = self._new_lead(fields, None, reserve=False)
                if errs:
                    errors[rid] = errs
                else:
                    assert lead is not None
                    created.append({**lead, "_request_id": rid})
            if errors:
                return _validation(errors)
            out = []
            for lead in created:
                rid = lead.pop("_request_id")
                lead["id"] = self._next_lead_id
                self._next_lead_id += 1
                self._leads[lead["id"]] = lead
                out.append(
                    {"id": lead["id"], "request_id": rid, "_links": self._lead_link(base, lead)}
                )
            self._notify([("add", [(lead, None) for lead in created])])
        return _json(
            {"_links": {"self": {"href": f"{base}/api/v4/leads"}}, "_embedded": {"leads": out}}
        )

    async def _patch_leads(self, request: Request) -> Response:
        items = await self._json_list(request)
        base = self._base(request)
        with self._lock:
            done = self._update_many(items, by_id=None)
            return _json(
                {
                    "_links": {"self": {"href": f"{base}/api/v4/leads"}},
                    "_embedded": {"leads": [self._patch_item(base, x, rid) for x, rid in done]},
                }
            )

    async def _patch_lead(self, request: Request, lead_id: str) -> Response:
        item = await self._json_body(request)
        if not isinstance(item, dict):
            return _problem(400, "Request data must be an object")
        base = self._base(request)
        with self._lock:
            done = self._update_many([item], by_id=int(lead_id))
            lead, rid = done[0]
            return _json(self._patch_item(base, lead, rid))

    def _patch_item(self, base: str, lead: Mapping[str, Any], rid: str | None) -> dict[str, Any]:
        out: dict[str, Any] = {"id": lead["id"], "updated_at": lead["updated_at"]}
        if rid is not None:
            out["request_id"] = rid
        out["_links"] = self._lead_link(base, lead)
        return out

    def _update_many(
        self, items: list[Any], by_id: int | None
    ) -> list[tuple[dict[str, Any], str | None]]:
        """Validate the whole batch, then apply it and fire the webhooks (lock held)."""
        errors: dict[str, list[dict[str, str]]] = {}
        plan: list[tuple[dict[str, Any], dict[str, Any], str | None]] = []
        for n, item in enumerate(items):
            rid = str(item.get("request_id", n)) if isinstance(item, dict) else str(n)
            if not isinstance(item, dict):
                errors[rid] = [_err("InvalidType", "", "This value should be of type object.")]
                continue
            lead_id = by_id if by_id is not None else item.get("id")
            lead = self._leads.get(lead_id) if _is_int(lead_id) else None
            if lead is None or lead["is_deleted"]:
                errors[rid] = [_err("NotFound", "id", "Entity not found")]
                continue
            fields = {k: v for k, v in item.items() if k not in ("id", "request_id")}
            fields.setdefault("updated_by", self.api_user_id)
            errs = self._check_update(lead, fields)
            if errs:
                errors[rid] = errs
                continue
            plan.append((lead, fields, item.get("request_id")))
        if errors:
            raise _RejectError(_validation(errors))
        changed: list[tuple[dict[str, Any], dict[str, Any]]] = []
        for lead, fields, _ in plan:
            old = self._copy(lead)
            self._apply(lead, fields)
            changed.append((lead, old))
        if self.echo_api_changes and changed:
            self._notify(self._change_actions(changed))
        return [(lead, None if rid is None else str(rid)) for lead, _, rid in plan]

    async def _json_body(self, request: Request) -> Any:
        raw = await request.body()
        if not raw.strip():
            raise _RejectError(_problem(400, "Request data can not be blank"))
        try:
            return json.loads(raw)
        except ValueError:
            raise _RejectError(_problem(400, "Request body is not valid JSON")) from None

    async def _json_list(self, request: Request) -> list[Any]:
        items = await self._json_body(request)
        if isinstance(items, dict):
            items = [items]
        if not isinstance(items, list) or not items:
            raise _RejectError(_problem(400, "Request data can not be blank"))
        if len(items) > self.max_batch:
            raise _RejectError(_problem(422, f"Limit of {self.max_batch} entities per request"))
        return items

    # -------------------------------------------------------------------- leads: model

    def _new_lead(
        self, fields: dict[str, Any], lead_id: int | None, reserve: bool = True
    ) -> tuple[dict[str, Any] | None, list[dict[str, str]]]:
        now = int(self.clock())
        fields = dict(fields)
        tags = fields.pop("tags", None) or (fields.pop("_embedded", None) or {}).get("tags") or []
        pipeline_id = fields.get("pipeline_id")
        if pipeline_id is None:
            pipeline_id = self.main_pipeline_id
        lead: dict[str, Any] = {
            "id": 0,
            "name": "",
            "price": 0,
            "responsible_user_id": self.api_user_id,
            "group_id": 0,
            "status_id": None,
            "pipeline_id": pipeline_id,
            "loss_reason_id": None,
            "source_id": None,
            "created_by": self.api_user_id,
            "updated_by": self.api_user_id,
            "created_at": now,
            "updated_at": now,
            "closed_at": None,
            "closest_task_at": None,
            "is_deleted": False,
            "custom_fields_values": None,
            "score": None,
            "account_id": self.account_id,
            "labor_cost": None,
            "tags": [{"id": t.get("id"), "name": t.get("name"), "color": None} for t in tags],
            "companies": [],
            "contacts": [],
        }
        for key in ("score", "labor_cost", "closest_task_at", "source_id"):
            if key in fields:
                lead[key] = fields.pop(key)
        if "updated_at" not in fields and "created_at" in fields:
            fields["updated_at"] = fields["created_at"]
        if "status_id" not in fields:
            if pipeline_id in self._pipelines:
                fields["status_id"] = self.first_status_id(pipeline_id)
            else:
                fields["status_id"] = 0
        errors = self._check_update(lead, fields)
        if errors:
            return None, errors
        self._apply(lead, fields, touch=False)
        if lead_id is not None:
            lead["id"] = int(lead_id)
            self._next_lead_id = max(self._next_lead_id, int(lead_id) + 1)
        elif reserve:
            lead["id"] = self._next_lead_id
            self._next_lead_id += 1
        return lead, []

    def _check_update(
        self, lead: Mapping[str, Any], fields: Mapping[str, Any]
    ) -> list[dict[str, str]]:
        errs: list[dict[str, str]] = []
        for key in _INT_FIELDS:
            if key in fields and fields[key] is not None and not _is_int(fields[key]):
                errs.append(_err("InvalidType", key, "This value should be of type int."))
        if "name" in fields and not isinstance(fields["name"], str):
            errs.append(_err("InvalidType", "name", "This value should be of type string."))
        if errs:
            return errs
        if "price" in fields and fields["price"] is not None and fields["price"] < 0:
            errs.append(_err("GreaterThanOrEqual", "price", "This value should be 0 or more."))
        user = fields.get("responsible_user_id")
        if user is not None and user not in self._users:
            errs.append(_err("NotSupportedChoice", "responsible_user_id", _CHOICE))
        pipeline_id = fields.get("pipeline_id", lead["pipeline_id"])
        pipeline = self._pipelines.get(pipeline_id)
        if pipeline is None:
            errs.append(_err("NotSupportedChoice", "pipeline_id", _CHOICE))
        elif "status_id" in fields and fields["status_id"] not in {
            s["id"] for s in pipeline["statuses"]
        }:
            errs.append(_err("NotSupportedChoice", "status_id", _CHOICE))
        for n, cf in enumerate(fields.get("custom_fields_values") or []):
            if self._field_of(cf) is None:
                path = f"custom_fields_values.{n}.field_id"
                errs.append(_err("NotSupportedChoice", path, _CHOICE))
        return errs

    def _field_of(self, cf: Any) -> dict[str, Any] | None:
        if not isinstance(cf, Mapping):
            return None
        if _is_int(cf.get("field_id")):
            return self._fields.get(cf["field_id"])
        code = cf.get("field_code")
        return next((f for f in self._fields.values() if code and f["code"] == code), None)

    def _apply(self, lead: dict[str, Any], fields: Mapping[str, Any], touch: bool = True) -> None:
        """Write validated ``fields`` into ``lead`` (lock held)."""
        now = int(self.clock())
        pipeline_changed = "pipeline_id" in fields and fields["pipeline_id"] != lead["pipeline_id"]
        for key in ("name", "price", "loss_reason_id", "created_by", "updated_by", "created_at"):
            if key in fields:
                lead[key] = fields[key]
        if "pipeline_id" in fields:
            lead["pipeline_id"] = fields["pipeline_id"]
            if pipeline_changed and "status_id" not in fields:
                lead["status_id"] = self.first_status_id(fields["pipeline_id"])
        if "status_id" in fields:
            lead["status_id"] = fields["status_id"]
        if "responsible_user_id" in fields:
            lead["responsible_user_id"] = fields["responsible_user_id"]
        lead["group_id"] = self._users.get(lead["responsible_user_id"], {}).get("group_id") or 0
        closed = lead["status_id"] in (WON_STATUS_ID, LOST_STATUS_ID)
        if "closed_at" in fields:
            lead["closed_at"] = fields["closed_at"]
        elif closed and lead["closed_at"] is None:
            lead["closed_at"] = fields.get("updated_at", now)
        elif not closed:
            lead["closed_at"] = None
        if "custom_fields_values" in fields:
            self._apply_custom_fields(lead, fields["custom_fields_values"])
        if "updated_at" in fields:
            lead["updated_at"] = fields["updated_at"]
        elif touch:
            lead["updated_at"] = now

    def _apply_custom_fields(self, lead: dict[str, Any], values: Any) -> None:
        current = {cf["field_id"]: cf for cf in lead["custom_fields_values"] or []}
        for cf in values or []:
            field = self._field_of(cf)
            assert field is not None
            given = cf.get("values")
            if not given:
                current.pop(field["id"], None)
                continue
            out = []
            for value in given:
                item: dict[str, Any] = {"value": value.get("value")}
                if field["enums"]:
                    enum = next(
                        (
                            e
                            for e in field["enums"]
                            if e["id"] == value.get("enum_id") or e["value"] == value.get("value")
                        ),
                        None,
                    )
                    if enum is not None:
                        item = {"value": enum["value"], "enum_id": enum["id"]}
                        item["enum_code"] = enum.get("code")
                out.append(item)
            current[field["id"]] = {
                "field_id": field["id"],
                "field_name": field["name"],
                "field_code": field["code"],
                "field_type": field["type"],
                "values": out,
            }
        lead["custom_fields_values"] = list(current.values()) or None

    def _lead_link(self, base: str, lead: Mapping[str, Any]) -> dict[str, Any]:
        return {"self": {"href": f"{base}/api/v4/leads/{lead['id']}"}}

    def _render_lead(self, lead: Mapping[str, Any], base: str, with_: set[str]) -> dict[str, Any]:
        out = {key: _deep(lead[key]) for key in _LEAD_FIELDS}
        if "is_price_modified_by_robot" in with_:
            out["is_price_modified_by_robot"] = False
        out["_links"] = self._lead_link(base, lead)
        embedded: dict[str, Any] = {"tags": _deep(lead["tags"]), "companies": []}
        if "contacts" in with_:
            embedded["contacts"] = _deep(lead["contacts"])
        out["_embedded"] = embedded
        return out

    def _copy(self, lead: Mapping[str, Any]) -> dict[str, Any]:
        out = {key: _deep(lead[key]) for key in _LEAD_FIELDS}
        out["tags"] = _deep(lead["tags"])
        return out

    # -------------------------------------------------------------------- HTTP: pipelines, users

    def _render_pipeline(self, pipeline: Mapping[str, Any], base: str) -> dict[str, Any]:
        href = f"{base}/api/v4/leads/pipelines/{pipeline['id']}"
        out = {k: v for k, v in pipeline.items() if k != "statuses"}
        out["_links"] = {"self": {"href": href}}
        out["_embedded"] = {
            "statuses": [
                {**s, "_links": {"self": {"href": f"{href}/statuses/{s['id']}"}}}
                for s in pipeline["statuses"]
            ]
        }
        return out

    async def _list_pipelines(self, request: Request) -> Response:
        base = self._base(request)
        with self._lock:
            items = [self._render_pipeline(p, base) for p in self._pipelines.values()]
        return _json(
            {
                "_total_items": len(items),
                "_links": {"self": {"href": f"{base}/api/v4/leads/pipelines"}},
                "_embedded": {"pipelines": items},
            }
        )

    async def _get_pipeline(self, request: Request, pipeline_id: str) -> Response:
        with self._lock:
            pipeline = self._pipelines.get(int(pipeline_id))
            if pipeline is None:
                return Response(status_code=204)
            return _json(self._render_pipeline(pipeline, self._base(request)))

    def _render_user(self, user: Mapping[str, Any], base: str, with_: set[str]) -> dict[str, Any]:
        full = {"view": "A", "edit": "A", "add": "A", "delete": "A", "export": "A"}
        out: dict[str, Any] = {
            "id": user["id"],
            "name": user["name"],
            "email": user["email"],
            "lang": user["lang"],
            "rights": {
                "leads": dict(full),
                "contacts": dict(full),
                "companies": dict(full),
                "tasks": {"edit": "A", "delete": "A"},
                "mail_access": False,
                "catalog_access": False,
                "status_rights": _deep(user["status_rights"]),
                "is_admin": user["is_admin"],
                "is_free": user["is_free"],
                "is_active": user["is_active"],
                "group_id": user["group_id"],
                "role_id": user["role_id"],
            },
            "_links": {"self": {"href": f"{base}/api/v4/users/{user['id']}"}},
        }
        if with_ & {"role", "group"}:
            embedded: dict[str, Any] = {}
            if "role" in with_:
                embedded["roles"] = []
            if "group" in with_:
                gid = user["group_id"]
                embedded["groups"] = (
                    [] if gid is None else [{"id": gid, "name": self._groups.get(gid, "")}]
                )
            out["_embedded"] = embedded
        return out

    def _require_admin(self) -> None:
        with self._lock:
            user = self._users.get(self.api_user_id)
            if user is None or not user["is_admin"]:
                raise _RejectError(_problem(403, "Access denied"))

    async def _list_users(self, request: Request) -> Response:
        self._require_admin()
        params = request.query_params
        page = _query_int(params, "page", 1) or 1
        limit = _query_int(params, "limit", self.default_limit) or self.default_limit
        if limit > MAX_LIMIT:
            return _problem(422, f"Limit of {MAX_LIMIT} per page")
        with_ = {w.strip() for w in params.get("with", "").split(",") if w.strip()}
        base = self._base(request)
        with self._lock:
            users = sorted(self._users.values(), key=lambda u: u["id"])
            chunk = users[(page - 1) * limit : page * limit]
            rendered = [self._render_user(u, base, with_) for u in chunk]
        if not rendered:
            return Response(status_code=204)
        others = [(k, v) for k, v in params.multi_items() if k != "page"]

        def href(n: int) -> dict[str, str]:
            return {"href": f"{base}/api/v4/users?{urlencode([*others, ('page', str(n))])}"}

        links = {"self": href(page)}
        if page * limit < len(users):
            links["next"] = href(page + 1)
        if page > 1:
            links["first"] = href(1)
            links["prev"] = href(page - 1)
        return _json(
            {
                "_total_items": len(users),
                "_page": page,
                "_page_count": -(-len(users) // limit),
                "_links": links,
                "_embedded": {"users": rendered},
            }
        )

    async def _get_user(self, request: Request, user_id: str) -> Response:
        self._require_admin()
        with_ = {w.strip() for w in request.query_params.get("with", "").split(",") if w.strip()}
        with self._lock:
            user = self._users.get(int(user_id))
            if user is None:
                return Response(status_code=204)
            return _json(self._render_user(user, self._base(request), with_))

    # -------------------------------------------------------------------- HTTP: OAuth

    async def _oauth_token(self, request: Request) -> Response:
        raw = await request.body()
        data: dict[str, Any]
        try:
            if "json" in request.headers.get("content-type", ""):
                loaded = json.loads(raw or b"{}")
                data = loaded if isinstance(loaded, dict) else {}
            else:
                data = dict(parse_qsl(raw.decode()))
        except ValueError:
            data = {}
        bad = "Некорректный запрос"
        invalid = "В запросе отсутствует ряд параметров или параметры невалидны"  # noqa: RUF001
        if (
            data.get("client_id") != self.client_id
            or data.get("client_secret") != self.client_secret
        ):
            return _oauth_error(401, "Некорректный клиент", "Авторизация клиента не прошла")
        grant = data.get("grant_type")
        if grant not in ("refresh_token", "authorization_code"):
            hint = "The authorization grant type is not supported by the authorization server."
            return _oauth_error(400, bad, invalid, hint)
        if data.get("redirect_uri") != self.redirect_uri:
            return _oauth_error(400, bad, invalid, "Redirect URI mismatch")
        kind, key, label = (
            ("refresh", "refresh_token", "refresh token")
            if grant == "refresh_token"
            else ("code", "code", "authorization code")
        )
        with self._lock:
            info = self._tokens.get(str(data.get(key, "")))
            if info is None or info.kind != kind:
                return _oauth_error(400, bad, invalid, f"Cannot decrypt the {label}")
            if info.used or info.revoked:
                prefix = "Token" if kind == "refresh" else "Authorization code"
                status = self.revoked_refresh_status if kind == "refresh" else 400
                return _oauth_error(status, bad, invalid, f"{prefix} has been revoked")
            now = self.clock()
            if info.expires_at is not None and now >= info.expires_at:
                prefix = "Token" if kind == "refresh" else "Authorization code"
                return _oauth_error(400, bad, invalid, f"{prefix} has expired")
            info.used = True
            access = self._new_access_token(now)
            refresh = "def50200" + secrets.token_hex(48)
            self._tokens[access] = TokenInfo(access, "access", now, now + self.access_ttl)
            self._tokens[refresh] = TokenInfo(refresh, "refresh", now, now + self.refresh_ttl)
        body = {
            "token_type": "Bearer",
            "expires_in": self.access_ttl,
            "server_time": int(now),
            "access_token": access,
            "refresh_token": refresh,
        }
        return _json(body, 200, "application/json")

    def _new_access_token(self, now: float) -> str:
        """A JWT-shaped access token (amo's are JWTs; this one is not signed for real)."""
        header = {"typ": "JWT", "alg": "RS256"}
        payload = {
            "aud": self.client_id,
            "jti": secrets.token_hex(20),
            "iat": int(now),
            "nbf": int(now),
            "exp": int(now + self.access_ttl),
            "sub": str(self.api_user_id),
            "account_id": self.account_id,
            "scopes": ["crm", "notifications"],
        }
        parts = [json.dumps(header).encode(), json.dumps(payload).encode()]
        return ".".join([*(_b64(p) for p in parts), _b64(secrets.token_bytes(32))])


_CHOICE = "The value you selected is not a valid choice."


def _err(code: str, path: str, detail: str) -> dict[str, str]:
    return {"code": code, "path": path, "detail": detail}


def _deep(value: Any) -> Any:
    """A copy of JSON-like data."""
    if isinstance(value, dict):
        return {k: _deep(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_deep(v) for v in value]
    return value
