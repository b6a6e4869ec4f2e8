"""A CRM's leads as rows of fairlead's KPI event log (``fairlead.kpi``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from fairlead.connectors._records import CrmLead


def history_rows(
    leads: Iterable[CrmLead], crm: str, *, owners: Mapping[str, str] | None = None
) -> list[dict[str, Any]]:
    """The KPI log's rows of CRM leads: ``created``, ``assigned`` and ``won`` / ``lost``.

    Event ids are made from the CRM and the lead (``bitrix24:17:created``), so an
    import repeated, or one that overlaps the last, records each event once.

    Parameters
    ----------
    leads : iterable of CrmLead
    crm : str
        The connector's name.
    owners : mapping, optional
        The CRM's owner (id, or name in an export) -> manager id; default: as given.

    Examples
    --------
    >>> from datetime import datetime, UTC
    >>> from fairlead.connectors import CrmLead, history_rows
    >>> lead = CrmLead("17", owner="2", outcome="won", amount=12500.0, source="WEB",
    ...                created_at=datetime(2026, 11, 2, 9, tzinfo=UTC),
    ...                closed_at=datetime(2026, 11, 9, 15, tzinfo=UTC))
    >>> [r["event_id"] for r in history_rows([lead], "bitrix24")]
    ['bitrix24:17:created', 'bitrix24:17:assigned', 'bitrix24:17:won']
    """
    rows: list[dict[str, Any]] = []
    for lead in leads:
        if lead.created_at is None:
            continue
        lead_id = lead.crm_id
        at = lead.created_at.timestamp()
        base = f"{crm}:{lead_id}"
        rows.append(
            {
                "event_id": f"{base}:created",
                "type": "created",
                "at": at,
                "lead_id": lead_id,
                "source": lead.source,
                "deal_value": lead.amount,
            }
        )
        manager = None
        if lead.owner is not None:
            manager = (owners or {}).get(lead.owner, lead.owner)
            rows.append(
                {
                    "event_id": f"{base}:assigned",
                    "type": "assigned",
                    "at": at,
                    "lead_id": lead_id,
                    "manager_id": manager,
                    "method": crm,
                    "assigned_by": crm,
                }
            )
        if lead.outcome is not None:
            closed = lead.closed_at or lead.modified_at or lead.created_at
            row: dict[str, Any] = {
                "event_id": f"{base}:{lead.outcome}",
                "type": lead.outcome,
                "at": max(closed.timestamp(), at),
                "lead_id": lead_id,
                "manager_id": manager,
            }
            if lead.outcome == "won" and lead.amount is not None:
                row["amount"] = lead.amount
            rows.append(row)
    return [{k: v for k, v in r.items() if v is not None} for r in rows]
