"""Connecting a team's CRM: settings and mapping checked, then stored (API and CLI)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from fairlead.connectors import connector_class, mapping_from
from fairlead.records import InputError
from fairlead.service._crm_store import save_connection
from fairlead.service._database import Database
from fairlead.service._keys import sha256


@dataclass(frozen=True)
class Connected:
    """Where the CRM's webhook goes; ``secret`` (shown once) when the address holds one."""

    crm: str
    webhook_path: str
    secret: str | None


def connect_crm(
    db: Database, tenant_id: str, crm: str, settings: dict[str, Any], mapping: dict[str, Any]
) -> Connected:
    """Check a CRM's settings and the team's mapping, then store them.

    Raises
    ------
    KeyError
        For a CRM no connector is registered for.
    fairlead.InputError
        For a mapping that cannot be read, or settings the connector refuses
        (``field="settings"``). Nothing is stored then.
    """
    cls = connector_class(crm)
    checked = mapping_from(mapping)
    try:
        cls(settings).close()
    except ValueError as exc:
        if isinstance(exc, InputError):
            raise
        raise InputError(str(exc), field="settings") from None
    secret = secrets.token_urlsafe(24) if getattr(cls, "path_secret", False) else None
    with db.write() as conn:
        save_connection(
            conn, tenant_id, crm, settings,
            checked.model_dump(mode="json", exclude_defaults=True),
            None if secret is None else sha256(secret),
        )  # fmt: skip
    path = f"/v1/webhooks/{crm}/{tenant_id}" + ("" if secret is None else f"/{secret}")
    return Connected(crm=crm, webhook_path=path, secret=secret)
