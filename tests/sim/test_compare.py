"""Paired comparisons over seeded worlds, and their confidence intervals."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from fairlead.sim import (
    METRICS,
    Comparison,
    FairleadBatch,
    Interval,
    RoundRobin,
    SimConfig,
    Strategy,
    WeightedRandom,
    World,
    compare,
    estimate_values,
    make_world,
    simulate,
)

SMALL = SimConfig(n_managers=6, weeks=1)
SEEDS = (1, 2, 3)


def _renamed(strategy: Strategy, name: str) -> Strategy:
    strategy.name = name
    return strategy


def _strategies() -> list[Strategy]:
    return [RoundRobin(), WeightedRandom(), FairleadBatch(), _renamed(RoundRobin(), "rr again")]


@pytest.fixture(scope="module")
def comparison() -> Comparison:
    return compare(_strategies(), seeds=SEEDS, config=SMALL, knowledge="oracle")


def test_rows_are_every_strategy_on_every_seed(comparison: Comparison) -> None:
    names = ("round robin", "weighted random", "fairlead batch 1 min ±10%", "rr again")
    assert comparison.strategies == names
    assert comparison.seeds == SEEDS
    assert len(comparison.rows) == len(SEEDS) * len(names)
    keys = {(row["seed"], row["strategy"]) for row in comparison.rows}
    assert keys == {(s, n) for s in SEEDS for n in names}
    for row in comparison.rows:
        assert set(row) == {"strategy", "seed", *METRICS}


def test_rows_are_the_metrics_of_independent_runs(comparison: Comparison) -> None:
    for seed in SEEDS:
        world = make_world(SMALL, seed=seed)
        values = estimate_values(world, knowledge="oracle")
        for strategy in _strategies():
            metrics = simulate(world, strategy, values).metrics()
            (row,) = [
                r for r in comparison.rows if r["seed"] == seed and r["strategy"] == strategy.name
            ]
            assert {k: row[k] for k in METRICS} == metrics
    np.testing.assert_array_equal(
        comparison.values("round robin", "conversions"),
        [simulate(make_world(SMALL, seed=s), RoundRobin()).metrics()["conversions"] for s in SEEDS],
    )


def test_uplift_against_itself_is_exactly_zero(comparison: Comparison) -> None:
    for metric in ("conversions", "expected_conversions", "revenue"):
        same = comparison.uplift("round robin", "round robin", metric)
        assert same == Interval(0.0, 0.0, 0.0, len(SEEDS))
        # A copy under another name, on the same worlds and draws, is the same.
        copy = comparison.uplift("rr again", "round robin", metric)
        assert copy == Interval(0.0, 0.0, 0.0, len(SEEDS))


def test_uplift_is_the_paired_interval_over_the_baseline_mean(comparison: Comparison) -> None:
    metric = "expected_conversions"
    a = comparison.values("fairlead batch 1 min ±10%", metric)
    b = comparison.values("round robin", metric)
    diff = Interval.of(a - b)
    uplift = comparison.uplift("fairlead batch 1 min ±10%", "round robin", metric)
    scale = b.mean()
    assert uplift.mean == pytest.approx(diff.mean / scale)
    assert uplift.low == pytest.approx(diff.low / scale)
    assert uplift.high == pytest.approx(diff.high / scale)
    assert uplift.n == len(SEEDS)
    assert comparison.interval("round robin", metric) == Interval.of(b)


def test_strategy_order_does_not_matter(comparison: Comparison) -> None:
    # Each strategy is copied per run: no state leaks from one run into the next.
    reverse = compare(_strategies()[::-1], seeds=SEEDS, config=SMALL, knowledge="oracle")
    key = lambda r: (r["seed"], r["strategy"])  # noqa: E731
    assert sorted(reverse.rows, key=key) == sorted(comparison.rows, key=key)


def test_processes_give_the_same_rows(comparison: Comparison) -> None:
    parallel = compare(_strategies(), seeds=SEEDS, config=SMALL, knowledge="oracle", processes=2)
    assert parallel.rows == comparison.rows
    assert parallel.strategies == comparison.strategies


def _small_world(seed: int) -> World:
    return make_world(SMALL, seed=seed)


def test_a_world_factory_gives_the_same_rows(comparison: Comparison) -> None:
    by_factory = compare(_strategies(), seeds=SEEDS, world=_small_world, knowledge="oracle")
    assert by_factory.rows == comparison.rows


def test_table_lists_every_strategy(comparison: Comparison) -> None:
    table = comparison.table(["conversions", "count_gini"])
    lines = table.splitlines()
    assert len(lines) == 2 + len(comparison.strategies)
    assert "conversions" in lines[0]
    assert "count_gini" in lines[0]
    for name, line in zip(comparison.strategies, lines[2:], strict=True):
        assert line.startswith(name)


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({"strategies": [RoundRobin(), RoundRobin()]}, "strategy names must differ"),
        ({"knowledge": "psychic"}, "knowledge must be 'learned' or 'oracle'"),
        ({"seeds": []}, "seeds must not be empty"),
    ],
)
def test_bad_arguments_are_refused(kwargs: dict[str, object], pattern: str) -> None:
    args: dict[str, object] = {
        "strategies": [RoundRobin()],
        "seeds": [1],
        "config": SMALL,
        "knowledge": "oracle",
        **kwargs,
    }
    with pytest.raises(ValueError, match=pattern):
        compare(**args)  # type: ignore[arg-type]


def test_unknown_names_are_refused(comparison: Comparison) -> None:
    with pytest.raises(KeyError, match="unknown strategy 'nobody'"):
        comparison.values("nobody", "conversions")
    with pytest.raises(KeyError, match="unknown metric 'happiness'"):
        comparison.values("round robin", "happiness")


# --- Interval ---------------------------------------------------------------------------

samples = st.lists(
    st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False), min_size=2, max_size=40
)


@settings(deadline=None, max_examples=150)
@given(values=samples)
def test_interval_is_the_student_t_interval(values: list[float]) -> None:
    a = np.asarray(values)
    interval = Interval.of(a)
    assert interval.n == a.size
    assert interval.mean == pytest.approx(a.mean(), abs=1e-9)
    sem = stats.sem(a)
    if sem > 0:
        low, high = stats.t.interval(0.95, a.size - 1, loc=a.mean(), scale=sem)
        assert interval.low == pytest.approx(low, rel=1e-9, abs=1e-9)
        assert interval.high == pytest.approx(high, rel=1e-9, abs=1e-9)
    else:
        assert interval.low == interval.mean == interval.high
    assert interval.low <= interval.mean <= interval.high


def test_interval_of_one_value_has_no_width() -> None:
    assert Interval.of([2.5]) == Interval(2.5, 2.5, 2.5, 1)
    assert Interval.of(np.full(5, 7.0)) == Interval(7.0, 7.0, 7.0, 5)


def test_interval_format() -> None:
    interval = Interval.of([1.0, 2.0, 3.0])
    half = stats.t.ppf(0.975, 2) * 1.0 / math.sqrt(3)
    assert interval.high - interval.mean == pytest.approx(half)
    assert interval.format(".2f") == f"2.00 [{2 - half:.2f}, {2 + half:.2f}]"
    assert Interval(0.05, 0.01, 0.09, 4).format(".1f", percent=True) == "5.0 [1.0, 9.0] %"


# --- seeds and strategies are checked up front ------------------------------------------------


@pytest.mark.parametrize(
    ("seeds", "pattern"),
    [
        ([1.7], r"seeds must be an iterable of distinct non-negative ints; seeds\[0\] is 1\.7$"),
        ("12", r"seeds must be an iterable of distinct non-negative ints, got '12'$"),
        (b"12", r"seeds must be an iterable of distinct non-negative ints, got b'12'$"),
        (5, r"seeds must be an iterable of distinct non-negative ints, got 5$"),
        ([1, 1], r"seeds\[1\] = 1 repeats seeds\[0\]"),
        ([3, np.int64(3)], r"seeds\[1\] = 3 repeats seeds\[0\]"),
        ([2, -1], r"seeds\[1\] is -1$"),
        ([True], r"seeds\[0\] is True$"),
        ([np.bool_(False)], r"seeds\[0\] is np\.False_$"),
        ([None], r"seeds\[0\] is None$"),
        ([1, "2"], r"seeds\[1\] is '2'$"),
    ],
    ids=[
        "float",
        "str",
        "bytes",
        "int",
        "repeat",
        "numpy repeat",
        "negative",
        "bool",
        "numpy bool",
        "None",
        "str entry",
    ],
)
def test_bad_seeds_are_refused(seeds: object, pattern: str) -> None:
    with pytest.raises(ValueError, match=pattern):
        compare([RoundRobin()], seeds=seeds, config=SMALL, knowledge="oracle")  # type: ignore[arg-type]


@settings(deadline=None, max_examples=100)
@given(seeds=st.lists(st.integers(0, 2**40), unique=True, min_size=1, max_size=8))
def test_distinct_non_negative_seeds_are_kept_in_order(seeds: list[int]) -> None:
    from fairlead.sim._compare import _seeds

    assert _seeds(seeds) == seeds
    assert _seeds(np.asarray(seeds, dtype=np.int64)) == seeds
    assert all(type(s) is int for s in _seeds(np.asarray(seeds, dtype=np.int64)))
    with pytest.raises(ValueError, match=rf"seeds\[{len(seeds)}\] = {seeds[0]} repeats seeds\[0\]"):
        _seeds([*seeds, seeds[0]])


def test_numpy_seeds_give_the_same_comparison(comparison: Comparison) -> None:
    again = compare(_strategies(), seeds=np.array(SEEDS), config=SMALL, knowledge="oracle")
    assert again.seeds == SEEDS
    assert all(type(s) is int for s in again.seeds)
    assert again.rows == comparison.rows


@pytest.mark.parametrize(
    ("strategies", "pattern"),
    [
        ([], r"^strategies must not be empty: give at least one Strategy$"),
        ([None], r"^strategies\[0\] must be a Strategy instance, got None \(NoneType\)$"),
        ([RoundRobin(), RoundRobin], r"^strategies\[1\] must be a Strategy instance, got <class"),
    ],
    ids=["empty", "None", "a class"],
)
def test_bad_strategy_lists_are_refused(strategies: list[object], pattern: str) -> None:
    with pytest.raises(ValueError, match=pattern):
        compare(strategies, seeds=[1], config=SMALL, knowledge="oracle")  # type: ignore[arg-type]


@pytest.mark.filterwarnings("error")
def test_a_comparison_of_worlds_without_leads_has_no_nan() -> None:
    def without_leads(seed: int) -> World:  # a rate too low for any lead
        return make_world(SimConfig(n_managers=4, weeks=1, leads_per_weekday=1e-9), seed=seed)

    result = compare(
        [RoundRobin(), FairleadBatch()], seeds=[1, 2], world=without_leads, knowledge="oracle"
    )
    table = result.table()
    assert "nan" not in table
    assert result.interval("round robin", "median_response_min") == Interval(0.0, 0.0, 0.0, 2)


def test_an_empty_table_has_a_header() -> None:
    table = Comparison(strategies=(), seeds=(1,), rows=()).table(["conversions"])
    assert table.splitlines()[0].startswith("strategy")


def test_an_interval_of_nothing_is_refused() -> None:
    with pytest.raises(ValueError, match=r"Interval\.of needs at least one value, got none"):
        Interval.of([])
