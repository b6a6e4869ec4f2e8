"""assign(): leads and managers in, a Plan out (models -> problem -> solve -> plan)."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

from fairlead.core import AssignmentProblem, InputError
from fairlead.plan._infeasible import Batch, Why, why_infeasible
from fairlead.plan._plan import Plan
from fairlead.policy import (
    Built,
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
    """No assignment satisfies the policy; the message names the rules that clash.

    The message starts with ``"no assignment satisfies the policy: "`` and names, in
    the policy's words, the rules involved -- qualification, the hot-lead level rule,
    availability, capacity, the balance band, the value band -- with the ids of the
    leads and managers and the numbers.

    Attributes
    ----------
    rules : tuple of str
        The rules named, in this order: ``"qualification"``, ``"hot_lead_level"``,
        ``"availability"``, ``"capacity"``, ``"balance_band"``, ``"value_band"``.
    lead_ids, manager_ids : tuple of str
        The leads and managers the message is about.
    detail : str
        The numeric diagnosis of the problem (in terms of ``capacity``, ``min_load``,
        ``max_value`` ...), as :func:`fairlead.solve` reports it.

    Examples
    --------
    >>> import fairlead as fl
    >>> try:
    ...     fl.assign([{"id": "l1", "score": 0.5}],
    ...               [{"id": "a", "max_active_leads": 3, "available": False}])
    ... except fl.InfeasibleError as error:
    ...     print(error)
    ...     print(error.rules, error.manager_ids)
    no assignment satisfies the policy: the only manager, 'a', is unavailable (available=false)
    ('availability',) ('a',)
    """

    def __init__(
        self,
        message: str,
        *,
        rules: tuple[str, ...] = (),
        lead_ids: tuple[str, ...] = (),
        manager_ids: tuple[str, ...] = (),
        detail: str = "",
    ) -> None:
        super().__init__(message)
        self.rules = rules
        self.lead_ids = lead_ids
        self.manager_ids = manager_ids
        self.detail = detail


class PolicyBrokenWarning(UserWarning):
    """:func:`assign` returned a plan that breaks the policy.

    The chosen method (a CRM baseline or ``greedy``) stranded a lead or broke a band,
    or a method stopped without any plan (``cp_sat`` or ``lp_round`` out of time or
    failing); ``Plan.status`` is then ``FAILED`` or ``TIME_LIMIT`` and ``Plan.message``
    says what broke. The command line exits with code 4 in this case. To make it an
    error: ``warnings.simplefilter("error", fl.PolicyBrokenWarning)``; to silence it
    where broken baselines are expected (comparisons): ``"ignore"``.
    """


def _refusal(why: Why) -> InfeasibleError:
    """The error for an infeasible batch, explained in the policy's words."""
    return InfeasibleError(
        f"no assignment satisfies the policy: {why.message}",
        rules=why.rules,
        lead_ids=why.lead_ids,
        manager_ids=why.manager_ids,
        detail=why.detail,
    )


def _check(solution: Solution, batch: Batch, what: str = "the plan") -> None:
    """Raise for an infeasible policy; warn for a plan that breaks it."""
    if solution.status is SolveStatus.INFEASIBLE:
        raise _refusal(why_infeasible(batch, solution.message))
    if not solution.status.has_solution:
        warnings.warn(
            f"{what} breaks the policy (method {solution.method}, status "
            f"{solution.status.value}): {solution.message}",
            PolicyBrokenWarning,
            stacklevel=3,
        )


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
        raise InputError(
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
        When no assignment satisfies the policy; the message names the rules that
        clash (qualification, hot-lead level, availability, capacity, balance band,
        value band) with the ids involved.

    Warns
    -----
    PolicyBrokenWarning
        When the plan returned breaks the policy: a heuristic stranded a lead or broke
        a band (``Plan.status`` ``FAILED``), or the method found no plan in time
        (``TIME_LIMIT``).

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

    def batch(of: Built) -> Batch:
        return Batch(lead_records, manager_records, tiers, rules, of)

    if rules.value_tolerance is not None:
        # Two solves by design: the value band is a share of what the plan is worth
        # without it, which only a solve of the problem without the band can tell.
        free_of_band = rules.model_copy(update={"value_tolerance": None})
        first = _solve(built.problem, method, free_of_band)
        _check(first, batch(built), "the plan the value band is a share of")
        built = with_value_band(built, rules, first.score)
    problem, capacity = built.problem, built.capacity
    solution = _solve(problem, method, rules)
    _check(solution, batch(built))
    return Plan(
        leads=tuple(lead_records),
        managers=tuple(manager_records),
        policy=rules,
        tiers=tuple(tiers),
        capacity=capacity,
        problem=problem,
        solution=solution,
    )
