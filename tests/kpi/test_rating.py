# ruff: noqa: RUF001  (Russian text)
"""The managers' rating: each part against the team, the weights, ties, performance indices."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import fairlead as fl
from fairlead import kpi
from fairlead.kpi._rating import (
    PARTS,
    SCORE_CAP,
    composite,
    part_scores,
    rank_managers,
    rating,
)

WEIGHTS = {"plan": 0.4, "conversion": 0.3, "response": 0.15, "csat": 0.15}


# --------------------------------------------------------------------------- by hand


def three() -> tuple[dict[str, np.ndarray], dict[str, float]]:
    figures = {
        "plan": np.array([1.2, 0.6, 0.9]),
        "conversion": np.array([0.30, 0.10, 0.20]),
        "response": np.array([4.0, 19.0, 9.0]),
        "csat": np.array([4.5, 3.0, np.nan]),
    }
    team = {"plan": 0.9, "conversion": 0.2, "response": 9.0, "csat": 4.0}
    return figures, team


def test_each_part_is_scored_against_the_team():
    figures, team = three()
    scores = part_scores(figures, team)
    np.testing.assert_allclose(scores["plan"], [1.2 / 0.9, 0.6 / 0.9, 1.0])
    np.testing.assert_allclose(scores["conversion"], [1.5, 0.5, 1.0])
    # (9 + 1) / (4 + 1), (9 + 1) / (19 + 1): faster is better
    np.testing.assert_allclose(scores["response"], [2.0, 0.5, 1.0])
    np.testing.assert_allclose(scores["csat"], [1.125, 0.75, np.nan])
    # capped at 2 (and 0): one part cannot run away with the score
    wild = part_scores({"plan": np.array([9.0, -1.0])}, {"plan": 1.0})
    assert wild["plan"].tolist() == [SCORE_CAP, 0.0]
    # no team level: no score
    assert np.isnan(part_scores({"csat": np.array([4.0])}, {"csat": 0.0})["csat"]).all()


def test_the_score_is_the_weighted_mean_and_a_missing_part_is_re_weighted():
    figures, team = three()
    scores = part_scores(figures, team)
    score, used = composite(scores, WEIGHTS)
    first = 0.4 * 1.2 / 0.9 + 0.3 * 1.5 + 0.15 * 2.0 + 0.15 * 1.125
    second = 0.4 * 0.6 / 0.9 + 0.3 * 0.5 + 0.15 * 0.5 + 0.15 * 0.75
    np.testing.assert_allclose(score, [first, second, 1.0])
    np.testing.assert_allclose(score[:2], [1.4520833333, 0.6041666667])
    # the third has no CSAT: plan, conversion, response share its weight
    np.testing.assert_allclose(used[:, 2], [0.4 / 0.85, 0.3 / 0.85, 0.15 / 0.85, 0.0])
    r = rank_managers(["m1", "m2", "m3"], scores, WEIGHTS, figures, names={"m1": "Olga Kim"})
    assert [row.manager_id for row in r.rows] == ["m1", "m3", "m2"]
    assert [row.rank for row in r.rows] == [1, 2, 3]
    third = r.row("m3")
    assert third.missing == ("csat",)
    assert third.note("en") == (
        "fewer than 3 client ratings: weight spread over plan, conversion, response time"
    )
    assert third.note("ru") == (
        "меньше 3 оценок клиентов: вес распределён на план, конверсия, скорость ответа"
    )
    assert r.row("m1").name == "Olga Kim"
    assert r.row("m1").note() == ""
    assert r.text("en").splitlines()[0] == (
        "1. Olga Kim 1.452 (plan 1.33, conversion 1.50, response time 2.00, client rating 1.12)"
    )


def test_ties_are_ordered_by_plan_then_conversion_then_id_and_said():
    figures = {
        "plan": np.array([1.1, 1.2, 1.2, 0.7, 0.7]),
        "conversion": np.array([0.3, 0.2, 0.25, 0.1, 0.1]),
    }
    scores = {"plan": np.array([1.0, 1.0, 1.0004, 0.5, 0.5])}  # 1.0004 is 1.000 to 3 decimals
    r = rank_managers(["a", "b", "c", "e", "d"], scores, {"plan": 1.0}, figures)
    assert [row.manager_id for row in r.rows] == ["c", "b", "a", "d", "e"]
    assert [row.tie_by for row in r.rows] == ["conversion", "conversion", "plan", "id", "id"]
    assert r.row("b").tie_with == ("c", "a")
    assert r.row("b").tie
    assert r.row("a").note("en") == "tie with c, b (same score 1.000; ordered by plan attainment)"
    assert r.row("d").note("ru") == "ничья с e (та же оценка 0,500; порядок по идентификатору)"
    alone = rank_managers(["x"], {"plan": np.array([1.0])}, {"plan": 1.0}, {})
    assert not alone.rows[0].tie
    assert alone.rows[0].tie_by == ""


def test_a_manager_without_any_figure_comes_last_and_is_not_rated():
    scores = {"plan": np.array([np.nan, 0.8]), "csat": np.array([np.nan, 1.0])}
    r = rank_managers(["new", "old"], scores, WEIGHTS, {})
    assert r.manager_ids == ("old", "new")
    assert np.isnan(r.row("new").score)
    assert r.row("new").note("en") == "not rated: no figures yet"
    assert r.performance()["new"] == 1.0  # as Manager(performance=None): the team's level


def test_performance_is_the_score_within_floor_and_cap():
    r = rank_managers(["a", "b", "c"], {"plan": np.array([1.9, 0.1, 1.0])}, {"plan": 1.0}, {})
    assert r.performance() == {"a": 1.9, "c": 1.0, "b": 0.5}
    assert r.performance(cap=1.5) == {"a": 1.5, "c": 1.0, "b": 0.5}
    assert r.performance(policy={"performance_floor": 0.2, "performance_cap": None}) == {
        "a": 1.9,
        "c": 1.0,
        "b": 0.2,
    }
    with pytest.raises(fl.InputError, match=r"cap \(0.3\) must not be below the floor \(0.5\)"):
        r.performance(cap=0.3)


# --------------------------------------------------------------------------- properties

FIGURE = st.one_of(st.just(np.nan), st.floats(0.0, 50.0, allow_nan=False))


@given(
    data=st.data(),
    n=st.integers(1, 8),
    weights=st.lists(st.floats(0.0, 5.0), min_size=4, max_size=4).filter(lambda w: sum(w) > 0),
)
def test_the_rating_does_not_depend_on_the_order_of_the_managers(data, n, weights):
    figures = {p: np.array(data.draw(st.lists(FIGURE, min_size=n, max_size=n))) for p in PARTS}
    team = {p: data.draw(st.floats(0.1, 20.0)) for p in PARTS}
    ids = [f"m{j}" for j in range(n)]
    chosen = dict(zip(PARTS, weights, strict=True))
    first = rank_managers(ids, part_scores(figures, team), chosen, figures)
    order = data.draw(st.permutations(range(n)))
    shuffled = {p: v[list(order)] for p, v in figures.items()}
    again = rank_managers([ids[k] for k in order], part_scores(shuffled, team), chosen, shuffled)
    assert again.manager_ids == first.manager_ids
    for a, b in zip(first.rows, again.rows, strict=True):
        assert a.rank == b.rank
        assert a.score == pytest.approx(b.score, nan_ok=True)
        assert set(a.tie_with) == set(b.tie_with)


@given(
    scores=st.lists(FIGURE, min_size=1, max_size=10),
    floor=st.floats(0.0, 3.0),
    width=st.one_of(st.none(), st.floats(0.0, 3.0)),
)
def test_the_performance_index_stays_within_floor_and_cap(scores, floor, width):
    ids = [f"m{j}" for j in range(len(scores))]
    r = rank_managers(ids, {"plan": np.array(scores)}, {"plan": 1.0}, {})
    cap = None if width is None else floor + width
    index = r.performance(policy=fl.Policy(performance_floor=floor, performance_cap=cap))
    assert set(index) == set(ids)
    for value in index.values():
        assert value >= floor
        if cap is not None:
            assert value <= cap
    # the ranking and the index agree: a better rank never gets a smaller index, but for
    # ties (scores equal to 3 decimals; a manager without a score counts as 1.0)
    values = [index[row.manager_id] for row in r.rows if not np.isnan(row.score)]
    assert all(a >= b - 5e-4 for a, b in itertools.pairwise(values))


# --------------------------------------------------------------------------- from the KPIs


def lead(
    manager: str,
    i: int,
    day: str,
    *,
    won: float | None = None,
    minutes: int = 5,
    csat: int | None = None,
) -> list[dict[str, Any]]:
    name = f"{manager}-{day}-{i}"
    at = f"{day}T09:00"
    rows: list[dict[str, Any]] = [
        {"type": "assigned", "at": at, "lead_id": name, "manager_id": manager},
        {
            "type": "contacted",
            "at": f"{day}T{9 + minutes // 60:02d}:{minutes % 60:02d}",
            "lead_id": name,
        },
    ]
    if won is not None:
        rows.append({"type": "won", "at": f"{day}T17:00", "lead_id": name, "amount": won})
    else:
        rows.append({"type": "lost", "at": f"{day}T17:00", "lead_id": name})
    if csat is not None:
        rows.append({"type": "feedback", "at": f"{day}T18:00", "lead_id": name, "csat": csat})
    return rows


def test_plan_attainment_is_revenue_over_the_plan_pro_rated_to_now():
    rows: list[dict[str, Any]] = []
    rows += lead("ann", 0, "2026-11-03", won=120_000)
    rows += lead("bob", 0, "2026-11-04", won=25_000)
    for i in range(1, 6):
        rows += lead("ann", i, "2026-11-05")
        rows += lead("bob", i, "2026-11-05")
    kpis = kpi.compute(kpi.EventLog.from_records(rows), "week", now="2026-11-16T00:00")
    plan = [
        {"period": "2026-11", "manager_id": "ann", "revenue": 210_000},
        {"period": "2026-11", "manager_id": "bob", "revenue": 105_000},
    ]
    r = rating(kpis, plan, weights={"plan": 1})
    # 10 of November's 21 working days are behind: 100,000 and 50,000 are due
    assert r.row("ann").figures["plan"] == pytest.approx(1.2)
    assert r.row("bob").figures["plan"] == pytest.approx(0.5)
    assert r.team["plan"] == pytest.approx(145_000 / 150_000)
    assert r.row("ann").score == pytest.approx(1.2 / (145 / 150))
    assert r.manager_ids == ("ann", "bob")
    # without a plan the plan part is left out, and the rating says so
    no_plan = rating(kpis)
    assert np.isnan(no_plan.row("ann").parts["plan"])
    assert no_plan.notes[0][0] == "No sales plan: the rating leaves the plan out."
    # weights from the policy by default; bad weights refused by the policy's rule
    assert rating(kpis, plan, policy={"rating_weights": {"plan": 1}}).weights["plan"] == 1.0
    with pytest.raises(fl.InputError, match="rating_weights names an unknown part 'speed'"):
        rating(kpis, plan, weights={"speed": 1})
    with pytest.raises(fl.InputError, match="window must be a whole number of periods >= 1"):
        rating(kpis, window=0)


def team_log() -> Any:
    """star wins 10 of 20 and answers in 2 minutes; avg 4 of 20 in 10; weak 0 of 20 in 90."""
    rows: list[dict[str, Any]] = []
    days = ["2026-11-02", "2026-11-03", "2026-11-04", "2026-11-05"]
    for manager, wins, minutes, csat in (("star", 10, 2, 5), ("avg", 4, 10, 4), ("weak", 0, 90, 2)):
        for i in range(20):
            rows += lead(
                manager,
                i,
                days[i % 4],
                won=10_000 if i < wins else None,
                minutes=minutes,
                csat=csat if i < 5 else None,
            )
    return kpi.compute(kpi.EventLog.from_records(rows), "week", now="2026-11-06T12:00")


def test_a_better_rated_manager_gets_more_leads_and_the_weakest_the_floor():
    kpis = team_log()
    plan = [{"period": "2026-11-02", "revenue": 150_000}]
    managers = [{"id": m, "max_active_leads": 100} for m in ("star", "avg", "weak")]
    r = rating(kpis, plan, managers=managers)
    assert r.manager_ids == ("star", "avg", "weak")
    index = r.performance()
    assert index["star"] > index["avg"] > index["weak"] == 0.5  # lifted to the floor
    team = [fl.Manager(id=m, max_active_leads=100, performance=index[m]) for m in index]
    leads = [fl.Lead(id=f"l{i}", score=0.3) for i in range(60)]
    assigned = fl.assign(leads, team, policy=fl.Policy(target_share="performance"))
    share = dict(zip(index, assigned.capacity.target_share, strict=True))
    assert share["star"] > share["avg"] > share["weak"] > 0
    total = sum(index.values())
    assert share["weak"] == pytest.approx(0.5 / total)
    assert share["star"] == pytest.approx(index["star"] / total)
    loads = dict(zip(index, assigned.solution.loads, strict=True))
    assert loads["star"] > loads["weak"] >= 1
    # with a capacity split everybody would get a third
    flat = fl.assign(leads, team)
    np.testing.assert_allclose(flat.capacity.target_share, [1 / 3] * 3)
