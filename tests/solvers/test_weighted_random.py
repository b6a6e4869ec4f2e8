"""weighted_random: the ``seed`` option is checked and named in the error."""

import re

import numpy as np
import pytest

import fairlead as fl


def problem() -> fl.AssignmentProblem:
    rng = np.random.default_rng(0)
    return fl.AssignmentProblem(value=rng.random((12, 3)), capacity=[6, 6, 6])


def message(shown: str) -> str:
    return (
        "^"
        + re.escape(
            "option 'seed' of method 'weighted_random' must be None, an int >= 0 or a "
            f"numpy.random.Generator, got {shown}"
        )
        + "$"
    )


@pytest.mark.parametrize(
    ("seed", "shown"),
    [
        (-1, "-1"),
        (np.int64(-5), "np.int64(-5)"),
        (1.5, "1.5"),
        (2.0, "2.0"),
        ("7", "'7'"),
        (True, "True"),
        ([1, 2], "[1, 2]"),
    ],
)
def test_bad_seed_is_a_value_error_naming_option_and_value(seed, shown):
    with pytest.raises(ValueError, match=message(shown)):
        fl.solve(problem(), method="weighted_random", seed=seed)


def test_a_legacy_random_state_is_refused():
    with pytest.raises(ValueError, match=r"must be None, an int >= 0 .*, got RandomState"):
        fl.solve(problem(), method="weighted_random", seed=np.random.RandomState(0))


def test_bad_seed_in_the_policy_of_assign():
    leads = [{"id": f"l-{k}", "score": 0.2} for k in range(4)]
    managers = [{"id": "a", "max_active_leads": 4}, {"id": "b", "max_active_leads": 4}]
    with pytest.raises(ValueError, match=r"seed"):
        fl.assign(leads, managers, policy={"seed": -3}, method="weighted_random")


@pytest.mark.parametrize("seed", [None, 0, 7, np.int64(3), 2**40])
def test_good_seeds(seed):
    sol = fl.solve(problem(), method="weighted_random", seed=seed)
    assert sol.status.has_solution
    assert (sol.manager_of >= 0).all()


def test_a_generator_is_used_as_given():
    first = fl.solve(problem(), method="weighted_random", seed=np.random.default_rng(11))
    again = fl.solve(problem(), method="weighted_random", seed=11)
    np.testing.assert_array_equal(first.manager_of, again.manager_of)
