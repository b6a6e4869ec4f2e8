"""What happens to leads and clients after routing: events that free capacity and feed KPIs."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import Connection

from fairlead.records import InputError
from fairlead.service._api_leads import IdempotencyKey, now_or
from fairlead.service._auth import authenticate, service_of
from fairlead.service._errors import ApiError, from_input_error
from fairlead.service._event_log import check_rows, find, moment, record
from fairlead.service._idempotency import check_key, fingerprint, once
from fairlead.service._models import ClientEventIn, EventIn, EventOut
from fairlead.service._pipeline import Writes
from fairlead.service._routers import TeamRouter

api = APIRouter(prefix="/v1", tags=["events"])

#: How far ahead of this server's clock an event's time may be (clocks disagree).
CLOCK_SKEW = timedelta(minutes=5)
#: Event fields that are KPI-log columns as they are.
_COLUMNS = ("stage", "amount", "reason", "csat", "nps", "complaint", "client_id", "manager_id")


def _row(body: EventIn | ClientEventIn, when: datetime, **more: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "event_id": body.event_id or f"ev-{uuid.uuid4().hex}",
        "type": body.type,
        "at": when.timestamp(),
    }
    for name in _COLUMNS:
        value = getattr(body, name, None)
        if value is not None:
            row[name] = value
    row.update({k: v for k, v in more.items() if v is not None})
    return row


def _store(conn: Connection, tenant_id: str, row: dict[str, Any], sink: Writes) -> tuple[int, Any]:
    """Record one event, or answer its first recording (same id, same content)."""
    sink.before_lookup(conn, "event", row["event_id"])  # recorded just before?
    found = find(conn, tenant_id, row["event_id"])
    out = EventOut(
        event_id=row["event_id"],
        type=row["type"],
        at=moment(row["at"]),
        lead_id=row.get("lead_id"),
        client_id=row.get("client_id"),
        manager_id=row.get("manager_id"),
    )
    if found is not None:
        same = all(found.get(k) == v for k, v in row.items())
        if not same:
            raise ApiError(
                409,
                f"event {row['event_id']!r} was recorded with other content",
                field="event_id",
                ident=row["event_id"],
            )
        return 200, out.model_copy(update={"replayed": True}).model_dump(mode="json")
    record(conn, tenant_id, [row], sink)
    sink.touched.add(("event", row["event_id"]))
    return 201, out.model_dump(mode="json")


@api.post(
    "/leads/{lead_id}/events",
    response_model=EventOut,
    status_code=201,
    summary="Report what happened to a lead",
)
def lead_event(
    lead_id: str, body: EventIn, request: Request, idempotency_key: IdempotencyKey = None
) -> Any:
    """``contacted`` stops the SLA clock; ``won`` / ``lost`` free the manager's slot.

    ``stage`` and ``feedback`` go to the KPI log only. The event's manager is the
    lead's manager at that moment. An event id sent twice with the same content is
    recorded once (200, ``replayed``); with other content it is 409.
    """
    caller = authenticate(request, "write")
    service = service_of(request)
    when = now_or(body.at)
    key = None if idempotency_key is None else check_key(idempotency_key)
    print_ = (
        ""
        if key is None
        else fingerprint("POST", f"/v1/leads/{lead_id}/events", body.model_dump_json().encode())
    )

    def work(team: TeamRouter, conn: Connection) -> tuple[int, Any, bool]:
        def produce() -> tuple[int, Any]:
            decision = team.router.decision(lead_id)
            if decision is None:
                raise ApiError(
                    404, f"no lead {lead_id!r} was routed", field="lead_id", ident=lead_id
                )
            created = find(conn, caller.tenant_id, f"{lead_id}:created")
            if created is not None and when.timestamp() < created["at"] - CLOCK_SKEW.seconds:
                raise ApiError(
                    422,
                    f"lead {lead_id!r}: an event at {when.isoformat()} is before the lead "
                    f"came in ({moment(created['at']).isoformat()})",
                    field="at",
                    ident=lead_id,
                    value=when.isoformat(),
                )
            row = _row(body, when, lead_id=lead_id, manager_id=decision.manager_id)
            check_rows([row], now=now_or(None) + CLOCK_SKEW)
            try:
                if body.type == "contacted":
                    team.router.contact(lead_id, when)
                elif body.type in ("won", "lost"):
                    team.router.release(lead_id, body.type, when)
            except InputError as exc:
                raise from_input_error(exc, lead_id) from None
            return _store(conn, caller.tenant_id, row, team.store.writes)

        return once(conn, caller.tenant_id, key, print_, produce, team.store.writes)

    status, out, _ = service.routers.write(caller.tenant_id, work)
    return JSONResponse(out, status_code=status)


@api.post(
    "/events",
    response_model=EventOut,
    status_code=201,
    summary="Report what happened with a client",
)
def client_event(body: ClientEventIn, request: Request) -> Any:
    """A purchase, a touch planned or done, or a client's feedback (KPI log only)."""
    caller = authenticate(request, "write")
    service = service_of(request)
    when = now_or(body.at)
    row = _row(body, when)
    check_rows([row], now=now_or(None) + CLOCK_SKEW)

    def work(team: TeamRouter, conn: Connection) -> tuple[int, Any]:
        return _store(conn, caller.tenant_id, row, team.store.writes)

    status, out = service.routers.write(caller.tenant_id, work)
    return JSONResponse(out, status_code=status)
