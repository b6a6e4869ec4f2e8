"""Every KPI family on a small log, each figure worked out by hand.

Three managers in two time zones: anna and cleo in Moscow (UTC+3), ben on the team's
clock (UTC). Weeks W0 (Mon 2026-10-26, only client purchases), W1 (11-02) and W2
(11-09); now is Friday 2026-11-13 12:00 UTC. Times below are UTC.

Leads (deal value):
  L1 (900)   anna: assigned 11-02 08:02, contacted 08:05, qualified, meeting, won 11-05 (1000)
  L2 (500)   anna: assigned 09:10 (created 09:00), contacted 09:30, qualified, lost 11-06
  L3 (2000)  ben: assigned 11-02 10:01, contacted 10:08, 3 stages, won 11-10 (no amount)
  L4 (800)   ben 11-02 11:05, not contacted; reassigned to cleo 11-03 11:05, who
             contacted at 11:50 and lost it 11-05
  L5 (600)   anna: assigned Sunday 11-08 22:40 = Monday 01:40 in Moscow -> W2 for anna
  L6 (500)   ben: assigned Sunday 11-08 20:30 (W1 in UTC), contacted 20:35, won 11-12 (500)
  L7 (700)   cleo 11-03 12:00, contacted 12:15, qualified, lost 11-11
  L8 (3000)  cleo 11-04 09:30 (win probability 0.5), contacted 09:31, qualified, meeting; open
  L9 (700)   anna 11-09 09:01 (a lead of client c1), contacted 09:04, won 11-11 (700)
  L10 (100)  ben 11-09 10:20, score 0.2, never contacted; open
  L11 (300)  cleo 11-10 08:05, contacted 08:25, lost 11-12
  L12 (400)  anna 11-10 09:03 (win probability 0.25), contacted 11:03; open
  L13 (200)  contacted 11-10 10:05 by ben before he was assigned it at 10:10; open
  L14        never created (unknown lead): cleo 11-11 09:00, contacted 09:10, won 11-12 (300)
  L15 (50)   created 11-11, never assigned
Clients (churn_days=7): c1 (anna) buys 10-27, 11-03, 11-12; c2 (ben) 10-26, 11-06;
c3 buys 10-28 21:30 without a manager, cleo touches it from 11-03.
Managers: max_active_leads anna 3, ben 2, cleo 5; ben's CRM counts 3 open leads now.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from scipy.stats import beta

import fairlead as fl
from fairlead import kpi
from fairlead.scoring import fit_prior_strength

NAN = float("nan")
W0, W1, W2 = 0, 1, 2
TEAM = None


def ev(kind: str, at: str, **cells: Any) -> dict[str, Any]:
    return {"type": kind, "at": f"2026-{at}:00Z", **cells}


def events() -> list[dict[str, Any]]:
    rows = [
        ev("created", "11-02T08:00", lead_id="L1", deal_value=900),
        ev("assigned", "11-02T08:02", lead_id="L1", manager_id="anna", win_probability=0.3),
        ev("contacted", "11-02T08:05", lead_id="L1"),
        ev("stage", "11-03T10:00", lead_id="L1", stage="qualified"),
        ev("stage", "11-04T10:00", lead_id="L1", stage="meeting"),
        ev("won", "11-05T12:00", lead_id="L1", amount=1000),
        ev("created", "11-02T09:00", lead_id="L2", deal_value=500),
        ev("assigned", "11-02T09:10", lead_id="L2", manager_id="anna"),
        ev("contacted", "11-02T09:30", lead_id="L2"),
        ev("stage", "11-03T11:00", lead_id="L2", stage="qualified"),
        ev("lost", "11-06T10:00", lead_id="L2", reason="price"),
        ev("created", "11-02T10:00", lead_id="L3", deal_value=2000),
        ev("assigned", "11-02T10:01", lead_id="L3", manager_id="ben"),
        ev("contacted", "11-02T10:08", lead_id="L3"),
        ev("stage", "11-03T09:00", lead_id="L3", stage="qualified"),
        ev("stage", "11-04T09:00", lead_id="L3", stage="meeting"),
        ev("stage", "11-05T09:00", lead_id="L3", stage="proposal"),
        ev("won", "11-10T09:00", lead_id="L3"),
        ev("created", "11-02T11:00", lead_id="L4", deal_value=800),
        ev("assigned", "11-02T11:05", lead_id="L4", manager_id="ben"),
        ev("assigned", "11-03T11:05", lead_id="L4", manager_id="cleo", method="manual"),
        ev("contacted", "11-03T11:50", lead_id="L4"),
        ev("lost", "11-05T09:00", lead_id="L4"),
        ev("created", "11-08T22:30", lead_id="L5", deal_value=600),
        ev("assigned", "11-08T22:40", lead_id="L5", manager_id="anna"),
        ev("contacted", "11-08T23:50", lead_id="L5"),
        ev("created", "11-08T20:00", lead_id="L6", deal_value=500),
        ev("assigned", "11-08T20:30", lead_id="L6", manager_id="ben"),
        ev("contacted", "11-08T20:35", lead_id="L6"),
        ev("won", "11-12T10:00", lead_id="L6", amount=500),
        ev("created", "11-03T12:00", lead_id="L7", deal_value=700),
        ev("assigned", "11-03T12:00", lead_id="L7", manager_id="cleo"),
        ev("contacted", "11-03T12:15", lead_id="L7"),
        ev("stage", "11-04T09:00", lead_id="L7", stage="qualified"),
        ev("lost", "11-11T09:00", lead_id="L7"),
        ev("created", "11-04T09:00", lead_id="L8", deal_value=3000),
        ev("assigned", "11-04T09:30", lead_id="L8", manager_id="cleo", win_probability=0.5),
        ev("contacted", "11-04T09:31", lead_id="L8"),
        ev("stage", "11-05T09:00", lead_id="L8", stage="qualified"),
        ev("stage", "11-06T09:00", lead_id="L8", stage="meeting"),
        ev("created", "11-09T09:00", lead_id="L9", client_id="c1", deal_value=700),
        ev("assigned", "11-09T09:01", lead_id="L9", manager_id="anna"),
        ev("contacted", "11-09T09:04", lead_id="L9"),
        ev("won", "11-11T09:00", lead_id="L9", amount=700),
        ev("created", "11-09T10:00", lead_id="L10", deal_value=100, score=0.2),
        ev("assigned", "11-09T10:20", lead_id="L10", manager_id="ben"),
        ev("created", "11-10T08:00", lead_id="L11", deal_value=300),
        ev("assigned", "11-10T08:05", lead_id="L11", manager_id="cleo"),
        ev("contacted", "11-10T08:25", lead_id="L11"),
        ev("lost", "11-12T09:00", lead_id="L11"),
        ev("created", "11-10T09:00", lead_id="L12", deal_value=400),
        ev("assigned", "11-10T09:03", lead_id="L12", manager_id="anna", win_probability=0.25),
        ev("contacted", "11-10T11:03", lead_id="L12"),
        ev("created", "11-10T10:00", lead_id="L13", deal_value=200),
        ev("contacted", "11-10T10:05", lead_id="L13", manager_id="ben"),
        ev("assigned", "11-10T10:10", lead_id="L13", manager_id="ben"),
        ev("assigned", "11-11T09:00", lead_id="L14", manager_id="cleo"),
        ev("contacted", "11-11T09:10", lead_id="L14"),
        ev("won", "11-12T11:00", lead_id="L14", amount=300),
        ev("created", "11-11T12:00", lead_id="L15", deal_value=50),
        # client feedback
        ev("feedback", "11-05T13:00", lead_id="L1", csat=5, nps=10),
        ev("feedback", "11-06T11:00", lead_id="L2", csat=2, nps=3, complaint=True),
        ev("feedback", "11-10T12:00", lead_id="L3", csat=4, nps=8),
        ev("feedback", "11-12T12:00", client_id="c2", nps=9),
        ev("feedback", "11-05T18:00", lead_id="L4", complaint="yes", manager_id="ben"),
        # existing clients
        ev("purchase", "10-27T09:00", client_id="c1", amount=50, manager_id="anna"),
        ev("purchase", "11-03T09:00", client_id="c1", amount=50, manager_id="anna"),
        ev("purchase", "11-12T09:00", client_id="c1", amount=50, manager_id="anna"),
        ev("purchase", "10-26T02:00", client_id="c2", amount=80, manager_id="ben"),
        ev("purchase", "11-06T10:00", client_id="c2", amount=80, manager_id="ben"),
        ev("purchase", "10-28T21:30", client_id="c3", amount=30),
        ev("touch_planned", "11-02T10:00", client_id="c1", manager_id="anna"),
        ev("touch_done", "11-03T10:00", client_id="c1", manager_id="anna"),
        ev("touch_planned", "11-03T08:00", client_id="c3", manager_id="cleo"),
        ev("touch_planned", "11-04T08:00", client_id="c3", manager_id="cleo"),
        ev("touch_done", "11-05T08:00", client_id="c3", manager_id="cleo"),
        ev("touch_planned", "11-10T08:00", client_id="c2", manager_id="ben"),
        ev("touch_done", "11-11T08:00", client_id="c2", manager_id="ben"),
        ev("touch_done", "11-11T08:00", client_id="c1", manager_id="anna"),
    ]
    return rows


MANAGERS = [
    fl.Manager(id="anna", max_active_leads=3),
    {"id": "ben", "max_active_leads": 2, "active_leads": 3},
    {"id": "cleo", "max_active_leads": 5},
]
ZONES = {"anna": "Europe/Moscow", "cleo": "Europe/Moscow"}
NOW = "2026-11-13T12:00:00Z"


@pytest.fixture(scope="module")
def kpis() -> kpi.Kpis:
    log = kpi.EventLog.from_records(events())
    return kpi.compute(
        log,
        "week",
        now=NOW,
        managers=MANAGERS,
        timezone="UTC",
        timezones=ZONES,
        churn_days=7,
    )


def check(kpis: kpi.Kpis, metric: str, expected: dict[str | None, list[float]]) -> None:
    """``expected``: manager (None: the team) -> value in W0, W1, W2."""
    for manager, values in expected.items():
        got = kpis.series(metric, manager)
        np.testing.assert_allclose(
            got, values, rtol=1e-12, atol=1e-12, err_msg=f"{metric} {manager}"
        )


def test_the_grid_and_the_managers(kpis: kpi.Kpis) -> None:
    assert kpis.periods.dates()[0].isoformat() == "2026-10-26"  # c2's purchase, Mon 02:00
    assert [kpis.periods.label(k) for k in range(3)] == ["2026-10-26", "2026-11-02", "2026-11-09"]
    assert set(kpis.manager_ids) == {"anna", "ben", "cleo"}
    assert kpis.funnel == ("qualified", "meeting", "proposal")  # by reach: 5, 3, 1 leads
    assert str(kpis.now) == "2026-11-13 12:00:00"


def test_leads_received_contacted_waiting_reassigned(kpis: kpi.Kpis) -> None:
    # W1: anna L1 L2; ben L3 L4 L6 (L6 Sunday 20:30 UTC); cleo L4 (handed on) L7 L8.
    # W2: anna L5 (Monday 01:40 in Moscow) L9 L12; ben L10 L13; cleo L11 L14.
    check(
        kpis,
        "leads_received",
        {"anna": [0, 2, 3], "ben": [0, 3, 2], "cleo": [0, 3, 2], TEAM: [0, 8, 7]},
    )
    # ben never reached L4 (cleo did) nor L10; his contact of L13 before the assignment counts.
    check(
        kpis,
        "leads_contacted",
        {"anna": [0, 2, 3], "ben": [0, 2, 1], "cleo": [0, 3, 2], TEAM: [0, 7, 6]},
    )
    check(
        kpis,
        "leads_waiting",
        {"anna": [0, 0, 0], "ben": [0, 1, 1], "cleo": [0, 0, 0], TEAM: [0, 1, 1]},
    )
    check(kpis, "leads_reassigned", {"ben": [0, 1, 0], "cleo": [0, 0, 0], TEAM: [0, 1, 0]})


def test_time_to_assign(kpis: kpi.Kpis) -> None:
    # W1: anna [2, 10], ben [1, 5, 30], cleo [0, 30] (L4 counts for ben, its first owner).
    # W2: anna [1, 3, 10] (L5 10 min), ben [10, 20] (L13, L10), cleo [5]; L14 was never created.
    # p90 of [2, 10]: 2 + 0.9 * 8 = 9.2; of [1, 5, 30]: position 1.8 -> 5 + 0.8 * 25 = 25.
    check(kpis, "assign_p50", {"anna": [NAN, 6, 3], "ben": [NAN, 5, 15], "cleo": [NAN, 15, 5]})
    check(kpis, "assign_p90", {"anna": [NAN, 9.2, 8.6], "ben": [NAN, 25, 19], "cleo": [NAN, 27, 5]})
    # team W1 [0, 1, 2, 5, 10, 30, 30]: median 5, p90 at 5.4 -> 30;
    # team W2 [1, 3, 5, 10, 10, 20]: median 5 + 0.5 * 5 = 7.5, p90 at 4.5 -> 10 + 0.5 * 10 = 15.
    check(kpis, "assign_p50", {TEAM: [NAN, 5, 7.5]})
    check(kpis, "assign_p90", {TEAM: [NAN, 30, 15]})


def test_first_response_and_bands(kpis: kpi.Kpis) -> None:
    # W1: anna [3, 20]; ben [7, 5]; cleo [45 (L4 from her own assignment), 15, 1].
    # W2: anna [70 (L5), 3, 120]; ben none (L10 waiting, L13 contacted before); cleo [20, 10].
    check(
        kpis, "response_p50", {"anna": [NAN, 11.5, 70], "ben": [NAN, 6, NAN], "cleo": [NAN, 15, 15]}
    )
    # p90: 3 + 0.9 * 17 = 18.3; 5 + 0.9 * 2 = 6.8; 15 + 0.8 * 30 = 39; 70 + 0.8 * 50 = 110.
    check(
        kpis,
        "response_p90",
        {"anna": [NAN, 18.3, 110], "ben": [NAN, 6.8, NAN], "cleo": [NAN, 39, 19]},
    )
    # team W1 [1, 3, 5, 7, 15, 20, 45]: 7 and 20 + 0.4 * 25 = 30;
    # team W2 [3, 10, 20, 70, 120]: 20 and 70 + 0.6 * 50 = 100.
    check(kpis, "response_p50", {TEAM: [NAN, 7, 20]})
    check(kpis, "response_p90", {TEAM: [NAN, 30, 100]})
    # Bands: at most 5 (5 itself: ben's L6), at most 15 (15 itself: cleo's L7), at most 60, later.
    check(
        kpis, "sla_0_5", {"anna": [0, 1, 1], "ben": [0, 1, 0], "cleo": [0, 1, 0], TEAM: [0, 3, 1]}
    )
    check(
        kpis, "sla_5_15", {"anna": [0, 0, 0], "ben": [0, 1, 0], "cleo": [0, 1, 1], TEAM: [0, 2, 1]}
    )
    check(
        kpis, "sla_15_60", {"anna": [0, 1, 0], "ben": [0, 0, 0], "cleo": [0, 1, 1], TEAM: [0, 2, 1]}
    )
    check(
        kpis,
        "sla_60_plus",
        {"anna": [0, 0, 2], "ben": [0, 0, 0], "cleo": [0, 0, 0], TEAM: [0, 0, 2]},
    )
    check(
        kpis,
        "sla_share_fast",
        {
            "anna": [NAN, 1 / 2, 1 / 3],
            "ben": [NAN, 1 / 2, NAN],
            "cleo": [NAN, 1 / 3, 0],
            TEAM: [NAN, 3 / 7, 1 / 5],
        },
    )


def test_funnel_stages_with_the_manager_who_held_the_lead(kpis: kpi.Kpis) -> None:
    # W1 pairs: anna L1 (won: every stage), L2 (qualified); ben L3 (won), L4 (none), L6 (won);
    # cleo L4 (none), L7 (qualified), L8 (meeting). W2: anna L9, cleo L14 won; the rest none.
    check(
        kpis,
        "reached:qualified",
        {"anna": [0, 2, 1], "ben": [0, 2, 0], "cleo": [0, 2, 1], TEAM: [0, 6, 2]},
    )
    check(
        kpis,
        "reached:meeting",
        {"anna": [0, 1, 1], "ben": [0, 2, 0], "cleo": [0, 1, 1], TEAM: [0, 4, 2]},
    )
    check(
        kpis,
        "reached:proposal",
        {"anna": [0, 1, 1], "ben": [0, 2, 0], "cleo": [0, 0, 1], TEAM: [0, 3, 2]},
    )
    check(
        kpis,
        "rate:qualified",
        {
            "anna": [NAN, 1, 1 / 3],
            "ben": [NAN, 2 / 3, 0],
            "cleo": [NAN, 2 / 3, 1 / 2],
            TEAM: [NAN, 6 / 8, 2 / 7],
        },
    )
    check(
        kpis,
        "rate:meeting",
        {
            "anna": [NAN, 1 / 2, 1],
            "ben": [NAN, 1, NAN],
            "cleo": [NAN, 1 / 2, 1],
            TEAM: [NAN, 4 / 6, 1],
        },
    )
    check(
        kpis,
        "rate:proposal",
        {"anna": [NAN, 1, 1], "ben": [NAN, 1, NAN], "cleo": [NAN, 0, 1], TEAM: [NAN, 3 / 4, 1]},
    )


def test_won_lost_and_conversion(kpis: kpi.Kpis) -> None:
    # Closes: W1 L1 won (anna), L2 lost (anna), L4 lost (cleo held it);
    # W2 L9 won (anna), L3 L6 won (ben), L14 won, L7 L11 lost (cleo).
    check(kpis, "won", {"anna": [0, 1, 1], "ben": [0, 0, 2], "cleo": [0, 0, 1], TEAM: [0, 1, 4]})
    check(kpis, "lost", {"anna": [0, 1, 0], "ben": [0, 0, 0], "cleo": [0, 1, 2], TEAM: [0, 2, 2]})
    check(
        kpis,
        "win_rate",
        {
            "anna": [NAN, 1 / 2, 1],
            "ben": [NAN, NAN, 1],
            "cleo": [NAN, 0, 1 / 3],
            TEAM: [NAN, 1 / 3, 4 / 6],
        },
    )
    # Cohorts: W1 anna L1 of (L1, L2); ben L3, L6 of 3; cleo none of 3 (L4 was lost).
    check(
        kpis,
        "conversion",
        {
            "anna": [NAN, 1 / 2, 1 / 3],
            "ben": [NAN, 2 / 3, 0],
            "cleo": [NAN, 0, 1 / 2],
            TEAM: [NAN, 3 / 8, 2 / 7],
        },
    )


def test_conversion_shrunk_towards_the_team_with_its_interval(kpis: kpi.Kpis) -> None:
    for period, won, received in ((W1, [1, 2, 0], [2, 3, 3]), (W2, [1, 0, 1], [3, 2, 2])):
        w, n = np.array(won, float), np.array(received, float)
        team = w.sum() / n.sum()
        kappa = fit_prior_strength(w, n, team)
        shrunk = (w + kappa * team) / (n + kappa)
        low = beta.ppf(0.05, w + kappa * team, n - w + kappa * (1 - team))
        high = beta.ppf(0.95, w + kappa * team, n - w + kappa * (1 - team))
        for k, manager in enumerate(("anna", "ben", "cleo")):
            assert kpis.value("conversion_shrunk", manager, period) == pytest.approx(shrunk[k])
            assert kpis.value("conversion_low", manager, period) == pytest.approx(low[k])
            assert kpis.value("conversion_high", manager, period) == pytest.approx(high[k])
        assert kpis.value("conversion_shrunk", None, period) == pytest.approx(team)
        # the team's own range: Jeffreys, Beta(won + 1/2, received - won + 1/2)
        a, b = w.sum() + 0.5, n.sum() - w.sum() + 0.5
        assert kpis.value("conversion_low", None, period) == pytest.approx(beta.ppf(0.05, a, b))
        assert kpis.value("conversion_high", None, period) == pytest.approx(beta.ppf(0.95, a, b))
    assert np.isnan(kpis.value("conversion_shrunk", "anna", W0))  # no leads, no figure


def test_a_manager_with_three_wins_of_three_is_no_star() -> None:
    # Five managers with 40 leads each winning 10 %, 20 %, ... 50 %; "star" won 3 of 3.
    rows = []
    outcomes = {"star": [1, 1, 1]} | {
        f"m{k}": [1] * (4 * k + 4) + [0] * (36 - 4 * k) for k in range(5)
    }
    for manager, results in outcomes.items():
        for j, result in enumerate(results):
            lead = f"{manager}-{j}"
            rows.append(ev("assigned", "11-02T09:00", lead_id=lead, manager_id=manager))
            rows.append(ev("won" if result else "lost", "11-03T09:00", lead_id=lead))
    kpis = kpi.compute(kpi.EventLog.from_records(rows), "week")
    team = kpis.value("conversion")
    assert team == 63 / 203
    assert kpis.value("conversion", "star") == 1.0
    star = kpis.value("conversion_shrunk", "star")
    assert team < star < 0.5  # pulled most of the way back: not above the best of the rest
    assert star < kpis.value("conversion", "m4") == 0.5
    # and its range is wide: it still reaches below the team's conversion
    assert kpis.value("conversion_low", "star") < team < kpis.value("conversion_low", "m4")
    assert kpis.value("conversion_high", "star") > 0.65
    # the big managers barely move
    assert kpis.value("conversion_shrunk", "m0") == pytest.approx(0.1, abs=0.05)


def test_money(kpis: kpi.Kpis) -> None:
    # Revenue: W1 L1 1000 (anna); W2 L9 700 (anna), L3 2000 (ben: its deal value) + L6 500,
    # L14 300 (cleo).
    check(
        kpis,
        "revenue",
        {"anna": [0, 1000, 700], "ben": [0, 0, 2500], "cleo": [0, 0, 300], TEAM: [0, 1000, 3500]},
    )
    check(
        kpis,
        "avg_deal",
        {
            "anna": [NAN, 1000, 700],
            "ben": [NAN, NAN, 1250],
            "cleo": [NAN, NAN, 300],
            TEAM: [NAN, 1000, 875],
        },
    )
    # Open at the end of W1 (midnight on each clock): anna none (L5 came 22:40 UTC = after
    # Moscow midnight at 21:00 UTC); ben L3 2000 + L6 500; cleo L7 700 + L8 3000.
    # Now: anna L5 600 + L12 400; ben L10 100 + L13 200; cleo L8 3000.
    check(
        kpis,
        "pipeline",
        {
            "anna": [0, 0, 1000],
            "ben": [0, 2500, 300],
            "cleo": [0, 3700, 3000],
            TEAM: [0, 6200, 4300],
        },
    )
    # Chances: win_probability, else score, else the team's win rate 5 won / 9 closed.
    rate = 5 / 9
    ben_w1 = (2000 + 500) * rate
    cleo_w1 = 700 * rate + 3000 * 0.5
    anna_w2 = 600 * rate + 400 * 0.25
    ben_w2 = 100 * 0.2 + 200 * rate
    check(
        kpis,
        "weighted_pipeline",
        {
            "anna": [0, 0, anna_w2],
            "ben": [0, ben_w1, ben_w2],
            "cleo": [0, cleo_w1, 1500],
            TEAM: [0, ben_w1 + cleo_w1, anna_w2 + ben_w2 + 1500],
        },
    )


def test_shares_against_capacity_targets(kpis: kpi.Kpis) -> None:
    # Targets by max_active_leads 3 : 2 : 5.
    check(
        kpis,
        "target_share",
        {"anna": [0.3] * 3, "ben": [0.2] * 3, "cleo": [0.5] * 3, TEAM: [1] * 3},
    )
    check(
        kpis,
        "leads_share",
        {
            "anna": [NAN, 2 / 8, 3 / 7],
            "ben": [NAN, 3 / 8, 2 / 7],
            "cleo": [NAN, 3 / 8, 2 / 7],
            TEAM: [NAN, 1, 1],
        },
    )
    # Deal value received: W1 anna 900 + 500, ben 2000 + 800 + 500, cleo 800 + 700 + 3000;
    # W2 anna 600 + 700 + 400, ben 100 + 200, cleo 300 + 0 (L14 has no deal value).
    check(
        kpis,
        "value_share",
        {
            "anna": [NAN, 1400 / 9200, 1700 / 2300],
            "ben": [NAN, 3300 / 9200, 300 / 2300],
            "cleo": [NAN, 4500 / 9200, 300 / 2300],
        },
    )
    check(
        kpis,
        "leads_vs_target",
        {
            "anna": [NAN, 0.25 / 0.3, 3 / 7 / 0.3],
            "ben": [NAN, 0.375 / 0.2, 2 / 7 / 0.2],
            "cleo": [NAN, 0.375 / 0.5, 2 / 7 / 0.5],
        },
    )
    # Gini of received / target, W1: [2 / 0.3, 3 / 0.2, 3 / 0.5] sorted [6, 6.667, 15]:
    # 2 * (1 * 6 + 2 * 6.667 + 3 * 15) / (3 * 27.667) - 4 / 3.
    ratios_w1 = np.array([6.0, 2 / 0.3, 15.0])
    gini_w1 = 2 * (ratios_w1 @ [1, 2, 3]) / (3 * ratios_w1.sum()) - 4 / 3
    ratios_w2 = np.sort([3 / 0.3, 2 / 0.2, 2 / 0.5])  # [4, 10, 10]
    gini_w2 = 2 * (ratios_w2 @ [1, 2, 3]) / (3 * ratios_w2.sum()) - 4 / 3  # 2 * 54 / 72 - 4 / 3
    assert gini_w2 == pytest.approx(1.5 - 4 / 3)
    check(kpis, "gini_leads", {TEAM: [NAN, gini_w1, gini_w2]})
    assert kpis.value("gini_leads", None, W1) == pytest.approx(fl.plan.gini(ratios_w1))
    jain_w1 = ratios_w1.sum() ** 2 / (3 * (ratios_w1**2).sum())
    check(kpis, "jain_leads", {TEAM: [NAN, jain_w1, 24**2 / (3 * 216)]})  # W2: 16 + 100 + 100
    values_w1 = np.sort([1400 / 0.3, 3300 / 0.2, 4500 / 0.5])
    values_w2 = np.sort([1700 / 0.3, 300 / 0.2, 300 / 0.5])
    gini_value = [2 * (v @ [1, 2, 3]) / (3 * v.sum()) - 4 / 3 for v in (values_w1, values_w2)]
    check(kpis, "gini_value", {TEAM: [NAN, *gini_value]})
    with pytest.raises(fl.InputError, match="'gini_leads' is a figure of the team only"):
        kpis.value("gini_leads", "anna")


def test_workload_peaks_and_overload_days(kpis: kpi.Kpis) -> None:
    # anna (Moscow days): 2 open from 11-02 to 11-05; L5 and L9 on 11-09 (2), L12 on 11-10 (3).
    # ben: 1 open before the log (his CRM counts 3 now, the log shows L10 and L13);
    # 11-02 1 + L3 + L4 = 3; 11-03 3 until L4 moves; 11-04..07 2; 11-08 3 (L6); 11-09 4 (L10);
    # 11-10 4 (L3 closes 09:00, L13 comes 10:10); 11-11 4; 11-12 4 until L6 closes; 11-13 3.
    # cleo: 11-03 2, 11-04 3 (L8), 11-05 3 then 2, ...; 11-10 3 (L11); 11-11 L7 closes as
    # L14 comes at the same moment (3); 11-12 3 then 1.
    check(kpis, "peak_open", {"anna": [0, 2, 3], "ben": [1, 3, 4], "cleo": [0, 3, 3]})
    # Over the limit: ben (2) on 11-02, 11-03, 11-08 and 11-09 .. 11-13 (today; Sat and Sun to
    # come do not count); anna (3) and cleo (5) never.
    check(
        kpis,
        "overload_days",
        {"anna": [0, 0, 0], "ben": [0, 3, 5], "cleo": [0, 0, 0], TEAM: [0, 3, 5]},
    )
    # The team on the UTC clock, with ben's 1: 11-04 1 + 6 open (L1 L2 L3 L4 L7 L8) = 7;
    # 11-10: L11, L12, L13 come and L3 goes: 1 + 9 = 10.
    check(kpis, "peak_open", {TEAM: [1, 7, 10]})


def test_client_feedback(kpis: kpi.Kpis) -> None:
    # W1: anna L1 (5, nps 10), L2 (2, nps 3, complaint); ben the complaint named for him on L4.
    # W2: ben L3 (4, nps 8) and c2 (nps 9: c2 is ben's client).
    check(
        kpis,
        "csat",
        {"anna": [NAN, 3.5, NAN], "ben": [NAN, NAN, 4], "cleo": [NAN] * 3, TEAM: [NAN, 3.5, 4]},
    )
    check(kpis, "csat_count", {"anna": [0, 2, 0], "ben": [0, 0, 1], TEAM: [0, 2, 1]})
    # NPS: anna one promoter, one detractor: 0; ben W2 one passive (8), one promoter: 50.
    check(kpis, "nps", {"anna": [NAN, 0, NAN], "ben": [NAN, NAN, 50], TEAM: [NAN, 0, 50]})
    check(kpis, "nps_count", {"anna": [0, 2, 0], "ben": [0, 0, 2], TEAM: [0, 2, 2]})
    check(
        kpis,
        "complaints",
        {"anna": [0, 1, 0], "ben": [0, 1, 0], "cleo": [0, 0, 0], TEAM: [0, 2, 0]},
    )
    # per 100 leads received: anna 1 / 2, ben 1 / 3, team 2 / 8.
    check(
        kpis,
        "complaint_rate",
        {"anna": [NAN, 50, 0], "ben": [NAN, 100 / 3, 0], "cleo": [NAN, 0, 0], TEAM: [NAN, 25, 0]},
    )


def test_clients_kept_and_touches(kpis: kpi.Kpis) -> None:
    # Active = a purchase within the 7 days before. c1 (anna): active 10-27 .. 11-10 12:00
    # Moscow and from 11-12; c2 (ben): 10-26 02:00 .. 11-02 02:00 and 11-06 .. 11-13 10:00;
    # c3 (cleo, by her touches): 10-29 00:30 .. 11-05 00:30 Moscow.
    # W1 starts with c1, c2, c3; at its end c1 and c2 are active (c2 bought again), c3 is not.
    # W2 starts with c1, c2; now c1 is (it bought 11-12), c2 is not (since 10:00 today).
    check(
        kpis, "clients", {"anna": [0, 1, 1], "ben": [0, 1, 1], "cleo": [0, 1, 0], TEAM: [0, 3, 2]}
    )
    check(
        kpis,
        "clients_kept",
        {"anna": [0, 1, 1], "ben": [0, 1, 0], "cleo": [0, 0, 0], TEAM: [0, 2, 1]},
    )
    check(
        kpis,
        "clients_churned",
        {"anna": [0, 0, 0], "ben": [0, 0, 1], "cleo": [0, 1, 0], TEAM: [0, 1, 1]},
    )
    check(
        kpis,
        "retention",
        {"anna": [NAN, 1, 1], "ben": [NAN, 1, 0], "cleo": [NAN, 0, NAN], TEAM: [NAN, 2 / 3, 1 / 2]},
    )
    check(
        kpis,
        "touches_planned",
        {"anna": [0, 1, 0], "ben": [0, 0, 1], "cleo": [0, 2, 0], TEAM: [0, 3, 1]},
    )
    check(
        kpis,
        "touches_done",
        {"anna": [0, 1, 1], "ben": [0, 0, 1], "cleo": [0, 1, 0], TEAM: [0, 2, 2]},
    )
    check(
        kpis,
        "touch_completion",
        {
            "anna": [NAN, 1, NAN],
            "ben": [NAN, NAN, 1],
            "cleo": [NAN, 1 / 2, NAN],
            TEAM: [NAN, 2 / 3, 2],
        },
    )


def test_totals_over_the_whole_span(kpis: kpi.Kpis) -> None:
    assert kpis.total("leads_received") == 15
    assert kpis.total("leads_received", "anna") == 5
    assert kpis.total("revenue") == 4500
    # all 12 first responses: [1, 3, 3, 5, 7, 10, 15, 20, 20, 45, 70, 120]: (10 + 15) / 2
    assert kpis.total("response_p50") == 12.5
    assert kpis.total("conversion") == 5 / 15
    assert kpis.total("pipeline") == 4300  # open now
    assert kpis.total("peak_open") == 10
    assert kpis.total("overload_days", "ben") == 8
    assert kpis.total("clients") == 0  # nobody had bought before Monday 10-26
    assert np.isnan(kpis.total("retention"))


def test_read_outs(kpis: kpi.Kpis) -> None:
    assert kpis.value("leads_received", "ben", "2026-11-02") == 3
    assert kpis.value("leads_received", "ben", W1) == kpis.value("leads_received", "ben", -2)
    records = kpis.to_records()
    assert len(records) == 3 * 4  # 3 managers and the team in 3 weeks
    team_w2 = records[-1]
    assert team_w2["manager_id"] is None
    assert str(team_w2["period"]) == "2026-11-09"
    assert team_w2["revenue"] == 3500
    assert list(team_w2)[:3] == ["period", "manager_id", "leads_received"]
    assert np.isnan(records[0]["gini_leads"])  # a team figure, not the manager's
    frame = kpis.to_frame()
    assert frame.shape == (12, 2 + len(kpis.metrics))
    assert kpis.describe("reached:meeting").label("ru") == "Дошли до этапа «meeting»"
    calls = {
        "metric": lambda: kpis.value("revenu"),
        "manager": lambda: kpis.value("revenue", "dora"),
        "period": lambda: kpis.value("revenue", None, 7),
    }
    for field, call in calls.items():
        with pytest.raises(fl.InputError) as error:
            call()
        assert error.value.field == field


def test_a_share_too_small_to_divide_by_leaves_the_spread_without_a_figure() -> None:
    # Capacities of 1 and 10**308: anna's target share is 1e-308, and her deal value
    # per unit of share is beyond any number. The spread figures of that week are
    # missing (NaN), with no warning; the other figures stay.
    rows = [
        ev("created", "11-02T08:00", lead_id="A", deal_value=1000),
        ev("assigned", "11-02T08:02", lead_id="A", manager_id="anna"),
        ev("created", "11-02T09:00", lead_id="B", deal_value=1000),
        ev("assigned", "11-02T09:02", lead_id="B", manager_id="ben"),
    ]
    managers = [{"id": "anna", "max_active_leads": 1}, {"id": "ben", "max_active_leads": 10**308}]
    kpis = kpi.compute(kpi.EventLog.from_records(rows), "week", now=NOW, managers=managers)
    week = 0  # of 2 November, when both leads came
    assert np.isnan(kpis.series("gini_value")[week])
    assert np.isnan(kpis.series("gini_leads")[week])
    assert np.isnan(kpis.series("jain_leads")[week])
    assert kpis.series("leads_share", "anna")[week] == 0.5
    assert kpis.series("target_share", "anna")[week] == pytest.approx(1e-308)
    # with capacities within reach of each other, the same week has its figures
    managers[1]["max_active_leads"] = 3
    again = kpi.compute(kpi.EventLog.from_records(rows), "week", now=NOW, managers=managers)
    assert again.series("gini_value")[week] == pytest.approx(0.25)
