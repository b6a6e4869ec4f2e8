"""Route the demo's leads one at a time, as a CRM webhook would, and compare with the batch.

The team works 09:00-18:00 in Moscow (one manager in Novosibirsk), one manager is on
vacation for two days, hot leads must be called within 30 minutes. Prices come from
the first day's leads; the router restarts from its SQLite file halfway through.

Run: ``python examples/online_router.py``
"""

from __future__ import annotations

import tempfile
from datetime import date, timedelta
from pathlib import Path

import fairlead as fl
from fairlead.datasets import load_demo

demo = load_demo()
leads = sorted(demo.leads, key=lambda lead: lead["created_at"])
first_day = [lead for lead in leads if lead["created_at"].date() == date(2026, 11, 23)]
stream = [lead for lead in leads if lead["created_at"].date() > date(2026, 11, 23)]

moscow = {"timezone": "Europe/Moscow", "week": {"mon-fri": "09:00-18:00"}}
hours = {mg["id"]: moscow for mg in demo.managers}
hours["m-5"] = {"timezone": "Asia/Novosibirsk", "week": {"mon-fri": "09:00-18:00"}}
settings = {
    "policy": demo.policy,
    "hours": hours,
    "absences": [{"manager_id": "m-3", "start": "2026-11-24", "end": "2026-11-25"}],
    "catch_up": fl.CatchUp(mode="full", horizon=timedelta(days=2)),
    "sla": {"hot": timedelta(minutes=30), "warm": timedelta(hours=2), "cold": timedelta(hours=4)},
}


def contact_delay(k: int) -> timedelta:
    """Most leads are called within 10 minutes; every fifth one is forgotten for an hour."""
    return timedelta(minutes=60 if k % 5 == 0 else 10)


with tempfile.TemporaryDirectory() as folder:
    store = Path(folder) / "router.db"
    router = fl.Router(demo.managers, store=store, **settings).fit(first_day)
    decisions: dict[str, fl.Decision] = {}
    calls: list[tuple[object, str]] = []  # (when, lead id): first contacts to come
    tick, end = stream[0]["created_at"], stream[-1]["created_at"] + timedelta(days=1)
    arrived, restarted = 0, False
    while tick <= end:  # every 5 minutes, as a CRM's scheduler would
        if not restarted and arrived >= len(stream) // 2:
            router.close()  # a deploy restarts the process: the router resumes from its file
            router = fl.Router(demo.managers, store=store, **settings)
            restarted = True
        for when, lead_id in [c for c in calls if c[0] <= tick]:
            calls.remove((when, lead_id))
            if decisions[lead_id].manager_id is not None:
                router.contact(lead_id, tick)
        for decision in router.reassign_overdue(tick) + router.route_waiting(tick):
            decisions[decision.lead_id] = decision
            if decision.manager_id is not None:
                calls.append((tick + timedelta(minutes=10), decision.lead_id))
        while arrived < len(stream) and stream[arrived]["created_at"] <= tick:
            lead = stream[arrived]
            decision = router.route(lead, tick)
            decisions[lead["id"]] = decision
            calls.append((tick + contact_delay(arrived), lead["id"]))
            arrived += 1
        tick += timedelta(minutes=5)

    routed = [d for d in decisions.values() if d.manager_id is not None]
    print(f"routed {len(routed)} of {len(stream)} leads online; waiting {len(router.waiting())}")
    example = next(d for d in routed if d.kind == "routed")
    print(f"{example.lead_id} -> {example.manager_id}: {example.reason}")
    for d in [d for d in decisions.values() if d.kind == "reassigned"][:2]:
        print(f"{d.lead_id} -> {d.manager_id}: {d.reason}")

    print("\nmanager  open/cap  received  fair share  reassigned in/out  price")
    for s in router.status(end):
        print(
            f"{s.manager_id:7}  {s.open:4.0f}/{s.capacity:<3.0f}  {s.received:8.1f}  "
            f"{s.target:10.1f}  {s.reassigned_in:8d}/{s.reassigned_out:<8d}  {s.price:6.3f}"
        )
    router.close()

online = sum(d.value for d in routed)
batch = fl.assign(
    [lead for lead in stream if lead["id"] in {d.lead_id for d in routed}],
    demo.managers,
    policy=demo.policy.model_copy(update={"balance_tolerance": None}),
)
print(
    f"\nexpected conversions: online {online:.2f}, batch in hindsight {batch.expected_value:.2f} "
    f"({online / batch.expected_value:.1%}; the batch sees every lead at once and ignores hours)"
)
