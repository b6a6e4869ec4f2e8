"""Shared worlds and strategies of the simulator tests (kept small: the suite must be fast)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from fairlead.sim import (
    FairleadBatch,
    Greedy,
    LeastLoaded,
    RoundRobin,
    SimConfig,
    Strategy,
    WeightedRandom,
    World,
    make_world,
)

#: A small team over one week: a couple of hundred leads.
SMALL = SimConfig(n_managers=6, weeks=1)
#: Few slots and short-lived leads: capacity binds and leads queue.
TIGHT = SimConfig(
    n_managers=6, weeks=1, capacity_by_level=(2, 3, 4), portfolio_load=0.0, open_days_median=0.1
)

#: Every strategy the simulator ships, in the variants the engine must handle.
STRATEGIES: dict[str, Callable[[], Strategy]] = {
    "round robin": RoundRobin,
    "least loaded": LeastLoaded,
    "weighted random": WeightedRandom,
    "greedy": Greedy,
    "fairlead tol 0": lambda: FairleadBatch(tolerance=0.0),
    "fairlead tol 0.1": lambda: FairleadBatch(tolerance=0.1),
    "fairlead unconstrained": lambda: FairleadBatch(tolerance=None),
    "fairlead on arrival": lambda: FairleadBatch(interval=None),
    "fairlead on arrival tol 0": lambda: FairleadBatch(interval=None, tolerance=0.0),
    "fairlead every 5 min": lambda: FairleadBatch(interval=5.0),
    "fairlead every 5 min unconstrained": lambda: FairleadBatch(interval=5.0, tolerance=None),
}


@pytest.fixture(params=list(STRATEGIES), ids=list(STRATEGIES))
def make_strategy(request: pytest.FixtureRequest) -> Callable[[], Strategy]:
    """A factory of fresh instances of one strategy (each test run gets its own)."""
    return STRATEGIES[request.param]


@pytest.fixture(scope="session")
def small_world() -> World:
    return make_world(SMALL, seed=3)


@pytest.fixture(scope="session")
def tight_world() -> World:
    return make_world(TIGHT, seed=5)
