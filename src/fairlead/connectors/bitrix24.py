"""Bitrix24: leads in, owner (``ASSIGNED_BY_ID``) written back, history read.

Settings
--------
webhook_url : str
    The inbound webhook's address, ``https://<portal>.bitrix24.ru/rest/<user>/<code>/``
    (Developer resources -> Other -> Inbound webhook, with the ``crm`` and ``user``
    scopes). It is a credential: stored in the service database, never logged.
client_endpoint, client_id, client_secret, refresh_token : str
    Instead of an inbound webhook, an OAuth application (a local or Market app):
    the portal's REST address ``https://<portal>.bitrix24.ru/rest/``, the app's keys
    and the refresh token of its installation. The access token (``access_token``,
    ``expires_at``) is renewed at ``oauth_url`` (default ``OAUTH_URL``) a minute
    before it ends, or when the portal says ``expired_token``; a refresh token works
    once, so the new one replaces it in ``settings`` and :attr:`tokens_changed` tells
    the service to store it.
application_token : str
    The outbound webhook's token (Developer resources -> Other -> Outbound webhook):
    Bitrix24 sends it in every event as ``auth[application_token]``; a call without
    it is refused. Events to subscribe: ``ONCRMLEADADD``, ``ONCRMLEADUPDATE``,
    ``ONCRMLEADDELETE``.
rate, burst : float, default 2 and 50
    The portal's request limit (Enterprise plans: 5 and 250).
replay_window : float, default 900
    Seconds an event's ``ts`` may lag behind now (Bitrix24 queues events, so a little).
timeout : float, default 10
    Seconds to wait for an answer.
attempts, backoff : int and float, default 3 and 0.5
    Tries of a call the portal answers with a limit error or 5xx, and the first wait
    between them in seconds (doubling). Longer outages are the inbox's and the
    outbox's to wait out: they try again with backoff of their own.

The REST client is httpx with a leaky bucket of its own, rather than the
``fast_bitrix24`` library: that library's error for a refused call drops Bitrix24's
error body (its code and description, which a person needs to fix a mapping or a
permission), does not retry HTTP 429 (``OPERATION_TIME_LIMIT``), and sends every call
through ``batch``. Writes go through ``batch`` here too, 50 leads per request.
"""

from __future__ import annotations

import hmac
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode

import httpx

from fairlead.connectors._base import Connector, register
from fairlead.connectors._errors import CrmError, WebhookRefusedError
from fairlead.connectors._http import CrmHttp, page_words
from fairlead.connectors._records import CrmLead, CrmUser, EventKind, InboundEvent, Outcome
from fairlead.connectors._throttle import LeakyBucket

#: Bitrix24's lead events and what they mean to fairlead.
EVENTS: dict[str, EventKind] = {
    "ONCRMLEADADD": "added",
    "ONCRMLEADUPDATE": "updated",
    "ONCRMLEADDELETE": "deleted",
}
#: Errors after which the same call may succeed later (besides HTTP 429 / 5xx).
LIMIT_CODES = frozenset({"QUERY_LIMIT_EXCEEDED", "OPERATION_TIME_LIMIT", "OVERLOAD_LIMIT"})
#: Most calls in one ``batch``.
BATCH = 50
#: Bitrix24's token service (an OAuth application's access is renewed there).
OAUTH_URL = "https://oauth.bitrix.info/oauth/token/"
#: Seconds before an access token's end when it is renewed.
REFRESH_MARGIN = 60.0
#: Lead stage semantics: success and failure.
OUTCOMES: dict[str, Outcome] = {"S": "won", "F": "lost"}


@register
class Bitrix24(Connector):
    """A Bitrix24 portal, through its inbound and outbound webhooks."""

    name = "bitrix24"
    write_batch = BATCH

    def __init__(self, settings: Mapping[str, Any], *, http: CrmHttp | None = None) -> None:
        super().__init__(settings)
        self.oauth = "client_id" in self.settings
        key = "client_endpoint" if self.oauth else "webhook_url"
        url = str(self.settings.get(key) or "")
        if not url.startswith(("https://", "http://")) or "/rest/" not in url:
            shape = (
                "https://<portal>/rest/" if self.oauth else "https://<portal>/rest/<user>/<code>/"
            )
            what = "the portal's REST address" if self.oauth else "the inbound webhook's address"
            raise ValueError(f"bitrix24 setting {key!r} must be {what}, {shape}")
        if self.oauth:
            missing = [k for k in ("client_secret", "refresh_token") if not self.settings.get(k)]
            if missing:
                raise ValueError(f"bitrix24 setting {missing[0]!r} is needed with 'client_id'")
        self.base = url if url.endswith("/") else url + "/"
        self._refreshing = threading.Lock()
        bucket = LeakyBucket(
            rate=float(self.settings.get("rate", 2.0)), burst=float(self.settings.get("burst", 50))
        )
        self.http = http or CrmHttp(
            self.name,
            self.base,
            bucket=bucket,
            timeout=float(self.settings.get("timeout", 10.0)),
            attempts=int(self.settings.get("attempts", 3)),
            backoff=float(self.settings.get("backoff", 0.5)),
            error_of=_error_of,
        )
        self.bucket = self.http.bucket

    def close(self) -> None:
        """Close the connections to the portal."""
        self.http.close()

    # -- webhooks -------------------------------------------------------------------------

    def check_webhook(
        self, body: bytes, headers: Mapping[str, str], path_secret: str | None, now: datetime
    ) -> None:
        """The event's ``auth[application_token]`` must be the portal's; ``ts`` recent."""
        expected = str(self.settings.get("application_token") or "")
        if not expected:
            raise WebhookRefusedError("bitrix24: no application token is configured", status=401)
        form = _form(body)
        given = form.get("auth[application_token]", "")
        if not hmac.compare_digest(given.encode(), expected.encode()):
            raise WebhookRefusedError(
                "bitrix24: auth[application_token] is not this portal's", status=401,
                field="auth[application_token]",
            )  # fmt: skip
        ts = form.get("ts")
        if ts is not None:
            try:
                sent = float(ts)
            except ValueError:
                raise WebhookRefusedError(
                    f"bitrix24: ts must be a Unix time, got {ts!r}", field="ts"
                ) from None
            window = float(self.settings.get("replay_window", 900.0))
            lag = now.timestamp() - sent
            if lag > window or lag < -300:
                raise WebhookRefusedError(
                    f"bitrix24: the event was sent at {ts}, outside the {window:.0f} s window",
                    status=401,
                    field="ts",
                )

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> list[InboundEvent]:
        """One Bitrix24 event: ``event``, ``data[FIELDS][ID]``, ``ts`` (form-encoded)."""
        form = _form(body)
        event = form.get("event", "")
        kind = EVENTS.get(event.upper())
        if kind is None:
            return []  # an event fairlead does not use (a deal, a contact): nothing to do
        crm_id = form.get("data[FIELDS][ID]", "").strip()
        if not crm_id.isdigit():
            raise WebhookRefusedError(
                f"bitrix24: data[FIELDS][ID] must be a lead id, got {crm_id!r}",
                field="data[FIELDS][ID]",
            )
        ts = form.get("ts", "")
        at = datetime.fromtimestamp(float(ts), UTC) if _is_number(ts) else None
        key = f"{event.upper()}:{crm_id}:{ts}"
        return [InboundEvent(kind=kind, crm_lead_id=crm_id, key=key, at=at)]

    # -- reading --------------------------------------------------------------------------

    def fetch_leads(self, crm_ids: Sequence[str]) -> dict[str, CrmLead | None]:
        """``crm.lead.get`` for each id, up to 50 in one ``batch``."""
        out: dict[str, CrmLead | None] = {}
        ids = list(dict.fromkeys(crm_ids))
        for start in range(0, len(ids), BATCH):
            part = ids[start : start + BATCH]
            results, errors = self._batch(
                {f"l{i}": ("crm.lead.get", {"id": x}) for i, x in enumerate(part)}
            )
            for i, crm_id in enumerate(part):
                found = results.get(f"l{i}")
                if isinstance(found, dict):
                    out[crm_id] = lead_of(found)
                elif _not_found(errors.get(f"l{i}")):
                    out[crm_id] = None
                else:
                    raise CrmError(
                        self.name, f"crm.lead.get of lead {crm_id!r}: {_said(errors.get(f'l{i}'))}"
                    )
        return out

    def users(self) -> list[CrmUser]:
        """``user.get``, every page."""
        out = []
        start: int | None = 0
        while start is not None:
            page = self._call("user.get", {"start": start})
            for row in page.get("result") or []:
                groups = tuple(str(g) for g in row.get("UF_DEPARTMENT") or [])
                name = " ".join(str(row.get(k) or "") for k in ("NAME", "LAST_NAME")).strip()
                out.append(
                    CrmUser(
                        crm_id=str(row["ID"]),
                        name=name or str(row.get("EMAIL") or row["ID"]),
                        active=row.get("ACTIVE") in (True, "Y", "true", 1),
                        groups=groups,
                        fields=row,
                    )
                )
            start = page.get("next")
        return out

    def history(self, since: datetime | None) -> Iterator[CrmLead]:
        """``crm.lead.list`` of leads modified after ``since``, oldest first, 50 per page."""
        params: dict[str, Any] = {
            "select": ["*", "UF_*"],
            "order": {"DATE_MODIFY": "ASC", "ID": "ASC"},
        }
        if since is not None:
            params["filter"] = {">DATE_MODIFY": since.isoformat()}
        start: int | None = 0
        while start is not None:
            page = self._call("crm.lead.list", {**params, "start": start})
            for row in page.get("result") or []:
                yield lead_of(row)
            start = page.get("next")

    def recent_leads(self, count: int) -> list[CrmLead]:
        """``crm.lead.list`` newest first (``ID`` descending), as many pages as needed."""
        out: list[CrmLead] = []
        start: int | None = 0
        params = {"select": ["*", "UF_*"], "order": {"ID": "DESC"}}
        while start is not None and len(out) < count:
            page = self._call("crm.lead.list", {**params, "start": start})
            out += [lead_of(row) for row in page.get("result") or []]
            start = page.get("next")
        return out[:count]

    # -- writing --------------------------------------------------------------------------

    def write_owners(self, owners: Mapping[str, str]) -> dict[str, str | None]:
        """``crm.lead.update`` with ``fields[ASSIGNED_BY_ID]``, up to 50 in one ``batch``."""
        if len(owners) > BATCH:
            raise ValueError(
                f"bitrix24 writes at most {BATCH} owners per request, got {len(owners)}"
            )
        items = list(owners.items())
        calls = {
            f"u{i}": (
                "crm.lead.update",
                {
                    "id": crm_id,
                    "fields": {"ASSIGNED_BY_ID": user},
                    "params": {"REGISTER_SONET_EVENT": "Y"},
                },
            )
            for i, (crm_id, user) in enumerate(items)
        }
        results, errors = self._batch(calls)
        out: dict[str, str | None] = {}
        for i, (crm_id, _) in enumerate(items):
            error = errors.get(f"u{i}")
            out[crm_id] = None if error is None and results.get(f"u{i}") else _said(error)
        return out

    # -- the REST call ------------------------------------------------------------------

    def _call(self, method: str, params: Mapping[str, Any]) -> dict[str, Any]:
        if not self.oauth:
            return self._send(method, params)
        token = self._token()
        try:
            return self._send(method, {**params, "auth": token})
        except CrmError as exc:
            if exc.code != "expired_token":
                raise
        return self._send(method, {**params, "auth": self._token(refresh=True)})

    def _token(self, *, refresh: bool = False) -> str:
        """The access token of an OAuth application, renewed when it expires (or is said to)."""
        with self._refreshing:
            token = str(self.settings.get("access_token") or "")
            expires = float(self.settings.get("expires_at") or 0.0)
            if token and not refresh and expires - time.time() > REFRESH_MARGIN:
                return token
            url = str(self.settings.get("oauth_url") or OAUTH_URL)
            query = {
                "grant_type": "refresh_token",
                "client_id": str(self.settings["client_id"]),
                "client_secret": str(self.settings["client_secret"]),
                "refresh_token": str(self.settings["refresh_token"]),
            }
            try:
                answer = self.http.client.get(url, params=query)
            except httpx.HTTPError as exc:
                raise CrmError(
                    self.name, f"cannot reach the token service ({type(exc).__name__})",
                    retryable=True,
                ) from None  # fmt: skip
            try:
                body = answer.json()
            except ValueError:
                body = {}
            if (
                answer.status_code != 200
                or not isinstance(body, dict)
                or "access_token" not in body
            ):
                # Never the tokens or the client's secret in a message: the CRM's words only.
                code = str(body.get("error") or "") if isinstance(body, dict) else ""
                raise CrmError(
                    self.name,
                    f"the token service refused to renew the access ({code or answer.status_code})",
                    status=answer.status_code,
                    code=code or None,
                )
            # The refresh token works once: the new one must be kept, by the caller too.
            self.settings["access_token"] = str(body["access_token"])
            self.settings["refresh_token"] = str(
                body.get("refresh_token") or query["refresh_token"]
            )
            self.settings["expires_at"] = time.time() + float(body.get("expires_in") or 3600)
            self.tokens_changed = True
            return str(body["access_token"])

    def _send(self, method: str, params: Mapping[str, Any]) -> dict[str, Any]:
        response = self.http.request("POST", f"{method}.json", json=dict(params))
        body = response.json()
        if isinstance(body, dict) and body.get("error"):
            # Some portals answer a limit with HTTP 200 and the error in the body.
            code = str(body["error"])
            raise CrmError(
                self.name,
                f"{method}: {code}: {body.get('error_description') or ''}",
                status=response.status_code,
                code=code,
                retryable=code in LIMIT_CODES,
            )
        if not isinstance(body, dict):
            raise CrmError(self.name, f"{method} answered {type(body).__name__}, not an object")
        return body

    def _batch(
        self, calls: Mapping[str, tuple[str, Mapping[str, Any]]]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """One ``batch`` request; the results and the errors by call name."""
        cmd = {name: f"{method}?{_query(params)}" for name, (method, params) in calls.items()}
        body = self._call("batch", {"halt": 0, "cmd": cmd})
        outer = body.get("result") or {}
        # PHP's json_encode writes an empty map as [].
        results = outer.get("result") or {}
        errors = outer.get("result_error") or {}
        return (results if isinstance(results, dict) else {}), (
            errors if isinstance(errors, dict) else {}
        )


def lead_of(row: Mapping[str, Any]) -> CrmLead:
    """A Bitrix24 lead (``crm.lead.get`` / ``crm.lead.list`` row) as a :class:`CrmLead`."""
    semantic = str(row.get("STATUS_SEMANTIC_ID") or "")
    amount = row.get("OPPORTUNITY")
    return CrmLead(
        crm_id=str(row["ID"]),
        fields=dict(row),
        owner=_text(row.get("ASSIGNED_BY_ID")),
        stage=_text(row.get("STATUS_ID")),
        outcome=OUTCOMES.get(semantic),
        created_at=_time(row.get("DATE_CREATE")),
        modified_at=_time(row.get("DATE_MODIFY")),
        closed_at=_time(row.get("DATE_CLOSED")) if semantic in OUTCOMES else None,
        amount=float(str(amount)) if _is_number(amount) else None,
        currency=_text(row.get("CURRENCY_ID")),
        title=_text(row.get("TITLE")),
        source=_text(row.get("SOURCE_ID")),
    )


def _form(body: bytes) -> dict[str, str]:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise WebhookRefusedError("bitrix24: the event is not UTF-8 text", field="body") from None
    return dict(parse_qsl(text, keep_blank_values=True))


def _query(params: Mapping[str, Any], prefix: str = "") -> str:
    """Bitrix24's nested query string: ``fields[ASSIGNED_BY_ID]=7``, ``select[]=*``."""
    pairs: list[tuple[str, str]] = []

    def walk(value: Any, key: str) -> None:
        if isinstance(value, Mapping):
            for k, v in value.items():
                walk(v, f"{key}[{k}]" if key else str(k))
        elif isinstance(value, list | tuple):
            for v in value:
                walk(v, f"{key}[]")
        else:
            pairs.append((key, "" if value is None else str(value)))

    walk(params, prefix)
    return urlencode(pairs)


def _error_of(status: int, body: Any) -> tuple[str | None, str]:
    if isinstance(body, dict):
        code = str(body.get("error") or "") or None
        return code, str(body.get("error_description") or "no description")
    return None, page_words(body)


def _not_found(error: Any) -> bool:
    return (
        isinstance(error, dict) and "not found" in str(error.get("error_description", "")).lower()
    )


def _said(error: Any) -> str:
    if isinstance(error, dict):
        code = str(error.get("error") or "")
        text = str(error.get("error_description") or "")
        return f"{code}: {text}" if code else (text or "refused")
    return "refused" if error is None else str(error)


def _text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return str(value)


def _time(value: Any) -> datetime | None:
    if not value or not isinstance(value, str):
        return None
    try:
        found = datetime.fromisoformat(value)
    except ValueError:
        return None
    return found if found.tzinfo is not None else found.replace(tzinfo=UTC)


def _is_number(value: Any) -> bool:
    if value is None or isinstance(value, bool):
        return False
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True
