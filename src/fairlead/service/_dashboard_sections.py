# ruff: noqa: RUF001  (the multiplication sign of a tooltip's formula)
"""The dashboard's parts below the headline: today, late leads, response, plan, attention.

Today's leads by manager, leads late for their first contact, response times, plan
against fact, and what needs attention.

Each function turns the API's answers held by :class:`Figures` into a
:class:`Section` of tables and lists; no figure is computed here that the API does not
give, except the fair number of leads (target share x the team's leads today), which
carries both of its inputs in its tooltip.
"""

from __future__ import annotations

import math
from typing import Any

from fairlead.service._dashboard_cells import Figures, number
from fairlead.service._dashboard_model import (
    NOW,
    Action,
    Cell,
    Column,
    Item,
    Items,
    Section,
    Table,
    Text,
)

#: Team leads today before a manager's share of them is marked as off target: with
#: fewer, one lead more or less moves a share by a lot and says nothing.
MIN_LEADS_FOR_SHARES = 10
#: What the "today" table shows of ``/v1/kpi?period=day``.
_TODAY = ("leads_received", "leads_vs_target", "leads_waiting", "response_p50")
#: What the "response times" table shows of ``/v1/kpi?period=week``.
_WEEK = ("response_p50", "response_p90", "sla_share_fast", "leads_contacted", "leads_waiting")


def _tolerance(view: Figures) -> float:
    tolerance = view.snap.src.setup.policy.balance_tolerance
    return 0.1 if tolerance is None else float(tolerance)


def state_of(view: Figures, status: dict[str, Any] | None) -> Cell:
    """Whether the manager gets new leads now, in words, with the live figure behind it."""
    w = view.words
    if status is None:
        return view.label("—")
    if status["paused"]:
        text, tone = w["state_paused"], "warn"
    elif not status["available"]:
        text, tone = w["state_away"], ""
    elif status["open"] >= status["capacity"]:
        text, tone = w["state_full"], "bad"
    else:
        text, tone = w["state_yes"], "good"
    return view.figure(
        "status:available",
        1.0 if status["available"] else 0.0,
        "count",
        manager=status["manager_id"],
        text=text,
        tone=tone,
    )


def _live(view: Figures, manager: str | None) -> list[Cell]:
    """Open leads, limit, load gauge and state of a manager (None: the team's sums)."""
    if manager is None:
        rows = list(view.status.values())
        if not rows:
            return [view.label("—"), view.label("—"), view.label(""), view.label("")]
        opened = sum(float(s["open"]) for s in rows)
        most = sum(float(s["capacity"]) for s in rows)
    else:
        found = view.status.get(manager)
        if found is None:
            return [view.label("—"), view.label("—"), view.label(""), view.label("—")]
        opened, most = float(found["open"]), float(found["capacity"])
    full = opened >= most > 0
    gauge = Cell("", meter=(opened, most)) if most > 0 else view.label("")
    return [
        view.figure("status:open", opened, "count", manager=manager, tone="bad" if full else ""),
        view.figure("status:capacity", most, "count", manager=manager),
        gauge,
        view.label("") if manager is None else state_of(view, view.status.get(manager)),
    ]


def today_section(view: Figures) -> Section:
    """Today's leads per manager against the fair share, and the live loads."""
    w, body = view.words, view.snap.today
    section = Section("today", w["today"], w["today_intro"])
    columns = [Column(w["manager"], numeric=False), view.kpi_column(body, "leads_received")]
    columns += [view.column("fair_leads")]
    columns += [view.kpi_column(body, m) for m in _TODAY[1:]]
    columns += [view.column("open"), view.column("capacity"), view.column("load")]
    columns += [view.column("state", numeric=False)]
    team = view.row(body, None)
    team_leads = number(team.get("leads_received"))
    judged = team_leads >= MIN_LEADS_FOR_SHARES
    tol = _tolerance(view)
    table = Table("today", columns)
    for manager in view.managers:
        mine = view.row(body, manager)
        share = number(mine.get("target_share"))
        ratio = number(mine.get("leads_vs_target"))
        off = judged and not math.isnan(ratio) and abs(ratio - 1.0) > tol
        waiting = number(mine.get("leads_waiting"))
        fair = share * team_leads
        how = f"{view.fmt.percent(share)} × {view.fmt.count(team_leads)}"
        table.rows.append(
            [
                view.label(view.name(manager)),
                view.kpi(body, "leads_received", manager),
                view.figure(
                    "fair_leads", fair, "count", manager=manager, period=body["periods"][-1],
                    title=how,
                ),
                view.kpi(body, "leads_vs_target", manager, tone="warn" if off else ""),
                view.kpi(body, "leads_waiting", manager, tone="warn" if waiting > 0 else ""),
                view.kpi(body, "response_p50", manager),
                *_live(view, manager),
            ]
        )  # fmt: skip
    table.total = [
        view.label(w["team"]),
        view.kpi(body, "leads_received", None),
        view.figure("fair_leads", team_leads, "count", period=body["periods"][-1]),
        view.kpi(body, "leads_vs_target", None),
        view.kpi(body, "leads_waiting", None),
        view.kpi(body, "response_p50", None),
        *_live(view, None),
    ]
    section.blocks.append(table)
    if view.snap.problem:
        section.blocks.append(Text(view.snap.problem, "warn"))
    return section


def late_section(view: Figures) -> Section:
    """The leads past the team's first-contact deadline, most overdue first."""
    w = view.words
    section = Section("late", w["late"], w["late_intro"])
    late = view.snap.overdue
    if late is None:
        section.blocks.append(Text(view.snap.problem or w["late_none"], "warn"))
        return section
    if not late:
        text = w["late_none"] if view.snap.has_deadline else w["late_off"]
        section.blocks.append(Text(text, "good" if view.snap.has_deadline else ""))
        return section
    columns = [
        Column(w["lead"], numeric=False),
        Column(w["manager"], numeric=False),
        view.column("assigned"),
        view.column("due"),
        view.column("late_by"),
    ]
    table = Table("late", columns)
    for x in late:
        routed, due = view.local(x["routed_at"]), view.local(x["due_at"])
        table.rows.append(
            [
                view.label(x["lead_id"]),
                view.label(view.name(x["manager_id"])),
                view.label(view.fmt.moment(routed)),
                view.label(view.fmt.moment(due)),
                view.figure(
                    "overdue:overdue_minutes",
                    x["overdue_minutes"],
                    "minutes",
                    manager=x["manager_id"],
                    tone="bad",
                    lead=x["lead_id"],
                ),
            ]
        )
    section.blocks.append(table)
    return section


def response_section(view: Figures) -> Section:
    """First-response times of this week's leads, per manager and for the team."""
    w, body = view.words, view.snap.week
    section = Section("response", w["response"], w["response_intro"])
    columns = [Column(w["manager"], numeric=False)]
    columns += [view.kpi_column(body, m) for m in _WEEK]
    table = Table("response", columns)
    for manager in view.managers:
        table.rows.append(
            [view.label(view.name(manager))] + [view.kpi(body, m, manager) for m in _WEEK]
        )
    table.total = [view.label(w["team"])] + [view.kpi(body, m, None) for m in _WEEK]
    section.blocks.append(table)
    return section


def shown_period(plan: dict[str, Any]) -> str | None:
    """The plan period the page shows: the one under way, else the latest finished one."""
    facts = plan["fact"]
    for state in ("current", "past"):
        periods = [f["period"] for f in facts if f["state"] == state]
        if periods:
            return str(max(periods))
    return None


def first_period(plan: dict[str, Any]) -> str:
    """The plan's first period (when all of them are still to come)."""
    return str(min(f["period"] for f in plan["fact"]))


def plan_section(view: Figures) -> Section:
    """Plan against fact for the plan period under way (or the last one finished)."""
    w, fmt = view.words, view.fmt
    section = Section("plan", w["plan"])
    plan = view.snap.plan
    period = None if plan is None else shown_period(plan)
    if plan is None or not plan["fact"]:
        section.blocks.append(Text(w["plan_none"]))
        return section
    if period is None:
        later = fmt.plan_period(first_period(plan))
        section.blocks.append(Text(w("plan_later", period=later)))
        return section
    rows = [f for f in plan["fact"] if f["period"] == period]
    current = rows[0]["state"] == "current"
    intro = w("plan_current" if current else "plan_past", period=fmt.plan_period(period))
    section.intro = intro[:1].upper() + intro[1:]  # "ноябрь 2026: …" opens a sentence
    columns = [Column(w["manager"], numeric=False), view.column("plan_col")]
    columns += [view.column("won_col"), view.column("attainment")]
    columns += [view.column("expected")] if current else []
    columns += [view.column("gap")]
    table = Table("plan", columns)

    def cells(fact: dict[str, Any]) -> list[Cell]:
        manager = fact["manager_id"]
        gap = number(fact["gap"])

        def money(key: str, **more: Any) -> Cell:
            return view.figure(
                f"plan:{key}", fact[key], "money", manager=manager, period=period, **more
            )

        attainment = number(fact["attainment"])
        out = [
            view.label(view.name(manager)),
            money("plan"),
            money("won"),
            view.figure(
                "plan:attainment",
                attainment,
                "share",
                manager=manager,
                period=period,
                tone="good" if attainment >= 1 else "",
            ),
        ]
        if current:
            out.append(money("expected"))
        short = gap > 0
        out.append(money("gap", text=None if short else "—", tone="bad" if short else "good"))
        return out

    for fact in rows:
        if fact["manager_id"] is not None:
            table.rows.append(cells(fact))
    team = [f for f in rows if f["manager_id"] is None]
    if team:
        table.total = cells(team[0])
    section.blocks.append(table)
    return section


def alerts_section(view: Figures) -> Section:
    """What needs attention, most urgent first, in the page's language."""
    w = view.words
    section = Section("alerts", w["alerts"])
    found = view.snap.alerts
    if not found:
        section.blocks.append(Text(w["alerts_none"], "good"))
        return section
    items = []
    for a in found:
        high = a["severity"] == "high"
        main = next(iter(a["figures"].values()), None)
        message = view.figure(
            f"alert:{a['kind']}",
            main,
            "count",
            manager=a["manager_id"],
            period=a["period"] or NOW,
            text=a["message"][view.lang],
        )
        tag = w["urgent"] if high else w["notice"]
        items.append(Item(tag, (message,), "bad" if high else "warn"))
    section.blocks.append(Items("alerts", items))
    return section


def crm_section(view: Figures, may_write: bool) -> Section | None:
    """The owners waiting to be written back to the team's CRMs, the failed writes and leads."""
    if not view.snap.crm:
        return None
    w = view.words
    section = Section("crm", w["crm"], w["crm_intro"])
    columns = [
        Column(w["crm_name"], numeric=False),
        view.column("crm_pending"),
        view.column("crm_failed"),
        view.column("crm_sent"),
        view.column("crm_events_failed"),
    ]
    table = Table("crm", columns)
    for connection in view.snap.crm:
        crm, counts = connection["crm"], connection["outbox"]
        failed = counts["failed"]
        not_taken = connection["inbox"]["failed"]
        table.rows.append(
            [
                view.label(crm),
                view.figure("outbox:pending", counts["pending"], "count", manager=crm),
                view.figure(
                    "outbox:failed", failed, "count", manager=crm, tone="bad" if failed else ""
                ),
                view.figure("outbox:sent", counts["sent"], "count", manager=crm),
                view.figure(
                    "inbox:failed", not_taken, "count", manager=crm, tone="bad" if not_taken else ""
                ),
            ]
        )
    section.blocks.append(table)
    for connection in view.snap.crm:
        crm = connection["crm"]
        if connection["outbox"]["failed"] == 0 and connection["inbox"]["failed"] == 0:
            continue
        # The last reason of each kind of failure still waiting.
        for box, key in (("outbox", "last_error"), ("inbox", "last_event_error")):
            if connection[box]["failed"] and connection[key]:
                text = w(f"crm_{key}", crm=crm, error=str(connection[key]))
                section.blocks.append(Text(text, "warn"))
        if may_write:
            label = w("crm_retry", crm=crm)
            section.blocks.append(Action(f"/crm/{crm}/retry", label, {"lang": view.lang}))
        else:
            section.blocks.append(Text(w["crm_read_only"]))
    return section
