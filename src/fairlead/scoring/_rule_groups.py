"""The point groups of rule scoring, as data: what earns points, decay, tiers, field names.

Each group (:class:`SourceRules`, :class:`ResponseSpeedRules`,
:class:`EngagementRules`, :class:`PurchaseHistoryRules`,
:class:`ContactFrequencyRules`) says how many points one kind of fact about a lead
earns and may cap them; :class:`WindowDecay` / :class:`PercentDecay` shrink points
with age; :class:`TierThresholds` cut points into tiers; :class:`FieldNames` say
where each fact lives in a record. :class:`fairlead.scoring.RuleConfig` holds them.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal, Self

import numpy as np
from pydantic import ConfigDict, Field, field_validator, model_validator

from fairlead.records import InputModel, label_key
from fairlead.scoring._calibration import FloatArray

GROUPS = ("source", "response_speed", "engagement", "purchase_history", "contact_frequency")
"""The point groups, in the order :func:`rule_breakdown` reports them."""

GROUP_CONFIG = ConfigDict(extra="forbid", frozen=True)

# Points may be negative (a penalty, e.g. for a purchased list) but not a boolean or text.
Points = Annotated[float, Field(strict=True, allow_inf_nan=False)]
Cap = Annotated[float, Field(strict=True, ge=0.0, allow_inf_nan=False)]
Positive = Annotated[float, Field(strict=True, gt=0.0, allow_inf_nan=False)]
Minutes = Annotated[float, Field(ge=0.0, allow_inf_nan=False)]


def name_key(name: str) -> str:
    """How sources and event names are matched: by the label rule of the input layer.

    Case, outer and doubled spaces and Unicode width do not matter
    (:func:`fairlead.records.label_key`).
    """
    return label_key(name)


def _check_names(points: dict[str, float], what: str) -> dict[str, float]:
    seen: dict[str, str] = {}
    for name in points:
        key = name_key(name)
        if not key:
            raise ValueError(f"{what} names must not be empty, got {name!r}")
        if key in seen:
            raise ValueError(
                f"{what} names {seen[key]!r} and {name!r} are the same (names ignore case, "
                "spacing and Unicode width)"
            )
        seen[key] = name
    return points


class SourceRules(InputModel):
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

    model_config = GROUP_CONFIG
    input_kind: ClassVar[str] = "source rules"

    points: dict[str, Points] = Field(default_factory=dict)
    default: Points = 0.0
    cap: Cap | None = None

    @field_validator("points")
    @classmethod
    def _names(cls, value: dict[str, float]) -> dict[str, float]:
        return _check_names(value, "source")


class ResponseSpeedRules(InputModel):
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

    model_config = GROUP_CONFIG
    input_kind: ClassVar[str] = "response speed rules"

    within_minutes: dict[Minutes, Points] = Field(min_length=1)
    otherwise: Points = 0.0
    missing: Points = 0.0
    cap: Cap | None = None


class EngagementRules(InputModel):
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

    model_config = GROUP_CONFIG
    input_kind: ClassVar[str] = "engagement rules"

    points: dict[str, Points] = Field(min_length=1)
    unknown_events: Literal["ignore", "error"] = "ignore"
    cap: Cap | None = None

    @field_validator("points")
    @classmethod
    def _names(cls, value: dict[str, float]) -> dict[str, float]:
        return _check_names(value, "event")


class PurchaseHistoryRules(InputModel):
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

    model_config = GROUP_CONFIG
    input_kind: ClassVar[str] = "purchase history rules"

    per_purchase: Points = 0.0
    per_spend: Points = 0.0
    spend_unit: Positive = 1.0
    cap: Cap | None = None


class ContactFrequencyRules(InputModel):
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

    model_config = GROUP_CONFIG
    input_kind: ClassVar[str] = "contact frequency rules"

    per_contact: Points
    window_days: Positive = 30.0
    cap: Cap | None = None


class WindowDecay(InputModel):
    """Decay by time window: full points until ``days`` old, 0 once strictly older.

    Examples
    --------
    >>> WindowDecay(days=90).factor(np.array([0.0, 90.0, 90.5])).tolist()
    [1.0, 1.0, 0.0]
    """

    model_config = GROUP_CONFIG
    input_kind: ClassVar[str] = "window decay"

    kind: Literal["window"] = "window"
    days: Positive

    def factor(self, age_days: FloatArray) -> FloatArray:
        """Multiplier of the points of leads ``age_days`` old."""
        return np.where(age_days > self.days, 0.0, 1.0)


class PercentDecay(InputModel):
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

    model_config = GROUP_CONFIG
    input_kind: ClassVar[str] = "percent decay"

    kind: Literal["percent"] = "percent"
    percent: Annotated[float, Field(strict=True, gt=0.0, le=100.0, allow_inf_nan=False)]
    every_days: Positive

    def factor(self, age_days: FloatArray) -> FloatArray:
        """Multiplier of the points of leads ``age_days`` old."""
        steps = np.floor(age_days / self.every_days)
        return np.asarray((1.0 - self.percent / 100.0) ** steps, dtype=np.float64)


Decay = Annotated[WindowDecay | PercentDecay, Field(discriminator="kind")]


class TierThresholds(InputModel):
    """Points thresholds of the tiers: ``hot`` if points >= ``hot``, else ``warm`` if >= ``warm``.

    ``hot`` must be greater than ``warm``.
    """

    model_config = GROUP_CONFIG
    input_kind: ClassVar[str] = "tier thresholds"

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


class FieldNames(InputModel):
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

    model_config = GROUP_CONFIG
    input_kind: ClassVar[str] = "field names"

    id: str = "id"
    source: str = "source"
    response_minutes: str = "response_minutes"
    events: str = "events"
    purchases: str = "purchases"
    spend: str = "spend"
    contacts: str = "contacts"
    created_at: str = "created_at"
    event_prefix: str = ""
