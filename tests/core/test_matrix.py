"""Value storage of AssignmentProblem: float32, read-only arrays, sparse values and masks."""

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import fairlead as fl

SPARSE_KINDS = [
    sp.csr_matrix,
    sp.csr_array,
    sp.csc_matrix,
    sp.csc_array,
    sp.coo_matrix,
    sp.coo_array,
    sp.lil_matrix,
    sp.dok_array,
    sp.bsr_array,
]


def read_only(array):
    array = np.array(array)
    array.flags.writeable = False
    return array


def pattern_of(matrix):
    """Dense mask of the stored entries of a sparse matrix (explicit zeros included)."""
    coo = sp.coo_array(matrix)
    mask = np.zeros(coo.shape, dtype=bool)
    mask[coo.coords[0], coo.coords[1]] = True
    return mask


def all_pairs(n, m):
    leads, managers = np.meshgrid(np.arange(n), np.arange(m), indexing="ij")
    return leads.ravel(), managers.ravel()


# ------------------------------------------------------------------ dense storage


def test_float32_value_keeps_float32_storage():
    v = np.array([[0.1, 0.7], [0.3, 0.2], [1e-3, 5.0]], dtype=np.float32)
    p = fl.AssignmentProblem(value=v, capacity=[3, 3])
    assert p.storage_dtype == np.float32
    assert p.dense_value.dtype == np.float32
    assert not p.is_sparse
    # the float64 view is built on first read only
    assert "value" not in vars(p)
    dense = p.value
    assert dense.dtype == np.float64
    np.testing.assert_array_equal(dense, v.astype(np.float64))
    assert p.value is dense
    assert not dense.flags.writeable
    assert "float32" in repr(p)


def test_writeable_float32_is_copied():
    v = np.array([[0.5, 0.25], [1.0, 2.0]], dtype=np.float32)
    p = fl.AssignmentProblem(value=v, capacity=[2, 2])
    assert not np.shares_memory(p.dense_value, v)
    v[0, 0] = 99.0
    assert p.dense_value[0, 0] == np.float32(0.5)
    assert p.value[0, 0] == 0.5
    assert not p.dense_value.flags.writeable
    assert v.flags.writeable  # the caller's array is left alone


def test_read_only_float32_is_used_as_is():
    v = read_only(np.array([[0.5, 0.25], [1.0, 2.0]], dtype=np.float32))
    p = fl.AssignmentProblem(value=v, capacity=[2, 2])
    assert np.shares_memory(p.dense_value, v)
    assert p.storage_dtype == np.float32
    assert not np.shares_memory(p.value, v)  # the float64 view is a new array


def test_writeable_float64_is_copied():
    v = np.array([[0.5, 0.25], [1.0, 2.0]])
    p = fl.AssignmentProblem(value=v, capacity=[2, 2])
    assert not np.shares_memory(p.value, v)
    assert p.storage_dtype == np.float64
    assert p.value.dtype == np.float64
    assert not p.value.flags.writeable
    v[1, 1] = -7.0
    assert p.value[1, 1] == 2.0


def test_read_only_float64_is_used_as_is():
    v = read_only(np.array([[0.5, 0.25], [1.0, 2.0]]))
    p = fl.AssignmentProblem(value=v, capacity=[2, 2])
    assert np.shares_memory(p.value, v)
    assert np.shares_memory(p.dense_value, v)


def test_read_only_non_contiguous_float64_is_used_as_is():
    base = np.arange(24, dtype=np.float64).reshape(4, 6)
    view = base[:, ::2].T  # (3, 4), neither C- nor F-contiguous
    view.flags.writeable = False
    p = fl.AssignmentProblem(value=view, capacity=[3, 3, 3, 3])
    assert np.shares_memory(p.value, base)
    np.testing.assert_array_equal(p.value, view)
    np.testing.assert_array_equal(p.pair_values(np.array([2, 0]), np.array([3, 1])), [22.0, 6.0])


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.float16, np.uint8])
def test_other_numeric_dtypes_become_float64(dtype):
    v = np.array([[1, 2], [3, 4]], dtype=dtype)
    p = fl.AssignmentProblem(value=v, capacity=[2, 2])
    assert p.storage_dtype == np.float64
    assert p.value.dtype == np.float64
    np.testing.assert_array_equal(p.value, v.astype(np.float64))


def test_float32_non_finite_value_is_rejected():
    v = np.ones((4, 2), dtype=np.float32)
    v[3, 1] = np.inf
    with pytest.raises(ValueError, match="value of lead 3 for manager 1 must be finite"):
        fl.AssignmentProblem(value=v, capacity=[4, 4])


def test_omitted_eligible_is_a_broadcast_view():
    p = fl.AssignmentProblem(value=np.zeros((1000, 50)), capacity=np.full(50, 1000))
    assert p.all_eligible
    assert p.eligible_mask is None
    assert p.eligible.shape == (1000, 50)
    assert p.eligible.dtype == np.bool_
    assert p.eligible.strides == (0, 0)  # one element in memory
    assert not p.eligible.flags.writeable
    assert bool(p.eligible.all())
    assert p.n_pairs == 50_000


def test_dense_mask_is_not_all_eligible():
    mask = np.array([[True, False], [True, True]])
    p = fl.AssignmentProblem(value=np.ones((2, 2)), capacity=[2, 2], eligible=mask)
    assert not p.all_eligible
    assert p.n_pairs == 3
    np.testing.assert_array_equal(p.eligible, mask)
    # an all-True mask given explicitly is still a mask
    full = fl.AssignmentProblem(
        value=np.ones((2, 2)), capacity=[2, 2], eligible=np.ones((2, 2), bool)
    )
    assert not full.all_eligible
    assert full.n_pairs == 4


# ------------------------------------------------------------------ sparse values


@pytest.mark.parametrize("kind", SPARSE_KINDS, ids=lambda k: k.__name__)
def test_sparse_value_of_any_format(kind):
    dense = np.array([[0.0, 0.4, 0.0], [0.9, 0.0, -0.2], [0.0, 0.0, 0.0], [0.1, 0.2, 0.3]])
    p = fl.AssignmentProblem(value=kind(dense), capacity=[4, 4, 4])
    assert p.is_sparse
    assert not p.all_eligible
    assert p.n_pairs == 6
    np.testing.assert_array_equal(p.eligible, dense != 0)
    np.testing.assert_array_equal(p.value, dense)
    assert p.value.dtype == np.float64
    assert p.storage_dtype == np.float64
    assert p.sparse_value.format == "csr"
    assert "sparse" in repr(p)


def test_sparse_explicit_zeros_are_eligible():
    rows = np.array([0, 1, 1, 2])
    cols = np.array([1, 0, 2, 2])
    data = np.array([0.0, 0.5, 0.0, -1.0])
    value = sp.coo_array((data, (rows, cols)), shape=(3, 3))
    p = fl.AssignmentProblem(value=value, capacity=[3, 3, 3])
    assert p.n_pairs == 4
    expected = np.zeros((3, 3), dtype=bool)
    expected[rows, cols] = True
    np.testing.assert_array_equal(p.eligible, expected)
    np.testing.assert_array_equal(p.pair_eligible(rows, cols), [True] * 4)
    np.testing.assert_array_equal(p.pair_values(rows, cols), data)
    # lead 0 may only go to manager 1, at value 0
    sol = fl.solve(p, method="min_cost_flow")
    assert sol.manager_of[0] == 1


def test_sparse_duplicates_are_summed_and_still_stored():
    # (0, 1) appears twice and sums to zero: still one stored, eligible pair
    rows = np.array([0, 0, 1, 0])
    cols = np.array([1, 1, 0, 0])
    data = np.array([0.25, -0.25, 0.5, 2.0])
    p = fl.AssignmentProblem(
        value=sp.coo_matrix((data, (rows, cols)), shape=(2, 2)), capacity=[2, 2]
    )
    assert p.n_pairs == 3
    np.testing.assert_array_equal(p.eligible, [[True, True], [True, False]])
    np.testing.assert_array_equal(p.value, [[2.0, 0.0], [0.5, 0.0]])
    np.testing.assert_array_equal(p.pair_values(np.array([0, 0]), np.array([1, 0])), [0.0, 2.0])


def test_sparse_unsorted_csr_is_canonicalized():
    # row 0 lists columns 2, 0 (unsorted); row 1 lists column 1 twice
    data = np.array([3.0, 1.0, 0.5, 0.25])
    indices = np.array([2, 0, 1, 1])
    indptr = np.array([0, 2, 4])
    value = sp.csr_array((data, indices, indptr), shape=(2, 3))
    p = fl.AssignmentProblem(value=value, capacity=[2, 2, 2])
    assert p.n_pairs == 3
    np.testing.assert_array_equal(p.value, [[1.0, 0.0, 3.0], [0.0, 0.75, 0.0]])
    leads, managers = all_pairs(2, 3)
    np.testing.assert_array_equal(p.pair_values(leads, managers), p.value.ravel())
    np.testing.assert_array_equal(p.pair_eligible(leads, managers), p.eligible.ravel())


def test_sparse_value_is_copied():
    value = sp.csr_array(np.array([[0.5, 0.0], [0.0, 0.25]]))
    p = fl.AssignmentProblem(value=value, capacity=[2, 2])
    value.data[:] = 9.0
    np.testing.assert_array_equal(p.value, [[0.5, 0.0], [0.0, 0.25]])


def test_sparse_float32_and_integer_storage():
    f32 = sp.csr_array(np.array([[0.5, 0.0], [0.0, 0.25]], dtype=np.float32))
    p = fl.AssignmentProblem(value=f32, capacity=[2, 2])
    assert p.storage_dtype == np.float32
    assert p.value.dtype == np.float64
    np.testing.assert_array_equal(p.value, [[0.5, 0.0], [0.0, 0.25]])
    ints = sp.csr_array(np.array([[3, 0], [0, -2]], dtype=np.int32))
    q = fl.AssignmentProblem(value=ints, capacity=[2, 2])
    assert q.storage_dtype == np.float64
    np.testing.assert_array_equal(q.value, [[3.0, 0.0], [0.0, -2.0]])


def test_sparse_without_entries():
    p = fl.AssignmentProblem(value=sp.csr_array((3, 2)), capacity=[3, 3], allow_unassigned=True)
    assert p.n_pairs == 0
    assert not p.eligible.any()
    np.testing.assert_array_equal(p.value, np.zeros((3, 2)))
    leads, managers = all_pairs(3, 2)
    np.testing.assert_array_equal(p.pair_values(leads, managers), np.zeros(6))
    assert not p.pair_eligible(leads, managers).any()
    for method in ("min_cost_flow", "sifting"):
        sol = fl.solve(p, method=method)
        assert sol.status == fl.SolveStatus.OPTIMAL
        assert sol.n_unassigned == 3


def test_sparse_with_eligible_is_rejected():
    value = sp.csr_array(np.eye(2))
    with pytest.raises(ValueError, match="eligible must be omitted"):
        fl.AssignmentProblem(value=value, capacity=[2, 2], eligible=np.ones((2, 2), bool))
    with pytest.raises(ValueError, match="eligible must be omitted"):
        fl.AssignmentProblem(value=value, capacity=[2, 2], eligible=sp.csr_array(np.eye(2)))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_sparse_non_finite_entry_names_the_pair(bad):
    dense = np.zeros((5, 3))
    dense[1, 2] = 0.5
    dense[3, 1] = bad
    dense[4, 0] = np.nan  # a later bad entry: the first one is reported
    with pytest.raises(ValueError, match="value of lead 3 for manager 1 must be finite"):
        fl.AssignmentProblem(value=sp.csr_array(dense), capacity=[5, 5, 5])
    with pytest.raises(ValueError, match="value of lead 3 for manager 1 must be finite"):
        fl.AssignmentProblem(value=sp.csc_matrix(dense), capacity=[5, 5, 5])


def test_sparse_non_finite_entry_uses_labels():
    dense = np.zeros((2, 2))
    dense[1, 0] = np.inf
    with pytest.raises(ValueError, match="value of lead 'b' for manager 'x' must be finite"):
        fl.AssignmentProblem(
            value=sp.csr_array(dense),
            capacity=[2, 2],
            lead_labels=["a", "b"],
            manager_labels=["x", "y"],
        )


def test_sparse_with_pair_penalty_is_rejected():
    with pytest.raises(ValueError, match="pair_penalty"):
        fl.AssignmentProblem(
            value=sp.csr_array(np.eye(2)), capacity=[2, 2], pair_penalty=np.zeros((2, 2))
        )


def test_sparse_non_numeric_is_rejected():
    with pytest.raises(ValueError, match="must hold numbers"):
        fl.AssignmentProblem(value=sp.csr_array(np.eye(2, dtype=bool)), capacity=[2, 2])
    with pytest.raises(ValueError, match="must hold numbers"):
        fl.AssignmentProblem(value=sp.csr_array(np.eye(2, dtype=complex)), capacity=[2, 2])


def test_sparse_empty_shape_is_rejected():
    with pytest.raises(ValueError, match="no leads"):
        fl.AssignmentProblem(value=sp.csr_array((0, 2)), capacity=[1, 1])
    with pytest.raises(ValueError, match="no managers"):
        fl.AssignmentProblem(value=sp.csr_array((2, 0)), capacity=[])


def test_sparse_capacity_shape_is_checked():
    with pytest.raises(ValueError, match="capacity must have shape"):
        fl.AssignmentProblem(value=sp.csr_array(np.eye(3)), capacity=[1, 1])


# ------------------------------------------------------------------ sparse eligibility


@pytest.mark.parametrize("kind", [sp.csr_array, sp.csc_matrix, sp.coo_array, sp.lil_matrix])
def test_sparse_eligible_with_dense_value(kind):
    mask = np.array([[True, False, True], [False, False, True], [True, True, True]])
    value = np.arange(9, dtype=np.float64).reshape(3, 3)
    p = fl.AssignmentProblem(value=value, capacity=[3, 3, 3], eligible=kind(mask))
    assert not p.is_sparse
    assert not p.all_eligible
    assert p.n_pairs == 6
    np.testing.assert_array_equal(p.eligible, mask)
    np.testing.assert_array_equal(p.value, value)
    dense = fl.AssignmentProblem(value=value, capacity=[3, 3, 3], eligible=mask)
    for method in ("min_cost_flow", "sifting"):
        assert fl.solve(p, method=method).objective == fl.solve(dense, method=method).objective


def test_sparse_eligible_explicit_zero_is_not_eligible():
    # unlike a sparse *value*, an eligibility matrix means "nonzero = eligible"
    mask = sp.coo_array((np.array([1, 0]), (np.array([0, 1]), np.array([0, 1]))), shape=(2, 2))
    assert mask.nnz == 2
    p = fl.AssignmentProblem(value=np.ones((2, 2)), capacity=[2, 2], eligible=mask)
    np.testing.assert_array_equal(p.eligible, [[True, False], [False, False]])
    assert p.n_pairs == 1


def test_sparse_eligible_is_validated():
    value = np.ones((2, 2))
    with pytest.raises(ValueError, match="eligible must have shape"):
        fl.AssignmentProblem(value=value, capacity=[2, 2], eligible=sp.csr_array(np.eye(3)))
    with pytest.raises(ValueError, match="eligible must hold booleans"):
        fl.AssignmentProblem(value=value, capacity=[2, 2], eligible=sp.csr_array(2 * np.eye(2)))
    with pytest.raises(ValueError, match="eligible must hold booleans"):
        fl.AssignmentProblem(value=value, capacity=[2, 2], eligible=sp.csr_array(0.5 * np.eye(2)))


# ------------------------------------------------------------------ pair lookups


@st.composite
def stored_problems(draw):
    """A problem in one of four storages, and the dense value/mask it stands for."""
    n = draw(st.integers(1, 12))
    m = draw(st.integers(1, 6))
    value = draw(
        arrays(np.float64, (n, m), elements=st.floats(-5, 5, allow_subnormal=False, width=32))
    )
    mask = draw(arrays(np.bool_, (n, m)))
    storage = draw(st.sampled_from(["dense64", "dense32", "masked", "sparse", "sparse32"]))
    capacity = np.full(m, n)
    if storage == "dense64":
        p = fl.AssignmentProblem(value=value, capacity=capacity)
        mask = np.ones((n, m), dtype=bool)
    elif storage == "dense32":
        p = fl.AssignmentProblem(value=value.astype(np.float32), capacity=capacity)
        mask = np.ones((n, m), dtype=bool)
    elif storage == "masked":
        p = fl.AssignmentProblem(value=value, capacity=capacity, eligible=mask)
    else:
        dtype = np.float32 if storage == "sparse32" else np.float64
        rows, cols = np.nonzero(mask)
        coo = sp.coo_array((value[mask].astype(dtype), (rows, cols)), shape=(n, m))
        p = fl.AssignmentProblem(value=coo, capacity=capacity)
        value = np.where(mask, value, 0.0)
    return p, value, mask


@settings(max_examples=150, deadline=None)
@given(stored_problems(), st.data())
def test_pair_lookups_match_dense_views(stored, data):
    p, value, mask = stored
    n, m = value.shape
    np.testing.assert_array_equal(p.value, value)
    np.testing.assert_array_equal(p.eligible, mask)
    assert p.n_pairs == int(mask.sum())
    k = data.draw(st.integers(0, 20))
    leads = np.array(data.draw(st.lists(st.integers(0, n - 1), min_size=k, max_size=k)), np.int64)
    managers = np.array(
        data.draw(st.lists(st.integers(0, m - 1), min_size=k, max_size=k)), np.int64
    )
    got = p.pair_values(leads, managers)
    assert got.dtype == np.float64
    assert got.shape == (k,)
    np.testing.assert_array_equal(got, value[leads, managers])
    eligible = p.pair_eligible(leads, managers)
    assert eligible.dtype == np.bool_
    np.testing.assert_array_equal(eligible, mask[leads, managers])


def test_pair_lookups_on_every_pair_of_a_larger_sparse_matrix():
    rng = np.random.default_rng(7)
    value = sp.random(300, 17, density=0.2, format="csr", rng=rng)
    p = fl.AssignmentProblem(value=value, capacity=np.full(17, 300))
    leads, managers = all_pairs(300, 17)
    order = rng.permutation(leads.size)  # lookups in any order
    leads, managers = leads[order], managers[order]
    dense = value.toarray()
    np.testing.assert_array_equal(p.pair_values(leads, managers), dense[leads, managers])
    np.testing.assert_array_equal(
        p.pair_eligible(leads, managers), pattern_of(value)[leads, managers]
    )


# ------------------------------------------------------------------ value blocks


@settings(max_examples=100, deadline=None)
@given(stored_problems(), st.booleans())
def test_value_blocks_are_net_values_with_minus_inf(stored, pool):
    p, value, mask = stored
    blocks = p.value_blocks(pool=pool)
    expected = np.where(mask, value, -np.inf)
    if pool:
        expected = np.c_[expected, np.zeros(p.n_leads)]
    got = np.concatenate([values for _, _, values in blocks.blocks()])
    np.testing.assert_array_equal(got, expected)
    rows = np.arange(p.n_leads)[::-1]
    np.testing.assert_array_equal(blocks.take(rows), expected[rows])
    sub = blocks.subset(rows[::2])
    np.testing.assert_array_equal(np.concatenate([v for _, _, v in sub.blocks()]), expected[::-2])
    # the largest |value| of what is stored (a dense matrix stores ineligible pairs too),
    # as min_cost_flow scales values
    stored_values = value[mask] if p.is_sparse else value
    top = float(np.abs(stored_values).max()) if stored_values.size else 0.0
    assert blocks.largest_magnitude() == top


def test_value_blocks_subtract_pair_penalty():
    value = np.array([[1.0, 2.0], [3.0, -4.0]], dtype=np.float32)
    penalty = np.array([[0.5, 0.0], [0.0, 1.0]])
    mask = np.array([[True, False], [True, True]])
    p = fl.AssignmentProblem(value=value, capacity=[2, 2], eligible=mask, pair_penalty=penalty)
    blocks = p.value_blocks()
    np.testing.assert_array_equal(blocks.take(slice(0, 2)), [[0.5, -np.inf], [3.0, -5.0]])
    assert blocks.largest_magnitude() == 5.0


# ------------------------------------------------------------------ solving any storage


@pytest.mark.parametrize("method", ["min_cost_flow", "sifting", "greedy", "cp_sat"])
def test_methods_accept_float32_and_sparse_storage(method):
    rng = np.random.default_rng(3)
    value = rng.random((30, 4))
    mask = rng.random((30, 4)) < 0.6
    mask[np.arange(30), rng.integers(0, 4, 30)] = True
    capacity = [10, 10, 8, 9]
    rows, cols = np.nonzero(mask)
    sparse = sp.csr_array((value[mask], (rows, cols)), shape=(30, 4))
    dense = fl.AssignmentProblem(value=value, capacity=capacity, eligible=mask)
    as_sparse = fl.AssignmentProblem(value=sparse, capacity=capacity)
    sols = [fl.solve(dense, method=method), fl.solve(as_sparse, method=method)]
    for sol in sols:
        assert sol.status.has_solution
        assigned = sol.manager_of >= 0
        assert mask[assigned.nonzero()[0], sol.manager_of[assigned]].all()
        assert np.all(sol.loads <= capacity)
    assert sols[0].objective == pytest.approx(sols[1].objective, rel=1e-12)
    f32 = value.astype(np.float32)
    sol32 = fl.solve(fl.AssignmentProblem(value=f32, capacity=capacity, eligible=mask), method)
    chosen = sol32.manager_of
    assert sol32.objective == pytest.approx(
        float(f32.astype(np.float64)[np.arange(30), chosen].sum()), rel=1e-12
    )


# ------------------------------------------------------------------ target_load


def test_tiny_capacity_gives_a_finite_target_load():
    p = fl.AssignmentProblem(value=np.ones((5, 1)), capacity=[1e-308])
    assert np.isfinite(p.target_load).all()
