"""compute()'s arguments: each bad one an InputError naming it and its value; clocks; grids."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fairlead as fl
from fairlead import kpi
from fairlead.kpi._clock import Clock

ROWS = [
    {"type": "created", "at": "2026-11-02T09:00", "lead_id": "l1"},
    {"type": "assigned", "at": "2026-11-02T09:01", "lead_id": "l1", "manager_id": "a"},
    {"type": "stage", "at": "2026-11-02T10:00", "lead_id": "l1", "stage": "Meeting"},
    {"type": "assigned", "at": "2026-11-03T09:01", "lead_id": "l2", "manager_id": "b"},
]


@pytest.fixture(scope="module")
def log() -> kpi.EventLog:
    return kpi.EventLog.from_records(ROWS)


BAD: list[tuple[dict[str, Any], str, Any, str]] = [
    ({"period": "year"}, "period", "year", "period must be one of day, week, month"),
    (
        {"funnel": ["meeting", "proposal"]},
        "funnel",
        "proposal",
        "funnel names stage 'proposal', which no event of the log has",
    ),
    ({"funnel": []}, "funnel", "Meeting", "stage 'Meeting' of the event log is not in the funnel"),
    ({"funnel": "meeting"}, "funnel", "meeting", "funnel must be a list of stage names"),
    ({"sla_bands": (5, -1)}, "sla_bands", -1, "sla_bands must be minutes above 0, got -1"),
    ({"sla_bands": (15, 5)}, "sla_bands", [15, 5], "sla_bands must increase, got 5 after 15"),
    ({"sla_bands": ()}, "sla_bands", (), "sla_bands must be a list of minutes"),
    (
        {"sla_bands": (5, float("nan"))},
        "sla_bands",
        float("nan"),
        "sla_bands must be a finite number",
    ),
    (
        {"timezones": {"zoe": "Europe/Moscow"}},
        "timezones",
        "zoe",
        "timezones names manager 'zoe', who is neither in the event log nor in managers",
    ),
    (
        {"timezones": {"a": "Mars/Olympus"}},
        "timezones",
        "Mars/Olympus",
        "timezones must be an IANA time zone",
    ),
    ({"timezone": "Moscow"}, "timezone", "Moscow", "timezone must be an IANA time zone"),
    ({"target_share": {"zoe": 1.0}}, "target_share", "zoe", "target_share names manager 'zoe'"),
    (
        {"target_share": {"a": 0, "b": 0}},
        "target_share",
        {"a": 0, "b": 0},
        "target_share must give some manager a share above 0",
    ),
    ({"target_share": {"a": -1, "b": 2}}, "target_share", -1, "target_share of 'a' must be >= 0"),
    ({"target_share": {"a": "half"}}, "target_share", "half", "target_share must be a number"),
    (
        {"managers": [{"id": "a", "max_active_leads": 0}]},
        "managers",
        0.0,
        "the managers' max_active_leads add up to 0",
    ),
    ({"churn_days": 0}, "churn_days", 0, "churn_days must be above 0"),
    ({"interval": 1.0}, "interval", 1.0, "interval must be between 0 and 1"),
    ({"now": "2026-11-02T12:00"}, "now", "2026-11-02T12:00", "is before the log's last event"),
    ({"now": "soon"}, "now", "soon", "now must be a datetime, a date or ISO 8601 text"),
]


@pytest.mark.parametrize(("arguments", "field", "value", "message"), BAD)
def test_a_bad_argument_is_an_input_error_naming_it(
    log: kpi.EventLog, arguments: dict[str, Any], field: str, value: Any, message: str
) -> None:
    with pytest.raises(fl.InputError) as error:
        kpi.compute(log, **arguments)
    assert message in str(error.value)
    assert error.value.field == field
    if isinstance(value, float) and np.isnan(value):
        assert np.isnan(error.value.value)
    else:
        assert error.value.value == value


def test_the_log_must_be_an_event_log() -> None:
    with pytest.raises(fl.InputError, match="log must be an EventLog"):
        kpi.compute(ROWS)  # type: ignore[arg-type]


def test_an_empty_log_needs_now() -> None:
    empty = kpi.EventLog.from_columns({"type": [], "at": []})
    with pytest.raises(fl.InputError, match="the event log is empty: give now"):
        kpi.compute(empty)
    kpis = kpi.compute(empty, now="2026-11-04", managers=[{"id": "a", "max_active_leads": 3}])
    assert kpis.periods.size == 1
    assert kpis.manager_ids == ("a",)
    assert kpis.value("leads_received", "a") == 0
    assert np.isnan(kpis.value("response_p50"))


def test_managers_and_shares(log: kpi.EventLog) -> None:
    # A manager only in `managers` gets rows; those not in it get no share and no limit.
    kpis = kpi.compute(
        log, managers=[fl.Manager(id="a", max_active_leads=4), {"id": "new", "max_active_leads": 4}]
    )
    assert kpis.manager_ids == ("a", "b", "new")
    assert kpis.by_manager["target_share"][0].tolist() == [0.5, 0.0, 0.5]
    assert kpis.value("leads_received", "new") == 0
    assert np.isnan(kpis.value("overload_days", "b"))
    assert kpis.value("overload_days", "a") == 0
    frame = pd.DataFrame([{"id": "a", "max_active_leads": 1}, {"id": "b", "max_active_leads": 3}])
    by_frame = kpi.compute(log, managers=frame)
    assert by_frame.by_manager["target_share"][0].tolist() == [0.25, 0.75]
    shares = kpi.compute(log, target_share={"a": 3, "b": 1})
    assert shares.by_manager["target_share"][0].tolist() == [0.75, 0.25]
    equal = kpi.compute(log)
    assert equal.by_manager["target_share"][0].tolist() == [0.5, 0.5]
    assert np.isnan(equal.value("overload_days", "a"))


def test_funnel_names_follow_the_label_rule_and_now_extends_the_grid(log: kpi.EventLog) -> None:
    kpis = kpi.compute(log, funnel=["meeting"], now="2026-11-20T12:00")
    assert kpis.funnel == ("meeting",)
    assert kpis.value("reached:meeting", "a", 0) == 1
    assert [kpis.periods.label(k) for k in range(kpis.periods.size)] == [
        "2026-11-02",
        "2026-11-09",
        "2026-11-16",
    ]
    assert kpis.value("leads_waiting") == 0  # nothing received in the week of now
    assert kpis.value("leads_waiting", None, 0) == 2
    assert kpis.total("leads_waiting") == 2


def test_bands_name_their_metrics(log: kpi.EventLog) -> None:
    kpis = kpi.compute(log, sla_bands=(2.5, 30))
    assert [m for m in kpis.metrics if m.startswith("sla_")] == [
        "sla_0_2.5",
        "sla_2.5_30",
        "sla_30_plus",
        "sla_share_fast",
    ]
    assert kpis.describe("sla_2.5_30").label() == "First responses in 2.5-30 min"
    assert kpis.describe("sla_share_fast").label_ru == "Ответ за 2.5 мин, доля"


@pytest.mark.parametrize("period", ["day", "week", "month"])
def test_each_event_falls_in_its_managers_local_period(period: str) -> None:
    # Sunday 2026-11-29 22:30 UTC is Monday 01:30 in Moscow, and still November.
    rows = [
        {"type": "assigned", "at": "2026-11-29T22:30", "lead_id": "x", "manager_id": "msk"},
        {"type": "assigned", "at": "2026-11-29T22:30", "lead_id": "y", "manager_id": "utc"},
    ]
    kpis = kpi.compute(kpi.EventLog.from_records(rows), period, timezones={"msk": "Europe/Moscow"})
    expected = {"day": ("2026-11-30", "2026-11-29"), "week": ("2026-11-30", "2026-11-23")}
    expected["month"] = ("2026-11", "2026-11")
    for manager, label in zip(("msk", "utc"), expected[period], strict=True):
        k = next(k for k in range(kpis.periods.size) if kpis.value("leads_received", manager, k))
        assert kpis.periods.label(k) == label


@settings(max_examples=40, deadline=None)
@given(
    moments=st.lists(st.integers(1_700_000_000, 1_800_000_000), min_size=1, max_size=30),
    managers=st.lists(st.integers(-1, 2), min_size=30, max_size=30),
)
def test_the_clock_agrees_with_local_seconds(moments: list[int], managers: list[int]) -> None:
    at = np.array(moments, dtype=np.int64)
    who = np.array(managers[: at.size], dtype=np.int64)
    ids = ("a", "b", "c")
    zones = {"a": "Europe/Berlin", "b": "America/New_York"}
    clock = Clock(ids, timezone="Asia/Tokyo", timezones=zones, lo=int(at.min()), hi=int(at.max()))
    expected = kpi.local_seconds(at, who, ids, timezone="Asia/Tokyo", timezones=zones)
    np.testing.assert_array_equal(clock.local(at, who), expected)
