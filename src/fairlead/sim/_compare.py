"""Run several strategies over many seeded worlds and summarize with confidence intervals."""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np

from fairlead.sim._config import SimConfig
from fairlead.sim._engine import short_repr, simulate
from fairlead.sim._knowledge import estimate_values
from fairlead.sim._result import METRICS
from fairlead.sim._strategy import Strategy
from fairlead.sim._world import World, make_world

#: Builds the world of one seed; the default draws a synthetic world from a config.
WorldFactory = Callable[[int], World]


@dataclass(frozen=True)
class Interval:
    """A mean with its 95 % confidence interval (Student t over seeds).

    Examples
    --------
    >>> Interval.of([1.0, 2.0, 3.0])
    Interval(mean=2.0, low=-0.484..., high=4.484..., n=3)
    """

    mean: float
    low: float
    high: float
    n: int

    @classmethod
    def of(cls, values: Sequence[float] | np.ndarray) -> Interval:
        """Mean and 95 % t-interval of ``values``."""
        from scipy.stats import t

        a = np.asarray(values, dtype=np.float64)
        if a.size == 0:
            raise ValueError("Interval.of needs at least one value, got none")
        mean = float(a.mean())
        if a.size < 2:
            return cls(mean, mean, mean, int(a.size))
        half = float(t.ppf(0.975, a.size - 1) * a.std(ddof=1) / math.sqrt(a.size))
        return cls(mean, mean - half, mean + half, int(a.size))

    def __repr__(self) -> str:
        return f"Interval(mean={self.mean!r}, low={self.low!r}, high={self.high!r}, n={self.n})"

    def format(self, spec: str = ".3g", *, percent: bool = False) -> str:
        """``mean [low, high]``, in percent when asked."""
        k = 100.0 if percent else 1.0
        unit = " %" if percent else ""
        return f"{self.mean * k:{spec}} [{self.low * k:{spec}}, {self.high * k:{spec}}]{unit}"


@dataclass(frozen=True)
class Comparison:
    """Metrics of every strategy on every seed, and their summaries.

    Attributes
    ----------
    strategies : tuple of str
        In the order given.
    seeds : tuple of int
    rows : tuple of dict
        One per (seed, strategy): ``strategy``, ``seed`` and every :data:`METRICS` key.
    """

    strategies: tuple[str, ...]
    seeds: tuple[int, ...]
    rows: tuple[dict[str, float | str], ...]

    def values(self, strategy: str, metric: str) -> np.ndarray:
        """The metric of ``strategy`` per seed, in seed order."""
        if strategy not in self.strategies:
            raise KeyError(f"unknown strategy {strategy!r}; known: {list(self.strategies)}")
        if metric not in METRICS:
            raise KeyError(f"unknown metric {metric!r}; known: {list(METRICS)}")
        by_seed = {r["seed"]: r[metric] for r in self.rows if r["strategy"] == strategy}
        return np.array([by_seed[s] for s in self.seeds], dtype=np.float64)

    def interval(self, strategy: str, metric: str) -> Interval:
        """Mean and 95 % confidence interval of a metric over seeds."""
        return Interval.of(self.values(strategy, metric))

    def uplift(self, strategy: str, baseline: str, metric: str = "conversions") -> Interval:
        """Relative gain of ``strategy`` over ``baseline``, paired by seed, with 95 % CI.

        The interval is the t-interval of the per-seed differences divided by the
        baseline's mean (the worlds and their random draws are shared, so the pairing
        removes most of the noise).
        """
        a = self.values(strategy, metric)
        b = self.values(baseline, metric)
        scale = float(b.mean())
        if scale == 0:
            raise ZeroDivisionError(f"baseline {baseline!r} has mean {metric} 0")
        diff = Interval.of(a - b)
        return Interval(diff.mean / scale, diff.low / scale, diff.high / scale, diff.n)

    def table(self, metrics: Iterable[str] = tuple(METRICS)) -> str:
        """A text table: one row per strategy, ``mean ± half-width`` per metric."""
        metrics = list(metrics)
        width = max((len(s) for s in self.strategies), default=len("strategy"))
        head = f"{'strategy':<{width}}  " + "  ".join(f"{m:>22}" for m in metrics)
        lines = [head, "-" * len(head)]
        for s in self.strategies:
            cells = []
            for m in metrics:
                iv = self.interval(s, m)
                cells.append(f"{_fmt(iv.mean):>11} ± {_fmt(iv.high - iv.mean):<8}")
            lines.append(f"{s:<{width}}  " + "  ".join(f"{c:>22}" for c in cells))
        return "\n".join(lines)


def _fmt(x: float) -> str:
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    if abs(x) >= 10:
        return f"{x:.1f}"
    return f"{x:.3f}"


def _seeds(seeds: object) -> list[int]:
    """``seeds`` as a list of distinct non-negative ints, or a ValueError naming the bad one.

    Examples
    --------
    >>> _seeds(range(3))
    [0, 1, 2]
    """
    rule = "seeds must be an iterable of distinct non-negative ints"
    if isinstance(seeds, str | bytes) or not isinstance(seeds, Iterable):
        raise ValueError(f"{rule}, got {short_repr(seeds)}")
    seen: dict[int, int] = {}
    for k, seed in enumerate(seeds):
        whole = isinstance(seed, int | np.integer) and not isinstance(seed, bool)
        if not whole or seed < 0:
            raise ValueError(f"{rule}; seeds[{k}] is {short_repr(seed)}")
        if int(seed) in seen:
            raise ValueError(
                f"{rule}; seeds[{k}] = {int(seed)} repeats seeds[{seen[int(seed)]}] "
                "(a world counted twice would narrow the intervals falsely)"
            )
        seen[int(seed)] = k
    if not seen:
        raise ValueError("seeds must not be empty")
    return list(seen)


def _run_seed(
    seed: int,
    strategies: Sequence[Strategy],
    config: SimConfig | None,
    world_factory: WorldFactory | None,
    knowledge: str,
) -> list[dict[str, float | str]]:
    world = world_factory(seed) if world_factory is not None else make_world(config, seed=seed)
    values = estimate_values(world, knowledge=knowledge)
    rows: list[dict[str, float | str]] = []
    for strategy in strategies:
        record = simulate(world, copy.deepcopy(strategy), values)
        rows.append({"strategy": strategy.name, "seed": seed, **record.metrics()})
    return rows


def compare(
    strategies: Sequence[Strategy],
    *,
    seeds: Iterable[int] = range(20),
    config: SimConfig | None = None,
    world: WorldFactory | None = None,
    knowledge: str = "learned",
    processes: int = 1,
) -> Comparison:
    """Simulate every strategy on the same seeded worlds; the comparison is paired.

    Parameters
    ----------
    strategies : sequence of Strategy
        Each is copied per run, so state never leaks between seeds. Names must differ.
    seeds : iterable of int, default range(20)
    config : SimConfig, optional
        For the default synthetic worlds.
    world : callable seed -> World, optional
        Another world per seed (for example ``lambda s: bank_world(seed=s)``); must be
        picklable (a module-level function) when ``processes > 1``.
    knowledge : {"learned", "oracle"}, default "learned"
        What the value-using strategies know (see :func:`estimate_values`).
    processes : int, default 1
        Worker processes; seeds are spread over them.

    Examples
    --------
    >>> from fairlead.sim import SimConfig, RoundRobin, FairleadBatch
    >>> small = SimConfig(n_managers=4, weeks=1, leads_per_weekday=15)
    >>> result = compare([RoundRobin(), FairleadBatch()], seeds=[1, 2], config=small,
    ...                  knowledge="oracle")
    >>> result.strategies
    ('round robin', 'fairlead batch 1 min ±10%')
    >>> result.interval("round robin", "conversions").n
    2
    """
    strategies = list(strategies)
    if not strategies:
        raise ValueError("strategies must not be empty: give at least one Strategy")
    for k, strategy in enumerate(strategies):
        if not isinstance(strategy, Strategy):
            raise ValueError(
                f"strategies[{k}] must be a Strategy instance, got {short_repr(strategy)} "
                f"({type(strategy).__name__})"
            )
    names = [s.name for s in strategies]
    if len(set(names)) != len(names):
        raise ValueError(f"strategy names must differ, got {names}")
    if knowledge not in ("learned", "oracle"):
        raise ValueError(f"knowledge must be 'learned' or 'oracle', got {knowledge!r}")
    seed_list = _seeds(seeds)
    args = [(s, strategies, config, world, knowledge) for s in seed_list]
    if processes > 1:
        with ProcessPoolExecutor(max_workers=processes) as pool:
            chunks = list(pool.map(_run_seed, *zip(*args, strict=True)))
    else:
        chunks = [_run_seed(*a) for a in args]
    rows = tuple(row for chunk in chunks for row in chunk)
    return Comparison(strategies=tuple(names), seeds=tuple(seed_list), rows=rows)
