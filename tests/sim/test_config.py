"""SimConfig: defaults, and errors that name the field at fault."""

from __future__ import annotations

import re
from typing import Any

import pytest
from pydantic import ValidationError

from fairlead.sim import DelayEffect, SimConfig


def test_defaults_are_consistent() -> None:
    config = SimConfig()
    assert len(config.product_shares) == len(config.products)
    assert len(config.source_lift) == len(config.sources)
    assert config.delay == DelayEffect()
    assert SimConfig(n_managers=5, weeks=2).model_copy(update={"weeks": 3}).weeks == 3


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"product_shares": (0.5, 0.5)}, "product_shares"),
        ({"deal_value_median": (1.0,)}, "deal_value_median"),
        ({"product_lift": (1.0, 1.0, 1.0, 1.0)}, "product_lift"),
        ({"source_shares": (1.0,)}, "source_shares"),
        ({"source_lift": (1.0, 1.0)}, "source_lift"),
        ({"timezone_weights": (1.0,)}, "timezone_weights"),
        ({"products": ("a", "b")}, "product_shares"),
        ({"level_mix": (0.0, 0.0, 0.0)}, "level_mix"),
        ({"source_shares": (0.0,) * 5}, "source_shares"),
        ({"senior_only_products": (3,)}, "senior_only_products"),
        ({"senior_only_products": (0, 1, 2)}, "senior_only_products"),
        ({"hot_share": 0.7, "warm_share": 0.5}, "hot_share"),
        ({"work_hours": (18, 9)}, "work_hours"),
        ({"part_time_hours": (9, 25)}, "part_time_hours"),
        ({"capacity_by_level": (0, 5, 5)}, "capacity_by_level"),
        ({"response_median_minutes": (20.0, 4.0)}, "response_median_minutes"),
        ({"weeks": 0}, "weeks"),
        ({"n_managers": 0}, "n_managers"),
        ({"base_rate": 1.0}, "base_rate"),
        ({"level_mix": (0.5, 0.5)}, "level_mix"),
        ({"night_share": 1.5}, "night_share"),
        ({"no_such_field": 1}, "no_such_field"),
    ],
)
def test_invalid_config_names_the_field(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(ValueError, match=field):
        SimConfig(**kwargs)


@pytest.mark.parametrize(
    ("delay", "field"),
    [
        ({"fast_share": 2.0}, "fast_share"),
        ({"fast_hours": 0.0}, "fast_hours"),
        ({"slow_hours": -3.0}, "slow_hours"),
    ],
)
def test_invalid_delay_names_the_field(delay: dict[str, float], field: str) -> None:
    with pytest.raises(ValueError, match=field) as info:
        SimConfig(delay=delay)  # type: ignore[arg-type]
    assert "delay" in str(info.value)
    with pytest.raises(ValueError, match=field):
        SimConfig(delay=DelayEffect(**delay))


def test_delay_from_a_mapping_is_a_delay_effect() -> None:
    config = SimConfig(delay={"fast_share": 0.5, "fast_hours": 1.0, "slow_hours": 8.0})  # type: ignore[arg-type]
    assert config.delay == DelayEffect(fast_share=0.5, fast_hours=1.0, slow_hours=8.0)


def test_config_is_frozen() -> None:
    config = SimConfig()
    with pytest.raises(ValueError, match="frozen"):
        config.weeks = 2  # type: ignore[misc]


INF, NAN = float("inf"), float("nan")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"load_slowdown": INF}, "load_slowdown"),
        ({"load_slowdown": NAN}, "load_slowdown"),
        ({"product_skill_sigma": INF}, "product_skill_sigma"),
        ({"deal_value_median": (INF, 1.0, 1.0)}, "deal_value_median.0"),
        ({"deal_value_sigma": INF}, "deal_value_sigma"),
        ({"portfolio_load": INF}, "portfolio_load"),
        ({"portfolio_by_level": (10.0, INF, 80.0)}, "portfolio_by_level.1"),
        ({"leads_per_weekday": INF}, "leads_per_weekday"),
        ({"weekend_factor": INF}, "weekend_factor"),
        ({"product_shares": (INF, 1.0, 1.0)}, "product_shares.0"),
        ({"source_shares": (1.0, 1.0, 1.0, 1.0, INF)}, "source_shares.4"),
        ({"timezone_weights": (INF, 1.0, 1.0)}, "timezone_weights.0"),
        ({"response_sigma": INF}, "response_sigma"),
        ({"response_median_minutes": (4.0, INF)}, "response_median_minutes.1"),
        ({"level_lift_hot": (NAN, 1.0, 1.0)}, "level_lift_hot.0"),
        ({"source_lift": (1.0, 1.0, 1.0, 1.0, INF)}, "source_lift.4"),
        ({"quality_effect": INF}, "quality_effect"),
        ({"score_noise": NAN}, "score_noise"),
        ({"open_days_median": INF}, "open_days_median"),
        ({"open_days_sigma": INF}, "open_days_sigma"),
        ({"level_mix": (NAN, 0.5, 0.5)}, "level_mix.0"),
        ({"hot_share": NAN}, "hot_share"),
    ],
)
def test_a_value_that_is_not_finite_is_refused(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError, match=rf"{re.escape(field)}\n +Input should be a finite"):
        SimConfig(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "field", "bound"),
    [
        ({"leads_per_weekday": 1e12}, "leads_per_weekday", "10000"),
        ({"leads_per_weekday": 1e300}, "leads_per_weekday", "10000"),
        ({"weekend_factor": 1e300}, "weekend_factor", "10"),
        ({"portfolio_by_level": (1e300, 1.0, 1.0)}, "portfolio_by_level.0", "100000"),
        ({"portfolio_load": 1e300}, "portfolio_load", "100"),
        ({"response_sigma": 1e12}, "response_sigma", "10"),
        ({"response_median_minutes": (4.0, 1e12)}, "response_median_minutes.1", "10000"),
        ({"product_skill_sigma": 11.0}, "product_skill_sigma", "10"),
        ({"deal_value_sigma": 1e300}, "deal_value_sigma", "10"),
        ({"deal_value_median": (1e300, 1.0, 1.0)}, "deal_value_median.0", "1000000000000"),
        ({"load_slowdown": 1e300}, "load_slowdown", "100"),
        ({"product_shares": (1e300, 1.0, 1.0)}, "product_shares.0", "1000000000"),
        ({"timezone_weights": (1e300, 1.0, 1.0)}, "timezone_weights.0", "1000000000"),
        ({"level_lift_warm": (1.0, 1e300, 1.0)}, "level_lift_warm.1", "1000"),
        ({"capacity_by_level": (12, 18, 10**30)}, "capacity_by_level.2", "10000"),
        ({"open_days_median": 1e300}, "open_days_median", "365"),
        ({"quality_effect": 1e300}, "quality_effect", "50"),
    ],
)
def test_a_value_too_large_is_refused(kwargs: dict[str, Any], field: str, bound: str) -> None:
    with pytest.raises(
        ValidationError,
        match=rf"{re.escape(field)}\n +Input should be less than or equal to {bound}",
    ):
        SimConfig(**kwargs)


def test_too_many_expected_leads_are_refused() -> None:
    with pytest.raises(
        ValidationError,
        match=r"leads_per_weekday=1000 with weekend_factor=0.3 over weeks=520 expects "
        r"2,912,000 leads, more than the 1,000,000 a run may hold",
    ):
        SimConfig(weeks=520, leads_per_weekday=1000.0)
    SimConfig(weeks=100, leads_per_weekday=1000.0)  # 560,000: allowed


def test_too_many_manager_weeks_are_refused() -> None:
    # the schedule holds a slot per manager and 15 minutes: memory grows with both
    with pytest.raises(
        ValidationError,
        match=r"n_managers=10000 over weeks=6 is 60,000 manager-weeks, more than the "
        r"50,000 a run may span",
    ):
        SimConfig(n_managers=10_000, weeks=6, leads_per_weekday=10.0)
    SimConfig(n_managers=10_000, weeks=5, leads_per_weekday=10.0)  # 50,000: allowed


@pytest.mark.parametrize(
    ("timezones", "message"),
    [
        ((100,), "less than or equal to 14"),
        ((-100,), "greater than or equal to -12"),
        ((0, 10**12), "less than or equal to 14"),
        ((10**20,), "less than or equal to 14"),
        ((15,), "less than or equal to 14"),
        ((-13,), "greater than or equal to -12"),
    ],
)
def test_a_timezone_out_of_range_is_refused(timezones: tuple[int, ...], message: str) -> None:
    weights = (1.0,) * len(timezones)
    with pytest.raises(ValidationError, match=rf"timezones\.\d\n +Input should be {message}"):
        SimConfig(timezones=timezones, timezone_weights=weights)


def test_the_timezone_range_is_utc_minus_12_to_plus_14() -> None:
    config = SimConfig(timezones=(-12, 14), timezone_weights=(1.0, 1.0))
    assert config.timezones == (-12, 14)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"senior_only_products": (2, 2, 2)},
            "senior_only_products must not repeat an entry, got 2",
        ),
        (
            {"senior_only_products": (1, 2, 1)},
            "senior_only_products must not repeat an entry, got 1",
        ),
        ({"products": ("a", "a", "b")}, "products must not repeat an entry, got 'a'"),
        (
            {"sources": ("web", "web", "chat", "call", "ads")},
            "sources must not repeat an entry, got 'web'",
        ),
    ],
)
def test_a_repeated_entry_is_refused(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        SimConfig(**kwargs)


def test_senior_only_products_counts_products_not_entries() -> None:
    # Two of three products are senior-only: juniors still sell one.
    assert SimConfig(senior_only_products=(1, 2)).senior_only_products == (1, 2)
    with pytest.raises(ValidationError, match="covers every product"):
        SimConfig(senior_only_products=(0, 2, 1))
