"""A simulated sales team and lead stream, to measure assignment strategies.

Examples
--------
>>> from fairlead import sim
>>> world = sim.make_world(sim.SimConfig(n_managers=6, weeks=1), seed=1)
>>> record = sim.simulate(world, sim.RoundRobin())
>>> int((record.manager >= 0).sum()) == world.stream.size
True

``demo_quarter`` (the demo team's simulated quarter) loads on first use, so that
``python -m fairlead.sim._demo_quarter`` runs the module only once.
"""

from typing import TYPE_CHECKING

from fairlead.sim._bank import bank_world
from fairlead.sim._compare import Comparison, Interval, compare
from fairlead.sim._config import SimConfig
from fairlead.sim._delay import HBR_2011_CONTRASTS, DelayEffect, calibrate_delay
from fairlead.sim._engine import StrategyError, simulate
from fairlead.sim._events import EVENT_COLUMNS, event_log
from fairlead.sim._knowledge import estimate_values, learned_values
from fairlead.sim._oracle import oracle_values
from fairlead.sim._plot import plot_pareto
from fairlead.sim._result import METRICS, RunRecord
from fairlead.sim._router_strategy import OnlineRouter
from fairlead.sim._strategies import FairleadBatch, Greedy, LeastLoaded, RoundRobin, WeightedRandom
from fairlead.sim._strategy import DecisionContext, Strategy
from fairlead.sim._world import Schedule, Stream, Team, World, make_world

if TYPE_CHECKING:
    from fairlead.sim._demo_quarter import demo_quarter

__all__ = [
    "EVENT_COLUMNS",
    "HBR_2011_CONTRASTS",
    "METRICS",
    "Comparison",
    "DecisionContext",
    "DelayEffect",
    "FairleadBatch",
    "Greedy",
    "Interval",
    "LeastLoaded",
    "OnlineRouter",
    "RoundRobin",
    "RunRecord",
    "Schedule",
    "SimConfig",
    "Strategy",
    "StrategyError",
    "Stream",
    "Team",
    "WeightedRandom",
    "World",
    "bank_world",
    "calibrate_delay",
    "compare",
    "demo_quarter",
    "estimate_values",
    "event_log",
    "learned_values",
    "make_world",
    "oracle_values",
    "plot_pareto",
    "simulate",
]


def __getattr__(name: str) -> object:
    if name == "demo_quarter":
        from fairlead.sim._demo_quarter import demo_quarter

        return demo_quarter
    raise AttributeError(f"module 'fairlead.sim' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
