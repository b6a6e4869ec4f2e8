import json
import os
from datetime import datetime
from pathlib import Path

import pytest

import fairlead as fl
from fairlead import records
from fairlead.app import _files, assign_files, render_records, write_records
from fairlead.datasets import Demo, load_demo
from fairlead.records import (
    FileError,
    coerce_table,
    file_format,
    parse_policy,
    parse_table,
    read_records,
    read_table,
    read_text,
)


def csv_table(text: str, source: str = "leads.csv") -> records.Table:
    return parse_table(text, source=source, format="csv")


def json_table(text: str, source: str = "leads.json") -> records.Table:
    return parse_table(text, source=source, format="json")


def error_of(call: object, *args: object, **kwargs: object) -> FileError:
    assert callable(call)
    with pytest.raises(FileError) as info:
        call(*args, **kwargs)
    return info.value


# ----------------------------------------------------------------------------- formats


@pytest.mark.parametrize(
    ("name", "expected"), [("a.csv", "csv"), ("a.JSON", "json"), ("dir.v2/a.Csv", "csv")]
)
def test_file_format_by_suffix(name: str, expected: str) -> None:
    assert file_format(name) == expected


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("leads.xlsx", "leads.xlsx: unknown file type '.xlsx'; use a .csv or .json file"),
        ("leads", "leads: no file suffix; use a .csv or .json file"),
    ],
)
def test_file_format_rejects_other_suffixes(name: str, message: str) -> None:
    assert str(error_of(file_format, name)) == message


def test_policy_must_be_json() -> None:
    err = error_of(records.read_policy, "policy.csv")
    assert str(err) == "policy.csv: unknown file type '.csv'; use a .json file"


# -------------------------------------------------------------------------- read_text


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.csv"
    assert str(error_of(read_text, path)) == f"{path}: no such file"


def test_directory_is_not_a_file(tmp_path: Path) -> None:
    assert str(error_of(read_text, tmp_path)) == f"{tmp_path}: is a directory, not a file"


def test_not_utf8_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_bytes(b"id,score\nl-1,0.5\nl-\xe9,0.2\n")
    err = error_of(read_text, path)
    assert err.line == 3
    assert str(err) == f"{path}, line 3: not UTF-8 text (byte 0xe9); save the file as UTF-8"


def test_bom_and_crlf_are_handled(tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_bytes(b"\xef\xbb\xbfid,score\r\nl-1,0.5\r\n")
    assert read_records(path) == [{"id": "l-1", "score": "0.5"}]


# ------------------------------------------------------------------------------ CSV


def test_csv_empty_cells_are_none_and_lines_are_file_lines() -> None:
    text = 'id,score,product\n\nl-1,0.5,\n"l-2",0.25,"multi\nline"\nl-3, 0.1 ,cards\n'
    table = csv_table(text)
    assert table.columns == ("id", "score", "product")
    assert table.records == [
        {"id": "l-1", "score": "0.5", "product": None},
        {"id": "l-2", "score": "0.25", "product": "multi\nline"},
        {"id": "l-3", "score": "0.1", "product": "cards"},
    ]
    assert table.lines == [3, 4, 6]
    assert [table.where(k) for k in range(3)] == ["line 3", "line 4", "line 6"]


def test_csv_short_rows_fill_none_and_empty_trailing_cells_are_ignored() -> None:
    table = csv_table("id,score,product,\nl-1,0.5\nl-2,0.4,cards,,\n")
    assert table.columns == ("id", "score", "product")
    assert table.records == [
        {"id": "l-1", "score": "0.5", "product": None},
        {"id": "l-2", "score": "0.4", "product": "cards"},
    ]


def test_csv_value_beyond_the_header_is_an_error() -> None:
    err = error_of(csv_table, "id,score\nl-1,0.5\nl-2,0.4,cards\n")
    assert (
        str(err) == "leads.csv, line 3: value 'cards' in cell 3, beyond the 2 columns of the header"
    )
    assert (err.line, err.value) == (3, "cards")


def test_csv_duplicate_column_name() -> None:
    err = error_of(csv_table, "id,score,score\nl-1,0.5,0.4\n")
    assert str(err) == "leads.csv, line 1, column 'score': duplicate column name in the header"


def test_csv_broken_quoting_names_the_line() -> None:
    err = error_of(csv_table, 'id,score\nl-1,0.5\n"l-2,0.4\nl-3,0.1\n')
    assert err.line == 3
    assert str(err) == "leads.csv, line 3: broken CSV: unexpected end of data"


@pytest.mark.parametrize("text", ["", "\n\n", "   \n"])
def test_empty_file(text: str) -> None:
    assert str(error_of(csv_table, text)) == "leads.csv: empty file"
    assert str(error_of(json_table, text)) == "leads.json: empty file"


# ----------------------------------------------------------------------------- JSON


def test_json_items_and_their_lines() -> None:
    text = '[\n  {"id": "l-1", "score": 0.5},\n\n  {"id": "l-2",\n   "score": 0.2}\n]\n'
    table = json_table(text)
    assert table.records == [{"id": "l-1", "score": 0.5}, {"id": "l-2", "score": 0.2}]
    assert table.lines == [2, 4]
    assert table.where(1) == "item 1 (line 4)"
    assert json_table("[]").records == []


def test_json_syntax_error_has_line_and_column() -> None:
    err = error_of(json_table, '[{"id": "l-1", "score": 0.5},\n {"id": "l-2" "score": 0.2}]')
    assert err.line == 2
    assert str(err) == "leads.json, line 2, column 15: invalid JSON: Expecting ',' delimiter"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '{"leads": []}',
            "leads.json: expected a JSON list of objects (one per record), got an object",
        ),
        ('[{"id": "l-1"},\n 7]', "leads.json, item 1 (line 2): expected an object, got a number"),
        ('[["l-1", 0.5]]', "leads.json, item 0 (line 1): expected an object, got a list"),
    ],
)
def test_json_must_be_a_list_of_objects(text: str, message: str) -> None:
    assert str(error_of(json_table, text)) == message


# ------------------------------------------------------------------------- validation


def test_coerce_table_types_and_defaults() -> None:
    table = csv_table(
        "id,name,skills,level,max_active_leads,active_leads,available\n"
        "m-1,Anna,mortgage;loans,senior,10,,\n"
        "m-2,,,,5,2,false\n",
        source="managers.csv",
    )
    anna, ben = coerce_table(table, fl.Manager, "manager")
    assert anna.skills == frozenset({"mortgage", "loans"})
    assert (anna.active_leads, anna.available, anna.level) == (0, True, fl.Level.SENIOR)
    assert (ben.name, ben.skills, ben.level, ben.available) == (
        None,
        frozenset(),
        fl.Level.MIDDLE,
        False,
    )


def test_json_null_means_the_default() -> None:
    table = json_table('[{"id": "m-1", "max_active_leads": 3, "active_leads": null}]')
    (manager,) = coerce_table(table, fl.Manager, "manager")
    assert manager.active_leads == 0


@pytest.mark.parametrize(
    ("text", "message", "where"),
    [
        (
            "id,score\nl-1,0.5\nl-2,abc\n",
            "leads.csv, line 3, column 'score': Input should be a valid number, "
            "unable to parse string as a number, got 'abc'",
            (3, 1, "score", "abc"),
        ),
        (
            "id,score\nl-1,0.5\n\nl-2,1.5\n",
            "leads.csv, line 4, column 'score': Input should be less than or equal to 1, got '1.5'",
            (4, 1, "score", "1.5"),
        ),
        (
            "id,score\nl-1,0.5\nl-2,\n",
            "leads.csv, line 3, column 'score': a value is required, got an empty cell",
            (3, 1, "score", None),
        ),
        (
            "id,score\nl-1,0.5\nl-2,0.3\nl-1,0.4\n",
            "leads.csv, line 4, column 'id': duplicate lead id 'l-1', first on line 2",
            (4, 2, "id", "l-1"),
        ),
        (
            "id,score,tier\nl-1,0.5,boiling\n",
            "leads.csv, line 2, column 'tier': Input should be 'hot', 'warm' or 'cold', "
            "got 'boiling'",
            (2, 0, "tier", "boiling"),
        ),
    ],
)
def test_bad_csv_record_names_file_line_column_value(
    text: str, message: str, where: tuple[int, int, str, object]
) -> None:
    err = error_of(coerce_table, csv_table(text), fl.Lead, "lead")
    assert str(err) == message
    assert (err.line, err.row, err.field, err.value) == where
    assert isinstance(err, fl.InputError)
    assert err.source == "leads.csv"


def test_negative_capacity_in_a_manager_file() -> None:
    table = csv_table("id,max_active_leads\nm-1,4\nm-2,-3\n", source="managers.csv")
    err = error_of(coerce_table, table, fl.Manager, "manager")
    assert str(err) == (
        "managers.csv, line 3, column 'max_active_leads': "
        "Input should be greater than or equal to 0, got '-3'"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "id,scor\nl-1,0.5\n",
            "leads.csv, line 1, column 'scor': unknown lead column (did you mean 'score'?); "
            "lead columns are id, score, tier, product, source, deal_value, created_at, "
            "effort, segment",
        ),
        (
            "id,product\nl-1,cards\n",
            "leads.csv, line 1: missing required column 'score' (the header has id, product)",
        ),
        (
            "l-1,0.5\nl-2,0.4\n",
            "leads.csv, line 1: expected a header line naming the lead columns (id, score, tier, "
            "product, source, deal_value, created_at, effort, segment), got 'l-1,0.5'",
        ),
        (
            "id;score\nl-1;0.5\n",
            "leads.csv, line 1: expected a header line naming the lead columns (id, score, tier, "
            "product, source, deal_value, created_at, effort, segment), got 'id;score'",
        ),
        ("id,score\n", "leads.csv: no leads given; at least one is needed"),
    ],
)
def test_bad_csv_header(text: str, message: str) -> None:
    assert str(error_of(coerce_table, csv_table(text), fl.Lead, "lead")) == message


@pytest.mark.parametrize(
    ("text", "message", "where"),
    [
        (
            '[{"id": "l-1", "score": 0.5},\n {"id": "l-2", "score": "high"}]',
            "leads.json, item 1 (line 2), field 'score': Input should be a valid number, "
            'unable to parse string as a number, got "high"',
            (2, 1, "score", "high"),
        ),
        (
            '[{"id": "l-1", "score": 0.5},\n {"id": "l-2"}]',
            "leads.json, item 1 (line 2), field 'score': missing required field",
            (2, 1, "score", None),
        ),
        (
            '[{"id": "l-1", "score": 0.5, "scroe": 0.4}]',
            "leads.json, item 0 (line 1), field 'scroe': unknown lead field "
            "(did you mean 'score'?), got 0.4",
            (1, 0, "scroe", 0.4),
        ),
        (
            '[{"id": "l-1", "score": 0.5},\n {"id": "l-1", "score": 0.4}]',
            "leads.json, item 1 (line 2), field 'id': duplicate lead id \"l-1\", "
            "first on item 0 (line 1)",
            (2, 1, "id", "l-1"),
        ),
    ],
)
def test_bad_json_record_names_item_field_value(
    text: str, message: str, where: tuple[int, int, str, object]
) -> None:
    err = error_of(coerce_table, json_table(text), fl.Lead, "lead")
    assert str(err) == message
    assert (err.line, err.item, err.field, err.value) == where


# ----------------------------------------------------------------------------- policy


def test_policy_from_json() -> None:
    policy = parse_policy('{"balance_tolerance": null, "hot_min_level": "senior"}', source="p.json")
    assert policy.balance_tolerance is None
    assert policy.hot_min_level is fl.Level.SENIOR


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '{\n  "target_share": "capacity",\n  "balance_tolerance": "wide"\n}',
            "policy.json, line 3, field 'balance_tolerance': Input should be a valid number, "
            'unable to parse string as a number, got "wide"',
        ),
        (
            '{\n  "hot_treshold": 0.7\n}',
            "policy.json, line 2, field 'hot_treshold': unknown policy field "
            "(did you mean 'hot_threshold'?), got 0.7",
        ),
        (
            '{"warm_threshold": 0.9}',
            "policy.json: warm_threshold (0.9)",
        ),
        ("[]", "policy.json: expected a JSON object of policy settings, got a list"),
        ('{"seed": 1,}', "policy.json, line 1, column 12: invalid JSON: "),
    ],
)
def test_bad_policy(text: str, message: str) -> None:
    assert str(error_of(parse_policy, text, source="policy.json")).startswith(message)


# ------------------------------------------------------------------------ assign_files


def test_assign_files_maps_a_product_no_one_sells_to_its_line(tmp_path: Path) -> None:
    leads = tmp_path / "leads.csv"
    managers = tmp_path / "managers.json"
    leads.write_text("id,score,product\nl-1,0.5,cards\nl-2,0.4,boats\n")
    managers.write_text('[{"id": "m-1", "skills": ["cards"], "max_active_leads": 5}]')
    err = error_of(assign_files, leads, managers)
    assert str(err).startswith(f"{leads}, line 3, column 'product': ")
    assert "'boats'" in str(err)
    assert "(row " not in str(err)  # the record's 0-based row would only confuse here
    assert (err.line, err.row, err.field, err.value) == (3, 1, "product", "boats")


def test_assign_files_runs_the_solver(tmp_path: Path) -> None:
    leads = tmp_path / "leads.json"
    managers = tmp_path / "managers.csv"
    policy = tmp_path / "policy.json"
    leads.write_text('[{"id": "l-1", "score": 0.8}, {"id": "l-2", "score": 0.2}]')
    managers.write_text("id,level,max_active_leads\nanna,senior,5\nben,trainee,5\n")
    policy.write_text('{"balance_tolerance": 0.0}')
    plan = assign_files(leads, managers, policy)
    assert plan.assignments == {"l-1": "anna", "l-2": "ben"}


# ---------------------------------------------------------------------------- writing


RECORDS = [
    {"lead_id": "l-1", "manager_id": "m-1", "expected_value": 0.25, "ok": True},
    {"lead_id": "l,2", "manager_id": None, "expected_value": 0.0, "ok": False},
]


def test_render_csv_and_json() -> None:
    assert render_records(RECORDS, "csv") == (
        'lead_id,manager_id,expected_value,ok\nl-1,m-1,0.25,true\n"l,2",,0.0,false\n'
    )
    assert json.loads(render_records(RECORDS, "json")) == RECORDS


def test_render_json_of_model_values() -> None:
    record = {
        "when": datetime(2026, 1, 2, 3, 4),
        "level": fl.Level.SENIOR,
        "skills": frozenset({"b", "a"}),
    }
    assert json.loads(render_records([record], "json")) == [
        {"when": "2026-01-02T03:04:00", "level": "senior", "skills": ["a", "b"]}
    ]


@pytest.mark.parametrize("name", ["plan.csv", "plan.json"])
def test_write_and_read_back(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    write_records(path, RECORDS)
    back = read_table(path).records
    assert [r["lead_id"] for r in back] == ["l-1", "l,2"]
    assert back[1]["manager_id"] is None
    assert sorted(os.listdir(tmp_path)) == [name]


def test_write_replaces_atomically_and_cleans_up_on_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "plan.csv"
    path.write_text("old\n")

    def fail(src: str, dst: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(_files.os, "replace", fail)
    err = error_of(write_records, path, RECORDS)
    assert str(err) == f"{path}: cannot write: Permission denied"
    assert path.read_text() == "old\n"
    assert os.listdir(tmp_path) == ["plan.csv"]


def test_write_to_a_missing_directory(tmp_path: Path) -> None:
    path = tmp_path / "nope" / "plan.json"
    err = error_of(write_records, path, RECORDS)
    assert str(err) == f"{path}: cannot write: directory '{path.parent}' does not exist"


def test_write_unknown_suffix_writes_nothing(tmp_path: Path) -> None:
    error_of(write_records, tmp_path / "plan.xlsx", RECORDS)
    assert os.listdir(tmp_path) == []


def test_written_file_gets_normal_permissions(tmp_path: Path) -> None:
    path = tmp_path / "plan.csv"
    write_records(path, RECORDS)
    mask = os.umask(0)
    os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~mask


# ---------------------------------------------------------------------------- datasets


def test_load_demo() -> None:
    demo = load_demo()
    assert isinstance(demo, Demo)
    assert (len(demo.leads), len(demo.managers)) == (200, 8)
    assert repr(demo) == "Demo(200 leads, 8 managers)"
    lead, manager = demo.leads[0], demo.managers[-1]
    assert set(lead) == {"id", "score", "tier", "product", "source", "deal_value", "created_at"}
    assert isinstance(lead["score"], float)
    assert isinstance(lead["created_at"], datetime)
    assert manager["available"] is False
    assert manager["level"] == "middle"
    assert demo.policy.balance_tolerance == 0.1
    assert len({lead["id"] for lead in demo.leads}) == 200
    demo.leads.clear()
    assert len(load_demo().leads) == 200
