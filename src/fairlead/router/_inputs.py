"""The router's inputs checked at the boundary: times, durations, leads, settings."""

from __future__ import annotations

import numbers
import os
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
from pydantic import ConfigDict, TypeAdapter, ValidationError

from fairlead.core import FloatArray
from fairlead.policy import Absence, timestamp
from fairlead.records import Id, InputError, Lead, Tier, describe_error
from fairlead.router._state import CatchUp

#: The times a router accepts: every time zone's local time and every deadline or
#: catch-up ramp computed from them stays within what ``datetime`` can represent.
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(9999, 1, 1, tzinfo=UTC)
_EARLIEST_TS = EARLIEST.timestamp()
_LATEST_TS = LATEST.timestamp()


def instant(now: datetime | None) -> float:
    """Seconds since the epoch of ``now`` (default: the current time; naive is UTC).

    ``now`` must lie between :data:`EARLIEST` and :data:`LATEST` (a ``pandas.NaT``,
    a subclass of ``datetime`` without a time, is an error too).
    """
    if now is None:
        return datetime.now(UTC).timestamp()
    if not isinstance(now, datetime):
        raise ValueError(f"now must be a datetime, got {type(now).__name__} {now!r}")
    try:
        ts = timestamp(now)
    except (ValueError, OverflowError, OSError):
        ts = float("nan")
    if not _EARLIEST_TS <= ts < _LATEST_TS:  # NaN fails too
        raise ValueError(
            f"now must be a datetime between {EARLIEST:%Y-%m-%d} and {LATEST:%Y-%m-%d} "
            f"(UTC), got {now!r}"
        )
    return ts


#: Lead and manager ids are validated as the records validate them (numbers to text).
_ID = TypeAdapter(Id, config=ConfigDict(coerce_numbers_to_str=True))
_ID_PROBLEMS = {
    "string_type": "must be a string or a number",
    "string_too_short": "must not be empty",
    "string_too_long": "must be at most 200 characters",
    "string_unicode": "must be valid text",
}


def record_id(value: Any, what: str = "lead id") -> str:
    """A lead or manager id given to a call, converted exactly as the records convert it.

    ``route({"id": 123})`` stores the lead as ``'123'``: ``release(123)`` must find it.
    """
    if type(value) is str and 0 < len(value) <= 200 and value.isascii():
        return value  # the common case, without pydantic
    try:
        out: str = _ID.validate_python(value)
    except ValidationError as exc:
        error = exc.errors()[0]
        problem = _ID_PROBLEMS.get(error["type"], describe_error(error)[1])
        raise ValueError(f"{what} {problem}, got {type(value).__name__} {value!r}") from None
    return out


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
    """A manager id given to a call (as :class:`Manager` converts its ``id``)."""
    return record_id(value, "manager id")


def pause_reason(value: Any) -> str:
    """The reason given to :meth:`Router.pause` (stored in the event log)."""
    if not isinstance(value, str):
        raise ValueError(f"pause reason must be a string, got {type(value).__name__} {value!r}")
    return value


def store_path(store: Any) -> str | None:
    """The SQLite file of a router, or ``None`` for in-memory state."""
    if store is None:
        return None
    if not isinstance(store, str | os.PathLike):
        raise ValueError(
            f"store must be a file path (str or Path) or None for in-memory state, "
            f"got {type(store).__name__} {store!r}"
        )
    path = os.fspath(store)
    if not isinstance(path, str):
        raise ValueError(f"store must be a text path, got {type(path).__name__} {path!r}")
    if path.strip() in ("", ":memory:"):
        raise ValueError(
            f"store={store!r} would not persist anything; use store=None for in-memory "
            "state, or a file path"
        )
    return path


_NOT_NUMBERS = frozenset({bool, np.bool_, str, bytes, type(None)})


def value_row(value: Any, ids: Sequence[str], lead_id: str) -> FloatArray:
    """A caller's value row for a lead: one finite number per manager.

    Strings, booleans and missing values are errors naming the lead and the manager
    (numpy would read ``"1"`` as 1.0, ``True`` as 1.0 and ``None`` as NaN).
    """
    m = len(ids)
    try:
        raw = value if isinstance(value, np.ndarray) else np.asarray(value)
    except (TypeError, ValueError):
        raise ValueError(f"value of lead {lead_id!r} must be numbers, got {value!r}") from None
    if raw.shape != (m,):
        raise ValueError(
            f"value of lead {lead_id!r} must have one number per manager "
            f"({m}), got shape {raw.shape}"
        )
    mixed = not isinstance(value, np.ndarray) and not _NOT_NUMBERS.isdisjoint(map(type, value))
    if raw.dtype.kind not in "iuf" or mixed:
        for j, x in enumerate(raw.tolist() if isinstance(value, np.ndarray) else value):
            if isinstance(x, bool | np.bool_) or not isinstance(x, numbers.Real | Decimal):
                raise ValueError(
                    f"value of lead {lead_id!r} for manager {ids[j]!r} must be a real number, "
                    f"got {type(x).__name__} {x!r}"
                )
    row = raw.astype(np.float64)
    bad = np.flatnonzero(~np.isfinite(row))
    if bad.size:
        j = int(bad[0])
        raise ValueError(
            f"value of lead {lead_id!r} for manager {ids[j]!r} must be finite, got {float(row[j])}"
        )
    return row
