"""From validated records and a policy to the numeric AssignmentProblem."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from fairlead.core import AssignmentProblem, BoolArray, FloatArray, IntArray
from fairlead.policy._capacity import CapacityPlan, effort_factors, plan_capacity
from fairlead.policy._eligibility import eligibility, hot_below_level
from fairlead.records import Lead, Manager, Policy, Tier


@dataclass(frozen=True, eq=False)
class Exclusions:
    """Which hard rule keeps each lead from each manager: one boolean mask per rule.

    The numeric problem only knows that a pair is not eligible; these masks say why,
    so that an infeasible batch can be explained in the policy's words. They cost
    nothing until asked for, and then only for the leads asked about (the few that a
    diagnosis names), vectorized over the managers.

    Examples
    --------
    >>> import fairlead as fl
    >>> from fairlead.policy import Exclusions
    >>> leads = [fl.Lead(id="l1", score=0.9, product="cards")]
    >>> managers = [
    ...     fl.Manager(id="a", level="junior", skills={"cards"}, max_active_leads=5),
    ...     fl.Manager(id="b", level="senior", skills={"loans"}, max_active_leads=5),
    ... ]
    >>> rules = Exclusions(leads, managers, [fl.Tier.HOT], fl.Policy())
    >>> rules.qualification().tolist(), rules.hot_level().tolist()
    ([[False, True]], [[True, False]])
    """

    leads: Sequence[Lead]
    managers: Sequence[Manager]
    tiers: Sequence[Tier]
    policy: Policy

    def _rows(self, rows: IntArray | None) -> tuple[list[Lead], list[Tier]]:
        if rows is None:
            return list(self.leads), list(self.tiers)
        picked = np.asarray(rows, dtype=np.int64).tolist()
        return [self.leads[i] for i in picked], [self.tiers[i] for i in picked]

    def qualification(self, rows: IntArray | None = None) -> BoolArray:
        """Pairs (k, m) where the lead's product is not among the manager's skills.

        All False unless ``Policy.qualification_required``. ``rows``: the leads asked
        about (default: every lead).
        """
        leads, tiers = self._rows(rows)
        if not self.policy.qualification_required:
            return np.zeros((len(leads), len(self.managers)), dtype=np.bool_)
        # the eligibility rules without the hot-lead rule are the qualification rule
        without_hot = self.policy.model_copy(update={"hot_rule": "soft"})
        lacking: BoolArray = ~eligibility(leads, self.managers, tiers, without_hot)
        return lacking

    def hot_level(self, rows: IntArray | None = None) -> BoolArray:
        """Pairs (k, m) of a hot lead and a manager below ``Policy.hot_min_level``.

        All False under a soft hot rule (``hot_rule="soft"``), where such a pair is
        priced, not excluded.
        """
        leads, tiers = self._rows(rows)
        if self.policy.hot_rule != "hard":
            return np.zeros((len(leads), len(self.managers)), dtype=np.bool_)
        return hot_below_level(self.managers, tiers, self.policy)

    @property
    def unavailable(self) -> BoolArray:
        """Managers marked ``available=False`` (shape (m,)): they take no lead."""
        return np.array([not mg.available for mg in self.managers], dtype=np.bool_)


@dataclass(frozen=True)
class Built:
    """The numeric problem, the capacity plan and the rules it came from.

    ``arguments`` are the problem's own arguments, so :func:`with_value_band` can add
    the value band without working out eligibility, capacity and workloads again.
    ``exclusions`` tells which rule made each pair ineligible.
    """

    problem: AssignmentProblem
    capacity: CapacityPlan
    arguments: dict[str, Any]
    exclusions: Exclusions


def workloads(
    leads: Sequence[Lead], managers: Sequence[Manager], policy: Policy
) -> FloatArray | None:
    """Workload of each lead (for each manager), or ``None`` when every lead weighs 1."""
    effort = np.array([lead.effort for lead in leads], dtype=np.float64)
    factor = effort_factors(managers, policy)
    if np.all(effort == 1.0) and np.all(factor == 1.0):
        return None
    if np.all(factor == 1.0):
        return effort
    weights: FloatArray = effort[:, None] * factor[None, :]
    return weights


def build_problem(
    leads: Sequence[Lead],
    managers: Sequence[Manager],
    tiers: Sequence[Tier],
    policy: Policy,
    values: FloatArray,
    *,
    value_reference: float | None = None,
) -> Built:
    """The AssignmentProblem the policy asks for.

    ``value_reference`` is the total expected value the value band is a share of
    (the value of the plan without that band); without it there is no value band.
    """
    allowed = eligibility(leads, managers, tiers, policy)
    weight = workloads(leads, managers, policy)
    effort = None if weight is None else np.array([lead.effort for lead in leads])
    capacity = plan_capacity(managers, policy, len(leads), allowed, effort=effort)
    soft = policy.balance == "soft"
    penalty = None
    if policy.hot_rule == "soft":
        penalty = np.where(hot_below_level(managers, tiers, policy), policy.hot_penalty, 0.0)
    arguments: dict[str, Any] = {
        "value": values,
        "capacity": capacity.free,
        "eligible": allowed,
        "weight": weight,
        "min_load": capacity.min_load,
        "max_load": capacity.max_load,
        "allow_unassigned": policy.allow_unassigned,
        "current_load": np.array([mg.active_leads for mg in managers], dtype=np.float64),
        "lead_labels": [lead.id for lead in leads],
        "manager_labels": [mg.id for mg in managers],
        "pair_penalty": penalty,
        "load_penalty": policy.balance_penalty if soft else None,
        "target_load": capacity.target,
    }
    built = Built(
        problem=AssignmentProblem(**arguments),
        capacity=capacity,
        arguments=arguments,
        exclusions=Exclusions(leads, managers, tiers, policy),
    )
    if value_reference is None:
        return built
    return with_value_band(built, policy, value_reference)


def with_value_band(built: Built, policy: Policy, value_reference: float) -> Built:
    """``built`` with the policy's value band: each manager's share of ``value_reference``.

    ``value_reference`` is what the plan is worth without the band; with no
    ``value_tolerance`` in the policy the problem is returned as it is.
    """
    if policy.value_tolerance is None:
        return built
    share = built.capacity.target_share * value_reference
    arguments = {
        **built.arguments,
        "min_value": share * (1.0 - policy.value_tolerance),
        "max_value": share * (1.0 + policy.value_tolerance),
        "value_penalty": policy.balance_penalty if policy.balance == "soft" else None,
    }
    return Built(
        problem=AssignmentProblem(**arguments),
        capacity=built.capacity,
        arguments=arguments,
        exclusions=built.exclusions,
    )
