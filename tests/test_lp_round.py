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
