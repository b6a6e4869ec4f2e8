"""Which manager may take which lead, and why not."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from fairlead.core import BoolArray
from fairlead.records import InputError, Lead, Manager, Policy, Tier


def lead_tiers(leads: Sequence[Lead], policy: Policy) -> list[Tier]:
    """Each lead's tier: its own, or derived from its score."""
    return [lead.tier if lead.tier is not None else policy.tier_of(lead.score) for lead in leads]


def check_skills(leads: Sequence[Lead], managers: Sequence[Manager], policy: Policy) -> None:
    """Reject a lead whose product no manager sells (a likely typo in either)."""
    if not policy.qualification_required:
        return
    known = set().union(*(mg.skills for mg in managers))
    for row, lead in enumerate(leads):
        if lead.product is not None and lead.product not in known:
            listed = ", ".join(repr(s) for s in sorted(known)) or "none"
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
        products = sorted({lead.product for lead in leads if lead.product is not None})
        if products:
            code = {p: k for k, p in enumerate(products)}
            sells = np.array([[p in mg.skills for mg in managers] for p in products])
            needs = np.array([code.get(lead.product, -1) if lead.product else -1 for lead in leads])
            has_product = needs >= 0
            allowed[has_product] = sells[needs[has_product]]
    if policy.hot_rule == "hard":
        allowed &= ~hot_below_level(managers, tiers, policy)
    return allowed


def why_ineligible(lead: Lead, tier: Tier, manager: Manager, policy: Policy) -> str | None:
    """The rule that keeps ``manager`` from ``lead``, in words, or ``None``."""
    if not manager.available:
        return "unavailable"
    if policy.qualification_required and lead.product and lead.product not in manager.skills:
        return f"lacks the skill {lead.product!r}"
    floor = policy.hot_min_level
    hard = policy.hot_rule == "hard"
    if hard and floor is not None and tier is Tier.HOT and manager.level.rank < floor.rank:
        return f"level {manager.level.value!r} is below {floor.value!r}, required for hot leads"
    return None
