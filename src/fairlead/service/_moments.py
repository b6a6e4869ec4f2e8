"""Moments from outside (``?at=``, an event's ``at``, a lead's ``created_at``), checked once.

The router's rule: ISO 8601 text or a datetime, naive read as UTC, between 1900-01-01
and 9999-01-01; a bare number is no moment (seconds or milliseconds since when?).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fairlead.service._errors import ApiError

EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(9999, 1, 1, tzinfo=UTC)


def checked(value: datetime, field: str, *, ident: str | None = None) -> datetime:
    """``value`` as an aware datetime (naive: UTC) if within the range, else a 422."""
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    try:
        inside = EARLIEST <= aware < LATEST
    except (OverflowError, ValueError):
        inside = False
    if not inside:
        raise ApiError(
            422,
            f"{field} must be between {EARLIEST:%Y-%m-%d} and {LATEST:%Y-%m-%d} (UTC), "
            f"got {value.isoformat()!r}",
            field=field,
            ident=ident,
            value=value.isoformat(),
        )
    return aware


def parse(text: str | None, field: str = "at") -> datetime:
    """A moment given as ISO 8601 text (``None``: now), checked."""
    if text is None:
        return datetime.now(UTC)
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ApiError(
            422,
            f"{field} must be ISO 8601 text such as 2026-11-02T09:30:00+03:00, got {text!r}",
            field=field,
            value=text,
        ) from None
    return checked(value, field)


def no_number(value: Any) -> Any:
    """A pydantic ``before`` check: a bare number (or a flag) is no moment."""
    if isinstance(value, bool | int | float):
        raise ValueError(
            "must be ISO 8601 text such as 2026-11-02T09:30:00Z, not a number "
            "(seconds or milliseconds since when?)"
        )
    return value
