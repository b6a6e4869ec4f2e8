"""Which manager may take which lead, and why not.

Products and skills are compared by the label rule (:func:`fairlead.records.label_key`):
``"Cards"``, ``"cards "`` and ``"cards"`` in full-width letters are one skill.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from fairlead.core import BoolArray
from fairlead.records import InputError, Lead, Manager, Policy, Tier, label_key


def lead_tiers(leads: Sequence[Lead], policy: Policy) -> list[Tier]:
    """Each lead's tier: its own, or derived from its score."""
    return [lead.tier if lead.tier is not None else policy.tier_of(lead.score) for lead in leads]


def product_keys(leads: Sequence[Lead]) -> dict[str, str]:
    """Each distinct product spelling of ``leads`` and its key (computed once per spelling)."""
    return {p: label_key(p) for p in {lead.product for lead in leads} if p is not None}


def check_skills(leads: Sequence[Lead], managers: Sequence[Manager], policy: Policy) -> None:
    """Reject a lead whose product no manager sells (a likely typo in either)."""
    if not policy.qualification_required:
        return
    known: dict[str, str] = {}  # key -> the spelling shown, the first met
    for mg in managers:
        for skill in sorted(mg.skills):
            known.setdefault(label_key(skill), skill)
    key_of = product_keys(leads)
    if all(key in known for key in key_of.values()):
        return
    for row, lead in enumerate(leads):
        if lead.product is not None and key_of[lead.product] not in known:
            listed = ", ".join(repr(s) for s in sorted(known.values())) or "none"
            raise InputError(
                f"lead {lead.id!r} (row {row}): product {lead.product!r} is not a skill of any "
                f"manager (known skills: {listed})",
                row=row,
                field="product",
                value=lead.product,
            )


def hot_below_level(
    managers: Sequence[Manager], tiers: Sequence[Tier], policy: Policy
) -> BoolArray:
    """Pairs (n, m) of a hot lead and a manager below ``Policy.hot_min_level``."""
    below = np.zeros((len(tiers), len(managers)), dtype=np.bool_)
    if policy.hot_min_level is not None:
        floor = policy.hot_min_level.rank
        junior = np.array([mg.level.rank < floor for mg in managers])
        hot = np.array([t is Tier.HOT for t in tiers])
        below = hot[:, None] & junior[None, :]
    return below


def eligibility(
    leads: Sequence[Lead], managers: Sequence[Manager], tiers: Sequence[Tier], policy: Policy
) -> BoolArray:
    """Boolean (n, m) matrix of allowed pairs under the policy's hard rules.

    Availability and room are not part of it: they act through capacity. Under a
    soft hot rule (``Policy.hot_rule="soft"``) the level rule is a penalty instead.
    """
    n, m = len(leads), len(managers)
    allowed = np.ones((n, m), dtype=np.bool_)
    if policy.qualification_required:
        key_of = product_keys(leads)
        products = sorted(set(key_of.values()))
        if products:
            code = {p: k for k, p in enumerate(products)}
            number = {spelled: code[key] for spelled, key in key_of.items()}
            skills = [mg.skill_keys for mg in managers]
            sells = np.array([[p in held for held in skills] for p in products], dtype=np.bool_)
            needs = np.array(
                [-1 if lead.product is None else number[lead.product] for lead in leads],
                dtype=np.int64,
            )
            has_product = needs >= 0
            allowed[has_product] = sells[needs[has_product]]
    if policy.hot_rule == "hard":
        allowed &= ~hot_below_level(managers, tiers, policy)
    return allowed


def why_ineligible(lead: Lead, tier: Tier, manager: Manager, policy: Policy) -> str | None:
    """The rule that keeps ``manager`` from ``lead``, in words, or ``None``."""
    if not manager.available:
        return "unavailable"
    if policy.qualification_required and lead.product and not manager.has_skill(lead.product):
        return f"lacks the skill {lead.product!r}"
    floor = policy.hot_min_level
    hard = policy.hot_rule == "hard"
    if hard and floor is not None and tier is Tier.HOT and manager.level.rank < floor.rank:
        return f"level {manager.level.value!r} is below {floor.value!r}, required for hot leads"
    return None
