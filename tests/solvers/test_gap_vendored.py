"""cp_sat reaches the published OR-Library optima on the vendored GAP instances."""

from pathlib import Path

import pytest

import fairlead as fl
from fairlead.datasets._gap import gap_instances, read_gap

DATA = Path(__file__).parent / "data" / "gap"
OPTIMA = {
    "gap1.txt": [336, 327, 339, 341, 326],
    "gap2.txt": [434, 436, 420, 419, 428],
}


@pytest.mark.parametrize(
    ("name", "index"), [(name, k) for name, values in OPTIMA.items() for k in range(len(values))]
)
def test_cp_sat_reaches_the_published_optimum(name: str, index: int) -> None:
    assert gap_instances(DATA / name) == len(OPTIMA[name])
    problem = read_gap(DATA / name, index=index)
    sol = fl.solve(problem, method="cp_sat", time_limit=30)
    assert sol.status is fl.SolveStatus.OPTIMAL
    assert sol.objective == pytest.approx(OPTIMA[name][index])
    assert sol.bound is not None
    assert sol.bound == pytest.approx(OPTIMA[name][index], abs=1e-6)
    # every lead placed within every agent's capacity
    assert (sol.manager_of >= 0).all()
    assert (sol.loads <= problem.capacity + 1e-9).all()
