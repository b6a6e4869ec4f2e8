"""CRM connections: set up by an admin key; webhooks from the CRM; the outbox retried.

``POST /v1/webhooks/<crm>/<team>`` (and ``.../<secret>`` for a CRM that signs
nothing) carries no API key — a CRM cannot send one — and is authenticated as the CRM
allows (the connector's :meth:`~fairlead.connectors.Connector.check_webhook`). Its
events are kept in the inbox and answered at once; the connection's worker acts on
them within a second.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from fairlead.connectors import WebhookRefusedError, connector_class, mapping_from
from fairlead.records import InputError
from fairlead.service._auth import authenticate, service_of
from fairlead.service._crm_connect import connect_crm
from fairlead.service._crm_store import (
    inbox_counts,
    keep_events,
    keep_tokens,
    load_connection,
    outbox_counts,
    retry_failed,
    retry_failed_events,
)
from fairlead.service._errors import ApiError, from_input_error
from fairlead.service._keys import sha256
from fairlead.service._service import Service
from fairlead.service._teams import bump, put_manager, read_setup

api = APIRouter(prefix="/v1", tags=["crm"])


class ConnectionIn(BaseModel):
    """A team's connection to a CRM: the connector's settings and the team's mapping."""

    model_config = ConfigDict(extra="forbid")

    settings: dict[str, Any]
    mapping: dict[str, Any] = Field(default_factory=dict)


class ConnectionOut(BaseModel):
    """A connection as the API shows it: never its credentials."""

    crm: str
    webhook_path: str
    mapping: dict[str, Any]
    outbox: dict[str, int] = Field(description="Owner writes by status.")
    inbox: dict[str, int] = Field(
        default_factory=dict, description="The CRM's events by status (new, done, failed)."
    )
    webhook_secret: str | None = Field(
        default=None, description="Shown once, when the connection is saved."
    )


def _known(crm: str) -> type[Any]:
    try:
        return connector_class(crm)
    except KeyError as exc:
        raise ApiError(404, str(exc.args[0]), field="crm", value=crm) from None


@api.put("/connectors/{crm}", response_model=ConnectionOut, summary="Connect the team's CRM")
def put_connection(crm: str, body: ConnectionIn, request: Request) -> ConnectionOut:
    """Save the team's CRM settings (credentials included) and mapping; an admin key.

    The settings and the mapping are checked before anything is stored. For a CRM
    that signs nothing (amoCRM / Kommo), the webhook's address holds a new secret,
    shown once in the answer.
    """
    caller = authenticate(request, "admin")
    _known(crm)
    service = service_of(request)
    try:
        done = connect_crm(service.db, caller.tenant_id, crm, body.settings, body.mapping)
    except InputError as exc:
        raise from_input_error(exc) from None
    with service.db.read() as conn:
        counts = outbox_counts(conn, caller.tenant_id, crm)
        events = inbox_counts(conn, caller.tenant_id, crm)
    return ConnectionOut(
        crm=crm,
        webhook_path=done.webhook_path,
        mapping=body.mapping,
        outbox=counts,
        inbox=events,
        webhook_secret=done.secret,
    )


@api.get("/connectors/{crm}", response_model=ConnectionOut, summary="The team's CRM connection")
def get_connection(crm: str, request: Request) -> ConnectionOut:
    """The mapping, the webhook's address (without its secret), the outbox's and inbox's counts."""
    caller = authenticate(request, "read")
    _known(crm)
    with service_of(request).db.read() as conn:
        found = load_connection(conn, caller.tenant_id, crm)
        if found is None:
            raise ApiError(404, f"the team has no {crm} connection", field="crm", value=crm)
        counts = outbox_counts(conn, caller.tenant_id, crm)
        events = inbox_counts(conn, caller.tenant_id, crm)
    path = f"/v1/webhooks/{crm}/{caller.tenant_id}" + ("/…" if found.path_secret_sha256 else "")
    return ConnectionOut(
        crm=crm, webhook_path=path, mapping=found.mapping, outbox=counts, inbox=events
    )


@api.post("/connectors/{crm}/outbox/retry", summary="Send the failed owner writes again")
def retry_outbox(crm: str, request: Request) -> dict[str, int]:
    """Failed write-backs (the CRM refused them, or was out for too long) are sent again."""
    caller = authenticate(request, "write")
    _known(crm)
    service = service_of(request)
    with service.db.write() as conn:
        count = retry_failed(conn, caller.tenant_id, crm)
    service.crm_wake.set()
    return {"retried": count}


@api.post("/connectors/{crm}/inbox/retry", summary="Act again on the failed CRM events")
def retry_inbox(crm: str, request: Request) -> dict[str, int]:
    """Events that failed (a lead the mapping could not read, say) are acted on again.

    Fix the mapping first (``PUT /v1/connectors/<crm>``): each event reads its lead
    from the CRM again, so the lead is taken as it is now.
    """
    caller = authenticate(request, "write")
    _known(crm)
    service = service_of(request)
    with service.db.write() as conn:
        count = retry_failed_events(conn, caller.tenant_id, crm)
    service.crm_wake.set()
    return {"retried": count}


@api.post("/connectors/{crm}/managers/sync", summary="Managers from the CRM's users")
def sync_managers(crm: str, request: Request) -> dict[str, list[str]]:
    """Read the CRM's users and add or update the team's managers by the mapping."""
    caller = authenticate(request, "admin")
    _known(crm)
    service = service_of(request)
    with service.db.read() as conn:
        found = load_connection(conn, caller.tenant_id, crm)
    if found is None:
        raise ApiError(404, f"the team has no {crm} connection", field="crm", value=crm)
    connector = service.connector(found)
    try:
        users = connector.users()
    finally:
        keep_tokens(service.db, caller.tenant_id, crm, connector)
    managers = mapping_from(found.mapping).managers_of(users)
    with service.db.write() as conn:
        service.db.lock_team(conn, caller.tenant_id)
        setup = read_setup(conn, caller.tenant_id)
        hours = {} if setup is None else setup.hours
        for manager in managers:
            # Working hours set through the API stay: the CRM does not know them.
            put_manager(conn, caller.tenant_id, manager, hours.get(manager.id))
        bump(conn, caller.tenant_id)
    service.routers.forget(caller.tenant_id)
    return {"managers": [m.id for m in managers]}


@api.post("/webhooks/{crm}/{tenant}", summary="A CRM's webhook", include_in_schema=True)
async def webhook(crm: str, tenant: str, request: Request) -> dict[str, int]:
    """Events from the CRM (authenticated as the CRM allows); kept, then acted on."""
    return await _webhook(crm, tenant, None, request)


@api.post("/webhooks/{crm}/{tenant}/{secret}", summary="A CRM's webhook (secret address)")
async def webhook_with_secret(
    crm: str, tenant: str, secret: str, request: Request
) -> dict[str, int]:
    """The same, for a CRM that signs nothing: the address holds the secret."""
    return await _webhook(crm, tenant, secret, request)


async def _webhook(crm: str, tenant: str, secret: str | None, request: Request) -> dict[str, int]:
    _known(crm)
    body = await request.body()
    headers = {k.lower(): v for k, v in request.headers.items()}
    return await run_in_threadpool(_keep, service_of(request), crm, tenant, secret, body, headers)


def _keep(
    service: Service,
    crm: str,
    tenant: str,
    secret: str | None,
    body: bytes,
    headers: dict[str, str],
) -> dict[str, int]:
    with service.db.read() as conn:
        found = load_connection(conn, tenant, crm)
    # One answer for "no such team", "no such connection" and "wrong secret": an
    # address guessed gives nothing away.
    expected = None if found is None else found.path_secret_sha256
    if expected is None:
        matches = secret is None
    else:
        matches = secret is not None and secrets.compare_digest(sha256(secret), expected)
    if found is None or not matches:
        raise ApiError(404, "no such webhook", field="path")
    connector = service.connector(found)
    try:
        connector.check_webhook(body, headers, secret, datetime.now(UTC))
        events = connector.parse_webhook(body, headers)
    except WebhookRefusedError as exc:
        raise ApiError(exc.status, str(exc), field=exc.field) from None
    with service.db.write() as conn:
        new = keep_events(conn, tenant, crm, events)
    if new:
        service.crm_wake.set()
    return {"accepted": len(events), "new": new}
