"""The event log as docs/kpi.md states it: data-quality rules, bad cells, the schema, time zones."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from fairlead import InputError, kpi
from fairlead.kpi import EVENT_TYPES, EventLog, lead_table, uses
from fairlead.records import FileError

HEADER = ["event_id", "type", "at", "lead_id", "client_id", "manager_id", "csat", "amount"]


def exact(message: str) -> str:
    """A pattern matching ``message`` whole."""
    return f"^{re.escape(message)}$"


def write_csv(folder: Path, rows: list[list[str]], name: str = "events.csv") -> Path:
    path = folder / name
    lines = [",".join(HEADER)] + [",".join(row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_json(folder: Path, rows: list[dict[str, Any]], name: str = "events.json") -> Path:
    """One item per line: item k starts on line k + 2."""
    path = folder / name
    path.write_text("[\n" + ",\n".join(json.dumps(r) for r in rows) + "\n]\n", encoding="utf-8")
    return path


def life() -> list[dict[str, Any]]:
    """A lead's life in order: created, assigned, contacted, won."""
    return [
        {"type": "created", "at": "2026-11-02T09:00", "lead_id": "l-1"},
        {"type": "assigned", "at": "2026-11-02T09:02", "lead_id": "l-1", "manager_id": "m-1"},
        {"type": "contacted", "at": "2026-11-02T09:10", "lead_id": "l-1"},
        {"type": "won", "at": "2026-11-03T12:00", "lead_id": "l-1", "amount": 100},
    ]


def kinds(log: EventLog) -> list[str]:
    return [EVENT_TYPES[k] for k in log.kind]


# ------------------------------------------------------------------ data-quality rules


def test_rows_out_of_time_order_are_sorted_and_counted() -> None:
    log = EventLog.from_records(life()[::-1])
    assert kinds(log) == ["created", "assigned", "contacted", "won"]
    assert np.all(np.diff(log.at) >= 0)
    assert log.row.tolist() == [3, 2, 1, 0]  # where each came from
    finding = log.quality.get("rows_out_of_order")
    assert finding is not None
    assert finding.count == 3
    assert "3 rows come earlier in time than the row before them" in finding.message
    assert EventLog.from_records(life()).quality.ok


def test_rows_at_the_same_moment_keep_the_life_order() -> None:
    moment = "2026-11-02T09:00"
    rows = [{**row, "at": moment} for row in life()[::-1]]
    log = EventLog.from_records(rows)
    assert kinds(log) == ["created", "assigned", "contacted", "won"]
    assert log.quality.get("rows_out_of_order") is None  # equal moments are in order


def test_an_exact_duplicate_is_counted_once() -> None:
    rows = life()
    log = EventLog.from_records([*rows, dict(rows[2]), dict(rows[2])])
    assert len(log) == 4
    finding = log.quality.get("duplicate_events")
    assert finding is not None
    assert finding.count == 2
    assert finding.examples == ("event row 4", "event row 5")
    assert "2 rows repeat an earlier row exactly (e.g. event row 4)" in finding.message


def test_the_same_event_id_and_content_twice_is_one_event() -> None:
    rows = [{**row, "event_id": f"e-{k}"} for k, row in enumerate(life())]
    log = EventLog.from_records([*rows, dict(rows[1])])
    assert len(log) == 4
    assert log.quality.get("duplicate_events") is not None


def test_a_duplicate_is_found_past_an_equal_event_with_another_id() -> None:
    # Two genuine events with equal content (ids e-1, e-2), and e-1 exported twice.
    row = {"type": "touch_done", "at": "2026-11-02T10:00", "client_id": "c", "manager_id": "m"}
    rows = [{**row, "event_id": "e-1"}, {**row, "event_id": "e-2"}, {**row, "event_id": "e-1"}]
    log = EventLog.from_records(rows)
    assert len(log) == 2
    assert sorted(log.event_id.tolist()) == ["e-1", "e-2"]
    assert log.quality.get("duplicate_events") is not None


def test_the_same_event_id_with_other_content_is_refused_naming_both_lines(
    tmp_path: Path,
) -> None:
    path = write_csv(
        tmp_path,
        [
            ["e-1", "created", "2026-11-02T09:00", "l-1", "", "", "", ""],
            ["e-2", "assigned", "2026-11-02T09:01", "l-1", "", "m-1", "", ""],
            ["e-1", "created", "2026-11-02T09:05", "l-1", "", "", "", ""],
        ],
    )
    message = (
        "events.csv, line 4, column 'event_id': the same event id as events.csv, line 2 "
        "with other content, got 'e-1'"
    )
    with pytest.raises(FileError, match=exact(message)) as error:
        kpi.read_events(path)
    assert (error.value.line, error.value.field, error.value.value) == (4, "event_id", "e-1")


def test_events_for_a_lead_never_created_are_kept_without_a_time_to_assign() -> None:
    rows = [
        {"type": "assigned", "at": "2026-11-02T09:02", "lead_id": "old", "manager_id": "m-1"},
        {"type": "contacted", "at": "2026-11-02T09:12", "lead_id": "old"},
    ]
    log = EventLog.from_records(rows)
    finding = log.quality.get("unknown_leads")
    assert finding is not None
    assert (finding.count, finding.examples) == (1, ("old",))
    leads = lead_table(log)
    assert np.isnan(leads.created_at[0])
    kpis = kpi.compute(log, "week")
    assert np.isnan(kpis.value("assign_p50"))
    assert kpis.value("response_p50") == 10.0  # still answered 10 minutes after assignment


@pytest.mark.parametrize("assigned", [True, False])
def test_a_contact_before_or_without_an_assignment_gets_no_response_time(assigned: bool) -> None:
    rows = [
        {"type": "created", "at": "2026-11-02T09:00", "lead_id": "l-1"},
        {"type": "contacted", "at": "2026-11-02T09:05", "lead_id": "l-1", "manager_id": "m-1"},
    ]
    if assigned:
        rows.append(
            {"type": "assigned", "at": "2026-11-02T09:30", "lead_id": "l-1", "manager_id": "m-1"}
        )
    log = EventLog.from_records(rows)
    code = "contact_before_assignment" if assigned else "contact_without_assignment"
    finding = log.quality.get(code)
    assert finding is not None
    assert (finding.count, finding.examples) == (1, ("l-1",))
    assert len(log.quality.findings) == 1
    leads = lead_table(log)
    assert not np.isnan(leads.contacted_at[0])  # the contact is kept
    assert np.isnan(leads.response_from[0])  # but it measures nothing
    kpis = kpi.compute(log, "week")
    assert np.isnan(kpis.value("response_p50"))
    assert kpis.value("sla_0_5") == 0.0


def test_a_lead_closed_twice_counts_its_first_close() -> None:
    rows = [
        *life(),
        {"type": "lost", "at": "2026-11-04T12:00", "lead_id": "l-1", "reason": "no budget"},
    ]
    log = EventLog.from_records(rows)
    finding = log.quality.get("closed_twice")
    assert finding is not None
    assert (finding.count, finding.examples) == (1, ("l-1",))
    assert "the first close counts" in finding.message
    leads = lead_table(log)
    assert leads.outcome[0] == 1
    assert leads.closed_at[0] == log.at[3]
    kpis = kpi.compute(log, "week")
    assert (kpis.value("won"), kpis.value("lost"), kpis.value("revenue")) == (1.0, 0.0, 100.0)


def test_events_after_now_are_refused(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path,
        [
            ["", "created", "2026-11-02T09:00", "l-1", "", "", "", ""],
            ["", "assigned", "2026-11-02T11:00", "l-1", "", "m-1", "", ""],
        ],
    )
    message = (
        "events.csv, line 3, column 'at': is after now (2026-11-02T10:00:00): the log "
        "cannot know the future, got '2026-11-02T11:00'"
    )
    with pytest.raises(FileError, match=exact(message)):
        kpi.read_events(path, now="2026-11-02T10:00")
    assert len(kpi.read_events(path, now="2026-11-02T11:00")) == 2
    with pytest.raises(InputError, match=r"^event row 1, field 'at': is after now"):
        EventLog.from_records(life(), now="2026-11-02T09:01")
    log = kpi.read_events(path)
    with pytest.raises(InputError, match=r"now \(2026-11-02T10:30:00\) is before the log's last"):
        kpi.compute(log, now="2026-11-02T10:30")


# ------------------------------------------------------------------ bad cells

BAD_CELLS = [
    ("csat", "7", 7, "must be a whole number from 1 to 5"),
    ("csat", "4.5", 4.5, "must be a whole number from 1 to 5"),
    ("amount", "-1", -1, "must be a number >= 0"),
    ("amount", "lots", "lots", "must be a number"),
    ("at", "yesterday", "yesterday", "must be a datetime, a date or ISO 8601 text"),
    ("lead_id", "1.5", 1.5, "must be text or a whole number"),  # text "1.5" is an id
]


def bad_row(column: str, value: Any) -> dict[str, Any]:
    row: dict[str, Any] = {"type": "feedback", "at": "2026-11-02T10:00", "lead_id": "l-1"}
    row["csat"] = 4
    if column == "amount":
        row = {"type": "won", "at": "2026-11-02T10:00", "lead_id": "l-1"}
    row[column] = value
    return row


@pytest.mark.parametrize(("column", "text", "value", "problem"), BAD_CELLS[:-1])
def test_a_bad_cell_in_a_csv_file_names_file_line_column_and_value(
    tmp_path: Path, column: str, text: str, value: Any, problem: str
) -> None:
    row = {k: str(v) for k, v in bad_row(column, text).items()}
    good = ["", "created", "2026-11-02T09:00", "l-1", "", "", "", ""]
    path = write_csv(tmp_path, [good, [row.get(name, "") for name in HEADER]])
    message = f"events.csv, line 3, column '{column}': {problem}, got '{text}'"
    with pytest.raises(FileError, match=exact(message)) as error:
        kpi.read_events(path)
    assert (error.value.line, error.value.field, error.value.value) == (3, column, text)


@pytest.mark.parametrize(("column", "text", "value", "problem"), BAD_CELLS)
def test_a_bad_cell_in_a_json_file_names_file_item_line_field_and_value(
    tmp_path: Path, column: str, text: str, value: Any, problem: str
) -> None:
    good = {"type": "created", "at": "2026-11-02T09:00", "lead_id": "l-1"}
    path = write_json(tmp_path, [good, bad_row(column, value)])
    message = f"events.json, item 1 (line 3), field '{column}': {problem}, got {value!r}"
    with pytest.raises(FileError, match=exact(message)) as error:
        kpi.read_events(path)
    assert (error.value.line, error.value.field, error.value.value) == (3, column, value)


@pytest.mark.parametrize("frame", [False, True])
@pytest.mark.parametrize(("column", "text", "value", "problem"), BAD_CELLS)
def test_a_bad_cell_in_records_or_a_frame_names_row_field_and_value(
    frame: bool, column: str, text: str, value: Any, problem: str
) -> None:
    rows = [{"type": "created", "at": "2026-11-02T09:00", "lead_id": "l-1"}, bad_row(column, value)]
    given: Any = pd.DataFrame(rows) if frame else rows
    with pytest.raises(
        InputError, match=f"^event row 1, field '{column}': {problem}, got "
    ) as error:
        EventLog.from_records(given)
    assert (error.value.row, error.value.field) == (1, column)


# ------------------------------------------------------------------ the schema

#: A valid row of each type with only what the type needs (feedback: lead_id and csat).
NEEDS: dict[str, dict[str, Any]] = {
    "created": {"lead_id": "l"},
    "assigned": {"lead_id": "l", "manager_id": "m"},
    "contacted": {"lead_id": "l"},
    "stage": {"lead_id": "l", "stage": "meeting"},
    "won": {"lead_id": "l"},
    "lost": {"lead_id": "l"},
    "feedback": {"lead_id": "l", "csat": 5},
    "purchase": {"client_id": "c", "amount": 10},
    "touch_planned": {"client_id": "c", "manager_id": "m"},
    "touch_done": {"client_id": "c", "manager_id": "m"},
}


def row_of(kind: str, **extra: Any) -> dict[str, Any]:
    return {"type": kind, "at": "2026-11-02T10:00", **NEEDS[kind], **extra}


@pytest.mark.parametrize("kind", EVENT_TYPES)
def test_each_type_reads_with_what_it_needs(kind: str) -> None:
    assert EventLog.from_records([row_of(kind)]).count(kind) == 1


REQUIRED = [
    (kind, column)
    for kind in EVENT_TYPES
    for column in NEEDS[kind]
    if uses(kind, column) == "required"
]


@pytest.mark.parametrize(("kind", "column"), REQUIRED)
@pytest.mark.parametrize("absent", [False, True])
def test_a_missing_required_value_is_refused(kind: str, column: str, absent: bool) -> None:
    row = row_of(kind)
    if absent:  # the column is not in the table at all
        del row[column]
    else:  # the column is there, the cell empty
        row[column] = None
    article = "an" if column[0] in "aeiou" else "a"
    kind_article = "an" if kind[0] in "aeiou" else "a"
    message = (
        f"^event row 0, field '{column}': {kind_article} '{kind}' event needs {article} {column}$"
    )
    with pytest.raises(InputError, match=message):
        EventLog.from_records([row])


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (("lead_id",), "a 'feedback' event needs lead_id or client_id"),
        (("csat",), "a 'feedback' event needs csat or nps or complaint"),
    ],
)
def test_feedback_needs_one_of_its_columns(options: tuple[str, ...], message: str) -> None:
    row = row_of("feedback")
    for column in options:
        del row[column]
    with pytest.raises(InputError, match=f": {message}$"):
        EventLog.from_records([row])
    row = row_of("feedback", client_id="c", nps=9)
    del row["lead_id"], row["csat"]
    assert EventLog.from_records([row]).count("feedback") == 1


@pytest.mark.parametrize(
    ("kind", "column", "value"),
    [
        ("contacted", "amount", 1200),
        ("created", "manager_id", "m-1"),
        ("purchase", "lead_id", "l-1"),
        ("touch_done", "csat", 5),
        ("won", "stage", "meeting"),
        ("lost", "deal_value", 10),
    ],
)
def test_a_value_in_a_column_the_type_does_not_use_is_refused(
    kind: str, column: str, value: Any
) -> None:
    article = "an" if kind[0] in "aeiou" else "a"
    message = (
        f"^event row 0, field '{column}': {article} '{kind}' event has no {column}, got {value!r}$"
    )
    with pytest.raises(InputError, match=message):
        EventLog.from_records([row_of(kind, **{column: value})])


def test_an_unknown_column_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"^column 'colour' is not part of the event log"):
        EventLog.from_records([row_of("won", colour="red")])
    path = tmp_path / "events.csv"
    path.write_text("type,at,lead_id,colour\nwon,2026-11-02,l-1,\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"^events\.csv: column 'colour' is not part of the event"):
        kpi.read_events(path)


def test_an_unknown_type_is_refused_naming_the_line(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path,
        [
            ["", "created", "2026-11-02T09:00", "l-1", "", "", "", ""],
            ["", "called", "2026-11-02T09:05", "l-1", "", "", "", ""],
        ],
    )
    message = (
        "events.csv, line 3, column 'type': must be one of created, assigned, contacted, "
        "stage, won, lost, feedback, purchase, touch_planned, touch_done, got 'called'"
    )
    with pytest.raises(FileError, match=exact(message)):
        kpi.read_events(path)


def test_types_and_labels_follow_the_label_rule() -> None:
    rows = [
        {"type": "Touch Done", "at": "2026-11-02", "client_id": "c", "manager_id": "m"},
        {"type": "touch-done", "at": "2026-11-03", "client_id": "c", "manager_id": "m"},
        {"type": "STAGE", "at": "2026-11-03", "lead_id": "l", "stage": "Meeting"},
        {"type": "stage", "at": "2026-11-04", "lead_id": "l", "stage": "meeting "},
    ]
    log = EventLog.from_records(rows)
    assert log.count("touch_done") == 2
    assert log.labels["stage"][1] == ("Meeting",)


def test_ids_follow_the_id_rule() -> None:
    rows = [
        {"type": "assigned", "at": "2026-11-02", "lead_id": 123, "manager_id": " m-1 "},
        {"type": "contacted", "at": "2026-11-03", "lead_id": "123", "manager_id": "m-1"},
        {"type": "won", "at": "2026-11-04", "lead_id": 123.0},
    ]
    log = EventLog.from_records(rows)
    assert log.lead_ids == ("123",)
    assert log.manager_ids == ("m-1",)


# ------------------------------------------------------------------ time zones


def test_offsets_z_and_naive_times_are_one_utc_moment(tmp_path: Path) -> None:
    moments = ["2026-11-02T12:00:00+03:00", "2026-11-02T09:00:00Z", "2026-11-02T09:00:00"]
    rows = [
        {"type": "touch_done", "at": at, "client_id": f"c-{k}", "manager_id": "m"}
        for k, at in enumerate(moments)
    ]
    log = EventLog.from_records(rows)
    expected = int(np.datetime64("2026-11-02T09:00:00", "s").astype(np.int64))
    assert log.at.tolist() == [expected] * 3
    path = write_csv(
        tmp_path,
        [["", "touch_done", at, "", f"c-{k}", "m", "", ""] for k, at in enumerate(moments)],
    )
    assert kpi.read_events(path).at.tolist() == [expected] * 3
    assert str(log.start) == "2026-11-02 09:00:00"


def test_columns_of_numpy_arrays_read_like_records() -> None:
    rows = life()
    columns = {name: [row.get(name) for row in rows] for name in ("type", "at", "lead_id")}
    columns["manager_id"] = [row.get("manager_id", "") for row in rows]
    arrays = {name: np.array(values, dtype=object) for name, values in columns.items()}
    arrays["type"] = np.array(columns["type"])  # numpy text
    log = EventLog.from_columns(arrays)
    assert kinds(log) == ["created", "assigned", "contacted", "won"]
    assert log.manager_ids == ("m-1",)
    assert log.manager.tolist() == [-1, 0, -1, -1]


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("lead_id", {"x": 1}, r"event row 0, field 'lead_id': must be text or a whole number"),
        ("type", ["created"], r"event row 0, field 'type': must be text, got \['created'\]"),
        ("product", {"a": 1}, r"event row 0, field 'product': must be text"),
    ],
)
def test_a_list_or_dict_in_a_cell_is_refused_by_its_column(column, value, message):
    row = {"event_id": "e1", "type": "created", "at": "2026-11-01T00:00:00Z", "lead_id": "x"}
    with pytest.raises(InputError, match=message):
        kpi.EventLog.from_records([{**row, column: value}])
    with pytest.raises(InputError, match=r"plan row 0, field 'manager_id': must be text"):
        kpi.SalesPlan.from_records([{"period": "2026-11", "manager_id": ["a"], "revenue": 5}])
