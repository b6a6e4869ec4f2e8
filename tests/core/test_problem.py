"""Validation of AssignmentProblem: a catalogue of bad inputs and the defaults."""

import re
from decimal import Decimal

import numpy as np
import pytest
import scipy.sparse as sp

import fairlead as fl
from fairlead.core import violations

LEADS = ["L-a", "L-b", "L-c"]
MANAGERS = ["m-1", "m-2"]


def values(n=3, m=2):
    return np.arange(n * m, dtype=np.float64).reshape(n, m) / 10


def exact(message):
    """Pattern matching ``message`` literally and in full."""
    return "^" + re.escape(message) + "$"


# --------------------------------------------------------------------------- value


@pytest.mark.parametrize(
    ("bad", "shown"),
    [(np.nan, "nan"), (np.inf, "inf"), (-np.inf, "-inf")],
)
def test_non_finite_value_names_lead_manager_and_value(bad, shown):
    v = values()
    v[2, 1] = bad
    with pytest.raises(
        ValueError, match=exact(f"value of lead 2 for manager 1 must be finite, got {shown}")
    ):
        fl.AssignmentProblem(value=v, capacity=[3, 3])


@pytest.mark.parametrize(
    ("bad", "shown"),
    [(np.nan, "nan"), (np.inf, "inf"), (-np.inf, "-inf")],
)
def test_non_finite_value_uses_labels(bad, shown):
    v = values()
    v[1, 0] = bad
    with pytest.raises(
        ValueError,
        match=exact(f"value of lead 'L-b' for manager 'm-1' must be finite, got {shown}"),
    ):
        fl.AssignmentProblem(value=v, capacity=[3, 3], lead_labels=LEADS, manager_labels=MANAGERS)


def test_non_finite_value_reports_the_first_bad_pair():
    v = values()
    v[0, 1] = np.nan
    v[2, 0] = np.inf
    with pytest.raises(ValueError, match=r"lead 0 for manager 1 .* got nan"):
        fl.AssignmentProblem(value=v, capacity=[3, 3])


def test_only_lead_labels_given():
    v = values()
    v[0, 1] = np.nan
    with pytest.raises(
        ValueError, match=exact("value of lead 'L-a' for manager 1 must be finite, got nan")
    ):
        fl.AssignmentProblem(value=v, capacity=[3, 3], lead_labels=LEADS)


def test_only_manager_labels_given():
    v = values()
    v[0, 1] = np.inf
    with pytest.raises(
        ValueError, match=exact("value of lead 0 for manager 'm-2' must be finite, got inf")
    ):
        fl.AssignmentProblem(value=v, capacity=[3, 3], manager_labels=MANAGERS)


@pytest.mark.parametrize("shape", [(3,), (), (2, 2, 2)])
def test_value_must_be_2d(shape):
    with pytest.raises(
        ValueError,
        match=re.escape(f"value must be a 2-d array (leads x managers), got shape {shape}"),
    ):
        fl.AssignmentProblem(value=np.ones(shape), capacity=[1, 1])


def test_zero_leads():
    with pytest.raises(ValueError, match=r"^value has no leads .*at least one is needed$"):
        fl.AssignmentProblem(value=np.zeros((0, 2)), capacity=[1, 1])


def test_zero_managers():
    with pytest.raises(ValueError, match=r"^value has no managers .*at least one is needed$"):
        fl.AssignmentProblem(value=np.zeros((2, 0)), capacity=np.zeros(0))


def test_value_of_booleans_is_rejected():
    with pytest.raises(ValueError, match=exact("value must hold numbers, got booleans")):
        fl.AssignmentProblem(value=np.ones((2, 2), dtype=bool), capacity=[1, 1])


def test_value_of_strings_is_rejected():
    with pytest.raises(ValueError, match=r"^value must hold numbers, got <U\d+ \(e\.g\. .*'x'"):
        fl.AssignmentProblem(value=[["x", "y"], ["z", "w"]], capacity=[2, 2])


@pytest.mark.parametrize("item", [None, Decimal("0.5")])
def test_value_with_a_non_number_in_a_mixed_list(item):
    with pytest.raises(ValueError, match=exact(f"value must hold numbers, got {item!r}")):
        fl.AssignmentProblem(value=[[0.5, item], [0.1, 0.2]], capacity=[2, 2])


def test_value_with_a_numeric_string_in_a_list():
    with pytest.raises(ValueError, match=r"^value must hold numbers, got <U\d+ .*'0\.5'"):
        fl.AssignmentProblem(value=[["0.5", 0.1], [0.1, 0.2]], capacity=[2, 2])


def test_complex_value_is_rejected():
    with pytest.raises(ValueError, match=r"^value must hold numbers, got complex128"):
        fl.AssignmentProblem(value=[[0.5, 1j], [0.1, 0.2]], capacity=[2, 2])


def test_ragged_value_is_a_value_error():
    with pytest.raises(ValueError, match=r"^value must be an array of numbers"):
        fl.AssignmentProblem(value=[[0.5, 0.1], [0.2]], capacity=[2, 2])


@pytest.mark.parametrize("dtype", [None, object])
def test_an_integer_too_large_for_a_float_names_the_field(dtype):
    with pytest.raises(ValueError, match=r"^value holds an integer too large for a float$"):
        fl.AssignmentProblem(value=np.array([[10**400, 1]], dtype=dtype), capacity=[1, 1])


def test_ragged_eligible_is_a_value_error_naming_it():
    with pytest.raises(ValueError, match=r"^eligible must be an \(3, 2\) array of booleans: "):
        fl.AssignmentProblem(value=values(), capacity=[3, 3], eligible=[[1, 1], [1], [1, 1]])


@pytest.mark.parametrize("labels", [5, "ab"])
def test_labels_must_be_a_sequence_of_names(labels):
    with pytest.raises(ValueError, match=r"^manager_labels must be a sequence of names, got "):
        fl.AssignmentProblem(value=values(), capacity=[3, 3], manager_labels=labels)


@pytest.mark.parametrize(
    "call",
    [
        lambda v: fl.solve(v),
        lambda v: fl.dual_bound(v, [0.0, 0.0]),
        lambda v: fl.find_conflict(v),
    ],
    ids=["solve", "dual_bound", "find_conflict"],
)
def test_a_bare_matrix_is_not_a_problem(call):
    with pytest.raises(
        ValueError, match=exact("problem must be an AssignmentProblem, got ndarray")
    ):
        call(values())


def test_integer_value_is_accepted_as_float():
    p = fl.AssignmentProblem(value=[[1, 2], [3, 4]], capacity=[2, 2])
    assert p.value.dtype == np.float64
    np.testing.assert_array_equal(p.value, [[1.0, 2.0], [3.0, 4.0]])


# ------------------------------------------------------------------------ capacity


def test_negative_capacity():
    with pytest.raises(ValueError, match=exact("capacity of manager 1 must be >= 0, got -2")):
        fl.AssignmentProblem(value=values(), capacity=[3, -2])


def test_negative_capacity_with_labels():
    with pytest.raises(ValueError, match=exact("capacity of manager 'm-2' must be >= 0, got -0.5")):
        fl.AssignmentProblem(value=values(), capacity=[3, -0.5], manager_labels=MANAGERS)


def test_inf_capacity():
    with pytest.raises(
        ValueError, match=exact("capacity of manager 'm-1' must be finite, got inf")
    ):
        fl.AssignmentProblem(value=values(), capacity=[np.inf, 1], manager_labels=MANAGERS)


def test_minus_inf_capacity_is_below_zero():
    with pytest.raises(ValueError, match=exact("capacity of manager 0 must be >= 0, got -inf")):
        fl.AssignmentProblem(value=values(), capacity=[-np.inf, 1])


def test_nan_capacity():
    with pytest.raises(ValueError, match=exact("capacity of manager 1 must be a number, got nan")):
        fl.AssignmentProblem(value=values(), capacity=[1, np.nan])


@pytest.mark.parametrize("capacity", [[1, 2, 3], [1], [[1, 2]]])
def test_capacity_wrong_length(capacity):
    shape = np.shape(capacity)
    with pytest.raises(
        ValueError, match=exact(f"capacity must have shape (2,) (one per manager), got {shape}")
    ):
        fl.AssignmentProblem(value=values(), capacity=capacity)


def test_scalar_capacity_broadcasts():
    p = fl.AssignmentProblem(value=values(), capacity=2)
    np.testing.assert_array_equal(p.capacity, [2.0, 2.0])


def test_capacity_of_booleans_is_rejected():
    with pytest.raises(ValueError, match=exact("capacity must hold numbers, got booleans")):
        fl.AssignmentProblem(value=values(), capacity=np.array([True, True]))


def test_capacity_of_strings_is_rejected():
    with pytest.raises(ValueError, match=r"^capacity must hold numbers, got <U\d+"):
        fl.AssignmentProblem(value=values(), capacity=["1", "2"])


# ------------------------------------------------------------------------ eligible


@pytest.mark.parametrize("shape", [(2, 3), (3,), (3, 2, 1)])
def test_eligible_wrong_shape(shape):
    with pytest.raises(
        ValueError, match=exact(f"eligible must have shape (3, 2) like value, got {shape}")
    ):
        fl.AssignmentProblem(value=values(), capacity=[3, 3], eligible=np.ones(shape, bool))


@pytest.mark.parametrize(
    ("eligible", "dtype"),
    [
        (np.ones((3, 2)), "float64"),
        (np.full((3, 2), 2), "int64"),
        (np.full((3, 2), "yes"), "<U3"),
        (np.array([[1, 0], [0, -1], [1, 1]]), "int64"),
    ],
)
def test_eligible_must_be_booleans(eligible, dtype):
    with pytest.raises(ValueError, match=exact(f"eligible must hold booleans, got dtype {dtype}")):
        fl.AssignmentProblem(value=values(), capacity=[3, 3], eligible=eligible)


def test_eligible_of_zeros_and_ones_is_accepted():
    p = fl.AssignmentProblem(
        value=values(), capacity=[3, 3], eligible=np.array([[1, 0], [0, 1], [1, 1]])
    )
    assert p.eligible.dtype == np.bool_
    np.testing.assert_array_equal(p.eligible, [[True, False], [False, True], [True, True]])


# -------------------------------------------------------------------------- weight


@pytest.mark.parametrize("shape", [(2,), (3, 1), (2, 3), (3, 2, 1)])
def test_weight_wrong_shape(shape):
    with pytest.raises(
        ValueError, match=exact(f"weight must have shape (3,) or (3, 2), got {shape}")
    ):
        fl.AssignmentProblem(value=values(), capacity=[3, 3], weight=np.ones(shape))


@pytest.mark.parametrize(
    ("bad", "shown"), [(0.0, "0"), (-1.5, "-1.5"), (np.inf, "inf"), (np.nan, "nan")]
)
def test_non_positive_or_non_finite_weight_per_lead(bad, shown):
    w = np.ones(3)
    w[1] = bad
    with pytest.raises(
        ValueError, match=exact(f"weight of lead 'L-b' must be finite and > 0, got {shown}")
    ):
        fl.AssignmentProblem(value=values(), capacity=[3, 3], weight=w, lead_labels=LEADS)


def test_non_positive_weight_per_pair_names_lead_and_manager():
    w = np.ones((3, 2))
    w[2, 1] = -1
    with pytest.raises(
        ValueError, match=exact("weight of lead 2 for manager 'm-2' must be finite and > 0, got -1")
    ):
        fl.AssignmentProblem(value=values(), capacity=[3, 3], weight=w, manager_labels=MANAGERS)


def test_weight_of_booleans_is_rejected():
    with pytest.raises(ValueError, match=exact("weight must hold numbers, got booleans")):
        fl.AssignmentProblem(value=values(), capacity=[3, 3], weight=np.ones(3, dtype=bool))


def test_weight_of_strings_is_rejected():
    with pytest.raises(ValueError, match=r"^weight must hold numbers, got <U\d+"):
        fl.AssignmentProblem(value=values(), capacity=[3, 3], weight=["1", "1", "2"])


# -------------------------------------------------------------------- load bounds


def test_min_load_above_max_load():
    with pytest.raises(
        ValueError, match=exact("min_load of manager 'm-2' (3) exceeds its max_load (2)")
    ):
        fl.AssignmentProblem(
            value=values(),
            capacity=[5, 5],
            min_load=[0, 3],
            max_load=[5, 2],
            manager_labels=MANAGERS,
        )


def test_min_load_above_capacity_with_a_looser_max_load():
    with pytest.raises(
        ValueError, match=exact("min_load of manager 1 (2.5) exceeds its capacity (2)")
    ):
        fl.AssignmentProblem(value=values(), capacity=[3, 2], min_load=[0, 2.5], max_load=[3, 3])


def test_min_load_above_capacity_names_capacity():
    with pytest.raises(ValueError, match=r"min_load of manager 1 \(3\) exceeds its capacity \(2\)"):
        fl.AssignmentProblem(value=values(), capacity=[3, 2], min_load=[0, 3])


@pytest.mark.parametrize("field", ["min_load", "max_load", "current_load"])
def test_negative_load_bound(field):
    with pytest.raises(ValueError, match=exact(f"{field} of manager 'm-1' must be >= 0, got -1")):
        fl.AssignmentProblem(
            value=values(), capacity=[3, 3], manager_labels=MANAGERS, **{field: [-1, 0]}
        )


@pytest.mark.parametrize(
    "field", ["min_load", "max_load", "current_load", "min_value", "max_value"]
)
def test_per_manager_field_wrong_length(field):
    with pytest.raises(
        ValueError, match=exact(f"{field} must have shape (2,) (one per manager), got (3,)")
    ):
        fl.AssignmentProblem(value=values(), capacity=[3, 3], **{field: [0, 0, 0]})


@pytest.mark.parametrize(
    "field", ["min_load", "max_load", "current_load", "min_value", "max_value"]
)
def test_per_manager_field_nan(field):
    with pytest.raises(ValueError, match=exact(f"{field} of manager 1 must be a number, got nan")):
        fl.AssignmentProblem(value=values(), capacity=[3, 3], **{field: [0, np.nan]})


@pytest.mark.parametrize(
    "field", ["min_load", "max_load", "current_load", "min_value", "max_value"]
)
def test_per_manager_field_of_booleans(field):
    with pytest.raises(ValueError, match=exact(f"{field} must hold numbers, got booleans")):
        fl.AssignmentProblem(value=values(), capacity=[3, 3], **{field: np.zeros(2, bool)})


def test_inf_min_load():
    with pytest.raises(ValueError, match=exact("min_load of manager 0 must be finite, got inf")):
        fl.AssignmentProblem(value=values(), capacity=[3, 3], min_load=[np.inf, 0], max_load=np.inf)


def test_inf_max_load_is_no_limit():
    p = fl.AssignmentProblem(value=values(), capacity=[3, 1], max_load=[np.inf, np.inf])
    np.testing.assert_array_equal(p.upper_load, [3.0, 1.0])


# -------------------------------------------------------------------- value bounds


def test_min_value_above_max_value():
    with pytest.raises(
        ValueError, match=exact("min_value of manager 'm-2' (0.7) exceeds its max_value (0.5)")
    ):
        fl.AssignmentProblem(
            value=values(),
            capacity=[3, 3],
            min_value=[0, 0.7],
            max_value=[1, 0.5],
            manager_labels=MANAGERS,
        )


def test_value_bounds_may_be_negative_and_infinite():
    p = fl.AssignmentProblem(
        value=values(), capacity=[3, 3], min_value=[-1, -np.inf], max_value=[np.inf, 2]
    )
    assert p.has_value_bounds
    np.testing.assert_array_equal(p.min_value, [-1, -np.inf])
    np.testing.assert_array_equal(p.max_value, [np.inf, 2])


@pytest.mark.parametrize(
    ("field", "bounds", "message"),
    [
        ("max_value", [-np.inf, 2.0], "max_value of manager 'm-1' must be finite or inf"),
        ("min_value", [0.0, np.inf], "min_value of manager 'm-2' must be finite or -inf"),
    ],
)
def test_a_value_bound_no_total_can_meet_is_rejected(field, bounds, message):
    # no total value is <= -inf or >= +inf: not a bound but an impossible problem
    shown = "-inf" if field == "max_value" else "inf"
    with pytest.raises(ValueError, match=exact(f"{message} (no bound), got {shown}")):
        fl.AssignmentProblem(
            value=values(), capacity=[3, 3], manager_labels=MANAGERS, **{field: bounds}
        )


# -------------------------------------------------------------------------- labels


def test_lead_labels_wrong_length():
    with pytest.raises(ValueError, match=exact("lead_labels has 2 names for 3 leads")):
        fl.AssignmentProblem(value=values(), capacity=[3, 3], lead_labels=["a", "b"])


def test_manager_labels_wrong_length():
    with pytest.raises(ValueError, match=exact("manager_labels has 3 names for 2 managers")):
        fl.AssignmentProblem(value=values(), capacity=[3, 3], manager_labels=["a", "b", "c"])


def test_labels_are_stored_as_tuples_of_str_and_used_in_names():
    p = fl.AssignmentProblem(
        value=values(), capacity=[3, 3], lead_labels=LEADS, manager_labels=[17, 42]
    )
    assert p.lead_labels == ("L-a", "L-b", "L-c")
    assert p.manager_labels == ("17", "42")
    assert p.lead_name(2) == "lead 'L-c'"
    assert p.manager_name(1) == "manager '42'"
    bare = fl.AssignmentProblem(value=values(), capacity=[3, 3])
    assert bare.lead_name(2) == "lead 2"
    assert bare.manager_name(0) == "manager 0"


def test_allow_unassigned_must_be_bool():
    with pytest.raises(ValueError, match=exact("allow_unassigned must be a bool, got 'yes'")):
        fl.AssignmentProblem(value=values(), capacity=[3, 3], allow_unassigned="yes")


# ------------------------------------------------------------------------ positive


def test_defaults():
    p = fl.AssignmentProblem(value=values(), capacity=[2, 1.5])
    assert (p.n_leads, p.n_managers) == (3, 2)
    assert p.eligible.dtype == np.bool_
    assert p.eligible.shape == (3, 2)
    assert p.eligible.all()
    assert p.weight.dtype == np.float64
    np.testing.assert_array_equal(p.weight, np.ones(3))
    assert p.unit_weights
    np.testing.assert_array_equal(p.min_load, [0.0, 0.0])
    np.testing.assert_array_equal(p.max_load, [2.0, 1.5])
    np.testing.assert_array_equal(p.current_load, [0.0, 0.0])
    assert p.allow_unassigned is False
    assert p.min_value is None
    assert p.max_value is None
    assert not p.has_value_bounds
    assert p.lead_labels is None
    assert p.manager_labels is None
    assert p.weight_matrix().shape == (3, 2)
    np.testing.assert_array_equal(p.weight_matrix(), np.ones((3, 2)))


def test_non_unit_weights_are_detected():
    p = fl.AssignmentProblem(value=values(), capacity=[3, 3], weight=[1, 2, 1])
    assert not p.unit_weights
    np.testing.assert_array_equal(p.weight_matrix(), [[1, 1], [2, 2], [1, 1]])
    w2 = np.array([[1.0, 2.0], [1.0, 1.0], [0.5, 1.0]])
    p2 = fl.AssignmentProblem(value=values(), capacity=[3, 3], weight=w2)
    np.testing.assert_array_equal(p2.weight_matrix(), w2)


def test_numpy_bool_allow_unassigned_is_accepted():
    p = fl.AssignmentProblem(value=values(), capacity=[3, 3], allow_unassigned=np.True_)
    assert p.allow_unassigned is True


def test_caller_arrays_are_not_mutated():
    v = values()
    cap = np.array([2.0, 3.0])
    elig = np.array([[True, False], [True, True], [False, True]])
    w = np.array([1.0, 1.0, 1.0])
    lo = np.array([1.0, 0.0])
    hi = np.array([2.0, 2.0])
    cur = np.array([4.0, 0.0])
    vmin = np.array([-1.0, -1.0])
    vmax = np.array([5.0, 5.0])
    inputs = [v, cap, elig, w, lo, hi, cur, vmin, vmax]
    copies = [a.copy() for a in inputs]
    p = fl.AssignmentProblem(
        value=v,
        capacity=cap,
        eligible=elig,
        weight=w,
        min_load=lo,
        max_load=hi,
        min_value=vmin,
        max_value=vmax,
        current_load=cur,
    )
    for a, c in zip(inputs, copies, strict=True):
        np.testing.assert_array_equal(a, c)
        assert a.dtype == c.dtype
        assert a.flags.writeable
    fl.solve(p, method="greedy")
    for a, c in zip(inputs, copies, strict=True):
        np.testing.assert_array_equal(a, c)


def test_problem_is_a_snapshot_of_the_inputs():
    v = values()
    elig = np.ones((3, 2), dtype=bool)
    p = fl.AssignmentProblem(value=v, capacity=[3, 3], eligible=elig)
    v[0, 0] = np.nan
    elig[0, 0] = False
    assert np.isfinite(p.value).all()
    assert p.eligible.all()


def test_problem_arrays_are_read_only():
    p = fl.AssignmentProblem(value=values(), capacity=[3, 3], min_load=[1, 0], max_load=[2, 3])
    for arr in (p.capacity, p.weight, p.min_load, p.max_load, p.current_load):
        with pytest.raises(ValueError, match="read-only"):
            arr[0] = 7.0


def test_count_bounds_rounds_inward_and_clips_to_n():
    p = fl.AssignmentProblem(
        value=np.zeros((4, 5)),
        capacity=[2.7, 3, 10, 1.0000000000001, 2],
        min_load=[0.5, 1, 0, 0, 2],
        max_load=[5, 2.2, np.inf, 5, 2],
    )
    low, high = p.count_bounds()
    assert low.dtype == np.int64
    assert high.dtype == np.int64
    np.testing.assert_array_equal(low, [1, 1, 0, 0, 2])
    np.testing.assert_array_equal(high, [2, 2, 4, 1, 2])


def test_count_bounds_tolerates_float_noise():
    p = fl.AssignmentProblem(
        value=np.zeros((4, 2)), capacity=[3 - 1e-12, 3], min_load=[1 + 1e-12, 0.1 + 0.2]
    )
    low, high = p.count_bounds()
    np.testing.assert_array_equal(low, [1, 1])
    np.testing.assert_array_equal(high, [3, 3])


def test_upper_load_is_the_smaller_of_capacity_and_max_load():
    p = fl.AssignmentProblem(value=np.zeros((2, 3)), capacity=[4, 1, 2.5], max_load=[2, 3, 2.5])
    np.testing.assert_array_equal(p.upper_load, [2, 1, 2.5])
    assert p.upper_load.dtype == np.float64
    default = fl.AssignmentProblem(value=np.zeros((2, 3)), capacity=[4, 1, 2.5])
    np.testing.assert_array_equal(default.upper_load, [4, 1, 2.5])


# --------------------------------------------------------------------------- labels, capacity


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"manager_labels": ["a", "b", "a"]},
            "manager_labels names 'a' twice (managers 0 and 2); each name must be unique",
        ),
        (
            {"lead_labels": ["l1", "l2", "l2"]},
            "lead_labels names 'l2' twice (leads 1 and 2); each name must be unique",
        ),
        (
            {"lead_labels": [7, "7", "x"]},  # the same text once read as names
            "lead_labels names '7' twice (leads 0 and 1); each name must be unique",
        ),
    ],
)
def test_duplicate_labels_are_refused_naming_both_positions(kwargs, message):
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        fl.AssignmentProblem(value=np.ones((3, 3)), capacity=[3, 3, 3], **kwargs)


def test_labels_differing_only_by_case_are_distinct_ids():
    p = fl.AssignmentProblem(value=np.ones((1, 2)), capacity=[1, 1], manager_labels=["a", "A"])
    assert p.manager_labels == ("a", "A")


ALL_METHODS = [
    "cp_sat",
    "greedy",
    "least_loaded",
    "lp_round",
    "min_cost_flow",
    "round_robin",
    "sifting",
    "weighted_random",
]


@pytest.mark.parametrize("method", ALL_METHODS)
def test_fractional_capacity_with_unit_weights_admits_whole_leads_below_it(method):
    """capacity 1.5 with leads of weight 1: at most one lead, by every method alike."""
    value = np.array([[0.9, 0.1], [0.8, 0.2], [0.7, 0.3]])
    two = fl.AssignmentProblem(value=value[:2], capacity=[1.5, 1])
    solution = fl.solve(two, method=method)
    assert solution.status in (fl.SolveStatus.OPTIMAL, fl.SolveStatus.FEASIBLE)
    assert solution.loads.tolist() == [1.0, 1.0]
    three = fl.AssignmentProblem(value=value, capacity=[1.5, 1])
    short = fl.solve(three, method=method)
    assert short.status in (fl.SolveStatus.INFEASIBLE, fl.SolveStatus.FAILED)
    assert short.loads.max() <= 1.0
    assert int((short.manager_of >= 0).sum()) <= 2


@pytest.mark.parametrize("method", ["cp_sat", "lp_round"])
def test_fractional_capacity_is_used_whole_by_fractional_weights(method):
    p = fl.AssignmentProblem(
        value=np.full((4, 2), 0.5), capacity=[1.5, 1.0], weight=[0.5, 0.5, 0.5, 1.0]
    )
    solution = fl.solve(p, method=method)
    assert solution.status in (fl.SolveStatus.OPTIMAL, fl.SolveStatus.FEASIBLE)
    assert solution.loads.tolist() == [1.5, 1.0]
    assert not violations(p, solution.manager_of)


def test_problem_errors_are_input_errors():
    with pytest.raises(fl.InputError, match=r"^capacity of manager 0 must be >= 0, got -1$"):
        fl.AssignmentProblem(value=np.ones((2, 2)), capacity=[-1, 1])
    assert issubclass(fl.InputError, ValueError)


@pytest.mark.parametrize("sparse", [False, True])
def test_values_whose_total_would_overflow_are_refused(sparse):
    value = np.array([[1.0, -1e308], [2.0, 3.0]])
    given = sp.csr_array(value) if sparse else value
    with pytest.raises(
        fl.InputError,
        match=r"^value of lead 0 for manager 1 is too large, got -1e\+308: a plan's total over "
        r"2 leads would overflow",
    ):
        fl.AssignmentProblem(value=given, capacity=[2, 2])
    fl.AssignmentProblem(value=np.full((2, 2), 8e307), capacity=[2, 2])  # 1.6e308 fits
