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
from datetime import UTC, datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from fairlead.records import (
    EXPECTED_TIME,
    InputError,
    Rows,
    is_missing,
    is_number,
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


def _reference_times(now: Any, n: int) -> npt.NDArray[np.datetime64]:
    """``now`` per lead as datetime64[us]: one moment for all, or one per lead."""
    if now is None:
        return np.full(n, np.datetime64(datetime.now(UTC).replace(tzinfo=None), "us"))
    many = isinstance(now, Sequence | np.ndarray) and not isinstance(now, str)
    if not many and hasattr(now, "to_numpy") and hasattr(now, "__len__"):
        many = True  # a pandas Series / Index
    items = list(now) if many else [now]
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
        return np.full(n, out[0])
    if out.size != n:
        raise InputError(f"now has {out.size} times for {n} leads; give one, or one per lead")
    return out


_DAY = np.timedelta64(86_400_000_000, "us")


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
        - ``created_at``: datetime, date, ISO 8601 text or datetime64.
    config : RuleConfig, dict, JSON text or path, default DEFAULT_RULES
    now : datetime, ISO text, or a sequence of them (one per lead), optional
        When the leads are scored, for their age and the contact window. A
        sequence scores each lead at its own moment (e.g. when it was assigned,
        to fit a calibrator on history). Default: the current time. Timezone-aware
        times are converted to UTC; naive ones are taken as UTC. A lead created
        after ``now`` counts as age 0.

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
        A ``ValueError`` naming the lead (id and row), the field and the value.

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
    needs_now = cfg.decay is not None or cfg.contact_frequency is not None
    when = _reference_times(now, table.n) if needs_now else np.empty(0, dtype="datetime64[us]")

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
