"""The online Router over time: working hours in time zones, absences, pauses, catch-up.

Availability is read through the public API only: ``Router.status(now).available`` and
where leads go. Instants are written in UTC next to the local time they stand for.
"""

from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest

import fairlead as fl

NSK = "Asia/Novosibirsk"  # UTC+7 all year
NYC = "America/New_York"  # EST UTC-5 / EDT UTC-4 (DST ends Sunday 2026-11-01)
BER = "Europe/Berlin"  # CET UTC+1 / CEST UTC+2 (2026-03-29 and 2026-10-25)
ALWAYS = {"mon-sun": "00:00-24:00"}


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def available(router, now):
    return {s.manager_id: s.available for s in router.status(now)}


def by_id(router, now):
    return {s.manager_id: s for s in router.status(now)}


def team(*names, cap=50):
    return [{"id": name, "max_active_leads": cap} for name in names]


def on_shift(week, moments, timezone="UTC"):
    """Availability of one manager with ``week`` at each moment (UTC datetimes)."""
    router = fl.Router(team("x"), hours={"x": {"timezone": timezone, "week": week}})
    return [available(router, t)["x"] for t in moments]


# ------------------------------------------------------------------ working hours


def test_managers_in_two_time_zones_are_routed_to_only_within_their_local_hours():
    hours = {
        "nsk": {"timezone": NSK, "week": {"mon-fri": "09:00-18:00"}},
        "nyc": fl.WorkingHours(timezone=NYC),  # default: mon-fri 09:00-18:00
    }
    router = fl.Router(team("nsk", "nyc"), {"balance_tolerance": None}, hours=hours)
    cases = [
        (utc(2026, 11, 2, 3, 0), "nsk"),  # NSK Mon 10:00; NY Sun 22:00
        (utc(2026, 11, 2, 15, 0), "nyc"),  # NSK Mon 22:00; NY Mon 10:00
        (utc(2026, 11, 2, 11, 30), None),  # NSK Mon 18:30; NY Mon 06:30
        (utc(2026, 11, 7, 3, 0), None),  # NSK Sat 10:00; NY Fri 22:00
        (utc(2026, 11, 6, 20, 0), "nyc"),  # NSK Sat 03:00; NY Fri 15:00
    ]
    for k, (now, expected) in enumerate(cases):
        d = router.route({"id": f"l{k}", "score": 0.5}, now, value=[0.9, 0.1])
        assert d.manager_id == expected, (now, d.reason)
        if expected is None:
            assert "2 qualified, 0 of them within working hours" in d.reason
    # the boundaries: NSK 09:00 = 02:00 UTC (on), 18:00 = 11:00 UTC (off, end excluded)
    assert available(router, utc(2026, 11, 2, 1, 59)) == {"nsk": False, "nyc": False}
    assert available(router, utc(2026, 11, 2, 2, 0))["nsk"]
    assert available(router, utc(2026, 11, 2, 10, 59))["nsk"]
    assert not available(router, utc(2026, 11, 2, 11, 0))["nsk"]
    # New York: 09:00 EST is 14:00 UTC after the DST change, 13:00 UTC before it
    assert not available(router, utc(2026, 11, 2, 13, 30))["nyc"]
    assert available(router, utc(2026, 11, 2, 14, 0))["nyc"]
    assert available(router, utc(2026, 10, 26, 13, 30))["nyc"]
    assert not available(router, utc(2026, 10, 26, 22, 0))["nyc"]  # 18:00 EDT


def test_waiting_leads_go_when_someone_comes_on_shift():
    hours = {"a": {"timezone": NSK, "week": {"mon-fri": "09:00-18:00"}}}
    router = fl.Router(team("a"), hours=hours)
    night = utc(2026, 11, 2, 0, 0)  # NSK 07:00
    assert router.route({"id": "l0", "score": 0.5}, night).manager_id is None
    assert router.route_waiting(utc(2026, 11, 2, 1, 59)) == []
    (d,) = router.route_waiting(utc(2026, 11, 2, 2, 0))
    assert (d.lead_id, d.manager_id, d.at) == ("l0", "a", utc(2026, 11, 2, 2, 0))


def test_overnight_spans_run_past_midnight():
    moments = [
        utc(2026, 11, 2, 23, 0),  # Mon 23:00 on
        utc(2026, 11, 3, 5, 59),  # Tue 05:59 on (Monday's night)
        utc(2026, 11, 3, 6, 0),  # Tue 06:00 off
        utc(2026, 11, 2, 3, 0),  # Mon 03:00 off: Sunday has no night
        utc(2026, 11, 7, 3, 0),  # Sat 03:00 on: Friday's night
        utc(2026, 11, 7, 23, 0),  # Sat 23:00 off
        utc(2026, 11, 2, 21, 59),  # Mon 21:59 off
    ]
    assert on_shift({"mon-fri": "22:00-06:00"}, moments) == [
        True, True, False, False, True, False, False,
    ]  # fmt: skip
    # Sunday night wraps around the week into Monday morning
    assert on_shift({"sun": "22:00-06:00"}, [utc(2026, 11, 2, 3, 0), utc(2026, 11, 8, 23, 0)]) == [
        True,
        True,
    ]


def test_day_ranges_lists_overrides_and_off():
    week = {
        "mon-fri": "09:00-13:00, 14:00-18:00",
        "fri": "09:00-12:00",
        "sat,sun": "10:00-12:00",
    }
    moments = [
        utc(2026, 11, 5, 10, 0),  # Thu 10:00 on
        utc(2026, 11, 5, 13, 30),  # Thu 13:30 off (lunch)
        utc(2026, 11, 5, 17, 59),  # Thu 17:59 on
        utc(2026, 11, 6, 11, 59),  # Fri 11:59 on
        utc(2026, 11, 6, 12, 0),  # Fri 12:00 off (the later "fri" key wins)
        utc(2026, 11, 6, 15, 0),  # Fri 15:00 off
        utc(2026, 11, 7, 11, 0),  # Sat 11:00 on
        utc(2026, 11, 8, 11, 0),  # Sun 11:00 on
        utc(2026, 11, 8, 12, 0),  # Sun 12:00 off
    ]
    assert on_shift(week, moments) == [True, False, True, True, False, False, True, True, False]
    week = {"mon-sun": "00:00-24:00", "wed": "off"}
    moments = [utc(2026, 11, 3, 23, 59), utc(2026, 11, 4, 12, 0), utc(2026, 11, 5, 0, 0)]
    assert on_shift(week, moments) == [True, False, True]
    # a range may wrap the week: fri-mon is fri, sat, sun, mon
    moments = [utc(2026, 11, 1, 10, 30), utc(2026, 11, 2, 10, 30), utc(2026, 11, 3, 10, 30)]
    assert on_shift({"fri-mon": "10:00-11:00"}, moments) == [True, True, False]
    # keys are case and space insensitive
    assert on_shift({"Sat, SUN": "10:00-11:00"}, moments[:1]) == [True]


def test_weekly_mask():
    hours = fl.WorkingHours(
        timezone="Asia/Yekaterinburg",
        week={"mon-fri": "09:00-13:00, 14:00-18:00", "sat": "10:00-14:00"},
    )
    mask = hours.weekly_mask()
    assert mask.shape == (7 * 24 * 60,)
    assert mask.sum() == 44 * 60
    assert mask[9 * 60]
    assert not mask[9 * 60 - 1]
    assert not mask[13 * 60]
    assert fl.WorkingHours().weekly_mask().sum() == 5 * 9 * 60
    assert fl.WorkingHours(week={"mon": "off"}).weekly_mask().sum() == 0
    night = fl.WorkingHours(week={"sun": "22:00-06:00"}).weekly_mask()
    assert night[:360].all()
    assert night[-120:].all()
    assert night.sum() == 8 * 60


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (utc(2026, 3, 27, 7, 59), False),  # Fri 08:59 CET
        (utc(2026, 3, 27, 8, 0), True),  # Fri 09:00 CET
        (utc(2026, 3, 27, 16, 59), True),  # Fri 17:59 CET
        (utc(2026, 3, 27, 17, 0), False),  # Fri 18:00 CET
        (utc(2026, 3, 30, 6, 59), False),  # Mon 08:59 CEST
        (utc(2026, 3, 30, 7, 0), True),  # Mon 09:00 CEST
        (utc(2026, 3, 30, 15, 59), True),  # Mon 17:59 CEST
        (utc(2026, 3, 30, 16, 0), False),  # Mon 18:00 CEST
        (utc(2026, 10, 23, 7, 0), True),  # Fri 09:00 CEST
        (utc(2026, 10, 23, 16, 0), False),  # Fri 18:00 CEST
        (utc(2026, 10, 26, 7, 30), False),  # Mon 08:30 CET
        (utc(2026, 10, 26, 8, 0), True),  # Mon 09:00 CET
        (utc(2026, 10, 26, 16, 30), True),  # Mon 17:30 CET
    ],
)
def test_daylight_saving_time_follows_local_time(moment, expected):
    assert on_shift({"mon-fri": "09:00-18:00"}, [moment], timezone=BER) == [expected]


def test_a_night_shift_over_the_daylight_saving_change():
    """Saturday 22:00 to Sunday 06:00 local, the night clocks go 02:00 -> 03:00."""
    moments = [
        utc(2026, 3, 28, 20, 59),  # 21:59 CET off
        utc(2026, 3, 28, 21, 0),  # 22:00 CET on
        utc(2026, 3, 29, 0, 59),  # 01:59 CET on
        utc(2026, 3, 29, 1, 0),  # 03:00 CEST on
        utc(2026, 3, 29, 3, 59),  # 05:59 CEST on
        utc(2026, 3, 29, 4, 0),  # 06:00 CEST off
    ]
    assert on_shift({"sat": "22:00-06:00"}, moments, timezone=BER) == [
        False, True, True, True, True, False,
    ]  # fmt: skip


def test_shared_hours_for_everyone():
    router = fl.Router(team("a", "b"), hours={"timezone": NSK, "week": {"mon-fri": "09:00-18:00"}})
    assert available(router, utc(2026, 11, 2, 3, 0)) == {"a": True, "b": True}
    assert available(router, utc(2026, 11, 2, 12, 0)) == {"a": False, "b": False}
    router = fl.Router(team("a", "b"), hours=fl.WorkingHours(timezone=NYC))
    assert available(router, utc(2026, 11, 2, 15, 0)) == {"a": True, "b": True}
    # managers left out of a per-manager mapping work around the clock
    router = fl.Router(team("a", "b"), hours={"a": fl.WorkingHours()})
    assert available(router, utc(2026, 11, 1, 3, 0)) == {"a": False, "b": True}


def test_an_empty_per_manager_mapping_leaves_everyone_around_the_clock():
    router = fl.Router(team("a", "b"), hours={})
    assert available(router, utc(2026, 11, 1, 3, 0)) == {"a": True, "b": True}  # Sunday night


def test_a_manager_named_week_can_have_hours():
    managers = [{"id": "week", "max_active_leads": 3}, {"id": "b", "max_active_leads": 3}]
    router = fl.Router(managers, hours={"week": {"timezone": NSK}})
    assert available(router, utc(2026, 11, 2, 3, 0)) == {"week": True, "b": True}
    assert available(router, utc(2026, 11, 2, 12, 0)) == {"week": False, "b": True}


# ------------------------------------------------------------------ absences and pauses


def test_absence_dates_are_whole_local_days_inclusive():
    hours = {"nsk": {"timezone": NSK, "week": ALWAYS}}
    absences = [fl.Absence(manager_id="nsk", start=date(2026, 11, 3), end=date(2026, 11, 4))]
    router = fl.Router(team("nsk", "other"), hours=hours, absences=absences)
    # NSK Nov 3 00:00 = Nov 2 17:00 UTC; NSK Nov 5 00:00 = Nov 4 17:00 UTC
    assert available(router, utc(2026, 11, 2, 16, 59))["nsk"]
    assert not available(router, utc(2026, 11, 2, 17, 0))["nsk"]
    assert not available(router, utc(2026, 11, 4, 16, 59))["nsk"]
    assert available(router, utc(2026, 11, 4, 17, 0))["nsk"]
    assert available(router, utc(2026, 11, 4, 17, 0))["other"]


def test_a_one_day_absence_on_the_daylight_saving_day_lasts_23_hours():
    hours = {"ber": {"timezone": BER, "week": ALWAYS}}
    absences = [{"manager_id": "ber", "start": date(2026, 3, 29), "end": date(2026, 3, 29)}]
    router = fl.Router(team("ber"), hours=hours, absences=absences)
    assert available(router, utc(2026, 3, 28, 22, 59))["ber"]
    assert not available(router, utc(2026, 3, 28, 23, 0))["ber"]  # 00:00 CET
    assert not available(router, utc(2026, 3, 29, 21, 59))["ber"]
    assert available(router, utc(2026, 3, 29, 22, 0))["ber"]  # 00:00 CEST, Mar 30


def test_absence_datetimes_are_instants_with_the_end_excluded():
    hours = {"nsk": {"timezone": NSK, "week": ALWAYS}}
    absences = [
        # naive: in the manager's time zone, NSK 09:00-12:00 = 02:00-05:00 UTC
        {"manager_id": "nsk", "start": datetime(2026, 11, 3, 9), "end": datetime(2026, 11, 3, 12)},
        # aware: the instants themselves
        {"manager_id": "nsk", "start": utc(2026, 11, 4, 9), "end": utc(2026, 11, 4, 12)},
    ]
    router = fl.Router(team("nsk"), hours=hours, absences=absences)
    got = [
        available(router, t)["nsk"]
        for t in [
            utc(2026, 11, 3, 1, 59),
            utc(2026, 11, 3, 2, 0),
            utc(2026, 11, 3, 4, 59),
            utc(2026, 11, 3, 5, 0),
            utc(2026, 11, 4, 8, 59),
            utc(2026, 11, 4, 9, 0),
            utc(2026, 11, 4, 11, 59),
            utc(2026, 11, 4, 12, 0),
        ]
    ]
    assert got == [True, False, False, True, True, False, False, True]


def test_absence_dates_of_a_manager_without_hours_are_utc_days():
    hours = {"b": {"timezone": NYC}}
    absences = [{"manager_id": "a", "start": date(2026, 11, 3), "end": date(2026, 11, 3)}]
    router = fl.Router(team("a", "b"), hours=hours, absences=absences)
    assert not available(router, utc(2026, 11, 3, 1, 0))["a"]
    assert available(router, utc(2026, 11, 4, 1, 0))["a"]


def test_an_absence_ending_within_a_minute_ends_on_time():
    end = utc(2026, 11, 3, 10, 0, 30)
    absences = [{"manager_id": "a", "start": utc(2026, 11, 3, 8), "end": end}]
    router = fl.Router(team("a", "b"), {"balance_tolerance": None}, absences=absences)
    first = router.route({"id": "l0", "score": 0.5}, end - timedelta(seconds=20), value=[0.9, 0.1])
    assert first.manager_id == "b"
    later = router.route({"id": "l1", "score": 0.5}, end + timedelta(seconds=10), value=[0.9, 0.1])
    assert later.manager_id == "a"


def test_no_routing_during_an_absence():
    absences = [{"manager_id": "a", "start": date(2026, 11, 3), "end": date(2026, 11, 3)}]
    router = fl.Router(team("a", "b"), {"balance_tolerance": None}, absences=absences)
    row = [0.9, 0.1]
    assert (
        router.route({"id": "l0", "score": 0.5}, utc(2026, 11, 2, 23), value=row).manager_id == "a"
    )
    d = router.route({"id": "l1", "score": 0.5}, utc(2026, 11, 3, 12), value=row)
    assert d.manager_id == "b"
    assert "1 manager(s) available with room" in d.reason
    assert (
        router.route({"id": "l2", "score": 0.5}, utc(2026, 11, 4, 0), value=row).manager_id == "a"
    )
    alone = fl.Router(team("a"), absences=absences)
    d = alone.route({"id": "l0", "score": 0.5}, utc(2026, 11, 3, 12))
    assert d.manager_id is None
    assert d.reason.endswith(
        "1 qualified, 1 of them within working hours, 0 not absent or paused, 0 with room"
    )


def test_add_absences_at_run_time():
    router = fl.Router(team("a", "b"), {"balance_tolerance": None})
    assert available(router, utc(2026, 11, 3, 12))["a"]
    router.add_absences(
        [fl.Absence(manager_id="a", start=date(2026, 11, 3), end=date(2026, 11, 3), reason="sick")]
    )
    assert not available(router, utc(2026, 11, 3, 12))["a"]
    d = router.route({"id": "l0", "score": 0.5}, utc(2026, 11, 3, 12), value=[0.9, 0.1])
    assert d.manager_id == "b"
    with pytest.raises(ValueError, match=r"^absence 0 names an unknown manager 'zed'$"):
        router.add_absences(
            [{"manager_id": "zed", "start": date(2026, 11, 3), "end": date(2026, 11, 3)}]
        )
    assert available(router, utc(2026, 11, 3, 12))["b"]


def test_pause_and_resume():
    router = fl.Router(team("a", "b"), {"balance_tolerance": None})
    row = [0.9, 0.1]
    t = utc(2026, 11, 2, 10)
    router.pause("a", t, reason="meeting")
    a = by_id(router, t)["a"]
    assert (a.paused, a.available) == (True, False)
    assert router.route({"id": "l0", "score": 0.5}, t, value=row).manager_id == "b"
    router.pause("a", t)  # pausing twice is harmless
    router.resume("a", t + timedelta(minutes=5))
    a = by_id(router, t + timedelta(minutes=5))["a"]
    assert (a.paused, a.available) == (False, True)
    assert (
        router.route({"id": "l1", "score": 0.5}, t + timedelta(minutes=5), value=row).manager_id
        == "a"
    )
    router.resume("a", t + timedelta(minutes=6))  # resuming a working manager: nothing
    assert not by_id(router, t + timedelta(minutes=6))["a"].paused


# ------------------------------------------------------------------ validation


def test_bad_working_hours_and_absences_are_clear():
    two = team("a", "b")
    iana = r" \(an IANA name such as 'Europe/Moscow'; install the 'tzdata' package"
    with pytest.raises(ValueError, match=r"unknown time zone 'Mars/Olympus'" + iana):
        fl.WorkingHours(timezone="Mars/Olympus")
    with pytest.raises(
        ValueError,
        match=r"^working hours of manager 'a': timezone: unknown time zone 'Mars/Olympus'" + iana,
    ):
        fl.Router(two, hours={"a": {"timezone": "Mars/Olympus"}})
    with pytest.raises(
        ValueError, match=r"^working hours of every manager: timezone: unknown time zone"
    ):
        fl.Router(two, hours={"timezone": "Mars/Olympus"})
    with pytest.raises(
        ValueError,
        match=r"^working hours of manager 'a': working hours '9-18' must look like '09:00-18:00'$",
    ):
        fl.Router(two, hours={"a": {"week": {"mon": "9-18"}}})
    with pytest.raises(
        ValueError, match=r"working hours '25:00-26:00' name a time that does not exist$"
    ):
        fl.Router(two, hours={"a": {"week": {"mon": "25:00-26:00"}}})
    with pytest.raises(
        ValueError, match=r"working hours '24:30-02:00' name a time that does not exist"
    ):
        fl.WorkingHours(week={"mon": "24:30-02:00"})
    with pytest.raises(ValueError, match=r"working hours '09:00-09:00' are empty$"):
        fl.Router(two, hours={"a": {"week": {"mon": "09:00-09:00"}}})
    with pytest.raises(
        ValueError,
        match=r"^working hours of manager 'a': unknown day 'mon-fry' in working hours "
        r"\(use mon, tue",
    ):
        fl.Router(two, hours={"a": {"week": {"mon-fry": "09:00-18:00"}}})
    with pytest.raises(ValueError, match=r"unknown day 'weekend' in working hours"):
        fl.WorkingHours(week={"weekend": "10:00-12:00"})
    with pytest.raises(ValueError, match=r"^working hours name an unknown manager 'zed'$"):
        fl.Router(two, hours={"zed": {"week": {"mon": "09:00-18:00"}}})
    with pytest.raises(
        ValueError,
        match=r"^hours must be a WorkingHours, a dict, or a mapping of manager id to "
        r"either, got int$",
    ):
        fl.Router(two, hours=5)
    with pytest.raises(
        ValueError,
        match=r"^working hours of manager 'a' must be a WorkingHours or a dict, got str$",
    ):
        fl.Router(two, hours={"a": "09:00-18:00"})
    with pytest.raises(
        ValueError,
        match=r"^absence 0: absence ends \(2026-11-03\) before it starts \(2026-11-05\)$",
    ):
        fl.Router(
            two,
            absences=[{"manager_id": "a", "start": date(2026, 11, 5), "end": date(2026, 11, 3)}],
        )
    with pytest.raises(
        ValueError, match=r"absence ends \(2026-11-03\) before it starts \(2026-11-05\)"
    ):
        fl.Absence(manager_id="a", start=date(2026, 11, 5), end=date(2026, 11, 3))
    with pytest.raises(
        ValueError,
        match=r"^absence 1 of manager 'b' ends before it starts "
        r"\(start 2026-11-05 10:00:00, end 2026-11-05 09:00:00\)$",
    ):
        fl.Router(
            two,
            absences=[
                {"manager_id": "a", "start": date(2026, 11, 3), "end": date(2026, 11, 3)},
                {
                    "manager_id": "b",
                    "start": datetime(2026, 11, 5, 10),
                    "end": datetime(2026, 11, 5, 9),
                },
            ],
        )
    with pytest.raises(ValueError, match=r"^absence 1 names an unknown manager 'zed'$"):
        fl.Router(
            two,
            absences=[
                {"manager_id": "a", "start": date(2026, 11, 3), "end": date(2026, 11, 3)},
                {"manager_id": "zed", "start": date(2026, 11, 3), "end": date(2026, 11, 3)},
            ],
        )
    with pytest.raises(ValueError, match=r"^absence 0: manager_id: Field required$"):
        fl.Router(two, absences=[{"start": date(2026, 11, 3), "end": date(2026, 11, 3)}])
    with pytest.raises(ValueError, match=r"^absence 0: start"):
        fl.Router(two, absences=[{"manager_id": "a", "start": "soon", "end": date(2026, 11, 3)}])


# ------------------------------------------------------------------ catch-up

RETURN = utc(2026, 11, 6, 0, 0)  # back after two days away (Nov 4 and 5)
STEP = timedelta(minutes=15)


def catch_up_router(catch_up, d_is="last", tolerance=0.0):
    """Four equal managers, ``d`` (listed first or last) away two whole (UTC) days."""
    names = ["d", "a", "b", "c"] if d_is == "first" else ["a", "b", "c", "d"]
    absences = [{"manager_id": "d", "start": date(2026, 11, 4), "end": date(2026, 11, 5)}]
    return fl.Router(
        team(*names, cap=10_000),
        {"balance_tolerance": tolerance},
        absences=absences,
        catch_up=catch_up,
        share_half_life=None,
    )


def run_leads(router, start, end):
    """A lead of equal value for everyone every 15 minutes, closed at once; counts by manager."""
    counts = {}
    t = start
    while t < end:
        lead_id = f"l{t:%m%d%H%M}"
        d = router.route({"id": lead_id, "score": 0.5}, t)
        router.release(lead_id, "won", t)
        counts[d.manager_id] = counts.get(d.manager_id, 0) + 1
        t += STEP
    return counts


def d_received(router, start, end):
    return run_leads(router, start, end).get("d", 0)


def in_band(count, share, tolerance, slack=3):
    return (1 - tolerance) * share - slack <= count <= (1 + tolerance) * share + slack


@pytest.mark.parametrize(
    ("tolerance", "d_is"),
    [
        (0.0, "first"),
        (0.2, "first"),
        (0.2, "last"),
        pytest.param(
            0.0,
            "last",
        ),
    ],
)
def test_catch_up_full_none_and_partial_over_the_horizon(tolerance, d_is):
    """2 days away with 4 leads an hour among 4: 48 leads missed; horizon 5 days.

    Normal share: 1 lead an hour, 24 a day, 120 over the horizon; with catch-up the
    fair share over the horizon is ``120 + owed``, and ``d`` stays in its band of it.
    """
    got = {}
    for mode, owed in [("none", 0.0), ("partial", 12.0), ("full", 48.0)]:
        catch_up = {"mode": mode, "fraction": 0.25, "horizon": timedelta(days=5)}
        router = catch_up_router(catch_up, d_is=d_is, tolerance=tolerance)
        run_leads(router, utc(2026, 11, 2), RETURN)
        assert by_id(router, RETURN - STEP)["d"].missed == 48.0
        first_hour = d_received(router, RETURN, RETURN + timedelta(hours=1))
        first_day = first_hour + d_received(
            router, RETURN + timedelta(hours=1), RETURN + timedelta(days=1)
        )
        horizon = first_day + d_received(
            router, RETURN + timedelta(days=1), RETURN + timedelta(days=5)
        )
        after = d_received(router, RETURN + timedelta(days=5), RETURN + timedelta(days=6))
        got[mode] = (first_hour, first_day, horizon, after)
        # no burst: the first hour is the normal share (1) plus a lead of slack at most
        assert first_hour <= 2, (mode, got)
        assert in_band(first_day, 24 + owed / 5, tolerance), (mode, got)
        assert in_band(horizon, 120 + owed, tolerance), (mode, got)
        # after the horizon: back to the normal share
        assert in_band(after, 24, tolerance), (mode, got)
    none, partial, full = (got[mode][2] for mode in ("none", "partial", "full"))
    assert none < partial < full
    assert full - none >= (1 - tolerance) * 48 - 3, got


def test_catch_up_without_a_horizon_would_be_a_burst():
    """The same return with a one-minute horizon: once it has passed, d takes every lead."""
    hour = (RETURN + STEP, RETURN + STEP + timedelta(hours=1))
    burst = catch_up_router({"mode": "full", "horizon": timedelta(minutes=1)}, d_is="first")
    run_leads(burst, utc(2026, 11, 2), hour[0])
    assert d_received(burst, *hour) == 4
    spread = catch_up_router({"mode": "full", "horizon": timedelta(days=5)}, d_is="first")
    run_leads(spread, utc(2026, 11, 2), hour[0])
    assert d_received(spread, *hour) <= 2


@pytest.mark.parametrize(
    ("mode", "fraction", "owed"), [("none", 0.5, 0.0), ("partial", 0.3, 14.4), ("full", 0.5, 48.0)]
)
def test_catch_up_status_missed_owed_and_target_over_time(mode, fraction, owed):
    router = catch_up_router({"mode": mode, "fraction": fraction, "horizon": timedelta(days=5)})
    run_leads(router, utc(2026, 11, 2), RETURN)
    d = by_id(router, RETURN - timedelta(minutes=1))["d"]
    # 192 leads while away, a quarter of each missed
    assert (d.missed, d.owed, d.available) == (48.0, 0.0, False)
    target = d.target
    assert target == pytest.approx(48.0)  # 2 days present, no share while away
    # back: the missed share becomes owed, nothing added to the target yet
    d = by_id(router, RETURN)["d"]
    assert (d.missed, d.owed, d.target, d.available) == (
        0.0,
        pytest.approx(owed),
        pytest.approx(target),
        True,
    )
    # status does not commit: the return is taken when the router next acts
    router.route({"id": "back", "score": 0.5}, RETURN)
    share = by_id(router, RETURN)["d"].target - target
    assert share == pytest.approx(0.25)
    for days in (1, 2.5, 5, 7):
        d = by_id(router, RETURN + timedelta(days=days))["d"]
        part = min(days / 5, 1.0)
        assert d.owed == pytest.approx(owed * (1 - part), abs=1e-9)
        assert d.target == pytest.approx(target + share + owed * part, abs=1e-9)
        assert d.missed == 0.0
    # d's catch-up comes out of the three others' shares (equal weights): the team's
    # shares still add up to the leads routed
    others = [by_id(router, RETURN + timedelta(days=d))["a"].target for d in (1, 7)]
    assert others[0] - others[1] == pytest.approx(owed * (1 - 1 / 5) / 3, abs=1e-9)
    books = router.status(RETURN + timedelta(days=7))
    assert sum(s.target for s in books) == pytest.approx(sum(s.routed for s in books), abs=1e-9)


def test_catch_up_after_a_pause():
    router = fl.Router(
        team("a", "b"),
        {"balance_tolerance": 0.0},
        catch_up=fl.CatchUp(mode="full", horizon=timedelta(hours=10)),
        share_half_life=None,
    )
    t = utc(2026, 11, 2, 8)
    router.pause("b", t)
    for k in range(10):
        assert (
            router.route({"id": f"l{k}", "score": 0.5}, t + timedelta(minutes=k)).manager_id == "a"
        )
    b = by_id(router, t + timedelta(minutes=30))["b"]
    assert (b.missed, b.owed, b.paused) == (5.0, 0.0, True)
    router.resume("b", t + timedelta(hours=1))
    b = by_id(router, t + timedelta(hours=1))["b"]
    assert (b.missed, b.owed) == (0.0, 5.0)
    b = by_id(router, t + timedelta(hours=6))["b"]
    assert b.owed == pytest.approx(2.5)
    assert b.target == pytest.approx(2.5)


def test_time_off_shift_is_not_missed():
    hours = {"b": {"timezone": "UTC", "week": {"mon-fri": "09:00-18:00"}}}
    router = fl.Router(team("a", "b"), hours=hours, catch_up={"mode": "full"}, share_half_life=None)
    night = utc(2026, 11, 2, 20)
    for k in range(8):
        assert (
            router.route({"id": f"l{k}", "score": 0.5}, night + timedelta(minutes=k)).manager_id
            == "a"
        )
    b = by_id(router, utc(2026, 11, 3, 10))["b"]
    assert (b.missed, b.owed, b.target, b.available) == (0.0, 0.0, 0.0, True)


def test_ineligible_absent_managers_miss_nothing():
    managers = [
        {"id": "a", "skills": "loans", "max_active_leads": 50},
        {"id": "b", "skills": "cards", "max_active_leads": 50},
    ]
    absences = [{"manager_id": "b", "start": date(2026, 11, 2), "end": date(2026, 11, 2)}]
    router = fl.Router(managers, absences=absences, catch_up={"mode": "full"})
    for k in range(4):
        router.route({"id": f"l{k}", "score": 0.5, "product": "loans"}, utc(2026, 11, 2, 10, k))
    assert by_id(router, utc(2026, 11, 2, 11))["b"].missed == 0.0
    router.route({"id": "c", "score": 0.5}, utc(2026, 11, 2, 12))
    assert by_id(router, utc(2026, 11, 2, 12))["b"].missed == pytest.approx(0.5)


def test_catch_up_model():
    assert fl.CatchUp().mode == "partial"
    assert fl.CatchUp().owed_fraction == 0.5
    assert fl.CatchUp(mode="none", fraction=0.9).owed_fraction == 0.0
    assert fl.CatchUp(mode="partial", fraction=0.3).owed_fraction == 0.3
    assert fl.CatchUp(mode="full").owed_fraction == 1.0
    assert fl.CatchUp().horizon == timedelta(days=5)
    with pytest.raises(ValueError, match="horizon must be positive"):
        fl.CatchUp(horizon=timedelta(seconds=-1))
    with pytest.raises(ValueError, match="fraction"):
        fl.CatchUp(fraction=float("nan"))


def test_decay_of_missed_share():
    router = fl.Router(
        team("a", "b"), {"balance_tolerance": None}, share_half_life=timedelta(days=1)
    )
    t = utc(2026, 11, 2, 8)
    router.pause("b", t)
    for k in range(4):
        router.route({"id": f"l{k}", "score": 0.5}, t)
    assert by_id(router, t)["b"].missed == pytest.approx(2.0)
    assert by_id(router, t + timedelta(days=1))["b"].missed == pytest.approx(1.0)
    assert np.isclose(by_id(router, t + timedelta(days=2))["b"].missed, 0.5)
