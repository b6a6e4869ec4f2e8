"""Domain records: Lead, Manager, Policy (pydantic v2), validated at the boundary."""

from __future__ import annotations

import enum
import math
import numbers
from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal, TypeVar

import numpy as np
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from fairlead.records._cells import is_number
from fairlead.records._errors import InputError, record_error, settings_error, warn_input
from fairlead.records._ids import MAX_ID_LENGTH, validate_id
from fairlead.records._labels import label_key, merge_labels, read_label
from fairlead.records._times import EXPECTED_TIME

_RECORD = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)

_EnumT = TypeVar("_EnumT", bound=enum.Enum)


def _member_by_key(kind: type[_EnumT], value: object) -> _EnumT | None:
    # The label rule for enum names: "Senior ", "SENIOR" and "senior" in full-width
    # letters are all Level.SENIOR (Enum calls this only when the exact value is not a member).
    if isinstance(value, str):
        key = label_key(value)
        for member in kind:
            if member.value == key:
                return member
    return None


class Level(enum.StrEnum):
    r"""Experience level of a manager, from least to most experienced.

    Read by the label rule (:func:`fairlead.records.label_key`): case, outer and
    doubled spaces and Unicode width do not matter.

    Examples
    --------
    >>> Level("Senior "), Level("\uff2a\uff35\uff2e\uff29\uff2f\uff32")  # full-width
    (<Level.SENIOR: 'senior'>, <Level.JUNIOR: 'junior'>)
    """

    TRAINEE = "trainee"
    JUNIOR = "junior"
    MIDDLE = "middle"
    SENIOR = "senior"

    @classmethod
    def _missing_(cls, value: object) -> Level | None:
        return _member_by_key(cls, value)

    @property
    def rank(self) -> int:
        """Position in the order trainee < junior < middle < senior."""
        return list(Level).index(self)


class Tier(enum.StrEnum):
    """How ready a lead is to buy; read by the label rule like :class:`Level`."""

    HOT = "hot"
    WARM = "warm"
    COLD = "cold"

    @classmethod
    def _missing_(cls, value: object) -> Tier | None:
        return _member_by_key(cls, value)


class InputModel(BaseModel):
    """A pydantic model of the input layer: constructing it raises :class:`InputError`.

    pydantic's own ``ValidationError`` (with its help links) becomes an
    :class:`InputError` naming ``input_kind``, the record's id (``input_id``, when the
    model has one), the field and the value. ``model_validate`` keeps raising
    ``ValidationError``: the readers of rows catch it and add the row.
    """

    input_kind: ClassVar[str] = "record"
    """How messages name the model, e.g. ``"policy"``."""
    input_id: ClassVar[str | None] = None
    """The field holding the record's id, for records that have one."""

    def __init__(self, /, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise self.input_error(exc, data) from None

    # Marks this __init__ as pydantic's own (as pydantic's RootModel does): validation
    # (model_validate, nested models) then does not route through it.
    __init__.__pydantic_base_init__ = True  # type: ignore[attr-defined]

    @classmethod
    def input_error(cls, exc: ValidationError, data: Mapping[str, Any]) -> InputError:
        """The :class:`InputError` of a failed construction from ``data``."""
        if cls.input_id is not None:
            return record_error(exc, cls.input_kind, data.get(cls.input_id))
        return settings_error(exc, cls.input_kind)


Id = Annotated[str, Field(min_length=1, max_length=MAX_ID_LENGTH), BeforeValidator(validate_id)]
"""A lead's or manager's id, read by the id rule (:func:`fairlead.records.read_id`)."""


def _not_bool(value: Any) -> Any:
    # pydantic's lax mode reads True as 1; a flag in a numeric column is a data error.
    if isinstance(value, bool | np.bool_):
        raise ValueError(f"must be a number, not a boolean ({value})")
    return value


def _text(value: Any) -> Any:
    # A finite number is read as text (a CSV column of codes), but NaN or an infinity
    # would become the text "nan" / "inf".
    if is_number(value) and not math.isfinite(value):
        raise ValueError("must be text (or a finite number read as text)")
    return value


def _label(value: Any) -> Any:
    # Text kept for display as given, outer whitespace trimmed (the label rule's form).
    return read_label(_text(value))


def _moment(value: Any) -> Any:
    # The time rule (fairlead.records.read_time): a datetime, a date or ISO text. A
    # number is no moment (seconds, days or milliseconds since when?), though pydantic
    # would read it as seconds since 1970.
    if isinstance(value, bool | np.bool_) or is_number(value):
        raise ValueError(EXPECTED_TIME + " (a number is no moment)")
    if isinstance(value, np.datetime64):
        return None if np.isnat(value) else value.astype("datetime64[us]").item()
    if isinstance(value, str):
        # ISO 8601 only: pydantic would read "12345" as seconds since 1970.
        text = value.strip()
        if not text:
            return None
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(EXPECTED_TIME) from None
    return value


def _factor(value: Any, where: str) -> None:
    if isinstance(value, bool | np.bool_):
        raise ValueError(f"{where} must be a number, not a boolean, got {value}")


class Lead(InputModel):
    """A lead waiting for a manager.

    Parameters
    ----------
    id : str
        Unique id (the CRM's lead id).
    score : float
        Probability in [0, 1] that the lead converts with an average manager.
    tier : Tier, optional
        hot / warm / cold; derived from ``score`` and the policy thresholds if absent.
    product : str, optional
        Product or line of business; with ``Policy.qualification_required`` only
        managers holding this skill may take the lead. Matched to skills by the
        label rule (:func:`fairlead.records.label_key`: case, spacing and Unicode
        width do not matter); kept as given, outer spaces trimmed. Blank: none.
    source, deal_value, created_at : optional
        Where the lead came from (a label, trimmed like ``product``), its expected
        deal size, when it arrived.
    effort : float, default 1.0
        Workload of the lead in units of an ordinary lead (a complex B2B lead may
        count 3), from 0.001 to 1000; managers' capacities are in the same units.
    segment : str, optional
        Segment label for a conversion model fitted on segments (default: the tier);
        matched to the model's segments by the label rule.
    features : dict, optional
        Features a conversion model reads (``ConversionModel.feature_names_``); in a
        DataFrame or CSV they are plain columns named like the model's features.

    Examples
    --------
    >>> from fairlead import Lead
    >>> Lead(id="l-1", score=0.7, product="mortgage").tier is None
    True
    >>> Lead(id="l-2", score=0.7, product=" Mortgage ").product_key
    'mortgage'
    """

    model_config = _RECORD
    input_kind: ClassVar[str] = "lead"
    input_id: ClassVar[str | None] = "id"

    id: Id
    score: float = Field(ge=0.0, le=1.0, allow_inf_nan=False)
    tier: Tier | None = None
    product: str | None = None
    source: str | None = None
    deal_value: float | None = Field(default=None, ge=0.0, allow_inf_nan=False)
    created_at: datetime | None = None
    # A thousandth of a lead at least: smaller workloads would fit any limit's rounding.
    effort: float = Field(default=1.0, ge=1e-3, le=1e3, allow_inf_nan=False)
    segment: str | None = None
    features: dict[str, float | str] = Field(default_factory=dict)

    _numbers = field_validator("score", "deal_value", "effort", mode="before")(_not_bool)
    _labels = field_validator("product", "source", "segment", mode="before")(_label)
    _created = field_validator("created_at", mode="before")(_moment)

    @property
    def product_key(self) -> str | None:
        """``product`` as the label rule compares it, or ``None``."""
        return None if self.product is None else label_key(self.product)

    @field_validator("features", mode="before")
    @classmethod
    def _finite_features(cls, value: Any) -> Any:
        # Without this a NaN would become the category "nan" (numbers may be read as
        # text), and a flag the number 1.
        if isinstance(value, dict):
            for name, feature in value.items():
                if isinstance(feature, bool | np.bool_):
                    raise ValueError(
                        f"feature {name!r} must be a number or text, not a boolean, got {feature}"
                    )
                if isinstance(feature, numbers.Real) and not math.isfinite(feature):
                    raise ValueError(f"feature {name!r} must be a finite number, got {feature}")
        return value


class Manager(InputModel):
    """A sales manager and what the CRM knows about their workload.

    Parameters
    ----------
    id : str
        Unique id (the CRM's user id).
    name : str, optional
        Display name.
    skills : set of str
        Products or certifications the manager may sell. A string is split on
        ``;``, ``,`` or ``|``. Skills match products by the label rule
        (:func:`fairlead.records.label_key`): two spellings of one skill
        (``"cards;Cards"``) are one skill, kept as first given.
    level : Level, default "middle"
        trainee, junior, middle or senior.
    max_active_leads : int
        How many open leads the manager can work at once.
    active_leads : int, default 0
        Open leads they already have. More than ``max_active_leads`` is accepted
        (the limit may have been lowered since) with an :class:`InputWarning`: the
        manager is over their limit and gets no new leads.
    portfolio_size : int, default 0
        Existing clients they serve; with ``Policy.portfolio_load`` these take
        capacity too.
    available : bool, default True
        False while on leave, sick or paused: no new leads.
    planned_touches : int, default 0
        Contacts with existing clients planned this period (see
        :func:`fairlead.scoring.touch_plan`); with ``Policy.touch_load`` they take
        capacity.
    performance : float, optional
        Performance index, 1.0 = team average (see
        :func:`fairlead.scoring.manager_performance`); used by
        ``Policy(target_share="performance")``.

    Examples
    --------
    >>> from fairlead import Manager
    >>> m = Manager(id="m-1", skills="mortgage; loans", level="senior", max_active_leads=30)
    >>> sorted(m.skills), m.level.rank
    (['loans', 'mortgage'], 3)
    >>> sorted(Manager(id="m-2", skills="Cards; cards ;LOANS", max_active_leads=5).skills)
    ['Cards', 'LOANS']
    """

    model_config = _RECORD
    input_kind: ClassVar[str] = "manager"
    input_id: ClassVar[str | None] = "id"

    id: Id
    name: str | None = None
    skills: frozenset[str] = frozenset()
    level: Level = Level.MIDDLE
    max_active_leads: int = Field(ge=0)
    active_leads: int = Field(default=0, ge=0)
    portfolio_size: int = Field(default=0, ge=0)
    available: bool = True
    planned_touches: int = Field(default=0, ge=0)
    performance: float | None = Field(default=None, ge=0.0, allow_inf_nan=False)

    _numbers = field_validator(
        "max_active_leads",
        "active_leads",
        "portfolio_size",
        "planned_touches",
        "performance",
        mode="before",
    )(_not_bool)
    _name = field_validator("name", mode="before")(_text)

    @field_validator("skills", mode="before")
    @classmethod
    def _split_skills(cls, value: Any) -> Any:
        if isinstance(value, str):
            for sep in ";|":
                value = value.replace(sep, ",")
            return merge_labels(value.split(","))
        if isinstance(value, list | tuple) and all(isinstance(s, str) for s in value):
            return merge_labels(value)  # in the order given: the first spelling stays
        return value

    @field_validator("skills")
    @classmethod
    def _one_spelling(cls, value: frozenset[str]) -> frozenset[str]:
        return merge_labels(value)

    @model_validator(mode="after")
    def _overloaded(self) -> Manager:
        if self.active_leads > self.max_active_leads:
            warn_input(
                f"manager {self.id!r}: active_leads ({self.active_leads}) exceeds "
                f"max_active_leads ({self.max_active_leads}); accepted as a manager over "
                "their limit, who gets no new leads"
            )
        return self

    @property
    def skill_keys(self) -> frozenset[str]:
        """``skills`` as the label rule compares them."""
        return frozenset(label_key(s) for s in self.skills)

    def has_skill(self, label: str) -> bool:
        """Whether the manager holds ``label``, by the label rule."""
        return label_key(label) in self.skill_keys

    @property
    def label(self) -> str:
        """``'id'`` or ``'id' (name)`` for messages."""
        return f"{self.id!r} ({self.name})" if self.name else repr(self.id)


def _refuse_doubled_keys(value: Any, what: str, where: str) -> None:
    """Refuse a mapping naming one tier or level twice (``"hot"`` and ``"HOT"``).

    pydantic would keep whichever came last, silently.
    """
    if not isinstance(value, Mapping):
        return
    seen: dict[str, Any] = {}
    for key in value:
        name = key.value if isinstance(key, enum.Enum) else key
        if not isinstance(name, str):
            continue  # not a name: the field's own type check refuses it
        norm = label_key(name)
        if norm in seen:
            raise ValueError(f"{where} names {what} {norm!r} twice ({seen[norm]!r} and {key!r})")
        seen[norm] = key


#: The parts of the managers' rating (``fairlead.kpi.rating``) and their default weights.
RATING_WEIGHTS: dict[str, float] = {"plan": 0.4, "conversion": 0.3, "response": 0.15, "csat": 0.15}


def _default_rating_weights() -> dict[str, float]:
    return dict(RATING_WEIGHTS)


def _read_rating_weights(value: Any) -> Any:
    """Rating weights with every part named by the label rule (0 for a part left out).

    Unknown or doubled names and booleans are refused, naming the part.
    """
    if not isinstance(value, Mapping):
        return value  # the field's type check refuses it
    _refuse_doubled_keys(value, "part", "rating_weights")
    weights: dict[Any, Any] = dict.fromkeys(RATING_WEIGHTS, 0.0)
    for key, weight in value.items():
        name = label_key(key) if isinstance(key, str) else key
        if name not in RATING_WEIGHTS:
            known = ", ".join(RATING_WEIGHTS)
            raise ValueError(f"rating_weights names an unknown part {key!r} (the parts: {known})")
        _factor(weight, f"rating_weights[{name!r}]")
        weights[name] = weight
    return weights


def _check_rating_weights(value: dict[str, float]) -> dict[str, float]:
    """Each weight finite and >= 0, and some weight above 0."""
    for name, weight in value.items():
        if not (math.isfinite(weight) and weight >= 0):
            raise ValueError(f"rating_weights[{name!r}] must be finite and >= 0, got {weight:g}")
    if not sum(value.values()) > 0:
        shown = ", ".join(f"{name} {weight:g}" for name, weight in value.items())
        raise ValueError(f"rating_weights must give some part a weight above 0, got {shown}")
    return value


def _default_level_factors() -> dict[Tier, dict[Level, float]]:
    return {
        Tier.HOT: {Level.TRAINEE: 0.5, Level.JUNIOR: 0.75, Level.MIDDLE: 1.0, Level.SENIOR: 1.25},
        Tier.WARM: {Level.TRAINEE: 0.8, Level.JUNIOR: 0.9, Level.MIDDLE: 1.0, Level.SENIOR: 1.1},
        Tier.COLD: {Level.TRAINEE: 1.0, Level.JUNIOR: 1.0, Level.MIDDLE: 1.0, Level.SENIOR: 1.0},
    }


class Policy(InputModel):
    """How a team wants its leads distributed.

    Parameters
    ----------
    target_share : {"capacity", "equal", "performance"}, default "capacity"
        Each manager's target share of the batch: proportional to free capacity,
        equal among available managers, or proportional to free capacity times
        the manager's ``performance`` ("better results, more leads"), never below
        ``performance_floor``; always capped by what each can take.
    performance_floor : float, default 0.5
        With ``target_share="performance"``, a manager's performance counts as at
        least this (1.0 = team average), so nobody's share collapses.
    performance_cap : float or None, default 2.0
        With ``target_share="performance"``, a manager's performance counts as at
        most this, so one star does not take the whole batch; at least
        ``performance_floor``. ``None``: no cap.
    balance_tolerance : float or None, default 0.2
        Each manager's count stays within ``±balance_tolerance`` of their target
        (0.2 = ±20 %). ``None`` drops the band: only capacity limits loads.
    qualification_required : bool, default True
        A lead with a ``product`` goes only to managers with that skill.
    hot_min_level : Level or None, default "middle"
        Hot leads go only to managers at or above this level.
    hot_threshold, warm_threshold : float
        Score thresholds of the hot and warm tiers, for leads without a tier.
    portfolio_load : float, default 0.0
        Capacity (in leads) each existing client of a manager takes.
    touch_load : float, default 0.25
        Capacity (in leads) each planned touch with an existing client takes.
    allow_unassigned : bool, default False
        Leave leads unassigned when capacity runs short (as many as possible
        are still placed) instead of failing.
    level_factors : dict
        Multiplier of a lead's score by tier and manager level: the value of a
        lead for a manager is ``min(1, score * level_factors[tier][level])``. All
        twelve factors, each finite and ``>= 0``; tiers and levels are read by the
        label rule (``"HOT"`` is ``"hot"``), and naming one twice is an error.
    seed : int, optional
        Seed for randomized methods (``weighted_random``), ``>= 0``.
    balance : {"hard", "soft"}, default "hard"
        A hard balance band must hold (or the plan is infeasible); a soft one may be
        left, each lead outside it costing ``balance_penalty`` of expected value.
    balance_penalty : float, default 1.0
        Price of one lead (one unit of workload) outside a soft balance band.
    hot_rule : {"hard", "soft"}, default "hard"
        Whether ``hot_min_level`` forbids hot leads to less experienced managers or
        only discourages them, at ``hot_penalty`` of expected value per such lead.
    hot_penalty : float, default 0.2
        Price of a hot lead given below ``hot_min_level`` under a soft rule.
    value_tolerance : float, optional
        Fairness by quality: each manager's expected value stays within
        ``±value_tolerance`` (relative) of their target share of the total value of
        the plan without this band. ``None``: no value band.
    effort_by_level : dict, optional
        Workload multiplier per level for weighted leads (``Lead.effort``), e.g.
        ``{"senior": 0.8}``: a senior works a complex lead faster. Missing levels: 1.
    objective : {"value", "maxmin"}, default "value"
        Maximize expected value, or first the smallest load / target ratio (max-min
        fairness) and then value.
    time_limit : float, optional
        Seconds the solver may take (CP-SAT, the LP method); default per method.
    rating_weights : dict, default plan 0.4, conversion 0.3, response 0.15, csat 0.15
        Weight of each part of the managers' rating (:func:`fairlead.kpi.rating`):
        ``plan`` (plan attainment), ``conversion``, ``response`` (first-contact
        time) and ``csat`` (client satisfaction). Each weight finite and ``>= 0``,
        their sum ``> 0``; a part left out weighs 0; names follow the label rule
        and another name is refused.

    The balance band is ``[floor(target (1 - t)), ceil(target (1 + t))]`` leads: it
    is rounded outward to whole leads, so with few leads it is wider than ``±t``.

    Examples
    --------
    >>> from fairlead import Policy
    >>> Policy(balance_tolerance=0.1, hot_min_level="senior").hot_min_level
    <Level.SENIOR: 'senior'>
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    input_kind: ClassVar[str] = "policy"

    target_share: Literal["capacity", "equal", "performance"] = "capacity"
    performance_floor: float = Field(default=0.5, ge=0.0, allow_inf_nan=False)
    performance_cap: float | None = Field(default=2.0, ge=0.0, allow_inf_nan=False)
    balance_tolerance: float | None = Field(default=0.2, ge=0.0, allow_inf_nan=False)
    qualification_required: bool = True
    hot_min_level: Level | None = Level.MIDDLE
    hot_threshold: float = Field(default=0.6, ge=0.0, le=1.0)
    warm_threshold: float = Field(default=0.3, ge=0.0, le=1.0)
    portfolio_load: float = Field(default=0.0, ge=0.0, allow_inf_nan=False)
    touch_load: float = Field(default=0.25, ge=0.0, allow_inf_nan=False)
    allow_unassigned: bool = False
    level_factors: dict[Tier, dict[Level, float]] = Field(default_factory=_default_level_factors)
    seed: int | None = Field(default=None, ge=0)
    balance: Literal["hard", "soft"] = "hard"
    balance_penalty: float = Field(default=1.0, ge=0.0, allow_inf_nan=False)
    hot_rule: Literal["hard", "soft"] = "hard"
    hot_penalty: float = Field(default=0.2, ge=0.0, allow_inf_nan=False)
    value_tolerance: float | None = Field(default=None, ge=0.0, allow_inf_nan=False)
    effort_by_level: dict[Level, float] | None = None
    objective: Literal["value", "maxmin"] = "value"
    time_limit: float | None = Field(default=None, gt=0.0, allow_inf_nan=False)
    rating_weights: dict[str, float] = Field(default_factory=_default_rating_weights)

    _numbers = field_validator(
        "performance_floor",
        "performance_cap",
        "balance_tolerance",
        "hot_threshold",
        "warm_threshold",
        "portfolio_load",
        "touch_load",
        "seed",
        "balance_penalty",
        "hot_penalty",
        "value_tolerance",
        "time_limit",
        mode="before",
    )(_not_bool)

    @field_validator("level_factors", mode="before")
    @classmethod
    def _one_name_per_tier(cls, value: Any) -> Any:
        _refuse_doubled_keys(value, "tier", "level_factors")
        if isinstance(value, Mapping):
            for tier, row in value.items():
                name = tier.value if isinstance(tier, enum.Enum) else tier
                _refuse_doubled_keys(row, "level", f"level_factors[{name!r}]")
                if isinstance(row, Mapping):
                    for level, factor in row.items():
                        shown = level.value if isinstance(level, enum.Enum) else level
                        _factor(factor, f"level_factors[{name!r}][{shown!r}]")
        return value

    @field_validator("effort_by_level", mode="before")
    @classmethod
    def _one_name_per_level(cls, value: Any) -> Any:
        _refuse_doubled_keys(value, "level", "effort_by_level")
        if isinstance(value, Mapping):
            for level, factor in value.items():
                shown = level.value if isinstance(level, enum.Enum) else level
                _factor(factor, f"effort_by_level[{shown!r}]")
        return value

    @field_validator("rating_weights", mode="before")
    @classmethod
    def _known_rating_parts(cls, value: Any) -> Any:
        return _read_rating_weights(value)

    @field_validator("rating_weights")
    @classmethod
    def _usable_rating_weights(cls, value: dict[str, float]) -> dict[str, float]:
        return _check_rating_weights(value)

    @field_validator("level_factors")
    @classmethod
    def _every_factor(cls, value: dict[Tier, dict[Level, float]]) -> dict[Tier, dict[Level, float]]:
        # A bad factor first: a partial table with a negative entry is reported for
        # the entry it gives, not for the ones it leaves out.
        for tier, row in value.items():
            for level, factor in row.items():
                if not (factor >= 0 and math.isfinite(factor)):
                    raise ValueError(
                        f"level_factors[{tier.value!r}][{level.value!r}] must be finite "
                        f"and >= 0, got {factor:g}"
                    )
        for tier in Tier:
            for level in Level:
                if level not in value.get(tier, {}):
                    raise ValueError(
                        f"level_factors lacks a factor for tier {tier.value!r}, level "
                        f"{level.value!r} (give all {len(Tier) * len(Level)}: every tier by "
                        "every level)"
                    )
        return value

    @field_validator("effort_by_level")
    @classmethod
    def _positive_efforts(cls, value: dict[Level, float] | None) -> dict[Level, float] | None:
        for level, factor in (value or {}).items():
            if not (factor > 0 and math.isfinite(factor)):
                raise ValueError(
                    f"effort_by_level[{level.value!r}] must be finite and > 0, got {factor:g}"
                )
        return value

    @model_validator(mode="after")
    def _check(self) -> Policy:
        if self.warm_threshold > self.hot_threshold:
            raise ValueError(
                f"warm_threshold ({self.warm_threshold:g}) must not exceed "
                f"hot_threshold ({self.hot_threshold:g})"
            )
        if self.performance_cap is not None and self.performance_cap < self.performance_floor:
            raise ValueError(
                f"performance_cap ({self.performance_cap:g}) must not be below "
                f"performance_floor ({self.performance_floor:g}): raise the cap too, or set "
                "it to None (no cap)"
            )
        if self.objective == "maxmin" and self.balance == "soft":
            raise ValueError(
                "objective 'maxmin' already balances loads; it does not combine with "
                "balance='soft' (use balance='hard' or objective='value')"
            )
        return self

    def tier_of(self, score: float) -> Tier:
        """Tier of a lead without one, from its score."""
        if score >= self.hot_threshold:
            return Tier.HOT
        if score >= self.warm_threshold:
            return Tier.WARM
        return Tier.COLD
