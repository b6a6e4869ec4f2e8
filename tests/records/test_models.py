"""Domain records: Lead, Manager, Policy, Level and Tier, validated at construction."""

import math

import numpy as np
import pytest

import fairlead as fl

LEVELS_IN_ORDER = ["trainee", "junior", "middle", "senior"]


def factors(**overrides):
    """A complete level_factors table (all 1.0) with ``(tier, level) -> factor`` overrides."""
    table = {tier.value: {level.value: 1.0 for level in fl.Level} for tier in fl.Tier}
    for key, factor in overrides.items():
        tier, level = key.split("_")
        table[tier][level] = factor
    return table


# --------------------------------------------------------------------------- Level, Tier


def test_level_order_is_trainee_junior_middle_senior():
    assert [level.value for level in fl.Level] == LEVELS_IN_ORDER
    assert [fl.Level(v).rank for v in LEVELS_IN_ORDER] == [0, 1, 2, 3]
    assert fl.Level.TRAINEE.rank < fl.Level.JUNIOR.rank < fl.Level.MIDDLE.rank
    assert fl.Level.MIDDLE.rank < fl.Level.SENIOR.rank


def test_level_and_tier_are_string_enums():
    assert fl.Level("senior") is fl.Level.SENIOR
    assert fl.Level.SENIOR == "senior"
    assert {t.value for t in fl.Tier} == {"hot", "warm", "cold"}
    with pytest.raises(ValueError, match="boss"):
        fl.Level("boss")


# --------------------------------------------------------------------------- Lead


def test_lead_valid_construction_keeps_fields():
    lead = fl.Lead(
        id="l-1",
        score=0.7,
        tier="warm",
        product="mortgage",
        source="web",
        deal_value=1500.0,
        created_at="2024-05-01T10:00:00",
    )
    assert lead.id == "l-1"
    assert lead.score == 0.7
    assert lead.tier is fl.Tier.WARM
    assert lead.product == "mortgage"
    assert lead.source == "web"
    assert lead.deal_value == 1500.0
    assert lead.created_at.year == 2024


def test_lead_optional_fields_default_to_none():
    lead = fl.Lead(id="l-1", score=0.3)
    assert lead.tier is None
    assert lead.product is None
    assert lead.deal_value is None
    assert lead.created_at is None


def test_lead_numeric_id_becomes_a_string():
    assert fl.Lead(id=17, score=0.5).id == "17"


@pytest.mark.parametrize("score", [0.0, 1.0, 0.5])
def test_lead_score_bounds_are_inclusive(score):
    assert fl.Lead(id="a", score=score).score == score


@pytest.mark.parametrize("score", [-0.01, 1.01, 2, -1])
def test_lead_score_outside_unit_interval_raises(score):
    with pytest.raises(ValueError, match=r"score\n.*(greater|less) than or equal to [01]"):
        fl.Lead(id="a", score=score)


@pytest.mark.parametrize("score", [math.nan, math.inf, -math.inf])
def test_lead_non_finite_score_raises(score):
    with pytest.raises(ValueError, match=r"score\n.*finite number"):
        fl.Lead(id="a", score=score)


@pytest.mark.parametrize("feature", [math.nan, math.inf, np.float32("-inf")])
def test_lead_non_finite_feature_raises_naming_it(feature):
    # not the category "nan": a router would store it and fail to read it back
    with pytest.raises(ValueError, match=r"features\n.*feature 'age' must be a finite number"):
        fl.Lead(id="a", score=0.5, features={"age": feature, "city": "Omsk"})
    with pytest.raises(
        ValueError, match=r"lead 'x' \(row 0\): 'features' feature 'age' must be a finite"
    ):
        fl.assign(
            [{"id": "x", "score": 0.5, "features": {"age": feature}}],
            [{"id": "m", "max_active_leads": 1}],
        )


def test_lead_features_keep_numbers_and_categories():
    lead = fl.Lead(id="a", score=0.5, features={"age": 41, "city": "Omsk", "vip": np.float32(1)})
    assert lead.features == {"age": 41.0, "city": "Omsk", "vip": 1.0}


@pytest.mark.parametrize("score", ["high", "", None, [0.5]])
def test_lead_non_numeric_score_raises(score):
    with pytest.raises(ValueError, match="score"):
        fl.Lead(id="a", score=score)


@pytest.mark.parametrize("score", [True, False])
def test_lead_bool_score_raises(score):
    with pytest.raises(ValueError, match="score"):
        fl.Lead(id="a", score=score)


def test_lead_empty_id_raises():
    with pytest.raises(ValueError, match=r"id\n.*at least 1 character"):
        fl.Lead(id="", score=0.5)


def test_lead_missing_score_raises():
    with pytest.raises(ValueError, match=r"score\n.*Field required"):
        fl.Lead(id="a")


def test_lead_negative_deal_value_raises():
    with pytest.raises(ValueError, match="deal_value"):
        fl.Lead(id="a", score=0.5, deal_value=-1.0)


def test_lead_unknown_tier_raises():
    with pytest.raises(ValueError, match="tier"):
        fl.Lead(id="a", score=0.5, tier="boiling")


def test_lead_unknown_field_raises():
    with pytest.raises(ValueError, match=r"colour\n.*Extra inputs are not permitted"):
        fl.Lead(id="a", score=0.5, colour="red")


def test_lead_is_frozen():
    lead = fl.Lead(id="a", score=0.5)
    with pytest.raises(ValueError, match="frozen"):
        lead.score = 0.9


# --------------------------------------------------------------------------- Manager


def test_manager_valid_construction_and_defaults():
    mg = fl.Manager(id="m-1", max_active_leads=10)
    assert mg.id == "m-1"
    assert mg.skills == frozenset()
    assert mg.level is fl.Level.MIDDLE
    assert mg.active_leads == 0
    assert mg.portfolio_size == 0
    assert mg.available is True
    assert mg.name is None


@pytest.mark.parametrize(
    "skills",
    [
        "mortgage;loans;cards",
        "mortgage,loans,cards",
        "mortgage|loans|cards",
        "mortgage; loans , cards",
        " mortgage |loans;cards, ",
        "mortgage;;loans,,cards||",
    ],
)
def test_manager_skills_string_is_split_on_semicolon_comma_pipe(skills):
    mg = fl.Manager(id="m", skills=skills, max_active_leads=1)
    assert mg.skills == frozenset({"mortgage", "loans", "cards"})


def test_manager_skills_from_a_list_and_empty_string():
    assert fl.Manager(id="m", skills=["a", "b"], max_active_leads=1).skills == {"a", "b"}
    assert fl.Manager(id="m", skills="", max_active_leads=1).skills == frozenset()
    assert fl.Manager(id="m", skills="solo", max_active_leads=1).skills == {"solo"}


def test_manager_label_uses_name_when_given():
    assert fl.Manager(id="m-1", max_active_leads=1).label == "'m-1'"
    assert fl.Manager(id="m-1", name="Anna", max_active_leads=1).label == "'m-1' (Anna)"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("max_active_leads", -1),
        ("active_leads", -2),
        ("portfolio_size", -3),
        ("max_active_leads", 2.5),
        ("max_active_leads", "many"),
        ("level", "boss"),
        ("available", "maybe"),
        ("id", ""),
    ],
)
def test_manager_bad_field_raises_naming_the_field(field, value):
    kwargs = {"id": "m", "max_active_leads": 3, field: value}
    with pytest.raises(ValueError, match=rf"{field}\n"):
        fl.Manager(**kwargs)


def test_manager_bool_capacity_raises():
    with pytest.raises(ValueError, match="max_active_leads"):
        fl.Manager(id="m", max_active_leads=True)


def test_manager_requires_max_active_leads():
    with pytest.raises(ValueError, match=r"max_active_leads\n.*Field required"):
        fl.Manager(id="m")


# --------------------------------------------------------------------------- Policy


def test_policy_defaults():
    p = fl.Policy()
    assert p.target_share == "capacity"
    assert p.balance_tolerance == 0.2
    assert p.qualification_required is True
    assert p.hot_min_level is fl.Level.MIDDLE
    assert p.hot_threshold == 0.6
    assert p.warm_threshold == 0.3
    assert p.portfolio_load == 0.0
    assert p.allow_unassigned is False
    assert p.seed is None


def test_policy_default_level_factors_cover_every_tier_and_level():
    lf = fl.Policy().level_factors
    for tier in fl.Tier:
        for level in fl.Level:
            assert lf[tier][level] >= 0
    hot = [lf[fl.Tier.HOT][lv] for lv in fl.Level]
    assert hot == sorted(hot), "hot leads gain with experience"
    assert lf[fl.Tier.HOT][fl.Level.SENIOR] > lf[fl.Tier.HOT][fl.Level.TRAINEE]
    assert len({lf[fl.Tier.COLD][lv] for lv in fl.Level}) == 1, "cold: every level alike"


def test_policy_accepts_strings_for_enums():
    p = fl.Policy(hot_min_level="senior", target_share="equal", balance_tolerance=None)
    assert p.hot_min_level is fl.Level.SENIOR
    assert p.target_share == "equal"
    assert p.balance_tolerance is None


def test_policy_warm_above_hot_raises_with_both_values():
    with pytest.raises(
        ValueError, match=r"warm_threshold \(0\.7\) must not exceed hot_threshold \(0\.5\)"
    ):
        fl.Policy(warm_threshold=0.7, hot_threshold=0.5)


def test_policy_equal_thresholds_are_allowed():
    p = fl.Policy(warm_threshold=0.5, hot_threshold=0.5)
    assert p.tier_of(0.5) is fl.Tier.HOT
    assert p.tier_of(0.49) is fl.Tier.COLD


@pytest.mark.parametrize("tol", [-0.1, -1.0, math.nan, math.inf])
def test_policy_bad_balance_tolerance_raises(tol):
    with pytest.raises(ValueError, match="balance_tolerance"):
        fl.Policy(balance_tolerance=tol)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"hot_threshold": 1.5}, "hot_threshold"),
        ({"warm_threshold": -0.1}, "warm_threshold"),
        ({"portfolio_load": -0.5}, "portfolio_load"),
        ({"target_share": "random"}, "target_share"),
        ({"hot_min_level": "boss"}, "hot_min_level"),
        ({"unknown_option": 1}, "unknown_option"),
    ],
)
def test_policy_bad_option_raises_naming_it(kwargs, field):
    with pytest.raises(ValueError, match=field):
        fl.Policy(**kwargs)


def test_policy_missing_level_factor_raises_naming_tier_and_level():
    table = factors()
    del table["warm"]["junior"]
    with pytest.raises(
        ValueError, match=r"level_factors lacks a factor for tier 'warm', level 'junior'"
    ):
        fl.Policy(level_factors=table)


def test_policy_missing_tier_in_level_factors_raises():
    table = factors()
    del table["cold"]
    with pytest.raises(ValueError, match=r"lacks a factor for tier 'cold'"):
        fl.Policy(level_factors=table)


def test_policy_negative_level_factor_raises():
    with pytest.raises(
        ValueError, match=r"level_factors\['hot'\]\['senior'\] must be finite and >= 0, got -0\.5"
    ):
        fl.Policy(level_factors=factors(hot_senior=-0.5))


def test_policy_nan_level_factor_raises():
    with pytest.raises(ValueError, match=r"level_factors\['cold'\]\['trainee'\]"):
        fl.Policy(level_factors=factors(cold_trainee=math.nan))


def test_policy_infinite_level_factor_raises():
    with pytest.raises(ValueError, match=r"level_factors\['cold'\]\['senior'\]"):
        fl.Policy(level_factors=factors(cold_senior=math.inf))


def test_policy_custom_level_factors_are_kept():
    p = fl.Policy(level_factors=factors(hot_senior=2.0))
    assert p.level_factors[fl.Tier.HOT][fl.Level.SENIOR] == 2.0
    assert p.level_factors[fl.Tier.WARM][fl.Level.TRAINEE] == 1.0


@pytest.mark.parametrize(
    ("score", "tier"),
    [
        (0.0, "cold"),
        (0.29, "cold"),
        (0.3, "warm"),
        (0.59, "warm"),
        (0.6, "hot"),
        (1.0, "hot"),
    ],
)
def test_policy_tier_of_uses_thresholds_inclusively(score, tier):
    assert fl.Policy().tier_of(score) is fl.Tier(tier)


def test_policy_tier_of_custom_thresholds():
    p = fl.Policy(hot_threshold=0.9, warm_threshold=0.1)
    assert p.tier_of(0.05) is fl.Tier.COLD
    assert p.tier_of(0.5) is fl.Tier.WARM
    assert p.tier_of(0.9) is fl.Tier.HOT
