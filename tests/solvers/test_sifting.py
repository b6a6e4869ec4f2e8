"""The exact ``sifting`` method: same optimum as ``min_cost_flow``, prices, a dual certificate.

Every solve is checked against ``min_cost_flow`` (status, optimum, number of
unassigned leads) and against an independent reading of its certificate: the
assignment is feasible, the prices satisfy complementary slackness, and the LP
dual objective at the prices (recomputed here in numpy) equals ``Solution.bound``
and the optimum.
"""

import math

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import assume, given, note, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context
from hypothesis.extra.numpy import arrays

import fairlead as fl
from fairlead.formulation import scale_for
from fairlead.solvers import _sifting
from fairlead.solvers._assignable import max_assignable_count

OPTIMAL = fl.SolveStatus.OPTIMAL
INFEASIBLE = fl.SolveStatus.INFEASIBLE
REL = 1e-9

# ------------------------------------------------------------------ independent checks


def net_values(problem):
    """``value - pair_penalty`` where eligible, ``-inf`` elsewhere, float64."""
    net = np.array(problem.value, dtype=np.float64)
    if problem.pair_penalty is not None:
        net = net - problem.pair_penalty
    return np.where(problem.eligible, net, -np.inf)


def magnitude(problem):
    """``|net value|`` of every eligible pair, flat."""
    net = net_values(problem)
    return np.abs(net[np.isfinite(net)])


def objective_tol(problem):
    """Absolute slack for comparing objectives: ``1e-9 * max(1, sum |net value|)``."""
    return REL * max(1.0, float(magnitude(problem).sum()))


def price_tol(problem):
    """Slack for reduced values: prices are integer-scaled, so relative to ``max |value|``."""
    finite = magnitude(problem)
    return REL * (float(finite.max()) if finite.size else 0.0) + 1e-12


def certificate_tol(problem, score):
    """Slack for ``bound - objective``: ``1e-9 * max(1, |objective|)`` plus float noise.

    The certificate is exact in scaled integers. In floats each lead's term of the
    dual can move by a few ulps of ``max |value|`` and by the rounding of values to
    the integer grid (``max |value| * max(2**-53, (n + m + 4) / 2**61)``), which
    only shows when the objective is near zero next to large values.
    """
    finite = magnitude(problem)
    top = float(finite.max()) if finite.size else 0.0
    n, m = problem.n_leads, problem.n_managers
    grid = max(2.0**-53, (n + m + 4) * 2.0**-61)
    noise = n * top * (8 * np.finfo(np.float64).eps + grid)
    return REL * max(1.0, abs(score)) + noise


def count_bounds(problem):
    n = problem.n_leads
    low = np.array([math.ceil(x - 1e-9) for x in problem.min_load], dtype=np.int64)
    upper = np.minimum(np.minimum(problem.capacity, problem.max_load), n)
    high = np.array([math.floor(x + 1e-9) for x in upper], dtype=np.int64)
    return low, high


def assert_feasible(problem, manager_of):
    n, m = problem.n_leads, problem.n_managers
    assert manager_of.shape == (n,)
    assert manager_of.dtype == np.int64
    assert np.all((manager_of >= -1) & (manager_of < m))
    assigned = np.flatnonzero(manager_of >= 0)
    if not problem.allow_unassigned:
        assert assigned.size == n
    assert problem.eligible[assigned, manager_of[assigned]].all(), "ineligible pair chosen"
    loads = np.bincount(manager_of[assigned], minlength=m)
    low, high = count_bounds(problem)
    assert np.all(loads >= low), (loads, low)
    assert np.all(loads <= high), (loads, high)


def independent_dual(problem, prices, unassigned_price, placed):
    """The LP dual objective at ``prices``, computed from the definition.

    ``sum_i max_j (v_ij - p_j) + sum_j (high_j max(p_j, 0) - low_j max(-p_j, 0))``;
    with ``allow_unassigned`` a pool column of value 0, price ``unassigned_price``
    and bounds ``[0, n - placed]``.
    """
    net = net_values(problem)
    low, high = count_bounds(problem)
    p = np.asarray(prices, dtype=np.float64)
    if problem.allow_unassigned:
        net = np.c_[net, np.zeros(problem.n_leads)]
        low = np.r_[low, 0]
        high = np.r_[high, problem.n_leads - placed]
        p = np.r_[p, unassigned_price]
    lead_sum = math.fsum((net - p).max(axis=1))
    bands = math.fsum(high * np.maximum(p, 0.0) - low * np.maximum(-p, 0.0))
    return lead_sum + bands


def assert_complementary_slackness(problem, sol, placed):
    n, m = problem.n_leads, problem.n_managers
    tol = price_tol(problem)
    net = net_values(problem)
    duals = sol.duals
    reduced = net - duals
    assigned = sol.manager_of >= 0
    rows = np.flatnonzero(assigned)
    here = reduced[rows, sol.manager_of[rows]]
    best = reduced.max(axis=1)
    # every assigned lead sits at a manager of largest value - price
    assert np.all(here >= best[rows] - tol), "an assigned lead prefers another manager"
    loads = np.bincount(sol.manager_of[rows], minlength=m)
    low, high = count_bounds(problem)
    positive = duals > tol
    negative = duals < -tol
    assert np.all(loads[positive] == high[positive]), "a priced manager is not full"
    assert np.all(loads[negative] == low[negative]), "a negative price off the lower bound"
    if problem.allow_unassigned:
        pool = sol.unassigned_price
        assert here.size == 0 or np.all(here >= -pool - tol), "an assigned lead prefers the pool"
        out = np.flatnonzero(~assigned)
        assert np.all(best[out] <= -pool + tol), "an unassigned lead prefers a manager"
        if pool > tol:
            assert sol.n_unassigned == n - placed, "priced pool is not full"
        if pool < -tol:
            assert sol.n_unassigned == 0
    else:
        assert assigned.all()


def assert_certified(problem, sol, placed):
    """The bound certifies the objective, equals the dual at the prices, CS holds."""
    m = problem.n_managers
    assert sol.duals is not None
    assert sol.duals.shape == (m,)
    assert np.isfinite(sol.duals).all()
    if problem.allow_unassigned:
        assert isinstance(sol.unassigned_price, float)
        assert math.isfinite(sol.unassigned_price)
    else:
        assert sol.unassigned_price is None
    score = sol.score
    assert sol.bound is not None
    assert sol.bound >= score - certificate_tol(problem, score)
    assert sol.bound - score <= certificate_tol(problem, score)
    dual = independent_dual(problem, sol.duals, sol.unassigned_price or 0.0, placed)
    assert dual == pytest.approx(sol.bound, rel=REL, abs=objective_tol(problem))
    # fl.dual_bound agrees, with the solution's own prices.
    pool = sol.unassigned_price or 0.0
    assert fl.dual_bound(problem, sol.duals, pool) == pytest.approx(
        sol.bound, rel=REL, abs=objective_tol(problem)
    )
    assert_complementary_slackness(problem, sol, placed)


def compare(problem):
    """Solve with both methods, check agreement and the certificate; return both."""
    ref = fl.solve(problem, method="min_cost_flow")
    sol = fl.solve(problem, method="sifting")
    if currently_in_test_context():
        note(f"min_cost_flow: {ref.status} {ref.score!r}; sifting: {sol.status} {sol.score!r}")
    assert sol.method == "sifting"
    assert sol.status == ref.status
    if ref.status == INFEASIBLE:
        assert sol.message
        assert np.all(sol.manager_of == -1)
        return ref, sol
    assert sol.status == OPTIMAL
    assert_feasible(problem, sol.manager_of)
    assert sol.n_unassigned == ref.n_unassigned
    tol = objective_tol(problem)
    assert sol.score == pytest.approx(ref.score, rel=REL, abs=tol)
    # recomputed objective and penalty are those of the assignment returned
    rows = np.flatnonzero(sol.manager_of >= 0)
    value = math.fsum(problem.value[rows, sol.manager_of[rows]])
    assert sol.objective == pytest.approx(value, rel=REL, abs=tol)
    assert_certified(problem, sol, placed=problem.n_leads - ref.n_unassigned)
    return ref, sol


# ------------------------------------------------------------------ random problems

VALUE_KINDS = ["ties", "equal", "negative", "mixed", "integers", "scaled"]
CAPACITY_KINDS = ["random", "zeros", "even", "partition", "fractional", "loose"]


@st.composite
def value_matrices(draw, n, m, kind=None):
    kind = kind or draw(st.sampled_from(VALUE_KINDS))
    shape = (n, m)
    if kind == "ties":
        return draw(arrays(np.float64, shape, elements=st.sampled_from([0.0, 0.5, 1.0])))
    if kind == "equal":
        return np.full(shape, draw(st.sampled_from([0.0, 0.3, -2.0, 1e6])))
    if kind == "negative":
        finite = st.floats(-10, 0, allow_subnormal=False)
        return draw(arrays(np.float64, shape, elements=finite))
    if kind == "integers":
        return draw(arrays(np.int64, shape, elements=st.integers(-3, 3))).astype(np.float64)
    base = draw(arrays(np.float64, shape, elements=st.floats(-10, 10, allow_subnormal=False)))
    if kind == "scaled":
        return base * draw(st.sampled_from([1e-8, 1e-3, 1e4, 1e9]))
    return base


@st.composite
def capacities(draw, n, m, kind=None):
    kind = kind or draw(st.sampled_from(CAPACITY_KINDS))
    if kind == "random":
        return np.array(draw(st.lists(st.integers(0, n), min_size=m, max_size=m)), np.float64)
    if kind == "zeros":
        caps = draw(st.lists(st.integers(0, n), min_size=m, max_size=m))
        zero = draw(st.lists(st.booleans(), min_size=m, max_size=m))
        return np.where(zero, 0.0, np.array(caps, np.float64))
    if kind == "even":
        return np.full(m, n / m)
    if kind == "partition":
        cuts = sorted(draw(st.lists(st.integers(0, n), min_size=m - 1, max_size=m - 1)))
        return np.diff(np.r_[0, cuts, n]).astype(np.float64)
    if kind == "fractional":
        quarters = draw(st.lists(st.integers(0, 4 * n), min_size=m, max_size=m))
        return np.array(quarters) / 4.0
    return np.full(m, float(n))


@st.composite
def problems(
    draw,
    *,
    values=None,
    capacity=None,
    eligibility=None,
    loads=None,
    unassigned=None,
    float32=None,
    penalty=None,
    max_leads=40,
):
    """A random unit-weight problem; each keyword forces a feature on (True) or off."""
    n = draw(st.integers(1, max_leads))
    m = draw(st.integers(1, 6))
    value = draw(value_matrices(n, m, values))
    cap = draw(capacities(n, m, capacity))
    kw = {}
    if eligibility if eligibility is not None else draw(st.booleans()):
        density = draw(st.sampled_from([0.2, 0.5, 0.8]))
        uniform = draw(arrays(np.float64, (n, m), elements=st.floats(0, 1)))
        kw["eligible"] = uniform < density
    if loads if loads is not None else draw(st.booleans()):
        low = np.array(draw(st.lists(st.floats(0, 1), min_size=m, max_size=m)))
        kw["min_load"] = np.floor(low * cap * 2) / 2  # halves: ceil() matters
        if draw(st.booleans()):
            top = np.array(draw(st.lists(st.floats(0, 1), min_size=m, max_size=m)))
            upper = kw["min_load"] + top * (cap - kw["min_load"])
            kw["max_load"] = np.maximum(np.floor(upper * 4) / 4, kw["min_load"])
    kw["allow_unassigned"] = unassigned if unassigned is not None else draw(st.booleans())
    if float32 if float32 is not None else draw(st.integers(0, 4)) == 0:
        value = value.astype(np.float32)
    if penalty if penalty is not None else draw(st.integers(0, 4)) == 0:
        kw["pair_penalty"] = draw(
            arrays(np.float64, (n, m), elements=st.sampled_from([0.0, 0.0, 0.25, 1.0, 3.0]))
        )
    return fl.AssignmentProblem(value=value, capacity=cap, **kw)


@settings(max_examples=250, deadline=None)
@given(problems())
def test_matches_min_cost_flow_on_random_problems(problem):
    compare(problem)


@settings(max_examples=150, deadline=None)
@given(problems(values="ties", eligibility=False, penalty=False))
def test_ties(problem):
    compare(problem)


@settings(max_examples=60, deadline=None)
@given(problems(values="equal", penalty=False))
def test_all_values_equal(problem):
    _, sol = compare(problem)
    if sol.status == OPTIMAL:
        # every assignment of the same size is optimal; prices may stay at zero
        assert sol.objective == pytest.approx(
            problem.value[0, 0] * (problem.n_leads - sol.n_unassigned)
        )


@settings(max_examples=150, deadline=None)
@given(problems(values="negative"))
def test_negative_values(problem):
    compare(problem)


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from(CAPACITY_KINDS).flatmap(
        lambda kind: problems(capacity=kind, loads=False, eligibility=False)
    )
)
def test_degenerate_capacities(problem):
    compare(problem)


@settings(max_examples=150, deadline=None)
@given(problems(eligibility=True, unassigned=False))
def test_sparse_eligibility_masks(problem):
    ref, _ = compare(problem)
    if not problem.eligible.any(axis=1).all():
        assert ref.status == INFEASIBLE


@settings(max_examples=150, deadline=None)
@given(problems(eligibility=True, unassigned=True))
def test_allow_unassigned_places_as_many_as_possible(problem):
    ref, sol = compare(problem)
    if sol.status == OPTIMAL:
        assert sol.n_unassigned == ref.n_unassigned
        # leads without an eligible manager are the first to stay out
        stranded = ~problem.eligible.any(axis=1)
        assert np.all(sol.manager_of[stranded] == -1)
        assert sol.unassigned_price is not None


@settings(max_examples=150, deadline=None)
@given(problems(loads=True))
def test_min_and_max_loads(problem):
    compare(problem)


@settings(max_examples=100, deadline=None)
@given(problems(float32=True))
def test_float32_values(problem):
    _, sol = compare(problem)
    assert problem.storage_dtype == np.float32
    # the same numbers in float64 storage give the same optimum
    kw = {
        "capacity": problem.capacity,
        "eligible": problem.eligible_mask,
        "min_load": problem.min_load,
        "max_load": problem.max_load,
        "allow_unassigned": problem.allow_unassigned,
        "pair_penalty": problem.pair_penalty,
    }
    wide = fl.AssignmentProblem(value=problem.dense_value.astype(np.float64), **kw)
    sol64 = fl.solve(wide, method="sifting")
    assert sol64.status == sol.status
    if sol.status == OPTIMAL:
        assert sol64.score == pytest.approx(sol.score, rel=REL, abs=objective_tol(problem))


@settings(max_examples=100, deadline=None)
@given(problems(penalty=True))
def test_pair_penalty(problem):
    _, sol = compare(problem)
    if sol.status == OPTIMAL:
        rows = np.flatnonzero(sol.manager_of >= 0)
        paid = math.fsum(problem.pair_penalty[rows, sol.manager_of[rows]])
        assert sol.penalty == pytest.approx(paid, abs=1e-9)


@st.composite
def sparse_problems(draw):
    """A sparse-valued problem (explicit zeros possible) and its dense equivalent."""
    n = draw(st.integers(1, 40))
    m = draw(st.integers(1, 6))
    value = draw(value_matrices(n, m))
    uniform = draw(arrays(np.float64, (n, m), elements=st.floats(0, 1)))
    mask = uniform < draw(st.sampled_from([0.1, 0.3, 0.7, 1.0]))
    rows, cols = np.nonzero(mask)
    fmt = draw(st.sampled_from(["csr", "csc", "coo"]))
    matrix = sp.coo_array((value[mask], (rows, cols)), shape=(n, m)).asformat(fmt)
    kw = {
        "capacity": draw(capacities(n, m)),
        "allow_unassigned": draw(st.booleans()),
    }
    if draw(st.booleans()):
        kw["min_load"] = np.floor(kw["capacity"] * draw(st.sampled_from([0.0, 0.3, 1.0])))
    sparse = fl.AssignmentProblem(value=matrix, **kw)
    dense = fl.AssignmentProblem(value=np.where(mask, value, 0.0), eligible=mask, **kw)
    return sparse, dense


@settings(max_examples=150, deadline=None)
@given(sparse_problems())
def test_sparse_value_matches_dense_equivalent(pair):
    sparse, dense = pair
    assert sparse.is_sparse
    np.testing.assert_array_equal(sparse.eligible, dense.eligible)
    sol = same_as_dense(sparse, dense)
    if sol.status == OPTIMAL:
        assert fl.dual_bound(dense, sol.duals, sol.unassigned_price or 0.0) == (
            pytest.approx(sol.bound, rel=REL, abs=objective_tol(dense))
        )


@settings(max_examples=150, deadline=None)
@given(problems(), st.data())
def test_dual_bound_is_an_upper_bound_for_any_prices(problem, data):
    ref = fl.solve(problem, method="min_cost_flow")
    assume(ref.status == OPTIMAL)
    m = problem.n_managers
    scale = float(magnitude(problem).max(initial=1.0))
    prices = scale * np.array(
        data.draw(st.lists(st.floats(-3, 3, allow_subnormal=False), min_size=m, max_size=m))
    )
    pool = scale * data.draw(st.floats(0, 3, allow_subnormal=False))
    bound = fl.dual_bound(problem, prices, pool)
    assert bound >= ref.score - objective_tol(problem) - price_tol(problem) * problem.n_leads
    placed = problem.n_leads - ref.n_unassigned
    expected = independent_dual(problem, prices, pool, placed)
    assert bound == pytest.approx(expected, rel=REL, abs=objective_tol(problem) * (1 + scale))
    # the sifting prices reach the optimum, so no prices beat them
    sol = fl.solve(problem, method="sifting")
    assert sol.bound <= bound + objective_tol(problem) * (1 + scale)


# ------------------------------------------------------------------ small exact cases


def test_docstring_example():
    p = fl.AssignmentProblem(value=np.array([[0.9, 0.5], [0.8, 0.2]]), capacity=[1, 1])
    sol = fl.solve(p, method="sifting")
    assert sol.status == OPTIMAL
    assert sol.manager_of.tolist() == [1, 0]
    assert sol.objective == pytest.approx(1.3)
    assert sol.bound == pytest.approx(1.3)
    assert fl.dual_bound(p, sol.duals) == pytest.approx(1.3)
    assert fl.dual_bound(p, [0.0, 0.0]) == pytest.approx(1.7)
    assert sol.unassigned_price is None
    assert "sifting" in fl.list_methods()


def test_prices_of_a_full_manager():
    # both leads prefer manager 0 (room for one): lead 0 gains 0.9 - 0.1 there,
    # lead 1 only 0.5 - 0.4; manager 0's price lies in [0.1, 0.8]
    p = fl.AssignmentProblem(value=np.array([[0.9, 0.1], [0.5, 0.4]]), capacity=[1, 5])
    sol = fl.solve(p, method="sifting")
    assert sol.manager_of.tolist() == [0, 1]
    assert sol.objective == pytest.approx(1.3)
    low_price = sol.duals[0] - sol.duals[1]
    assert 0.1 - 1e-12 <= low_price <= 0.8 + 1e-12
    assert sol.bound == pytest.approx(1.3)
    assert_certified(p, sol, placed=2)


def test_free_optimum_has_zero_prices():
    rng = np.random.default_rng(0)
    p = fl.AssignmentProblem(value=rng.random((25, 4)), capacity=[25] * 4)
    sol = fl.solve(p, method="sifting")
    assert np.all(sol.duals == 0.0)
    assert sol.objective == pytest.approx(p.value.max(axis=1).sum())
    assert sol.bound == pytest.approx(sol.objective, rel=1e-12)


def test_single_lead_and_single_manager():
    p = fl.AssignmentProblem(value=[[-2.5]], capacity=[1])
    compare(p)
    p = fl.AssignmentProblem(value=[[-2.5]], capacity=[0], allow_unassigned=True)
    _, sol = compare(p)
    assert sol.n_unassigned == 1
    assert sol.objective == 0.0


def test_all_capacities_zero_with_allow_unassigned():
    p = fl.AssignmentProblem(
        value=np.arange(12.0).reshape(4, 3), capacity=[0, 0, 0], allow_unassigned=True
    )
    _, sol = compare(p)
    assert sol.n_unassigned == 4
    assert sol.bound == pytest.approx(0.0, abs=1e-12)


def test_allow_unassigned_prefers_placing_over_value():
    # placing lead 0 at -5 is forced: as many leads as possible come first
    p = fl.AssignmentProblem(value=[[-5.0], [1.0]], capacity=[2], allow_unassigned=True)
    _, sol = compare(p)
    assert sol.manager_of.tolist() == [0, 0]
    assert sol.objective == pytest.approx(-4.0)


def test_infeasible_cases_have_a_message():
    cases = [
        fl.AssignmentProblem(value=np.ones((3, 2)), capacity=[1, 1]),  # too little room
        fl.AssignmentProblem(value=np.ones((3, 2)), capacity=[3, 3], min_load=[2, 2]),
        fl.AssignmentProblem(
            value=np.ones((3, 2)), capacity=[3, 3], eligible=[[1, 0], [0, 0], [0, 1]]
        ),
        fl.AssignmentProblem(  # Hall: three leads only fit manager 0, which takes two
            value=np.ones((4, 2)), capacity=[2, 4], eligible=[[1, 0], [1, 0], [1, 0], [1, 1]]
        ),
        fl.AssignmentProblem(  # the minimum load cannot be met from eligible leads
            value=np.ones((3, 2)),
            capacity=[3, 3],
            min_load=[0, 2],
            eligible=[[1, 1], [1, 0], [1, 0]],
            allow_unassigned=True,
        ),
    ]
    for p in cases:
        ref, sol = compare(p)
        assert ref.status == INFEASIBLE
        assert sol.status == INFEASIBLE
        assert sol.message


def test_deterministic():
    rng = np.random.default_rng(1)
    p = fl.AssignmentProblem(value=rng.random((3000, 20)), capacity=np.full(20, 150))
    a = fl.solve(p, method="sifting")
    b = fl.solve(p, method="sifting")
    np.testing.assert_array_equal(a.manager_of, b.manager_of)
    np.testing.assert_array_equal(a.duals, b.duals)
    assert a.bound == b.bound


def test_read_only_fortran_order_value():
    rng = np.random.default_rng(2)
    value = np.asfortranarray(rng.random((60, 5)))
    value.flags.writeable = False
    p = fl.AssignmentProblem(value=value, capacity=[12] * 5)
    assert np.shares_memory(p.value, value)
    compare(p)


@pytest.mark.parametrize("scale", [1e-250, 1e-12, 1e12, 1e250])
def test_extreme_magnitudes(scale):
    rng = np.random.default_rng(4)
    p = fl.AssignmentProblem(value=rng.normal(size=(30, 4)) * scale, capacity=[8, 8, 8, 8])
    compare(p)


# ------------------------------------------------------------------ errors


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        ({"weight": np.full(3, 2.0)}, "weight"),
        ({"weight": np.ones((3, 2)) * [1.0, 2.0]}, "weight"),
        ({"min_value": [0.0, 0.0]}, "min_value"),
        ({"max_value": [9.0, 9.0]}, "max_value"),
        ({"min_load": [1, 1], "load_penalty": 1.0}, "load_penalty"),
    ],
)
def test_unsupported_features_name_sifting_and_cp_sat(extra, words):
    p = fl.AssignmentProblem(value=np.ones((3, 2)), capacity=[6, 6], **extra)
    with pytest.raises(ValueError, match="sifting") as info:
        fl.solve(p, method="sifting")
    assert "'cp_sat'" in str(info.value)
    assert words.split("_")[0] in str(info.value)
    with pytest.raises(ValueError, match="sifting"):
        fl.dual_bound(p, [0.0, 0.0])


@pytest.mark.parametrize("method", ["sifting", "min_cost_flow", "cp_sat"])
def test_a_bound_is_never_below_the_score_of_its_own_solution(method):
    # prices near 1e17 round the float dual below the optimum of 2
    p = fl.AssignmentProblem(np.array([[1e17, 1.0], [1.0, -1e17]]), [1, 1])
    sol = fl.solve(p, method=method)
    assert sol.status is fl.SolveStatus.OPTIMAL
    assert sol.objective == 2.0
    assert sol.bound >= sol.score


@pytest.mark.parametrize(
    "prices",
    [[0.0], [0.0, 0.0, 0.0], [[0.0, 0.0]], [np.nan, 0.0], [0.0, np.inf], 1.0, None],
)
def test_dual_bound_rejects_bad_prices(prices):
    p = fl.AssignmentProblem(value=np.ones((3, 2)), capacity=[3, 3])
    with pytest.raises(ValueError, match="prices"):
        fl.dual_bound(p, prices)


@pytest.mark.parametrize("pool", [np.nan, np.inf, "0.5", True])
def test_dual_bound_rejects_bad_unassigned_price(pool):
    p = fl.AssignmentProblem(value=np.ones((3, 2)), capacity=[3, 3], allow_unassigned=True)
    with pytest.raises(ValueError, match="unassigned_price"):
        fl.dual_bound(p, [0.0, 0.0], pool)


@pytest.mark.parametrize("prices", [["a", "b"], [[0.0], [0.0, 1.0]]], ids=["text", "ragged"])
def test_dual_bound_rejects_non_numeric_prices_by_name(prices):
    p = fl.AssignmentProblem(value=np.ones((3, 2)), capacity=[3, 3])
    with pytest.raises(ValueError, match="prices"):
        fl.dual_bound(p, prices)


def test_unknown_option():
    p = fl.AssignmentProblem(value=np.ones((2, 2)), capacity=[2, 2])
    with pytest.raises(ValueError, match="does not take option"):
        fl.solve(p, method="sifting", seed=1)


# ------------------------------------------------- a min_load forcing leads in


NEGATIVE_POOL_PRICE = [
    ({"value": [[0.0, 1.0]], "capacity": [2, 2], "min_load": [1, 0]}),
    ({"value": [[0.0, 1.0], [0.0, 1.0]], "capacity": [2, 2], "min_load": [1, 0]}),
    (
        {
            "value": [[0.0, 0.5, 0.0], [0.5, 1.0, 1.0]],
            "capacity": [1, 2, 1],
            "eligible": [[1, 1, 1], [0, 1, 1]],
            "min_load": [1, 1, 0],
        }
    ),
]


@pytest.mark.parametrize("kw", NEGATIVE_POOL_PRICE)
def test_a_negative_unassigned_price_still_certifies(kw):
    # A min_load pushes a lead in that would rather stay out: leaving one out is
    # priced below zero, and the bound at these prices is still the optimum.
    p = fl.AssignmentProblem(allow_unassigned=True, **kw)
    sol = fl.solve(p, method="sifting")
    assert sol.status == OPTIMAL
    assert sol.unassigned_price < 0.0
    # the documented identity: dual_bound(duals, unassigned_price) == bound
    assert fl.dual_bound(p, sol.duals, sol.unassigned_price) == pytest.approx(sol.bound)


# ------------------------------------------------------------------ medium instances


def sift_levels(problem):
    """The sift recursion's levels for ``problem``, as the solver runs it: which path it takes.

    One level: the problem went to the core directly (small, or few leads off their
    bounds under zero prices); more: prices came from a sample (recursively).
    """
    low, high = problem.count_bounds()
    n, m = problem.n_leads, problem.n_managers
    pool = problem.allow_unassigned
    if pool:
        placed = max_assignable_count(problem, high)
        low, high = np.r_[low, 0], np.r_[high, n - placed]
    blocks = problem.value_blocks(pool=pool)
    scale = scale_for(blocks.largest_magnitude(), n + m + (2 if pool else 1))
    levels = []
    assert _sifting.sift(blocks, low, high, scale, levels=levels) is not None
    return levels


def skill(rng, n, m):
    """``q_i * s_j * noise``: every lead ranks managers alike, so capacities bind hard."""
    return rng.random(n)[:, None] * rng.random(m)[None, :] * rng.lognormal(0, 0.2, (n, m))


def medium(name):
    rng = np.random.default_rng(sum(map(ord, name)))
    n, m = 3000, 20
    if name == "skill":
        return fl.AssignmentProblem(value=skill(rng, n, m), capacity=np.full(m, math.ceil(n / m)))
    if name == "skill_float32":
        value = skill(rng, n, m).astype(np.float32)
        return fl.AssignmentProblem(value=value, capacity=np.full(m, math.ceil(n / m)))
    if name == "skill_30000":  # the sample is itself sampled
        value = skill(rng, 10 * n, m)
        return fl.AssignmentProblem(value=value, capacity=np.full(m, 10 * n / m))
    if name == "tight_uniform":
        return fl.AssignmentProblem(value=rng.random((n, m)), capacity=np.full(m, n / m))
    if name == "ties":
        value = rng.choice([0.0, 0.5, 1.0], (n, m))
        return fl.AssignmentProblem(value=value, capacity=np.full(m, n / m))
    if name == "negative":
        value = -skill(rng, n, m)
        return fl.AssignmentProblem(value=value, capacity=rng.multinomial(n, np.ones(m) / m))
    if name == "min_load":
        return fl.AssignmentProblem(
            value=skill(rng, n, m), capacity=np.full(m, n), min_load=np.full(m, 140)
        )
    if name == "skewed_capacity":
        cap = np.r_[np.full(m // 2, 10), np.full(m - m // 2, 400)]
        return fl.AssignmentProblem(value=skill(rng, n, m), capacity=cap)
    if name == "pair_penalty":
        penalty = np.where(rng.random((n, m)) < 0.2, 0.3, 0.0)
        return fl.AssignmentProblem(
            value=skill(rng, n, m), capacity=np.full(m, n / m), pair_penalty=penalty
        )
    if name == "eligible":
        mask = rng.random((n, m)) < 0.75
        mask[np.arange(n), rng.integers(0, m, n)] = True
        return fl.AssignmentProblem(
            value=skill(rng, n, m), capacity=np.full(m, n / m + 5), eligible=mask
        )
    if name == "eligible_unassigned_min_load":
        mask = rng.random((n, m)) < 0.75
        mask[:50] = False  # stranded leads
        return fl.AssignmentProblem(
            value=skill(rng, n, m),
            capacity=np.full(m, 120),
            min_load=np.full(m, 100),
            eligible=mask,
            allow_unassigned=True,
        )
    raise AssertionError(name)


# instance -> number of sift levels (1: zero starting prices, 2+: sampled prices)
MEDIUM = {
    "skill": 2,
    "skill_float32": 2,
    "skill_30000": 3,
    "tight_uniform": 1,
    "ties": 2,
    "negative": 2,
    "min_load": 2,
    "skewed_capacity": 2,
    "pair_penalty": 2,
    "eligible": 2,
    "eligible_unassigned_min_load": 2,
}


@pytest.mark.parametrize("name", list(MEDIUM))
def test_medium_instances(name):
    problem = medium(name)
    assert problem.n_pairs > _sifting.SMALL_PAIRS
    # the instance exercises the path it is meant for
    assert len(sift_levels(problem)) == MEDIUM[name]
    _, sol = compare(problem)
    assert sol.status == OPTIMAL
    if name != "ties":  # with ties, zero prices can be optimal
        assert np.any(sol.duals != 0)


def test_medium_free_optimum_is_feasible():
    rng = np.random.default_rng(11)
    n, m = 3000, 20
    p = fl.AssignmentProblem(value=skill(rng, n, m), capacity=np.full(m, n))
    _, sol = compare(p)
    assert np.all(sol.duals == 0.0)
    assert sol.bound == pytest.approx(sol.objective, rel=1e-12)
    assert sol.objective == pytest.approx(math.fsum(p.value.max(axis=1)), rel=1e-12)


def test_medium_small_imbalance_takes_the_local_path():
    rng = np.random.default_rng(12)
    n, m = 5000, 10
    value = rng.random((n, m))
    loads = np.bincount(value.argmax(axis=1), minlength=m)
    cap = loads + 50.0
    cap[3] = loads[3] - 40  # 40 leads too many, under 2 % of the leads
    p = fl.AssignmentProblem(value=value, capacity=cap)
    assert n * m > _sifting.SMALL_PAIRS
    assert _sifting.LOCAL_SHARE * n >= 40
    assert len(sift_levels(p)) == 1
    _, sol = compare(p)
    assert sol.loads[3] == cap[3]
    assert sol.duals[3] > 0


def test_medium_infeasible_by_eligibility():
    rng = np.random.default_rng(13)
    n, m = 3000, 20
    mask = rng.random((n, m)) < 0.5
    mask[:, 0] = False
    mask[:100] = False
    mask[:100, 0] = True  # 100 leads only fit manager 0, which takes 50
    cap = np.r_[50.0, np.full(m - 1, 500.0)]
    p = fl.AssignmentProblem(value=skill(rng, n, m), capacity=cap, eligible=mask)
    _, sol = compare(p)
    assert sol.status == INFEASIBLE
    # with allow_unassigned the 50 leads stay out, and the rest is optimal
    q = fl.AssignmentProblem(
        value=skill(rng, n, m), capacity=cap, eligible=mask, allow_unassigned=True
    )
    _, sol = compare(q)
    assert sol.n_unassigned == 50


# ------------------------------------------------------------------ sparse at scale


def densified(matrix, **kw):
    """The dense problem a sparse one stands for: zeros and a mask of the stored pairs."""
    coo = sp.coo_array(matrix)
    mask = np.zeros(coo.shape, dtype=bool)
    mask[coo.coords[0], coo.coords[1]] = True
    return fl.AssignmentProblem(value=coo.toarray(), eligible=mask, **kw)


def check_sparse_against_dense(matrix, **kw):
    return same_as_dense(fl.AssignmentProblem(value=matrix, **kw), densified(matrix, **kw))


def same_as_dense(sparse, dense):
    """Sifting on the sparse problem reaches min_cost_flow's optimum on the dense one."""
    _, sol = compare(sparse)
    ref = fl.solve(dense, method="min_cost_flow")
    assert sol.status == ref.status
    if ref.status == OPTIMAL:
        assert sol.score == pytest.approx(ref.score, rel=REL, abs=objective_tol(dense))
        assert sol.n_unassigned == ref.n_unassigned
    return sol


def test_sparse_random_csr_with_allow_unassigned():
    m = 40
    matrix = sp.random(5000, m, density=0.1, format="csr", rng=np.random.default_rng(21))
    sol = check_sparse_against_dense(matrix, capacity=np.full(m, 130), allow_unassigned=True)
    assert sol.status == OPTIMAL
    assert sol.n_unassigned > 0


def test_sparse_random_csr_every_lead_placed():
    rng = np.random.default_rng(22)
    n, m = 5000, 40
    matrix = sp.random(n, m, density=0.1, format="lil", rng=rng)
    lonely = np.flatnonzero(np.diff(matrix.tocsr().indptr) == 0)
    for i in lonely:
        matrix[i, int(rng.integers(m))] = float(rng.random())
    matrix = matrix.tocsr()
    sol = check_sparse_against_dense(matrix, capacity=np.full(m, math.ceil(n / m) + 3))
    assert sol.status == OPTIMAL
    assert sol.n_unassigned == 0


def test_sparse_negative_values_stay_on_stored_pairs():
    # every stored value is negative: a missing pair is not eligible, not a 0
    rng = np.random.default_rng(23)
    n, m = 4000, 25
    matrix = sp.random(
        n, m, density=0.15, format="csr", rng=rng, data_rvs=lambda k: -rng.random(k) - 0.1
    )
    sol = check_sparse_against_dense(
        matrix, capacity=np.full(m, 160), min_load=np.full(m, 20), allow_unassigned=True
    )
    assert sol.status == OPTIMAL
    assert sol.objective < 0


def test_sparse_with_explicit_zeros_at_scale():
    rng = np.random.default_rng(24)
    n, m = 3000, 20
    rows = np.repeat(np.arange(n), 3)
    cols = rng.integers(0, m, rows.size)
    data = np.where(rng.random(rows.size) < 0.3, 0.0, rng.normal(size=rows.size))
    matrix = sp.coo_array((data, (rows, cols)), shape=(n, m))  # duplicates are summed
    sol = check_sparse_against_dense(matrix, capacity=np.full(m, 160))
    assert sol.status == OPTIMAL
