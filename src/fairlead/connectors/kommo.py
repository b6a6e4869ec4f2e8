"""amoCRM / Kommo: leads in, owner (``responsible_user_id``) written back, history read.

Settings
--------
base_url : str
    The account's address, ``https://<subdomain>.amocrm.ru`` (``.amocrm.com``, or
    ``https://<subdomain>.kommo.com``): every API call goes to the account itself.
access_token : str
    A long-lived token (Settings -> Integrations -> the private integration -> Keys and
    scopes), of a user with administrator rights (``GET /api/v4/users`` needs them).
    With OAuth, the current access token, if one is known.
client_id, client_secret, refresh_token, redirect_uri : str
    OAuth instead of a long-lived token: the integration's keys, its redirect URI and
    the last refresh token. The access token is refreshed when the API answers 401 or
    when ``expires_at`` is less than a minute away. A refresh token works once: the new
    pair replaces the old one in :attr:`Kommo.settings`, :attr:`Kommo.tokens_changed`
    turns true, and :meth:`Kommo.current_tokens` gives what the service must store.
expires_at : float, optional
    Unix time when ``access_token`` expires (OAuth; kept up to date on each refresh).
account_id, subdomain : str, optional
    When given, a webhook must carry this ``account[id]`` / ``account[subdomain]``.
rate : float, default 7
    Requests per second (amoCRM: 7 per integration; more gives 429, and repeated 429s
    block the account with 403).
burst : float, default 1
    Requests that may go at once. amoCRM counts requests in any one second, and a
    bucket of ``burst`` draining at ``rate`` lets ``burst + rate`` through in a second:
    with the default of 1 the requests are spaced evenly and never more than ``rate``
    fall in one second.
timeout : float, default 10
    Seconds to wait for an answer.
attempts, backoff : int and float, default 3 and 0.5
    Tries of a request the CRM answers with 429 or 5xx, and the first wait between them
    in seconds (doubling; a 429's ``Retry-After`` header or ``retry_after``, at most
    10 s, when given).

amoCRM signs no webhook: the service gives this connector's webhook an address with an
unguessable secret (:attr:`Kommo.path_secret`), and every lead named is read again
through the API before anything is decided. The REST client is httpx, with the leaky
bucket of :mod:`~fairlead.connectors._throttle`; owners are written 50 leads per
``PATCH /api/v4/leads``.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlsplit

import httpx

from fairlead.connectors._base import Connector, register
from fairlead.connectors._errors import CrmError, WebhookRefusedError
from fairlead.connectors._http import CrmHttp, page_words
from fairlead.connectors._records import CrmLead, CrmUser, EventKind, InboundEvent, Outcome
from fairlead.connectors._throttle import LeakyBucket

#: The webhook's lead actions (``leads[<action>][N][...]``) and what they mean to fairlead.
ACTIONS: dict[str, EventKind] = {
    "add": "added",
    "update": "updated",
    "restore": "updated",
    "delete": "deleted",
    "status": "stage_changed",
    "responsible": "owner_changed",
}
#: The system stages of every pipeline: "successfully realised" and "closed, not realised".
OUTCOMES: dict[int, Outcome] = {142: "won", 143: "lost"}
#: Most leads in one ``PATCH /api/v4/leads`` (the official SDK's advice) or id filter.
BATCH = 50
#: Most leads in one page of a list ("at most 250").
PAGE = 250
#: A token this close to its expiry (seconds) is refreshed before it is used.
REFRESH_MARGIN = 60.0
#: Most seconds a 429's ``retry_after`` (of the body) is waited before trying again.
RETRY_AFTER_CAP = 10.0

_ITEM = re.compile(r"leads\[(\w+)\]\[(\d+)\]\[(\w+)\]")
#: ``leads[add][0][custom_fields][1][values][0][value]`` (or ``...[values][0]``, ``...[id]``).
_CUSTOM = re.compile(
    r"leads\[(\w+)\]\[(\d+)\]\[custom_fields\]\[(\d+)\]\[(id|code|values)\]"
    r"(?:\[(\d+)\](?:\[value\])?)?"
)
_TIMES = ("last_modified", "updated_at", "date_create")


class KommoValidationError(CrmError):
    """A request refused with HTTP 400 and ``validation-errors``, by item.

    Parameters
    ----------
    crm, message : str
        As for :class:`CrmError`.
    items : list of dict
        The ``validation-errors`` entries: ``{"request_id": "0", "errors": [{"code",
        "path", "detail"}, ...]}``, ``request_id`` being the item's index in the request.
    """

    def __init__(self, crm: str, message: str, *, items: list[Any]) -> None:
        super().__init__(crm, message, status=400, code="Bad Request")
        self.items = items


class KommoHttp(CrmHttp):
    """:class:`CrmHttp` that also reads amoCRM's error bodies: ``retry_after`` and items.

    A 429 without a ``Retry-After`` header waits the body's ``retry_after`` (at most
    :data:`RETRY_AFTER_CAP` seconds: the documented sample says 300, too long to hold a
    request); a 400 with ``validation-errors`` raises :class:`KommoValidationError`.
    """

    def _error(self, method: str, path: str, response: httpx.Response) -> CrmError:
        error = super()._error(method, path, response)
        try:
            body: Any = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            return error
        if not isinstance(body, dict):
            return error
        if response.status_code == 429 and error.retry_after is None:
            seconds = _number(body.get("retry_after"))
            if seconds is not None and seconds >= 0:
                error.retry_after = min(seconds, RETRY_AFTER_CAP)
        items = body.get("validation-errors")
        if response.status_code == 400 and isinstance(items, list):
            message = str(error).removeprefix(f"{self.crm}: ")
            return KommoValidationError(self.crm, message, items=items)
        return error


@register
class Kommo(Connector):
    """An amoCRM / Kommo account, through its API v4 and its webhooks."""

    name = "kommo"
    write_batch = BATCH
    page_size = PAGE
    #: amoCRM signs nothing: the webhook's address must hold a secret.
    path_secret: ClassVar[bool] = True

    def __init__(self, settings: Mapping[str, Any], *, http: CrmHttp | None = None) -> None:
        super().__init__(settings)
        url = str(self.settings.get("base_url") or "").rstrip("/")
        parts = urlsplit(url)
        if parts.scheme not in ("https", "http") or not parts.netloc:
            raise ValueError(
                "kommo setting 'base_url' must be the account's address, "
                "https://<subdomain>.amocrm.ru (or .amocrm.com, .kommo.com)"
            )
        self.base = url
        #: Whether the tokens are OAuth ones (refreshed), not a long-lived token.
        self.oauth = bool(self.settings.get("refresh_token"))
        if self.oauth:
            needed = ("client_id", "client_secret", "redirect_uri")
            missing = [k for k in needed if not self.settings.get(k)]
            if missing:
                names = ", ".join(repr(k) for k in missing)
                raise ValueError(f"kommo OAuth settings need {names} with 'refresh_token'")
        elif not self.settings.get("access_token"):
            raise ValueError(
                "kommo settings need 'access_token' (a long-lived token), or 'client_id', "
                "'client_secret', 'refresh_token' and 'redirect_uri' (OAuth)"
            )
        if self.settings.get("expires_at") is not None:
            expires = _number(self.settings["expires_at"])
            if expires is None:
                raise ValueError("kommo setting 'expires_at' must be a Unix time")
            self.settings["expires_at"] = expires
        numbers: dict[str, float] = {}
        defaults = {"rate": 7.0, "burst": 1.0, "timeout": 10.0, "backoff": 0.5, "attempts": 3.0}
        for key, default in defaults.items():
            value = _number(self.settings.get(key, default))
            if value is None or value <= 0:
                raise ValueError(f"kommo setting {key!r} must be a positive number")
            numbers[key] = value
        #: Whether the tokens were refreshed since the settings were read (or since the
        #: service last stored :meth:`current_tokens` and set this back to False).
        self.tokens_changed = False
        self._lock = threading.Lock()
        self.http = http or KommoHttp(
            self.name,
            self.base,
            bucket=LeakyBucket(rate=numbers["rate"], burst=max(1.0, numbers["burst"])),
            attempts=max(1, int(numbers["attempts"])),
            backoff=numbers["backoff"],
            timeout=numbers["timeout"],
            error_of=_error_of,
        )
        self.bucket = self.http.bucket
        token = self.settings.get("access_token")
        if token:
            self.http.set_header("Authorization", f"Bearer {token}")

    def close(self) -> None:
        """Close the connections to the account."""
        self.http.close()

    def current_tokens(self) -> dict[str, Any]:
        """The tokens in use: ``access_token``, ``refresh_token``, ``expires_at`` (those set).

        With OAuth, the service stores these over the settings' own after a refresh
        (:attr:`tokens_changed`): the refresh token given at first no longer works.
        """
        with self._lock:
            keys = ("access_token", "refresh_token", "expires_at")
            return {k: self.settings[k] for k in keys if self.settings.get(k) is not None}

    # -- webhooks -------------------------------------------------------------------------

    def check_webhook(
        self, body: bytes, headers: Mapping[str, str], path_secret: str | None, now: datetime
    ) -> None:
        """The call came to the secret address, for this account.

        amoCRM neither signs its webhooks nor sends a time that can be trusted (the
        lead's ``last_modified`` is when the lead changed, and a retry comes up to an
        hour and a half later with the same body), so there is no replay window: the
        secret of the address (checked by the service) authenticates the call, a retry
        is recognised by its event key, and the lead is read again through the API.
        The body must be a webhook form naming an account (``account[id]`` or
        ``account[subdomain]``); when the settings give ``account_id`` / ``subdomain``,
        those the body carries must match, and at least one must be there.
        """
        if not path_secret:
            raise WebhookRefusedError(
                "kommo: amoCRM signs nothing, so its webhook needs the secret address",
                status=401,
                field="path",
            )
        form = _form(body)
        given = {k: form[k].strip() for k in ("account[id]", "account[subdomain]") if k in form}
        if not any(given.values()):
            raise WebhookRefusedError(
                "kommo: not an amoCRM webhook (no account[id] or account[subdomain])",
                field="account",
            )
        expected = {
            "account[id]": str(self.settings.get("account_id") or "").strip(),
            "account[subdomain]": str(self.settings.get("subdomain") or "").strip().lower(),
        }
        confirmed = False
        for key, want in expected.items():
            if not want or key not in given:
                continue
            got = given[key].lower() if key == "account[subdomain]" else given[key]
            if got != want:
                raise WebhookRefusedError(
                    f"kommo: {key} {given[key]!r} is not this account's", status=401, field=key
                )
            confirmed = True
        configured = [k for k, want in expected.items() if want]
        if configured and not confirmed:
            raise WebhookRefusedError(
                f"kommo: the webhook carries no {' or '.join(configured)} to check",
                status=401,
                field=configured[0],
            )

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> list[InboundEvent]:
        """The lead events of one webhook: ``leads[<action>][N][<field>]`` (form-encoded).

        One event per action and item; ``fields`` are the item's own values as sent
        (strings, amoCRM's legacy names: ``status_id``, ``old_status_id``,
        ``responsible_user_id``, ``modified_user_id``, ``last_modified`` ...), with its
        custom fields as ``cf_<id>`` (and by code, when sent). Contacts, companies and
        notes are not fairlead's: they give no event.
        """
        items: dict[tuple[str, int], dict[str, str]] = {}
        custom: dict[tuple[str, int], dict[str, dict[str, str]]] = {}
        for key, value in _pairs(body):
            found = _ITEM.fullmatch(key)
            if found is not None and found.group(1) in ACTIONS:
                items.setdefault((found.group(1), int(found.group(2))), {})[found.group(3)] = value
                continue
            found = _CUSTOM.fullmatch(key)
            if found is not None and found.group(1) in ACTIONS and found.group(5) in (None, "0"):
                item = (found.group(1), int(found.group(2)))
                part = "value" if found.group(4) == "values" else found.group(4)
                custom.setdefault(item, {}).setdefault(found.group(3), {})[part] = value
        events = []
        for (action, index), fields in items.items():
            for field in custom.get((action, index), {}).values():
                if field.get("id"):
                    fields.setdefault(f"cf_{field['id']}", field.get("value", ""))
                    if field.get("code"):
                        fields.setdefault(field["code"], field.get("value", ""))
            form_key = f"leads[{action}][{index}][id]"
            crm_id = fields.get("id", "").strip()
            if not crm_id.isdigit():
                raise WebhookRefusedError(
                    f"kommo: {form_key} must be a lead id, got {crm_id!r}", field=form_key
                )
            stamp = next((fields[k] for k in _TIMES if fields.get(k)), "")
            if stamp:
                key = f"{action}:{crm_id}:{stamp}"
            else:
                # The short modern status hook carries no time: the item itself tells one
                # change from the next, and a retry (the same body) from a new change.
                seen = json.dumps(sorted(fields.items()), ensure_ascii=False)
                key = f"{action}:{crm_id}::{hashlib.sha256(seen.encode()).hexdigest()[:16]}"
            events.append(
                InboundEvent(
                    kind=ACTIONS[action],
                    crm_lead_id=crm_id,
                    key=key,
                    at=_time(stamp),
                    fields=fields,
                )
            )
        return events

    # -- reading --------------------------------------------------------------------------

    def fetch_leads(self, crm_ids: Sequence[str]) -> dict[str, CrmLead | None]:
        """``GET /api/v4/leads`` with ``filter[id][]``, up to 50 ids a request.

        A lead the answer leaves out (deleted, or never there) is ``None``, as is an id
        that is not a number (amoCRM's ids are).
        """
        out: dict[str, CrmLead | None] = {}
        ids = list(dict.fromkeys(str(x) for x in crm_ids))
        wanted = [x for x in ids if x.isdigit()]
        found: dict[str, CrmLead] = {}
        for start in range(0, len(wanted), BATCH):
            part = wanted[start : start + BATCH]
            params = [("filter[id][]", x) for x in part] + [("limit", str(len(part)))]
            body = self._get("/api/v4/leads", params)
            for row in _embedded(body, "leads"):
                lead = lead_of(row)
                found[lead.crm_id] = lead
        for crm_id in ids:
            out[crm_id] = found.get(crm_id)
        return out

    def users(self) -> list[CrmUser]:
        """``GET /api/v4/users?with=group``, every page (the token's user must be an admin)."""
        out = []
        page = 1
        while True:
            body = self._get("/api/v4/users", {"with": "group", "limit": PAGE, "page": page})
            for row in _embedded(body, "users"):
                rights = _object(row.get("rights"))
                groups = [rights.get("group_id")]
                embedded = _object(row.get("_embedded"))
                groups += [g.get("id") for g in embedded.get("groups") or [] if isinstance(g, dict)]
                out.append(
                    CrmUser(
                        crm_id=str(row["id"]),
                        name=str(row.get("name") or row.get("email") or row["id"]),
                        active=rights.get("is_active") in (True, 1, "true", "Y"),
                        groups=tuple(dict.fromkeys(str(g) for g in groups if g is not None)),
                        fields=dict(row),
                    )
                )
            if not _has_next(body):
                return out
            page += 1

    def history(self, since: datetime | None) -> Iterator[CrmLead]:
        """``GET /api/v4/leads`` changed from ``since``, oldest change first, 250 a page.

        The pages are taken from the last change seen (``filter[updated_at][from]``, then
        ``page=1`` again) rather than by page number alone: a lead changed while the pages
        are read moves to the end of the order, which would shift every later lead back
        and hide one. A lead is given once per change; several with the same time fill
        a page only when more than 250 share it (then the next page of the same filter).
        """
        start: int | None = None
        if since is not None:
            when = since if since.tzinfo is not None else since.replace(tzinfo=UTC)
            start = int(when.timestamp())
        page = 1
        given: set[tuple[str, Any]] = set()
        while True:
            params: dict[str, Any] = {"order[updated_at]": "asc", "limit": PAGE, "page": page}
            if start is not None:
                params["filter[updated_at][from]"] = start
            body = self._get("/api/v4/leads", params)
            rows = _embedded(body, "leads")
            for row in rows:
                seen = (str(row.get("id")), row.get("updated_at"))
                if seen not in given:
                    given.add(seen)
                    yield lead_of(row)
            if not rows or not _has_next(body):
                return
            last = _number(rows[-1].get("updated_at"))
            if last is not None and (start is None or int(last) > start):
                start, page = int(last), 1
            else:
                page += 1

    def recent_leads(self, count: int) -> list[CrmLead]:
        """``GET /api/v4/leads`` newest first (``order[created_at]=desc``), pages as needed."""
        out: list[CrmLead] = []
        page = 1
        # One page size throughout: page N of another size would skip or repeat leads.
        limit = min(PAGE, count)
        while len(out) < count:
            params = {"order[created_at]": "desc", "limit": limit, "page": page}
            body = self._get("/api/v4/leads", params)
            rows = _embedded(body, "leads")
            out += [lead_of(row) for row in rows]
            if not rows or not _has_next(body):
                break
            page += 1
        return out[:count]

    # -- writing --------------------------------------------------------------------------

    def write_owners(self, owners: Mapping[str, str]) -> dict[str, str | None]:
        """``PATCH /api/v4/leads`` with ``[{"id", "responsible_user_id"}]``, up to 50 leads.

        amoCRM checks a batch as a whole: when it refuses some items (400 with
        ``validation-errors``) nothing is written, so those leads get the CRM's reasons
        and the others are sent again without them.
        """
        if len(owners) > BATCH:
            raise ValueError(f"kommo writes at most {BATCH} owners per request, got {len(owners)}")
        out: dict[str, str | None] = {}
        pending: list[tuple[str, dict[str, int]]] = []
        for crm_id, user in owners.items():
            if not str(crm_id).isdigit():
                out[crm_id] = f"{crm_id!r} is not an amoCRM lead id"
            elif not str(user).isdigit():
                out[crm_id] = f"{user!r} is not an amoCRM user id"
            else:
                pending.append((crm_id, {"id": int(crm_id), "responsible_user_id": int(user)}))
        while pending:
            try:
                self._request("PATCH", "/api/v4/leads", json=[item for _, item in pending])
            except KommoValidationError as exc:
                refused = _refusals(exc.items, len(pending))
                if not refused:
                    for crm_id, _ in pending:
                        out[crm_id] = str(exc).removeprefix(f"{self.name}: ")
                    break
                for index, text in refused.items():
                    out[pending[index][0]] = text
                pending = [p for i, p in enumerate(pending) if i not in refused]
                continue
            for crm_id, _ in pending:
                out[crm_id] = None
            break
        return {crm_id: out[crm_id] for crm_id in owners}

    # -- the REST call ------------------------------------------------------------------

    def _get(self, path: str, params: Any) -> Any:
        """A GET's body (``None`` for amoCRM's 204, "no data for this request")."""
        response = self._request("GET", path, params=params)
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise CrmError(
                self.name, f"GET {path} answered {response.status_code} with no JSON"
            ) from None

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One API request with a live token: refreshed first if due, or after a 401."""
        token = self._live_token()
        try:
            return self.http.request(method, path, **kwargs)
        except CrmError as exc:
            if exc.status != 401 or not self.oauth:
                raise
        with self._lock:
            if self.settings.get("access_token") == token:
                self._refresh()
        return self.http.request(method, path, **kwargs)

    def _live_token(self) -> str | None:
        with self._lock:
            if self.oauth:
                expires = self.settings.get("expires_at")
                due = expires is not None and float(expires) - time.time() <= REFRESH_MARGIN
                if due or not self.settings.get("access_token"):
                    self._refresh()
            token = self.settings.get("access_token")
            return None if token is None else str(token)

    def _refresh(self) -> None:
        """``POST /oauth2/access_token`` with the refresh token (lock held)."""
        grant = {
            "client_id": self.settings["client_id"],
            "client_secret": self.settings["client_secret"],
            "grant_type": "refresh_token",
            "refresh_token": self.settings["refresh_token"],
            "redirect_uri": self.settings["redirect_uri"],
        }
        try:
            response = self.http.request("POST", "/oauth2/access_token", json=grant)
            body = response.json()
        except CrmError as exc:
            said = str(exc).removeprefix(f"{self.name}: ")
            raise CrmError(
                self.name,
                f"the OAuth token could not be refreshed: {said}",
                status=exc.status,
                code=exc.code,
                retryable=exc.retryable,
                retry_after=exc.retry_after,
            ) from None
        except (json.JSONDecodeError, UnicodeDecodeError):
            body = None
        access = body.get("access_token") if isinstance(body, dict) else None
        refresh = body.get("refresh_token") if isinstance(body, dict) else None
        if not isinstance(access, str) or not access or not isinstance(refresh, str):
            raise CrmError(self.name, "the OAuth token endpoint answered without a token pair")
        lifetime = _number(body.get("expires_in")) if isinstance(body, dict) else None
        self.settings["access_token"] = access
        self.settings["refresh_token"] = refresh
        self.settings["expires_at"] = time.time() + (lifetime if lifetime is not None else 86400)
        self.tokens_changed = True
        self.http.set_header("Authorization", f"Bearer {access}")


def lead_of(row: Mapping[str, Any]) -> CrmLead:
    """An amoCRM lead (``GET /api/v4/leads`` row) as a :class:`CrmLead`.

    ``fields`` is the row, plus each custom field's first value as ``cf_<field_id>`` and
    under its ``field_code`` when it has one (``cf_294471``, ``LEAD_SOURCE``).
    """
    fields = dict(row)
    for custom in row.get("custom_fields_values") or []:
        if not isinstance(custom, dict):
            continue
        values = custom.get("values") or []
        first = values[0] if values and isinstance(values[0], dict) else {}
        value = first.get("value")
        fields[f"cf_{custom.get('field_id')}"] = value
        code = custom.get("field_code")
        if code:
            fields.setdefault(str(code), value)
    status = _number(row.get("status_id"))
    outcome = OUTCOMES.get(int(status)) if status is not None else None
    price = _number(row.get("price"))
    return CrmLead(
        crm_id=str(row["id"]),
        fields=fields,
        owner=_id(row.get("responsible_user_id")),
        stage=_id(row.get("status_id")),
        outcome=outcome,
        created_at=_time(row.get("created_at")),
        modified_at=_time(row.get("updated_at")),
        closed_at=_time(row.get("closed_at")) if outcome is not None else None,
        amount=price,
        title=str(row["name"]) if row.get("name") else None,
        source=None,
    )


def _form(body: bytes) -> dict[str, str]:
    return dict(_pairs(body))


def _pairs(body: bytes) -> list[tuple[str, str]]:
    try:
        text = body.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise WebhookRefusedError("kommo: the webhook is not UTF-8 text", field="body") from None
    return parse_qsl(text, keep_blank_values=True)


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _embedded(body: Any, name: str) -> list[dict[str, Any]]:
    if not isinstance(body, dict):
        return []
    embedded = body.get("_embedded")
    rows = embedded.get(name) if isinstance(embedded, dict) else None
    return [row for row in rows or [] if isinstance(row, dict) and "id" in row]


def _has_next(body: Any) -> bool:
    links = body.get("_links") if isinstance(body, dict) else None
    return isinstance(links, dict) and bool(links.get("next"))


def _refusals(items: list[Any], count: int | None) -> dict[int, str]:
    """The refused items of a ``validation-errors`` list, by index, with their reasons."""
    out: dict[int, str] = {}
    for item in items:
        if not isinstance(item, dict):
            continue
        request_id = str(item.get("request_id", ""))
        if not request_id.isdigit() or (count is not None and int(request_id) >= count):
            continue
        reasons = []
        for error in item.get("errors") or []:
            if isinstance(error, dict):
                code, path = error.get("code") or "refused", error.get("path")
                where = f" ({path})" if path else ""
                reasons.append(f"{code}{where}: {error.get('detail') or 'no description'}")
        out[int(request_id)] = "; ".join(reasons) or "refused"
    return out


def _error_of(status: int, body: Any) -> tuple[str | None, str]:
    """The problem+json's ``title`` and ``detail`` (OAuth's ``hint``), or the HTML page's title."""
    if isinstance(body, dict):
        title = str(body.get("title") or "") or None
        text = str(body.get("detail") or "no description")
        if body.get("hint"):
            text += f" ({body['hint']})"
        items = body.get("validation-errors")
        if isinstance(items, list) and items:
            said = [f"item {i}: {r}" for i, r in sorted(_refusals(items, None).items())]
            text += f" ({'; '.join(said)})" if said else ""
        return title, text
    return None, page_words(body)


def _id(value: Any) -> str | None:
    """An amoCRM id as text; 0 (amoCRM's "none", e.g. no responsible user) is ``None``."""
    if value is None or value == "" or value == 0 or value == "0":
        return None
    return str(value)


def _time(value: Any) -> datetime | None:
    seconds = _number(value)
    if seconds is None or seconds <= 0:
        return None
    return datetime.fromtimestamp(seconds, UTC)


def _number(value: Any) -> float | None:
    if value is None or isinstance(value, bool) or value == "":
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
