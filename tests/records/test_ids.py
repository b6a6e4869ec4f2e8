"""The id rule (fairlead.records.read_id): one reading of an id at every entry point."""

import json
import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import fairlead as fl
from fairlead.records import MAX_ID_LENGTH, FileError, read_id, read_ids, read_leads
from fairlead.scoring import ConversionModel, manager_performance
from fairlead.scoring._rule_points import rule_breakdown

WRONG = "must be text or a whole number"
T0 = datetime(2024, 6, 3, 9, 0, tzinfo=UTC)  # a Monday

# -- the rule ------------------------------------------------------------------------------


@given(st.integers(min_value=-(10**30), max_value=10**30))
def test_an_integer_is_its_decimal_text(number):
    assert read_id(number) == str(number)
    if -(2**63) <= number < 2**63:
        assert read_id(np.int64(number)) == str(number)
    if -(2**53) <= number <= 2**53:
        assert read_id(float(number)) == str(number)  # a whole float reads as the int


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_a_float_is_read_only_when_whole_and_finite(number):
    if math.isfinite(number) and number.is_integer():
        assert read_id(number) == str(int(number))
        assert read_id(np.float64(number)) == str(int(number))
    else:
        with pytest.raises(fl.InputError, match=rf"^lead id {WRONG}, got float ") as caught:
            read_id(number, "lead id")
        assert caught.value.field is None
        assert caught.value.value is number


SPACE = st.text(alphabet=" \t\n\r\u00a0\u2003", max_size=3)
TEXT = st.text(min_size=1, max_size=MAX_ID_LENGTH).filter(
    lambda t: t == t.strip() and t and "\x00" not in t
)


@given(SPACE, TEXT, SPACE)
def test_text_is_kept_without_surrounding_whitespace(before, text, after):
    assert read_id(before + text + after) == text
    assert read_id(read_id(before + text + after)) == text  # reading twice changes nothing


@given(
    st.lists(
        st.one_of(
            st.integers(min_value=-(10**6), max_value=10**6),
            st.integers(min_value=-(10**6), max_value=10**6).map(float),
            st.builds(lambda s, t: s + t + s, SPACE, TEXT),
        ),
        max_size=20,
    )
)
def test_a_column_reads_as_its_values_do(values):
    assert read_ids(values).tolist() == [read_id(v) for v in values]
    floats = [float(v) for v in values if not isinstance(v, str)]
    assert read_ids(np.array(floats)).tolist() == [read_id(v) for v in floats]
    assert read_ids(pd.Series(floats)).tolist() == [read_id(v) for v in floats]


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (123.5, "float 123.5"),
        (float("nan"), "float nan"),
        (float("inf"), "float inf"),
        (True, "bool True"),
        (np.bool_(False), "bool False"),
        (None, "NoneType None"),
        (b"123", "bytes b'123'"),
        (["123"], r"list \['123'\]"),
        (np.float32(0.5), "float 0.5"),
    ],
)
def test_other_values_are_refused(value, shown):
    with pytest.raises(fl.InputError, match=rf"^manager id {WRONG}, got {shown}$"):
        read_id(value, "manager id")


def test_empty_and_long_text_is_refused():
    with pytest.raises(fl.InputError, match=r"^id must not be empty, got str '  '$"):
        read_id("  ")
    assert read_id(" " + "x" * MAX_ID_LENGTH + " ") == "x" * MAX_ID_LENGTH
    with pytest.raises(fl.InputError, match=r"^id must be at most 200 characters"):
        read_id("x" * (MAX_ID_LENGTH + 1))


def test_a_column_names_the_row_of_a_refused_id():
    with pytest.raises(fl.InputError, match=rf"^manager id in row 2 {WRONG}, got bool True$") as e:
        read_ids(["a", 1, True], "manager id")
    assert e.value.row == 2
    with pytest.raises(fl.InputError, match=r"in row 1 .*got float 1\.5$"):
        read_ids(np.array([1.0, 1.5]))
    with pytest.raises(fl.InputError, match=r"in row 1 .*got float nan$"):
        read_ids(pd.Series([1.0, np.nan]))
    assert read_ids(np.array([2.0**60])).tolist() == [str(2**60)]  # beyond 2**53: one by one


# -- the same id through every entry point --------------------------------------------------

MANAGERS = [{"id": "m", "max_active_leads": 5}]


@pytest.mark.parametrize("given_id", [123, 123.0, " 123 ", np.int64(123), np.float64(123.0)])
def test_assign_reads_lead_and_manager_ids_by_the_rule(given_id):
    plan = fl.assign([{"id": given_id, "score": 0.5}], [{"id": given_id, "max_active_leads": 1}])
    assert plan.assignments == {"123": "123"}


def test_assign_reads_a_float_id_column_of_a_dataframe_as_integers():
    # A blank id in a CRM export turns the pandas column into floats: 123 reads 123.0.
    export = pd.DataFrame({"id": [123, None, 125], "score": [0.5, 0.6, 0.7]})
    leads = export.dropna(subset=["id"])
    assert leads["id"].dtype == np.float64
    plan = fl.assign(leads, pd.DataFrame({"id": [7.0, 8.0], "max_active_leads": [2, 2]}))
    assert set(plan.assignments) == {"123", "125"}
    assert set(plan.assignments.values()) <= {"7", "8"}
    same = fl.assign([{"id": 123, "score": 0.5}, {"id": "125", "score": 0.7}], MANAGERS)
    assert set(same.assignments) == set(plan.assignments)


def test_assign_refuses_ids_the_rule_refuses():
    for bad, shown in [(123.5, "123.5"), (float("nan"), "nan"), (True, "True")]:
        with pytest.raises(fl.InputError, match=rf"'id' {WRONG}, got {shown}$") as caught:
            fl.assign([{"id": "a", "score": 0.1}, {"id": bad, "score": 0.5}], MANAGERS)
        assert (caught.value.row, caught.value.field) == (1, "id")
    frame = pd.DataFrame({"id": [1.0, 2.5], "score": [0.5, 0.5]})
    with pytest.raises(fl.InputError, match=rf"^lead 2\.5 \(row 1\): 'id' {WRONG}, got 2\.5$"):
        fl.assign(frame, MANAGERS)


def test_ids_that_read_the_same_are_duplicates():
    with pytest.raises(fl.InputError, match=r"^duplicate lead id '7' \(rows 0 and 1\)$"):
        fl.assign([{"id": 7, "score": 0.5}, {"id": " 7 ", "score": 0.5}], MANAGERS)
    # text stays text: "7.0" is another id than 7
    assert set(
        fl.assign([{"id": 7, "score": 0.5}, {"id": "7.0", "score": 0.5}], MANAGERS).assignments
    ) == {"7", "7.0"}
    with pytest.raises(fl.InputError, match=r"^duplicate lead id '7' \(rows 0 and 1\)$"):
        fl.assign([{"id": 7, "score": 0.5}, {"id": 7.0, "score": 0.5}], MANAGERS)


def test_the_file_readers_read_ids_by_the_rule(tmp_path):
    csv = tmp_path / "leads.csv"
    csv.write_text("id,score\n 123 ,0.5\nl-2,0.4\n", encoding="utf-8")
    assert [lead.id for lead in read_leads(csv)] == ["123", "l-2"]
    doc = tmp_path / "leads.json"
    doc.write_text(json.dumps([{"id": 123.0, "score": 0.5}, {"id": " l-2 ", "score": 0.4}]))
    assert [lead.id for lead in read_leads(doc)] == ["123", "l-2"]
    doc.write_text(json.dumps([{"id": "a", "score": 0.5}, {"id": 123.5, "score": 0.4}]))
    with pytest.raises(FileError, match=rf"item 1 \(line 1\), field 'id': {WRONG}, got 123\.5$"):
        read_leads(doc)
    doc.write_text('[{"id": true, "score": 0.5}]')
    with pytest.raises(FileError, match=rf"field 'id': {WRONG}, got true$"):
        read_leads(doc)


@pytest.mark.parametrize("persistent", [False, True], ids=["memory", "sqlite"])
def test_the_router_reads_ids_by_the_rule(tmp_path, persistent):
    store = tmp_path / "ids.db" if persistent else None
    router = fl.Router([{"id": 7.0, "max_active_leads": 5}], sla=timedelta(hours=1), store=store)
    assert router.manager_ids_ == ["7"]
    decision = router.route({"id": 123.0, "score": 0.5}, T0)
    assert (decision.lead_id, decision.manager_id) == ("123", "7")
    assert router.decision(" 123 ") == router.decision(123) == router.decision(np.int64(123))
    router.contact(np.float64(123.0), T0 + timedelta(minutes=5))
    router.release(" 123 ", "won", T0 + timedelta(minutes=10))
    assert router.status(T0 + timedelta(hours=1))[0].released == 1
    router.pause(" 7 ", T0 + timedelta(hours=1))
    router.resume(7, T0 + timedelta(hours=2))
    for bad, shown in [(123.5, r"float 123\.5"), (float("nan"), "float nan"), (True, "bool True")]:
        with pytest.raises(fl.InputError, match=rf"^lead id {WRONG}, got {shown}$") as caught:
            router.release(bad, "won", T0 + timedelta(hours=2))
        assert caught.value.field == "lead_id"
        with pytest.raises(fl.InputError, match=rf"^manager id {WRONG}, got {shown}$"):
            router.pause(bad, T0 + timedelta(hours=2))
    router.close()


def test_manager_performance_reads_manager_ids_by_the_rule():
    history = pd.DataFrame(
        {"manager_id": [7, 7, 8, 8], "converted": [1, 0, 1, 1]}, dtype=np.float64
    )
    perf = manager_performance(history)
    assert perf.manager_ids == ("7", "8")
    mixed = manager_performance({"manager_id": [7, 7.0, " 8 ", "8"], "converted": [1, 0, 1, 1]})
    assert mixed.manager_ids == perf.manager_ids
    np.testing.assert_array_equal(mixed.conversion, perf.conversion)
    with pytest.raises(fl.InputError, match=rf"^manager id in row 1 {WRONG}, got float 7\.5$"):
        manager_performance({"manager_id": [7, 7.5], "converted": [1, 0]})


def test_conversion_model_reads_manager_ids_by_the_rule():
    rng = np.random.default_rng(0)
    X = {"x": rng.normal(size=60)}
    y = (rng.random(60) < 0.4).astype(int)
    model = ConversionModel().fit(X, y, managers=np.repeat([7.0, 8.0, 9.0], 20))
    assert model.manager_ids_.tolist() == ["7", "8", "9"]
    lead = {"x": np.array([0.3])}
    np.testing.assert_array_equal(
        model.predict_proba(lead, managers=[7, " 8 ", 9.0]),
        model.predict_proba(lead, managers=["7", "8", "9"]),
    )
    with pytest.raises(fl.InputError, match=rf"^manager id in row 0 {WRONG}, got float 7\.5$"):
        model.predict_proba(lead, managers=[7.5])


def test_rule_scoring_names_a_lead_by_its_id_as_the_rule_reads_it():
    lead = {"id": 7.0, "source": 5, "response_minutes": None}
    with pytest.raises(fl.InputError, match=r"^lead '7' \(row 0\): 'source' must be text"):
        rule_breakdown([lead], {"source": {"points": {"web": 1}}})
    frame = pd.DataFrame({"id": [" l-1 "], "source": [5]})
    with pytest.raises(fl.InputError, match=r"^lead 'l-1' \(row 0\): 'source' must be text"):
        rule_breakdown(frame, {"source": {"points": {"web": 1}}})


@pytest.mark.parametrize("asked", [123, 123.0, " 123 ", "123", np.int64(123)])
def test_a_plan_explains_a_lead_asked_for_by_the_rule(asked):
    plan = fl.assign([{"id": 123, "score": 0.5}], [{"id": 7, "max_active_leads": 1}])
    assert plan.explain(asked).manager_id == "7"


@pytest.mark.parametrize("asked", [124, 123.5, True, None])
def test_a_plan_names_an_id_it_does_not_hold(asked):
    plan = fl.assign([{"id": 123, "score": 0.5}], [{"id": 7, "max_active_leads": 1}])
    with pytest.raises(KeyError, match=r"no lead with id .* in this plan"):
        plan.explain(asked)


def test_an_absence_reads_its_manager_id_by_the_rule():
    absence = fl.Absence(manager_id=7.0, start="2026-01-05", end="2026-01-06")
    assert absence.manager_id == "7"
    with pytest.raises(ValueError, match="manager_id"):
        fl.Absence(manager_id=7.5, start="2026-01-05", end="2026-01-06")


@pytest.mark.parametrize("value", ["\x00", "a\x00", "\xa0\x00\xa0", "l-1\x00"])
def test_an_id_with_a_nul_character_is_refused(value):
    with pytest.raises(fl.InputError, match="must not contain a NUL character"):
        read_id(value, "lead id")
    with pytest.raises(fl.InputError, match="in row 1 must not contain a NUL character"):
        read_ids(["ok", value], "lead id")
