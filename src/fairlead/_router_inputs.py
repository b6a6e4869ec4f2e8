"""The router's inputs checked at the boundary: times, durations, leads, settings."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import ValidationError

from fairlead._availability import Absence, timestamp
from fairlead._inputs import InputError, describe_error
from fairlead._models import Lead, Tier
from fairlead._router_state import CatchUp


def instant(now: datetime | None) -> float:
    """Seconds since the epoch of ``now`` (default: the current time; naive is UTC)."""
    if now is None:
        return datetime.now(UTC).timestamp()
    if not isinstance(now, datetime):
        raise ValueError(f"now must be a datetime, got {type(now).__name__} {now!r}")
    return timestamp(now)


def seconds(value: Any, what: str) -> float:
    """A positive ``timedelta`` in seconds, or a ValueError naming ``what``."""
    if not isinstance(value, timedelta):
        raise ValueError(
            f"{what} must be a timedelta (e.g. timedelta(hours=3)), got "
            f"{type(value).__name__} {value!r}"
        )
    if value <= timedelta(0):
        raise ValueError(f"{what} must be positive, got {value}")
    return value.total_seconds()


def optional_seconds(value: Any, what: str) -> float | None:
    """:func:`seconds`, or ``None`` for ``None``."""
    return None if value is None else seconds(value, what)


def sla_seconds(sla: Any) -> dict[Tier, float] | None:
    """The SLA per tier in seconds (one ``timedelta`` for all, or a mapping by tier)."""
    if sla is None:
        return None
    if isinstance(sla, timedelta):
        return dict.fromkeys(Tier, seconds(sla, "sla"))
    if isinstance(sla, Mapping):
        out: dict[Tier, float] = {}
        for key, value in sla.items():
            try:
                tier = Tier(key)
            except ValueError:
                raise ValueError(
                    f"sla names an unknown tier {key!r} (use hot, warm, cold)"
                ) from None
            out[tier] = seconds(value, f"sla of tier {tier.value!r}")
        return out
    raise ValueError(
        f"sla must be a timedelta, a mapping of tier to timedelta or None, got {sla!r}"
    )


def coerce_catch_up(value: CatchUp | Mapping[str, Any] | None) -> CatchUp:
    """A :class:`CatchUp` from an instance, a dict or ``None`` (the default)."""
    if value is None:
        return CatchUp()
    if isinstance(value, CatchUp):
        return value
    if isinstance(value, Mapping):
        try:
            return CatchUp.model_validate(dict(value))
        except ValidationError as exc:
            field, message, got = describe_error(exc.errors()[0])
            raise ValueError(f"catch_up {field!r}: {message}, got {got!r}") from None
    raise ValueError(f"catch_up must be a CatchUp or a dict, got {type(value).__name__}")


def coerce_lead(lead: Any) -> Lead:
    """A :class:`Lead` from an instance or a dict; errors name the lead, field and value."""
    if isinstance(lead, Lead):
        return lead
    if isinstance(lead, Mapping):
        try:
            return Lead.model_validate(lead)
        except ValidationError as exc:
            field, message, got = describe_error(exc.errors()[0])
            who = f"lead {lead.get('id')!r}" if lead.get("id") is not None else "lead"
            raise InputError(
                f"{who}: {field!r} {message}, got {got!r}", field=field, value=got
            ) from None
    raise InputError(f"lead must be a Lead or a dict, got {type(lead).__name__}")


def absence_list(absences: Any) -> Sequence[Absence | Mapping[str, Any]]:
    """Absences as a sequence (``None``: none); a single record is an error."""
    if absences is None:
        return ()
    if isinstance(absences, Absence | Mapping | str) or not isinstance(absences, Sequence):
        raise ValueError(
            f"absences must be a list of Absence records or dicts, got {type(absences).__name__}"
        )
    return absences


def manager_id(value: Any) -> str:
    """A manager id given to a call (a string)."""
    if not isinstance(value, str):
        raise ValueError(f"manager id must be a string, got {type(value).__name__} {value!r}")
    return value
