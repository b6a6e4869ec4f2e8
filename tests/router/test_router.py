"""The online Router: the choice rule, loads, idempotency, prices, SLA and input errors.

Every routing decision is checked against ``Reference``, an independent brute-force
re-implementation of the documented rule written with plain Python loops: among the
eligible managers who are not paused and have room, the fair band (behind first, else
within, else relaxed; see :func:`fairlead.router._pick.pick`) selects a pool and the lead
goes to the best ``value - price`` in it. Prices are checked against the duals of an
exact ``sifting`` batch solve built here from the same window. Availability, absences
and catch-up are in ``test_router_calendar.py``; persistence in ``test_router_store.py``.
"""

import dataclasses
import math
from datetime import UTC, datetime, timedelta, timezone

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fairlead as fl

T0 = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)  # a Monday
LEVELS = ("trainee", "junior", "middle", "senior")
#: Policy's default level factors, by tier, in the order of LEVELS.
FACTORS = {
    "hot": (0.5, 0.75, 1.0, 1.25),
    "warm": (0.8, 0.9, 1.0, 1.1),
    "cold": (1.0, 1.0, 1.0, 1.0),
}
PRODUCTS = ("loans", "cards", "mortgage")
BANDS = {
    "off": "available with room",
    "behind": "behind their fair share",
    "within": "within their fair share",
    "relaxed": "with room, all above their fair share",
}


def minutes(k):
    return T0 + timedelta(minutes=k)


def by_id(router, now):
    return {s.manager_id: s for s in router.status(now)}


# ------------------------------------------------------------------ independent reference


class Reference:
    """The router's choice rule and bookkeeping, re-implemented with plain loops.

    No decay (the router under test has ``share_half_life=None``), no hours or absences,
    and ``CatchUp(mode="none")``: pauses only take managers out of the running.
    """

    def __init__(self, managers, policy):
        self.ids = [mg["id"] for mg in managers]
        self.level = [LEVELS.index(mg.get("level", "middle")) for mg in managers]
        self.skills = [set(mg.get("skills", ())) for mg in managers]
        self.cap = [float(mg["max_active_leads"]) for mg in managers]
        self.active = [float(mg.get("active_leads", 0)) for mg in managers]
        self.open = list(self.active)
        self.paused = [not mg.get("available", True) for mg in managers]
        self.policy = policy
        equal = policy.get("target_share", "capacity") == "equal"
        # shares of the lead effort each has room for: capacity over the level's factor
        by_level = policy.get("effort_by_level") or {}
        factor = [by_level.get(LEVELS[lv], 1.0) for lv in self.level]
        room = [c / f for c, f in zip(self.cap, factor, strict=True)]
        self.weight = [(1.0 if r > 0 else 0.0) if equal else r for r in room]
        m = len(managers)
        self.received = [0.0] * m
        self.target = [0.0] * m
        self.routed = [0] * m
        self.released = [0] * m
        self.won = [0] * m
        self.leads = {}  # id -> {"manager": int | None, "work": float, "outcome": str | None}
        self.order = []  # lead ids by first arrival

    # -- rules
    def tier(self, lead):
        if lead.get("tier") is not None:
            return lead["tier"]
        score = lead["score"]
        hot, warm = self.policy.get("hot_threshold", 0.6), self.policy.get("warm_threshold", 0.3)
        return "hot" if score >= hot else "warm" if score >= warm else "cold"

    def below(self, j, tier):
        floor = self.policy.get("hot_min_level", "middle")
        return tier == "hot" and floor is not None and self.level[j] < LEVELS.index(floor)

    def eligible(self, lead, tier, j):
        product = lead.get("product")
        qualified = self.policy.get("qualification_required", True)
        if qualified and product is not None and product not in self.skills[j]:
            return False
        return not (self.policy.get("hot_rule", "hard") == "hard" and self.below(j, tier))

    def value(self, lead, tier, j, row):
        v = min(1.0, lead["score"] * FACTORS[tier][self.level[j]]) if row is None else float(row[j])
        if self.policy.get("hot_rule", "hard") == "soft" and self.below(j, tier):
            v -= self.policy.get("hot_penalty", 0.2)
        return v

    def work(self, lead, j):
        by_level = self.policy.get("effort_by_level") or {}
        return lead.get("effort", 1.0) * by_level.get(LEVELS[self.level[j]], 1.0)

    def knows_product(self, lead):
        product = lead.get("product")
        if product is None or not self.policy.get("qualification_required", True):
            return True
        return any(product in s for s in self.skills)

    # -- the choice
    def expect(self, lead, row, prices):
        """Accrue the fair share and return (pool, band, net), or None if nobody can."""
        tier = self.tier(lead)
        cand = [
            j
            for j in range(len(self.ids))
            if self.eligible(lead, tier, j)
            and not self.paused[j]
            and self.open[j] + self.work(lead, j) <= self.cap[j] + 1e-9
        ]
        if not cand:
            return None
        total = 0.0
        for j in cand:
            total += self.weight[j]
        for j in cand:
            self.target[j] += self.weight[j] / total
        t = self.policy.get("balance_tolerance", 0.2)
        if t is None:
            pool, band = cand, "off"
        else:
            behind = [j for j in cand if self.received[j] + 1.0 <= (1.0 - t) * self.target[j]]
            within = [j for j in cand if self.received[j] + 1.0 <= (1.0 + t) * self.target[j] + 1.0]
            if behind:
                pool, band = behind, "behind"
            elif within:
                pool, band = within, "within"
            else:
                pool, band = cand, "relaxed"
        net = {j: self.value(lead, tier, j, row) - float(prices[j]) for j in cand}
        return pool, band, net

    def check(self, decision, lead, row, prices):
        """Assert ``decision`` follows the rule; update the books with it."""
        known = self.leads.get(lead["id"])
        got = self.expect(lead, row, prices)
        if got is None:
            assert decision.manager_id is None, decision
            assert decision.kind == "waiting"
            assert "no manager can take it now" in decision.reason
            if known is None:
                self.leads[lead["id"]] = {"manager": None, "work": 0.0, "outcome": None}
                self.order.append(lead["id"])
            return
        pool, band, net = got
        assert decision.manager_id is not None, (decision, pool)
        j = self.ids.index(decision.manager_id)
        assert j in pool, (decision, [self.ids[k] for k in pool], band)
        best = max(net[k] for k in pool)
        assert net[j] == pytest.approx(best, abs=1e-12), (decision, net, band)
        tier = self.tier(lead)
        assert decision.value == pytest.approx(self.value(lead, tier, j, row), abs=1e-12)
        assert decision.price == float(prices[j])
        assert decision.score == pytest.approx(net[j], abs=1e-12)
        assert decision.kind == "routed"
        assert not decision.replayed
        assert BANDS[band] in decision.reason, (band, decision.reason)
        others = [k for k in pool if k != j]
        if others:
            assert decision.runner_up_id is not None
            k = self.ids.index(decision.runner_up_id)
            assert k in others
            assert net[k] == pytest.approx(max(net[o] for o in others), abs=1e-12)
            assert f"runner-up {decision.runner_up_id!r}" in decision.reason
        else:
            assert decision.runner_up_id is None
            assert "runner-up" not in decision.reason
        work = self.work(lead, j)
        self.open[j] += work
        self.received[j] += 1.0
        self.routed[j] += 1
        if known is None:
            self.order.append(lead["id"])
        self.leads[lead["id"]] = {"manager": j, "work": work, "outcome": None}

    def can_take(self, lead, j):
        tier = self.tier(lead)
        return (
            self.eligible(lead, tier, j)
            and not self.paused[j]
            and self.open[j] + self.work(lead, j) <= self.cap[j] + 1e-9
        )

    def check_queue(self, router, routed, rows, expected, now):
        """``route_waiting`` places leads as a batch: check what any placement must hold.

        Each placed lead was waiting and goes to a manager who may take it, nobody above
        room, and no lead is left waiting that some manager could still take. The fair
        accounts of a batch are then read back from the router.
        """
        ids = [d.lead_id for d in routed]
        assert len(set(ids)) == len(ids)
        assert set(ids) <= set(expected), (ids, expected)
        for d in routed:
            lead, _ = rows[d.lead_id]
            assert d.kind == "routed"
            assert not d.replayed
            assert d.at == now
            assert d.manager_id is not None
            j = self.ids.index(d.manager_id)
            assert self.eligible(lead, self.tier(lead), j), d
            assert not self.paused[j], d
            work = self.work(lead, j)
            self.open[j] += work
            assert self.open[j] <= self.cap[j] + 1e-9, d
            self.routed[j] += 1
            self.leads[d.lead_id] = {"manager": j, "work": work, "outcome": None}
        for lead_id in self.waiting():
            lead, _ = rows[lead_id]
            assert not any(self.can_take(lead, j) for j in range(len(self.ids))), lead_id
        for j, s in enumerate(router.status(now)):
            self.received[j], self.target[j] = s.received, s.target

    def release(self, lead_id, outcome):
        entry = self.leads[lead_id]
        entry["outcome"] = outcome
        j = entry["manager"]
        if j is not None:
            self.open[j] = max(self.open[j] - entry["work"], 0.0)
            self.released[j] += 1
            self.won[j] += outcome == "won"

    def waiting(self):
        return [
            i
            for i in self.order
            if self.leads[i]["manager"] is None and self.leads[i]["outcome"] is None
        ]

    def assert_status(self, router, now):
        rows = router.status(now)
        assert [s.manager_id for s in rows] == self.ids
        for j, s in enumerate(rows):
            held = sum(
                e["work"] for e in self.leads.values() if e["manager"] == j and e["outcome"] is None
            )
            assert s.open <= s.capacity + 1e-9, s
            assert s.open == pytest.approx(self.active[j] + held, abs=1e-9), s
            assert s.open == pytest.approx(self.open[j], abs=1e-9)
            assert s.capacity == self.cap[j]
            assert s.routed == self.routed[j]
            assert s.released == self.released[j]
            assert s.won == self.won[j]
            assert s.received == pytest.approx(self.received[j], abs=1e-9)
            assert s.target == pytest.approx(self.target[j], abs=1e-9)
            assert s.paused == self.paused[j]
            assert s.reassigned_in == s.reassigned_out == 0
        assert sum(self.routed) == sum(1 for e in self.leads.values() if e["manager"] is not None)
        assert router.waiting() == self.waiting()


# ------------------------------------------------------------------ strategies

SCORES = st.sampled_from([0.0, 0.1, 0.25, 0.3, 0.45, 0.59, 0.6, 0.7, 0.85, 0.95, 1.0])
VALUES = st.integers(0, 20).map(lambda k: k / 20)


@st.composite
def teams(draw, max_managers=5):
    m = draw(st.integers(1, max_managers))
    managers = []
    for j in range(m):
        cap = draw(st.integers(0, 4))
        managers.append(
            {
                "id": f"m{j}",
                "level": draw(st.sampled_from(LEVELS)),
                "skills": sorted(draw(st.sets(st.sampled_from(PRODUCTS[:2]), max_size=2))),
                "max_active_leads": cap,
                "active_leads": draw(st.integers(0, cap)),
                "available": draw(st.sampled_from([True, True, True, False])),
            }
        )
    policy = {
        "balance_tolerance": draw(st.sampled_from([None, 0.0, 0.1, 0.3, 1.0])),
        "qualification_required": draw(st.booleans()),
        "hot_min_level": draw(st.sampled_from([None, "junior", "middle", "senior"])),
        "hot_rule": draw(st.sampled_from(["hard", "soft"])),
        "target_share": draw(st.sampled_from(["capacity", "equal"])),
        "effort_by_level": draw(st.sampled_from([None, {"senior": 0.5}])),
    }
    return managers, policy


@st.composite
def leads(draw, ident):
    lead = {"id": ident, "score": draw(SCORES)}
    tier = draw(st.sampled_from([None, None, "hot", "warm", "cold"]))
    if tier is not None:
        lead["tier"] = tier
    product = draw(st.sampled_from([None, None, *PRODUCTS]))
    if product is not None:
        lead["product"] = product
    effort = draw(st.sampled_from([1.0, 1.0, 2.0, 0.5]))
    if effort != 1.0:
        lead["effort"] = effort
    return lead


def window_of(draw, m, n_max=8):
    n = draw(st.integers(1, n_max))
    window = [draw(leads(f"w{i}")) for i in range(n)]
    values = [[draw(VALUES) for _ in range(m)] for _ in range(n)]
    return window, values


# ------------------------------------------------------------------ 1. the routing rule


@settings(max_examples=80, deadline=None)
@given(data=st.data(), team=teams())
def test_route_release_sequences_follow_the_rule_and_keep_the_books(data, team):
    managers, policy = team
    m = len(managers)
    router = fl.Router(managers, policy, catch_up={"mode": "none"}, share_half_life=None, sla=None)
    ref = Reference(managers, policy)
    if data.draw(st.booleans(), label="fit"):
        window, values = window_of(data.draw, m)
        window = [w for w in window if ref.knows_product(w)] or [{"id": "w", "score": 0.5}]
        values = values[: len(window)]
        capacity = data.draw(st.sampled_from([None, [2] * m]), label="window capacity")
        router.fit(window, values=values, capacity=capacity)
    prices = router.prices_
    rows = {}
    ref.assert_status(router, minutes(0))
    n_ops = data.draw(st.integers(1, 30), label="ops")
    for step in range(1, n_ops + 1):
        now = minutes(step)
        op = data.draw(
            st.sampled_from(["route"] * 4 + ["replay", "release", "release", "waiting", "pause"]),
            label="op",
        )
        known = ref.order
        if op == "route" or (op in ("replay", "release") and not known):
            lead = data.draw(leads(f"l{step}"), label="lead")
            row = data.draw(st.one_of(st.none(), st.lists(VALUES, min_size=m, max_size=m)))
            if not ref.knows_product(lead):
                with pytest.raises(fl.InputError, match="is not a skill of any manager"):
                    router.route(lead, now, value=row)
                continue
            rows[lead["id"]] = (lead, row)
            ref.check(router.route(lead, now, value=row), lead, row, prices)
        elif op == "replay":
            lead_id = data.draw(st.sampled_from(known), label="replay")
            lead, row = rows[lead_id]
            entry = ref.leads[lead_id]
            if entry["manager"] is not None:
                before = router.status(now)
                first = router.decision(lead_id)
                again = router.route(lead, now, value=row)
                assert again.replayed
                assert again.manager_id == ref.ids[entry["manager"]]
                assert again == dataclasses.replace(first, replayed=True)
                assert router.status(now) == before
            elif entry["outcome"] is not None:
                with pytest.raises(fl.InputError, match=rf"^lead '{lead_id}': released as "):
                    router.route(lead, now, value=row)
            else:
                ref.check(router.route(lead, now, value=row), lead, row, prices)
        elif op == "release":
            lead_id = data.draw(st.sampled_from(known), label="release")
            outcome = data.draw(st.sampled_from(["won", "lost", "closed"]), label="outcome")
            entry = ref.leads[lead_id]
            if entry["outcome"] is None:
                router.release(lead_id, outcome, now)
                ref.release(lead_id, outcome)
            elif entry["outcome"] == outcome:
                router.release(lead_id, outcome, now)  # no-op
            else:
                with pytest.raises(fl.InputError, match=r"': already released as '"):
                    router.release(lead_id, outcome, now)
        elif op == "waiting":
            expected = ref.waiting()
            routed = router.route_waiting(now)
            ref.check_queue(router, routed, rows, expected, now)
        else:
            j = data.draw(st.integers(0, m - 1), label="manager")
            if ref.paused[j]:
                router.resume(ref.ids[j], now)
            else:
                router.pause(ref.ids[j], now)
            ref.paused[j] = not ref.paused[j]
        ref.assert_status(router, now)


@settings(max_examples=60, deadline=None)
@given(data=st.data(), team=teams(max_managers=4))
def test_one_lead_after_a_fit_goes_to_the_best_net_value(data, team):
    """A single lead, default values: the argmax of value - price over who may take it."""
    managers, policy = team
    policy = {**policy, "balance_tolerance": None}
    router = fl.Router(managers, policy, share_half_life=None)
    ref = Reference(managers, policy)
    window, values = window_of(data.draw, len(managers))
    window = [w for w in window if ref.knows_product(w)] or [{"id": "w", "score": 0.5}]
    router.fit(window, values=values[: len(window)])
    lead = data.draw(leads("x"))
    if not ref.knows_product(lead):
        return
    ref.check(router.route(lead, T0), lead, None, router.prices_)


def test_ties_break_toward_the_earlier_manager_and_the_band_steers():
    managers = [{"id": name, "max_active_leads": 100} for name in "abc"]
    router = fl.Router(managers, {"balance_tolerance": 0.0}, share_half_life=None)
    for i in range(30):
        router.route({"id": f"l{i}", "score": 0.5}, minutes(i))
        # equal values: a zero-width band keeps every count within one lead of its target
        for s in router.status(minutes(i)):
            assert s.target - 1 - 1e-9 <= s.received <= s.target + 1 + 1e-9, s
    assert [s.routed for s in router.status(minutes(30))] == [10, 10, 10]


def test_band_lets_a_much_better_manager_take_more_but_not_everything():
    managers = [{"id": name, "max_active_leads": 100} for name in "ab"]
    value = [0.9, 0.1]
    banded = fl.Router(managers, {"balance_tolerance": 0.5}, share_half_life=None)
    free = fl.Router(managers, {"balance_tolerance": None}, share_half_life=None)
    for i in range(40):
        banded.route({"id": f"l{i}", "score": 0.5}, minutes(i), value=value)
        free.route({"id": f"l{i}", "score": 0.5}, minutes(i), value=value)
    assert by_id(free, minutes(40))["a"].routed == 40
    a = by_id(banded, minutes(40))["a"]
    # received + 1 <= 1.5 * target + 1 with target 20: a stops at 30
    assert a.routed == 30
    assert a.deviation == pytest.approx(0.5)


def test_capacity_is_never_exceeded_and_waiting_leads_are_routed_after_a_release():
    managers = [{"id": "a", "max_active_leads": 1}, {"id": "b", "max_active_leads": 2}]
    router = fl.Router(managers, {"balance_tolerance": None})
    placed = [router.route({"id": f"l{i}", "score": 0.5}, minutes(i)) for i in range(3)]
    assert sorted(d.manager_id for d in placed) == ["a", "b", "b"]
    late = router.route({"id": "l3", "score": 0.5}, minutes(3))
    assert late.manager_id is None
    assert late.kind == "waiting"
    assert late.reason == (
        "no manager can take it now: 2 qualified, 2 of them within working hours, "
        "2 not absent or paused, 0 with room"
    )
    assert router.route({"id": "l4", "score": 0.4}, minutes(4)).manager_id is None
    assert router.waiting() == ["l3", "l4"]
    assert router.route_waiting(minutes(5)) == []
    assert router.decision("l3").kind == "waiting"
    holder = placed[0].manager_id
    router.release("l0", "won", minutes(6))
    routed = router.route_waiting(minutes(7))
    assert [(d.lead_id, d.manager_id, d.kind) for d in routed] == [("l3", holder, "routed")]
    assert routed[0].at == minutes(7)
    assert router.waiting() == ["l4"]
    assert [s.open for s in router.status(minutes(7))] == [1.0, 2.0]
    # the same lead id again is the routed decision, replayed
    assert router.route({"id": "l3", "score": 0.5}, minutes(8)).replayed
    # a waiting lead may be closed; it is then no longer waiting nor routable
    router.release("l4", "closed", minutes(9))
    assert router.waiting() == []
    with pytest.raises(
        fl.InputError,
        match=r"^lead 'l4': released as 'closed' while it waited; a closed lead is not routed$",
    ):
        router.route({"id": "l4", "score": 0.4}, minutes(10))
    books = by_id(router, minutes(10))
    other = "b" if holder == "a" else "a"
    assert (books[holder].released, books[holder].won, books[other].released) == (1, 1, 0)


def test_route_waiting_places_the_queue_for_the_best_total_value():
    """One at a time, l0 would take a (0.9) and leave l1 with b (0.1): 1.0 in all."""
    managers = [{"id": "a", "max_active_leads": 1}, {"id": "b", "max_active_leads": 1}]
    router = fl.Router(managers, {"balance_tolerance": None})
    router.pause("a", T0)
    router.pause("b", T0)
    router.route({"id": "l0", "score": 0.5}, minutes(1), value=[0.9, 0.8])
    router.route({"id": "l1", "score": 0.5}, minutes(2), value=[0.9, 0.1])
    router.route({"id": "l2", "score": 0.5}, minutes(3), value=[0.2, 0.2])
    assert router.waiting() == ["l0", "l1", "l2"]
    router.resume("a", minutes(4))
    router.resume("b", minutes(4))
    routed = router.route_waiting(minutes(5))
    assert {d.lead_id: d.manager_id for d in routed} == {"l0": "b", "l1": "a"}
    assert sum(d.value for d in routed) == pytest.approx(1.7)
    assert router.waiting() == ["l2"]
    assert [s.open for s in router.status(minutes(5))] == [1.0, 1.0]


def test_active_leads_count_against_capacity_and_unavailable_starts_paused():
    managers = [
        {"id": "a", "max_active_leads": 3, "active_leads": 3},
        {"id": "b", "max_active_leads": 5, "available": False},
        {"id": "c", "max_active_leads": 2, "active_leads": 1},
    ]
    router = fl.Router(managers, {"balance_tolerance": None})
    a, b, c = router.status(T0)
    assert (a.open, b.open, c.open) == (3.0, 0.0, 1.0)
    assert (a.available, b.available, b.paused, c.available) == (True, False, True, True)
    assert router.route({"id": "l1", "score": 0.5}, T0).manager_id == "c"
    waiting = router.route({"id": "l2", "score": 0.5}, T0)
    assert waiting.manager_id is None
    assert waiting.reason.endswith(
        "3 qualified, 3 of them within working hours, 2 not absent or paused, 0 with room"
    )
    router.resume("b", T0)
    assert [d.manager_id for d in router.route_waiting(T0)] == ["b"]


def test_hot_leads_hard_and_soft_rule():
    managers = [
        {"id": "jun", "level": "junior", "max_active_leads": 5},
        {"id": "sen", "level": "senior", "max_active_leads": 5},
    ]
    hot = {"id": "h", "score": 0.7}
    hard = fl.Router(managers, {"balance_tolerance": None, "hot_rule": "hard"})
    row = [0.9, 0.5]
    assert hard.route(hot, T0, value=row).manager_id == "sen"
    soft = fl.Router(managers, {"balance_tolerance": None, "hot_rule": "soft"})
    d = soft.route(hot, T0, value=row)
    assert (d.manager_id, d.value) == ("jun", pytest.approx(0.7))  # 0.9 - 0.2 > 0.5
    d = soft.route({"id": "h2", "score": 0.7}, T0, value=[0.6, 0.5])
    assert d.manager_id == "sen"  # 0.6 - 0.2 < 0.5
    # a hot lead nobody may take waits, and says why
    only = fl.Router(managers[:1], {"balance_tolerance": None})
    d = only.route(hot, T0)
    assert d.manager_id is None
    assert d.reason.startswith("no manager can take it now: 0 qualified")


def test_qualification_routes_by_skill():
    managers = [
        {"id": "a", "skills": "loans", "max_active_leads": 5},
        {"id": "b", "skills": "cards; loans", "max_active_leads": 5},
    ]
    router = fl.Router(managers, {"balance_tolerance": None})
    assert router.route({"id": "l1", "score": 0.5, "product": "cards"}, T0).manager_id == "b"
    d = router.route({"id": "l2", "score": 0.5, "product": "loans"}, T0, value=[0.5, 0.4])
    assert d.manager_id == "a"
    lax = fl.Router(managers, {"balance_tolerance": None, "qualification_required": False})
    d = lax.route({"id": "l1", "score": 0.5, "product": "boats"}, T0, value=[0.9, 0.1])
    assert d.manager_id == "a"


# ------------------------------------------------------------------ 2. idempotency


def test_same_lead_twice_is_the_same_decision_replayed():
    managers = [{"id": "a", "max_active_leads": 5}, {"id": "b", "max_active_leads": 5}]
    router = fl.Router(managers, {"balance_tolerance": None})
    first = router.route({"id": "l1", "score": 0.5}, T0, value=[0.2, 0.8])
    assert (first.manager_id, first.replayed) == ("b", False)
    before = router.status(T0)
    # a different value row or time does not change a routed lead's decision
    again = router.route({"id": "l1", "score": 0.5}, T0 + timedelta(hours=1), value=[0.9, 0.1])
    assert again.replayed
    assert again.manager_id == "b"
    assert again.at == first.at == T0
    assert (again.value, again.price, again.reason) == (first.value, first.price, first.reason)
    assert router.status(T0) == before
    assert router.decision("l1") == first
    assert router.decision("nope") is None
    assert sum(s.routed for s in router.status(T0)) == 1


def test_readme_example():
    managers = [
        {"id": "anna", "level": "senior", "max_active_leads": 2},
        {"id": "ben", "level": "junior", "max_active_leads": 2},
    ]
    router = fl.Router(managers, policy={"balance_tolerance": None})
    now = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
    assert router.route({"id": "l-1", "score": 0.8}, now).manager_id == "anna"
    assert router.route({"id": "l-1", "score": 0.8}, now).replayed
    assert repr(router) == "Router(2 managers, store=memory)"
    assert router.manager_ids_ == ["anna", "ben"]


# ------------------------------------------------------------------ 3. release


def test_release_outcomes_counts_and_errors():
    managers = [{"id": "a", "max_active_leads": 3}]
    router = fl.Router(managers, {"balance_tolerance": None})
    for i in range(3):
        router.route({"id": f"l{i}", "score": 0.5}, T0)
    router.release("l0", "won", T0)
    router.release("l1", "lost", T0)
    router.release("l2", "closed", T0)
    router.release("l0", "won", T0)  # again, same outcome: nothing happens
    (a,) = router.status(T0)
    assert (a.open, a.released, a.won, a.routed) == (0.0, 3, 1, 3)
    with pytest.raises(fl.InputError, match=r"^lead 'l0': already released as 'won', not 'lost'$"):
        router.release("l0", "lost", T0)
    with pytest.raises(fl.InputError, match=r"^lead 'zz': never routed by this router$"):
        router.release("zz", "won", T0)
    with pytest.raises(
        fl.InputError,
        match=r"^lead 'l1': outcome must be one of 'won', 'lost', 'closed', got 'sold'$",
    ):
        router.release("l1", "sold", T0)
    (after,) = router.status(T0)
    assert after == a
    # a released lead id stays known: routing it again replays its decision
    assert router.route({"id": "l0", "score": 0.5}, T0).replayed


def test_release_frees_the_workload_of_a_weighted_lead():
    managers = [
        {"id": "s", "level": "senior", "max_active_leads": 3},
        {"id": "j", "level": "junior", "max_active_leads": 3},
    ]
    policy = {"balance_tolerance": None, "effort_by_level": {"senior": 0.5}}
    router = fl.Router(managers, policy)
    d = router.route({"id": "big", "score": 0.2, "effort": 4.0}, T0)
    assert d.manager_id == "s"  # 4 * 0.5 = 2 fits in 3; 4 does not fit the junior
    assert by_id(router, T0)["s"].open == 2.0
    assert router.route({"id": "big2", "score": 0.2, "effort": 4.0}, T0).manager_id is None
    router.release("big", "lost", T0)
    assert by_id(router, T0)["s"].open == 0.0
    assert [x.manager_id for x in router.route_waiting(T0)] == ["s"]


# ------------------------------------------------------------------ 4. prices


def water_fill(weights, caps, total):
    """Split ``total`` by ``weights``, nobody above their cap (plain loops)."""
    m = len(weights)
    share = [0.0] * m
    open_ = [weights[j] > 0 and caps[j] > 0 for j in range(m)]
    remaining = min(total, sum(caps[j] for j in range(m) if open_[j]))
    while remaining > 1e-12 and any(open_):
        wsum = sum(weights[j] for j in range(m) if open_[j])
        portion = [remaining * weights[j] / wsum if open_[j] else 0.0 for j in range(m)]
        capped = [open_[j] and share[j] + portion[j] >= caps[j] for j in range(m)]
        if not any(capped):
            share = [share[j] + portion[j] for j in range(m)]
            break
        for j in range(m):
            if capped[j]:
                remaining -= caps[j] - share[j]
                share[j] = caps[j]
                open_[j] = False
    return share


def expected_window(ref, window, values, capacity, included):
    """The batch problem the router should price: value, eligibility and load bounds."""
    n, m = len(window), len(ref.ids)
    value = np.zeros((n, m))
    eligible = np.zeros((n, m), dtype=bool)
    for i, lead in enumerate(window):
        tier = ref.tier(lead)
        for j in range(m):
            row = None if values is None else values[i]
            value[i, j] = ref.value(lead, tier, j, row)
            eligible[i, j] = ref.eligible(lead, tier, j) and included[j]
    weights = [ref.weight[j] if included[j] else 0.0 for j in range(m)]
    counts = [float(eligible[:, j].sum()) for j in range(m)]
    placeable = float(eligible.any(axis=1).sum())
    share = water_fill(weights, counts, placeable)
    t = ref.policy.get("balance_tolerance", 0.2)
    if t is None:
        low = [0.0] * m
        high = [math.ceil(s - 1e-9) for s in share]
    else:
        high = [min(math.ceil((1 + t) * s - 1e-9), c) for s, c in zip(share, counts, strict=True)]
        low = [
            min(math.floor(max(1 - t, 0) * s + 1e-9), h) for s, h in zip(share, high, strict=True)
        ]
    if capacity is not None:
        high = [float(capacity[j]) if included[j] else 0.0 for j in range(m)]
        low = [0.0] * m if t is None else [min(lo, h) for lo, h in zip(low, high, strict=True)]
    return value, eligible, np.array(low, dtype=float), np.array(high, dtype=float)


def solve_window(value, eligible, low, high):
    problem = fl.AssignmentProblem(
        value=value, capacity=high, eligible=eligible, min_load=low, allow_unassigned=True
    )
    sol = fl.solve(problem, method="sifting")
    if sol.status is fl.SolveStatus.INFEASIBLE and low.any():
        problem = fl.AssignmentProblem(
            value=value, capacity=high, eligible=eligible, allow_unassigned=True
        )
        sol = fl.solve(problem, method="sifting")
    assert sol.status is fl.SolveStatus.OPTIMAL
    return problem, sol


@settings(max_examples=60, deadline=None)
@given(data=st.data(), team=teams())
def test_fit_prices_are_the_duals_of_the_batch_solve(data, team):
    managers, policy = team
    m = len(managers)
    ref = Reference(managers, policy)
    window, values = window_of(data.draw, m)
    if data.draw(st.booleans(), label="model values"):
        values = None
    capacity = data.draw(
        st.one_of(st.none(), st.lists(st.integers(0, 4), min_size=m, max_size=m)), label="cap"
    )
    router = fl.Router(managers, policy)
    assert np.array_equal(router.prices_, np.zeros(m))
    skills = {skill for mg in managers for skill in mg.get("skills", [])}
    unknown = [x["product"] for x in window if x.get("product") not in (None, *skills)]
    if unknown and policy.get("qualification_required", True):
        # a product nobody sells is an error, as it is for route()
        with pytest.raises(fl.InputError, match=r"is not a skill of any manager"):
            router.fit(window, values=values, capacity=capacity)
        return
    assert router.fit(window, values=values, capacity=capacity) is router
    value, eligible, low, high = expected_window(ref, window, values, capacity, [True] * m)
    problem, sol = solve_window(value, eligible, low, high)
    np.testing.assert_allclose(router.prices_, sol.duals, rtol=0, atol=1e-12)
    bound = fl.dual_bound(problem, router.prices_, sol.unassigned_price or 0.0)
    assert bound == pytest.approx(sol.objective, abs=1e-9)
    # reprice returns the new prices, and they replace the old ones
    again = router.reprice(window[::-1], values=None if values is None else values[::-1])
    np.testing.assert_array_equal(again, router.prices_)


def test_default_window_bounds_are_the_fair_band_of_capacity_shares():
    """Ten leads, capacities 6, 3, 1, band ±20 %: shares 6, 3, 1 -> [4, 8], [2, 4], [0, 2]."""
    from fairlead.router._pricing import window_bounds

    low, high = window_bounds(np.array([6.0, 3.0, 1.0]), np.ones((10, 3), bool), 0.2)
    assert low.tolist() == [4.0, 2.0, 0.0]
    assert high.tolist() == [8.0, 4.0, 2.0]
    low, high = window_bounds(np.array([6.0, 3.0, 1.0]), np.ones((10, 3), bool), None)
    assert (low.tolist(), high.tolist()) == ([0.0, 0.0, 0.0], [6.0, 3.0, 1.0])
    # only 2 leads may go to the first: the rest is shared by the others
    eligible = np.ones((10, 3), bool)
    eligible[2:, 0] = False
    _, high = window_bounds(np.array([6.0, 3.0, 1.0]), eligible, None)
    assert high.tolist() == [2.0, 6.0, 2.0]


def test_prices_with_a_scarce_star_and_routing_net_of_them():
    """Everyone prefers 'a' (cap 1 in a window of 3): a's price makes the others win."""
    managers = [{"id": name, "max_active_leads": 10} for name in "abc"]
    window = [{"id": f"w{i}", "score": 0.5} for i in range(3)]
    values = [[0.9, 0.5, 0.4], [0.8, 0.6, 0.3], [0.7, 0.2, 0.6]]
    router = fl.Router(managers, {"balance_tolerance": None}, share_half_life=None)
    router.fit(window, values=values, capacity=[1, 1, 1])
    problem, sol = solve_window(np.array(values), np.ones((3, 3), bool), np.zeros(3), np.ones(3))
    assert sol.objective == pytest.approx(0.9 + 0.6 + 0.6)
    np.testing.assert_allclose(router.prices_, sol.duals, atol=1e-12)
    assert fl.dual_bound(problem, router.prices_, sol.unassigned_price) == pytest.approx(2.1)
    p = router.prices_
    assert p[0] >= 0.2 - 1e-9  # b, c full: a's lead 1 must not prefer a (0.8 - p_a <= 0.6)
    d = router.route({"id": "x", "score": 0.5}, T0, value=[0.8, 0.6, 0.3])
    net = np.array([0.8, 0.6, 0.3]) - p
    assert d.manager_id == "abc"[int(np.argmax(net))]
    assert d.price == p[int(np.argmax(net))]
    assert f"- price {d.price:.4g} = {d.score:.4g}" in d.reason


def test_reprice_at_now_keeps_the_price_of_a_paused_manager():
    managers = [{"id": name, "max_active_leads": 10} for name in "abc"]
    policy = {"balance_tolerance": None}
    ref = Reference(managers, policy)
    router = fl.Router(managers, policy)
    window = [{"id": f"w{i}", "score": 0.5} for i in range(4)]
    v1 = [[0.9, 0.5, 0.1], [0.8, 0.7, 0.2], [0.7, 0.6, 0.3], [0.9, 0.9, 0.4]]
    router.fit(window, values=v1, capacity=[1, 1, 2])
    old = router.prices_
    assert old[1] > 0
    router.pause("b", T0)
    v2 = [[0.3, 0.9, 0.8], [0.2, 0.9, 0.7], [0.1, 0.9, 0.9], [0.4, 0.9, 0.1]]
    new = router.reprice(window, now=T0, values=v2, capacity=[1, 1, 2])
    value, eligible, low, high = expected_window(ref, window, v2, [1, 1, 2], [True, False, True])
    assert not eligible[:, 1].any()
    assert high[1] == 0
    _, sol = solve_window(value, eligible, low, high)
    assert new[1] == old[1]
    np.testing.assert_allclose(new[[0, 2]], sol.duals[[0, 2]], atol=1e-12)
    # without now, the paused manager is priced like anyone
    router.reprice(window, values=v2, capacity=[1, 1, 2])
    value, eligible, low, high = expected_window(ref, window, v2, [1, 1, 2], [True] * 3)
    _, sol = solve_window(value, eligible, low, high)
    np.testing.assert_allclose(router.prices_, sol.duals, atol=1e-12)


def test_reprice_at_now_keeps_the_price_of_an_absent_manager():
    managers = [{"id": name, "max_active_leads": 10} for name in "ab"]
    absences = [{"manager_id": "a", "start": T0, "end": T0 + timedelta(days=1)}]
    router = fl.Router(managers, {"balance_tolerance": None}, absences=absences)
    window = [{"id": f"w{i}", "score": 0.5} for i in range(3)]
    router.fit(window, values=[[0.9, 0.1]] * 3, capacity=[1, 3])
    old = router.prices_
    assert old[0] == pytest.approx(0.8)
    router.reprice(window, now=T0 + timedelta(hours=1), values=[[0.1, 0.9]] * 3, capacity=[1, 3])
    assert router.prices_[0] == old[0]
    router.reprice(window, now=T0 + timedelta(days=2), values=[[0.1, 0.9]] * 3, capacity=[3, 1])
    assert router.prices_[0] == 0.0


# ------------------------------------------------------------------ 7. SLA


def sla_team():
    return [{"id": name, "max_active_leads": 5} for name in "abc"]


def test_overdue_lists_leads_not_contacted_in_time():
    router = fl.Router(sla_team(), {"balance_tolerance": None}, sla=timedelta(minutes=30))
    for i, row in enumerate([[0.9, 0.5, 0.7], [0.1, 0.9, 0.2], [0.1, 0.2, 0.9]]):
        router.route({"id": f"l{i}", "score": 0.5}, minutes(i), value=row)
    assert router.overdue(minutes(29)) == []
    late = router.overdue(minutes(35))
    assert [(o.lead_id, o.manager_id) for o in late] == [("l0", "a"), ("l1", "b"), ("l2", "c")]
    assert late[0].routed_at == T0
    assert late[0].due_at == minutes(30)
    assert late[0].late_by == timedelta(minutes=5)
    assert late[2].late_by == timedelta(minutes=3)
    router.contact("l1", minutes(10))
    router.release("l2", "lost", minutes(31))
    assert [o.lead_id for o in router.overdue(minutes(40))] == ["l0"]
    with pytest.raises(fl.InputError, match=r"^lead 'nope': never routed by this router$"):
        router.contact("nope", T0)


def test_reassign_overdue_moves_the_lead_and_the_fair_counts():
    router = fl.Router(
        sla_team(), {"balance_tolerance": None}, sla=timedelta(minutes=30), share_half_life=None
    )
    first = router.route({"id": "l0", "score": 0.5}, T0, value=[0.9, 0.5, 0.7])
    assert first.manager_id == "a"
    now = minutes(45)
    before = by_id(router, now)
    (moved,) = router.reassign_overdue(now)
    assert moved.kind == "reassigned"
    assert (moved.manager_id, moved.previous_manager_id) == ("c", "a")
    assert moved.runner_up_id == "b"
    assert moved.value == 0.7
    assert moved.at == now
    assert moved.reason.startswith(
        "reassigned from 'a': not contacted within the 0:30:00 SLA (due 2026-11-02 10:30 UTC); "
        "best value net of price among 2 manager(s) available with room: 0.7 - price 0 = 0.7"
    )
    assert router.decision("l0") == moved
    after = by_id(router, now)
    assert (after["a"].reassigned_out, after["c"].reassigned_in) == (1, 1)
    assert after["a"].received == before["a"].received - 1
    assert after["a"].target == pytest.approx(before["a"].target - 1)
    assert after["c"].received == before["c"].received + 1
    assert after["c"].target == pytest.approx(before["c"].target + 1)
    assert (after["a"].open, after["c"].open) == (0.0, 1.0)
    assert after["a"].routed == 1
    assert after["c"].routed == 0
    # the new SLA clock starts at the reassignment
    assert router.overdue(now + timedelta(minutes=29)) == []
    (late,) = router.overdue(now + timedelta(minutes=31))
    assert (late.manager_id, late.routed_at, late.due_at) == ("c", now, now + timedelta(minutes=30))
    # a replay returns the current holder
    assert router.route({"id": "l0", "score": 0.5}, now).manager_id == "c"
    # contacted in time now: nothing to move
    router.contact("l0", now + timedelta(minutes=10))
    assert router.reassign_overdue(now + timedelta(hours=2)) == []


def test_a_lead_given_by_hand_moves_its_load_and_counts_as_a_reassignment_does(tmp_path):
    path = tmp_path / "router.db"
    router = fl.Router(sla_team(), {"balance_tolerance": None}, sla=timedelta(minutes=30),
                       share_half_life=None, store=path)  # fmt: skip
    first = router.route({"id": "l0", "score": 0.5}, T0, value=[0.9, 0.5, 0.7])
    assert first.manager_id == "a"
    now = minutes(10)
    before = by_id(router, now)
    moved = router.transfer("l0", "b", now, by="a person in bitrix24")
    assert (moved.kind, moved.manager_id, moved.previous_manager_id) == ("reassigned", "b", "a")
    assert moved.reason == "given to 'b' by a person in bitrix24 (it was 'a''s)"
    assert router.decision("l0") == moved
    after = by_id(router, now)
    assert (after["a"].open, after["b"].open) == (0.0, 1.0)
    assert (after["a"].reassigned_out, after["b"].reassigned_in) == (1, 1)
    assert after["a"].received == before["a"].received - 1
    assert after["b"].received == before["b"].received + 1
    # Again, or to the same manager, or after the lead closed: nothing moves.
    assert router.transfer("l0", "b", now).replayed
    router.release("l0", "won", minutes(20))
    assert router.transfer("l0", "c", minutes(30)).manager_id == "b"
    assert by_id(router, minutes(30))["b"].won == 1
    with pytest.raises(fl.InputError, match="manager 'zed' is not on the team") as err:
        router.transfer("l0", "zed", minutes(30))
    assert err.value.field == "manager_id"
    with pytest.raises(fl.InputError, match="'ghost'") as err:
        router.transfer("ghost", "a", minutes(30))
    assert err.value.field == "lead_id"
    books = {m: (s.open, s.received, s.won) for m, s in by_id(router, minutes(30)).items()}
    router.close()
    # The books reopened from the store agree with a recount of its decisions.
    again = fl.Router(sla_team(), {"balance_tolerance": None}, sla=timedelta(minutes=30),
                      share_half_life=None, store=path)  # fmt: skip
    assert {m: (s.open, s.received, s.won) for m, s in by_id(again, minutes(30)).items()} == books
    again.close()


def test_reassign_skips_paused_and_full_managers_and_keeps_when_nobody_can():
    managers = [
        {"id": "a", "max_active_leads": 5},
        {"id": "b", "max_active_leads": 1},
        {"id": "c", "max_active_leads": 5},
    ]
    router = fl.Router(managers, {"balance_tolerance": None}, sla=timedelta(minutes=30))
    router.route({"id": "l0", "score": 0.5}, T0, value=[0.9, 0.8, 0.7])
    router.route({"id": "fill", "score": 0.5}, T0, value=[0.0, 0.9, 0.0])
    router.contact("fill", T0)
    router.pause("c", minutes(1))
    (kept,) = router.reassign_overdue(minutes(40))
    assert kept.kind == "kept"
    assert kept.manager_id == "a"
    assert kept.previous_manager_id is None
    assert kept.reason.startswith("not contacted within the 0:30:00 SLA (due 2026-11-02 10:30 UTC")
    assert kept.reason.endswith(
        "but no manager other than 'a' can take it now: 2 qualified, 2 of them within working "
        "hours, 1 not absent or paused, 0 with room"
    )
    assert [o.lead_id for o in router.overdue(minutes(40))] == ["l0"]
    assert by_id(router, minutes(40))["a"].reassigned_out == 0
    router.resume("c", minutes(41))
    (moved,) = router.reassign_overdue(minutes(42))
    assert (moved.kind, moved.manager_id, moved.previous_manager_id) == ("reassigned", "c", "a")


def test_kept_reason_reads_like_the_reassigned_one():
    managers = [{"id": "a", "max_active_leads": 5}]
    router = fl.Router(managers, {"balance_tolerance": None}, sla=timedelta(minutes=30))
    router.route({"id": "l0", "score": 0.5}, T0)
    (kept,) = router.reassign_overdue(minutes(40))
    assert kept.reason.startswith(
        "not contacted within the 0:30:00 SLA (due 2026-11-02 10:30 UTC), but"
    )


def test_reassignment_respects_eligibility_and_the_band():
    managers = [
        {"id": "a", "skills": "loans", "max_active_leads": 5},
        {"id": "b", "skills": "cards", "max_active_leads": 5},
        {"id": "c", "skills": "loans", "max_active_leads": 5},
    ]
    router = fl.Router(managers, {"balance_tolerance": None}, sla=timedelta(minutes=30))
    router.route({"id": "l0", "score": 0.5, "product": "loans"}, T0, value=[0.9, 1.0, 0.1])
    (moved,) = router.reassign_overdue(minutes(31))
    assert moved.manager_id == "c"  # b values it more but does not sell loans


def test_sla_per_tier():
    router = fl.Router(
        sla_team(),
        {"balance_tolerance": None},
        sla={"hot": timedelta(minutes=10), "cold": timedelta(hours=1)},
    )
    router.route({"id": "hot", "score": 0.9}, T0)
    router.route({"id": "cold", "score": 0.1}, T0)
    router.route({"id": "warm", "score": 0.4}, T0)  # no SLA for warm leads
    assert [o.lead_id for o in router.overdue(minutes(11))] == ["hot"]
    assert [o.lead_id for o in router.overdue(minutes(60))] == ["hot", "cold"]
    assert [o.lead_id for o in router.overdue(T0 + timedelta(days=30))] == ["hot", "cold"]
    assert [d.lead_id for d in router.reassign_overdue(minutes(61))] == ["hot", "cold"]


def test_sla_clock_of_a_waiting_lead_starts_when_it_is_routed():
    managers = [{"id": "a", "max_active_leads": 1}]
    router = fl.Router(managers, {"balance_tolerance": None}, sla=timedelta(minutes=30))
    router.route({"id": "l0", "score": 0.5}, T0)
    assert router.route({"id": "l1", "score": 0.5}, T0).manager_id is None
    with pytest.raises(fl.InputError, match=r"^lead 'l1': still waiting; no manager holds it yet$"):
        router.contact("l1", T0)
    router.contact("l0", T0)
    assert router.overdue(minutes(60)) == []  # a waiting lead has no SLA clock yet
    router.release("l0", "won", minutes(60))
    (d,) = router.route_waiting(minutes(61))
    assert d.at == minutes(61)
    assert router.overdue(minutes(90)) == []
    (late,) = router.overdue(minutes(91))
    assert (late.lead_id, late.routed_at, late.due_at) == ("l1", minutes(61), minutes(91))


def test_no_sla_means_nothing_is_overdue():
    router = fl.Router(sla_team(), {"balance_tolerance": None})
    router.route({"id": "l0", "score": 0.5}, T0)
    assert router.overdue(T0 + timedelta(days=365)) == []
    assert router.reassign_overdue(T0 + timedelta(days=365)) == []


# ------------------------------------------------------------------ 8. input errors


def small_router(**kwargs):
    managers = [
        {"id": "a", "skills": "loans", "max_active_leads": 5},
        {"id": "b", "skills": "cards", "max_active_leads": 5},
    ]
    return fl.Router(managers, {"balance_tolerance": None}, **kwargs)


def test_bad_lead_records_name_the_field_id_and_value():
    router = small_router()
    with pytest.raises(
        fl.InputError, match=r"^lead 'x': 'score' .*less than or equal to 1, got 1\.5$"
    ) as info:
        router.route({"id": "x", "score": 1.5}, T0)
    assert (info.value.field, info.value.value) == ("score", 1.5)
    with pytest.raises(fl.InputError, match=r"^lead: 'id' Field required") as info:
        router.route({"score": 0.5}, T0)
    assert info.value.field == "id"
    with pytest.raises(
        fl.InputError,
        match=r"^lead 'x': product 'boats' is not a skill of any manager "
        r"\(known skills: 'cards', 'loans'\)$",
    ) as info:
        router.route({"id": "x", "score": 0.5, "product": "boats"}, T0)
    assert (info.value.field, info.value.value) == ("product", "boats")
    with pytest.raises(fl.InputError, match=r"^lead must be a Lead or a dict, got str$"):
        router.route("x", T0)
    with pytest.raises(fl.InputError, match=r"'effort' .*greater than or equal to 0.001, got 0"):
        router.route({"id": "x", "score": 0.5, "effort": 0}, T0)
    # nothing was recorded by the failed calls
    assert router.decision("x") is None
    assert all(s.routed == 0 for s in router.status(T0))
    # a Lead record works as a dict does
    d = router.route(fl.Lead(id="x", score=0.5, product="cards"), T0)
    assert d.manager_id == "b"


def test_bad_value_rows():
    router = small_router()
    with pytest.raises(
        ValueError,
        match=r"^value of lead 'x' must have one number per manager \(2\), got shape \(3,\)$",
    ):
        router.route({"id": "x", "score": 0.5}, T0, value=[0.1, 0.2, 0.3])
    with pytest.raises(
        ValueError, match=r"^value of lead 'x' for manager 'b' must be finite, got .*nan"
    ):
        router.route({"id": "x", "score": 0.5}, T0, value=[0.1, math.nan])
    with pytest.raises(
        ValueError, match=r"^value of lead 'x' for manager 'a' must be finite, got .*inf"
    ):
        router.route({"id": "x", "score": 0.5}, T0, value=[math.inf, 0.1])
    with pytest.raises(
        ValueError, match=r"^value of lead 'x' for manager 'a' must be a real number, got str 'p'$"
    ):
        router.route({"id": "x", "score": 0.5}, T0, value=["p", "q"])
    with pytest.raises(
        fl.InputError, match=r"^values\[1, 0\] \(lead 'w1', manager 'a'\) must be finite, got nan$"
    ):
        router.fit(
            [{"id": "w0", "score": 0.5}, {"id": "w1", "score": 0.5}],
            values=[[0.1, 0.2], [math.nan, 0.1]],
        )
    with pytest.raises(ValueError, match=r"^values must have shape \(1, 2\) \(leads x managers\)"):
        router.fit([{"id": "w0", "score": 0.5}], values=[[0.1, 0.2, 0.3]])
    with pytest.raises(ValueError, match=r"^values must hold numbers, got <U1 \(e\.g\. 'x'\)$"):
        router.reprice([{"id": "w0", "score": 0.5}], values="x")
    with pytest.raises(ValueError, match=r"^values must hold numbers, got booleans$"):
        router.reprice([{"id": "w0", "score": 0.5}], values=[[True, False]])
    with pytest.raises(ValueError, match=r"^values must hold numbers, got <U3"):
        router.reprice([{"id": "w0", "score": 0.5}], values=[["0.5", "1"]])
    for model in (5, "abc", np.array([[0.3]])):
        with pytest.raises(ValueError, match=r"^model must be None, a fitted ConversionModel or a"):
            fl.Router([{"id": "a", "max_active_leads": 1}], model=model)
    assert router.decision("x") is None
    assert np.array_equal(router.prices_, np.zeros(2))


def test_bad_capacity_in_reprice():
    router = small_router()
    window = [{"id": "w0", "score": 0.5}]
    with pytest.raises(
        fl.InputError, match=r"^capacity\[1\] \(manager 'b'\) must be finite and >= 0, got -1.0$"
    ):
        router.reprice(window, capacity=[1, -1])
    with pytest.raises(
        fl.InputError, match=r"^capacity\[0\] \(manager 'a'\) must be finite and >= 0, got nan$"
    ):
        router.reprice(window, capacity=[math.nan, 1])
    with pytest.raises(
        ValueError, match=r"^capacity must have one number per manager \(2\), got shape \(1,\)$"
    ):
        router.reprice(window, capacity=[1])
    with pytest.raises(ValueError, match=r"^leads must be a list"):
        router.reprice({"id": "w0", "score": 0.5})
    with pytest.raises(fl.InputError, match=r"^no leads given"):
        router.reprice([])
    assert np.array_equal(router.prices_, np.zeros(2))


def test_unknown_manager_and_bad_now():
    router = small_router()
    with pytest.raises(
        fl.InputError, match=r"^manager 'zed': not on this router's team \('a', 'b'\)$"
    ):
        router.pause("zed", T0)
    with pytest.raises(
        fl.InputError, match=r"^manager 'zed': not on this router's team \('a', 'b'\)$"
    ):
        router.resume("zed", T0)
    with pytest.raises(ValueError, match=r"^now must be a datetime, got str '2026-11-02'$"):
        router.route({"id": "x", "score": 0.5}, "2026-11-02")
    with pytest.raises(ValueError, match=r"^now must be a datetime, got float 1\.0$"):
        router.status(1.0)
    with pytest.raises(ValueError, match=r"^now must be a datetime, got date "):
        router.overdue(T0.date())
    assert router.decision("x") is None


def test_naive_datetimes_are_read_as_utc():
    aware, naive = small_router(), small_router()
    plus3 = timezone(timedelta(hours=3))
    for i in range(4):
        now = minutes(7 * i)
        lead = {"id": f"l{i}", "score": 0.5}
        da = aware.route(lead, now.astimezone(plus3))
        dn = naive.route(lead, now.replace(tzinfo=None))
        assert da == dn
        assert dn.at == now
        assert dn.at.tzinfo is UTC
    assert aware.status(minutes(30)) == naive.status(minutes(30).replace(tzinfo=None))


def test_bad_sla_share_half_life_and_catch_up():
    with pytest.raises(ValueError, match=r"^sla must be positive, got 0:00:00$"):
        small_router(sla=timedelta(0))
    with pytest.raises(
        ValueError,
        match=r"^sla must be a timedelta, a mapping of tier to timedelta or None, got 30$",
    ):
        small_router(sla=30)
    with pytest.raises(
        ValueError, match=r"^sla names an unknown tier 'lukewarm' \(use hot, warm, cold\)$"
    ):
        small_router(sla={"lukewarm": timedelta(minutes=5)})
    with pytest.raises(
        ValueError,
        match=r"^sla of tier 'hot' must be a timedelta \(e\.g\. timedelta\(hours=3\)\), got int 5$",
    ):
        small_router(sla={"hot": 5})
    with pytest.raises(ValueError, match=r"^sla of tier 'cold' must be positive, got -1 day"):
        small_router(sla={"cold": timedelta(minutes=-5)})
    with pytest.raises(ValueError, match=r"^share_half_life must be positive"):
        small_router(share_half_life=timedelta(0))
    with pytest.raises(
        ValueError,
        match=r"^catch_up 'mode': Input should be 'none', 'partial' or 'full', got 'most'$",
    ):
        small_router(catch_up={"mode": "most"})
    with pytest.raises(
        ValueError, match=r"^catch_up 'fraction': .*less than or equal to 1, got 2$"
    ):
        small_router(catch_up={"fraction": 2})
    with pytest.raises(ValueError, match=r"^catch_up(?: 'horizon')?: horizon must be positive"):
        small_router(catch_up={"horizon": timedelta(0)})
    with pytest.raises(ValueError, match=r"^catch_up 'foo': Extra inputs are not permitted"):
        small_router(catch_up={"foo": 1})
    with pytest.raises(ValueError, match=r"^catch_up must be a CatchUp or a dict, got str$"):
        small_router(catch_up="full")
    assert small_router(catch_up=fl.CatchUp(mode="full")).catch_up.mode == "full"


def test_bad_team_and_policy():
    with pytest.raises(fl.InputError, match=r"^no managers given"):
        fl.Router([])
    with pytest.raises(fl.InputError, match=r"^duplicate manager id 'a'"):
        fl.Router([{"id": "a", "max_active_leads": 1}] * 2)
    with pytest.raises(fl.InputError, match=r"^manager 'a' \(row 0\): 'max_active_leads' .*-1"):
        fl.Router([{"id": "a", "max_active_leads": -1}])
    with pytest.raises(ValueError, match=r"balance_tolerance"):
        fl.Router([{"id": "a", "max_active_leads": 1}], {"balance_tolerance": -1})


# ------------------------------------------------------------------ 9. status, reasons, repr


def test_status_fields_and_decay():
    managers = [{"id": "a", "max_active_leads": 4}, {"id": "b", "max_active_leads": 2}]
    router = fl.Router(managers, {"balance_tolerance": None}, share_half_life=timedelta(days=1))
    router.route({"id": "l0", "score": 0.5}, T0, value=[0.9, 0.1])
    a, b = router.status(T0)
    assert isinstance(a, fl.ManagerStatus)
    assert a == fl.ManagerStatus(
        manager_id="a", open=1.0, capacity=4.0, available=True, paused=False,
        received=1.0, target=pytest.approx(4 / 6), deviation=pytest.approx(0.5),
        routed=1, reassigned_in=0, reassigned_out=0, won=0, released=0,
        missed=0.0, owed=0.0, price=0.0,
    )  # fmt: skip
    assert (b.received, b.target, b.deviation) == (0.0, pytest.approx(2 / 6), -1.0)
    a, b = router.status(T0 + timedelta(days=1))
    assert a.received == pytest.approx(0.5)
    assert a.target == pytest.approx(2 / 6)
    assert a.deviation == pytest.approx(0.5)
    assert a.routed == 1  # plain counts do not fade
    # status does not move the state: asking again at T0 gives the undecayed counts
    assert by_id(router, T0)["a"].received == 1.0
    router.pause("b", T0)
    b = by_id(router, T0)["b"]
    assert (b.paused, b.available) == (True, False)


def test_deviation_is_zero_without_a_target():
    router = small_router()
    assert all(s.deviation == 0.0 and s.target == 0.0 for s in router.status(T0))


def test_decision_reason_names_value_price_and_runner_up():
    managers = [{"id": name, "max_active_leads": 5} for name in "abc"]
    router = fl.Router(managers, {"balance_tolerance": None})
    router.fit(
        [{"id": "w0", "score": 0.5}, {"id": "w1", "score": 0.5}],
        values=[[0.9, 0.2, 0.1], [0.8, 0.3, 0.1]],
        capacity=[1, 1, 1],
    )
    p = router.prices_
    d = router.route({"id": "l", "score": 0.5}, T0, value=[0.9, 0.75, 0.1])
    net = np.array([0.9, 0.75, 0.1]) - p
    j, k = np.argsort(-net)[:2]
    assert d.manager_id == "abc"[j]
    assert d.runner_up_id == "abc"[k]
    assert d.reason == (
        f"best value net of price among 3 manager(s) available with room: "
        f"{d.value:.4g} - price {p[j]:.4g} = {net[j]:.4g}; runner-up {'abc'[k]!r} {net[k]:.4g}"
    )
    assert d.score == pytest.approx(net[j])


def test_decision_reason_band_words():
    managers = [{"id": name, "max_active_leads": 50} for name in "ab"]
    router = fl.Router(managers, {"balance_tolerance": 0.0}, share_half_life=None)
    row = [0.9, 0.1]
    first = router.route({"id": "l0", "score": 0.5}, T0, value=row)
    assert first.manager_id == "a"
    assert "among 2 manager(s) within their fair share: 0.9 - price 0 = 0.9" in first.reason
    assert "runner-up 'b' 0.1" in first.reason
    # targets 1 and 1: b (0 + 1 <= 1) is a whole lead behind and comes first
    second = router.route({"id": "l1", "score": 0.5}, T0, value=row)
    assert second.manager_id == "b"
    assert "among 1 manager(s) behind their fair share: 0.1 - price 0 = 0.1" in second.reason
    assert "runner-up" not in second.reason
    assert second.runner_up_id is None
    # targets 1.5 each, both within: the better value wins again
    assert router.route({"id": "l2", "score": 0.5}, T0, value=row).manager_id == "a"


def test_band_relaxed_when_every_candidate_is_above_it():
    """A manager with no fair share (performance 0, floor 0) still gets leads, relaxed."""
    managers = [{"id": "a", "max_active_leads": 5, "performance": 0.0}]
    policy = {"target_share": "performance", "performance_floor": 0.0, "balance_tolerance": 0.2}
    router = fl.Router(managers, policy, share_half_life=None)
    first = router.route({"id": "l0", "score": 0.5}, T0)
    assert "1 manager(s) within their fair share" in first.reason
    second = router.route({"id": "l1", "score": 0.5}, T0)
    assert second.manager_id == "a"
    assert "among 1 manager(s) with room, all above their fair share" in second.reason
    (a,) = router.status(T0)
    assert (a.received, a.target, a.deviation) == (2.0, 0.0, 0.0)


def test_repr_and_context_manager():
    with small_router() as router:
        assert repr(router) == "Router(2 managers, store=memory)"
        assert router.route({"id": "x", "score": 0.5}, T0).manager_id in {"a", "b"}


def test_threads_sharing_an_in_memory_router_never_overbook():
    """8 threads route and release 4,000 leads at once: every lead once, loads exact."""
    import threading

    managers = [{"id": f"m{j}", "max_active_leads": 3 + j % 4} for j in range(20)]
    router = fl.Router(managers, {"balance_tolerance": 0.2})
    capacity = {m["id"]: m["max_active_leads"] for m in managers}
    decisions: dict[str, fl.Decision] = {}
    errors: list[BaseException] = []

    def work(offset: int) -> None:
        try:
            for k in range(500):
                lead_id = f"t{offset}-{k}"
                decision = router.route({"id": lead_id, "score": 0.5}, minutes(k))
                again = router.route({"id": lead_id, "score": 0.5}, minutes(k))
                if decision.manager_id is not None:  # replayed
                    assert again.replayed
                    assert again.manager_id == decision.manager_id
                else:  # a waiting lead is tried again: another thread may have freed a slot
                    decision = again
                decisions[lead_id] = decision
                if decision.manager_id is not None and k % 2 == 0:
                    router.release(lead_id, "won", minutes(k))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(decisions) == 4000
    books = router.status(minutes(600))
    held: dict[str, int] = {}
    for lead_id, decision in decisions.items():
        released = int(lead_id.rsplit("-", 1)[1]) % 2 == 0
        if decision.manager_id is not None and not released:
            held[decision.manager_id] = held.get(decision.manager_id, 0) + 1
    for row in books:
        assert row.open == held.get(row.manager_id, 0) <= capacity[row.manager_id]
    routed = sum(d.manager_id is not None for d in decisions.values())
    assert sum(row.routed for row in books) == routed
    assert len(router.waiting()) == 4000 - routed


def test_window_prices_then_set_prices_is_reprice():
    """Solving a window apart (changing nothing) and setting its prices after gives what
    reprice gives; the managers away at `now` are those left out, and keep their price."""
    managers = [{"id": name, "max_active_leads": 10} for name in "abc"]
    policy = {"balance_tolerance": None}
    window = [{"id": f"w{i}", "score": 0.5} for i in range(4)]
    v1 = [[0.9, 0.5, 0.1], [0.8, 0.7, 0.2], [0.7, 0.6, 0.3], [0.9, 0.9, 0.4]]
    v2 = [[0.3, 0.9, 0.8], [0.2, 0.9, 0.7], [0.1, 0.9, 0.9], [0.4, 0.9, 0.1]]
    one, two = fl.Router(managers, policy), fl.Router(managers, policy)
    for router in (one, two):
        router.fit(window, values=v1, capacity=[1, 1, 2])
        router.pause("b", T0)
    expected = one.reprice(window, now=T0, values=v2, capacity=[1, 1, 2])
    assert two.away_at(T0) == ["b"]
    before = two.prices_
    solved = two.window_prices(window, away=two.away_at(T0), values=v2, capacity=[1, 1, 2])
    np.testing.assert_array_equal(two.prices_, before)  # nothing set yet
    assert solved.manager_ids == ("a", "b", "c")
    assert solved.leads == 4
    assert np.isnan(solved.prices[1])
    np.testing.assert_array_equal(two.set_prices(solved, now=T0), expected)
    np.testing.assert_array_equal(two.prices_, expected)


def test_window_prices_solved_in_another_process_are_the_same():
    """A window solved in a process pool (as the service does, so that a long solve does
    not pause its requests) gives exactly the prices solved in this thread."""
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    rng = np.random.default_rng(7)
    managers = [{"id": f"m{j}", "max_active_leads": 30} for j in range(12)]
    router = fl.Router(managers, {"balance_tolerance": 0.2})
    window = [{"id": f"w{i}", "score": float(rng.uniform(0.05, 0.95))} for i in range(300)]
    values = rng.uniform(0.0, 1.0, size=(300, 12))
    here = router.window_prices(window, away=["m3"], values=values)
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        apart = router.window_prices(window, away=["m3"], values=values, executor=pool)
    assert apart.manager_ids == here.manager_ids
    np.testing.assert_array_equal(apart.prices, here.prices)
    assert apart.unassigned_price == here.unassigned_price
    assert np.isnan(apart.prices[3])
    assert np.isfinite(np.delete(apart.prices, 3)).all()


def test_window_prices_refuses_a_stranger_and_prices_of_another_team():
    router = fl.Router([{"id": "a", "max_active_leads": 5}, {"id": "b", "max_active_leads": 5}])
    window = [{"id": "w1", "score": 0.5}]
    with pytest.raises(fl.InputError, match="away names 'zed', who is not on the team") as err:
        router.window_prices(window, away=["zed"])
    assert err.value.field == "away"
    other = fl.Router([{"id": "a", "max_active_leads": 5}, {"id": "c", "max_active_leads": 5}])
    with pytest.raises(fl.InputError, match="solved for another team") as err:
        router.set_prices(other.window_prices(window))
    assert err.value.field == "prices"
