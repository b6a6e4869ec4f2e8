"""Domain records: Lead, Manager, Policy, Level and Tier, validated at construction."""

import math

import numpy as np
import pytest

import fairlead as fl
from fairlead.records import InputWarning

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
    with pytest.raises(
        fl.InputError, match=r"^lead 'a': 'score' .*(greater|less) than or equal to [01], got "
    ):
        fl.Lead(id="a", score=score)


@pytest.mark.parametrize("score", [math.nan, math.inf, -math.inf])
def test_lead_non_finite_score_raises(score):
    with pytest.raises(fl.InputError, match=r"^lead 'a': 'score' .*finite number"):
        fl.Lead(id="a", score=score)


@pytest.mark.parametrize("feature", [math.nan, math.inf, np.float32("-inf")])
def test_lead_non_finite_feature_raises_naming_it(feature):
    # not the category "nan": a router would store it and fail to read it back
    with pytest.raises(
        fl.InputError, match=r"^lead 'a': 'features' feature 'age' must be a finite number, got "
    ):
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
    with pytest.raises(fl.InputError, match=r"^lead '': 'id' .*at least 1 character"):
        fl.Lead(id="", score=0.5)


def test_lead_missing_score_raises():
    with pytest.raises(fl.InputError, match=r"^lead 'a': 'score' Field required$"):
        fl.Lead(id="a")


def test_lead_negative_deal_value_raises():
    with pytest.raises(ValueError, match="deal_value"):
        fl.Lead(id="a", score=0.5, deal_value=-1.0)


def test_lead_unknown_tier_raises():
    with pytest.raises(ValueError, match="tier"):
        fl.Lead(id="a", score=0.5, tier="boiling")


def test_lead_unknown_field_raises():
    with pytest.raises(
        fl.InputError, match=r"^lead 'a': 'colour' Extra inputs are not permitted, got 'red'$"
    ):
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
    who = repr(kwargs["id"])  # the id as given, even when it is the bad field
    with pytest.raises(fl.InputError, match=rf"^manager {who}: '{field}' .*, got ") as info:
        fl.Manager(**kwargs)
    assert info.value.field == field
    assert info.value.value == value


def test_manager_bool_capacity_raises():
    with pytest.raises(ValueError, match="max_active_leads"):
        fl.Manager(id="m", max_active_leads=True)


def test_manager_requires_max_active_leads():
    with pytest.raises(fl.InputError, match=r"^manager 'm': 'max_active_leads' Field required$"):
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


# --------------------------------------------------------------------------- errors in words


@pytest.mark.parametrize(
    ("make", "message", "field", "value"),
    [
        (
            lambda: fl.Policy(balance_tolerance=-0.1),
            r"policy 'balance_tolerance': Input should be greater than or equal to 0, got -0.1",
            "balance_tolerance",
            -0.1,
        ),
        (
            lambda: fl.Manager(id="a"),
            r"manager 'a': 'max_active_leads' Field required",
            "max_active_leads",
            {"id": "a"},
        ),
        (
            lambda: fl.Lead(id="l1"),
            r"lead 'l1': 'score' Field required",
            "score",
            {"id": "l1"},
        ),
        (
            lambda: fl.Lead(score=0.5),
            r"lead: 'id' Field required",
            "id",
            {"score": 0.5},
        ),
        (
            lambda: fl.Manager(id=7, max_active_leads=-3),
            r"manager 7: 'max_active_leads' Input should be greater than or equal to 0, got -3",
            "max_active_leads",
            -3,
        ),
        (
            lambda: fl.Policy(warm_threshold=0.7, hot_threshold=0.5),
            r"policy: warm_threshold (0.7) must not exceed hot_threshold (0.5)",
            "record",
            None,
        ),
        (
            lambda: fl.WorkingHours(timezone="Mars/Olympus"),
            r"working hours 'timezone': unknown time zone 'Mars/Olympus' (an IANA name",
            "timezone",
            "Mars/Olympus",
        ),
        (
            lambda: fl.Absence(manager_id="a", start="2026-07-02", end="2026-07-01"),
            r"absence: absence ends (2026-07-01) before it starts (2026-07-02)",
            "record",
            None,
        ),
    ],
)
def test_direct_construction_raises_input_error_in_words(make, message, field, value):
    with pytest.raises(fl.InputError) as info:
        make()
    error = info.value
    assert str(error).startswith(message)
    assert isinstance(error, ValueError)
    assert "errors.pydantic.dev" not in str(error)
    assert error.field == field
    if field not in ("record",) and not isinstance(value, dict):
        assert error.value == value


def test_model_validate_still_raises_pydantic_errors_for_row_readers():
    # The row readers catch these to add the row and the file's line.
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        fl.Lead.model_validate({"id": "l1"})
    with pytest.raises(fl.InputError, match=r"^lead 'l1' \(row 0\): 'score' Field required$"):
        fl.assign([{"id": "l1"}], [{"id": "m", "max_active_leads": 1}])


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (
            {"hot": {"trainee": -1.0}},
            r"policy: level_factors['hot']['trainee'] must be finite and >= 0, got -1",
        ),
        (
            {"warm": {"senior": -0.5, "junior": 1.0}},
            r"policy: level_factors['warm']['senior'] must be finite and >= 0, got -0.5",
        ),
        (
            {"cold": {"middle": math.nan}},
            r"policy: level_factors['cold']['middle'] must be finite and >= 0, got nan",
        ),
        (
            {"hot": {"trainee": 1.0}},
            r"policy: level_factors lacks a factor for tier 'hot', level 'junior'",
        ),
    ],
)
def test_partial_level_factors_name_the_bad_value_first(table, message):
    with pytest.raises(fl.InputError) as info:
        fl.Policy(level_factors=table)
    assert str(info.value).startswith(message)
    assert info.value.field == "level_factors"


# --------------------------------------------------------------------------- overloaded managers


def test_a_manager_over_their_limit_is_accepted_with_a_warning():
    with pytest.warns(InputWarning) as record:
        mg = fl.Manager(id="a", active_leads=10, max_active_leads=5)
    assert str(record[0].message) == (
        "manager 'a': active_leads (10) exceeds max_active_leads (5); accepted as a manager "
        "over their limit, who gets no new leads"
    )
    assert record[0].filename == __file__  # points at the caller, not at pydantic
    assert issubclass(InputWarning, UserWarning)
    assert mg.active_leads == 10


def test_an_overloaded_manager_gets_no_new_leads():
    leads = [{"id": f"l{k}", "score": 0.5} for k in range(3)]
    managers = [
        {"id": "a", "active_leads": 10, "max_active_leads": 5},
        {"id": "b", "max_active_leads": 5},
    ]
    with pytest.warns(InputWarning, match="manager 'a'"):
        plan = fl.assign(leads, managers)
    assert set(plan.assignments.values()) == {"b"}
    assert plan.capacity.free.tolist() == [0.0, 5.0]


def test_the_overload_warning_can_be_filtered(recwarn):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InputWarning)
        fl.Manager(id="a", active_leads=6, max_active_leads=5)
    assert not recwarn.list
    fl.Manager(id="b", active_leads=5, max_active_leads=5)  # at the limit: no warning
    assert not recwarn.list


# --------------------------------------------------------------------------- values refused


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"id": "a\x00b"}, r"lead 'a\\x00b': 'id' must not contain a NUL character"),
        ({"score": np.True_}, r"'score' must be a number, not a boolean \(True\)"),
        ({"deal_value": np.True_}, r"'deal_value' must be a number, not a boolean"),
        ({"product": math.nan}, r"'product' must be text .*, got nan$"),
        ({"source": np.float64("inf")}, r"'source' must be text .*, got np\.float64\(inf\)$"),
        ({"segment": -math.inf}, r"'segment' must be text .*, got -inf$"),
        ({"created_at": -1}, r"'created_at' must be a datetime, a date or ISO 8601 text .*-1$"),
        ({"created_at": "12345"}, r"'created_at' must be a datetime, .*, got '12345'$"),
        ({"created_at": np.True_}, r"'created_at' must be a datetime"),
        (
            {"features": {"x": True}},
            r"feature 'x' must be a number or text, not a boolean, got True",
        ),
    ],
)
def test_lead_values_outside_the_domain_are_named(fields, message):
    with pytest.raises(fl.InputError, match=message):
        fl.Lead(**{"id": "l1", "score": 0.5, **fields})


def test_lead_times_follow_the_time_rule():
    assert fl.Lead(id="l", score=0.5, created_at=np.datetime64("2025-03-03T09:05")).created_at == (
        fl.Lead(id="l", score=0.5, created_at="2025-03-03T09:05").created_at
    )
    assert fl.Lead(id="l", score=0.5, created_at=np.datetime64("NaT")).created_at is None
    assert fl.Lead(id="l", score=0.5, created_at=" ").created_at is None
    assert fl.Lead(id="l", score=0.5, product=7).product == "7"  # a code read as text


@pytest.mark.parametrize(
    ("model", "fields", "message"),
    [
        (fl.Manager, {"name": math.nan}, r"^manager 'm1': 'name' must be text .*, got nan$"),
        (fl.Manager, {"max_active_leads": np.True_}, r"'max_active_leads' must be a number"),
        (
            fl.Policy,
            {"effort_by_level": {"senior": True}},
            r"^policy: effort_by_level\['senior'\] must be a number, not a boolean, got True$",
        ),
        (
            fl.Policy,
            {"level_factors": {"hot": {"senior": np.True_}}},
            r"^policy: level_factors\['hot'\]\['senior'\] must be a number, not a boolean",
        ),
        (fl.Policy, {"value_tolerance": np.True_}, r"'value_tolerance': must be a number"),
    ],
)
def test_manager_and_policy_values_outside_the_domain_are_named(model, fields, message):
    base = {"id": "m1", "max_active_leads": 5} if model is fl.Manager else {}
    with pytest.raises(fl.InputError, match=message):
        model(**{**base, **fields})


# --------------------------------------------------------------------------- rating, cap


def test_policy_rating_weights_default_and_partial_tables():
    assert fl.Policy().rating_weights == {
        "plan": 0.4,
        "conversion": 0.3,
        "response": 0.15,
        "csat": 0.15,
    }
    # names by the label rule; a part left out weighs 0; numbers as text (a policy file)
    weights = fl.Policy(rating_weights={" Plan": 2, "CSAT": "1.5"}).rating_weights
    assert weights == {"plan": 2.0, "conversion": 0.0, "response": 0.0, "csat": 1.5}
    assert list(weights) == ["plan", "conversion", "response", "csat"]


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        ({"speed": 1.0}, r"rating_weights names an unknown part 'speed' \(the parts: plan, "),
        ({"plan": -0.1}, r"rating_weights\['plan'\] must be finite and >= 0, got -0\.1"),
        ({"csat": math.nan}, r"rating_weights\['csat'\] must be finite and >= 0, got nan"),
        ({"csat": math.inf}, r"rating_weights\['csat'\] must be finite and >= 0, got inf"),
        ({"plan": True}, r"rating_weights\['plan'\] must be a number, not a boolean, got True"),
        ({"plan": 0, "csat": 0.0}, r"must give some part a weight above 0, got plan 0, conv"),
        ({"plan": 1, "PLAN": 1}, r"rating_weights names part 'plan' twice \('plan' and 'PLAN'\)"),
        ({"plan": "abc"}, r"'rating_weights\.plan'.*valid number.*got 'abc'"),
        ([0.4, 0.6], r"'rating_weights'.*valid dictionary"),
    ],
)
def test_policy_bad_rating_weights_are_named(weights, message):
    with pytest.raises(fl.InputError, match=message):
        fl.Policy(rating_weights=weights)


def test_policy_performance_cap_default_and_bounds():
    assert fl.Policy().performance_cap == 2.0
    assert fl.Policy(performance_cap=None).performance_cap is None
    assert fl.Policy(performance_floor=0.5, performance_cap=0.5).performance_cap == 0.5
    for bad, message in [
        (-1.0, r"'performance_cap'.*greater than or equal to 0, got -1"),
        (math.inf, r"'performance_cap'.*finite number, got inf"),
        (np.True_, r"'performance_cap'.*not a boolean"),
        (0.2, r"performance_cap \(0\.2\) must not be below performance_floor \(0\.5\)"),
    ]:
        with pytest.raises(fl.InputError, match=message):
            fl.Policy(performance_cap=bad)
