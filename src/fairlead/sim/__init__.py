"""A simulated sales team and lead stream, to measure assignment strategies.

Examples
--------
>>> from fairlead import sim
>>> world = sim.make_world(sim.SimConfig(n_managers=6, weeks=1), seed=1)
>>> record = sim.simulate(world, sim.RoundRobin())
>>> int((record.manager >= 0).sum()) == world.stream.size
True
"""

from fairlead.sim._bank import bank_world
from fairlead.sim._compare import Comparison, Interval, compare
from fairlead.sim._config import SimConfig
from fairlead.sim._delay import HBR_2011_CONTRASTS, DelayEffect, calibrate_delay
from fairlead.sim._engine import StrategyError, simulate
from fairlead.sim._knowledge import estimate_values, learned_values
from fairlead.sim._oracle import oracle_values
from fairlead.sim._plot import plot_pareto
from fairlead.sim._result import METRICS, RunRecord
from fairlead.sim._router_strategy import OnlineRouter
from fairlead.sim._strategies import FairleadBatch, Greedy, LeastLoaded, RoundRobin, WeightedRandom
from fairlead.sim._strategy import DecisionContext, Strategy
from fairlead.sim._world import Schedule, Stream, Team, World, make_world

__all__ = [
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
    "estimate_values",
    "learned_values",
    "make_world",
    "oracle_values",
    "plot_pareto",
    "simulate",
]
