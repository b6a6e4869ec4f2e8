"""Per-manager tables a router reads for one lead: eligibility, value, workload."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from fairlead.core import BoolArray, FloatArray
from fairlead.policy import (
    effort_factors,
    effort_room,
    hot_below_level,
    is_conversion_model,
    model_value,
    share_weights,
)
from fairlead.records import InputError, Lead, Level, Manager, Policy, Tier, label_key

_TIERS = list(Tier)

#: Product spellings remembered for the per-lead lookup: enough for any CRM's
#: spellings of its products, and a bound on memory when leads bring many more.
_MAX_SPELLINGS = 4096


class TeamTables:
    """What the policy says about each manager, precomputed for fast per-lead reads.

    Attributes
    ----------
    capacity : (m,) most workload each manager may hold at once (``max_active_leads``
        less the portfolio and planned touches the policy charges).
    weights : (m,) relative fair share (the policy's ``target_share`` of the lead effort
        each manager has room for, as in the batch).
    skill_keys : list of frozenset of str
        Each manager's skills as the label rule compares them.
    known_skills : dict of str to str
        Each skill key of the team and the spelling messages show: the first met,
        managers in order and each one's skills sorted, as the batch shows it.
    """

    def __init__(self, managers: Sequence[Manager], policy: Policy, model: Any) -> None:
        if model is not None and not callable(model) and not is_conversion_model(model):
            raise InputError(
                "model must be None, a fitted ConversionModel or a callable "
                f"(leads, managers) -> values, got {type(model).__name__} {model!r:.80}",
                field="model",
                value=model,
            )
        self.managers = list(managers)
        self.policy = policy
        self.model = model
        self.ids = [mg.id for mg in managers]
        maximum = np.array([mg.max_active_leads for mg in managers], dtype=np.float64)
        portfolio = np.array([mg.portfolio_size for mg in managers], dtype=np.float64)
        touches = np.array([mg.planned_touches for mg in managers], dtype=np.float64)
        busy = np.floor(portfolio * policy.portfolio_load + touches * policy.touch_load + 1e-9)
        self.capacity: FloatArray = np.maximum(maximum - busy, 0.0)
        # shares of the lead effort each has room for, as in the batch (plan_capacity)
        self.weights: FloatArray = share_weights(
            managers, policy, effort_room(managers, policy, self.capacity)
        )
        levels = list(Level)
        level_of = np.array([levels.index(mg.level) for mg in managers], dtype=np.int64)
        table = np.array(
            [[policy.level_factors[t][lv] for lv in levels] for t in _TIERS], dtype=np.float64
        )
        self.factor: FloatArray = table[:, level_of]  # (tiers, m)
        below = hot_below_level(managers, _TIERS, policy)  # (tiers, m): the rule of assign()
        hard = policy.hot_rule == "hard"
        self.allowed_by_tier: BoolArray = ~below if hard else np.ones_like(below)
        self.penalty_by_tier: FloatArray = np.where(below & (not hard), policy.hot_penalty, 0.0)
        # Products match skills by the label rule, as in the batch (fairlead.policy):
        # the keys are computed here once, so a lead costs a dict lookup by its
        # product as spelled, and a new spelling one key and one row at most.
        self.skill_keys = [mg.skill_keys for mg in managers]
        self.known_skills: dict[str, str] = {}  # key -> the spelling messages show
        for mg in managers:
            for skill in sorted(mg.skills):
                self.known_skills.setdefault(label_key(skill), skill)
        self._sells_by_key: dict[str, BoolArray] = {}
        self._sells: dict[str, BoolArray] = {}  # by the product as spelled
        self.effort_factor: FloatArray = effort_factors(managers, policy)

    def tier(self, lead: Lead) -> Tier:
        """The lead's tier: its own, or from its score."""
        return lead.tier if lead.tier is not None else self.policy.tier_of(lead.score)

    def eligible(self, lead: Lead, tier: Tier, *, strict: bool = True) -> BoolArray:
        """Managers the hard rules allow for ``lead`` (qualification, hot-lead level).

        The product matches a skill by the label rule
        (:func:`fairlead.records.label_key`), as in :func:`fairlead.assign`. A product
        no manager sells is an error, or with ``strict=False`` (a lead stored before
        the team changed) nobody is qualified.
        """
        allowed: BoolArray = self.allowed_by_tier[_TIERS.index(tier)]
        product = lead.product
        if product is None or not self.policy.qualification_required:
            return allowed
        sells = self._sells.get(product)
        if sells is None:
            sells = self.sells(product)
            if sells is None and not strict:
                return np.zeros_like(allowed)
            if sells is None:
                listed = ", ".join(repr(s) for s in sorted(self.known_skills.values())) or "none"
                raise InputError(
                    f"lead {lead.id!r}: product {product!r} is not a skill of any manager "
                    f"(known skills: {listed})",
                    field="product",
                    value=product,
                )
            if len(self._sells) < _MAX_SPELLINGS:
                self._sells[product] = sells
        both: BoolArray = allowed & sells
        return both

    def sells(self, product: str) -> BoolArray | None:
        """Managers holding ``product`` as a skill by the label rule; ``None`` if nobody."""
        key = label_key(product)
        if key not in self.known_skills:
            return None
        row = self._sells_by_key.get(key)
        if row is None:
            row = np.array([key in held for held in self.skill_keys], dtype=np.bool_)
            self._sells_by_key[key] = row
        return row

    def value(self, lead: Lead, tier: Tier, row: FloatArray | None = None) -> FloatArray:
        """Expected value of ``lead`` with each manager, less any soft-rule penalty.

        The value is the model's, or ``row`` when the caller gave one. The one-lead
        form of :meth:`values`, for the route's hot path.
        """
        k = _TIERS.index(tier)
        if row is not None:
            base = row
        elif self.model is None:
            base = np.minimum(1.0, lead.score * self.factor[k])
        else:
            base = self.model_values([lead], [tier])[0]
        return base - self.penalty_by_tier[k] if self.policy.hot_rule == "soft" else base

    def values(
        self, leads: Sequence[Lead], tiers: Sequence[Tier], rows: Sequence[FloatArray | None]
    ) -> FloatArray:
        """:meth:`value` of many leads at once (one model call for those without a row)."""
        k = np.array([_TIERS.index(t) for t in tiers], dtype=np.int64)
        out = np.empty((len(leads), len(self.ids)))
        need = [i for i, row in enumerate(rows) if row is None]
        if need and self.model is None:
            scores = np.array([leads[i].score for i in need], dtype=np.float64)
            out[need] = np.minimum(1.0, scores[:, None] * self.factor[k[need]])
        elif need:
            out[need] = self.model_values([leads[i] for i in need], [tiers[i] for i in need])
        for i, row in enumerate(rows):
            if row is not None:
                out[i] = row
        if self.policy.hot_rule == "soft":
            out -= self.penalty_by_tier[k]
        return out

    def model_values(self, leads: Sequence[Lead], tiers: Sequence[Tier]) -> FloatArray:
        """The model's values of ``leads``, checked finite."""
        values = model_value(self.model, leads, self.managers, tiers, self.ids)
        bad = np.argwhere(~np.isfinite(values))
        if bad.size:
            # The model is the caller's: what it gives is input, as values given directly.
            i, j = (int(x) for x in bad[0])
            raise InputError(
                f"the model gave lead {leads[i].id!r} a value for manager {self.ids[j]!r} "
                f"that is not finite: {float(values[i, j])}",
                field="model",
                value=float(values[i, j]),
            )
        return values

    def workload(self, lead: Lead) -> FloatArray:
        """Workload of ``lead`` for each manager (its effort times the level factor)."""
        return lead.effort * self.effort_factor
