"""cp_sat: property tests against an independent checker, min_cost_flow, a MILP and brute force.

References written here, independent of fairlead's own checks:

* ``broken`` -- every hard constraint, in plain Python;
* ``penalty`` -- soft preferences and soft bands, in plain Python;
* ``milp_reference`` -- the same problem as a scipy ``milp`` (HiGHS), lexicographic
  like fairlead (count, then max-min share, then score);
* ``brute_force`` -- every assignment of a tiny instance.

Tolerances follow the scales cp_sat states (``model_scales``): rounding moves the
value of each pair by at most ``Scales.value_rounding`` and soft-band prices by at
most ``Scales.band_slack`` in all, so cp_sat's score lies at most
``2 n value_rounding + band_slack`` (plus float noise) below the optimum -- zero on
integer or short-decimal data such as the GAP instances. HiGHS may itself stop
within its 1e-6 tolerances of an objective divided by ``max(1, max |value|)``, so
cp_sat may beat the MILP by that much, never more.
"""

import itertools
import math
import os
import re
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, given, note, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.optimize import Bounds, LinearConstraint, milp

import fairlead as fl
from fairlead.core._check import penalty_of
from fairlead.datasets._gap import ORLIB_OPTIMA, gap_instances, read_gap
from fairlead.diagnose._infeasibility import explain_infeasible
from fairlead.solvers.cp_sat import model_scales

TOL = 1e-9
FEW = max(20, settings.default.max_examples // 3)  # each example runs two solvers
FAST = {"workers": 1}  # tiny instances: one search worker is quickest


def gap_data() -> Path | None:
    folder = os.environ.get("FAIRLEAD_GAP_DATA")
    path = Path(folder) if folder else Path(__file__).resolve().parents[3] / "shared/data/gap"
    return path if path.is_dir() else None


GAP = gap_data()
needs_gap = pytest.mark.skipif(
    GAP is None,
    reason="GAP reference instances not found: set FAIRLEAD_GAP_DATA or put them in "
    "../shared/data/gap next to the repository",
)

# ------------------------------------------------------------------ independent checks


def weight_of(problem, i, j):
    return float(problem.weight[i] if problem.weight.ndim == 1 else problem.weight[i, j])


def totals(problem, manager_of):
    m = problem.n_managers
    loads, values = [0.0] * m, [0.0] * m
    for i, j in enumerate(manager_of.tolist()):
        if j >= 0:
            loads[j] += weight_of(problem, i, j)
            values[j] += float(problem.value[i, j])
    return loads, values


def above(x, limit):
    return x > limit + TOL * max(1.0, abs(limit))


def broken(problem, manager_of):
    """Every hard constraint ``manager_of`` breaks, without fairlead's checker."""
    n, m = problem.value.shape
    manager_of = np.asarray(manager_of)
    if manager_of.shape != (n,):
        return [f"shape {manager_of.shape}"]
    out = []
    for i, j in enumerate(manager_of.tolist()):
        if j == -1:
            if not problem.allow_unassigned:
                out.append(f"lead {i} unassigned")
        elif not 0 <= j < m:
            out.append(f"lead {i} has manager {j}")
        elif not problem.eligible[i, j]:
            out.append(f"lead {i} -> manager {j} not eligible")
    if out:
        return out
    loads, values = totals(problem, manager_of)
    soft_load = problem.load_penalty is not None
    soft_value = problem.value_penalty is not None
    for j in range(m):
        cap = float(problem.capacity[j])
        upper = cap if soft_load else min(cap, float(problem.max_load[j]))
        if above(loads[j], upper):
            out.append(f"manager {j} load {loads[j]} > {upper}")
        if not soft_load and above(float(problem.min_load[j]), loads[j]):
            out.append(f"manager {j} load {loads[j]} < min_load {problem.min_load[j]}")
        if soft_value:
            continue
        if problem.max_value is not None and above(values[j], float(problem.max_value[j])):
            out.append(f"manager {j} value {values[j]} > max_value")
        if problem.min_value is not None and above(float(problem.min_value[j]), values[j]):
            out.append(f"manager {j} value {values[j]} < min_value")
    return out


def penalty(problem, manager_of):
    """Soft preferences and soft bands, without fairlead's penalty_of."""
    loads, values = totals(problem, manager_of)
    total = 0.0
    if problem.pair_penalty is not None:
        total += sum(
            float(problem.pair_penalty[i, j]) for i, j in enumerate(manager_of.tolist()) if j >= 0
        )
    for j in range(problem.n_managers):
        if problem.load_penalty is not None:
            short = max(0.0, float(problem.min_load[j]) - loads[j])
            over = max(0.0, loads[j] - float(problem.max_load[j]))
            total += problem.load_penalty * (short + over)
        if problem.value_penalty is not None:
            if problem.min_value is not None:
                total += problem.value_penalty * max(0.0, float(problem.min_value[j]) - values[j])
            if problem.max_value is not None:
                total += problem.value_penalty * max(0.0, values[j] - float(problem.max_value[j]))
    return total


def score(problem, manager_of):
    value = math.fsum(
        float(problem.value[i, j]) for i, j in enumerate(manager_of.tolist()) if j >= 0
    )
    return value - penalty(problem, manager_of)


def min_share(problem, manager_of):
    loads, _ = totals(problem, manager_of)
    shares = [loads[j] / t for j, t in enumerate(problem.target_load.tolist()) if t > 0]
    return min(shares) if shares else None


def scale_of(problem):
    return max(1.0, float(np.abs(problem.value).max()))


def tolerance(problem, objective="value"):
    """How far below the true optimum cp_sat's score may be: the rounding it states."""
    scales = model_scales(problem, objective=objective)
    noise = 1e-9 * (float(np.abs(problem.value).sum()) + penalty_scale(problem))
    return 2 * problem.n_leads * scales.value_rounding + scales.band_slack + noise


def penalty_scale(problem):
    total = 0.0 if problem.pair_penalty is None else float(problem.pair_penalty.sum())
    return total + (problem.load_penalty or 0.0) + (problem.value_penalty or 0.0)


def highs_slack(problem):
    """How far below the optimum HiGHS may stop: tolerances of 1e-6 on its objective.

    ``milp_reference`` divides the objective by ``scale_of(problem)``.
    """
    return 1e-5 * scale_of(problem) * problem.n_leads


def assert_optimum(problem, sol, best, *, objective="value", reference_slack=0.0):
    """cp_sat's score (recomputed here) is the optimum ``best`` up to the stated rounding.

    ``reference_slack``: how far below the optimum the reference itself may be.
    """
    got = score(problem, sol.manager_of)
    tol = tolerance(problem, objective)
    assert got >= best - tol
    assert got <= best + tol + reference_slack
    assert sol.bound is not None
    assert sol.bound >= best - tol


# --------------------------------------------------------------------- MILP reference


def milp_reference(problem, *, maxmin=False, strict=False):
    """``(count, share, score)`` of the lexicographic optimum by HiGHS, or None if infeasible.

    HiGHS keeps constraints to 1e-6: an answer that breaks one by more than fairlead's
    1e-9 is rejected (``strict``: an error) -- an instance on the edge.

    Columns: ``x[i, j]`` for every pair (fixed to 0 where ineligible), then per
    manager the load shortfall / excess (soft load band), the value shortfall /
    excess (soft value band), and the share ``tau`` (max-min).
    """
    n, m = problem.value.shape
    nx = n * m
    soft_load = problem.load_penalty is not None
    soft_value = problem.value_penalty is not None and problem.has_value_bounds
    n_cols = nx + (2 * m if soft_load else 0) + (2 * m if soft_value else 0) + 1
    s_load, s_value, tau = nx, nx + (2 * m if soft_load else 0), n_cols - 1
    weights = problem.weight_matrix()
    ub = np.full(n_cols, np.inf)
    ub[:nx] = problem.eligible.ravel().astype(float)
    rows, lo, hi = [], [], []

    def add(row, low, high):
        rows.append(row)
        lo.append(low)
        hi.append(high)

    for i in range(n):
        row = np.zeros(n_cols)
        row[i * m : (i + 1) * m] = 1
        add(row, 0.0 if problem.allow_unassigned else 1.0, 1.0)
    for j in range(m):
        load = np.zeros(n_cols)
        load[j:nx:m] = weights[:, j]
        worth = np.zeros(n_cols)
        worth[j:nx:m] = problem.value[:, j]
        if soft_load:
            add(load, -np.inf, float(problem.capacity[j]))
            short = load.copy()
            short[s_load + 2 * j] = 1
            add(short, float(problem.min_load[j]), np.inf)
            if np.isfinite(problem.max_load[j]):
                over = load.copy()
                over[s_load + 2 * j + 1] = -1
                add(over, -np.inf, float(problem.max_load[j]))
        else:
            add(load, float(problem.min_load[j]), float(problem.upper_load[j]))
        vmin = -np.inf if problem.min_value is None else float(problem.min_value[j])
        vmax = np.inf if problem.max_value is None else float(problem.max_value[j])
        if soft_value:
            short = worth.copy()
            short[s_value + 2 * j] = 1
            add(short, vmin, np.inf)
            over = worth.copy()
            over[s_value + 2 * j + 1] = -1
            add(over, -np.inf, vmax)
        elif problem.has_value_bounds:
            add(worth, vmin, vmax)
        if maxmin and problem.target_load[j] > 0:
            share = -load
            share[tau] = problem.target_load[j]
            add(share, -np.inf, 0.0)
    if not maxmin:
        ub[tau] = 0.0
    integrality = np.zeros(n_cols)
    integrality[:nx] = 1
    top = scale_of(problem)
    constraints = [LinearConstraint(np.array(rows), lo, hi)]
    bounds = Bounds(0.0, ub)

    def run(cost):
        for presolve in (True, False):  # HiGHS's presolve errs on a few tiny models
            res = milp(
                cost,
                integrality=integrality,
                bounds=bounds,
                constraints=constraints,
                options={"mip_rel_gap": 0.0, "presolve": presolve},
            )
            if res.status != 4:
                break
        if res.status == 2:
            return None
        assert res.status == 0, res.message
        return res

    count = share = None
    if problem.allow_unassigned:
        cost = np.zeros(n_cols)
        cost[:nx] = -1
        first = run(cost)
        if first is None:
            return None
        count = round(-first.fun)
        row = np.zeros(n_cols)
        row[:nx] = 1
        constraints.append(LinearConstraint(row[None, :], count, count))
    if maxmin and (problem.target_load > 0).any():
        cost = np.zeros(n_cols)
        cost[tau] = -1
        second = run(cost)
        if second is None:
            return None
        share = -second.fun
        row = np.zeros(n_cols)
        row[tau] = 1
        constraints.append(LinearConstraint(row[None, :], share - 1e-7, np.inf))
    cost = np.zeros(n_cols)
    cost[:nx] = -problem.net_value().ravel() / top
    price_load = (problem.load_penalty or 0.0) / top
    price_value = (problem.value_penalty or 0.0) / top
    if soft_load:
        cost[s_load : s_load + 2 * m] = price_load
    if soft_value:
        cost[s_value : s_value + 2 * m] = price_value
    last = run(cost)
    if last is None:
        return None
    x = np.rint(last.x[:nx]).reshape(n, m) > 0.5
    manager_of = np.where(x.any(axis=1), x.argmax(axis=1), -1)
    if strict:
        assert not broken(problem, manager_of)
    else:
        assume(not broken(problem, manager_of))
    placed = int((manager_of >= 0).sum())
    return placed, min_share(problem, manager_of), score(problem, manager_of)


# ----------------------------------------------------------------------- brute force


def brute_force(problem):
    """Lexicographic optimum ``(count, share, score)`` over every assignment, or None."""
    n, m = problem.value.shape
    choices = list(range(m)) + ([-1] if problem.allow_unassigned else [])
    best = None
    for combo in itertools.product(choices, repeat=n):
        manager_of = np.array(combo)
        if broken(problem, manager_of):
            continue
        share = min_share(problem, manager_of)
        # shares equal up to float noise (2/3 + 1/3 + 1 against 1/3 + 1 + 2/3) tie
        share = -np.inf if share is None else float(f"{share:.10g}")
        key = (int((manager_of >= 0).sum()), share)
        value = score(problem, manager_of)
        if best is None or key > best[0] or (key == best[0] and value > best[1]):
            best = (key, value)
    if best is None:
        return None
    (count, share), value = best
    return count, share, value


# ------------------------------------------------------------------------- strategies


@st.composite
def value_matrices(draw, n, m):
    kind = draw(st.sampled_from(["grid", "float", "ties"]))
    if kind == "grid":
        v = draw(arrays(np.float64, (n, m), elements=st.integers(-16, 32).map(lambda k: k / 8)))
    elif kind == "ties":
        v = draw(arrays(np.float64, (n, m), elements=st.sampled_from([0.0, 0.5, 1.0])))
    else:
        v = draw(arrays(np.float64, (n, m), elements=st.floats(-1.0, 2.0, width=64)))
    return v * draw(st.sampled_from([1.0, 1e-3, 1e4]))


@st.composite
def problems(draw, *, weighted=True, value_bounds=True, soft=False, max_n=9, max_m=4):
    n = draw(st.integers(1, max_n))
    m = draw(st.integers(1, max_m))
    value = draw(value_matrices(n, m))
    eligible = draw(arrays(np.bool_, (n, m), elements=st.sampled_from([True, True, True, False])))
    kwargs = {}
    if weighted and draw(st.booleans()):
        shape = draw(st.sampled_from([(n,), (n, m)]))
        grid = draw(st.sampled_from([[1.0, 0.5, 1.5, 2.0, 3.0], [1 / 3, 2 / 3, 1.0, 0.7]]))
        kwargs["weight"] = draw(arrays(np.float64, shape, elements=st.sampled_from(grid)))
    capacity = np.array([draw(st.integers(0, 2 * n)) / 2 for _ in range(m)])
    if draw(st.booleans()):
        kwargs["min_load"] = np.array([draw(st.integers(0, int(2 * c))) / 2 for c in capacity])
    if draw(st.booleans()):
        low = kwargs.get("min_load", np.zeros(m))
        kwargs["max_load"] = np.array(
            [np.inf if draw(st.booleans()) else lo + draw(st.integers(0, 6)) / 2 for lo in low]
        )
    if value_bounds and draw(st.booleans()):
        total = float(np.abs(value).sum()) / m
        which = draw(st.sampled_from(["min", "max", "both"]))
        lows = [draw(st.sampled_from([-1.0, 0.0, 0.25, 0.5])) * total for _ in range(m)]
        if which in ("min", "both"):
            kwargs["min_value"] = np.array(lows)
        if which in ("max", "both"):
            widths = [draw(st.sampled_from([0.0, 0.5, 1.0, 3.0])) * total for _ in range(m)]
            kwargs["max_value"] = np.array(lows) + np.array(widths)
    if soft:
        top = scale_of_array(value)
        if draw(st.booleans()):
            kwargs["pair_penalty"] = (
                draw(arrays(np.float64, (n, m), elements=st.sampled_from([0.0, 0.0, 0.25, 1.0])))
                * top
            )
        if draw(st.booleans()):
            kwargs["load_penalty"] = draw(st.sampled_from([0.0, 0.3, 1.0, 5.0])) * top
        if draw(st.booleans()):
            kwargs["value_penalty"] = draw(st.sampled_from([0.0, 0.5, 1.0, 2.0]))
    if draw(st.booleans()):
        kwargs["target_load"] = np.array([draw(st.integers(0, 2 * n)) / 2 for _ in range(m)])
    return fl.AssignmentProblem(
        value=value,
        capacity=capacity,
        eligible=eligible,
        allow_unassigned=draw(st.booleans()),
        **kwargs,
    )


def scale_of_array(value):
    return max(1e-3, float(np.abs(value).max()))


def describe(problem):
    fields = [
        "value",
        "eligible",
        "capacity",
        "weight",
        "min_load",
        "max_load",
        "min_value",
        "max_value",
        "pair_penalty",
        "load_penalty",
        "value_penalty",
        "target_load",
        "allow_unassigned",
    ]
    out = []
    for name in fields:
        item = getattr(problem, name)
        out.append(f"{name}={item.tolist() if isinstance(item, np.ndarray) else item!r}")
    return "\n".join(out)


def is_sentence(message):
    return isinstance(message, str) and len(message) > 15 and re.search(r"\w+ \w+ \w+", message)


def cp_sat(problem, **options):
    return fl.solve(problem, method="cp_sat", **{**FAST, **options})


# -------------------------------------------------------------------------- properties


@settings(max_examples=FEW)
@given(problems(soft=True))
def test_every_solution_satisfies_every_hard_constraint(problem):
    note(describe(problem))
    sol = cp_sat(problem)
    note(f"{sol.status} {sol.manager_of.tolist()} {sol.message}")
    assert sol.method == "cp_sat"
    assert sol.manager_of.dtype == np.int64
    assert sol.manager_of.shape == (problem.n_leads,)
    if sol.status.has_solution:
        assert broken(problem, sol.manager_of) == []
        assert sol.message == ""
        assert sol.objective == pytest.approx(score(problem, sol.manager_of) + sol.penalty)
        assert sol.penalty == pytest.approx(penalty(problem, sol.manager_of), abs=1e-9)
        if sol.status is fl.SolveStatus.OPTIMAL:
            assert sol.bound is not None
        if sol.bound is not None:
            assert sol.bound >= sol.score - 1e-9 * scale_of(problem) * problem.n_leads
    else:
        assert sol.status is fl.SolveStatus.INFEASIBLE
        assert is_sentence(sol.message)
        assert (sol.manager_of == -1).all()
        assert sol.bound is None


@settings(max_examples=FEW)
@given(problems(weighted=False, value_bounds=False), st.booleans())
def test_unit_weights_match_min_cost_flow(problem, with_penalty):
    if with_penalty:
        penalties = np.abs(problem.value[::-1]) / 2
        problem = fl.AssignmentProblem(
            value=problem.value,
            capacity=problem.capacity,
            eligible=problem.eligible,
            min_load=problem.min_load,
            max_load=problem.max_load,
            allow_unassigned=problem.allow_unassigned,
            pair_penalty=penalties,
        )
    note(describe(problem))
    flow = fl.solve(problem, method="min_cost_flow")
    sol = cp_sat(problem)
    note(f"flow={flow.status} {flow.score} cp_sat={sol.status} {sol.score}")
    if flow.status is fl.SolveStatus.INFEASIBLE:
        assert sol.status is fl.SolveStatus.INFEASIBLE
        assert sol.message == explain_infeasible(problem)
        return
    assert sol.status is fl.SolveStatus.OPTIMAL
    assert sol.n_unassigned == flow.n_unassigned
    rounding = model_scales(problem).value_rounding
    slack = 2 * problem.n_leads * rounding + 1e-12 * problem.n_leads * scale_of(problem)
    assert math.isclose(sol.score, flow.score, rel_tol=1e-6, abs_tol=slack)
    assert sol.bound is not None
    assert sol.bound >= flow.score - slack


@settings(max_examples=FEW)
@given(problems())
def test_weights_and_value_bounds_match_the_milp(problem):
    note(describe(problem))
    reference = milp_reference(problem)
    sol = cp_sat(problem)
    note(f"reference={reference} {sol.status} {sol.score} {sol.manager_of.tolist()}")
    if reference is None:
        assert sol.status is fl.SolveStatus.INFEASIBLE
        assert is_sentence(sol.message)
        return
    count, _, best = reference
    assert sol.status.has_solution, sol.message
    assert broken(problem, sol.manager_of) == []
    assert problem.n_leads - sol.n_unassigned == count
    assert_optimum(problem, sol, best, reference_slack=highs_slack(problem))
    if sol.status is not fl.SolveStatus.OPTIMAL:  # only on a rounding edge
        assert not model_scales(problem).exact
        assert sol.gap is not None
        assert sol.gap < 1e-6


@settings(max_examples=FEW)
@given(problems(soft=True))
def test_soft_constraints_match_the_milp(problem):
    assume(
        problem.load_penalty is not None
        or problem.value_penalty is not None
        or problem.pair_penalty is not None
    )
    note(describe(problem))
    reference = milp_reference(problem)
    sol = cp_sat(problem)
    note(f"reference={reference} {sol.status} {sol.score} {sol.manager_of.tolist()}")
    if reference is None:
        assert sol.status is fl.SolveStatus.INFEASIBLE
        return
    count, _, best = reference
    assert sol.status.has_solution, sol.message
    assert problem.n_leads - sol.n_unassigned == count
    assert broken(problem, sol.manager_of) == []
    assert sol.penalty == penalty_of(problem, sol.manager_of)
    assert sol.penalty == pytest.approx(penalty(problem, sol.manager_of), rel=1e-12, abs=1e-15)
    note(f"scales={model_scales(problem)}")
    assert_optimum(problem, sol, best, reference_slack=highs_slack(problem))


@settings(max_examples=FEW)
@given(problems(soft=True, max_n=6, max_m=3))
def test_maxmin_matches_brute_force(problem):
    note(describe(problem))
    exact = brute_force(problem)
    sol = cp_sat(problem, objective="maxmin")
    note(f"brute force={exact} {sol.status} {sol.score} {sol.manager_of.tolist()}")
    if exact is None:
        assert sol.status is fl.SolveStatus.INFEASIBLE
        return
    count, share, best = exact
    assert sol.status.has_solution, sol.message
    assert broken(problem, sol.manager_of) == []
    assert problem.n_leads - sol.n_unassigned == count
    got = min_share(problem, sol.manager_of)
    if share is None or share == -np.inf:
        assert got is None
    else:
        # cp_sat keeps the share to 1 / share_resolution (about 1e-9)
        assert got == pytest.approx(share, rel=1e-7, abs=1e-9)
    assert_optimum(problem, sol, best, objective="maxmin")


@settings(max_examples=max(10, FEW // 2))
@given(problems(max_n=7))
def test_maxmin_matches_the_milp(problem):
    note(describe(problem))
    reference = milp_reference(problem, maxmin=True)
    sol = cp_sat(problem, objective="maxmin")
    if reference is None:
        assert sol.status is fl.SolveStatus.INFEASIBLE
        return
    count, share, best = reference
    assert sol.status.has_solution, sol.message
    assert problem.n_leads - sol.n_unassigned == count
    if share is not None:
        assert min_share(problem, sol.manager_of) == pytest.approx(share, rel=1e-6, abs=1e-6)
    assert_optimum(problem, sol, best, objective="maxmin", reference_slack=highs_slack(problem))


# ----------------------------------------------------------------------- hand-made


def test_weighted_leads_go_where_they_fit():
    # lead 0 weighs 2 for manager 0 and 1 for manager 1; manager 1 has room for 1
    p = fl.AssignmentProblem(
        value=np.array([[5.0, 4.0], [3.0, 0.0]]),
        capacity=[2, 1],
        weight=np.array([[2.0, 1.0], [2.0, 5.0]]),
    )
    sol = cp_sat(p)
    assert sol.status is fl.SolveStatus.OPTIMAL
    assert sol.manager_of.tolist() == [1, 0]
    assert sol.objective == 7.0
    assert sol.bound == 7.0
    assert sol.gap == 0.0
    np.testing.assert_array_equal(sol.loads, [2.0, 1.0])


def test_value_bounds_hold_in_floats():
    # manager 0 may collect at most 0.3 of value: 0.1 + 0.2 equals 0.30000000000000004
    p = fl.AssignmentProblem(
        value=np.array([[0.1, 0.0], [0.2, 0.0], [0.25, 0.0]]),
        capacity=[3, 3],
        max_value=[0.3, 10],
    )
    sol = cp_sat(p)
    assert sol.status is fl.SolveStatus.OPTIMAL
    assert broken(p, sol.manager_of) == []
    assert sol.objective == pytest.approx(0.3)
    assert sorted(sol.manager_of.tolist()) == [0, 0, 1]


def test_thirds_and_sevenths_fill_a_capacity_exactly():
    # no round scale: a power of two as fine as int64 allows, where 1/3 + 1/3 + 1/3
    # and 1/7 + 2/7 + 4/7 still fill a capacity of 1
    third, seventh = 1 / 3, 1 / 7
    weight = np.array([third, third, third, seventh, 2 * seventh, 4 * seventh])
    p = fl.AssignmentProblem(
        value=np.array([[4.0, 0], [4, 0], [4, 0], [1, 5], [1, 5], [1, 5]]),
        capacity=[1, 1],
        weight=weight,
    )
    scales = model_scales(p)
    assert math.log2(scales.weight) >= 40
    sol = cp_sat(p)
    assert sol.status is fl.SolveStatus.OPTIMAL
    assert sol.manager_of.tolist() == [0, 0, 0, 1, 1, 1]
    assert sol.objective == 27.0


def test_coefficients_without_an_integer_scale_are_rounded_conservatively():
    # weights six orders of magnitude apart: the small ones are not integers at any
    # scale int64 allows, so the model is a restriction and a relaxation proves the bound
    rng = np.random.default_rng(7)
    weight = np.concatenate([rng.random(6) * 1e-6 + 1e-7, [1.0, 1.0]])
    value = rng.random((8, 2))
    p = fl.AssignmentProblem(value=value, capacity=[1.000002, 1.000003], weight=weight)
    scales = model_scales(p)
    assert not scales.exact
    sol = cp_sat(p)
    assert sol.status is fl.SolveStatus.OPTIMAL
    assert broken(p, sol.manager_of) == []
    assert "bound" in sol.timings  # the relaxation ran
    reference = milp_reference(p, strict=True)
    assert_optimum(p, sol, reference[2], reference_slack=highs_slack(p))


def test_place_as_many_as_possible_first():
    p = fl.AssignmentProblem(
        value=np.array([[100.0, 1.0], [1.0, -50.0]]),
        capacity=[1, 1],
        eligible=np.array([[True, True], [True, False]]),
        allow_unassigned=True,
    )
    sol = cp_sat(p)
    assert sol.manager_of.tolist() == [1, 0]
    assert sol.objective == 2.0


def test_soft_min_load_that_cannot_be_met_is_paid_for():
    # 4 leads, each manager wants 3: the band costs 0.5 per missing lead
    p = fl.AssignmentProblem(
        value=np.ones((4, 2)), capacity=[4, 4], min_load=[3, 3], load_penalty=0.5
    )
    sol = cp_sat(p)
    assert sol.status is fl.SolveStatus.OPTIMAL
    assert sol.penalty == penalty_of(p, sol.manager_of) == 1.0
    assert sol.score == 3.0
    assert sol.bound == pytest.approx(3.0)


@pytest.mark.parametrize(("price", "loads"), [(0.3, [4.0, 0.0]), (2.0, [2.0, 2.0])])
def test_soft_min_load_is_met_when_it_pays(price, loads):
    p = fl.AssignmentProblem(
        value=np.array([[1.0, 0.0]] * 4), capacity=[4, 4], min_load=[0, 2], load_penalty=price
    )
    sol = cp_sat(p)
    np.testing.assert_array_equal(sol.loads, loads)
    assert sol.penalty == pytest.approx(penalty_of(p, sol.manager_of))


def test_fractional_soft_band_is_measured_exactly():
    p = fl.AssignmentProblem(value=np.ones((2, 1)), capacity=[3], min_load=[2.5], load_penalty=1)
    assert model_scales(p).weight == 2.0
    sol = cp_sat(p)
    assert sol.penalty == 0.5
    assert sol.score == 1.5
    assert sol.bound == pytest.approx(1.5)


def test_soft_value_band():
    # manager 0 should collect at least 2 of value; each unit missing costs 0.5
    v = np.array([[1.0, 3.0], [1.0, 3.0]])
    cheap = fl.AssignmentProblem(value=v, capacity=[2, 2], min_value=[2, 0], value_penalty=0.5)
    dear = fl.AssignmentProblem(value=v, capacity=[2, 2], min_value=[2, 0], value_penalty=5)
    assert cp_sat(cheap).manager_of.tolist() == [1, 1]
    assert cp_sat(cheap).score == pytest.approx(6 - 1)
    assert cp_sat(dear).manager_of.tolist() == [0, 0]
    assert cp_sat(dear).score == pytest.approx(2)


def test_maxmin_evens_out_normalized_shares():
    # targets 2 and 4: shares load / target are equal at loads 2 and 4
    p = fl.AssignmentProblem(value=np.array([[1.0, 0.0]] * 6), capacity=[6, 6], target_load=[2, 4])
    assert cp_sat(p).loads.tolist() == [6.0, 0.0]
    sol = cp_sat(p, objective="maxmin")
    assert sol.status is fl.SolveStatus.OPTIMAL
    assert sol.loads.tolist() == [2.0, 4.0]
    assert sol.objective == 2.0


def test_maxmin_ignores_managers_without_target():
    p = fl.AssignmentProblem(value=np.array([[0.0, 1.0]] * 3), capacity=[3, 3], target_load=[0, 3])
    sol = cp_sat(p, objective="maxmin")
    assert sol.loads.tolist() == [0.0, 3.0]


@pytest.mark.parametrize("hint", [True, False])
def test_hint_does_not_change_the_optimum(hint):
    rng = np.random.default_rng(3)
    p = fl.AssignmentProblem(
        value=rng.random((30, 4)), capacity=[20, 20, 20, 20], weight=rng.integers(1, 4, 30)
    )
    sol = cp_sat(p, hint=hint)
    reference = milp_reference(p, strict=True)
    assert sol.status is fl.SolveStatus.OPTIMAL
    assert_optimum(p, sol, reference[2], reference_slack=highs_slack(p))


def test_same_seed_same_answer_with_one_worker():
    rng = np.random.default_rng(5)
    p = fl.AssignmentProblem(value=rng.integers(0, 3, (20, 3)), capacity=[7, 7, 7])
    first = cp_sat(p, seed=11)
    second = cp_sat(p, seed=11)
    np.testing.assert_array_equal(first.manager_of, second.manager_of)


# ------------------------------------------------------------------- infeasibility


def test_unit_weight_infeasibility_uses_the_flow_explanation():
    p = fl.AssignmentProblem(value=np.ones((3, 2)), capacity=[1, 1])
    sol = cp_sat(p)
    assert sol.status is fl.SolveStatus.INFEASIBLE
    assert sol.message == explain_infeasible(p)
    assert sol.message.startswith("managers can take 2 leads in total")
    assert (sol.manager_of == -1).all()
    assert sol.bound is None


def test_weighted_infeasibility_names_the_constraint_groups():
    # each manager fits one lead of weight 2, three must be placed: no total is short
    p = fl.AssignmentProblem(value=np.ones((3, 2)), capacity=[3, 3], weight=[2, 2, 2])
    sol = cp_sat(p)
    assert sol.status is fl.SolveStatus.INFEASIBLE
    # a minimal conflicting set, in words (fairlead.diagnose._conflicts)
    assert sol.message == (
        "3 leads (lead 0, lead 1, lead 2) can only go to the 2 managers (manager 0, "
        "manager 1), whose capacity totals 6, room for 2 leads of workload 2; short by 1"
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"weight": [3, 1], "lead_labels": ["big", "small"]},
            "lead 'big' fits no eligible manager: its workload exceeds the capacity/max_load "
            "of each",
        ),
        (
            {"value": np.ones((3, 2)), "weight": [1.25, 1.25, 1.25]},
            "the leads weigh at least 3.75 in total, but managers can take 3 "
            "(capacity/max_load); short by 0.75 (or set allow_unassigned=True)",
        ),
        (
            {"weight": [0.5, 0.5], "min_load": [0, 1.5], "capacity": [2, 2]},
            "min_load of manager 1 (1.5) exceeds the workload of all leads that fit it (1)",
        ),
    ],
)
def test_weighted_infeasibility_reasons_on_totals(kwargs, message):
    args = {"value": np.ones((2, 2)), "capacity": [1.5, 1.5], **kwargs}
    sol = cp_sat(fl.AssignmentProblem(**args))
    assert sol.status is fl.SolveStatus.INFEASIBLE
    assert sol.message == message


def test_value_bound_infeasibility_names_value_bounds():
    p = fl.AssignmentProblem(value=np.ones((2, 2)), capacity=[2, 2], min_value=[1.5, 1.5])
    sol = cp_sat(p)
    assert sol.status is fl.SolveStatus.INFEASIBLE
    assert sol.message == (
        "no assignment meets all of these together: min_value of manager 0 (1.5); "
        "min_value of manager 1 (1.5)"
    )


def test_lead_without_eligible_manager_is_infeasible_unless_allowed():
    eligible = np.array([[True], [False]])
    p = fl.AssignmentProblem(value=np.ones((2, 1)), capacity=[2], eligible=eligible)
    sol = cp_sat(p)
    assert sol.status is fl.SolveStatus.INFEASIBLE
    assert "lead 1" in sol.message
    q = fl.AssignmentProblem(
        value=np.ones((2, 1)), capacity=[2], eligible=eligible, allow_unassigned=True
    )
    assert cp_sat(q).manager_of.tolist() == [0, -1]


# ------------------------------------------------------------- time limit and options


def hard_gap(n=200, m=20, seed=0):
    """A Chu-Beasley type c instance: tight capacities, CP-SAT needs minutes to prove."""
    rng = np.random.default_rng(seed)
    weight = rng.integers(5, 26, (n, m)).astype(float)
    cost = rng.integers(10, 51, (n, m)).astype(float)
    capacity = np.floor(0.8 * weight.sum(axis=0) / m)
    return fl.AssignmentProblem(value=-cost, capacity=capacity, weight=weight)


def test_time_limit_is_respected():
    p = hard_gap()
    start = time.perf_counter()
    sol = fl.solve(p, method="cp_sat", time_limit=1.0)
    elapsed = time.perf_counter() - start
    assert elapsed < 3.0
    assert sol.status in (fl.SolveStatus.FEASIBLE, fl.SolveStatus.OPTIMAL)
    assert broken(p, sol.manager_of) == []
    assert sol.bound is not None
    assert sol.bound >= sol.score
    if sol.status is fl.SolveStatus.FEASIBLE:
        assert sol.gap is not None
        assert sol.gap > 0


def test_no_solution_within_the_time_limit():
    p = hard_gap(n=2000, m=50, seed=1)
    sol = fl.solve(p, method="cp_sat", time_limit=1e-3, hint=False)
    assert sol.status is fl.SolveStatus.TIME_LIMIT
    assert not sol.status.has_solution
    assert re.fullmatch(r"cp_sat found no assignment within 0\.001 s; .*time_limit.*", sol.message)
    assert (sol.manager_of == -1).all()


def test_relative_gap_stops_early():
    p = hard_gap(seed=2)
    sol = fl.solve(p, method="cp_sat", relative_gap=0.05, time_limit=20)
    assert sol.status.has_solution
    assert sol.gap is not None
    assert sol.gap <= 0.05 + 1e-9


def test_unknown_options_are_named():
    p = fl.AssignmentProblem(value=np.ones((1, 1)), capacity=[1])
    with pytest.raises(
        ValueError,
        match=re.escape(
            "method 'cp_sat' does not take option 'timelimit'; it takes: 'time_limit', "
            "'workers', 'objective', 'hint', 'seed', 'relative_gap'"
        ),
    ):
        fl.solve(p, method="cp_sat", timelimit=3)


@pytest.mark.parametrize(
    ("option", "value", "want"),
    [
        ("time_limit", 0, "a number of seconds > 0 or None"),
        ("time_limit", "1", "a number of seconds > 0 or None"),
        ("workers", 0, "an int >= 1 or None"),
        ("workers", 1.5, "an int >= 1 or None"),
        ("objective", "fair", "'value' or 'maxmin'"),
        ("seed", -1, "an int >= 0"),
        ("relative_gap", 1.0, r"a number in \[0, 1\)"),
        ("hint", "yes", "a bool"),
    ],
)
def test_bad_option_values_are_named(option, value, want):
    p = fl.AssignmentProblem(value=np.ones((1, 1)), capacity=[1])
    with pytest.raises(
        ValueError, match=rf"^option '{option}' of method 'cp_sat' must be {want}, got "
    ):
        fl.solve(p, method="cp_sat", **{option: value})


def test_cp_sat_is_registered_and_exact():
    assert "cp_sat" in fl.list_methods()
    sol = fl.solve(fl.AssignmentProblem(value=[[1.0]], capacity=[1]), method="cp_sat")
    assert sol.status is fl.SolveStatus.OPTIMAL
    assert sol.timings["build"] >= 0


# ------------------------------------------------------------------ GAP benchmarks


@needs_gap
@pytest.mark.parametrize("number", range(1, 13))  # about 10 s for all 60 instances
def test_orlib_gap_reaches_the_published_optimum(number):
    path = GAP / "orlib" / f"gap{number}.txt"
    assert gap_instances(path) == 5
    for index, optimum in enumerate(ORLIB_OPTIMA[number]):
        p = read_gap(path, index=index)
        assert model_scales(p).exact
        sol = fl.solve(p, method="cp_sat", time_limit=60)
        assert sol.status is fl.SolveStatus.OPTIMAL, (number, index)
        assert broken(p, sol.manager_of) == []
        assert sol.objective == optimum, (number, index)
        assert sol.bound == optimum


@needs_gap
def test_read_gap_orientation_against_a_published_solution():
    # fontanf's best solution of c05100 (0-based agent per job) costs the optimum, 1931
    p = read_gap(GAP / "chu1997" / "c05100")
    assert p.value.shape == (100, 5)
    agents = np.array((GAP / "best_solutions/chu1997/c05100_solution.txt").read_text().split(), int)
    assert broken(p, agents) == []
    assert -p.value[np.arange(100), agents].sum() == 1931


@needs_gap
def test_orlib_gapa_is_the_chu_beasley_type_a_files():
    assert gap_instances(GAP / "orlib" / "gapa.txt") == 6
    assert gap_instances(GAP / "chu1997" / "a05100") == 1
    for index, name in enumerate(["a05100", "a05200", "a10100"]):
        multi = read_gap(GAP / "orlib" / "gapa.txt", index=index)
        single = read_gap(GAP / "chu1997" / name)
        np.testing.assert_array_equal(multi.value, single.value)
        np.testing.assert_array_equal(multi.weight, single.weight)
        np.testing.assert_array_equal(multi.capacity, single.capacity)


@needs_gap
@pytest.mark.slow
@pytest.mark.parametrize(("name", "optimum"), [("c10200", 2806), ("c20200", 2391)])
def test_chu_beasley_type_c_within_half_a_percent_in_30_seconds(name, optimum):
    # the benchmark's target (benchmarks/gap_cp_sat.py) on its two hardest instances
    p = read_gap(GAP / "chu1997" / name)
    start = time.perf_counter()
    sol = fl.solve(p, method="cp_sat", time_limit=30)
    assert time.perf_counter() - start < 35
    assert sol.status.has_solution
    assert broken(p, sol.manager_of) == []
    cost = -sol.objective
    assert cost >= optimum
    assert (cost - optimum) / optimum <= 0.005
    assert sol.bound is not None
    assert -sol.bound <= optimum  # the bound is a valid lower bound on the cost


@needs_gap
def test_chu_beasley_type_a_reaches_the_optimum():
    p = read_gap(GAP / "chu1997" / "a05100")
    sol = fl.solve(p, method="cp_sat", time_limit=30)
    assert sol.status is fl.SolveStatus.OPTIMAL
    assert -sol.objective == 1698


def test_read_gap_errors(tmp_path):
    bad = tmp_path / "bad"
    bad.write_text("2 3 1 2")
    with pytest.raises(ValueError, match=r"not a GAP file: 4 tokens fit neither"):
        read_gap(bad)
    words = tmp_path / "words"
    words.write_text("1 1 x")
    with pytest.raises(ValueError, match=r"GAP files hold integers only, found 'x'"):
        read_gap(words)
    one = tmp_path / "one"
    one.write_text("1 2  5 6  1 1  2")
    assert gap_instances(one) == 1
    with pytest.raises(ValueError, match=r"holds 1 instance\(s\); index must be in \[0, 0\]"):
        read_gap(one, index=1)
    gap3 = tmp_path / "gap3.txt"
    gap3.write_text("1  1 2  5 6  1 1  2")
    assert read_gap(gap3).value.tolist() == [[5.0], [6.0]]  # OR-Library gapN: maximise
    assert read_gap(gap3, maximize=False).value.tolist() == [[-5.0], [-6.0]]
