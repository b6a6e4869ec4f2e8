"""The sales plan file: months or weeks, per manager or for the team, errors in words."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import fairlead as fl
from fairlead.kpi._plan_file import TEAM_TOLERANCE, SalesPlan, as_sales_plan, read_sales_plan
from fairlead.records import FileError


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def refused(path: Path) -> FileError:
    with pytest.raises(FileError) as info:
        read_sales_plan(path)
    return info.value


# --------------------------------------------------------------------------- reading


def test_a_month_plan_per_manager_and_for_the_team(tmp_path):
    path = write(
        tmp_path,
        "plan.csv",
        "period,manager_id,revenue\n"
        "2026-11,m-1,700000\n"
        "2026-11,m-2,500000\n"
        "2026-11,,1200000\n"
        "2026-12,,1500000\n",
    )
    plan = read_sales_plan(path)
    assert plan.kind == "month"
    assert plan.periods == ("2026-11", "2026-12")
    assert plan.manager_ids == ("m-1", "m-2")
    assert plan.team("2026-11") == 1_200_000
    assert plan.team("2026-12") == 1_500_000
    assert plan.managers("2026-11") == {"m-1": 700_000.0, "m-2": 500_000.0}
    assert plan.managers("2026-12") == {}
    assert plan.bounds("2026-12") == (date(2026, 12, 1), date(2027, 1, 1))
    assert plan.has_team_row("2026-11")
    assert plan.has_team_row("2026-12")
    assert plan.where[0] == "plan.csv, line 2"
    assert repr(plan) == "SalesPlan(4 rows, 2 months, 2 managers)"
    assert plan.to_records()[2] == {"period": "2026-11", "manager_id": None, "revenue": 1.2e6}


def test_without_a_team_row_the_team_plan_is_the_sum():
    plan = SalesPlan.from_records(
        [
            {"period": "2026-11-23", "manager_id": 7, "revenue": 100},
            {"period": "2026-11-23", "manager_id": 8.0, "revenue": "250.5"},
        ]
    )
    assert plan.kind == "week"
    assert plan.team("2026-11-23") == 350.5
    assert not plan.has_team_row("2026-11-23")
    assert plan.manager_ids == ("7", "8")  # the id rule
    assert plan.bounds("2026-11-23") == (date(2026, 11, 23), date(2026, 11, 30))


def test_json_files_and_dataframes_read_alike(tmp_path):
    rows = [
        {"period": "2026-11", "manager_id": "m-1", "revenue": 700000},
        {"period": "2026-11", "manager_id": None, "revenue": 700000},
    ]
    from_json = read_sales_plan(write(tmp_path, "plan.json", json.dumps(rows)))
    from_frame = SalesPlan.from_records(pd.DataFrame(rows))
    assert from_json.to_records() == from_frame.to_records()
    assert as_sales_plan(from_json) is from_json
    assert as_sales_plan(str(tmp_path / "plan.json")).to_records() == from_json.to_records()
    assert as_sales_plan(rows).to_records() == from_json.to_records()


def test_dates_from_a_dataframe_are_weeks():
    frame = pd.DataFrame(
        {"period": [pd.Timestamp("2026-11-23"), date(2026, 11, 30)], "revenue": [1.0, 2.0]}
    )
    assert SalesPlan.from_records(frame).periods == ("2026-11-23", "2026-11-30")


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("cell", "line", "words"),
    [
        (
            "2026-11-25",
            3,
            "2026-11-25 is a Wednesday: a week is given by its Monday (2026-11-23), "
            "a month as 2026-11, got '2026-11-25'",
        ),
        (
            "2026-11-01",
            3,
            "2026-11-01 is a Sunday: a week is given by its Monday (2026-10-26), "
            "a month as 2026-11, got '2026-11-01'",
        ),
        (
            "2026-13",
            3,
            "must be a month (2026-11) or the Monday of a week (2026-11-23): "
            "there is no month 13, got '2026-13'",
        ),
        (
            "2026/11",
            3,
            "must be a month (2026-11) or the Monday of a week (2026-11-23), got '2026/11'",
        ),
        (
            "2026-02-30",
            3,
            "must be a month (2026-11) or the Monday of a week (2026-11-23): "
            "there is no such day, got '2026-02-30'",
        ),
        ("", 3, "a plan row needs a period (2026-11 or 2026-11-23)"),
    ],
)
def test_a_bad_period_names_file_line_column_and_value(tmp_path, cell, line, words):
    text = f"period,manager_id,revenue\n2026-11-23,m-1,1\n{cell},m-2,5\n"
    exc = refused(write(tmp_path, "plan.csv", text.replace("2026-11-23,m-1", "2026-11-16,m-1")))
    assert str(exc) == f"plan.csv, line {line}, column 'period': {words}"
    assert (exc.source, exc.line, exc.field) == ("plan.csv", line, "period")
    assert exc.value == (cell or None)


@pytest.mark.parametrize(
    ("cell", "words"),
    [
        ("-5", "must be a number >= 0, got '-5'"),
        ("1 200 000", "must be a number, got '1 200 000'"),
        ("abc", "must be a number, got 'abc'"),
        ("inf", "must be a finite number, got 'inf'"),
        ("", "a plan row needs a revenue (a number >= 0)"),
    ],
)
def test_a_bad_revenue_names_file_line_column_and_value(tmp_path, cell, words):
    exc = refused(write(tmp_path, "plan.csv", f"period,manager_id,revenue\n2026-11,m-1,{cell}\n"))
    assert str(exc) == f"plan.csv, line 2, column 'revenue': {words}"
    assert exc.line == 2


def test_errors_in_json_name_the_item_and_its_line(tmp_path):
    text = (
        '[\n  {"period": "2026-11", "revenue": 5},\n'
        '  {"period": "2026-11", "manager_id": 1.5,\n   "revenue": 5}\n]\n'
    )
    exc = refused(write(tmp_path, "plan.json", text))
    assert str(exc) == (
        "plan.json, item 1 (line 3), field 'manager_id': must be text or a whole number, got 1.5"
    )
    exc = refused(write(tmp_path, "bad.json", '[{"period": "2026-11", "revenue": 5, "note": "x"}]'))
    assert "bad.json, item 0 (line 1), field 'note': not a column of the sales plan" in str(exc)


def test_unknown_and_missing_columns_name_the_header_line(tmp_path):
    exc = refused(write(tmp_path, "plan.csv", "period,manager,revenue\n2026-11,m-1,5\n"))
    assert str(exc) == (
        "plan.csv, line 1, column 'manager': not a column of the sales plan "
        "(columns: period, manager_id, revenue)"
    )
    exc = refused(write(tmp_path, "plan.csv", "\nperiod,manager_id\n2026-11,m-1\n"))
    assert str(exc) == (
        "plan.csv, line 2: the sales plan needs a column 'revenue' "
        "(columns: period, manager_id, revenue)"
    )


def test_a_row_given_twice_names_both_lines(tmp_path):
    exc = refused(
        write(
            tmp_path,
            "plan.csv",
            "period,manager_id,revenue\n2026-11,m-1,5\n2026-12,m-1,5\n2026-11,m-1,6\n",
        )
    )
    assert str(exc) == (
        "plan.csv, line 4, column 'period': manager 'm-1' has a plan for 2026-11 twice "
        "(also plan.csv, line 2), got '2026-11'"
    )
    exc = refused(write(tmp_path, "team.csv", "period,revenue\n2026-11,5\n2026-11,6\n"))
    assert "the team has a plan for 2026-11 twice (also team.csv, line 2)" in str(exc)


def test_months_and_weeks_in_one_plan_are_refused(tmp_path):
    exc = refused(
        write(tmp_path, "plan.csv", "period,manager_id,revenue\n2026-11,m-1,5\n2026-11-23,m-2,5\n")
    )
    assert str(exc).startswith(
        "plan.csv, line 3, column 'period': the plan gives months and weeks "
        "(plan.csv, line 2 has '2026-11'): give one or the other"
    )


def test_team_row_and_manager_rows_must_agree_within_half_a_percent(tmp_path):
    head = "period,manager_id,revenue\n2026-11,m-1,700000\n2026-11,m-2,500000\n"
    # 0.4 % off: accepted; the team row is the team's plan
    plan = read_sales_plan(write(tmp_path, "ok.csv", head + "2026-11,,1204800\n"))
    assert plan.team("2026-11") == 1_204_800
    assert TEAM_TOLERANCE == 0.005
    # 0.6 % off: refused, naming the team row and the manager rows
    exc = refused(write(tmp_path, "plan.csv", head + "2026-11,,1207300\n"))
    assert str(exc) == (
        "plan.csv, line 4, column 'revenue': the team's plan for 2026-11 (1,207,300) and the "
        "sum of its 2 manager rows (1,200,000: lines 2, 3) differ by 0.6%; they must agree "
        "within 0.5% (or leave out the team row: the team's plan is then the sum), "
        "got '1207300'"
    )
    assert (exc.line, exc.field) == (4, "revenue")


def test_rows_in_memory_are_named_by_position():
    with pytest.raises(fl.InputError) as info:
        SalesPlan.from_records(
            [{"period": "2026-11", "revenue": 1}, {"period": 202611, "revenue": 1}]
        )
    assert str(info.value).startswith("plan row 1, field 'period': must be a month (2026-11)")
    with pytest.raises(fl.InputError, match=r"plan row 0, field 'period': .* not a moment"):
        SalesPlan.from_records([{"period": datetime(2026, 11, 23, 9, 30), "revenue": 1}])
    with pytest.raises(fl.InputError, match="the sales plan has no rows"):
        SalesPlan.from_records([])
    with pytest.raises(fl.InputError, match=r"no period '2027-01' \(its periods: 2026-11\)"):
        SalesPlan.from_records([{"period": "2026-11", "revenue": 1}]).team("2027-01")


def test_an_empty_file_and_a_wrong_suffix_are_named(tmp_path):
    assert str(refused(write(tmp_path, "plan.csv", "  \n"))) == "plan.csv: empty file"
    exc = refused(write(tmp_path, "plan.xlsx", "x"))
    assert "unknown file type '.xlsx'" in str(exc)


# --------------------------------------------------------------------------- properties

MONDAY = date(2024, 1, 1)


@given(weeks=st.integers(0, 2000), shift=st.integers(0, 6))
def test_any_monday_is_a_week_and_any_other_day_names_its_monday(weeks, shift):
    day = MONDAY + timedelta(weeks=weeks, days=shift)
    rows = [{"period": day.isoformat(), "revenue": 1}]
    if shift == 0:
        assert SalesPlan.from_records(rows).bounds(day.isoformat()) == (
            day,
            day + timedelta(days=7),
        )
    else:
        monday = day - timedelta(days=shift)
        with pytest.raises(fl.InputError, match=f"by its Monday \\({monday.isoformat()}\\)"):
            SalesPlan.from_records(rows)


@given(
    revenues=st.lists(st.floats(0, 1e9, allow_nan=False), min_size=1, max_size=6),
    month=st.integers(1, 12),
)
def test_records_round_trip(revenues, month):
    rows = [
        {"period": f"2026-{month:02d}", "manager_id": f"m{j}", "revenue": r}
        for j, r in enumerate(revenues)
    ]
    plan = SalesPlan.from_records(rows)
    again = SalesPlan.from_records(plan.to_records())
    assert again.to_records() == plan.to_records() == rows
    assert plan.team(f"2026-{month:02d}") == pytest.approx(float(np.sum(revenues)))
