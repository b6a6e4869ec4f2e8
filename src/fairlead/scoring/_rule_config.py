"""A complete rule-scoring setup: :class:`RuleConfig`, its loading, and :data:`DEFAULT_RULES`.

The config is read from keyword arguments, a dict, JSON text or a JSON file; a bad
one is an :class:`fairlead.InputError` naming each bad key and value.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, ValidationError

from fairlead.records import InputError, InputModel
from fairlead.scoring._rule_groups import (
    GROUP_CONFIG,
    ContactFrequencyRules,
    Decay,
    EngagementRules,
    FieldNames,
    PercentDecay,
    PurchaseHistoryRules,
    ResponseSpeedRules,
    SourceRules,
    TierThresholds,
)


class RuleConfig(InputModel):
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

    model_config = GROUP_CONFIG
    input_kind: ClassVar[str] = "rule config"

    source: SourceRules | None = None
    response_speed: ResponseSpeedRules | None = None
    engagement: EngagementRules | None = None
    purchase_history: PurchaseHistoryRules | None = None
    contact_frequency: ContactFrequencyRules | None = None
    decay: Decay | None = None
    tiers: TierThresholds = TierThresholds(hot=60.0, warm=30.0)
    fields: FieldNames = FieldNames()

    @classmethod
    def input_error(cls, exc: ValidationError, data: Mapping[str, Any]) -> InputError:
        """The error of keyword arguments, as :meth:`from_dict` words it."""
        return _config_error(exc)

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


ConfigLike = RuleConfig | Mapping[str, Any] | str | os.PathLike[str]
"""What a rule config may be given as: an instance, a dict, JSON text or a file path."""
