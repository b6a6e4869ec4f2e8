"""The shared readers of the input layer: times, cells, rows; the router's checks use them."""

from datetime import UTC, date, datetime, timedelta, timezone

import numpy as np
import pandas as pd
import pytest

import fairlead as fl
from fairlead.records import Rows, epoch_seconds, is_missing, read_time

T0 = datetime(2024, 6, 3, 9, 0, tzinfo=UTC)
TEAM = [{"id": "a", "max_active_leads": 5}]

# -- times ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        datetime(2024, 5, 1, 10, 0),
        datetime(2024, 5, 1, 12, 0, tzinfo=timezone(timedelta(hours=2))),
        "2024-05-01T10:00:00",
        " 2024-05-01T12:00:00+02:00 ",
        np.datetime64("2024-05-01T10:00"),
        pd.Timestamp("2024-05-01 10:00", tz="UTC"),
    ],
)
def test_a_moment_reads_as_naive_utc(value):
    assert read_time(value) == datetime(2024, 5, 1, 10, 0)


def test_a_date_is_its_midnight_and_missing_is_none():
    assert read_time(date(2024, 5, 1)) == datetime(2024, 5, 1)
    for missing in (None, float("nan"), np.datetime64("NaT"), pd.NaT):
        assert read_time(missing) is None


@pytest.mark.parametrize("value", ["soon", 5, [2024, 5, 1]])
def test_anything_else_is_an_input_error_naming_the_field(value):
    with pytest.raises(fl.InputError, match=r"^created_at must be a datetime") as caught:
        read_time(value, "created_at", row=3, field="created_at")
    assert (caught.value.row, caught.value.field, caught.value.value) == (3, "created_at", value)


def test_epoch_seconds_reads_a_naive_time_as_utc():
    assert epoch_seconds(datetime(1970, 1, 1, 1)) == 3600.0
    assert epoch_seconds(datetime(1970, 1, 1, 3, tzinfo=timezone(timedelta(hours=2)))) == 3600.0


def test_cells_and_rows():
    assert [is_missing(v) for v in (pd.NA, pd.NaT, np.float32("nan"), "", 0)] == [
        True,
        True,
        True,
        False,
        False,
    ]
    frame = pd.DataFrame({0: [1, 2], "id": [7.0, 8.0]})
    rows = Rows(frame)
    assert rows.names == ["0", "id"]
    assert rows.column("0").tolist() == [1, 2]
    assert rows.who(1) == "lead '8' (row 1)"
    with pytest.raises(fl.InputError, match=r"^lead row 1 must be a dict, got int$"):
        Rows([{"id": 1}, 5])
    with pytest.raises(fl.InputError, match=r"^records must be a list of dicts or a DataFrame"):
        Rows({"id": [1]})
    with pytest.raises(fl.InputError, match=r"^lead 'l' \(row 0\): 'at' must be a datetime"):
        Rows([{"id": "l", "at": "later"}]).times("at")


# -- the router's checks are InputErrors ---------------------------------------------------


@pytest.mark.parametrize(
    ("options", "field", "message"),
    [
        ({"store": ":memory:"}, "store", r"^store=':memory:' would not persist anything"),
        ({"store": 5}, "store", r"^store must be a file path"),
        ({"sla": 5}, "sla", r"^sla must be a timedelta, a mapping"),
        ({"sla": {"lukewarm": timedelta(hours=1)}}, "sla", r"^sla names an unknown tier"),
        ({"max_hold": timedelta(0)}, "max_hold", r"^max_hold must be positive, got 0:00:00$"),
        ({"share_half_life": 3}, "share_half_life", r"^share_half_life must be a timedelta"),
        ({"catch_up": 3}, "catch_up", r"^catch_up must be a CatchUp or a dict, got int$"),
        ({"absences": {"manager_id": "a"}}, "absences", r"^absences must be a list"),
    ],
)
def test_router_settings_raise_input_errors(options, field, message):
    with pytest.raises(fl.InputError, match=message) as caught:
        fl.Router(TEAM, **options)
    assert caught.value.field == field


def test_router_calls_raise_input_errors():
    router = fl.Router(TEAM)
    with pytest.raises(fl.InputError, match=r"^now must be a datetime, got str") as caught:
        router.route({"id": "l", "score": 0.5}, "2024-06-03")  # type: ignore[arg-type]
    assert (caught.value.field, caught.value.value) == ("now", "2024-06-03")
    with pytest.raises(fl.InputError, match=r"^now must be a datetime between"):
        router.route({"id": "l", "score": 0.5}, datetime(1800, 1, 1))
    with pytest.raises(fl.InputError, match=r"^lead must be a Lead or a dict, got list$"):
        router.route([("id", "l")], T0)
    with pytest.raises(fl.InputError, match=r"^pause reason must be a string") as caught:
        router.pause("a", T0, 5)  # type: ignore[arg-type]
    assert caught.value.field == "reason"
    with pytest.raises(fl.InputError, match=r"^value of lead 'l' .*must be finite") as caught:
        router.route({"id": "l", "score": 0.5}, T0, value=[float("inf")])
    assert caught.value.field == "value"
    with pytest.raises(fl.InputError, match=r"^lead id must not be empty, got str ' '$"):
        router.decision(" ")
    router.close()


def test_a_frame_with_a_column_twice_is_refused():
    frame = pd.DataFrame([["l1", 0.5, 0.9], ["l2", 0.4, 0.1]], columns=["id", "score", "score"])
    with pytest.raises(
        fl.InputError, match=r"^leads have the column 'score' twice \(positions 1, 2\)$"
    ):
        fl.assign(frame, [{"id": "m", "max_active_leads": 5}])


def test_mixed_customer_ids_name_the_odd_value():
    from fairlead.records import customer_ids

    with pytest.raises(
        fl.InputError,
        match=r"^customer_id must hold strings or integers of one kind, got a mix of bool, str "
        r"\(row 1: True\)$",
    ):
        customer_ids(np.array(["c1", True, "c2"], dtype=object), "customer_id")


def test_model_values_of_the_wrong_shape_are_an_input_error():
    with pytest.raises(fl.InputError, match=r"model values must have shape \(1, 1\) .*\(3, 2\)"):
        fl.assign(
            [{"id": "l", "score": 0.5}], [{"id": "m", "max_active_leads": 1}], model=np.ones((3, 2))
        )
