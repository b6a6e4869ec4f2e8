import re

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import LinearConstraint, milp

import fairlead as fl


def milp_optimum(p: fl.AssignmentProblem) -> float | None:
    """Integer optimum of the same problem by HiGHS, written independently."""
    n, m = p.value.shape
    rows, cols = np.nonzero(p.eligible)
    k = rows.size
    idx = np.arange(k)
    w = np.broadcast_to(p.weight[:, None] if p.weight.ndim == 1 else p.weight, (n, m))
    cons = [
        LinearConstraint(sp.csr_matrix((np.ones(k), (rows, idx)), shape=(n, k)), 1, 1),
        LinearConstraint(
            sp.csr_matrix((w[rows, cols], (cols, idx)), shape=(m, k)),
            p.min_load,
            np.minimum(p.capacity, p.max_load),
        ),
    ]
    if p.min_value is not None or p.max_value is not None:
        lo = p.min_value if p.min_value is not None else np.full(m, -np.inf)
        hi = p.max_value if p.max_value is not None else np.full(m, np.inf)
        cons.append(
            LinearConstraint(
                sp.csr_matrix((p.value[rows, cols], (cols, idx)), shape=(m, k)), lo, hi
            )
        )
    if k == 0:
        return None
    res = milp(
        -p.value[rows, cols],
        constraints=cons,
        integrality=np.ones(k, dtype=np.int64),
        bounds=(0, 1),
        options={"mip_rel_gap": 0},
    )
    return None if res.x is None else float(-res.fun)


def holds(p: fl.AssignmentProblem, manager_of: np.ndarray) -> bool:
    n, m = p.value.shape
    if (manager_of < 0).any() or not p.eligible[np.arange(n), manager_of].all():
        return False
    w = p.weight if p.weight.ndim == 1 else p.weight[np.arange(n), manager_of]
    load = np.bincount(manager_of, weights=w, minlength=m)
    val = np.bincount(manager_of, weights=p.value[np.arange(n), manager_of], minlength=m)
    tol = 1e-9
    ok = (load >= p.min_load - tol).all() and (
        load <= np.minimum(p.capacity, p.max_load) + tol
    ).all()
    if p.min_value is not None:
        ok &= bool((val >= p.min_value - tol).all())
    if p.max_value is not None:
        ok &= bool((val <= p.max_value + tol).all())
    return bool(ok)


@st.composite
def banded(draw):
    n = draw(st.integers(2, 12))
    m = draw(st.integers(1, 4))
    seed = draw(st.integers(0, 10**6))
    rng = np.random.default_rng(seed)
    value = rng.integers(0, 10, size=(n, m)) / 10.0
    eligible = rng.random((n, m)) < 0.85
    weighted = draw(st.booleans())
    weight = rng.integers(1, 4, size=(n, m)).astype(float) if weighted else None
    total = (weight.mean() if weighted else 1.0) * n
    cap = np.full(m, np.ceil(total / m * draw(st.sampled_from([1.0, 1.3, 2.0]))))
    low = np.floor(cap * draw(st.sampled_from([0.0, 0.3, 0.6])))
    per = value.max(axis=1).sum() / m
    vlo = np.full(m, per * draw(st.sampled_from([0.0, 0.3, 0.6])))
    vhi = np.full(m, per * draw(st.sampled_from([1.2, 2.0, 10.0])))
    return fl.AssignmentProblem(
        value=value,
        capacity=cap,
        eligible=eligible,
        weight=weight,
        min_load=low,
        min_value=vlo,
        max_value=vhi,
    )


@settings(deadline=None, max_examples=60)
@given(banded())
def test_lp_round_is_valid_and_near_the_milp_optimum(p):
    sol = fl.solve(p, method="lp_round", time_limit=20)
    best = milp_optimum(p)
    if best is None:
        assert not sol.status.has_solution
        assert sol.message
        return
    assert sol.status is fl.SolveStatus.FEASIBLE
    assert holds(p, sol.manager_of)
    assert sol.bound is not None
    scale = max(1.0, abs(best))
    # the bound is an LP bound: never below the integer optimum
    assert sol.bound >= best - 1e-7 * scale
    assert sol.objective <= best + 1e-7 * scale
    # small instances are repaired whole by the exact MILP
    assert sol.objective >= best - 1e-4 * scale
    assert sol.duals is not None
    assert sol.duals.shape == (p.n_managers,)


def test_lp_round_gap_on_a_larger_instance():
    rng = np.random.default_rng(3)
    n, m = 3000, 20
    value = rng.random((n, m))
    target = n / m
    per = value.max(axis=1).sum() / m
    p = fl.AssignmentProblem(
        value=value,
        capacity=np.full(m, np.ceil(1.1 * target)),
        min_load=np.full(m, np.floor(0.9 * target)),
        min_value=np.full(m, 0.97 * per),
        max_value=np.full(m, 1.01 * per),
    )
    sol = fl.solve(p, method="lp_round")
    assert sol.status is fl.SolveStatus.FEASIBLE
    assert holds(p, sol.manager_of)
    assert sol.gap is not None
    assert sol.gap < 1e-3


def test_lp_round_rejects_what_it_does_not_do():
    p = fl.AssignmentProblem(value=np.ones((2, 2)), capacity=[1, 1], allow_unassigned=True)
    with pytest.raises(ValueError, match="allow_unassigned"):
        fl.solve(p, method="lp_round")
    p = fl.AssignmentProblem(value=np.ones((2, 2)), capacity=[2, 2], load_penalty=1.0)
    with pytest.raises(ValueError, match="cp_sat"):
        fl.solve(p, method="lp_round")


def test_lp_round_reports_a_lead_without_managers():
    p = fl.AssignmentProblem(
        value=np.ones((2, 2)),
        capacity=[2, 2],
        eligible=[[True, True], [False, False]],
        lead_labels=["a", "b"],
    )
    sol = fl.solve(p, method="lp_round")
    assert sol.status is fl.SolveStatus.INFEASIBLE
    assert sol.message == "lead 'b' has no eligible manager"
    assert sol.bound is None


def test_auto_prefers_lp_round_at_scale_and_says_why():
    rng = np.random.default_rng(0)
    n, m = 5000, 50
    value = rng.random((n, m))
    per = value.max(axis=1).sum() / m
    p = fl.AssignmentProblem(
        value=value,
        capacity=np.full(m, 120),
        min_value=np.full(m, 0.9 * per),
    )
    sol = fl.solve(p, method="auto")
    assert sol.method == "lp_round"
    assert sol.note.startswith("auto chose lp_round: value bands on 250,000 eligible pairs")


# ------------------------------------------------------------ INFEASIBLE only when proven

V3 = np.array([[0.3, 0.1], [0.2, 0.4], [0.5, 0.6]])


@pytest.mark.parametrize("huge", [1e12, 1e20, 1e300])
def test_lp_round_solves_a_feasible_problem_with_huge_workloads(huge):
    # HiGHS takes 1e20 for infinity and rejects such coefficients; rows are scaled
    p = fl.AssignmentProblem(V3, [huge, 2], weight=[huge, 1, 1])
    sol = fl.solve(p, method="lp_round")
    assert sol.status is fl.SolveStatus.FEASIBLE, sol.message
    assert sol.message == ""
    assert sol.manager_of.tolist() == [0, 1, 1]
    assert sol.objective == pytest.approx(1.3)


def test_lp_round_says_infeasible_only_with_a_proven_conflict(monkeypatch):
    from fairlead.solvers import lp_round

    def claims_infeasible(*args, **kwargs):
        return lp_round._Repair(None, 2, "Problem is infeasible.")

    monkeypatch.setattr(lp_round, "_residual_milp", claims_infeasible)
    p = fl.AssignmentProblem(V3, [2, 2])  # feasible: no conflict exists
    sol = fl.solve(p, method="lp_round")
    assert sol.status is fl.SolveStatus.FAILED
    assert re.fullmatch(
        r"lp_round's repair \(HiGHS\) found no assignment, but no conflict between the "
        r"constraints was proven within \d+ s; method 'cp_sat' solves the problem exactly",
        sol.message,
    )


def test_lp_round_infeasible_names_the_conflict():
    p = fl.AssignmentProblem(np.ones((3, 2)), [2, 2], min_value=[2.5, 0], manager_labels=["a", "b"])
    sol = fl.solve(p, method="lp_round")
    assert sol.status is fl.SolveStatus.INFEASIBLE
    assert sol.message == (
        "min_value of manager 'a' (2.5) cannot be reached: its eligible leads are worth "
        "at most 2 in total with its capacity 2"
    )
    assert sol.bound is None


def test_lp_round_infeasible_when_a_lead_fits_no_manager():
    p = fl.AssignmentProblem(np.ones((3, 2)), [2, 2.5], weight=[1.0, 1.0, 3.0])
    sol = fl.solve(p, method="lp_round")
    assert sol.status is fl.SolveStatus.INFEASIBLE
    assert sol.message == (
        "lead 2 (workload 3) fits none of its eligible managers: manager 0 (capacity 2), "
        "manager 1 (capacity 2.5)"
    )


# ----------------------------------------------------------------------- scale invariance

V2 = np.array([[2.7, 3.5], [6.5, 7.9], [7.5, 1.3], [1.9, 3.1]])


@pytest.mark.parametrize("scale", [10.0**k for k in range(-9, 10)] + [3.7e-8, 7.3e5])
def test_lp_round_same_assignment_at_every_value_scale(scale):
    p = fl.AssignmentProblem(
        V2 * scale, [6.75, 6.75], weight=[2, 1, 4, 2], min_value=[2.16 * scale] * 2
    )
    sol = fl.solve(p, method="lp_round")
    assert sol.status is fl.SolveStatus.FEASIBLE, sol.message
    assert sol.manager_of.tolist() == [1, 1, 0, 1]
    assert sol.objective / scale == pytest.approx(22.0, rel=1e-12)
    assert sol.bound is not None
    assert sol.bound / scale == pytest.approx(22.0, rel=1e-6)


@pytest.mark.parametrize("scale", [1e-300, 1e-100, 1e100, 1e300])
def test_lp_round_extreme_values_are_solved_not_timed_out(scale):
    sol = fl.solve(fl.AssignmentProblem(V2 * scale, [2, 2]), method="lp_round")
    assert sol.status is fl.SolveStatus.FEASIBLE, sol.message
    assert sol.manager_of.tolist() == [0, 1, 0, 1]
    assert sol.objective / scale == pytest.approx(21.2, rel=1e-12)


def _scaled(p: fl.AssignmentProblem, s: float) -> fl.AssignmentProblem:
    return fl.AssignmentProblem(
        value=p.value * s,
        capacity=p.capacity,
        eligible=p.eligible,
        weight=p.weight,
        min_load=p.min_load,
        min_value=p.min_value * s,
        max_value=p.max_value * s,
    )


@settings(deadline=None, max_examples=30)
@given(banded(), st.sampled_from([1e-9, 1e-7, 1e-4, 1e3, 1e6, 1e9]))
def test_lp_round_result_does_not_depend_on_the_scale_of_values(p, s):
    ref = fl.solve(p, method="lp_round", time_limit=20)
    sol = fl.solve(_scaled(p, s), method="lp_round", time_limit=20)
    assert sol.status is not fl.SolveStatus.TIME_LIMIT
    assert sol.status.has_solution == ref.status.has_solution, (sol.message, ref.message)
    if ref.status.has_solution:
        assert sol.status is fl.SolveStatus.FEASIBLE, sol.message
        # both repairs solve the whole problem to HiGHS's relative gap
        assert sol.objective / s == pytest.approx(ref.objective, rel=2e-5, abs=1e-9)


def test_lp_round_band_broken_within_the_milp_tolerance_is_repaired_again():
    # HiGHS accepts rows off by 1e-6: leads 0 and 1 give manager 0 a value of
    # 0.9999996 < min_value 1; the repair is solved again with the band tightened
    value = np.array([[0.4999996, 0.0], [0.5, 0.0], [0.3, 0.9], [0.0, 0.9]])
    p = fl.AssignmentProblem(value, [4, 4], min_value=[1.0, 0.0])
    sol = fl.solve(p, method="lp_round")
    assert sol.status is fl.SolveStatus.FEASIBLE, sol.message
    assert sol.manager_of.tolist() == [0, 0, 0, 1]
    assert sol.objective == pytest.approx(fl.solve(p, method="cp_sat").objective, rel=1e-12)


# ---------------------------------------------------------------- TIME_LIMIT, FAILED


@pytest.mark.parametrize(
    ("highs_status", "status", "message"),
    [
        (
            1,
            fl.SolveStatus.TIME_LIMIT,
            r"lp_round ran out of time \(time_limit=60 s\) before repairing the rounding; "
            r"a longer time_limit may find an assignment",
        ),
        (
            4,
            fl.SolveStatus.FAILED,
            r"lp_round could not repair the rounding: HiGHS reported 'numerical trouble'; "
            r"method 'cp_sat' solves the problem exactly",
        ),
    ],
)
def test_lp_round_time_limit_only_when_time_ran_out(monkeypatch, highs_status, status, message):
    from fairlead.solvers import lp_round

    def no_solution(*args, **kwargs):
        return lp_round._Repair(None, highs_status, "numerical trouble")

    monkeypatch.setattr(lp_round, "_residual_milp", no_solution)
    sol = fl.solve(fl.AssignmentProblem(V2, [2, 2]), method="lp_round")
    assert sol.status is status
    assert re.fullmatch(message, sol.message)
    assert sol.bound is not None  # the LP bound still holds


# ------------------------------------------------------------------------------- options


@pytest.mark.parametrize(
    ("option", "value", "want"),
    [
        ("time_limit", -5, "a number of seconds > 0 or None"),
        ("time_limit", 0, "a number of seconds > 0 or None"),
        ("time_limit", float("nan"), "a number of seconds > 0 or None"),
        ("time_limit", "10", "a number of seconds > 0 or None"),
        ("time_limit", True, "a number of seconds > 0 or None"),
        ("candidates", 2.5, "an int >= 1"),
        ("candidates", 0, "an int >= 1"),
        ("candidates", None, "an int >= 1"),
        ("candidates", True, "an int >= 1"),
        ("free_share", float("nan"), r"a number in \[0, 1\]"),
        ("free_share", float("inf"), r"a number in \[0, 1\]"),
        ("free_share", -0.1, r"a number in \[0, 1\]"),
        ("free_share", 1.5, r"a number in \[0, 1\]"),
        ("free_share", None, r"a number in \[0, 1\]"),
    ],
)
def test_lp_round_rejects_bad_options(option, value, want):
    p = fl.AssignmentProblem(
        np.random.default_rng(0).random((20, 3)), [10] * 3, min_value=[0.5] * 3
    )
    got = re.escape(repr(value))
    with pytest.raises(
        ValueError, match=rf"^option '{option}' of method 'lp_round' must be {want}, got {got}$"
    ):
        fl.solve(p, method="lp_round", **{option: value})


def test_lp_round_time_limit_none_means_no_limit_like_cp_sat():
    p = fl.AssignmentProblem(
        np.random.default_rng(0).random((20, 3)), [10] * 3, min_value=[0.5] * 3
    )
    sol = fl.solve(p, method="lp_round", time_limit=None)
    assert sol.status is fl.SolveStatus.FEASIBLE
    assert fl.solve(p, method="cp_sat", time_limit=None).status is fl.SolveStatus.OPTIMAL
    assert sol.objective == pytest.approx(fl.solve(p, method="cp_sat").objective, rel=1e-4)
    for ok in (np.int64(3), np.float32(0.5)):
        fl.solve(p, method="lp_round", time_limit=ok, candidates=np.int64(2), free_share=ok / 10)
