"""Points-based rule scoring (fairlead.scoring._rule_config, _rule_points, _rules)."""

import json
import time
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.special import expit

from fairlead import InputError
from fairlead.scoring._calibration import (
    IsotonicCalibrator,
    NotFittedError,
    PlattCalibrator,
    expected_calibration_error,
    roc_auc,
)
from fairlead.scoring._rule_config import DEFAULT_RULES, RuleConfig
from fairlead.scoring._rule_groups import (
    GROUPS,
    EngagementRules,
    PercentDecay,
    SourceRules,
    TierThresholds,
    WindowDecay,
)
from fairlead.scoring._rule_points import rule_breakdown, rule_points, rule_tiers
from fairlead.scoring._rules import RuleScorer

NOW = datetime(2024, 6, 1, 12, 0)

# Every group on, no caps, no decay: each test below adds what it checks.
CONFIG: dict[str, Any] = {
    "source": {
        "points": {"referral": 30, "website": 15, "purchased_list": -10},
        "default": 5,
    },
    "response_speed": {"within_minutes": {"5": 20, "60": 10, "1440": 5}, "otherwise": 0},
    "engagement": {"points": {"pricing_page_view": 10, "demo_request": 25, "email_open": 2}},
    "purchase_history": {"per_purchase": 10, "per_spend": 1, "spend_unit": 100},
    "contact_frequency": {"per_contact": 5, "window_days": 30},
    "tiers": {"hot": 60, "warm": 30},
}


def lead(**fields: Any) -> dict[str, Any]:
    """A record with every field present and nothing known, overridden by ``fields``."""
    record: dict[str, Any] = {
        "id": "l-1",
        "source": None,
        "response_minutes": None,
        "events": None,
        "purchases": None,
        "spend": None,
        "contacts": None,
        "created_at": NOW,
    }
    record.update(fields)
    return record


def only(group: str, records: list[dict[str, Any]], config: Any = None, **kw: Any) -> list[float]:
    parts = rule_breakdown(records, CONFIG if config is None else config, now=NOW, **kw)
    return parts[group].tolist()


def with_(**groups: Any) -> dict[str, Any]:
    config = json.loads(json.dumps(CONFIG))
    for group, change in groups.items():
        if isinstance(change, dict) and isinstance(config.get(group), dict):
            config[group].update(change)
        else:
            config[group] = change
    return config


# --- points per group -------------------------------------------------------------------------


def test_source_points_case_insensitive_with_default_for_unknown() -> None:
    records = [
        lead(source="referral"),
        lead(source=" Website "),
        lead(source="tv"),
        lead(source=None),
        lead(source="purchased_list"),
    ]
    assert only("source", records) == [30, 15, 5, 5, -10]


def test_response_speed_thresholds_are_inclusive() -> None:
    minutes = [0, 5, 5.01, 60, 61, 1440, 1441, None]
    records = [lead(response_minutes=m) for m in minutes]
    assert only("response_speed", records) == [20, 20, 10, 10, 5, 5, 0, 0]
    missing = with_(response_speed={"missing": -3})
    assert only("response_speed", [lead()], missing) == [-3]


def test_engagement_counts_events_from_dicts_and_lists() -> None:
    records = [
        lead(events={"pricing_page_view": 2, "demo_request": 1, "email_open": 3}),
        lead(events=["email_open", "Email_Open", "webinar"]),  # unknown event ignored
        lead(events={}),
        lead(events=None),
    ]
    assert only("engagement", records) == [2 * 10 + 25 + 3 * 2, 4, 0, 0]


def test_engagement_from_event_columns_with_prefix() -> None:
    config = with_(fields={"event_prefix": "n_"})
    records = [
        {**lead(), "n_demo_request": 1, "n_email_open": 5},
        {**lead(), "n_demo_request": 0},  # a missing column or key counts 0
    ]
    for record in records:
        del record["events"]
    assert only("engagement", records, config) == [25 + 10, 0]
    frame = pd.DataFrame(records)  # NaN where the second lead has no email opens
    assert only("engagement", frame, config) == [25 + 10, 0]  # type: ignore[arg-type]


def test_purchase_history_per_purchase_and_spend() -> None:
    records = [lead(purchases=2, spend=250.0), lead(purchases=0, spend=0), lead()]
    assert only("purchase_history", records) == [20 + 2.5, 0, 0]
    # A rate of 0 leaves its field unread: records need no spend at all.
    no_spend = with_(purchase_history={"per_spend": 0})
    record = lead(purchases=3)
    del record["spend"]
    assert only("purchase_history", [record], no_spend) == [30]


def test_contact_frequency_counts_or_timestamps_in_window() -> None:
    stamps = [
        NOW - timedelta(days=1),
        (NOW - timedelta(days=29)).isoformat(),
        NOW - timedelta(days=30),  # on the edge: counts
        NOW - timedelta(days=31),  # too old
        NOW + timedelta(hours=1),  # after `now`: not yet happened
    ]
    records = [lead(contacts=3), lead(contacts=stamps), lead(contacts=[]), lead()]
    assert only("contact_frequency", records) == [15, 15, 0, 0]


def test_caps_limit_each_group() -> None:
    config = with_(
        engagement={"cap": 40},
        purchase_history={"cap": 15},
        source={"cap": 20},
    )
    records = [
        lead(
            source="referral",
            events={"demo_request": 2, "email_open": 1},
            purchases=1,
            spend=1000.0,
        ),
        lead(source="purchased_list", events={"email_open": 1}),
    ]
    parts = rule_breakdown(records, config, now=NOW)
    assert parts["source"].tolist() == [20, -10]  # a cap bounds from above only
    assert parts["engagement"].tolist() == [40, 2]
    assert parts["purchase_history"].tolist() == [15, 0]
    assert rule_points(records, config, now=NOW).tolist() == [75, -8]


def test_disabled_groups_give_zero_and_read_nothing() -> None:
    config = {"source": {"points": {"referral": 30}}}
    parts = rule_breakdown([{"source": "referral"}], config)
    assert list(parts) == [*GROUPS, "decay"]
    assert {k: v.tolist() for k, v in parts.items()} == {
        "source": [30],
        "response_speed": [0],
        "engagement": [0],
        "purchase_history": [0],
        "contact_frequency": [0],
        "decay": [0],
    }


# --- decay ------------------------------------------------------------------------------------


def hundred_points(ages_days: list[float]) -> list[dict[str, Any]]:
    return [
        lead(source="referral", events={"demo_request": 2, "pricing_page_view": 2}, id=f"a{age}")
        | {"created_at": NOW - timedelta(days=age)}
        for age in ages_days
    ]  # 30 + 50 + 20 = 100 points before decay


def test_window_decay_drops_to_zero_after_the_window() -> None:
    config = with_(decay={"kind": "window", "days": 30})
    records = hundred_points([0, 29.9, 30, 30.01, 365])
    assert rule_points(records, config, now=NOW).tolist() == [100, 100, 100, 0, 0]


def test_percent_decay_compounds_per_whole_interval() -> None:
    config = with_(decay={"kind": "percent", "percent": 10, "every_days": 7})
    records = hundred_points([0, 6.99, 7, 13.5, 14, 15, 21, 70])
    expected = [100, 100, 90, 90, 81, 81, 72.9, 100 * 0.9**10]
    assert rule_points(records, config, now=NOW) == pytest.approx(expected, rel=1e-12)
    parts = rule_breakdown(records, config, now=NOW)
    assert parts["decay"] == pytest.approx([e - 100 for e in expected], abs=1e-9)
    assert parts["source"].tolist() == [30] * 8  # groups are shown before decay


def test_decay_ages_each_lead_at_its_own_now_and_never_grows_points() -> None:
    config = with_(decay={"kind": "percent", "percent": 50, "every_days": 1})
    created = NOW - timedelta(days=10)
    records = hundred_points([0, 0, 0])
    for r in records:
        r["created_at"] = created
    nows = [
        created + timedelta(days=1),
        created + timedelta(days=2),
        created - timedelta(minutes=15),
    ]
    # One day: -50 %; two days: -75 %; created "after" now within the clock skew: age 0.
    assert rule_points(records, config, now=nows).tolist() == [50, 25, 100]


def test_timezones_are_converted_to_utc() -> None:
    config = with_(decay={"kind": "window", "days": 1})
    records = [
        lead(source="referral", created_at="2024-05-31T13:30:00+02:00"),  # 11:30 UTC
        lead(source="referral", created_at=datetime(2024, 5, 31, 11, 30)),  # naive = UTC
        lead(source="referral", created_at=datetime(2024, 5, 31, 11, 30, tzinfo=UTC)),
    ]
    now_utc = datetime(2024, 6, 1, 11, 30, tzinfo=timezone(timedelta(0)))
    assert rule_points(records, config, now=now_utc).tolist() == [30, 30, 30]
    later = "2024-06-01T13:31:00+02:00"  # one minute past the window
    assert rule_points(records, config, now=later).tolist() == [0, 0, 0]


def test_default_now_is_the_current_time() -> None:
    config = with_(decay={"kind": "window", "days": 1})
    fresh = lead(source="referral", created_at=datetime.now(UTC) - timedelta(hours=1))
    stale = lead(source="referral", created_at=datetime.now(UTC) - timedelta(days=2))
    assert rule_points([fresh, stale], config).tolist() == [30, 0]


# --- tiers ------------------------------------------------------------------------------------


def test_tier_thresholds_are_inclusive() -> None:
    # Points 60, 59, 30, 29: source points alone (no decay).
    config = with_(source={"points": {"a": 60, "b": 59, "c": 30, "d": 29}, "default": 0})
    records = [lead(source=s) for s in "abcd"]
    scorer = RuleScorer(config=config)
    assert scorer.points(records, now=NOW).tolist() == [60, 59, 30, 29]
    assert scorer.tier(records, now=NOW).tolist() == ["hot", "warm", "warm", "cold"]
    assert rule_tiers([], TierThresholds(hot=1, warm=0)).tolist() == []


# --- configs ----------------------------------------------------------------------------------


def test_config_from_dict_json_text_file_and_instance(tmp_path: Path) -> None:
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(CONFIG), encoding="utf-8")
    instance = RuleConfig.from_dict(CONFIG)
    assert RuleConfig.from_json(json.dumps(CONFIG, indent=2)) == instance
    assert RuleConfig.from_json(path) == instance
    assert RuleConfig.from_json(str(path)) == instance
    assert RuleConfig.coerce(instance) is instance
    records = [lead(source="referral", response_minutes=3, events={"demo_request": 1})]
    expected = [30 + 20 + 25]
    for config in (CONFIG, json.dumps(CONFIG), path, str(path), instance):
        assert RuleScorer(config=config).points(records, now=NOW).tolist() == expected


def test_default_rules_round_trip_through_json() -> None:
    assert RuleConfig.from_json(DEFAULT_RULES.model_dump_json()) == DEFAULT_RULES
    assert DEFAULT_RULES.tiers.hot > DEFAULT_RULES.tiers.warm
    caps = [getattr(DEFAULT_RULES, g).cap for g in GROUPS]
    assert sum(caps) == 125


def test_config_models_build_from_python() -> None:
    config = RuleConfig(
        source=SourceRules(points={"referral": 10}),
        engagement=EngagementRules(points={"demo_request": 5}, cap=5),
        decay=WindowDecay(days=10),
        tiers=TierThresholds(hot=10, warm=5),
    )
    records = [lead(source="referral", events={"demo_request": 3})]
    assert rule_points(records, config, now=NOW).tolist() == [15]
    assert isinstance(
        RuleConfig.from_dict({"decay": {"kind": "window", "days": 3}}).decay, WindowDecay
    )
    assert PercentDecay(percent=100, every_days=1).factor(np.array([0.5, 1.0])).tolist() == [1, 0]


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (
            {"engagement": {"points": {"demo_request": 25}, "cap": -5}},
            r"rule config 'engagement.cap': Input should be greater than or equal to 0, got -5",
        ),
        (
            {"tiers": {"hot": 30, "warm": 30}},
            r"'tiers': the hot threshold \(30\) must be greater than the warm one \(30\)",
        ),
        (
            {"tiers": {"hot": 10, "warm": 50}},
            r"the hot threshold \(10\) must be greater than the warm one \(50\)",
        ),
        (
            {"engagment": {"points": {"demo_request": 25}}},
            r"unknown key 'engagment' \(known: source, response_speed, engagement,",
        ),
        (
            {"source": {"points": {"web": 1}, "bonus": 3}},
            r"unknown key 'source.bonus' \(known: points, default, cap\)",
        ),
        (
            {"decay": {"kind": "linear", "days": 30}},
            r"'decay': Input tag 'linear' .* expected tags: 'window', 'percent'",
        ),
        (
            {"decay": {"percent": 10, "every_days": 7}},
            r"'decay': needs a 'kind', one of 'window' or 'percent'",
        ),
        (
            {"decay": {"kind": "percent", "percent": 0, "every_days": 7}},
            r"'decay.percent.percent': Input should be greater than 0, got 0",
        ),
        (
            {"decay": {"kind": "percent", "percent": 150, "every_days": 7}},
            r"'decay.percent.percent': Input should be less than or equal to 100, got 150",
        ),
        (
            {"decay": {"kind": "percent", "percent": 10, "every_days": 0}},
            r"'decay.percent.every_days': Input should be greater than 0, got 0",
        ),
        (
            {"decay": {"kind": "window", "days": -1}},
            r"'decay.window.days': Input should be greater than 0, got -1",
        ),
        (
            {"response_speed": {"within_minutes": {"-5": 20}}},
            r"'response_speed.within_minutes.-5': Input should be greater than or equal to 0",
        ),
        (
            {"source": {"points": {"web": "ten"}}},
            r"'source.points.web': Input should be a valid number, got 'ten'",
        ),
        (
            {"source": {"points": {"web": True}}},
            r"'source.points.web': Input should be a valid number, got True",
        ),
        (
            {"engagement": {"points": {"Demo": 1, "demo": 2}}},
            r"event names 'Demo' and 'demo' are the same \(names ignore case, spacing and "
            r"Unicode width\)",
        ),
    ],
)
def test_bad_configs_raise_naming_key_and_value(config: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RuleConfig.from_dict(config)
    with pytest.raises(ValueError, match=message):
        RuleConfig.from_json(json.dumps(config))
    scorer = RuleScorer(config=config)  # __init__ only stores
    with pytest.raises(ValueError, match=message):
        scorer.points([lead()], now=NOW)


def test_bad_json_sources(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"not valid JSON: Expecting value at line 2, column 10"):
        RuleConfig.from_json('{"tiers":\n {"hot": }}')
    with pytest.raises(ValueError, match=r"'nope.json' is neither JSON text .* nor an existing"):
        RuleConfig.from_json("nope.json")
    bad = tmp_path / "list.json"
    bad.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(ValueError, match=r"list.json' must hold a JSON object, got \[1, 2\]"):
        RuleConfig.from_json(bad)
    with pytest.raises(ValueError, match="config must be a RuleConfig, a dict, JSON text"):
        RuleScorer(config=42).points([lead()])  # type: ignore[arg-type]


# --- bad records ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "message", "field", "value"),
    [
        (
            {"drop": "response_minutes"},
            r"lead 'l-7' \(row 1\): missing field 'response_minutes' \(use None",
            "response_minutes",
            None,
        ),
        (
            {"response_minutes": -4},
            r"lead 'l-7' \(row 1\): 'response_minutes' must be a finite number >= 0, got -4",
            "response_minutes",
            -4,
        ),
        (
            {"response_minutes": "fast"},
            r"lead 'l-7' \(row 1\): 'response_minutes' must be a number, got 'fast'",
            "response_minutes",
            "fast",
        ),
        (
            {"response_minutes": True},
            r"'response_minutes' must be a number, got True",
            "response_minutes",
            True,
        ),
        (
            {"source": 17},
            r"lead 'l-7' \(row 1\): 'source' must be text \(the lead source\), got 17",
            "source",
            17,
        ),
        (
            {"events": "demo_request"},
            r"'events' must be a dict of event -> count or a list of events, got 'demo_request'",
            "events",
            "demo_request",
        ),
        (
            {"events": {"demo_request": -1}},
            r"lead 'l-7' \(row 1\): 'events.demo_request' must be a count >= 0, got -1",
            "events.demo_request",
            -1,
        ),
        (
            {"purchases": float("inf")},
            r"'purchases' must be a finite number >= 0, got inf",
            "purchases",
            float("inf"),
        ),
        (
            {"contacts": "often"},
            r"'contacts' must be a count >= 0 or a list of timestamps, got 'often'",
            "contacts",
            "often",
        ),
        (
            {"contacts": ["last tuesday"]},
            r"'contacts' timestamps must be a datetime, a date or ISO 8601 text",
            "contacts",
            ["last tuesday"],
        ),
        (
            {"created_at": "yesterday"},
            r"'created_at' must be a datetime, a date or ISO 8601 text, got 'yesterday'",
            "created_at",
            "yesterday",
        ),
        (
            {"created_at": 1717243200},
            r"'created_at' must be a datetime, a date or ISO 8601 text, got 1717243200",
            "created_at",
            1717243200,
        ),
    ],
)
def test_bad_records_name_lead_field_and_value(
    change: dict[str, Any], message: str, field: str, value: Any
) -> None:
    config = with_(decay={"kind": "window", "days": 30})
    bad = lead(id="l-7")
    if "drop" in change:
        del bad[change["drop"]]
    else:
        bad.update(change)
    with pytest.raises(InputError, match=message) as info:
        rule_points([lead(), bad], config, now=NOW)
    assert isinstance(info.value, ValueError)
    assert info.value.row == 1
    assert info.value.field == field
    assert info.value.value == value


def test_bad_record_without_id_is_named_by_row() -> None:
    bad = lead(response_minutes=-1)
    del bad["id"]
    with pytest.raises(InputError, match=r"^lead row 2: 'response_minutes' must be"):
        rule_points([lead(), lead(), bad], CONFIG, now=NOW)


def test_created_at_is_required_only_with_decay() -> None:
    config = with_(decay={"kind": "percent", "percent": 5, "every_days": 1})
    records = [lead(source="referral", created_at=None)]
    assert rule_points(records, CONFIG, now=NOW).tolist() == [30]
    with pytest.raises(InputError, match=r"'created_at' is required to decay points with age"):
        rule_points(records, config, now=NOW)


def test_unknown_events_can_be_errors() -> None:
    config = with_(engagement={"unknown_events": "error"})
    with pytest.raises(
        InputError,
        match=r"lead 'l-1' \(row 0\): 'events' has an unknown event \(known: pricing_page_view, "
        r"demo_request, email_open\), got 'pricing_page_veiw'",
    ):
        rule_points([lead(events={"pricing_page_veiw": 1})], config, now=NOW)


def test_bad_containers_and_now() -> None:
    with pytest.raises(
        InputError, match="records must be a list of dicts or a DataFrame, got dict"
    ):
        rule_points(lead(), CONFIG, now=NOW)
    with pytest.raises(InputError, match="lead row 1 must be a dict, got tuple"):
        rule_points([lead(), ("a", 1)], CONFIG, now=NOW)
    with pytest.raises(InputError, match="now must be a datetime, a date or ISO 8601 text, got 5"):
        rule_points([lead()], CONFIG, now=5)
    with pytest.raises(InputError, match=r"now \(item 1\) must be a datetime"):
        rule_points([lead(), lead()], CONFIG, now=[NOW, "soon"])
    with pytest.raises(InputError, match="now has 3 times for 2 leads; give one, or one per lead"):
        rule_points([lead(), lead()], CONFIG, now=[NOW, NOW, NOW])
    assert rule_points([], CONFIG, now=NOW).shape == (0,)


# --- DataFrames -------------------------------------------------------------------------------


def sample_leads(n: int, seed: int) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    sources = [*DEFAULT_RULES.source.points, "tv", None]  # type: ignore[union-attr]
    events = list(DEFAULT_RULES.engagement.points)  # type: ignore[union-attr]
    out = []
    for i in range(n):
        out.append(
            {
                "id": f"l-{i}",
                "source": sources[int(rng.integers(len(sources)))],
                "response_minutes": (float(rng.exponential(300)) if rng.random() < 0.85 else None),
                "events": {
                    str(e): int(c)
                    for e, c in zip(events, rng.poisson(0.4, len(events)), strict=True)
                    if c
                },
                "purchases": int(rng.poisson(0.3)),
                "spend": float(np.round(rng.exponential(150), 2)),
                "contacts": int(rng.poisson(0.7)),
                "created_at": NOW - timedelta(days=float(rng.uniform(0, 45))),
            }
        )
    return out


def test_dataframe_input_matches_records() -> None:
    records = sample_leads(300, seed=5)
    frame = pd.DataFrame(records)
    assert frame["response_minutes"].isna().any()
    expected = rule_breakdown(records, DEFAULT_RULES, now=NOW)
    got = rule_breakdown(frame, DEFAULT_RULES, now=NOW)
    for key in expected:
        np.testing.assert_allclose(got[key], expected[key], err_msg=key)
    # created_at as a tz-aware datetime column, and ISO text.
    aware = frame.assign(created_at=pd.to_datetime(frame["created_at"]).dt.tz_localize("UTC"))
    berlin = aware.assign(created_at=aware["created_at"].dt.tz_convert("Europe/Berlin"))
    text = frame.assign(created_at=[r["created_at"].isoformat() + "Z" for r in records])
    expected_points = rule_points(records, DEFAULT_RULES, now=NOW)
    for variant in (aware, berlin, text):
        np.testing.assert_allclose(rule_points(variant, DEFAULT_RULES, now=NOW), expected_points)


def test_dataframe_errors_name_column_and_row() -> None:
    frame = pd.DataFrame([lead(id="a"), lead(id="b", response_minutes=-2.5)])
    with pytest.raises(InputError, match=r"lead 'b' \(row 1\): 'response_minutes' .* got -2.5"):
        rule_points(frame, CONFIG, now=NOW)
    with pytest.raises(
        InputError, match=r"missing field 'contacts': the DataFrame has no such col"
    ):
        rule_points(frame.iloc[:1].drop(columns="contacts"), CONFIG, now=NOW)
    flags = pd.DataFrame([lead(purchases=True), lead(purchases=False)])
    with pytest.raises(InputError, match="'purchases' must be a number, not a boolean, got True"):
        rule_points(flags, CONFIG, now=NOW)


# --- properties -------------------------------------------------------------------------------


@given(
    source=st.sampled_from(["referral", "website", "tv", None]),
    minutes=st.one_of(st.none(), st.floats(0, 1e5)),
    counts=st.dictionaries(
        st.sampled_from(["demo_request", "email_open", "site_visit", "other"]),
        st.integers(0, 50),
    ),
    purchases=st.integers(0, 20),
    spend=st.floats(0, 1e6),
    contacts=st.integers(0, 30),
    age=st.floats(0, 400),
)
def test_breakdown_sums_to_points_and_stays_within_caps(
    source: str | None,
    minutes: float | None,
    counts: dict[str, int],
    purchases: int,
    spend: float,
    contacts: int,
    age: float,
) -> None:
    record = lead(
        source=source,
        response_minutes=minutes,
        events=counts,
        purchases=purchases,
        spend=spend,
        contacts=contacts,
        created_at=NOW - timedelta(days=age),
    )
    parts = rule_breakdown([record], DEFAULT_RULES, now=NOW)
    total = rule_points([record], DEFAULT_RULES, now=NOW)[0]
    assert sum(float(v[0]) for v in parts.values()) == pytest.approx(total, abs=1e-9)
    for group in GROUPS:
        assert 0 <= parts[group][0] <= getattr(DEFAULT_RULES, group).cap
    undecayed = sum(float(parts[g][0]) for g in GROUPS)
    assert 0 <= total <= undecayed + 1e-9
    assert total == pytest.approx(undecayed * 0.9 ** np.floor(age / 7))


# --- the estimator ----------------------------------------------------------------------------


def simulate(n: int, seed: int) -> tuple[list[dict[str, Any]], np.ndarray, np.ndarray]:
    """Leads whose true conversion rate rises with their DEFAULT_RULES points."""
    records = sample_leads(n, seed)
    points = rule_points(records, DEFAULT_RULES, now=NOW)
    truth = expit((points - 45) / 10)
    y = (np.random.default_rng(seed + 1000).random(n) < truth).astype(int)
    return records, y, truth


@pytest.mark.parametrize("calibration", ["isotonic", "platt"])
def test_fit_predict_proba_is_calibrated_on_held_out_leads(calibration: str) -> None:
    train, y_train, _ = simulate(8000, seed=11)
    test, y_test, truth = simulate(8000, seed=12)
    scorer = RuleScorer(calibration=calibration)
    assert scorer.fit(train, y_train, now=NOW) is scorer
    p = scorer.predict_proba(test, now=NOW)
    assert p.shape == (8000,)
    assert np.all((p >= 0) & (p <= 1))
    # Bound: ECE over 10 bins of even a perfect forecast on 8000 leads is sampling
    # noise of about 0.4 * sqrt(10 / 8000) = 0.014; the fitted map adds its own
    # estimation error of the same order. 0.04 leaves room for both, while the raw
    # points scaled to [0, 1] (points / 125) miss by about 0.11.
    assert expected_calibration_error(y_test, p) < 0.04
    assert expected_calibration_error(y_test, rule_points(test, now=NOW) / 125) > 0.08
    assert np.mean(np.abs(p - truth)) < 0.04  # close to the true rate lead by lead
    # A monotone map keeps the ranking (isotonic may merge a few ties).
    assert roc_auc(y_test, p) == pytest.approx(roc_auc(y_test, truth), abs=0.01)


def test_fit_learns_the_calibrator_and_keeps_params() -> None:
    records, y, _ = simulate(500, seed=3)
    scorer = RuleScorer(calibration="platt")
    with pytest.raises(NotFittedError, match=r"this RuleScorer is not fitted yet: call fit\("):
        scorer.predict_proba(records, now=NOW)
    assert isinstance(NotFittedError("x"), RuntimeError)
    scorer.fit(records, y, now=NOW)
    assert isinstance(scorer.calibrator_, PlattCalibrator)
    assert scorer.calibrator_.a_ > 0  # more points, more conversions
    assert scorer.config_ is DEFAULT_RULES
    assert scorer.calibration == "platt"
    # A calibrator object is copied, not fitted in place.
    mine = IsotonicCalibrator()
    fitted = RuleScorer(calibration=mine).fit(records, y, now=NOW)
    assert not hasattr(mine, "thresholds_")
    assert isinstance(fitted.calibrator_, IsotonicCalibrator)
    # One `now` per lead: historical leads scored when they were assigned.
    nows = [r["created_at"] + timedelta(hours=1) for r in records]
    p = RuleScorer().fit(records, y, now=nows).predict_proba(records, now=nows)
    assert p.shape == (500,)


def test_fit_validation() -> None:
    records, y, _ = simulate(50, seed=4)
    with pytest.raises(ValueError, match=r"y must hold one outcome per lead: 50 leads, got shape"):
        RuleScorer().fit(records, y[:-1], now=NOW)
    with pytest.raises(ValueError, match="y must hold outcomes 0 or 1, got 3 at index 0"):
        RuleScorer().fit(records, np.full(50, 3), now=NOW)
    with pytest.raises(ValueError, match="calibration must be 'isotonic', 'platt' or a calib"):
        RuleScorer(calibration="sigmoid").fit(records, y, now=NOW)
    with pytest.raises(ValueError, match="or an object with fit"):
        RuleScorer(calibration=3).fit(records, y, now=NOW)
    with pytest.raises(ValueError, match="needs both outcomes"):
        RuleScorer(calibration="platt").fit(records, np.zeros(50), now=NOW)
    assert repr(RuleScorer()) == "RuleScorer(config=DEFAULT_RULES, calibration='isotonic')"


def test_hundred_thousand_leads_score_fast() -> None:
    records = sample_leads(2000, seed=9) * 50  # 100k records, cheap to build
    start = time.perf_counter()
    points = rule_points(records, DEFAULT_RULES, now=NOW)
    elapsed = time.perf_counter() - start
    assert points.shape == (100_000,)
    assert elapsed < 5.0, f"100k leads took {elapsed:.2f} s"  # about 0.4 s on one core


# --- labels and errors in words ----------------------------------------------------------------


def test_sources_match_by_the_label_rule() -> None:
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in "WEBSITE")
    records = [lead(source=full_width), lead(source="referral\u00a0"), lead(source="ReFeRrAl")]
    assert only("source", records) == [15, 30, 30]
    config = with_(source={"points": {"Сайт": 12, "партнёр": 7}, "default": 0})
    assert only("source", [lead(source="САЙТ"), lead(source=" Партнёр ")], config) == [12, 7]


def test_source_names_alike_by_the_label_rule_are_refused() -> None:
    with pytest.raises(InputError, match=r"source names 'Web  Site' and 'web site' are the same"):
        RuleConfig.from_dict({"source": {"points": {"Web  Site": 1, "web site": 2}}})


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda: RuleConfig(tiers={"hot": 10, "warm": 10}),
            r"^rule config 'tiers': the hot threshold \(10\) must be greater than the warm "
            r"one \(10\)$",
        ),
        (
            lambda: SourceRules(points={"web": "ten"}),
            r"^source rules 'points\.web': Input should be a valid number, got 'ten'$",
        ),
        (
            lambda: TierThresholds(hot=1),
            r"^tier thresholds 'warm': Field required$",
        ),
        (
            lambda: PercentDecay(percent=150, every_days=7),
            r"^percent decay 'percent': Input should be less than or equal to 100, got 150$",
        ),
    ],
)
def test_rule_models_built_directly_raise_input_errors(make: Any, message: str) -> None:
    with pytest.raises(InputError, match=message) as info:
        make()
    assert "errors.pydantic.dev" not in str(info.value)


# --------------------------------------------------------------------------- ids and times


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            float("nan"),
            "lead row 1: 'id' must be text or a whole number, got float nan; "
            "leave the id out (or None) for a lead without one",
        ),
        (1.5, "lead row 1: 'id' must be text or a whole number, got float 1.5"),
        (True, "lead row 1: 'id' must be text or a whole number, got bool True"),
        ("  ", "lead row 1: 'id' must not be empty, got str '  '"),
        ("l-2\x00", "lead row 1: 'id' must not contain a NUL character, got str 'l-2\\x00'"),
    ],
)
def test_a_lead_id_the_id_rule_refuses_is_an_input_error(value: Any, message: str) -> None:
    with pytest.raises(InputError) as info:
        RuleScorer(config=CONFIG).points([lead(), lead(id=value)], now=NOW)
    assert str(info.value) == message
    assert (info.value.row, info.value.field) == (1, "id")


def test_lead_ids_may_be_absent_none_or_anything_the_id_rule_reads() -> None:
    records = [lead(id=None), lead(id=7), lead(id=7.0), lead(id=" l-1 "), lead()]
    del records[-1]["id"]
    assert rule_points(records, CONFIG, now=NOW).tolist() == [5.0] * 5  # the default source
    frame = pd.DataFrame([lead(id=k) for k in (1.0, 2.0)])
    assert rule_points(frame, CONFIG, now=NOW).tolist() == [5.0, 5.0]
    frame.loc[1, "id"] = np.nan
    with pytest.raises(InputError, match=r"^lead row 1: 'id' must be text or a whole number"):
        rule_points(frame, CONFIG, now=NOW)


DECAY = with_(decay={"kind": "percent", "percent": 50, "every_days": 1})


def test_a_lead_created_after_now_beyond_the_clock_skew_is_refused() -> None:
    at = datetime(2024, 6, 1, 12, 15)  # exactly 15 minutes ahead: clock skew, age 0
    assert rule_points([lead(source="referral", created_at=at)], DECAY, now=NOW).tolist() == [30]
    late = datetime(2024, 6, 1, 12, 16)
    with pytest.raises(InputError) as info:
        rule_points([lead(), lead(id="l-2", created_at=late)], DECAY, now=NOW)
    assert str(info.value) == (
        "lead 'l-2' (row 1): 'created_at' is 2024-06-01T12:16:00 UTC, 16 minutes after now "
        "(2024-06-01T12:00:00 UTC; up to 15 minutes ahead is taken as clock skew, and a time "
        "without a zone is read as UTC); a lead cannot be created in the future, "
        "got datetime.datetime(2024, 6, 1, 12, 16)"
    )
    assert (info.value.row, info.value.field, info.value.value) == (1, "created_at", late)
    # A local time east of UTC given without its zone is hours ahead: refused too.
    with pytest.raises(InputError, match=r"is 2024-06-01T15:00:00 UTC, 3 hours after now"):
        rule_points([lead(created_at="2024-06-01T15:00:00")], DECAY, now=NOW)
    with pytest.raises(InputError, match=r"is 2030-01-01T09:00:00 UTC, 2039 days after now"):
        rule_points([lead(created_at="2030-01-01T10:00:00+01:00")], DECAY, now=NOW)


def test_a_day_is_in_the_future_only_once_it_has_begun_nowhere() -> None:
    # At 12:00 UTC it is already 2024-06-02 from UTC+12 on: a lead of that day is
    # age 0, in any form a day comes in.
    tomorrow: list[Any] = ["2024-06-02", "20240602", date(2024, 6, 2), np.datetime64("2024-06-02")]
    for day in tomorrow:
        points = rule_points([lead(source="referral", created_at=day)], DECAY, now=NOW)
        assert points.tolist() == [30], day
    # 2024-06-03 begins nowhere before 2024-06-02T10:00 UTC.
    with pytest.raises(InputError) as info:
        rule_points([lead(created_at="2024-06-03")], DECAY, now=NOW)
    assert str(info.value) == (
        "lead 'l-1' (row 0): 'created_at' is the day 2024-06-03, which has begun nowhere at "
        "now (2024-06-01T12:00:00); a lead cannot be created in the future, got '2024-06-03'"
    )
    # The same date as a moment (midnight UTC) is 12 hours ahead: refused.
    with pytest.raises(InputError, match=r"is 2024-06-02T00:00:00 UTC, 12 hours after now"):
        rule_points([lead(created_at=datetime(2024, 6, 2))], DECAY, now=NOW)
    # Each lead against its own now.
    nows = [datetime(2024, 6, 2, 12), datetime(2024, 6, 1, 12)]
    records = [lead(created_at="2024-06-03"), lead(id="l-2", created_at="2024-06-03")]
    with pytest.raises(InputError, match=r"^lead 'l-2' \(row 1\): 'created_at' is the day"):
        rule_points(records, DECAY, now=nows)


def test_a_lead_dated_years_ahead_is_refused_by_the_scorer() -> None:
    record = lead(id="l1", created_at="2030-01-01")
    with pytest.raises(InputError, match=r"^lead 'l1' \(row 0\): 'created_at' is the day 2030"):
        RuleScorer().points([{**record, "source": "website", "events": []}], now="2024-06-01")


def test_now_given_as_a_day_means_any_moment_of_that_day() -> None:
    # "Score as of 2024-06-01": a lead created that evening, even in UTC-12, is age 0.
    for at in (datetime(2024, 6, 1, 18, 30), "2024-06-02T12:15:00", "2024-06-01"):
        points = rule_points([lead(source="referral", created_at=at)], DECAY, now="2024-06-01")
        assert points.tolist() == [30], at
    with pytest.raises(InputError) as info:
        rule_points([lead(created_at="2024-06-02T12:16:00")], DECAY, now="2024-06-01")
    assert str(info.value) == (
        "lead 'l-1' (row 0): 'created_at' is 2024-06-02T12:16:00 UTC, after the day 2024-06-01 "
        "has ended everywhere; a lead cannot be created in the future, got '2024-06-02T12:16:00'"
    )
    # Two bare days are written in one place: they compare as days.
    with pytest.raises(InputError) as info:
        rule_points([lead(created_at=date(2024, 6, 2))], DECAY, now=np.datetime64("2024-06-01"))
    assert str(info.value) == (
        "lead 'l-1' (row 0): 'created_at' is the day 2024-06-02, after now (2024-06-01); "
        "a lead cannot be created in the future, got datetime.date(2024, 6, 2)"
    )
