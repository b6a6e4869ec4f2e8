"""assign(): leads and managers in, a Plan out (models -> problem -> solve -> plan)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fairlead.core import AssignmentProblem
from fairlead.plan._plan import Plan
from fairlead.policy import (
    ValueModel,
    build_problem,
    check_skills,
    lead_tiers,
    level_factor_value,
    model_value,
    with_value_band,
)
from fairlead.records import Lead, Manager, Policy, coerce_policy, coerce_records
from fairlead.solvers import Solution, SolveStatus, solve, usable_options


class InfeasibleError(ValueError):
    """No assignment satisfies the policy; the message says which constraints clash."""


def _solve(problem: AssignmentProblem, method: str, policy: Policy) -> Solution:
    """Solve with the policy's options that the method takes."""
    options: dict[str, Any] = {
        "seed": policy.seed,
        "time_limit": policy.time_limit,
        "objective": None if policy.objective == "value" else policy.objective,
    }
    options = {k: v for k, v in options.items() if v is not None}
    if method == "auto":
        return solve(problem, "auto", **options)
    given = usable_options(method, options)
    if policy.objective != "value" and "objective" not in given:
        raise ValueError(
            f"method {method!r} cannot pursue the objective {policy.objective!r}; "
            "use method 'cp_sat' or 'auto'"
        )
    return solve(problem, method, **given)


def assign(
    leads: Any,
    managers: Any,
    policy: Policy | Mapping[str, Any] | None = None,
    model: ValueModel | Any | None = None,
    method: str = "auto",
) -> Plan:
    """Assign leads to managers: maximum expected conversion within a fair share.

    Parameters
    ----------
    leads : sequence of Lead or dict, or DataFrame
        One record (row) per lead; see :class:`fairlead.Lead`.
    managers : sequence of Manager or dict, or DataFrame
        One record (row) per manager; see :class:`fairlead.Manager`.
    policy : Policy or dict, optional
        Shares, balance band and routing rules; defaults to ``Policy()``.
    model : ConversionModel, array_like or callable, optional
        Expected value of each lead for each manager: a fitted
        :class:`fairlead.scoring.ConversionModel` (reading each lead's ``features``;
        in a DataFrame or dicts, columns named like the model's features are taken
        as features), an (n, m) array, or a callable ``model(leads, managers)``
        returning one. Default: the lead's score times a factor by tier and manager
        level (``Policy.level_factors``).
    method : str, default "auto"
        A name from :func:`fairlead.list_methods`, or ``"auto"`` (exact sifting for
        unit workloads; see :func:`fairlead.solve`).

    Returns
    -------
    Plan

    Raises
    ------
    ValueError
        For a bad record (naming kind, id, row, field and value) or policy.
    InfeasibleError
        When no assignment satisfies capacity, qualification and the balance band;
        the message names the constraints that clash.

    Examples
    --------
    >>> import fairlead as fl
    >>> leads = [{"id": "l-1", "score": 0.8}, {"id": "l-2", "score": 0.2}]
    >>> managers = [
    ...     {"id": "anna", "level": "senior", "max_active_leads": 5},
    ...     {"id": "ben", "level": "trainee", "max_active_leads": 5},
    ... ]
    >>> plan = fl.assign(leads, managers, policy={"balance_tolerance": 0.0})
    >>> plan.assignments
    {'l-1': 'anna', 'l-2': 'ben'}
    """
    features = getattr(model, "feature_names_", None) if model is not None else None
    lead_records: list[Lead] = coerce_records(leads, Lead, "lead", feature_columns=features)
    manager_records: list[Manager] = coerce_records(managers, Manager, "manager")
    rules = coerce_policy(policy)
    check_skills(lead_records, manager_records, rules)
    tiers = lead_tiers(lead_records, rules)

    if model is None:
        values = level_factor_value(lead_records, manager_records, tiers, rules)
    else:
        values = model_value(model, lead_records, manager_records, tiers)
    built = build_problem(lead_records, manager_records, tiers, rules, values)
    if rules.value_tolerance is not None:
        # Two solves by design: the value band is a share of what the plan is worth
        # without it, which only a solve of the problem without the band can tell.
        free_of_band = rules.model_copy(update={"value_tolerance": None})
        reference = _solve(built.problem, method, free_of_band).score
        built = with_value_band(built, rules, reference)
    problem, capacity = built.problem, built.capacity
    solution = _solve(problem, method, rules)
    if solution.status is SolveStatus.INFEASIBLE:
        raise InfeasibleError(f"no assignment satisfies the policy: {solution.message}")
    return Plan(
        leads=tuple(lead_records),
        managers=tuple(manager_records),
        policy=rules,
        tiers=tuple(tiers),
        capacity=capacity,
        problem=problem,
        solution=solution,
    )
