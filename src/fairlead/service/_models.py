"""What the API takes and answers: pydantic models, shown in ``/openapi.json``.

Leads, managers, absences and policies are the package's own records
(:class:`~fairlead.Lead`, :class:`~fairlead.Manager`, ...), so the API validates them
exactly as the library does; the models here wrap them for the wire.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from fairlead.policy import Absence, WorkingHours
from fairlead.records import Id, Lead, Manager, Policy
from fairlead.router import Decision, ManagerStatus, Overdue
from fairlead.service._moments import no_number


def no_flag(value: Any) -> Any:
    """A pydantic ``before`` check: ``true`` is no amount or score (JSON reads it as 1)."""
    if isinstance(value, bool):
        raise ValueError(f"must be a number, not a boolean ({str(value).lower()})")
    return value


class Wire(BaseModel):
    """A model of the API: unknown fields are refused (a typo is not silently dropped)."""

    model_config = ConfigDict(extra="forbid")


class DecisionOut(Wire):
    """Who got a lead, why, and whether this answer is a replay of the first one."""

    lead_id: str
    manager_id: str | None = Field(description="None: nobody can take the lead now; it waits")
    status: Literal["assigned", "waiting"]
    value: float
    price: float
    reason: str
    at: datetime
    kind: str = Field(description="routed, reassigned, kept or waiting")
    previous_manager_id: str | None = None
    runner_up_id: str | None = None
    replayed: bool

    @classmethod
    def of(cls, decision: Decision) -> DecisionOut:
        """The wire form of a router's decision."""
        return cls(
            lead_id=decision.lead_id,
            manager_id=decision.manager_id,
            status="waiting" if decision.manager_id is None else "assigned",
            value=decision.value,
            price=decision.price,
            reason=decision.reason,
            at=decision.at,
            kind=decision.kind,
            previous_manager_id=decision.previous_manager_id,
            runner_up_id=decision.runner_up_id,
            replayed=decision.replayed,
        )


class BatchIn(Wire):
    """Leads to assign together, as one optimal plan under the team's policy."""

    leads: list[Lead] = Field(min_length=1, max_length=20_000)
    method: str = "auto"


class BatchOut(Wire):
    """The plan: each lead's manager with its value and explanation, and the totals."""

    assignments: list[dict[str, Any]]
    expected_value: float
    unassigned: list[str]
    policy_version: int


class ManagerIn(Manager):
    """A manager as the API takes one: the id comes from the path; working hours beside."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: Id | None = None  # type: ignore[assignment]
    hours: WorkingHours | None = None

    @model_validator(mode="after")
    def _overloaded(self) -> ManagerIn:
        # The Manager built from this body, with its id, says it (once, by name).
        return self


class ManagerOut(Wire):
    """A manager's record, working hours and live figures."""

    manager: dict[str, Any]
    hours: WorkingHours | None
    status: dict[str, Any] | None
    warnings: list[str] = Field(
        default_factory=list, description="What was accepted but is worth a second look"
    )


class AbsenceIn(Absence):
    """An absence as the API takes one: the manager comes from the path."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    manager_id: Id | None = None  # type: ignore[assignment]

    @model_validator(mode="after")
    def _ordered(self) -> AbsenceIn:
        # The Absence built from this body checks its dates, naming the manager.
        return self


class PauseIn(Wire):
    """Why a manager is paused (shown in the router's event log)."""

    reason: str = Field(default="paused", max_length=500)


class PolicyOut(Wire):
    """The team's policy and its version."""

    version: int
    policy: Policy


class EventIn(Wire):
    """Something that happened to a lead: contact, stage, close, feedback.

    ``contacted`` stops the lead's SLA clock; ``won`` and ``lost`` free its manager's
    slot; every event goes to the team's KPI log (the columns of ``docs/kpi.md``).
    """

    type: Literal["contacted", "stage", "won", "lost", "feedback"]
    at: Annotated[datetime | None, BeforeValidator(no_number)] = None
    event_id: Id | None = None
    stage: str | None = Field(default=None, max_length=200)
    amount: Annotated[float | None, BeforeValidator(no_flag)] = Field(
        default=None, ge=0, allow_inf_nan=False
    )
    reason: str | None = Field(default=None, max_length=2000)
    csat: Annotated[int | None, BeforeValidator(no_flag)] = Field(default=None, ge=1, le=5)
    nps: Annotated[int | None, BeforeValidator(no_flag)] = Field(default=None, ge=0, le=10)
    complaint: bool | None = None
    client_id: Id | None = None


class ClientEventIn(Wire):
    """Something that happened with a client: a purchase, a touch planned or done, feedback."""

    type: Literal["purchase", "touch_planned", "touch_done", "feedback"]
    client_id: Id
    at: Annotated[datetime | None, BeforeValidator(no_number)] = None
    event_id: Id | None = None
    manager_id: Id | None = None
    amount: Annotated[float | None, BeforeValidator(no_flag)] = Field(
        default=None, ge=0, allow_inf_nan=False
    )
    csat: Annotated[int | None, BeforeValidator(no_flag)] = Field(default=None, ge=1, le=5)
    nps: Annotated[int | None, BeforeValidator(no_flag)] = Field(default=None, ge=0, le=10)
    complaint: bool | None = None


class EventOut(Wire):
    """An event as the KPI log keeps it."""

    event_id: str
    type: str
    at: datetime
    lead_id: str | None = None
    client_id: str | None = None
    manager_id: str | None = None
    replayed: bool = False


class OverdueOut(Wire):
    """A lead not contacted within the SLA."""

    lead_id: str
    manager_id: str
    routed_at: datetime
    due_at: datetime
    overdue_minutes: float

    @classmethod
    def of(cls, late: Overdue) -> OverdueOut:
        """The wire form of an overdue lead."""
        return cls(
            lead_id=late.lead_id,
            manager_id=late.manager_id,
            routed_at=late.routed_at,
            due_at=late.due_at,
            overdue_minutes=late.late_by.total_seconds() / 60,
        )


def status_dict(status: ManagerStatus) -> dict[str, Any]:
    """A manager's live figures as JSON."""
    return {
        "open": status.open,
        "capacity": status.capacity,
        "available": status.available,
        "paused": status.paused,
        "received": status.received,
        "target": status.target,
        "deviation": status.deviation,
        "routed": status.routed,
        "reassigned_in": status.reassigned_in,
        "reassigned_out": status.reassigned_out,
        "won": status.won,
        "released": status.released,
        "price": status.price,
    }
