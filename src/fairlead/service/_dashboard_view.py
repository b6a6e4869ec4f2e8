"""The dashboard page as the template draws it: the header, the headline cards, the parts.

:func:`page` turns a :class:`~fairlead.service._dashboard_data.Snapshot` into a
:class:`Page` in English or Russian; ``_dashboard_sections`` builds the parts below
the headline.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from fairlead.service._dashboard_cells import Figures, number
from fairlead.service._dashboard_data import Snapshot
from fairlead.service._dashboard_model import Card, Cards, Cell, Section
from fairlead.service._dashboard_sections import (
    alerts_section,
    crm_section,
    first_period,
    late_section,
    plan_section,
    response_section,
    shown_period,
    today_section,
)

#: The page's languages: code and name (in that language).
LANGUAGES = (("en", "English"), ("ru", "Русский"))
#: Seconds between refreshes of an open page.
REFRESH_SECONDS = 60


@dataclass
class Page:
    """Everything the dashboard template needs.

    Attributes
    ----------
    lang : {"en", "ru"}
    words : dict
        The words the template itself prints (title, buttons, footer).
    team : str
        The team's name.
    as_of : str
        When the figures were taken, on the team's clock.
    sections : list of Section
    languages : list of (str, str, str)
        Each language's code, name, and the link to the page in it.
    refresh : int
        Seconds between refreshes.
    """

    lang: str
    words: dict[str, str]
    team: str
    as_of: str
    sections: list[Section] = field(default_factory=list)
    languages: list[tuple[str, str, str]] = field(default_factory=list)
    refresh: int = REFRESH_SECONDS


def _leads_card(view: Figures) -> Card:
    body, w = view.snap.today, view.words
    waiting = view.kpi(body, "leads_waiting", None)
    detail = said(w("card_waiting", n=waiting.text), waiting)
    tone = "warn" if number(waiting.value) > 0 else ""
    return Card(w["card_leads"], view.kpi(body, "leads_received", None), (detail,), tone)


def said(text: str, cell: Cell) -> Cell:
    """A sentence about one figure, carrying the figure's origin and value."""
    return replace(cell, text=text, tone="")


def _late_card(view: Figures) -> Card | None:
    w, late = view.words, view.snap.overdue
    if late is None:
        return None
    count = view.figure("overdue:count", float(len(late)), "count")
    if not late:
        words = w["card_late_none"] if view.snap.has_deadline else w["card_late_off"]
        tone = "good" if view.snap.has_deadline else ""
        return Card(w["card_late"], count, (view.label(words),), tone)
    worst = late[0]  # most overdue first, as /v1/sla/overdue lists them
    minutes = view.figure(
        "overdue:overdue_minutes",
        worst["overdue_minutes"],
        "minutes",
        manager=worst["manager_id"],
        lead=worst["lead_id"],
    )
    detail = said(w("card_late_detail", minutes=minutes.text), minutes)
    return Card(w["card_late"], count, (detail,), "bad")


def _open_card(view: Figures) -> Card | None:
    rows = list(view.status.values())
    if not rows:
        return None
    opened = sum(float(s["open"]) for s in rows)
    most = sum(float(s["capacity"]) for s in rows)
    capacity = view.figure("status:capacity", most, "count")
    detail = said(view.words("card_open_detail", capacity=capacity.text), capacity)
    tone = "bad" if opened >= most > 0 else ""
    return Card(
        view.words["card_open"], view.figure("status:open", opened, "count"), (detail,), tone
    )


def _response_card(view: Figures) -> Card:
    body, w = view.snap.today, view.words
    fast = view.kpi(body, "sla_share_fast", None)
    detail = said(w("card_fast", share=fast.text, minutes=view.fast_minutes()), fast)
    return Card(w["card_response"], view.kpi(body, "response_p50", None), (detail,))


def _plan_card(view: Figures) -> Card:
    w, fmt, plan = view.words, view.fmt, view.snap.plan
    period = None if plan is None else shown_period(plan)
    if plan is None or period is None:
        # no plan period under way or over yet: this week's revenue, and why
        revenue = view.kpi(view.snap.week, "revenue", None)
        words = w["card_no_plan"]
        if plan is not None and plan["fact"]:
            words = w("card_plan_later", period=fmt.plan_period(first_period(plan)))
        return Card(w["card_revenue_week"], revenue, (view.label(words),))
    (team,) = [f for f in plan["fact"] if f["period"] == period and f["manager_id"] is None]
    won = view.figure("plan:won", team["won"], "money", period=period)
    attainment = number(team["attainment"])
    planned = fmt.value(number(team["plan"]), "money")
    share = view.figure("plan:attainment", attainment, "share", period=period)
    detail = said(w("card_plan_detail", share=share.text, plan=planned), share)
    tone = "good" if attainment >= 1 else ("warn" if team["state"] == "current" else "bad")
    return Card(w("card_plan", period=fmt.plan_period(period)), won, (detail,), tone)


def _alerts_card(view: Figures) -> Card:
    w, found = view.words, view.snap.alerts
    urgent = sum(1 for a in found if a["severity"] == "high")
    count = view.figure("alerts", float(len(found)), "count")
    high = view.figure("alerts_urgent", float(urgent), "count")
    detail = said(w("card_alerts_detail", n=high.text), high)
    tone = "bad" if urgent else ("warn" if found else "good")
    return Card(w["card_alerts"], count, (detail,), tone)


def headline(view: Figures) -> Section:
    """The cards a head of sales reads first."""
    cards = [
        _leads_card(view),
        _late_card(view),
        _open_card(view),
        _response_card(view),
        _plan_card(view),
        _alerts_card(view),
    ]
    section = Section("glance", view.words["glance"])
    section.blocks.append(Cards([c for c in cards if c is not None]))
    return section


def page(snap: Snapshot, lang: str, links: dict[str, str], *, may_write: bool = False) -> Page:
    """The dashboard of a snapshot in ``lang``; ``links`` the page in each language.

    ``may_write``: the viewer's key may write (the CRM section offers to try failed
    write-backs again).
    """
    view = Figures(snap, lang)
    w = view.words
    keys = (
        "title", "contents", "logout", "language", "footer_missing", "footer_source",
    )  # fmt: skip
    moment = view.local(snap.src.now)
    return Page(
        lang=lang,
        words={k: w[k] for k in keys},
        team=snap.src.setup.name,
        as_of=w("as_of", moment=view.fmt.moment(moment), zone=snap.src.setup.timezone),
        sections=[
            headline(view),
            today_section(view),
            late_section(view),
            response_section(view),
            plan_section(view),
            alerts_section(view),
            *[x for x in (crm_section(view, may_write),) if x is not None],
        ],
        languages=[(code, name, links[code]) for code, name in LANGUAGES],
    )
