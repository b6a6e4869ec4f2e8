"""``method="auto"``: pick the method that fits the problem, and say why.

The choice is read off the problem's shape -- objective, soft bands, workloads, value
bands, ``allow_unassigned`` and the number of eligible pairs -- never by running a
solver. The rules are data (:data:`RULES`), the first that applies wins, and
``docs/policies.md`` shows the same table (a test compares them). The threshold
between ``cp_sat`` and ``lp_round`` is measured by ``benchmarks/auto_choice.py``: the
method that reaches the best objective first, over sizes, policy features and value
families.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fairlead.core import AssignmentProblem
from fairlead.solvers._base import Solution, SolveStatus, get_solver, list_methods, usable_options

# From this many eligible pairs on, lp_round reaches the best objective before cp_sat
# (benchmarks/auto_choice.py): with a value band from about 1,000 pairs, with weighted
# leads alone from about 2,000. Below, cp_sat is as fast or faster (both take well
# under a second unless a value band binds hard) and also proves the optimum.
VALUE_BAND_PAIRS = 1_000
WEIGHTED_PAIRS = 2_000


def _banded(problem: AssignmentProblem) -> bool:
    """Weighted leads or value bands: what the flow methods cannot solve."""
    return not problem.unit_weights or problem.has_value_bounds


@dataclass(frozen=True)
class Rule:
    """One row of ``auto``'s table: when it applies, the method, and why.

    ``problem`` and ``why`` are the row's words in ``docs/policies.md``.
    """

    problem: str
    method: str
    why: str
    applies: Callable[[AssignmentProblem, str], bool]


RULES: tuple[Rule, ...] = (
    Rule(
        "the max-min objective",
        "cp_sat",
        "lexicographic objectives",
        lambda p, objective: objective != "value",
    ),
    Rule(
        "soft bands (penalties)",
        "cp_sat",
        "penalties are part of its objective",
        lambda p, objective: p.has_soft_bands,
    ),
    Rule(
        "unit workloads, no value band",
        "sifting",
        "exact and fast (a transportation problem), certified by manager prices",
        lambda p, objective: not _banded(p),
    ),
    Rule(
        "weighted leads or value bands, with allow_unassigned",
        "cp_sat",
        "exact; lp_round assigns every lead",
        lambda p, objective: p.allow_unassigned,
    ),
    Rule(
        f"value bands, ≥ {VALUE_BAND_PAIRS:,} eligible pairs",
        "lp_round",
        "LP bound, rounding and an exact repair: the best objective first (measured)",
        lambda p, objective: p.has_value_bounds and p.n_pairs >= VALUE_BAND_PAIRS,
    ),
    Rule(
        f"weighted leads, ≥ {WEIGHTED_PAIRS:,} eligible pairs",
        "lp_round",
        "LP bound, rounding and an exact repair: the best objective first (measured)",
        lambda p, objective: p.n_pairs >= WEIGHTED_PAIRS,
    ),
    Rule(
        "weighted leads or value bands, fewer pairs",
        "cp_sat",
        "exact, with a proven bound, as fast or faster (measured)",
        lambda p, objective: True,
    ),
)


def choose_method(problem: AssignmentProblem, *, objective: str = "value") -> tuple[str, str]:
    """The method ``"auto"`` uses for ``problem``, and the reason in words.

    The first rule of :data:`RULES` that applies.

    Examples
    --------
    >>> import numpy as np
    >>> import fairlead as fl
    >>> from fairlead.solvers._auto import choose_method
    >>> choose_method(fl.AssignmentProblem(value=np.ones((3, 2)), capacity=[2, 2]))[0]
    'sifting'
    >>> weighted = fl.AssignmentProblem(value=np.ones((3, 2)), capacity=[4, 4], weight=[1, 2, 3])
    >>> choose_method(weighted)
    ('cp_sat', 'weighted leads on 6 eligible pairs: exact, with a proven bound, as fast or faster (measured)')
    """  # noqa: E501
    rule = next(r for r in RULES if r.applies(problem, objective))
    if rule.problem.startswith(("weighted leads", "value bands")):
        what = "value bands" if problem.has_value_bounds else "weighted leads"
        return rule.method, f"{what} on {problem.n_pairs:,} eligible pairs: {rule.why}"
    return rule.method, f"{rule.problem}: {rule.why}"


def solve_auto(problem: AssignmentProblem, **options: Any) -> Solution:
    """Solve with the chosen method and the options it takes (see :func:`usable_options`).

    When ``lp_round`` fails without a proof either way (``FAILED``: its repair found
    nothing HiGHS accepts), ``cp_sat`` solves the problem instead, and the note says so.
    """
    objective = options.get("objective", "value")
    method, reason = choose_method(problem, objective=objective)
    if method not in list_methods():
        raise ValueError(f"method 'auto' needs {method!r} ({reason}), which is not available")
    solution = get_solver(method).solve(problem, **usable_options(method, options))
    note = f"auto chose {method}: {reason}"
    if method == "lp_round" and solution.status is SolveStatus.FAILED:
        first = solution
        solution = get_solver("cp_sat").solve(problem, **usable_options("cp_sat", options))
        note += f"; it failed ({first.message}), so cp_sat solved it"
        return dataclasses.replace(
            solution, note=note, wall_time=first.wall_time + solution.wall_time
        )
    return dataclasses.replace(solution, note=note)
