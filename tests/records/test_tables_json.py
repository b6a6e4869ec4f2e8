"""JSON read strictly: duplicate keys and numbers that are no numbers are refused."""

import json
from pathlib import Path

import pytest

from fairlead.records import (
    FileError,
    parse_json,
    parse_policy,
    parse_table,
    read_leads,
    read_policy,
)
from fairlead.records._json import JsonIssue, find_issue, strict_loads


def error_of(call, *args, **kwargs) -> FileError:  # type: ignore[no-untyped-def]
    with pytest.raises(FileError) as info:
        call(*args, **kwargs)
    return info.value


def records_error(text: str) -> FileError:
    return error_of(parse_table, text, source="leads.json", format="json")


LEADS = """[
  {"id": "l-000", "score": 0.5},
  {"id": "l-001", "score": 0.5},
  {"id": "l-002", "score": 0.5},
  {"id": "l-003",
   "score": 0.2,
   "score": 0.9}
]
"""


# ---------------------------------------------------------------------- duplicate keys


def test_policy_with_a_key_twice_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "policy.json"
    path.write_text('{\n  "balance_tolerance": 0.1,\n  "balance_tolerance": 5\n}\n')
    err = error_of(read_policy, path)
    assert str(err) == f"{path}, line 3: key 'balance_tolerance' appears twice (first on line 2)"
    assert (err.source, err.line, err.field) == (str(path), 3, "balance_tolerance")


def test_policy_key_twice_in_a_nested_object() -> None:
    text = '{"effort_by_level": {"senior": 1, "junior": 2,\n "senior": 3}}'
    err = error_of(parse_policy, text, source="policy.json")
    assert str(err) == (
        "policy.json, line 2: key 'effort_by_level.senior' appears twice (first on line 1)"
    )
    assert err.field == "effort_by_level.senior"


def test_lead_with_a_key_twice_names_item_id_and_lines(tmp_path: Path) -> None:
    path = tmp_path / "leads.json"
    path.write_text(LEADS)
    err = error_of(read_leads, path)
    assert str(err) == (
        f"{path}, line 7, item 3 (id 'l-003'): key 'score' appears twice (first on line 6)"
    )
    assert (err.line, err.item, err.row, err.field) == (7, 3, 3, "score")


def test_lead_key_twice_deep_inside_a_record() -> None:
    text = '[{"id": 7, "features": {"visits": [1, {"a": 1, "a": 2}]}}]'
    err = records_error(text)
    assert str(err) == (
        "leads.json, line 1, item 0 (id 7): key 'features.visits[1].a' appears twice "
        "(first on line 1)"
    )


def test_a_record_without_a_usable_id_is_named_by_its_index() -> None:
    err = records_error('[{"id": true, "x": 1, "x": 2}]')
    assert str(err).startswith("leads.json, line 1, item 0: key 'x' appears twice")


def test_a_key_twice_in_a_file_that_is_no_list() -> None:
    err = records_error('{"a": 1, "a": 2}')
    assert str(err) == "leads.json, line 1: key 'a' appears twice (first on line 1)"


def test_equal_keys_in_different_objects_are_fine() -> None:
    table = parse_table(
        '[{"id": "a", "score": 0.1}, {"id": "b", "score": 0.2}]', source="l.json", format="json"
    )
    assert [r["score"] for r in table.records] == [0.1, 0.2]


def test_a_syntax_error_after_the_duplicate_is_reported_first() -> None:
    err = records_error('[{"id": "a", "id": "b"},\n {"id": "c",}]')
    assert str(err).startswith("leads.json, line 2, column 13: invalid JSON")


def test_keys_equal_after_unescaping_are_the_same_key() -> None:
    err = error_of(parse_json, '{"score": 1, "\\u0073core": 2}', source="x.json")
    assert "key 'score' appears twice" in str(err)


# ---------------------------------------------------------------- NaN and infinities


@pytest.mark.parametrize(
    ("literal", "why"),
    [
        ("NaN", "which JSON does not allow"),
        ("Infinity", "which JSON does not allow"),
        ("-Infinity", "which JSON does not allow"),
        ("1e999", "too large for a number"),
        ("-1E400", "too large for a number"),
    ],
)
def test_non_finite_numbers_are_refused_in_records(literal: str, why: str) -> None:
    err = records_error(f'[\n  {{"id": "l-1",\n   "deal_value": {literal}}}\n]')
    assert str(err) == (
        f"leads.json, line 3, item 0 (id 'l-1'): key 'deal_value' holds {literal}, "
        f"{why}; write a finite number"
    )
    assert err.field == "deal_value"
    assert err.value == literal


def test_non_finite_number_in_a_policy() -> None:
    err = error_of(parse_policy, '{"balance_tolerance": NaN}', source="policy.json")
    assert str(err) == (
        "policy.json, line 1: key 'balance_tolerance' holds NaN, which JSON does not allow; "
        "write a finite number"
    )


def test_non_finite_number_in_a_list() -> None:
    err = error_of(parse_json, '{"weights": [1, Infinity]}', source="x.json")
    assert str(err) == (
        "x.json, line 1: value 'weights[1]' holds Infinity, which JSON does not allow; "
        "write a finite number"
    )


def test_a_file_that_is_only_nan() -> None:
    err = error_of(parse_json, "NaN", source="x.json")
    assert (
        str(err)
        == "x.json, line 1: a value is NaN, which JSON does not allow; write a finite number"
    )


def test_large_but_finite_numbers_are_kept() -> None:
    assert parse_json("[1e308, -1e308, 123456789012345678901234567890, 0.5]", source="x") == [
        1e308,
        -1e308,
        123456789012345678901234567890,
        0.5,
    ]


# ---------------------------------------------------------------- other hostile JSON


def test_an_integer_too_long_to_read_names_the_file() -> None:
    err = error_of(parse_json, "[" + "1" * 5000 + "]", source="x.json")
    assert str(err).startswith("x.json: invalid JSON: Exceeds the limit")


def test_nesting_too_deep_names_the_file() -> None:
    err = error_of(parse_json, "[" * 100_000 + "]" * 100_000, source="x.json")
    assert str(err) == "x.json: invalid JSON: nested too deeply"


# ---------------------------------------------------------------- the parser itself


def test_strict_loads_matches_json_loads_on_clean_input() -> None:
    text = json.dumps({"a": [1, 2.5, -3e-5, None, True, "x"], "b": {"c": {}, "d": []}})
    assert strict_loads(text) == json.loads(text)


def test_find_issue_walks_the_whole_document() -> None:
    text = '{"a": [ {"b": 1} , {"c": [ ] , "d": { } } ],\n "e": "x\\"y",\n "e": 1}'
    assert find_issue(text) == JsonIssue(("e",), line=3, first_line=2)
    assert find_issue('{"a": [1, {"b": 2}]}') is None


# ---------------------------------------------------------------- CSV headers


def test_csv_header_naming_a_column_twice(tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_text("id,score,score\nl-1,0.2,0.9\n")
    err = error_of(read_leads, path)
    assert str(err) == f"{path}, line 1, column 'score': duplicate column name in the header"
    assert err.field == "score"
