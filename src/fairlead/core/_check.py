"""Check an assignment against every constraint of a problem."""

from __future__ import annotations

import numpy as np

from fairlead.core._problem import AssignmentProblem, FloatArray, IntArray

# Loads and value sums are compared with this relative slack, so that a sum of
# floats that equals a bound up to rounding does not count as a violation. The
# slack is relative to the bound or to the problem's largest weight or value,
# whichever is larger: rounding (in sums, and in the solvers' integer scaling)
# scales with the problem, so values of 1e-9 are checked as strictly as values of 1,
# and a value of 1e-192 next to values of 1e4 is rounding.
RTOL = 1e-9


def _exceeds(x: float, limit: float, unit: float) -> bool:
    return x > limit + RTOL * max(abs(limit), unit)


def _largest(terms: FloatArray) -> float:
    return float(np.abs(terms).max(initial=0.0))


def violations(problem: AssignmentProblem, manager_of: IntArray) -> list[str]:
    """Every constraint of ``problem`` that ``manager_of`` breaks, in words.

    Parameters
    ----------
    problem : AssignmentProblem
    manager_of : ndarray of int, shape (n,)
        Manager index per lead, ``-1`` for unassigned.

    Returns
    -------
    list of str
        Empty when the assignment satisfies every constraint.

    Examples
    --------
    >>> import numpy as np
    >>> import fairlead as fl
    >>> from fairlead.core._check import violations
    >>> p = fl.AssignmentProblem(value=np.ones((2, 1)), capacity=[1])
    >>> violations(p, np.array([0, 0]))
    ['manager 0 carries workload 2, above its limit 1']
    """
    n, m = problem.n_leads, problem.n_managers
    found: list[str] = []
    manager_of = np.asarray(manager_of)
    if manager_of.shape != (n,):
        return [f"manager_of must have shape ({n},), got {manager_of.shape}"]
    out_of_range = (manager_of < -1) | (manager_of >= m)
    for i in np.flatnonzero(out_of_range)[:3]:
        found.append(f"{problem.lead_name(int(i))} has no manager index {int(manager_of[i])}")
    if found:
        return found
    assigned = np.flatnonzero(manager_of >= 0)
    if not problem.allow_unassigned:
        for i in np.flatnonzero(manager_of < 0)[:3]:
            found.append(f"{problem.lead_name(int(i))} is unassigned")
    chosen = manager_of[assigned]
    bad_pairs = assigned[~problem.pair_eligible(assigned, chosen)]
    for i in bad_pairs[:3]:
        j = int(manager_of[i])
        found.append(f"{problem.lead_name(int(i))} went to {problem.manager_name(j)}, not eligible")
    w = problem.weight
    per_lead = w[assigned] if w.ndim == 1 else w[assigned, chosen]
    loads = np.bincount(chosen, weights=per_lead, minlength=m)
    unit = _largest(w)
    upper = problem.hard_upper_load
    soft_load = problem.load_penalty is not None
    for j in range(m):
        name = problem.manager_name(j)
        if _exceeds(loads[j], upper[j], unit):
            found.append(f"{name} carries workload {loads[j]:g}, above its limit {upper[j]:g}")
        if not soft_load and _exceeds(problem.min_load[j], loads[j], unit):
            found.append(
                f"{name} carries workload {loads[j]:g}, below its min_load {problem.min_load[j]:g}"
            )
    if problem.has_value_bounds and problem.value_penalty is None:
        chosen_values = problem.pair_values(assigned, chosen)
        totals = np.bincount(chosen, weights=chosen_values, minlength=m)
        unit = max(_largest(chosen_values), problem.value_blocks().largest_magnitude())
        for j in range(m):
            name = problem.manager_name(j)
            if problem.max_value is not None and _exceeds(totals[j], problem.max_value[j], unit):
                found.append(
                    f"{name} has total value {totals[j]:g}, above its max_value "
                    f"{problem.max_value[j]:g}"
                )
            if problem.min_value is not None and _exceeds(problem.min_value[j], totals[j], unit):
                found.append(
                    f"{name} has total value {totals[j]:g}, below its min_value "
                    f"{problem.min_value[j]:g}"
                )
    return found


def band_excess(amounts: FloatArray, low: FloatArray | None, high: FloatArray | None) -> FloatArray:
    """How far each amount lies outside ``[low, high]`` (0 inside)."""
    excess = np.zeros_like(amounts)
    if low is not None:
        excess += np.maximum(low - amounts, 0.0)
    if high is not None:
        excess += np.maximum(amounts - np.minimum(high, np.inf), 0.0)
    return excess


def penalty_of(problem: AssignmentProblem, manager_of: IntArray) -> float:
    """Total penalty an assignment pays for soft preferences and soft bands.

    Examples
    --------
    >>> import numpy as np
    >>> import fairlead as fl
    >>> from fairlead.core._check import penalty_of
    >>> p = fl.AssignmentProblem(value=np.ones((2, 2)), capacity=[2, 2], min_load=[1, 1],
    ...                          load_penalty=0.5, pair_penalty=[[0.0, 0.1], [0.0, 0.1]])
    >>> round(penalty_of(p, np.array([0, 0])), 6)    # manager 1 short by one lead
    0.5
    """
    m = problem.n_managers
    assigned = np.flatnonzero(manager_of >= 0)
    chosen = manager_of[assigned]
    total = 0.0
    if problem.pair_penalty is not None:
        total += float(problem.pair_penalty[assigned, chosen].sum())
    if problem.load_penalty is not None:
        w = problem.weight
        per_lead = w[assigned] if w.ndim == 1 else w[assigned, chosen]
        loads = np.bincount(chosen, weights=per_lead, minlength=m).astype(np.float64)
        excess = band_excess(loads, problem.min_load, problem.max_load)
        total += problem.load_penalty * float(excess.sum())
    if problem.value_penalty is not None and problem.has_value_bounds:
        values = problem.pair_values(assigned, chosen)
        totals = np.bincount(chosen, weights=values, minlength=m).astype(np.float64)
        excess = band_excess(totals, problem.min_value, problem.max_value)
        total += problem.value_penalty * float(excess.sum())
    return total
