"""Health for load balancers and orchestrators, metrics for Prometheus (no key needed)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from fairlead.service._auth import service_of
from fairlead.service._migrations import schema_problem

api = APIRouter(tags=["operations"])


@api.get("/healthz", summary="The process is up")
def healthz() -> dict[str, str]:
    """Always ``ok`` while the process answers."""
    return {"status": "ok"}


@api.get("/readyz", summary="The database is reachable and its schema current")
def readyz(request: Request) -> Any:
    """503 with the reason when the database cannot be reached or needs a migration."""
    service = service_of(request)
    try:
        with service.db.read() as conn:
            conn.execute(text("SELECT 1"))
        problem = schema_problem(service.db)
    except SQLAlchemyError as exc:
        problem = f"the database {service.db.shown} cannot be reached ({type(exc).__name__})"
    if problem is not None:
        return JSONResponse({"status": "unavailable", "reason": problem}, status_code=503)
    return {"status": "ready", "database": service.db.dialect}


@api.get("/metrics", summary="Prometheus metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    """Request latency, decisions, errors and waiting leads, in Prometheus' text format."""
    body, content_type = service_of(request).metrics.exposition()
    return Response(body, media_type=content_type)
