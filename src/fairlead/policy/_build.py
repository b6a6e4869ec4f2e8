"""From validated records and a policy to the numeric AssignmentProblem."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from fairlead.core import AssignmentProblem, FloatArray
from fairlead.policy._capacity import CapacityPlan, effort_factors, plan_capacity
from fairlead.policy._eligibility import eligibility, hot_below_level
from fairlead.records import Lead, Manager, Policy, Tier


@dataclass(frozen=True)
class Built:
    """The numeric problem and the capacity plan it came from.

    ``arguments`` are the problem's own arguments, so :func:`with_value_band` can add
    the value band without working out eligibility, capacity and workloads again.
    """

    problem: AssignmentProblem
    capacity: CapacityPlan
    arguments: dict[str, Any]


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
    built = Built(problem=AssignmentProblem(**arguments), capacity=capacity, arguments=arguments)
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
        problem=AssignmentProblem(**arguments), capacity=built.capacity, arguments=arguments
    )
