import fairlead as fl


def test_all_is_sorted_and_complete() -> None:
    names = [n for n in fl.__all__ if n != "__version__"]
    assert names == sorted(names)
    for name in fl.__all__:
        assert hasattr(fl, name), name


def test_design_contract_names_exist() -> None:
    for name in (
        "AssignmentProblem",
        "solve",
        "Solution",
        "SolveStatus",
        "list_methods",
        "assign",
        "Policy",
        "Lead",
        "Manager",
        "Plan",
        "FairnessReport",
    ):
        assert name in fl.__all__
    assert {"OPTIMAL", "FEASIBLE", "INFEASIBLE", "TIME_LIMIT"} <= set(fl.SolveStatus.__members__)


def test_registered_methods() -> None:
    assert set(fl.list_methods()) >= {
        "min_cost_flow",
        "round_robin",
        "least_loaded",
        "weighted_random",
        "greedy",
    }
