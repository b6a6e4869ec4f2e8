"""What a connector reads from a CRM, in the CRM's own terms (ids are the CRM's)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

#: What an inbound notification says happened to a lead.
EventKind = Literal["added", "updated", "deleted", "owner_changed", "stage_changed"]
#: How a lead ended, when it did.
Outcome = Literal["won", "lost"]


@dataclass(frozen=True)
class CrmLead:
    """A lead as the CRM holds it.

    Parameters
    ----------
    crm_id : str
        The CRM's id of the lead.
    fields : dict
        Every field the CRM returned, under the CRM's names (the mapping reads these).
    owner : str or None
        The CRM user responsible for it.
    stage : str or None
        The CRM's stage (status) id.
    outcome : {"won", "lost"} or None
        Set when the stage is a closing one.
    created_at, modified_at, closed_at : datetime or None
        As the CRM gives them, made timezone-aware.
    amount : float or None
        The deal's amount, in ``currency``.
    """

    crm_id: str
    fields: dict[str, Any] = field(default_factory=dict)
    owner: str | None = None
    stage: str | None = None
    outcome: Outcome | None = None
    created_at: datetime | None = None
    modified_at: datetime | None = None
    closed_at: datetime | None = None
    amount: float | None = None
    currency: str | None = None
    title: str | None = None
    source: str | None = None


@dataclass(frozen=True)
class CrmUser:
    """A CRM user who may be a manager.

    ``groups`` are the CRM's departments (Bitrix24) or groups (Kommo), as ids.
    """

    crm_id: str
    name: str
    active: bool = True
    groups: tuple[str, ...] = ()
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class InboundEvent:
    """One thing a CRM's webhook reports about one lead.

    ``key`` identifies the notification itself, so a CRM's retry of the same
    notification is recognised; ``fields`` are the values the notification carried
    (some CRMs send only the id: then the lead is read from the CRM).
    """

    kind: EventKind
    crm_lead_id: str
    key: str
    at: datetime | None = None
    fields: dict[str, Any] = field(default_factory=dict)
