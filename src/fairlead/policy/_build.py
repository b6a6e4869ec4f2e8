"""From validated records and a policy to the numeric AssignmentProblem."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from fairlead.core import AssignmentProblem, FloatArray
from fairlead.policy._capacity import CapacityPlan, effort_factors, plan_capacity
from fairlead.policy._eligibility import eligibility, hot_below_level
from fairlead.records import Lead, Manager, Policy, Tier


@dataclass(frozen=True)
class Built:
    """The numeric problem and the capacity plan it came from."""

    problem: AssignmentProblem
    capacity: CapacityPlan


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
    min_value = max_value = None
    if policy.value_tolerance is not None and value_reference is not None:
        share = capacity.target_share * value_reference
        min_value = share * (1.0 - policy.value_tolerance)
        max_value = share * (1.0 + policy.value_tolerance)
    problem = AssignmentProblem(
        value=values,
        capacity=capacity.free,
        eligible=allowed,
        weight=weight,
        min_load=capacity.min_load,
        max_load=capacity.max_load,
        allow_unassigned=policy.allow_unassigned,
        min_value=min_value,
        max_value=max_value,
        current_load=np.array([mg.active_leads for mg in managers], dtype=np.float64),
        lead_labels=[lead.id for lead in leads],
        manager_labels=[mg.id for mg in managers],
        pair_penalty=penalty,
        load_penalty=policy.balance_penalty if soft else None,
        value_penalty=policy.balance_penalty if soft and min_value is not None else None,
        target_load=capacity.target,
    )
    return Built(problem=problem, capacity=capacity)
