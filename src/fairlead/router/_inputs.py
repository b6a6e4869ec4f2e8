"""The router's inputs checked at the boundary: times, durations, leads, settings.

Every check raises :class:`fairlead.InputError` with ``field`` and ``value`` set; ids
are read by the id rule of :mod:`fairlead.records`.
"""

from __future__ import annotations

import numbers
import os
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeGuard

import numpy as np
from pydantic import ValidationError

from fairlead.core import FloatArray, check_numeric_dtype, to_array
from fairlead.policy import Absence
from fairlead.records import (
    InputError,
    Lead,
    Tier,
    coerce_settings,
    describe_error,
    epoch_seconds,
    read_id,
)
from fairlead.router._state import CatchUp
from fairlead.router._store import Store

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
        raise InputError(
            f"now must be a datetime, got {type(now).__name__} {now!r}", field="now", value=now
        )
    try:
        ts = epoch_seconds(now)
    except (ValueError, OverflowError, OSError):
        ts = float("nan")
    if not _EARLIEST_TS <= ts < _LATEST_TS:  # NaN fails too
        raise InputError(
            f"now must be a datetime between {EARLIEST:%Y-%m-%d} and {LATEST:%Y-%m-%d} "
            f"(UTC), got {now!r}",
            field="now",
            value=now,
        )
    return ts


def record_id(value: Any, what: str = "lead id") -> str:
    """A lead or manager id given to a call, read by the id rule of the records.

    ``route({"id": 123})`` stores the lead as ``'123'``: ``release(123)``,
    ``release(123.0)`` and ``release(" 123 ")`` find it. The error's ``field`` is
    the argument's name (``"lead_id"``, ``"manager_id"``), as in the router's other
    errors about the same argument.
    """
    return read_id(value, what, field=what.replace(" ", "_"))


def seconds(value: Any, what: str) -> float:
    """A positive ``timedelta`` in seconds, or an :class:`InputError` naming ``what``."""
    if not isinstance(value, timedelta):
        raise InputError(
            f"{what} must be a timedelta (e.g. timedelta(hours=3)), got "
            f"{type(value).__name__} {value!r}",
            field=what,
            value=value,
        )
    if value <= timedelta(0):
        raise InputError(f"{what} must be positive, got {value}", field=what, value=value)
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
                raise InputError(
                    f"sla names an unknown tier {key!r} (use hot, warm, cold)",
                    field="sla",
                    value=key,
                ) from None
            out[tier] = seconds(value, f"sla of tier {tier.value!r}")
        return out
    raise InputError(
        f"sla must be a timedelta, a mapping of tier to timedelta or None, got {sla!r}",
        field="sla",
        value=sla,
    )


def coerce_catch_up(value: CatchUp | Mapping[str, Any] | None) -> CatchUp:
    """A :class:`CatchUp` from an instance, a dict or ``None`` (the default)."""
    return coerce_settings(value, CatchUp, "catch_up", nested_fields=True)


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
    raise InputError(
        f"lead must be a Lead or a dict, got {type(lead).__name__}", field="lead", value=lead
    )


def absence_list(absences: Any) -> Sequence[Absence | Mapping[str, Any]]:
    """Absences as a sequence (``None``: none); a single record is an error."""
    if absences is None:
        return ()
    if isinstance(absences, Absence | Mapping | str) or not isinstance(absences, Sequence):
        raise InputError(
            f"absences must be a list of Absence records or dicts, got {type(absences).__name__}",
            field="absences",
            value=absences,
        )
    return absences


def manager_id(value: Any) -> str:
    """A manager id given to a call (as :class:`Manager` converts its ``id``)."""
    return record_id(value, "manager id")


#: How many of a team's ids a message lists before it counts the rest.
_SHOWN_IDS = 8


def team_index(value: Any, index: Mapping[str, int], ids: Sequence[str]) -> int:
    """Position of the manager ``value`` names in the team; an :class:`InputError` if none.

    The message lists the team (its first few ids), since a typo is the usual cause.

    Examples
    --------
    >>> team_index(" 7 ", {"7": 0, "ann": 1}, ["7", "ann"])
    0
    >>> team_index("bob", {"7": 0, "ann": 1}, ["7", "ann"])
    Traceback (most recent call last):
    ...
    fairlead.InputError: manager 'bob': not on this router's team ('7', 'ann')
    """
    name = manager_id(value)
    j = index.get(name)
    if j is None:
        shown = ", ".join(repr(i) for i in ids[:_SHOWN_IDS])
        more = f" and {len(ids) - _SHOWN_IDS} more" if len(ids) > _SHOWN_IDS else ""
        raise InputError(
            f"manager {name!r}: not on this router's team ({shown}{more})",
            field="manager_id",
            value=name,
        )
    return j


def never_routed(lead_id: str) -> InputError:
    """The error of a call naming a lead this router never saw."""
    return InputError(
        f"lead {lead_id!r}: never routed by this router", field="lead_id", value=lead_id
    )


def outcome_of(value: Any, lead_id: str, outcomes: Sequence[str]) -> str:
    """The outcome given to :meth:`Router.release`: one of ``outcomes``, exactly.

    Examples
    --------
    >>> outcome_of("maybe", "l-1", ("won", "lost"))
    Traceback (most recent call last):
    ...
    fairlead.InputError: lead 'l-1': outcome must be one of 'won', 'lost', got 'maybe'
    """
    if not isinstance(value, str) or value not in outcomes:
        allowed = ", ".join(repr(o) for o in outcomes)
        raise InputError(
            f"lead {lead_id!r}: outcome must be one of {allowed}, got {value!r}",
            field="outcome",
            value=value,
        )
    return value


def pause_reason(value: Any) -> str:
    """The reason given to :meth:`Router.pause` (stored in the event log)."""
    if not isinstance(value, str):
        raise InputError(
            f"pause reason must be a string, got {type(value).__name__} {value!r}",
            field="reason",
            value=value,
        )
    return value


#: What a store object offers, besides a file path: the methods of ``Store``.
STORE_METHODS = ("opening", "transaction", "get", "put", "log", "load_state", "save_state")


def is_store(store: Any) -> TypeGuard[Store]:
    """Whether ``store`` is a store object (a :class:`~fairlead.router.Store`), not a path."""
    return not isinstance(store, str | os.PathLike) and all(
        callable(getattr(store, name, None)) for name in STORE_METHODS
    )


def store_path(store: Any) -> str | None:
    """The SQLite file of a router, or ``None`` for in-memory state (or a store object)."""
    if store is None or is_store(store):
        return None
    if not isinstance(store, str | os.PathLike):
        raise InputError(
            f"store must be a file path (str or Path), a store object or None for "
            f"in-memory state, got {type(store).__name__} {store!r}",
            field="store",
            value=store,
        )
    path = os.fspath(store)
    if not isinstance(path, str):
        raise InputError(
            f"store must be a text path, got {type(path).__name__} {path!r}",
            field="store",
            value=store,
        )
    if path.strip() in ("", ":memory:"):
        raise InputError(
            f"store={store!r} would not persist anything; use store=None for in-memory "
            "state, or a file path",
            field="store",
            value=store,
        )
    return path


_NOT_NUMBERS = frozenset({bool, np.bool_, str, bytes, type(None)})


def window_capacity(capacity: Any, ids: Sequence[str]) -> FloatArray:
    """The ``capacity`` of a priced window: one finite number ``>= 0`` per manager.

    Text, booleans and missing values are refused, as in a value row (a float
    conversion would read ``"3"`` as 3.0 and ``True`` as 1.0).

    Examples
    --------
    >>> window_capacity([2, 0], ["a", "b"]).tolist()
    [2.0, 0.0]
    >>> window_capacity([2, -1], ["a", "b"])
    Traceback (most recent call last):
    ...
    fairlead.InputError: capacity[1] (manager 'b') must be finite and >= 0, got -1.0
    """
    try:
        raw = to_array("capacity", capacity)
        check_numeric_dtype("capacity", raw)
    except InputError as exc:
        # The core's message names the argument; the error gets its field and value.
        raise InputError(str(exc), field="capacity", value=capacity) from None
    if raw.shape != (len(ids),):
        raise InputError(
            f"capacity must have one number per manager ({len(ids)}), got shape {raw.shape}",
            field="capacity",
            value=capacity,
        )
    if not isinstance(capacity, np.ndarray):
        # numpy reads [True, 2] as integers: each item is checked as given.
        for j, x in enumerate(capacity):
            if isinstance(x, bool | np.bool_) or not isinstance(x, numbers.Real | Decimal):
                raise InputError(
                    f"capacity[{j}] (manager {ids[j]!r}) must be a real number, "
                    f"got {type(x).__name__} {x!r}",
                    field="capacity",
                    value=x,
                )
    caps = raw.astype(np.float64)
    bad = np.flatnonzero(~(np.isfinite(caps) & (caps >= 0)))
    if bad.size:
        j = int(bad[0])
        raise InputError(
            f"capacity[{j}] (manager {ids[j]!r}) must be finite and >= 0, got {float(caps[j])}",
            field="capacity",
            value=float(caps[j]),
        )
    return caps


def finite_values(values: FloatArray, leads: Sequence[Lead], ids: Sequence[str]) -> None:
    """Refuse a window's ``values`` (n, m) holding NaN or an infinity, naming the pair.

    Examples
    --------
    >>> finite_values(np.array([[0.5, np.nan]]), [Lead(id="l-1", score=0.5)], ["a", "b"])
    Traceback (most recent call last):
    ...
    fairlead.InputError: values[0, 1] (lead 'l-1', manager 'b') must be finite, got nan
    """
    bad = np.argwhere(~np.isfinite(values))
    if bad.size:
        i, j = (int(x) for x in bad[0])
        raise InputError(
            f"values[{i}, {j}] (lead {leads[i].id!r}, manager {ids[j]!r}) must be finite, "
            f"got {float(values[i, j])}",
            row=i,
            field="values",
            value=float(values[i, j]),
        )


def value_row(value: Any, ids: Sequence[str], lead_id: str) -> FloatArray:
    """A caller's value row for a lead: one finite number per manager.

    Strings, booleans and missing values are errors naming the lead and the manager
    (numpy would read ``"1"`` as 1.0, ``True`` as 1.0 and ``None`` as NaN).
    """
    m = len(ids)
    try:
        raw = value if isinstance(value, np.ndarray) else np.asarray(value)
    except (TypeError, ValueError):
        raise InputError(
            f"value of lead {lead_id!r} must be numbers, got {value!r}", field="value", value=value
        ) from None
    if raw.shape != (m,):
        raise InputError(
            f"value of lead {lead_id!r} must have one number per manager "
            f"({m}), got shape {raw.shape}",
            field="value",
            value=value,
        )
    mixed = not isinstance(value, np.ndarray) and not _NOT_NUMBERS.isdisjoint(map(type, value))
    if raw.dtype.kind not in "iuf" or mixed:
        for j, x in enumerate(raw.tolist() if isinstance(value, np.ndarray) else value):
            if isinstance(x, bool | np.bool_) or not isinstance(x, numbers.Real | Decimal):
                raise InputError(
                    f"value of lead {lead_id!r} for manager {ids[j]!r} must be a real number, "
                    f"got {type(x).__name__} {x!r}",
                    field="value",
                    value=x,
                )
    row = raw.astype(np.float64)
    bad = np.flatnonzero(~np.isfinite(row))
    if bad.size:
        j = int(bad[0])
        raise InputError(
            f"value of lead {lead_id!r} for manager {ids[j]!r} must be finite, got {float(row[j])}",
            field="value",
            value=float(row[j]),
        )
    return row
