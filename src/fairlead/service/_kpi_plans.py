"""The team's sales plan in the database: versions stored and read, rows checked.

``PUT /v1/plan`` stores a new version (the old ones stay); every reader takes the
newest. The rows are checked by ``fairlead.kpi``'s own plan rules before they are
stored, so a stored plan always reads back.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select

import fairlead.kpi as kpi
from fairlead.records import InputError
from fairlead.service._errors import ApiError, json_safe
from fairlead.service._event_log import moment
from fairlead.service._service import Service
from fairlead.service._tables import events, sales_plans
from fairlead.service._teams import TeamSetup, read_setup


@dataclass(frozen=True)
class PlanVersion:
    """A stored version of the team's sales plan."""

    version: int
    created_at: datetime
    plan: kpi.SalesPlan


def latest_plan(conn: Connection, tenant_id: str) -> PlanVersion | None:
    """The newest stored version of the team's sales plan, or ``None``."""
    row = conn.execute(
        select(sales_plans.c.version, sales_plans.c.rows, sales_plans.c.created_at)
        .where(sales_plans.c.tenant_id == tenant_id)
        .order_by(sales_plans.c.version.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    source = f"sales plan version {row.version}"
    plan = kpi.SalesPlan.from_records(json.loads(row.rows), source=source)
    return PlanVersion(int(row.version), moment(float(row.created_at)), plan)


def store_plan(service: Service, tenant_id: str, plan: kpi.SalesPlan) -> PlanVersion:
    """Store a plan as the team's newest version, under the team's row lock.

    A plan row naming a manager who is neither on the team nor in its log is refused
    (a 422 naming the row): it is most likely a typo, and would plan for nobody.
    """
    with service.db.write() as conn:
        if service.db.lock_team(conn, tenant_id) is None:
            raise ApiError(404, f"no team {tenant_id!r}", field="tenant", value=tenant_id)
        setup = read_setup(conn, tenant_id)
        assert setup is not None  # the row is locked
        _check_managers(conn, setup, plan)
        last = conn.execute(
            select(func.max(sales_plans.c.version)).where(sales_plans.c.tenant_id == tenant_id)
        ).scalar()
        version = int(last or 0) + 1
        now = time.time()
        conn.execute(
            sales_plans.insert().values(
                tenant_id=tenant_id,
                version=version,
                rows=json.dumps(plan.to_records()),
                created_at=now,
            )
        )
    return PlanVersion(version, moment(now), plan)


def _check_managers(conn: Connection, setup: TeamSetup, plan: kpi.SalesPlan) -> None:
    named = {m for m in plan.manager_id if m is not None}
    if not named:
        return
    known = {m.id for m in setup.managers}
    if named - known:
        logged = conn.execute(
            select(events.c.manager_id)
            .where(events.c.tenant_id == setup.tenant_id, events.c.manager_id.is_not(None))
            .distinct()
        ).scalars()
        known |= set(logged)
    for row, manager in enumerate(plan.manager_id):
        if manager is not None and manager not in known:
            raise ApiError(
                422,
                f"plan row {row}, field 'manager_id': no manager {manager!r} on the team or "
                f"in its log, got {manager!r}",
                field=f"{row}.manager_id",
                ident=manager,
                value=manager,
            )


def plan_rows_of(rows: Sequence[Mapping[str, Any]]) -> kpi.SalesPlan:
    """Plan rows as sent (a list of objects) checked by the KPI module's own rules.

    A bad row is a 422 whose message names the row, the field and the value, and whose
    ``field`` is ``<row>.<field>`` (as FastAPI names a field of a list's item).
    """
    for k, row in enumerate(rows):
        for name, value in row.items():
            # a plan cell is text, a number or empty; the plan reader expects no more
            if not isinstance(value, str | int | float | bool | None):
                raise ApiError(
                    422,
                    f"plan row {k}, field {name!r}: must be text, a number or null, got "
                    f"{type(value).__name__} {json_safe(value)!r}",
                    field=f"{k}.{name}",
                )
    try:
        return kpi.SalesPlan.from_records(rows, source="plan")
    except InputError as exc:
        where = getattr(exc, "row", None)
        field = exc.field if where is None else f"{where}.{exc.field}"
        raise ApiError(422, str(exc), field=field, value=exc.value) from None
