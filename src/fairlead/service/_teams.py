"""A team's setup in the database: managers, hours, absences, policy versions, settings.

Every change moves the team's ``revision`` on, in the same transaction, under the
team's row lock: a service process whose router was built for an older revision
rebuilds it before its next decision (:mod:`fairlead.service._routers`).
"""

from __future__ import annotations

import json
import re
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, ClassVar

from pydantic import ConfigDict, Field, field_validator
from sqlalchemy import Connection, func, select, update

from fairlead.policy import Absence, WorkingHours
from fairlead.records import InputError, InputModel, InputWarning, Manager, Policy, Tier
from fairlead.router import CatchUp
from fairlead.service._tables import absences, managers, policies, tenants

#: A team id: it appears in URLs (webhooks), so letters, digits, ``-`` and ``_`` only.
TEAM_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


class TeamSettings(InputModel):
    """How a team's router runs: SLA, catch-up after absences, fading of fair counts.

    Parameters
    ----------
    sla : timedelta or dict of tier to timedelta, optional
        Time to first contact after which a lead is overdue (none by default).
    catch_up : CatchUp
        What a manager back from an absence gets of the share they missed.
    share_half_life : timedelta or None, default 30 days
    max_hold : timedelta or None, default 3 hours
        As :class:`fairlead.Router` takes them.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    input_kind: ClassVar[str] = "team settings"

    sla: timedelta | dict[Tier, timedelta] | None = None
    catch_up: CatchUp = Field(default_factory=CatchUp)
    share_half_life: timedelta | None = timedelta(days=30)
    max_hold: timedelta | None = timedelta(hours=3)

    @field_validator("sla", "share_half_life", "max_hold", mode="before")
    @classmethod
    def _a_duration(cls, value: Any) -> Any:
        # JSON's true would read as one second, a number as seconds: durations are text
        # such as "PT30M" (ISO 8601), as the API's answers write them.
        values = value.values() if isinstance(value, dict) else [value]
        if any(isinstance(v, bool | int | float) for v in values):
            raise ValueError("must be an ISO 8601 duration such as 'PT30M', not a number")
        return value

    @field_validator("sla", mode="before")
    @classmethod
    def _tiers_once(cls, value: Any) -> Any:
        if isinstance(value, dict):
            seen: dict[str, Any] = {}
            for key in value:
                name = str(key).strip().lower()
                if name in seen:
                    raise ValueError(f"tier {name!r} is named twice ({seen[name]!r}, {key!r})")
                seen[name] = key
        return value


@dataclass
class TeamSetup:
    """Everything a team's router is built from, read at one revision."""

    tenant_id: str
    name: str
    timezone: str
    revision: int
    settings: TeamSettings
    managers: list[Manager] = field(default_factory=list)
    hours: dict[str, WorkingHours] = field(default_factory=dict)
    absences: list[Absence] = field(default_factory=list)
    policy: Policy = field(default_factory=Policy)
    policy_version: int = 0


def check_team_id(tenant_id: str) -> str:
    """``tenant_id`` if it is a valid team id, else an :class:`InputError`."""
    if not isinstance(tenant_id, str) or not TEAM_ID.match(tenant_id):
        raise InputError(
            "team id must be 1 to 64 letters, digits, '-' or '_' (starting with a letter "
            f"or digit), got {tenant_id!r}",
            field="tenant",
            value=tenant_id,
        )
    return tenant_id


def create_team(
    conn: Connection,
    tenant_id: str,
    *,
    name: str | None = None,
    timezone: str = "UTC",
    settings: TeamSettings | None = None,
    managers: Sequence[Manager] = (),
    policy: Policy | None = None,
) -> None:
    """Add a team with its managers and policy (version 1; default: the defaults)."""
    check_team_id(tenant_id)
    WorkingHours(timezone=timezone)  # a known time zone, or an InputError naming it
    if conn.execute(select(tenants.c.id).where(tenants.c.id == tenant_id)).first() is not None:
        raise InputError(f"team {tenant_id!r} already exists", field="tenant", value=tenant_id)
    now = time.time()
    conn.execute(
        tenants.insert().values(
            id=tenant_id,
            name=name or tenant_id,
            timezone=timezone,
            revision=1,
            settings=(settings or TeamSettings()).model_dump_json(),
            created_at=now,
        )
    )
    conn.execute(
        policies.insert().values(
            tenant_id=tenant_id,
            version=1,
            record=(policy or Policy()).model_dump_json(),
            created_at=now,
            created_by="created",
        )
    )
    for manager in managers:
        put_manager(conn, tenant_id, manager, None)


def team_ids(conn: Connection) -> list[str]:
    """Every team's id, sorted."""
    return [str(r[0]) for r in conn.execute(select(tenants.c.id).order_by(tenants.c.id))]


def bump(conn: Connection, tenant_id: str) -> int:
    """Move the team's revision on (the caller holds its row lock); the new revision."""
    conn.execute(
        update(tenants).where(tenants.c.id == tenant_id).values(revision=tenants.c.revision + 1)
    )
    return int(
        conn.execute(select(tenants.c.revision).where(tenants.c.id == tenant_id)).scalar_one()
    )


def put_manager(
    conn: Connection, tenant_id: str, manager: Manager, hours: WorkingHours | None
) -> bool:
    """Add or update a manager; whether they are new. Their place in the team is kept."""
    record = manager.model_dump_json()
    hours_json = None if hours is None else hours.model_dump_json()
    now = time.time()
    found = conn.execute(
        update(managers)
        .where(managers.c.tenant_id == tenant_id, managers.c.manager_id == manager.id)
        .values(record=record, hours=hours_json, updated_at=now)
    )
    new = found.rowcount == 0
    if new:
        position = conn.execute(
            select(func.coalesce(func.max(managers.c.position), 0)).where(
                managers.c.tenant_id == tenant_id
            )
        ).scalar_one()
        conn.execute(
            managers.insert().values(
                tenant_id=tenant_id,
                manager_id=manager.id,
                position=int(position) + 1,
                record=record,
                hours=hours_json,
                updated_at=now,
            )
        )
    bump(conn, tenant_id)
    return new


def remove_manager(conn: Connection, tenant_id: str, manager_id: str) -> bool:
    """Take a manager off the team (their decisions stay); whether they were on it."""
    done = conn.execute(
        managers.delete().where(
            managers.c.tenant_id == tenant_id, managers.c.manager_id == manager_id
        )
    )
    if done.rowcount:
        bump(conn, tenant_id)
    return done.rowcount > 0


def add_absence(conn: Connection, tenant_id: str, absence: Absence) -> None:
    """Record an absence of a manager of the team."""
    conn.execute(
        absences.insert().values(
            tenant_id=tenant_id,
            manager_id=absence.manager_id,
            record=absence.model_dump_json(),
            created_at=time.time(),
        )
    )
    bump(conn, tenant_id)


def set_policy(conn: Connection, tenant_id: str, policy: Policy, by: str) -> int:
    """Store a new version of the team's policy; its version number."""
    latest = conn.execute(
        select(func.coalesce(func.max(policies.c.version), 0)).where(
            policies.c.tenant_id == tenant_id
        )
    ).scalar_one()
    version = int(latest) + 1
    conn.execute(
        policies.insert().values(
            tenant_id=tenant_id,
            version=version,
            record=policy.model_dump_json(),
            created_at=time.time(),
            created_by=by,
        )
    )
    bump(conn, tenant_id)
    return version


def policy_versions(conn: Connection, tenant_id: str) -> list[dict[str, Any]]:
    """Every version of the team's policy, newest first."""
    rows = conn.execute(
        select(policies.c.version, policies.c.created_at, policies.c.created_by, policies.c.record)
        .where(policies.c.tenant_id == tenant_id)
        .order_by(policies.c.version.desc())
    )
    return [
        {
            "version": int(r.version),
            "created_at": float(r.created_at),
            "created_by": str(r.created_by),
            "policy": json.loads(r.record),
        }
        for r in rows
    ]


def read_setup(conn: Connection, tenant_id: str) -> TeamSetup | None:
    """The team's setup as stored (``None``: no such team)."""
    row = conn.execute(select(tenants).where(tenants.c.id == tenant_id)).first()
    if row is None:
        return None
    setup = TeamSetup(
        tenant_id=tenant_id,
        name=str(row.name),
        timezone=str(row.timezone),
        revision=int(row.revision),
        settings=TeamSettings.model_validate_json(row.settings),
    )
    for r in conn.execute(
        select(managers.c.record, managers.c.hours)
        .where(managers.c.tenant_id == tenant_id)
        .order_by(managers.c.position)
    ):
        with warnings.catch_warnings():
            # A manager over their limit was accepted, and said so, when stored.
            warnings.simplefilter("ignore", InputWarning)
            manager = Manager.model_validate_json(r.record)
        setup.managers.append(manager)
        if r.hours is not None:
            setup.hours[manager.id] = WorkingHours.model_validate_json(r.hours)
    on_team = {m.id for m in setup.managers}
    for r in conn.execute(
        select(absences.c.record).where(absences.c.tenant_id == tenant_id).order_by(absences.c.id)
    ):
        absence = Absence.model_validate_json(r.record)
        if absence.manager_id in on_team:
            setup.absences.append(absence)
    latest = conn.execute(
        select(policies.c.version, policies.c.record)
        .where(policies.c.tenant_id == tenant_id)
        .order_by(policies.c.version.desc())
        .limit(1)
    ).first()
    if latest is not None:
        setup.policy = Policy.model_validate_json(latest.record)
        setup.policy_version = int(latest.version)
    return setup
