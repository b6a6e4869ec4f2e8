"""A team's mapping from its CRM's fields and users to fairlead's leads and managers.

Kept per team (a JSON file, or the service's API). Every CRM value is read by one
rule, and a value the rule cannot read is an :class:`~fairlead.InputError` naming
the CRM field, the lead's CRM id and the value, so the person who wrote the mapping
sees which field to fix.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from pydantic import ConfigDict, Field

from fairlead.connectors._records import CrmLead, CrmUser
from fairlead.records import InputError, InputModel, Lead, Level, Manager, Tier


class FieldRule(InputModel):
    """Where a value comes from in the CRM, and how its values translate.

    Parameters
    ----------
    field : str
        The CRM's field name (Bitrix24 ``SOURCE_ID`` or ``UF_CRM_1708952993785``;
        Kommo ``price`` or a custom field's id or code).
    values : dict, optional
        CRM value -> fairlead value (``{"WEB": "web", "CALL": "phone"}``). A value not
        listed is kept as the CRM sends it, unless ``only_listed``.
    only_listed : bool, default False
        A value not in ``values`` is an error (a typo in the CRM shows up at once).
    default : str or float, optional
        Used when the lead has no value in the field.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    input_kind: ClassVar[str] = "mapping rule"

    field: str = Field(min_length=1)
    values: dict[str, str] = Field(default_factory=dict)
    only_listed: bool = False
    default: str | float | None = None


class ManagerRules(InputModel):
    """Which CRM users are managers, and what fairlead knows of each.

    Parameters
    ----------
    users : list of str, optional
        CRM user ids that are managers. Default: every active user (of ``groups``,
        when given).
    groups : list of str, optional
        Departments (Bitrix24) or groups (Kommo) whose active users are managers.
    skills_by_group : dict, optional
        Group id -> products its members sell (a manager has the skills of every
        group they are in).
    level_by_group : dict, optional
        Group id -> level (``trainee`` ... ``senior``); the highest applies.
    levels : dict, optional
        CRM user id -> level, over the groups' levels.
    max_active_leads : int, default 30
        Each manager's limit of open leads, unless ``capacity`` names theirs.
    capacity : dict, optional
        CRM user id -> limit of open leads.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    input_kind: ClassVar[str] = "manager mapping"

    users: list[str] | None = None
    groups: list[str] = Field(default_factory=list)
    skills_by_group: dict[str, list[str]] = Field(default_factory=dict)
    level_by_group: dict[str, Level] = Field(default_factory=dict)
    levels: dict[str, Level] = Field(default_factory=dict)
    max_active_leads: int = Field(default=30, ge=0)
    capacity: dict[str, int] = Field(default_factory=dict)


class CrmMapping(InputModel):
    """How a CRM's leads and users become fairlead's leads and managers.

    Parameters
    ----------
    product, segment, source, tier : FieldRule, optional
        The lead's product (what it is about, matched to managers' skills), segment,
        source and tier (``hot`` / ``warm`` / ``cold``). ``source`` defaults to the CRM's
        own source field.
    deal_value : FieldRule, optional
        The expected deal amount (defaults to the CRM's amount field).
    score : FieldRule, optional
        The lead's score in [0, 1]; ``default_score`` when absent.
    default_score : float, default 0.5
    features : dict, optional
        Feature name -> CRM field, for a conversion model.
    managers : ManagerRules

    Examples
    --------
    >>> from fairlead.connectors import CrmLead, CrmMapping
    >>> mapping = CrmMapping(product={"field": "UF_CRM_PRODUCT", "values": {"41": "loans"}})
    >>> lead = CrmLead("1000983", {"UF_CRM_PRODUCT": "41", "OPPORTUNITY": "12500.00"},
    ...                amount=12500.0, source="WEB")
    >>> found = mapping.lead(lead, crm="bitrix24")
    >>> found.id, found.product, found.source, found.deal_value, found.score
    ('1000983', 'loans', 'WEB', 12500.0, 0.5)
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    input_kind: ClassVar[str] = "mapping"

    product: FieldRule | None = None
    segment: FieldRule | None = None
    source: FieldRule | None = None
    tier: FieldRule | None = None
    deal_value: FieldRule | None = None
    score: FieldRule | None = None
    default_score: float = Field(default=0.5, ge=0.0, le=1.0, allow_inf_nan=False)
    features: dict[str, str] = Field(default_factory=dict)
    managers: ManagerRules = Field(default_factory=ManagerRules)

    def lead(self, crm_lead: CrmLead, *, crm: str) -> Lead:
        """The fairlead lead of a CRM lead (its id is the CRM's id)."""
        values: dict[str, Any] = {"id": crm_lead.crm_id, "created_at": crm_lead.created_at}
        for name in ("product", "segment", "tier"):
            rule = getattr(self, name)
            if rule is not None:
                values[name] = _text(rule, crm_lead, crm)
        values["source"] = (
            _text(self.source, crm_lead, crm) if self.source is not None else crm_lead.source
        )
        if self.deal_value is not None:
            values["deal_value"] = _number(self.deal_value, crm_lead, crm, "deal value")
        else:
            values["deal_value"] = crm_lead.amount
        score = None
        if self.score is not None:
            score = _number(self.score, crm_lead, crm, "score")
        values["score"] = self.default_score if score is None else score
        if values.get("tier") is not None and values["tier"] not in {t.value for t in Tier}:
            raise _error(self.tier, crm_lead, crm, values["tier"], "must be hot, warm or cold")
        features: dict[str, float | str] = {}
        for feature, field in self.features.items():
            value = crm_lead.fields.get(field)
            if value is not None and value != "":
                features[feature] = value if isinstance(value, int | float) else str(value)
        values["features"] = features
        try:
            return Lead(**{k: v for k, v in values.items() if v is not None})
        except InputError as exc:
            rule = getattr(self, exc.field, None) if exc.field in _RULES else None
            where = f" (from the CRM field {rule.field!r})" if isinstance(rule, FieldRule) else ""
            raise InputError(
                f"{crm}: {exc}{where}",
                field=rule.field if isinstance(rule, FieldRule) else exc.field,
                value=exc.value,
            ) from None

    def managers_of(self, users: Iterable[CrmUser]) -> list[Manager]:
        """The team's managers from the CRM's users, by :class:`ManagerRules`."""
        rules = self.managers
        chosen = set(rules.users) if rules.users is not None else None
        groups = set(rules.groups)
        order = list(Level)
        out = []
        for user in users:
            if not user.active:
                continue
            if chosen is not None and user.crm_id not in chosen:
                continue
            if chosen is None and groups and not groups.intersection(user.groups):
                continue
            skills = frozenset(s for g in user.groups for s in rules.skills_by_group.get(g, []))
            levels = [rules.level_by_group[g] for g in user.groups if g in rules.level_by_group]
            level = rules.levels.get(user.crm_id) or (
                max(levels, key=order.index) if levels else Level.MIDDLE
            )
            out.append(
                Manager(
                    id=user.crm_id,
                    name=user.name or None,
                    skills=skills,
                    level=level,
                    max_active_leads=rules.capacity.get(user.crm_id, rules.max_active_leads),
                )
            )
        return out


#: The lead's fields a :class:`FieldRule` may fill.
_RULES = frozenset({"product", "segment", "source", "tier", "deal_value", "score"})


def _raw(rule: FieldRule, crm_lead: CrmLead) -> Any:
    value = crm_lead.fields.get(rule.field)
    if isinstance(value, list):  # a multiple field: its first value
        value = value[0] if value else None
    if value is None or value == "":
        return rule.default
    return value


def _text(rule: FieldRule, crm_lead: CrmLead, crm: str) -> str | None:
    value = _raw(rule, crm_lead)
    if value is None:
        return None
    text = str(value)
    if text in rule.values:
        return rule.values[text]
    if rule.only_listed:
        listed = ", ".join(sorted(rule.values)) or "none"
        raise _error(rule, crm_lead, crm, text, f"is not one of the mapped values ({listed})")
    return text


def _number(rule: FieldRule, crm_lead: CrmLead, crm: str, what: str) -> float | None:
    value = _raw(rule, crm_lead)
    if value is None:
        return None
    if isinstance(value, str) and value in rule.values:
        value = rule.values[value]
    try:
        number = float(str(value).replace(",", ".").replace(" ", ""))
    except ValueError:
        raise _error(rule, crm_lead, crm, value, f"must be a number ({what})") from None
    return number


def _error(
    rule: FieldRule | None, crm_lead: CrmLead, crm: str, value: Any, what: str
) -> InputError:
    field = rule.field if rule is not None else "?"
    return InputError(
        f"{crm} field {field!r} of lead {crm_lead.crm_id!r} {what}, got {value!r}",
        field=field,
        value=value,
    )


def mapping_from(data: Mapping[str, Any] | CrmMapping | None) -> CrmMapping:
    """A mapping from its JSON object (``None``: the defaults)."""
    if isinstance(data, CrmMapping):
        return data
    return CrmMapping(**dict(data or {}))
