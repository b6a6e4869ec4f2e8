"""A fake Bitrix24 portal on a loopback port: REST (inbound webhook or OAuth app), limits, events.

It speaks the payloads of the Bitrix24 REST documentation (``bitrix24/b24restdocs``; the
samples are kept in ``tests/connectors/fixtures/bitrix24``, their sources in ``SOURCES.md``
there):

- ``/rest/{user_id}/{secret}/{method}[.json]``, GET or POST, parameters as a JSON body, a
  form body or a query string, with PHP bracket keys (``fields[ASSIGNED_BY_ID]``,
  ``filter[>DATE_MODIFY]``, ``select[]``, ``order[ID]``);
- with ``client_id`` given, an OAuth application as well: ``/rest/{method}[.json]`` with the
  access token in the ``auth`` parameter (401 ``expired_token`` / ``invalid_token``), and the
  authorization server's ``GET /oauth/token/?grant_type=refresh_token&…`` (single-use
  refresh tokens) in the same app;
- the envelopes ``{"result", "time"}`` (plus ``"next"``, ``"total"`` for lists) and
  ``{"error", "error_description"}``;
- the leaky bucket of ``limits.md`` (503 ``QUERY_LIMIT_EXCEEDED``), ``batch`` with at most
  50 commands and PHP's ``[]`` for empty maps;
- outgoing ``ONCRMLEAD*`` events, form-encoded, fire-and-forget, no retries (with the
  application's ``auth[access_token]`` … in OAuth mode).

Tests drive and inspect its state from Python (``add_lead``, ``fail_next``, ``stats`` …)
while uvicorn serves it in another thread; all state sits behind one lock.
"""

from __future__ import annotations

import asyncio
import copy
import json
import queue
import re
import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, timezone, tzinfo
from http import HTTPStatus
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, urlencode

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "bitrix24"

PAGE_SIZE = 50
"""List methods return pages of 50 records, always (crm-lead-list.md, user-get.md)."""
BATCH_LIMIT = 50
"""At most 50 commands in one ``batch`` (batch.md)."""

QUERY_LIMIT_EXCEEDED = {"error": "QUERY_LIMIT_EXCEEDED", "error_description": "Too many requests"}
NO_AUTH_FOUND = {"error": "NO_AUTH_FOUND", "error_description": "Wrong authorization data"}
INVALID_CREDENTIALS = {
    "error": "INVALID_CREDENTIALS",
    "error_description": "Invalid request credentials",
}
BATCH_LENGTH_EXCEEDED = {
    "error": "ERROR_BATCH_LENGTH_EXCEEDED",
    "error_description": "Max batch length exceeded",
}
BATCH_METHOD_NOT_ALLOWED = {
    "error": "ERROR_BATCH_METHOD_NOT_ALLOWED",
    "error_description": "Method is not allowed for batch usage",
}
METHOD_NOT_FOUND = {"error": "ERROR_METHOD_NOT_FOUND", "error_description": "Method not found!"}
INTERNAL_SERVER_ERROR = {
    "error": "INTERNAL_SERVER_ERROR",
    "error_description": "Internal server error",
}
OPERATION_TIME_LIMIT = {
    "error": "OPERATION_TIME_LIMIT",
    "error_description": "Method is blocked due to operation time limit",
}
EXPIRED_TOKEN = {
    "error": "expired_token",
    "error_description": "The access token provided has expired.",
}
"""401 for an expired access token: code and text documented (system-errors.md, without the
final period); the period as a real portal answered (see SOURCES.md)."""
INVALID_TOKEN = {
    "error": "invalid_token",
    "error_description": "The access token provided is invalid.",
}
"""401 for an access token the portal does not know: ASSUMED (not in the docs' error table)."""
INVALID_REQUEST = {
    "error": "invalid_request",
    "error_description": "The request is missing a required parameter or is malformed.",
}
INVALID_CLIENT = {
    "error": "invalid_client",
    "error_description": "The client credentials are invalid.",
}
INVALID_GRANT = {
    "error": "invalid_grant",
    "error_description": "The refresh token provided is invalid or has been used.",
}
"""The authorization server's errors: codes documented (settings/oauth/error-codes.md), the
descriptions and HTTP statuses (400, ``invalid_client`` 401) ASSUMED."""
OUTAGE_PAGE = (
    "<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n"
    "<body>\r\n<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n"
    "</body>\r\n</html>\r\n"
)

OAUTH_DOMAIN = "oauth.bitrix.info"
"""``domain`` of a token answer: the authorization server's (auto-renewal.md)."""
SERVER_ENDPOINT = "https://oauth.bitrix.info/rest/"
"""``server_endpoint`` of token answers and events."""
REFRESH_TTL = 180 * 86400.0
"""A refresh token's lifetime: "The lifetime of ``refresh_token`` is 180 days" (auto-renewal.md)."""

_ACTOR: ContextVar[str | None] = ContextVar("fake_bitrix24_actor", default=None)
"""The user a REST call acts as (the webhook's, or the access token's), while it runs."""

DEFAULT_EVENT_HANDLER_IDS = {
    "ONCRMLEADADD": "707",
    "ONCRMLEADUPDATE": "709",
    "ONCRMLEADDELETE": "711",
}
"""``event_handler_id`` of the documentation's samples (on-crm-lead-{add,update,delete}.md)."""

# The lead stages of a new portal. NEW, CONVERTED and JUNK as in the documentation's
# tutorial (how-to-get-stages-with-semantics.md); IN_PROCESS and PROCESSED with the names of
# crm-lead-update.md, their ``ID`` and colours made up.
DEFAULT_LEAD_STAGES: tuple[tuple[str, str, str, str, str, str | None], ...] = (
    # ID, STATUS_ID, NAME, SORT, COLOR, SEMANTICS
    ("1", "NEW", "Not processed", "10", "#00FFFF", None),
    ("3", "IN_PROCESS", "In process", "20", "#FFCC00", None),
    ("5", "PROCESSED", "Processed", "30", "#47E4C2", None),
    ("15", "CONVERTED", "Converted", "50", "#37B44A", "S"),
    ("17", "JUNK", "Low-quality lead", "60", "#F54819", "F"),
)
_EXTRA_SEMANTICS = {None: "process", "S": "success", "F": "failure"}

_INT_TYPES = {"integer", "user", "crm_company", "crm_contact", "employee"}
_DATE_TYPES = {"datetime", "date"}
_FLOAT_TYPES = {"double", "money"}


class Hit(NamedTuple):
    """One HTTP request the fake answered: when it arrived, which method, which status."""

    at: float
    method: str
    status: int


@dataclass(frozen=True)
class Delivery:
    """One outgoing event POST: where, what, and how it ended.

    Attributes
    ----------
    url : str
        The handler it was sent to.
    body : str
        The exact ``application/x-www-form-urlencoded`` body.
    status : int or None
        The handler's HTTP status, or ``None`` when no answer came.
    error : str or None
        Why no answer came (connection refused, timeout …).
    at : float
        The fake's clock when the POST finished.
    """

    url: str
    body: str
    status: int | None
    error: str | None
    at: float

    @property
    def fields(self) -> dict[str, str]:
        """The body's keys and values, decoded (``{"event": …, "data[FIELDS][ID]": …}``)."""
        return dict(parse_qsl(self.body, keep_blank_values=True))


@dataclass
class OAuthToken:
    """A token of the OAuth application that the fake knows.

    Attributes
    ----------
    token : str
        The token string.
    kind : str
        ``"access"`` or ``"refresh"``.
    user_id : str
        The user the token acts as (``CREATED_BY_ID`` of leads it adds, ``user.current``).
    issued_at, expires_at : float
        ``oauth_clock`` when issued and when it stops working (access: ``access_ttl``
        later; refresh: 180 days later).
    used : bool
        A refresh token: exchanged, refused from then on (single use). An access token: it
        authorised at least one call.
    origin : str
        ``"initial"`` (constructor), ``"issued"`` (:meth:`FakeBitrix24.issue_tokens`),
        ``"refresh"`` (the token endpoint) or ``"event"`` (sent with an event).
    """

    token: str
    kind: str
    user_id: str
    issued_at: float
    expires_at: float
    used: bool = False
    origin: str = "issued"


class _MethodError(Exception):
    """A method's error: HTTP status and the ``{"error", "error_description"}`` body."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(f"{status} {error} {description}")
        self.status = status
        self.body = {"error": error, "error_description": description}


@dataclass
class _Injection:
    remaining: int
    status: int
    body: Any
    method: str | None


# ---------------------------------------------------------------------------------------------
# Parameters: PHP bracket keys, lists, case-insensitive names


def parse_php_query(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Nest ``a[b][]=v`` pairs as PHP's ``parse_str`` does (lists stay ``{"0": …}`` maps).

    Parameters
    ----------
    pairs : iterable of (str, str)
        Decoded keys and values, e.g. from ``urllib.parse.parse_qsl``.

    Returns
    -------
    dict
        ``filter[>DATE_MODIFY]=x&select[]=ID`` gives
        ``{"filter": {">DATE_MODIFY": "x"}, "select": {"0": "ID"}}``.
    """
    out: dict[str, Any] = {}
    for key, value in pairs:
        match = re.match(r"^([^\[]+)((?:\[[^\]]*\])*)$", key)
        if not match:
            out[key] = value
            continue
        path = [match.group(1), *re.findall(r"\[([^\]]*)\]", match.group(2))]
        node = out
        for i, part in enumerate(path):
            if part == "":
                ints = [int(k) for k in node if k.isdigit()]
                part = str(max(ints) + 1 if ints else 0)
            if i == len(path) - 1:
                node[part] = value
            else:
                child = node.get(part)
                if not isinstance(child, dict):
                    child = {}
                    node[part] = child
                node = child
    return out


def _param(params: Mapping[str, Any], name: str, default: Any = None) -> Any:
    lower = name.lower()
    for key, value in params.items():
        if key.lower() == lower:
            return value
    return default


def _as_list(value: Any) -> list[Any]:
    if value is None or value == "":
        return []
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        return list(value.values())
    return [value]


def _as_map(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    if isinstance(value, list):
        return {str(i): v for i, v in enumerate(value)}
    return {}


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"1", "y", "yes", "true", "on"}
    return bool(value)


def _int(value: Any, default: int) -> int:
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return default


def _php_map(items: Mapping[str, Any]) -> Any:
    """A map as PHP's ``json_encode`` writes it: ``[]`` when empty, a list for keys 0..n-1."""
    if not items:
        return []
    if list(items) == [str(i) for i in range(len(items))]:
        return list(items.values())
    return dict(items)


# ---------------------------------------------------------------------------------------------
# Filters and ordering (prefixes of crm-lead-list.md / user-get.md)

_PREFIXES = ("!=%", "!%=", ">=", "<=", "!=", "!@", "=%", "%=", "!%", ">", "<", "@", "=", "%", "!")


def _split_filter_key(key: str) -> tuple[str, str]:
    for prefix in _PREFIXES:
        if key.startswith(prefix) and len(key) > len(prefix):
            return prefix, key[len(prefix) :]
    return "", key


class _UnparsableError(Exception):
    pass


def _like(pattern: str, value: str) -> bool:
    regex = ".*".join(re.escape(part) for part in pattern.casefold().split("%"))
    return re.fullmatch(regex, value.casefold(), re.S) is not None


class FakeBitrix24:
    """A Bitrix24 portal with one inbound webhook (and an OAuth app), served as a Starlette app.

    Parameters
    ----------
    user_id, secret : int or str, str
        The inbound webhook: ``/rest/{user_id}/{secret}/…``. Other pairs get 401.
    users : sequence of mappings, optional
        Employees for ``user.get``, e.g. ``{"ID": "2", "NAME": "Anna", "UF_DEPARTMENT": [1]}``;
        ``ACTIVE`` defaults to true. Default: one admin, ``ID`` 1, in department 1.
    departments : sequence of mappings, optional
        For ``department.get`` (``ID``, ``NAME``, ``SORT``, ``PARENT``, ``UF_HEAD``). Default:
        one per department the users name, ``"Department {id}"``.
    leads : sequence of mappings, optional
        Leads present from the start (as :meth:`add_lead` with ``notify=False``).
    user_fields : mapping of str to str, optional
        Custom lead fields, code → label, e.g. ``{"UF_CRM_1594289616952": "Метро"}``
        (type ``string``). ``add_lead`` declares unknown ``UF_*`` codes by itself.
    statuses : sequence of mappings, optional
        Entries of ``crm.status.list``. Default: the lead stages NEW, IN_PROCESS, PROCESSED
        (in progress), CONVERTED (``SEMANTICS`` ``S``), JUNK (``F``).
    rate, burst : float, int
        The leaky bucket: capacity ``burst`` requests, draining ``rate`` per second (the
        documented standard plan: 2 and 50; Enterprise: 5 and 250).
    clock : callable, optional
        Monotonic seconds for the bucket and :attr:`hits` (default ``time.monotonic``); a
        test may pass its own to step time by hand.
    now : callable, optional
        The portal's wall clock for ``DATE_CREATE``/``DATE_MODIFY`` and ``ts`` (default: now
        in ``tz``, whole seconds).
    tz : datetime.tzinfo
        The portal's time zone: dates are written ISO 8601 with this offset (+03:00).
    currency : str
        ``CURRENCY_ID`` of new leads.
    first_lead_id : int
        The ``ID`` of the first lead added.
    auth_error : {"NO_AUTH_FOUND", "INVALID_CREDENTIALS"}
        The 401 answer to a wrong user or secret. The docs' snapshot (``system-errors.md``
        at 5988ed13) lists ``401 NO_AUTH_FOUND`` "Wrong authorization data" for an invalid
        webhook code; another revision of that page lists ``401 INVALID_CREDENTIALS``
        "Invalid request credentials" for "no active webhook with the specified user
        identifier and secret code". A client should handle both.
    handler_url : str, optional
        The outgoing webhook's handler; no events are sent while it is ``None``. May be set
        later (``fake.handler_url = …``).
    application_token, domain, member_id : str
        The outgoing webhook's ``auth[…]`` values (defaults: the documentation's sample).
    event_handler_ids : mapping of str to str, optional
        ``event_handler_id`` per event; an event missing from it is sent without the key
        (as in a real 2024 capture).
    event_delay : float
        Seconds the queue waits before each delivery ("may arrive with a slight delay").
    delivery_timeout : float
        Seconds a delivery waits for the handler's answer.
    client_id, client_secret : str, optional
        An OAuth application (a local or Market app) installed on the portal; OAuth mode is
        off unless ``client_id`` is given (then ``client_secret`` is required). In OAuth
        mode ``/rest/{method}[.json]`` takes an access token as ``auth`` (query string, form
        or JSON body), and ``/oauth/token/`` renews tokens (see :meth:`token_url`). The
        webhook path keeps working alongside.
    refresh_token : str, optional
        A refresh token valid at start (of the webhook's user, 180 days); more pairs come
        from :meth:`issue_tokens`.
    access_token : str, optional
        An access token valid at start, ``access_ttl`` seconds from construction.
    access_ttl : float
        Lifetime of access tokens, seconds (documented: one hour); ``expires_in`` of
        token answers and events.
    oauth_clock : callable
        Unix seconds for token expiry and ``expires`` (default ``time.time``); a test may
        pass its own and step it to let tokens expire (or call
        :meth:`expire_access_tokens`).

    Attributes
    ----------
    app : starlette.applications.Starlette
        The ASGI app, for ``serving(fake.app)``.
    total_requests, executed, rejected_by_limit, injected : int
        HTTP requests that arrived; that reached a method (a refused ``batch`` included);
        answered 503 ``QUERY_LIMIT_EXCEEDED`` by the bucket; answered by ``fail_next`` or
        ``outage``. A wrong secret counts in ``total_requests`` and ``auth_failures``.
    by_method : collections.Counter
        Arrived HTTP requests per method name (``"batch"`` for a batch).
    calls : collections.Counter
        Method calls executed, a batch's commands one by one.
    hits : list of Hit
        ``(at, method, status)`` per HTTP request, ``at`` the clock at arrival.
    peak_level : float
        The fullest the bucket has been (never above ``burst``).
    deliveries : list of Delivery
        Every outgoing event POST, in order.
    auth_failures : int
        REST requests refused 401 for their credentials: a wrong webhook user or secret, no
        ``auth``, an unknown or an expired access token (also in ``total_requests`` and
        :attr:`hits`, never in ``executed``).
    token_refreshes, refused_refreshes : int
        Token endpoint requests answered with a new pair / refused. The token endpoint is
        the authorization server's, not the portal's: it is outside ``total_requests``,
        :attr:`hits`, the bucket, ``outage`` and ``fail_next``.
    scope, app_status : str
        ``scope`` (``"crm,user"``) and ``status`` (``"L"``, a local app) of token answers
        and application events.

    Notes
    -----
    Order of checks for a request: ``outage``, ``fail_next``, credentials (the webhook
    path's user and secret, or the access token: none → the ``auth_error`` body, unknown →
    401 ``invalid_token``, expired → 401 ``expired_token``), the bucket, then the method;
    only the last two add to the bucket. Webhook and token calls share one bucket and the
    same counters; a token call acts as the token's user. ``delay`` holds the answer
    *after* the method ran, as when a CRM saved a change but its answer was lost.

    The token endpoint checks, in order: ``grant_type=refresh_token`` and all four
    parameters present (else 400 ``invalid_request``), ``client_id`` and ``client_secret``
    (else 401 ``invalid_client``), the refresh token known, unused and unexpired (else 400
    ``invalid_grant``). A refresh token works once; the access tokens issued earlier keep
    working until they expire.

    Not modelled: ``OPERATION_TIME_LIMIT`` accounting (inject it with ``fail_next(…, 429)``),
    scopes and access rights, ``crm.item.*``; ``grant_type=authorization_code``,
    ``PAYMENT_REQUIRED``; an old training page's "both such query and jointly issued
    access_token become invalid" after a refresh (the current docs do not say it).
    """

    def __init__(
        self,
        *,
        user_id: int | str = 1,
        secret: str = "fakewebhookcode1",
        users: Sequence[Mapping[str, Any]] | None = None,
        departments: Sequence[Mapping[str, Any]] | None = None,
        leads: Sequence[Mapping[str, Any]] = (),
        user_fields: Mapping[str, str] | None = None,
        statuses: Sequence[Mapping[str, Any]] | None = None,
        rate: float = 2.0,
        burst: int = 50,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] | None = None,
        tz: tzinfo = timezone(timedelta(hours=3)),
        currency: str = "RUB",
        first_lead_id: int = 1,
        auth_error: str = "NO_AUTH_FOUND",
        handler_url: str | None = None,
        application_token: str = "51856fefc120afa4b628cc82d3935cce",
        domain: str = "some-domain.bitrix24.com",
        member_id: str = "a223c6b3710f85df22e9377d6c4f7553",
        event_handler_ids: Mapping[str, str] | None = None,
        event_delay: float = 0.0,
        delivery_timeout: float = 5.0,
        client_id: str | None = None,
        client_secret: str | None = None,
        refresh_token: str | None = None,
        access_token: str | None = None,
        access_ttl: float = 3600.0,
        oauth_clock: Callable[[], float] = time.time,
    ) -> None:
        if auth_error not in {"NO_AUTH_FOUND", "INVALID_CREDENTIALS"}:
            raise ValueError(f"auth_error: NO_AUTH_FOUND or INVALID_CREDENTIALS, not {auth_error}")
        if client_id is None and (client_secret or refresh_token or access_token):
            raise ValueError("client_secret, refresh_token and access_token need a client_id")
        if client_id is not None and not client_secret:
            raise ValueError("an OAuth application (client_id) needs a client_secret")
        self._lock = threading.RLock()
        self.user_id = str(user_id)
        self.secret = secret
        self.rate = float(rate)
        self.burst = int(burst)
        self.clock = clock
        self.tz = tz
        self._now = now or (lambda: datetime.now(self.tz).replace(microsecond=0))
        self.currency = currency
        self.auth_error = auth_error
        self.handler_url = handler_url
        self.application_token = application_token
        self.domain = domain
        self.member_id = member_id
        self.event_handler_ids = dict(
            DEFAULT_EVENT_HANDLER_IDS if event_handler_ids is None else event_handler_ids
        )
        self.event_delay = event_delay
        self.delivery_timeout = delivery_timeout
        self.client_id = client_id
        self.client_secret = client_secret
        self.access_ttl = float(access_ttl)
        self.oauth_clock = oauth_clock
        self.scope = "crm,user"
        self.app_status = "L"
        self._tokens: dict[str, OAuthToken] = {}
        if refresh_token is not None:
            self._add_token("refresh", self.user_id, "initial", refresh_token)
        if access_token is not None:
            self._add_token("access", self.user_id, "initial", access_token)

        fields = json.loads((FIXTURES / "crm.lead.fields.json").read_text("utf-8"))["result"]
        self._field_meta: dict[str, dict[str, Any]] = fields
        sample = json.loads((FIXTURES / "crm.lead.get.json").read_text("utf-8"))["result"]
        self._standard = [k for k in sample if fields.get(k, {}).get("type") != "crm_multifield"]
        self._multi = [k for k, m in fields.items() if m["type"] == "crm_multifield"]
        for code, label in (user_fields or {}).items():
            self._declare_user_field(code, label)

        self._statuses = [self._norm_status(s) for s in statuses] if statuses else []
        if not statuses:
            for sid, status_id, name, sort, color, semantics in DEFAULT_LEAD_STAGES:
                self._statuses.append(
                    {
                        "ID": sid,
                        "ENTITY_ID": "STATUS",
                        "STATUS_ID": status_id,
                        "NAME": name,
                        "NAME_INIT": name,
                        "SORT": sort,
                        "SYSTEM": "Y",
                        "CATEGORY_ID": None,
                        "COLOR": color,
                        "SEMANTICS": semantics,
                        "EXTRA": {"SEMANTICS": _EXTRA_SEMANTICS[semantics], "COLOR": color},
                    }
                )

        seed_users = users or [
            {
                "ID": self.user_id,
                "NAME": "Admin",
                "EMAIL": "admin@example.com",
                "UF_DEPARTMENT": [1],
            }
        ]
        self._users = {u["ID"]: u for u in (self._norm_user(u) for u in seed_users)}
        if departments is None:
            ids = sorted({d for u in self._users.values() for d in u["UF_DEPARTMENT"]})
            departments = [{"ID": d, "NAME": f"Department {d}"} for d in ids]
        self._departments = [self._norm_department(d) for d in departments]

        self._leads: dict[int, dict[str, Any]] = {}
        self._next_lead_id = first_lead_id
        self._next_multi_id = 1
        for lead in leads:
            self.add_lead(lead, notify=False)

        self._level = 0.0
        self._bucket_at: float | None = None
        self._injections: list[_Injection] = []
        self._outage: tuple[int, Any] | None = None
        self._delay = 0.0
        self.total_requests = 0
        self.executed = 0
        self.rejected_by_limit = 0
        self.injected = 0
        self.auth_failures = 0
        self.token_refreshes = 0
        self.refused_refreshes = 0
        self.by_method: Counter[str] = Counter()
        self.calls: Counter[str] = Counter()
        self.hits: list[Hit] = []
        self.peak_level = 0.0

        self.deliveries: list[Delivery] = []
        self._deliveries_changed = threading.Condition(self._lock)
        self._outbox: queue.Queue[tuple[str, str] | None] = queue.Queue()
        self._pending = 0
        self._worker: threading.Thread | None = None

        self._methods: dict[str, Callable[[Mapping[str, Any]], dict[str, Any]]] = {
            "crm.lead.add": self._crm_lead_add,
            "crm.lead.get": self._crm_lead_get,
            "crm.lead.list": self._crm_lead_list,
            "crm.lead.update": self._crm_lead_update,
            "crm.lead.delete": self._crm_lead_delete,
            "crm.lead.fields": self._crm_lead_fields,
            "crm.status.list": self._crm_status_list,
            "user.get": self._user_get,
            "user.current": self._user_current,
            "department.get": self._department_get,
        }
        routes = [Route("/rest/{path:path}", self._endpoint, methods=["GET", "POST"])]
        if self.oauth:
            for path in ("/oauth/token/", "/oauth/token"):
                routes.append(Route(path, self._token_endpoint, methods=["GET", "POST"]))
        self.app = Starlette(routes=routes)

    # -----------------------------------------------------------------------------------------
    # URLs, lifecycle

    def webhook_base(self, base_url: str) -> str:
        """The inbound webhook URL on a served fake: ``{base_url}/rest/{user_id}/{secret}/``.

        Parameters
        ----------
        base_url : str
            What ``serving(fake.app)`` yielded, e.g. ``http://127.0.0.1:8123``.

        Returns
        -------
        str
            The URL a client appends method names to.
        """
        return f"{base_url.rstrip('/')}/rest/{self.user_id}/{self.secret}/"

    @staticmethod
    def client_endpoint(base_url: str) -> str:
        """The OAuth application's REST address on a served fake: ``{base_url}/rest/``."""
        return f"{base_url.rstrip('/')}/rest/"

    @staticmethod
    def token_url(base_url: str) -> str:
        """The token endpoint on a served fake: ``{base_url}/oauth/token/``.

        It stands for ``https://oauth.bitrix.info/oauth/token/``: a client's ``oauth_url``.
        """
        return f"{base_url.rstrip('/')}/oauth/token/"

    @property
    def oauth(self) -> bool:
        """Whether the OAuth application mode is on (a ``client_id`` was given)."""
        return self.client_id is not None

    def close(self) -> None:
        """Stop the delivery thread after the queued events are sent."""
        worker = self._worker
        if worker is not None:
            self._outbox.put(None)
            worker.join(timeout=self.delivery_timeout + self.event_delay + 5)
            self._worker = None

    def __enter__(self) -> FakeBitrix24:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -----------------------------------------------------------------------------------------
    # Failure injection

    def fail_next(
        self, n: int = 1, status: int = 503, body: Any = None, *, method: str | None = None
    ) -> None:
        """Answer the next ``n`` requests with ``status`` and ``body``, without running them.

        Parameters
        ----------
        n : int
            How many requests.
        status : int
            HTTP status; 200 with an error body is allowed (the alleged HTTP-200
            ``QUERY_LIMIT_EXCEEDED``).
        body : mapping, str or bytes, optional
            A mapping is sent as JSON, text and bytes as they are. Default by status: 503
            ``QUERY_LIMIT_EXCEEDED``, 500 ``INTERNAL_SERVER_ERROR``, 429
            ``OPERATION_TIME_LIMIT``, 401 ``expired_token``, otherwise
            ``{"error": "", "error_description": "<reason phrase>"}``.
        method : str, optional
            Only requests to this method (``"crm.lead.update"``, ``"batch"``) count.
        """
        with self._lock:
            self._injections.append(_Injection(n, status, body, method.lower() if method else None))

    def outage(self, on: bool = True, *, status: int = 503, body: Any = None) -> None:
        """Answer every request with ``status`` (503) until ``outage(False)``.

        The default body is a front proxy's HTML page, not JSON: the portal is unreachable,
        the request never reaches it (nothing is executed or counted in the bucket). The
        connection itself is kept, not dropped.

        Parameters
        ----------
        on : bool
            Start or end the outage.
        status : int
            HTTP status during the outage.
        body : mapping, str or bytes, optional
            The answer's body (default :data:`OUTAGE_PAGE`).
        """
        with self._lock:
            self._outage = (status, OUTAGE_PAGE if body is None else body) if on else None

    def delay(self, seconds: float) -> None:
        """Hold every answer ``seconds`` after the method ran (0 ends it); for client timeouts.

        Parameters
        ----------
        seconds : float
            The delay per request.
        """
        with self._lock:
            self._delay = max(0.0, float(seconds))

    # -----------------------------------------------------------------------------------------
    # Counters

    def stats(self) -> dict[str, Any]:
        """A consistent copy of the counters.

        Returns
        -------
        dict
            ``total_requests``, ``executed``, ``rejected_by_limit``, ``injected``,
            ``auth_failures``, ``token_refreshes``, ``refused_refreshes``,
            ``by_method`` and ``calls`` (dicts), ``hits`` (list of :class:`Hit`),
            ``peak_level``, ``bucket_level``.
        """
        with self._lock:
            return {
                "total_requests": self.total_requests,
                "executed": self.executed,
                "rejected_by_limit": self.rejected_by_limit,
                "injected": self.injected,
                "auth_failures": self.auth_failures,
                "token_refreshes": self.token_refreshes,
                "refused_refreshes": self.refused_refreshes,
                "by_method": dict(self.by_method),
                "calls": dict(self.calls),
                "hits": list(self.hits),
                "peak_level": self.peak_level,
                "bucket_level": self._drained(self.clock()),
            }

    def reset_stats(self) -> None:
        """Zero the counters and empty :attr:`hits` (the bucket's level and tokens are kept)."""
        with self._lock:
            self.total_requests = self.executed = self.rejected_by_limit = self.injected = 0
            self.auth_failures = self.token_refreshes = self.refused_refreshes = 0
            self.by_method.clear()
            self.calls.clear()
            self.hits.clear()
            self.peak_level = self._drained(self.clock())

    def bucket_level(self) -> float:
        """How full the leaky bucket is now (0 … ``burst``)."""
        with self._lock:
            return self._drained(self.clock())

    def _drained(self, now: float) -> float:
        if self._bucket_at is None:
            return self._level
        return max(0.0, self._level - max(0.0, now - self._bucket_at) * self.rate)

    def _take(self, now: float) -> bool:
        self._level = self._drained(now)
        self._bucket_at = now
        if self._level + 1.0 > self.burst + 1e-9:
            return False
        self._level += 1.0
        self.peak_level = max(self.peak_level, self._level)
        return True

    # -----------------------------------------------------------------------------------------
    # OAuth tokens

    def issue_tokens(
        self, *, user_id: int | str | None = None, base_url: str | None = None
    ) -> dict[str, Any]:
        """A fresh access/refresh pair, as the application gets when it is installed.

        Parameters
        ----------
        user_id : int or str, optional
            The user the tokens act as; default the webhook's user.
        base_url : str, optional
            The served fake's base, for ``client_endpoint`` (``{base_url}/rest/``); default
            ``https://{domain}/rest/``.

        Returns
        -------
        dict
            The token endpoint's answer: ``access_token``, ``client_endpoint``, ``domain``,
            ``expires``, ``expires_in``, ``member_id``, ``refresh_token``, ``scope``,
            ``server_endpoint``, ``status``, ``user_id``.
        """
        self._need_oauth()
        endpoint = self.client_endpoint(base_url) if base_url else f"https://{self.domain}/rest/"
        with self._lock:
            actor = str(user_id) if user_id is not None else self.user_id
            access = self._add_token("access", actor, "issued")
            refresh = self._add_token("refresh", actor, "issued")
            return self._token_body(access, refresh, endpoint)

    def expire_access_tokens(self) -> None:
        """Let every access token issued so far expire now (refresh tokens stay valid)."""
        with self._lock:
            now = self.oauth_clock()
            for info in self._tokens.values():
                if info.kind == "access":
                    info.expires_at = min(info.expires_at, now)

    def tokens(self, kind: str | None = None) -> list[OAuthToken]:
        """Copies of the tokens the fake knows, in issue order.

        Parameters
        ----------
        kind : str, optional
            Only ``"access"`` or ``"refresh"`` tokens.
        """
        with self._lock:
            return [
                replace(info) for info in self._tokens.values() if kind is None or info.kind == kind
            ]

    def _need_oauth(self) -> None:
        if not self.oauth:
            raise RuntimeError("OAuth mode is off: pass client_id and client_secret")

    def _add_token(
        self, kind: str, user_id: str, origin: str, token: str | None = None
    ) -> OAuthToken:
        now = self.oauth_clock()
        if token is None:
            token = secrets.token_hex(35)
            while token in self._tokens:
                token = secrets.token_hex(35)
        ttl = self.access_ttl if kind == "access" else REFRESH_TTL
        info = OAuthToken(token, kind, str(user_id), now, now + ttl, origin=origin)
        self._tokens[token] = info
        return info

    def _expires_in(self) -> int | float:
        return int(self.access_ttl) if self.access_ttl.is_integer() else self.access_ttl

    def _token_body(
        self, access: OAuthToken, refresh: OAuthToken, client_endpoint: str
    ) -> dict[str, Any]:
        """The token answer, in the key order of auto-renewal.md's sample."""
        user: int | str = int(access.user_id) if access.user_id.isdigit() else access.user_id
        return {
            "access_token": access.token,
            "client_endpoint": client_endpoint,
            "domain": OAUTH_DOMAIN,
            "expires": int(access.expires_at),
            "expires_in": self._expires_in(),
            "member_id": self.member_id,
            "refresh_token": refresh.token,
            "scope": self.scope,
            "server_endpoint": SERVER_ENDPOINT,
            "status": self.app_status,
            "user_id": user,
        }

    def _actor(self) -> str:
        """The user the running REST call acts as; the webhook's outside a call."""
        return _ACTOR.get() or self.user_id

    # -----------------------------------------------------------------------------------------
    # The CRM's state from Python (a person working in the CRM)

    def add_lead(
        self, fields: Mapping[str, Any], notify: bool = True, *, by: int | str | None = None
    ) -> int:
        """Create a lead as a person in the CRM would; fires ONCRMLEADADD if ``notify``.

        Parameters
        ----------
        fields : mapping
            Any lead fields, read-only ones included (``DATE_CREATE``, ``DATE_MODIFY``,
            ``ID``, ``CREATED_BY_ID`` …) so tests can seed history. ``UF_*`` codes not yet
            declared are declared. Values are stored as Bitrix returns them (``"12500.00"``,
            ``"5"``, ISO dates with the portal's offset).
        notify : bool
            Send the event to ``handler_url``.
        by : int or str, optional
            The acting user (``CREATED_BY_ID``, ``MODIFY_BY_ID``); default the webhook's user.

        Returns
        -------
        int
            The new lead's ``ID``.
        """
        actor = str(by or self.user_id)
        with self._lock:
            lead_id = self._create(fields, actor, trusted=True)
            if notify:
                self._emit("ONCRMLEADADD", lead_id, actor)
        return lead_id

    def update_lead(
        self,
        lead_id: int | str,
        fields: Mapping[str, Any],
        notify: bool = True,
        *,
        by: int | str | None = None,
    ) -> None:
        """Change a lead as a person in the CRM would; fires ONCRMLEADUPDATE if ``notify``.

        Parameters
        ----------
        lead_id : int or str
            The lead.
        fields : mapping
            The fields to change (read-only ones allowed). ``DATE_MODIFY`` becomes now
            unless given.
        notify : bool
            Send the event to ``handler_url``.
        by : int or str, optional
            The acting user (``MODIFY_BY_ID``, ``MOVED_BY_ID``); default the lead's
            responsible (``ASSIGNED_BY_ID``, the new one if ``fields`` changes it).
        """
        with self._lock:
            lead = self._lead(lead_id)
            upper = {k.upper(): v for k, v in fields.items()}
            actor = str(by or upper.get("ASSIGNED_BY_ID") or lead["ASSIGNED_BY_ID"])
            self._modify(lead, fields, actor, trusted=True)
            if notify:
                self._emit("ONCRMLEADUPDATE", int(lead["ID"]), actor)

    def delete_lead(self, lead_id: int | str, notify: bool = True) -> None:
        """Delete a lead; fires ONCRMLEADDELETE if ``notify``."""
        with self._lock:
            self._lead(lead_id)
            del self._leads[int(lead_id)]
            if notify:
                self._emit("ONCRMLEADDELETE", int(lead_id), self.user_id)

    def get_lead(self, lead_id: int | str) -> dict[str, Any]:
        """A copy of a lead as ``crm.lead.get`` returns it (``KeyError`` if absent)."""
        with self._lock:
            return self._full(self._lead(lead_id))

    def leads(self) -> list[dict[str, Any]]:
        """Copies of all leads, by ``ID``."""
        with self._lock:
            return [self._full(lead) for _, lead in sorted(self._leads.items())]

    def add_user(self, user: Mapping[str, Any]) -> None:
        """Add an employee (or replace the one with the same ``ID``)."""
        with self._lock:
            normal = self._norm_user(user)
            self._users[normal["ID"]] = normal

    def update_user(self, user_id: int | str, fields: Mapping[str, Any]) -> None:
        """Change an employee, e.g. ``{"ACTIVE": False}`` when they leave."""
        with self._lock:
            merged = {**self._users[str(user_id)], **fields, "ID": str(user_id)}
            self._users[str(user_id)] = self._norm_user(merged)

    # -----------------------------------------------------------------------------------------
    # Outgoing events

    def event_body(
        self,
        event: str,
        lead_id: int | str,
        *,
        ts: int | str | None = None,
        user_id: int | str | None = None,
    ) -> str:
        """The form body Bitrix24 posts to an event handler for ``event`` on a lead.

        Parameters
        ----------
        event : str
            ``ONCRMLEADADD``, ``ONCRMLEADUPDATE`` or ``ONCRMLEADDELETE``.
        lead_id : int or str
            ``data[FIELDS][ID]``.
        ts : int or str, optional
            Unix seconds; default now.
        user_id : int or str, optional
            OAuth mode: the user whose access token the event carries; default the acting
            user of the running call, else the webhook's.

        Returns
        -------
        str
            ``event=…&event_handler_id=…&data%5BFIELDS%5D%5BID%5D=…&ts=…&auth%5Bdomain%5D=…``
            with ``auth[client_endpoint]``, ``auth[server_endpoint]``, ``auth[member_id]``,
            ``auth[application_token]``: the keys of an outgoing webhook (events/index.md).
            In OAuth mode, the application's variant instead, in the key order of a real
            application event (``oncrmcontactadd.app.form.txt``): ``auth[access_token]``
            (a new access token of that user, valid for REST calls), ``auth[expires]``,
            ``auth[expires_in]``, ``auth[scope]``, ``auth[domain]``,
            ``auth[server_endpoint]``, ``auth[status]``, ``auth[client_endpoint]``,
            ``auth[member_id]``, ``auth[user_id]``, ``auth[application_token]``.
        """
        if ts is None:
            ts = int(self._now().timestamp())
        pairs: list[tuple[str, str]] = [("event", event)]
        if event in self.event_handler_ids:
            pairs.append(("event_handler_id", str(self.event_handler_ids[event])))
        pairs += [("data[FIELDS][ID]", str(lead_id)), ("ts", str(ts))]
        client_endpoint = f"https://{self.domain}/rest/"
        if not self.oauth:
            pairs += [
                ("auth[domain]", self.domain),
                ("auth[client_endpoint]", client_endpoint),
                ("auth[server_endpoint]", SERVER_ENDPOINT),
                ("auth[member_id]", self.member_id),
                ("auth[application_token]", self.application_token),
            ]
            return urlencode(pairs)
        actor = str(user_id) if user_id is not None else self._actor()
        with self._lock:
            access = self._add_token("access", actor, "event")
        pairs += [
            ("auth[access_token]", access.token),
            ("auth[expires]", str(int(access.expires_at))),
            ("auth[expires_in]", str(self._expires_in())),
            ("auth[scope]", self.scope),
            ("auth[domain]", self.domain),
            ("auth[server_endpoint]", SERVER_ENDPOINT),
            ("auth[status]", self.app_status),
            ("auth[client_endpoint]", client_endpoint),
            ("auth[member_id]", self.member_id),
            ("auth[user_id]", actor),
            ("auth[application_token]", self.application_token),
        ]
        return urlencode(pairs)

    def send_event(self, raw_body: str | bytes, url: str | None = None) -> None:
        """Queue an exact body for delivery (a duplicate, a forged token, an old capture).

        Parameters
        ----------
        raw_body : str or bytes
            The form body as it goes on the wire.
        url : str, optional
            Where to; default ``handler_url``.
        """
        body = raw_body.decode("utf-8") if isinstance(raw_body, bytes) else raw_body
        target = url or self.handler_url
        if target is None:
            raise ValueError("no handler_url to send the event to")
        self._enqueue(target, body)

    def wait_deliveries(self, n: int, timeout: float = 5.0) -> list[Delivery]:
        """Wait until at least ``n`` deliveries have ended; a copy of :attr:`deliveries`.

        Raises
        ------
        TimeoutError
            If fewer than ``n`` ended within ``timeout`` seconds.
        """
        deadline = time.monotonic() + timeout
        with self._deliveries_changed:
            while len(self.deliveries) < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(
                        f"{len(self.deliveries)} of {n} deliveries after {timeout} s"
                    )
                self._deliveries_changed.wait(left)
            return list(self.deliveries)

    def wait_idle(self, timeout: float = 5.0) -> list[Delivery]:
        """Wait until no event is queued or in flight; a copy of :attr:`deliveries`."""
        deadline = time.monotonic() + timeout
        with self._deliveries_changed:
            while self._pending:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{self._pending} deliveries still pending")
                self._deliveries_changed.wait(left)
            return list(self.deliveries)

    def _emit(self, event: str, lead_id: int, actor: str | None = None) -> None:
        if self.handler_url:
            self._enqueue(self.handler_url, self.event_body(event, lead_id, user_id=actor))

    def _enqueue(self, url: str, body: str) -> None:
        with self._lock:
            self._pending += 1
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(
                    target=self._deliver_forever, name="fake-bitrix24-events", daemon=True
                )
                self._worker.start()
        self._outbox.put((url, body))

    def _deliver_forever(self) -> None:
        with httpx.Client(timeout=self.delivery_timeout) as client:
            while (item := self._outbox.get()) is not None:
                url, body = item
                if self.event_delay:
                    time.sleep(self.event_delay)
                status: int | None = None
                error: str | None = None
                try:
                    answer = client.post(
                        url,
                        content=body.encode("utf-8"),
                        headers={"Content-Type": "application/x-www-form-urlencoded"},
                    )
                    status = answer.status_code
                except httpx.HTTPError as exc:  # no retries, as documented: log and go on
                    error = f"{type(exc).__name__}: {exc}"
                with self._deliveries_changed:
                    self.deliveries.append(Delivery(url, body, status, error, self.clock()))
                    self._pending -= 1
                    self._deliveries_changed.notify_all()

    # -----------------------------------------------------------------------------------------
    # HTTP

    async def _endpoint(self, request: Request) -> Response:
        parts = request.path_params["path"].strip("/").split("/")
        name = parts[-1].lower().removesuffix(".json")
        arrived = self.clock()
        malformed: _MethodError | None = None
        try:
            params = await self._params(request)
        except _MethodError as fail:  # answered only if the request gets past the checks
            params = parse_php_query(parse_qsl(request.url.query, keep_blank_values=True))
            malformed = fail
        with self._lock:
            self.total_requests += 1
            self.by_method[name] += 1
            early, actor = self._admit(name, parts, params)
            delay = self._delay
        if early is not None:
            status, body = early
        elif malformed is not None:
            status, body = malformed.status, malformed.body
        else:
            acting = _ACTOR.set(actor)
            try:
                status, body = 200, self._run(name, params, top=True)
            except _MethodError as fail:
                status, body = fail.status, fail.body
            finally:
                _ACTOR.reset(acting)
        response = self._response(status, body)
        with self._lock:
            self.hits.append(Hit(arrived, name, status))
        if delay:
            await asyncio.sleep(delay)
        return response

    def _admit(
        self, name: str, parts: list[str], params: Mapping[str, Any]
    ) -> tuple[tuple[int, Any] | None, str]:
        """Outage, injections, credentials, bucket: an early answer (or None) and the actor."""
        if self._outage is not None:
            self.injected += 1
            return self._outage, ""
        for injection in self._injections:
            if injection.method in (None, name):
                injection.remaining -= 1
                if injection.remaining <= 0:
                    self._injections.remove(injection)
                self.injected += 1
                return (injection.status, self._default_body(injection.status, injection.body)), ""
        actor, refusal = self._credentials(parts, params)
        if refusal is not None:
            self.auth_failures += 1
            return (401, refusal), ""
        if not self._take(self.clock()):
            self.rejected_by_limit += 1
            return (503, QUERY_LIMIT_EXCEEDED), ""
        self.executed += 1
        return None, actor

    def _credentials(
        self, parts: list[str], params: Mapping[str, Any]
    ) -> tuple[str, dict[str, str] | None]:
        """The acting user, or the 401 body: webhook path, or ``/rest/{method}`` + ``auth``."""
        if len(parts) == 3 and parts[0] == self.user_id and parts[1] == self.secret:
            return self.user_id, None
        wrong = NO_AUTH_FOUND if self.auth_error == "NO_AUTH_FOUND" else INVALID_CREDENTIALS
        token = params.get("auth")
        if len(parts) != 1 or not self.oauth or not isinstance(token, str) or not token:
            return "", wrong
        info = self._tokens.get(token)
        if info is None or info.kind != "access":
            return "", INVALID_TOKEN
        if self.oauth_clock() >= info.expires_at:
            return "", EXPIRED_TOKEN
        info.used = True
        return info.user_id, None

    async def _token_endpoint(self, request: Request) -> Response:
        """``/oauth/token/``: the authorization server's refresh (``oauth.bitrix.info``)."""
        params = dict(parse_qsl(request.url.query, keep_blank_values=True))
        raw = await request.body()
        if raw.strip():
            if "json" in request.headers.get("content-type", ""):
                try:
                    data = json.loads(raw)
                except ValueError:
                    data = None
                if isinstance(data, dict):
                    params.update({str(k): str(v) for k, v in data.items()})
            else:
                text = raw.decode("utf-8", errors="replace")
                params.update(parse_qsl(text, keep_blank_values=True))
        endpoint = self.client_endpoint(str(request.base_url))
        with self._lock:
            status, body = self._exchange(params, endpoint)
            if status == 200:
                self.token_refreshes += 1
            else:
                self.refused_refreshes += 1
        return self._response(status, body)

    def _exchange(self, params: Mapping[str, str], endpoint: str) -> tuple[int, dict[str, Any]]:
        """A refresh token for a new pair (the old refresh token is spent), or the error."""
        required = ("grant_type", "client_id", "client_secret", "refresh_token")
        if any(not params.get(key) for key in required):
            return 400, INVALID_REQUEST
        if params["grant_type"] != "refresh_token":
            return 400, INVALID_REQUEST
        if params["client_id"] != self.client_id or params["client_secret"] != self.client_secret:
            return 401, INVALID_CLIENT
        info = self._tokens.get(params["refresh_token"])
        now = self.oauth_clock()
        if info is None or info.kind != "refresh" or info.used or now >= info.expires_at:
            return 400, INVALID_GRANT
        info.used = True
        access = self._add_token("access", info.user_id, "refresh")
        refresh = self._add_token("refresh", info.user_id, "refresh")
        return 200, self._token_body(access, refresh, endpoint)

    @staticmethod
    def _default_body(status: int, body: Any) -> Any:
        if body is not None:
            return body
        known = {
            503: QUERY_LIMIT_EXCEEDED,
            500: INTERNAL_SERVER_ERROR,
            429: OPERATION_TIME_LIMIT,
            401: EXPIRED_TOKEN,
        }
        if status in known:
            return known[status]
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = "Error"
        return {"error": "", "error_description": phrase}

    @staticmethod
    def _response(status: int, body: Any) -> Response:
        if isinstance(body, bytes):
            return Response(body, status_code=status)
        if isinstance(body, str):
            kind = "text/html" if body.lstrip().startswith("<") else "text/plain"
            return Response(body, status_code=status, media_type=f"{kind}; charset=utf-8")
        return Response(
            json.dumps(body),
            status_code=status,
            media_type="application/json; charset=utf-8",
        )

    @staticmethod
    async def _params(request: Request) -> dict[str, Any]:
        params = parse_php_query(parse_qsl(request.url.query, keep_blank_values=True))
        raw = await request.body()
        if raw.strip():
            kind = request.headers.get("content-type", "")
            if "json" in kind or ("form" not in kind and raw.lstrip()[:1] in (b"{", b"[")):
                try:
                    data = json.loads(raw)
                except ValueError as exc:
                    raise _MethodError(400, "", f"Invalid JSON body: {exc}") from None
                if isinstance(data, dict):
                    params.update(data)
            else:
                text = raw.decode("utf-8", errors="replace")
                params.update(parse_php_query(parse_qsl(text, keep_blank_values=True)))
        return params

    def _time(self, started: float) -> dict[str, Any]:
        finished = time.time()
        return {
            "start": started,
            "finish": finished,
            "duration": finished - started,
            "processing": finished - started,
            "date_start": datetime.fromtimestamp(started, self.tz).isoformat(timespec="seconds"),
            "date_finish": datetime.fromtimestamp(finished, self.tz).isoformat(timespec="seconds"),
            "operating_reset_at": int(started) + 600,
            "operating": 0,
        }

    def _run(self, name: str, params: Mapping[str, Any], *, top: bool) -> dict[str, Any]:
        started = time.time()
        if name == "batch":
            if not top:
                raise _MethodError(405, **_kw(BATCH_METHOD_NOT_ALLOWED))
            payload = self._batch(params)
        else:
            handler = self._methods.get(name)
            if handler is None:
                raise _MethodError(404, **_kw(METHOD_NOT_FOUND))
            with self._lock:
                self.calls[name] += 1
            payload = handler(params)
        payload["time"] = self._time(started)
        return payload

    # -----------------------------------------------------------------------------------------
    # batch

    def _batch(self, params: Mapping[str, Any]) -> dict[str, Any]:
        commands = _as_map(_param(params, "cmd"))
        if len(commands) > BATCH_LIMIT:
            raise _MethodError(400, **_kw(BATCH_LENGTH_EXCEEDED))
        halt = _truthy(_param(params, "halt", False))
        with self._lock:
            self.calls["batch"] += 1
        results: dict[str, Any] = {}
        errors: dict[str, Any] = {}
        totals: dict[str, Any] = {}
        nexts: dict[str, Any] = {}
        times: dict[str, Any] = {}
        for key, command in commands.items():
            method, _, query = str(command).partition("?")
            sub = parse_php_query(parse_qsl(query, keep_blank_values=True))
            sub = _substitute(sub, results)
            try:
                payload = self._run(method.strip().lower().removesuffix(".json"), sub, top=False)
            except _MethodError as fail:
                errors[key] = fail.body
                if halt:
                    break
                continue
            results[key] = payload["result"]
            if "total" in payload:
                totals[key] = payload["total"]
            if "next" in payload:
                nexts[key] = payload["next"]
            times[key] = {k: v for k, v in payload["time"].items() if not k.startswith("operat")}
        return {
            "result": {
                "result": _php_map(results),
                "result_error": _php_map(errors),
                "result_total": _php_map(totals),
                "result_next": _php_map(nexts),
                "result_time": _php_map(times),
            }
        }

    # -----------------------------------------------------------------------------------------
    # Leads

    def _declare_user_field(self, code: str, label: str | None = None) -> None:
        code = code.upper()
        label = label or code
        self._field_meta[code] = {
            "type": "string",
            "isRequired": False,
            "isReadOnly": False,
            "isImmutable": False,
            "isMultiple": False,
            "isDynamic": True,
            "title": code,
            "listLabel": label,
            "formLabel": label,
            "filterLabel": label,
            "settings": {
                "SIZE": 20,
                "ROWS": 1,
                "REGEXP": "",
                "MIN_LENGTH": 0,
                "MAX_LENGTH": 0,
                "DEFAULT_VALUE": None,
            },
        }

    def _user_field_codes(self) -> list[str]:
        return [k for k in self._field_meta if k.startswith("UF_")]

    def _lead(self, lead_id: int | str) -> dict[str, Any]:
        try:
            return self._leads[int(lead_id)]
        except (KeyError, TypeError, ValueError):
            raise KeyError(f"no lead {lead_id!r}") from None

    def _stamp(self, value: Any = None) -> str:
        moment = self._now() if value is None else self._as_datetime(value)
        return moment.astimezone(self.tz).isoformat(timespec="seconds")

    def _as_datetime(self, value: Any) -> datetime:
        if isinstance(value, datetime):
            moment = value
        elif isinstance(value, date):
            moment = datetime(value.year, value.month, value.day)
        else:
            text = str(value).strip()
            try:
                moment = datetime.fromisoformat(text)
            except ValueError:
                for pattern in ("%d.%m.%Y %H:%M:%S", "%d.%m.%Y"):
                    try:
                        moment = datetime.strptime(text, pattern)
                        break
                    except ValueError:
                        continue
                else:
                    raise _UnparsableError(text) from None
        return moment if moment.tzinfo else moment.replace(tzinfo=self.tz)

    def _create(self, fields: Mapping[str, Any], actor: str, *, trusted: bool) -> int:
        explicit = _param(fields, "ID") if trusted else None
        lead_id = int(explicit) if explicit not in (None, "") else self._next_lead_id
        if lead_id in self._leads:
            raise ValueError(f"lead {lead_id} exists")
        self._next_lead_id = max(self._next_lead_id, lead_id + 1)
        stamp = self._stamp()
        lead: dict[str, Any] = dict.fromkeys(self._standard)
        lead.update(
            {
                "ID": str(lead_id),
                "TITLE": f"Lead #{lead_id}",
                "IS_RETURN_CUSTOMER": "N",
                "BIRTHDATE": "",
                "STATUS_ID": "NEW",
                "CURRENCY_ID": self.currency,
                "OPPORTUNITY": "0.00",
                "IS_MANUAL_OPPORTUNITY": "N",
                "HAS_PHONE": "N",
                "HAS_EMAIL": "N",
                "HAS_IMOL": "N",
                "ASSIGNED_BY_ID": actor,
                "CREATED_BY_ID": actor,
                "MODIFY_BY_ID": actor,
                "DATE_CREATE": stamp,
                "DATE_MODIFY": stamp,
                "DATE_CLOSED": "",
                "STATUS_SEMANTIC_ID": "P",
                "OPENED": "Y",
                "MOVED_BY_ID": actor,
                "MOVED_TIME": stamp,
                "LAST_ACTIVITY_BY": actor,
                "LAST_ACTIVITY_TIME": stamp,
            }
        )
        for code in self._user_field_codes():
            lead[code] = None
        for code in self._multi:
            lead[code] = []
        self._leads[lead_id] = lead
        given = {k.upper(): v for k, v in fields.items() if k.upper() != "ID"}
        self._modify(lead, given, actor, trusted=trusted, creating=True)
        return lead_id

    def _modify(
        self,
        lead: dict[str, Any],
        fields: Mapping[str, Any],
        actor: str,
        *,
        trusted: bool,
        creating: bool = False,
    ) -> None:
        fields = {k.upper(): v for k, v in fields.items()}
        previous_status = lead["STATUS_ID"]
        for code, value in fields.items():
            meta = self._field_meta.get(code)
            if meta is None:
                if not trusted:
                    continue  # "An incorrect field in fields will be ignored."
                if not code.startswith("UF_"):
                    raise ValueError(f"no lead field {code}")
                self._declare_user_field(code)
                meta = self._field_meta[code]
            if code == "ID" or (meta["isReadOnly"] and not trusted):
                continue
            if meta["type"] == "crm_multifield":
                self._merge_multi(lead, code, value)
            elif code.startswith("UF_"):
                lead[code] = value
            else:
                lead[code] = self._normal(meta["type"], value)
        now = self._stamp()
        if lead["STATUS_ID"] != previous_status or creating:
            semantics = self._stage_semantics(lead["STATUS_ID"])
            if "STATUS_SEMANTIC_ID" not in fields:
                lead["STATUS_SEMANTIC_ID"] = semantics or "P"
            if not creating:
                if "MOVED_TIME" not in fields or not trusted:
                    lead["MOVED_TIME"] = now
                if "MOVED_BY_ID" not in fields or not trusted:
                    lead["MOVED_BY_ID"] = actor
            if semantics in ("S", "F") and "DATE_CLOSED" not in fields:
                lead["DATE_CLOSED"] = now
        lead["HAS_PHONE"] = "Y" if lead["PHONE"] else "N"
        lead["HAS_EMAIL"] = "Y" if lead["EMAIL"] else "N"
        lead["HAS_IMOL"] = "Y" if any(i["VALUE_TYPE"] == "OPENLINE" for i in lead["IM"]) else "N"
        if not creating:
            if "DATE_MODIFY" not in fields or not trusted:
                lead["DATE_MODIFY"] = now
            if "MODIFY_BY_ID" not in fields or not trusted:
                lead["MODIFY_BY_ID"] = actor

    def _normal(self, kind: str, value: Any) -> Any:
        if value is None:
            return None
        if kind in _FLOAT_TYPES:
            return f"{float(value or 0):.2f}"
        if kind in _DATE_TYPES:
            return "" if value == "" else self._stamp(value)
        if isinstance(value, bool):
            return "Y" if value else "N"
        return str(value)

    def _merge_multi(self, lead: dict[str, Any], code: str, value: Any) -> None:
        items = lead[code]
        for raw in _as_list(value):
            entry = raw if isinstance(raw, dict) else {"VALUE": raw}
            entry = {k.upper(): v for k, v in entry.items()}
            existing = next((i for i in items if i["ID"] == str(entry.get("ID"))), None)
            if existing is not None:
                if entry.get("VALUE") in (None, ""):
                    items.remove(existing)
                else:
                    existing.update({k: str(v) for k, v in entry.items() if k != "ID"})
                continue
            if entry.get("VALUE") in (None, ""):
                continue
            items.append(
                {
                    "ID": str(self._next_multi_id),
                    "VALUE_TYPE": str(entry.get("VALUE_TYPE", "WORK")),
                    "VALUE": str(entry["VALUE"]),
                    "TYPE_ID": code,
                }
            )
            self._next_multi_id += 1

    def _stage_semantics(self, status_id: str | None) -> str | None:
        for status in self._statuses:
            if status["ENTITY_ID"] == "STATUS" and status["STATUS_ID"] == status_id:
                return status.get("SEMANTICS")
        return None

    def _full(self, lead: Mapping[str, Any]) -> dict[str, Any]:
        out = {k: copy.deepcopy(v) for k, v in lead.items() if k not in self._multi}
        out.update({k: copy.deepcopy(lead[k]) for k in self._multi if lead[k]})
        return out

    def _project(self, lead: Mapping[str, Any], select: Sequence[Any]) -> dict[str, Any]:
        wanted = [str(s).upper() for s in select] or ["*"]
        keep: set[str] = set()
        for name in wanted:
            if name == "*":
                keep.update(self._standard)
            elif name == "UF_*":
                keep.update(self._user_field_codes())
            elif name in lead:
                keep.add(name)
        return {k: copy.deepcopy(v) for k, v in lead.items() if k in keep}

    def _lead_kind(self, code: str) -> str:
        kind = self._field_meta.get(code, {}).get("type", "string")
        if kind in _INT_TYPES:
            return "int"
        if kind in _FLOAT_TYPES:
            return "float"
        if kind in _DATE_TYPES:
            return "datetime"
        if kind == "boolean":
            return "bool"
        return "str"

    def _valid_id(self, params: Mapping[str, Any]) -> int:
        raw = _param(params, "id")
        try:
            lead_id = int(str(raw))
        except (TypeError, ValueError):
            lead_id = 0
        if lead_id <= 0:
            raise _MethodError(400, "", "ID is not defined or invalid.")
        return lead_id

    def _crm_lead_add(self, params: Mapping[str, Any]) -> dict[str, Any]:
        fields = _as_map(_param(params, "fields"))
        with self._lock:
            lead_id = self._create(fields, self._actor(), trusted=False)
            self._emit("ONCRMLEADADD", lead_id)
        return {"result": lead_id}

    def _crm_lead_get(self, params: Mapping[str, Any]) -> dict[str, Any]:
        lead_id = self._valid_id(params)
        with self._lock:
            if lead_id not in self._leads:
                raise _MethodError(400, "", "Not found")
            return {"result": self._full(self._leads[lead_id])}

    def _crm_lead_update(self, params: Mapping[str, Any]) -> dict[str, Any]:
        lead_id = self._valid_id(params)
        fields = _as_map(_param(params, "fields"))
        with self._lock:
            if lead_id not in self._leads:
                raise _MethodError(400, "", "Not found")
            self._modify(self._leads[lead_id], fields, self._actor(), trusted=False)
            self._emit("ONCRMLEADUPDATE", lead_id)
        return {"result": True}

    def _crm_lead_delete(self, params: Mapping[str, Any]) -> dict[str, Any]:
        lead_id = self._valid_id(params)
        with self._lock:
            if lead_id not in self._leads:
                raise _MethodError(400, "", "Not found")
            del self._leads[lead_id]
            self._emit("ONCRMLEADDELETE", lead_id)
        return {"result": True}

    def _crm_lead_fields(self, params: Mapping[str, Any]) -> dict[str, Any]:
        with self._lock:
            return {"result": copy.deepcopy(self._field_meta)}

    def _crm_lead_list(self, params: Mapping[str, Any]) -> dict[str, Any]:
        conditions = _as_map(_param(params, "filter"))
        order = _as_map(_param(params, "order")) or {"ID": "ASC"}
        select = _as_list(_param(params, "select"))
        start = _int(_param(params, "start"), 0)
        with self._lock:
            rows = [
                lead
                for lead in self._leads.values()
                if self._matches(lead, conditions, self._lead_kind)
            ]
            rows = self._ordered(rows, order, self._lead_kind)
            return _page([self._project(r, select) for r in rows], start)

    # -----------------------------------------------------------------------------------------
    # Users, departments, statuses

    @staticmethod
    def _norm_user(user: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {
            "ID": "",
            "ACTIVE": True,
            "NAME": "",
            "LAST_NAME": "",
            "SECOND_NAME": "",
            "EMAIL": "",
            "IS_ONLINE": "N",
            "WORK_POSITION": "",
            "UF_DEPARTMENT": [],
            "USER_TYPE": "employee",
        }
        out.update(user)
        out["ID"] = str(out["ID"])
        out["ACTIVE"] = _truthy(out["ACTIVE"])
        out["UF_DEPARTMENT"] = [int(d) for d in _as_list(out["UF_DEPARTMENT"])]
        return out

    @staticmethod
    def _norm_department(department: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {"ID": str(department["ID"]), "NAME": "", "SORT": 500}
        out.update({k: v for k, v in department.items() if k != "ID"})
        out["SORT"] = int(out["SORT"])
        for key in ("PARENT", "UF_HEAD"):
            if out.get(key) is not None:
                out[key] = str(out[key])
        return out

    @staticmethod
    def _norm_status(status: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {
            "ENTITY_ID": "STATUS",
            "SYSTEM": "N",
            "CATEGORY_ID": None,
            "COLOR": "#39A8EF",
            "SEMANTICS": None,
        }
        out.update(status)
        out.setdefault("NAME_INIT", out.get("NAME", ""))
        for key in ("ID", "SORT"):
            out[key] = str(out.get(key, ""))
        if out["ENTITY_ID"] in {"STATUS", "DEAL_STAGE", "QUOTE_STATUS"}:
            out.setdefault(
                "EXTRA",
                {
                    "SEMANTICS": _EXTRA_SEMANTICS.get(out["SEMANTICS"], "process"),
                    "COLOR": out["COLOR"],
                },
            )
        return out

    def _user_get(self, params: Mapping[str, Any]) -> dict[str, Any]:
        reserved = {"sort", "order", "filter", "start", "select", "admin_mode", "image_resize"}
        conditions = {
            k: v
            for k, v in params.items()
            if k.lower() not in reserved | {"auth"} and not k.startswith("_")
        }
        conditions.update(_as_map(_param(params, "filter")))
        sort = str(_param(params, "sort", "ID") or "ID").upper()
        direction = str(_param(params, "order", "ASC") or "ASC")

        def kind(code: str) -> str:
            if code in ("ID", "UF_DEPARTMENT"):
                return "int"
            return "bool" if code == "ACTIVE" else "str"

        with self._lock:
            rows = [u for u in self._users.values() if self._matches(u, conditions, kind)]
            rows = self._ordered(rows, {sort: direction}, kind)
            return _page([copy.deepcopy(u) for u in rows], _int(_param(params, "start"), 0))

    def _user_current(self, params: Mapping[str, Any]) -> dict[str, Any]:
        with self._lock:
            actor = self._actor()
            return {"result": copy.deepcopy(self._users.get(actor, {"ID": actor}))}

    def _department_get(self, params: Mapping[str, Any]) -> dict[str, Any]:
        conditions = {
            k: v
            for k, v in params.items()
            if k.upper() in {"ID", "NAME", "SORT", "PARENT", "UF_HEAD"}
        }
        sort = str(_param(params, "sort", "ID") or "ID").upper()
        direction = str(_param(params, "order", "ASC") or "ASC")

        def kind(code: str) -> str:
            return "str" if code == "NAME" else "int"

        with self._lock:
            rows = [d for d in self._departments if self._matches(d, conditions, kind)]
            rows = self._ordered(rows, {sort: direction}, kind)
            return _page([dict(d) for d in rows], _int(_param(params, "start"), 0))

    def _crm_status_list(self, params: Mapping[str, Any]) -> dict[str, Any]:
        conditions = _as_map(_param(params, "filter"))
        order = _as_map(_param(params, "order")) or {"SORT": "ASC"}

        def kind(code: str) -> str:
            return "int" if code in ("ID", "SORT", "CATEGORY_ID") else "str"

        with self._lock:
            rows = [s for s in self._statuses if self._matches(s, conditions, kind)]
            rows = self._ordered(rows, order, kind)
            return _page([copy.deepcopy(s) for s in rows], _int(_param(params, "start"), 0))

    # -----------------------------------------------------------------------------------------
    # Filtering and ordering

    def _coerce(self, kind: str, value: Any) -> Any:
        if value is None or value == "":
            return None
        if isinstance(value, dict) and "VALUE" in value:
            value = value["VALUE"]
        if kind == "int":
            return int(float(value))
        if kind == "float":
            return float(value)
        if kind == "datetime":
            return self._as_datetime(value)
        if kind == "bool":
            return _truthy(value)
        if isinstance(value, bool):
            return "y" if value else "n"
        return str(value).casefold()

    def _matches(
        self, record: Mapping[str, Any], conditions: Mapping[str, Any], kind: Callable[[str], str]
    ) -> bool:
        for key, wanted in conditions.items():
            prefix, code = _split_filter_key(str(key))
            code = code.upper()
            if not self._condition(record.get(code), prefix, wanted, kind(code)):
                return False
        return True

    def _condition(self, actual: Any, prefix: str, wanted: Any, kind: str) -> bool:
        negate = prefix.startswith("!")
        op = prefix[1:] if negate else prefix
        if op in ("", "="):
            op = "@" if isinstance(wanted, (list, dict)) else "="
        values = (actual or [None]) if isinstance(actual, list) else [actual]
        try:
            hit = any(self._compare(v, op, wanted, kind) for v in values)
        except _UnparsableError:
            return False  # "If the value is not recognized as a date, … no records"
        return not hit if negate else hit

    def _compare(self, actual: Any, op: str, wanted: Any, kind: str) -> bool:
        if op == "@":
            return any(self._compare(actual, "=", w, kind) for w in _as_list(wanted))
        if op in ("%", "=%", "%="):
            if actual is None:
                return False
            pattern = str(wanted) if op != "%" else f"%{wanted}%"
            return _like(pattern, str(actual))
        try:
            left = self._coerce(kind, actual)
        except (ValueError, _UnparsableError):
            left = None
        right = self._coerce(kind, wanted)
        if op == "=":
            return bool(left == right)
        if left is None or right is None:
            return False
        outcomes = {">": left > right, ">=": left >= right, "<": left < right, "<=": left <= right}
        return bool(outcomes[op])

    def _ordered(
        self,
        rows: list[dict[str, Any]],
        order: Mapping[str, Any],
        kind: Callable[[str], str],
    ) -> list[dict[str, Any]]:
        def key_of(code: str) -> Callable[[Mapping[str, Any]], tuple[int, Any]]:
            def key(row: Mapping[str, Any]) -> tuple[int, Any]:
                try:
                    value = self._coerce(kind(code), row.get(code))
                except (ValueError, TypeError, _UnparsableError):
                    value = None
                return (0, 0) if value is None else (1, value)

            return key

        result = sorted(rows, key=key_of("ID"))
        for code, direction in reversed(list(order.items())):
            descending = str(direction).upper() == "DESC"
            result.sort(key=key_of(str(code).upper()), reverse=descending)
        return result


def _kw(body: Mapping[str, str]) -> dict[str, str]:
    return {"error": body["error"], "description": body["error_description"]}


def _page(rows: list[dict[str, Any]], start: int) -> dict[str, Any]:
    """A list method's envelope: 50 rows from ``start``, ``next``, ``total``.

    ``start = -1`` gives the first 50 without counting: ``total`` 0, no ``next``
    (settings/performance/huge-data.md).
    """
    if start < 0:
        return {"result": rows[:PAGE_SIZE], "total": 0}
    out: dict[str, Any] = {"result": rows[start : start + PAGE_SIZE]}
    if start + PAGE_SIZE < len(rows):
        out["next"] = start + PAGE_SIZE
    out["total"] = len(rows)
    return out


_REFERENCE = re.compile(r"\$result\[([^\]]+)\]((?:\[[^\]]*\])*)")


def _substitute(params: Any, results: Mapping[str, Any]) -> Any:
    """Replace ``$result[cmd][field]…`` in a batch command's values by earlier results."""
    if isinstance(params, dict):
        return {k: _substitute(v, results) for k, v in params.items()}
    if not isinstance(params, str) or "$result[" not in params:
        return params

    def lookup(match: re.Match[str]) -> Any:
        node: Any = results.get(match.group(1))
        for step in re.findall(r"\[([^\]]*)\]", match.group(2)):
            if isinstance(node, list) and step.isdigit() and int(step) < len(node):
                node = node[int(step)]
            elif isinstance(node, dict):
                node = node.get(step)
            else:
                return None
        return node

    whole = _REFERENCE.fullmatch(params)
    if whole:
        return lookup(whole)
    return _REFERENCE.sub(lambda m: "" if (v := lookup(m)) is None else str(v), params)
