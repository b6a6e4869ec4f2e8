"""Points-based lead scoring that a sales ops person configures (HubSpot / Marketo style).

A :class:`RuleConfig` gives points for what is known about a lead, in five groups:

========================  ===========================================================
group                     points for
========================  ===========================================================
``source``                where the lead came from (referral above a cold list)
``response_speed``        how fast the lead answered the first contact
``engagement``            interest events: pricing page views, demo requests, opens
``purchase_history``      past purchases (count and/or total spend) of a known client
``contact_frequency``     inbound contacts in the last ``window_days`` days
========================  ===========================================================

Each group may be capped. The sum then decays with the lead's age (a time window,
or a compounding percentage per interval) and maps to a tier: hot, warm or cold.
:class:`RuleScorer` adds a calibrator learned on past outcomes, which turns points
into a conversion probability.

The algorithm lives in :func:`rule_breakdown`; :func:`rule_points` sums it and
:func:`rule_tiers` cuts points into tiers.
"""

from __future__ import annotations

import copy
import json
import math
import os
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any, Literal, Self

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from fairlead.records import InputError
from fairlead.scoring._calibration import (
    Calibrator,
    FloatArray,
    IsotonicCalibrator,
    NotFittedError,
    PlattCalibrator,
)
from fairlead.scoring._params import ParamsMixin

__all__ = [
    "DEFAULT_RULES",
    "GROUPS",
    "ContactFrequencyRules",
    "EngagementRules",
    "FieldNames",
    "PercentDecay",
    "PurchaseHistoryRules",
    "ResponseSpeedRules",
    "RuleConfig",
    "RuleScorer",
    "SourceRules",
    "TierThresholds",
    "WindowDecay",
    "rule_breakdown",
    "rule_points",
    "rule_tiers",
]

GROUPS = ("source", "response_speed", "engagement", "purchase_history", "contact_frequency")
"""The point groups, in the order :func:`rule_breakdown` reports them."""

_CONFIG = ConfigDict(extra="forbid", frozen=True)

# Points may be negative (a penalty, e.g. for a purchased list) but not a boolean or text.
Points = Annotated[float, Field(strict=True, allow_inf_nan=False)]
Cap = Annotated[float, Field(strict=True, ge=0.0, allow_inf_nan=False)]
Positive = Annotated[float, Field(strict=True, gt=0.0, allow_inf_nan=False)]
Minutes = Annotated[float, Field(ge=0.0, allow_inf_nan=False)]


def _key(name: str) -> str:
    """How sources and event names are matched: case-insensitive, outer spaces ignored."""
    return name.strip().casefold()


def _check_names(points: dict[str, float], what: str) -> dict[str, float]:
    seen: dict[str, str] = {}
    for name in points:
        key = _key(name)
        if not key:
            raise ValueError(f"{what} names must not be empty, got {name!r}")
        if key in seen:
            raise ValueError(
                f"{what} names {seen[key]!r} and {name!r} are the same (names ignore case)"
            )
        seen[key] = name
    return points


class SourceRules(BaseModel):
    """Points by lead source.

    Parameters
    ----------
    points : dict of str to float
        Points per source, e.g. ``{"referral": 30, "cold_list": 0}``. Matched
        case-insensitively.
    default : float, default 0
        Points for a source not listed, or unknown (``None``).
    cap : float, optional
        Most points this group may give (``>= 0``).
    """

    model_config = _CONFIG

    points: dict[str, Points] = Field(default_factory=dict)
    default: Points = 0.0
    cap: Cap | None = None

    @field_validator("points")
    @classmethod
    def _names(cls, value: dict[str, float]) -> dict[str, float]:
        return _check_names(value, "source")


class ResponseSpeedRules(BaseModel):
    """Points by how many minutes the lead took to answer the first contact.

    Parameters
    ----------
    within_minutes : dict of float to float
        ``{minutes: points}``: an answer within ``minutes`` (inclusive) earns
        ``points``; the smallest threshold that holds wins. E.g.
        ``{5: 20, 60: 10, 1440: 5}``.
    otherwise : float, default 0
        Points for an answer slower than every threshold.
    missing : float, default 0
        Points when the lead has not answered (``None``).
    cap : float, optional
        Most points this group may give.
    """

    model_config = _CONFIG

    within_minutes: dict[Minutes, Points] = Field(min_length=1)
    otherwise: Points = 0.0
    missing: Points = 0.0
    cap: Cap | None = None


class EngagementRules(BaseModel):
    """Points per interest event, times how often it happened.

    Parameters
    ----------
    points : dict of str to float
        Points per event, e.g. ``{"demo_request": 25, "pricing_page_view": 10,
        "email_open": 2}``. Matched case-insensitively.
    unknown_events : {"ignore", "error"}, default "ignore"
        What an event name not in ``points`` does: earns nothing, or raises
        (to catch typos between the CRM and the config).
    cap : float, optional
        Most points this group may give.
    """

    model_config = _CONFIG

    points: dict[str, Points] = Field(min_length=1)
    unknown_events: Literal["ignore", "error"] = "ignore"
    cap: Cap | None = None

    @field_validator("points")
    @classmethod
    def _names(cls, value: dict[str, float]) -> dict[str, float]:
        return _check_names(value, "event")


class PurchaseHistoryRules(BaseModel):
    """Points for a known client's past purchases.

    Parameters
    ----------
    per_purchase : float, default 0
        Points per past purchase (field ``purchases``, a count).
    per_spend : float, default 0
        Points per ``spend_unit`` of total past spend (field ``spend``), pro rata.
    spend_unit : float, default 1
        Currency amount that earns ``per_spend`` points, e.g. 100.
    cap : float, optional
        Most points this group may give.

    A field is read only when its rate is not 0.
    """

    model_config = _CONFIG

    per_purchase: Points = 0.0
    per_spend: Points = 0.0
    spend_unit: Positive = 1.0
    cap: Cap | None = None


class ContactFrequencyRules(BaseModel):
    """Points per inbound contact (call, chat, e-mail from the lead) in a recent window.

    Parameters
    ----------
    per_contact : float
        Points per contact.
    window_days : float, default 30
        Contacts given as timestamps count when at most this many days before
        ``now`` (and not after it). A number in the ``contacts`` field is taken
        as the count in the window already.
    cap : float, optional
        Most points this group may give.
    """

    model_config = _CONFIG

    per_contact: Points
    window_days: Positive = 30.0
    cap: Cap | None = None


class WindowDecay(BaseModel):
    """Decay by time window: full points until ``days`` old, 0 once strictly older.

    Examples
    --------
    >>> WindowDecay(days=90).factor(np.array([0.0, 90.0, 90.5])).tolist()
    [1.0, 1.0, 0.0]
    """

    model_config = _CONFIG

    kind: Literal["window"] = "window"
    days: Positive

    def factor(self, age_days: FloatArray) -> FloatArray:
        """Multiplier of the points of leads ``age_days`` old."""
        return np.where(age_days > self.days, 0.0, 1.0)


class PercentDecay(BaseModel):
    """Decay by a percentage per interval, compounding, applied in whole steps.

    A lead ``age`` days old keeps ``(1 - percent / 100) ** floor(age / every_days)``
    of its points: with ``percent=10, every_days=7``, 100 points are 100 for the
    first week, 90 in the second, 81 in the third.

    Examples
    --------
    >>> d = PercentDecay(kind="percent", percent=10, every_days=7)
    >>> d.factor(np.array([6.9, 7.0, 15.0])).round(4).tolist()
    [1.0, 0.9, 0.81]
    """

    model_config = _CONFIG

    kind: Literal["percent"] = "percent"
    percent: Annotated[float, Field(strict=True, gt=0.0, le=100.0, allow_inf_nan=False)]
    every_days: Positive

    def factor(self, age_days: FloatArray) -> FloatArray:
        """Multiplier of the points of leads ``age_days`` old."""
        steps = np.floor(age_days / self.every_days)
        return np.asarray((1.0 - self.percent / 100.0) ** steps, dtype=np.float64)


Decay = Annotated[WindowDecay | PercentDecay, Field(discriminator="kind")]


class TierThresholds(BaseModel):
    """Points thresholds of the tiers: ``hot`` if points >= ``hot``, else ``warm`` if >= ``warm``.

    ``hot`` must be greater than ``warm``.
    """

    model_config = _CONFIG

    hot: Points
    warm: Points

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if not self.hot > self.warm:
            raise ValueError(
                f"the hot threshold ({self.hot:g}) must be greater than the warm one "
                f"({self.warm:g})"
            )
        return self


class FieldNames(BaseModel):
    """Where each input lives in a lead record (dict key or DataFrame column).

    Parameters
    ----------
    id : str, default "id"
        Lead id, used in error messages only (optional in records).
    source, response_minutes, events, purchases, spend, contacts, created_at : str
        Field names, by default the parameter names.
    event_prefix : str, default ""
        When records have no ``events`` field, each configured event is read
        from its own column (count), named ``event_prefix + event``.
    """

    model_config = _CONFIG

    id: str = "id"
    source: str = "source"
    response_minutes: str = "response_minutes"
    events: str = "events"
    purchases: str = "purchases"
    spend: str = "spend"
    contacts: str = "contacts"
    created_at: str = "created_at"
    event_prefix: str = ""


class RuleConfig(BaseModel):
    """A complete points-scoring setup: groups, caps, decay, tiers and field names.

    Every group is optional (``None`` = not scored, its fields are not read).
    Build one from keyword arguments, :meth:`from_dict`, :meth:`from_json` (text
    or a file), or take :data:`DEFAULT_RULES` and change it with
    ``model_copy(update=...)``. Instances are immutable.

    Parameters
    ----------
    source : SourceRules, optional
    response_speed : ResponseSpeedRules, optional
    engagement : EngagementRules, optional
    purchase_history : PurchaseHistoryRules, optional
    contact_frequency : ContactFrequencyRules, optional
    decay : WindowDecay or PercentDecay, optional
        Global decay of the summed points with the lead's age
        (``now - created_at``); a dict needs ``"kind": "window"`` or
        ``"kind": "percent"``. ``None``: points do not decay.
    tiers : TierThresholds, default hot >= 60, warm >= 30
    fields : FieldNames
        Names of the record fields.

    Examples
    --------
    >>> cfg = RuleConfig.from_json('''
    ... {"source": {"points": {"referral": 30, "website": 15}, "default": 5},
    ...  "response_speed": {"within_minutes": {"5": 20, "60": 10}, "cap": 20},
    ...  "decay": {"kind": "percent", "percent": 10, "every_days": 7},
    ...  "tiers": {"hot": 40, "warm": 20}}
    ... ''')
    >>> cfg.response_speed.within_minutes
    {5.0: 20.0, 60.0: 10.0}
    >>> RuleConfig.from_dict({"tiers": {"hot": 10, "warm": 10}})
    Traceback (most recent call last):
    ...
    fairlead.InputError: rule config 'tiers': the hot threshold (10) must be greater \
than the warm one (10)
    """

    model_config = _CONFIG

    source: SourceRules | None = None
    response_speed: ResponseSpeedRules | None = None
    engagement: EngagementRules | None = None
    purchase_history: PurchaseHistoryRules | None = None
    contact_frequency: ContactFrequencyRules | None = None
    decay: Decay | None = None
    tiers: TierThresholds = TierThresholds(hot=60.0, warm=30.0)
    fields: FieldNames = FieldNames()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RuleConfig:
        """Validate a plain dict (e.g. parsed YAML or JSON).

        Raises
        ------
        InputError
            A ``ValueError`` naming each bad key, what is wrong and the value.
        """
        if not isinstance(data, Mapping):
            raise InputError(f"rule config must be a dict, got {type(data).__name__}")
        try:
            return cls.model_validate(dict(data))
        except ValidationError as exc:
            raise _config_error(exc) from None

    @classmethod
    def from_json(cls, path_or_text: str | os.PathLike[str]) -> RuleConfig:
        """Read a config from JSON text (a string starting with ``{``) or a JSON file.

        Raises
        ------
        InputError
            If the file does not exist, the JSON does not parse (with line and
            column), or the config is invalid.
        """
        if isinstance(path_or_text, str) and path_or_text.lstrip().startswith("{"):
            text, where = path_or_text, "text"
        else:
            path = Path(path_or_text)
            if not path.is_file():
                raise InputError(
                    f"rule config {str(path_or_text)!r} is neither JSON text (starting with "
                    "'{') nor an existing file"
                )
            text, where = path.read_text(encoding="utf-8"), f"file {str(path)!r}"
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(
                f"rule config {where} is not valid JSON: {exc.msg} at line {exc.lineno}, "
                f"column {exc.colno}"
            ) from None
        if not isinstance(data, dict):
            raise InputError(f"rule config {where} must hold a JSON object, got {data!r}")
        return cls.from_dict(data)

    @classmethod
    def coerce(cls, config: RuleConfig | Mapping[str, Any] | str | os.PathLike[str]) -> RuleConfig:
        """A config from an instance, a dict, JSON text or a JSON file path."""
        if isinstance(config, RuleConfig):
            return config
        if isinstance(config, Mapping):
            return cls.from_dict(config)
        if isinstance(config, str | os.PathLike):
            return cls.from_json(config)
        raise InputError(
            "config must be a RuleConfig, a dict, JSON text or a path to a JSON file, "
            f"got {type(config).__name__}"
        )


def _config_error(exc: ValidationError) -> InputError:
    problems = []
    for error in exc.errors():
        loc = ".".join(str(part) for part in error["loc"] if part != "[key]")
        value = error.get("input")
        shown_input = f", got {value!r}"
        if error["type"] == "extra_forbidden":
            where = loc.rsplit(".", 1)
            known = _known_keys(where[0] if len(where) == 2 else "")
            hint = f" (known: {', '.join(known)})" if known else ""
            problems.append(f"rule config: unknown key {loc!r}{hint}")
            continue
        if error["type"] == "union_tag_not_found":
            problems.append(
                f"rule config {loc!r}: needs a 'kind', one of 'window' or 'percent'{shown_input}"
            )
            continue
        message = str(error["msg"])
        if message.startswith("Value error, "):
            message = message[len("Value error, ") :]
        shown = "" if isinstance(value, Mapping) else f", got {value!r}"
        problems.append(f"rule config {loc!r}: {message}{shown}" if loc else message + shown)
    first = exc.errors()[0]
    return InputError(
        "; ".join(problems),
        field=".".join(str(part) for part in first["loc"]) or None,
        value=first.get("input"),
    )


def _known_keys(parent: str) -> list[str]:
    model: Any = RuleConfig
    for part in parent.split(".") if parent else []:
        info = model.model_fields.get(part)
        if info is None:
            return []
        candidates = [
            t
            for t in getattr(info.annotation, "__args__", (info.annotation,))
            if isinstance(t, type) and issubclass(t, BaseModel)
        ]
        if len(candidates) != 1:
            return []
        model = candidates[0]
    return list(model.model_fields)


DEFAULT_RULES = RuleConfig(
    source=SourceRules(
        points={
            "referral": 30.0,
            "website": 20.0,
            "partner": 20.0,
            "webinar": 15.0,
            "social": 10.0,
            "paid_ads": 10.0,
            "email_campaign": 5.0,
            "cold_call": 0.0,
            "purchased_list": 0.0,
        },
        default=5.0,
        cap=30.0,
    ),
    response_speed=ResponseSpeedRules(
        within_minutes={5.0: 20.0, 60.0: 10.0, 1440.0: 5.0}, otherwise=0.0, missing=0.0, cap=20.0
    ),
    engagement=EngagementRules(
        points={
            "demo_request": 25.0,
            "form_submit": 15.0,
            "pricing_page_view": 10.0,
            "email_click": 5.0,
            "email_open": 2.0,
            "site_visit": 1.0,
        },
        cap=40.0,
    ),
    purchase_history=PurchaseHistoryRules(
        per_purchase=10.0, per_spend=1.0, spend_unit=100.0, cap=20.0
    ),
    contact_frequency=ContactFrequencyRules(per_contact=5.0, window_days=30.0, cap=15.0),
    decay=PercentDecay(kind="percent", percent=10.0, every_days=7.0),
    tiers=TierThresholds(hot=60.0, warm=30.0),
)
"""Rules for a typical B2C sales team (consumer loans, insurance, courses, subscriptions).

- source (cap 30): referral 30; website and partner 20; webinar 15; social and
  paid ads 10; e-mail campaign 5; cold call and purchased list 0; anything else 5.
- response speed (cap 20): answered within 5 minutes 20, within an hour 10,
  within a day 5, later or never 0 — in B2C, speed to lead matters most.
- engagement (cap 40): demo request 25, form submit 15, pricing page view 10,
  e-mail click 5, e-mail open 2, site visit 1, per event.
- purchase history (cap 20): 10 per past purchase plus 1 per 100 spent.
- contact frequency (cap 15): 5 per inbound contact in the last 30 days.
- decay: -10 % per full week of age, compounding (consumer interest cools fast).
- tiers: hot from 60 points, warm from 30 (at most 125 points in all).
"""


# --- records ----------------------------------------------------------------------------------

_ABSENT = object()


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float | np.floating) and math.isnan(value):
        return True
    if isinstance(value, np.datetime64) and np.isnat(value):
        return True
    return type(value).__name__ in ("NaTType", "NAType")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(
        value, bool | np.bool_
    )


def _is_count(value: Any) -> bool:
    kind = type(value)
    return kind is int or kind is float or _is_number(value)


# Types whose values numpy converts to float64 exactly as we would (None -> nan).
_PLAIN_NUMBERS = frozenset({int, float, type(None), np.float64, np.float32, np.int64, np.int32})


class _Records:
    """Column access over a list of dict records or a pandas DataFrame, with lead names."""

    def __init__(self, records: Any, id_field: str) -> None:
        self._id_field = id_field
        if hasattr(records, "columns") and hasattr(records, "to_dict"):
            self.frame: Any = records
            self.rows: list[Mapping[str, Any]] | None = None
            self.n = len(records)
            self._keys = {str(c) for c in records.columns}
            return
        if isinstance(records, Mapping | str | bytes) or not isinstance(records, Sequence):
            raise InputError(
                f"records must be a list of dicts or a DataFrame, got {type(records).__name__}"
            )
        self.frame = None
        self.rows = list(records)
        self.n = len(self.rows)
        self._keys = set()
        for row, item in enumerate(self.rows):
            if not isinstance(item, Mapping):
                raise InputError(
                    f"lead row {row} must be a dict, got {type(item).__name__}", row=row
                )
            self._keys.update(item.keys())

    def has(self, name: str) -> bool:
        """Whether any record carries the field."""
        return name in self._keys

    def who(self, row: int) -> str:
        """``lead 'l-3' (row 3)``, or ``lead row 3`` when the record has no id."""
        ident: Any = None
        if self.rows is not None:
            ident = self.rows[row].get(self._id_field)
        elif self.has(self._id_field):
            ident = self.frame[self._id_field].iloc[row]
        if ident is None or _is_missing(ident):
            return f"lead row {row}"
        return f"lead {str(ident)!r} (row {row})"

    def error(self, row: int, name: str, message: str, value: Any) -> InputError:
        return InputError(
            f"{self.who(row)}: {name!r} {message}, got {value!r}", row=row, field=name, value=value
        )

    def column(self, name: str, *, required: bool = True) -> np.ndarray[Any, Any]:
        """The field's values, one per lead; ``None`` where a record lacks it (if not required)."""
        if self.frame is not None:
            if name not in self._keys:
                if required:
                    columns = ", ".join(sorted(self._keys))
                    raise InputError(
                        f"missing field {name!r}: the DataFrame has no such column "
                        f"(columns: {columns})",
                        field=name,
                    )
                return np.full(self.n, None, dtype=object)
            return np.asarray(self.frame[name].to_numpy())
        assert self.rows is not None
        values = [r.get(name, _ABSENT) for r in self.rows]
        out = np.empty(self.n, dtype=object)
        for row, value in enumerate(values):
            if value is _ABSENT:
                if required:
                    raise InputError(
                        f"{self.who(row)}: missing field {name!r} (use None for an unknown value)",
                        row=row,
                        field=name,
                    )
                value = None
            out[row] = value
        return out


def _numbers(table: _Records, name: str, *, required: bool = True) -> FloatArray:
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
            if _is_missing(value):
                out[row] = np.nan
            elif _is_number(value):
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


def _timestamp(value: Any) -> datetime | None:
    """A naive UTC datetime from a datetime, date, ISO text or numpy datetime64."""
    if _is_missing(value):
        return None
    if isinstance(value, np.datetime64):
        value = value.astype("datetime64[us]").item()
    if isinstance(value, str):
        value = datetime.fromisoformat(value.strip())
    if isinstance(value, datetime):
        stamp: datetime = value
        if stamp.tzinfo is not None:
            stamp = stamp.astimezone(UTC).replace(tzinfo=None)
        return stamp
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    raise TypeError(type(value).__name__)


_EXPECTED_TIME = "must be a datetime, a date or ISO 8601 text"


def _times(table: _Records, name: str) -> npt.NDArray[np.datetime64]:
    """A field of timestamps as datetime64[us] (naive UTC); NaT where missing."""
    values = table.column(name)
    if values.dtype.kind == "M":
        return values.astype("datetime64[us]")
    stamps: list[datetime | None] = []
    for row, value in enumerate(values):
        try:
            stamps.append(_timestamp(value))
        except (TypeError, ValueError):
            raise table.error(row, name, _EXPECTED_TIME, value) from None
    return np.array(stamps, dtype="datetime64[us]")


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
            stamp = _timestamp(value)
        except (TypeError, ValueError):
            stamp = None
        if stamp is None:
            where = f" (item {k})" if many else ""
            raise InputError(
                f"now{where} {_EXPECTED_TIME}, got {value!r}", field="now", value=value
            )
        stamps.append(stamp)
    out = np.array(stamps, dtype="datetime64[us]")
    if not many:
        return np.full(n, out[0])
    if out.size != n:
        raise InputError(f"now has {out.size} times for {n} leads; give one, or one per lead")
    return out


_DAY = np.timedelta64(86_400_000_000, "us")


def _source_points(table: _Records, rules: SourceRules, name: str) -> FloatArray:
    lookup = {_key(k): v for k, v in rules.points.items()}
    values = table.column(name)
    out = np.full(table.n, rules.default)
    for row, value in enumerate(values):
        if _is_missing(value):
            continue
        if not isinstance(value, str):
            raise table.error(row, name, "must be text (the lead source)", value)
        out[row] = lookup.get(_key(value), rules.default)
    return out


def _speed_points(table: _Records, rules: ResponseSpeedRules, name: str) -> FloatArray:
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


def _engagement_points(table: _Records, rules: EngagementRules, fields: FieldNames) -> FloatArray:
    lookup = {_key(k): v for k, v in rules.points.items()}
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
            if _is_missing(value):
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
                points = resolved[event] = lookup.get(_key(event))
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


def _purchase_points(
    table: _Records, rules: PurchaseHistoryRules, fields: FieldNames
) -> FloatArray:
    out = np.zeros(table.n)
    if rules.per_purchase != 0:
        out += rules.per_purchase * np.nan_to_num(_numbers(table, fields.purchases))
    if rules.per_spend != 0:
        spend = np.nan_to_num(_numbers(table, fields.spend))
        out += rules.per_spend * spend / rules.spend_unit
    return out


def _contact_points(
    table: _Records, rules: ContactFrequencyRules, name: str, now: npt.NDArray[np.datetime64]
) -> FloatArray:
    values = table.column(name)
    if values.dtype.kind in "iuf" or {type(v) for v in values} <= _PLAIN_NUMBERS:
        return rules.per_contact * np.nan_to_num(_numbers(table, name))
    counts = np.zeros(table.n)
    window = rules.window_days * _DAY.astype(np.float64)
    for row, value in enumerate(values):
        if _is_missing(value):
            continue
        if _is_number(value):
            if not (math.isfinite(value) and value >= 0):
                raise table.error(row, name, "must be a count >= 0 or a list of timestamps", value)
            counts[row] = float(value)
            continue
        if not isinstance(value, Sequence | np.ndarray) or isinstance(value, str | bytes):
            raise table.error(row, name, "must be a count >= 0 or a list of timestamps", value)
        try:
            stamps = np.array([_timestamp(v) for v in value], dtype="datetime64[us]")
        except (TypeError, ValueError):
            raise table.error(row, name, f"timestamps {_EXPECTED_TIME}", value) from None
        age = (now[row] - stamps).astype(np.float64)
        counts[row] = np.count_nonzero((age >= 0) & (age <= window))
    return rules.per_contact * counts


def rule_breakdown(
    records: Any,
    config: RuleConfig | Mapping[str, Any] | str | os.PathLike[str] | None = None,
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
    table = _Records(records, fields.id)
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
        created = _times(table, fields.created_at)
        missing = np.isnat(created)
        if missing.any():
            row = int(np.flatnonzero(missing)[0])
            raise table.error(row, fields.created_at, "is required to decay points with age", None)
        age = np.maximum((when - created) / _DAY, 0.0)
        parts["decay"] = total * (cfg.decay.factor(age) - 1.0)
    return parts


def rule_points(
    records: Any,
    config: RuleConfig | Mapping[str, Any] | str | os.PathLike[str] | None = None,
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


# --- the estimator ----------------------------------------------------------------------------

ConfigLike = RuleConfig | Mapping[str, Any] | str | os.PathLike[str]


def _make_calibrator(spec: object) -> Calibrator:
    if isinstance(spec, str):
        if spec == "isotonic":
            return IsotonicCalibrator()
        if spec == "platt":
            return PlattCalibrator()
        raise ValueError(
            f"calibration must be 'isotonic', 'platt' or a calibrator object, got {spec!r}"
        )
    if isinstance(spec, Calibrator):
        return copy.deepcopy(spec)
    raise ValueError(
        "calibration must be 'isotonic', 'platt' or an object with fit(scores, y, "
        f"sample_weight) and predict(scores), got {type(spec).__name__}"
    )


class RuleScorer(ParamsMixin):
    """Points-based lead scoring from configured rules, calibrated to conversion on history.

    :meth:`points`, :meth:`breakdown` and :meth:`tier` apply the rules and need
    no fitting. :meth:`fit` learns, on past leads and their outcomes, how points
    map to a conversion probability; :meth:`predict_proba` then gives it for new
    leads.

    Parameters
    ----------
    config : RuleConfig, dict, JSON text or path, default DEFAULT_RULES
        The rules (see :class:`RuleConfig`).
    calibration : {"isotonic", "platt"} or calibrator, default "isotonic"
        How points become probabilities: :class:`IsotonicCalibrator` (monotone,
        no shape assumed; wants a few hundred outcomes), :class:`PlattCalibrator`
        (logistic in points; fine with fewer), or any object with
        ``fit(scores, y, sample_weight)`` and ``predict(scores)`` (copied at fit).

    Both are checked by :meth:`fit`; ``get_params`` / ``set_params`` work as in
    scikit-learn (so does ``sklearn.base.clone``).

    Attributes
    ----------
    config_ : RuleConfig
        The validated rules :meth:`fit` used; :meth:`predict_proba` scores with
        them (refit after changing ``config``).
    calibrator_ : Calibrator
        The fitted points -> probability map.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> leads = [
    ...     {"source": str(rng.choice(["referral", "website", "cold_call"])),
    ...      "response_minutes": float(rng.exponential(120)),
    ...      "events": {"pricing_page_view": int(rng.poisson(1))},
    ...      "purchases": 0, "spend": 0.0, "contacts": int(rng.poisson(0.5)),
    ...      "created_at": "2024-05-01"}
    ...     for _ in range(400)
    ... ]
    >>> scorer = RuleScorer(calibration="platt")
    >>> points = scorer.points(leads, now="2024-05-03")
    >>> y = (rng.random(400) < points / 100).astype(int)  # more points, more sales
    >>> p = scorer.fit(leads, y, now="2024-05-03").predict_proba(leads, now="2024-05-03")
    >>> bool(np.all(np.diff(p[np.argsort(points)]) >= 0))
    True
    >>> scorer.tier(leads[:3], now="2024-05-03").tolist()
    ['cold', 'hot', 'warm']
    """

    config_: RuleConfig
    calibrator_: Calibrator

    def __init__(
        self,
        *,
        config: ConfigLike = DEFAULT_RULES,
        calibration: Literal["isotonic", "platt"] | Calibrator = "isotonic",
    ) -> None:
        self.config = config
        self.calibration = calibration

    def __repr__(self) -> str:
        default = isinstance(self.config, RuleConfig) and self.config == DEFAULT_RULES
        shown = "DEFAULT_RULES" if default else "..."
        return f"RuleScorer(config={shown}, calibration={self.calibration!r})"

    def _rules(self) -> RuleConfig:
        return RuleConfig.coerce(self.config)

    def breakdown(self, records: Any, *, now: Any = None) -> dict[str, FloatArray]:
        """Points per group per lead and the decay, for explanations.

        See :func:`rule_breakdown`.
        """
        return rule_breakdown(records, self._rules(), now=now)

    def points(self, records: Any, *, now: Any = None) -> FloatArray:
        """Total points per lead, shape (n,)."""
        return rule_points(records, self._rules(), now=now)

    def tier(self, records: Any, *, now: Any = None) -> npt.NDArray[np.str_]:
        """``"hot"``, ``"warm"`` or ``"cold"`` per lead, from the points and the tier thresholds."""
        rules = self._rules()
        return rule_tiers(rule_points(records, rules, now=now), rules.tiers)

    def fit(
        self,
        records: Any,
        y: npt.ArrayLike,
        *,
        now: Any = None,
        sample_weight: npt.ArrayLike | None = None,
    ) -> Self:
        """Fit the calibrator on the points of past leads and their outcomes ``y`` (0/1).

        ``now`` should be when each lead was scored (one time, or one per lead),
        so that decay matches what the team saw.
        """
        rules = self._rules()
        calibrator = _make_calibrator(self.calibration)
        points = rule_points(records, rules, now=now)
        n_outcomes = int(np.shape(y)[0]) if np.ndim(y) else -1
        if np.ndim(y) != 1 or n_outcomes != points.size:
            raise ValueError(
                f"y must hold one outcome per lead: {points.size} leads, got shape {np.shape(y)}"
            )
        calibrator.fit(points, y, sample_weight)
        self.config_ = rules
        self.calibrator_ = calibrator
        return self

    def predict_proba(self, records: Any, *, now: Any = None) -> FloatArray:
        """Calibrated conversion probability per lead, shape (n,)."""
        if not hasattr(self, "calibrator_"):
            raise NotFittedError(
                "this RuleScorer is not fitted yet: call fit(records, y) with past outcomes "
                "first (points(), breakdown() and tier() work without fitting)"
            )
        points = rule_points(records, self.config_, now=now)
        return np.asarray(self.calibrator_.predict(points), dtype=np.float64)
