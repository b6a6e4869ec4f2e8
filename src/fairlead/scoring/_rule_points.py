"""The points of rule scoring: each group's points per lead, decay, totals and tiers.

Records (a list of dicts or a DataFrame) are read through the records layer's
row reader (:class:`fairlead.records.Rows`); every bad value is an
:class:`fairlead.InputError` naming the lead (id and row), the field and the value.
The algorithm lives in :func:`rule_breakdown`; :func:`rule_points` sums it and
:func:`rule_tiers` cuts points into tiers.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from fairlead.records import (
    EXPECTED_TIME,
    MAX_ID_LENGTH,
    InputError,
    Rows,
    id_problem,
    is_missing,
    is_number,
    read_ids,
    read_time,
)
from fairlead.scoring._calibration import FloatArray
from fairlead.scoring._rule_config import DEFAULT_RULES, ConfigLike, RuleConfig
from fairlead.scoring._rule_groups import (
    GROUPS,
    ContactFrequencyRules,
    EngagementRules,
    FieldNames,
    PurchaseHistoryRules,
    ResponseSpeedRules,
    SourceRules,
    TierThresholds,
    name_key,
)

_ABSENT = object()


def _is_count(value: Any) -> bool:
    kind = type(value)
    return kind is int or kind is float or is_number(value)


# Types whose values numpy converts to float64 exactly as we would (None -> nan).
_PLAIN_NUMBERS = frozenset({int, float, type(None), np.float64, np.float32, np.int64, np.int32})


def _numbers(table: Rows, name: str, *, required: bool = True) -> FloatArray:
    """Non-negative finite numbers of a field; NaN where the value is missing."""
    values = table.column(name, required=required)
    if values.dtype.kind in "iuf":
        out = values.astype(np.float64)
    elif values.dtype.kind == "b":
        raise table.error(0, name, "must be a number, not a boolean", bool(values[0]))
    elif {type(v) for v in values} <= _PLAIN_NUMBERS:
        out = np.array(values.tolist(), dtype=np.float64)
    else:
        out = np.empty(table.n)
        for row, value in enumerate(values):
            if is_missing(value):
                out[row] = np.nan
            elif is_number(value):
                out[row] = float(value)
            else:
                raise table.error(row, name, "must be a number", value)
    bad = np.isinf(out) | (out < 0)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        value = values[row]
        shown = value.item() if isinstance(value, np.generic) else value
        raise table.error(row, name, "must be a finite number >= 0", shown)
    return out


def _reference_times(now: Any, n: int) -> tuple[npt.NDArray[np.datetime64], npt.NDArray[np.bool_]]:
    """``now`` per lead as datetime64[us] (one moment for all, or one per lead).

    Also whether each was given as a bare day (no time of day), which
    :func:`_check_created` reads as the whole day.
    """
    if now is None:
        current = np.datetime64(datetime.now(UTC).replace(tzinfo=None), "us")
        return np.full(n, current), np.zeros(n, dtype=np.bool_)
    many = isinstance(now, Sequence | np.ndarray) and not isinstance(now, str)
    if not many and hasattr(now, "to_numpy") and hasattr(now, "__len__"):
        many = True  # a pandas Series / Index
    items = list(now) if many else [now]
    days = np.array([_is_day(value) for value in items], dtype=np.bool_)
    stamps = []
    for k, value in enumerate(items):
        try:
            stamp = read_time(value)
        except InputError:
            stamp = None
        if stamp is None:
            where = f" (item {k})" if many else ""
            raise InputError(f"now{where} {EXPECTED_TIME}, got {value!r}", field="now", value=value)
        stamps.append(stamp)
    out = np.array(stamps, dtype="datetime64[us]")
    if not many:
        return np.full(n, out[0]), np.full(n, days[0])
    if out.size != n:
        raise InputError(f"now has {out.size} times for {n} leads; give one, or one per lead")
    return out, days


_DAY = np.timedelta64(86_400_000_000, "us")

CLOCK_SKEW = np.timedelta64(15, "m")
"""How far past ``now`` a lead's ``created_at`` may lie and still count as age 0.

CRM servers and the scoring machine keep slightly different clocks, so a lead
created "now" can be stamped a few minutes ahead. Beyond this, the time is a data
error: a year typed wrong, or a local time without its zone read as UTC. A zone
offset is at least 30 minutes, so 15 minutes tells the two apart.
"""

# A bare day is that day in some time zone: local time runs from 14 hours ahead of
# UTC (UTC+14, Line Islands) to 12 hours behind (UTC-12, Baker Island).
_AHEAD_MOST = np.timedelta64(14, "h")
_BEHIND_MOST = np.timedelta64(12, "h")


def _check_ids(table: Rows, name: str) -> None:
    """Refuse a lead id the id rule refuses; a lead may have none (absent or ``None``).

    Scoring needs no id, but one that is given is read as everywhere else, so a NaN
    or ``1.5`` id in the scored rows is caught here and not only once the leads
    reach :func:`fairlead.assign`.
    """
    if not table.has(name):
        return
    values = table.column(name, required=False)
    if values.dtype.kind == "O":
        items = values.tolist()
        if _all_text_ids(items):
            return
        given = np.flatnonzero([value is not None for value in items])
    else:
        given = np.arange(table.n)
    try:
        read_ids(values[given], name, field=name)
    except InputError as error:
        row = int(given[error.row or 0])
        value = values[row]
        shown = value.item() if isinstance(value, np.generic) else value
        problem = id_problem(shown)[1]
        hint = "; leave the id out (or None) for a lead without one" if is_missing(shown) else ""
        raise InputError(
            f"{table.kind} row {row}: {name!r} {problem}, got {type(shown).__name__} "
            f"{shown!r}{hint}",
            row=row,
            field=name,
            value=shown,
        ) from None


def _all_text_ids(items: list[Any]) -> bool:
    """Whether every item is text the id rule accepts (the common case, checked at once)."""
    if not items or set(map(type, items)) != {str}:
        return False
    if "\x00" in "".join(items):
        return False
    length = np.strings.str_len(np.strings.strip(np.array(items, dtype=np.str_)))
    return bool(np.all((length > 0) & (length <= MAX_ID_LENGTH)))


def _is_day(value: Any) -> bool:
    """Whether a time was given as a calendar day only (no time of day)."""
    if isinstance(value, np.datetime64):
        return np.datetime_data(value.dtype)[0] in ("D", "W", "M", "Y")
    if isinstance(value, str):
        try:
            date.fromisoformat(value.strip())
        except ValueError:
            return False
        return True
    return isinstance(value, date) and not isinstance(value, datetime)


def _span(delta: np.timedelta64) -> str:
    """A positive duration in words, in its largest whole unit: ``'3 days'``."""
    seconds = int(delta / np.timedelta64(1, "s"))
    for unit, size in (("days", 86_400), ("hours", 3_600)):
        if seconds >= 2 * size:
            return f"{seconds // size} {unit}"
    return f"{seconds // 60} minutes"


def _check_created(
    table: Rows,
    name: str,
    created: npt.NDArray[np.datetime64],
    now: npt.NDArray[np.datetime64],
    now_is_day: npt.NDArray[np.bool_],
) -> None:
    """Refuse a lead created after ``now`` beyond :data:`CLOCK_SKEW`.

    A bare day (``"2024-06-02"``, a ``date``) reads as its midnight UTC, yet a CRM
    writes the day where the lead came in, and a user the day where they are; so
    a bare day is read as any moment of it in any time zone. A ``created_at`` day
    is refused once it has begun nowhere at ``now``; a ``created_at`` moment once
    ``now``'s day has ended everywhere; two bare days compare as days.
    """
    # Every refusal below is also this far ahead of the midnight reading: the rows
    # to look at one by one (leads of today east of UTC, or later on now's day).
    ahead = np.flatnonzero(created - now > CLOCK_SKEW)
    if not len(ahead):
        return
    values = table.column(name)
    for row in ahead.tolist():
        value = values[row]
        at = np.datetime_as_string(now[row], unit="D" if now_is_day[row] else "s")
        created_is_day = _is_day(value)
        if created_is_day and now_is_day[row]:
            if created[row].astype("datetime64[D]") <= now[row].astype("datetime64[D]"):
                continue
            day = np.datetime_as_string(created[row], unit="D")
            words = f"is the day {day}, after now ({at})"
        elif created_is_day:
            if created[row] - _AHEAD_MOST - now[row] <= CLOCK_SKEW:
                continue  # that day had begun somewhere: age 0
            day = np.datetime_as_string(created[row], unit="D")
            words = f"is the day {day}, which has begun nowhere at now ({at})"
        elif now_is_day[row]:
            end = now[row].astype("datetime64[D]") + np.timedelta64(1, "D") + _BEHIND_MOST
            if created[row] - end <= CLOCK_SKEW:
                continue  # still now's day somewhere: age 0
            when = np.datetime_as_string(created[row], unit="s")
            words = f"is {when} UTC, after the day {at} has ended everywhere"
        else:
            when = np.datetime_as_string(created[row], unit="s")
            gap = _span(created[row] - now[row])
            skew = int(CLOCK_SKEW / np.timedelta64(1, "m"))
            words = (
                f"is {when} UTC, {gap} after now ({at} UTC; up to {skew} minutes ahead is "
                "taken as clock skew, and a time without a zone is read as UTC)"
            )
        raise InputError(
            f"{table.who(row)}: {name!r} {words}; a lead cannot be created in the future, "
            f"got {value!r}",
            row=row,
            field=name,
            value=value,
        )


def _source_points(table: Rows, rules: SourceRules, name: str) -> FloatArray:
    lookup = {name_key(k): v for k, v in rules.points.items()}
    values = table.column(name)
    out = np.full(table.n, rules.default)
    for row, value in enumerate(values):
        if is_missing(value):
            continue
        if not isinstance(value, str):
            raise table.error(row, name, "must be text (the lead source)", value)
        out[row] = lookup.get(name_key(value), rules.default)
    return out


def _speed_points(table: Rows, rules: ResponseSpeedRules, name: str) -> FloatArray:
    minutes = _numbers(table, name)
    limits = np.array(sorted(rules.within_minutes))
    points = np.array([rules.within_minutes[k] for k in sorted(rules.within_minutes)])
    points = np.append(points, rules.otherwise)
    # The smallest threshold >= minutes: index len(limits) means slower than all.
    step = np.searchsorted(limits, np.nan_to_num(minutes), side="left")
    return np.where(np.isnan(minutes), rules.missing, points[step])


def _event_counts(value: Any) -> Mapping[Any, Any]:
    if isinstance(value, Mapping):
        return value
    if isinstance(value, Sequence | np.ndarray) and not isinstance(value, str | bytes):
        return Counter(value)
    raise TypeError(type(value).__name__)


def _engagement_points(table: Rows, rules: EngagementRules, fields: FieldNames) -> FloatArray:
    lookup = {name_key(k): v for k, v in rules.points.items()}
    if not table.has(fields.events):
        columns = {event: fields.event_prefix + event for event in rules.points}
        present = {e: c for e, c in columns.items() if table.has(c)}
        if not present and table.n:
            raise InputError(
                f"missing field {fields.events!r}: records have neither an events field nor "
                f"any event column ({', '.join(repr(c) for c in columns.values())})",
                field=fields.events,
            )
        out = np.zeros(table.n)
        for event, column in present.items():
            out += rules.points[event] * np.nan_to_num(_numbers(table, column, required=False))
        return out
    name = fields.events
    out = np.zeros(table.n)
    resolved: dict[str, float | None] = {}  # event name as written -> points (None: unknown)
    for row, value in enumerate(table.column(name)):
        if type(value) is not dict:
            if is_missing(value):
                continue
            try:
                value = _event_counts(value)
            except TypeError:
                raise table.error(
                    row, name, "must be a dict of event -> count or a list of events", value
                ) from None
        total = 0.0
        for event, count in value.items():
            points = resolved.get(event, _ABSENT) if isinstance(event, str) else _ABSENT
            if points is _ABSENT:
                if not isinstance(event, str):
                    raise table.error(row, name, "event names must be text", event)
                points = resolved[event] = lookup.get(name_key(event))
            if not (_is_count(count) and count >= 0 and math.isfinite(count)):
                raise table.error(row, f"{name}.{event}", "must be a count >= 0", count)
            if points is None:
                if rules.unknown_events == "error":
                    known = ", ".join(rules.points)
                    raise table.error(row, name, f"has an unknown event (known: {known})", event)
                continue
            total += points * count
        out[row] = total
    return out


def _purchase_points(table: Rows, rules: PurchaseHistoryRules, fields: FieldNames) -> FloatArray:
    out = np.zeros(table.n)
    if rules.per_purchase != 0:
        out += rules.per_purchase * np.nan_to_num(_numbers(table, fields.purchases))
    if rules.per_spend != 0:
        spend = np.nan_to_num(_numbers(table, fields.spend))
        out += rules.per_spend * spend / rules.spend_unit
    return out


def _contact_points(
    table: Rows, rules: ContactFrequencyRules, name: str, now: npt.NDArray[np.datetime64]
) -> FloatArray:
    values = table.column(name)
    if values.dtype.kind in "iuf" or {type(v) for v in values} <= _PLAIN_NUMBERS:
        return rules.per_contact * np.nan_to_num(_numbers(table, name))
    counts = np.zeros(table.n)
    window = rules.window_days * _DAY.astype(np.float64)
    for row, value in enumerate(values):
        if is_missing(value):
            continue
        if is_number(value):
            if not (math.isfinite(value) and value >= 0):
                raise table.error(row, name, "must be a count >= 0 or a list of timestamps", value)
            counts[row] = float(value)
            continue
        if not isinstance(value, Sequence | np.ndarray) or isinstance(value, str | bytes):
            raise table.error(row, name, "must be a count >= 0 or a list of timestamps", value)
        try:
            stamps = np.array([read_time(v) for v in value], dtype="datetime64[us]")
        except InputError:
            raise table.error(row, name, f"timestamps {EXPECTED_TIME}", value) from None
        age = (now[row] - stamps).astype(np.float64)
        counts[row] = np.count_nonzero((age >= 0) & (age <= window))
    return rules.per_contact * counts


def rule_breakdown(
    records: Any,
    config: ConfigLike | None = None,
    *,
    now: Any = None,
) -> dict[str, FloatArray]:
    """Points per group per lead, after caps, and the points lost to decay.

    Parameters
    ----------
    records : list of dict or pandas.DataFrame
        One record per lead. Each record carries every field an enabled group
        reads (names from ``config.fields``); ``None`` (or NaN in a DataFrame)
        marks an unknown value: the source's ``default``, the response speed's
        ``missing`` points, no events, purchases or contacts. ``created_at`` is
        required when the config decays points. Fields:

        - ``source``: text.
        - ``response_minutes``: number >= 0.
        - ``events``: ``{event: count}`` or a list of event names; or, without an
          ``events`` field, one count column per configured event.
        - ``purchases`` (count) and ``spend`` (amount): numbers >= 0.
        - ``contacts``: a count in the window, or a list of timestamps.
        - ``created_at``: datetime, date, ISO 8601 text or datetime64; on or
          before ``now`` (see below).
        - ``id`` (optional, messages only): read by the id rule
          (:func:`fairlead.records.read_id`) when given; NaN or ``1.5`` is refused.
    config : RuleConfig, dict, JSON text or path, default DEFAULT_RULES
    now : datetime, ISO text, or a sequence of them (one per lead), optional
        When the leads are scored, for their age and the contact window. A
        sequence scores each lead at its own moment (e.g. when it was assigned,
        to fit a calibrator on history). Default: the current time. Timezone-aware
        times are converted to UTC; naive ones are taken as UTC. A lead created up
        to :data:`CLOCK_SKEW` (15 minutes) after ``now`` counts as age 0 (the CRM's
        clock runs a little ahead); later is refused. A bare day (no time of day),
        as ``created_at`` or as ``now``, may be that day in any time zone: a lead
        is refused only when it is later under every such reading (two bare days
        compare as days).

    Returns
    -------
    dict of str to ndarray
        Keys ``source``, ``response_speed``, ``engagement``, ``purchase_history``,
        ``contact_frequency`` (0 for a disabled group) and ``decay`` (points
        removed by age, <= 0 for a positive total). They sum to
        :func:`rule_points`.

    Raises
    ------
    InputError
        A ``ValueError`` naming the lead (id and row), the field and the value: a
        bad value, an id the id rule refuses, or a lead created after ``now``.

    Examples
    --------
    >>> leads = [
    ...     {"id": "l-1", "source": "referral", "response_minutes": 3,
    ...      "events": {"demo_request": 1, "email_open": 4}, "purchases": 0, "spend": 0,
    ...      "contacts": 1, "created_at": "2024-05-01"},
    ... ]
    >>> parts = rule_breakdown(leads, now="2024-05-10")
    >>> {k: round(float(v[0]), 2) for k, v in parts.items()}  # doctest: +NORMALIZE_WHITESPACE
    {'source': 30.0, 'response_speed': 20.0, 'engagement': 33.0, 'purchase_history': 0.0,
     'contact_frequency': 5.0, 'decay': -8.8}
    """
    cfg = DEFAULT_RULES if config is None else RuleConfig.coerce(config)
    fields = cfg.fields
    table = Rows(records, id_field=fields.id)
    _check_ids(table, fields.id)
    needs_now = cfg.decay is not None or cfg.contact_frequency is not None
    if needs_now:
        when, now_is_day = _reference_times(now, table.n)
    else:
        when, now_is_day = np.empty(0, dtype="datetime64[us]"), np.empty(0, dtype=np.bool_)

    raw: dict[str, FloatArray] = {}
    if cfg.source is not None:
        raw["source"] = _source_points(table, cfg.source, fields.source)
    if cfg.response_speed is not None:
        raw["response_speed"] = _speed_points(table, cfg.response_speed, fields.response_minutes)
    if cfg.engagement is not None:
        raw["engagement"] = _engagement_points(table, cfg.engagement, fields)
    if cfg.purchase_history is not None:
        raw["purchase_history"] = _purchase_points(table, cfg.purchase_history, fields)
    if cfg.contact_frequency is not None:
        raw["contact_frequency"] = _contact_points(
            table, cfg.contact_frequency, fields.contacts, when
        )

    parts: dict[str, FloatArray] = {}
    for group in GROUPS:
        points = raw.get(group, np.zeros(table.n))
        cap = getattr(cfg, group).cap if group in raw else None
        parts[group] = points if cap is None else np.minimum(points, cap)
    total = np.sum([parts[g] for g in GROUPS], axis=0) if table.n else np.zeros(0)

    if cfg.decay is None:
        parts["decay"] = np.zeros(table.n)
    else:
        created = table.times(fields.created_at)
        missing = np.isnat(created)
        if missing.any():
            row = int(np.flatnonzero(missing)[0])
            raise table.error(row, fields.created_at, "is required to decay points with age", None)
        _check_created(table, fields.created_at, created, when, now_is_day)
        age = np.maximum((when - created) / _DAY, 0.0)
        parts["decay"] = total * (cfg.decay.factor(age) - 1.0)
    return parts


def rule_points(
    records: Any,
    config: ConfigLike | None = None,
    *,
    now: Any = None,
) -> FloatArray:
    """Total points per lead: the sum of :func:`rule_breakdown`.

    Examples
    --------
    >>> rule_points([{"source": "website", "response_minutes": None, "events": None,
    ...               "purchases": 1, "spend": 450.0, "contacts": 0,
    ...               "created_at": "2024-05-01T12:00:00Z"}], now="2024-05-02")
    array([34.5])
    """
    parts = rule_breakdown(records, config, now=now)
    return np.asarray(np.sum(list(parts.values()), axis=0), dtype=np.float64).reshape(-1)


def rule_tiers(points: npt.ArrayLike, tiers: TierThresholds) -> npt.NDArray[np.str_]:
    """``"hot"`` where points >= ``tiers.hot``, ``"warm"`` where >= ``tiers.warm``, else ``"cold"``.

    Examples
    --------
    >>> rule_tiers([75, 60, 59.5, 30, 0], TierThresholds(hot=60, warm=30)).tolist()
    ['hot', 'hot', 'warm', 'warm', 'cold']
    """
    p = np.asarray(points, dtype=np.float64)
    return np.where(p >= tiers.hot, "hot", np.where(p >= tiers.warm, "warm", "cold"))
