"""SimConfig: defaults, and errors that name the field at fault."""

from __future__ import annotations

from typing import Any

import pytest

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
