"""The report's first section: the headline figures and the team period by period."""

from __future__ import annotations

from types import ModuleType

import numpy as np

from fairlead.kpi._report_model import Card, Cards, Cell, Section
from fairlead.kpi._report_page import Page
from fairlead.kpi._report_sections import by_period_table, fast_minutes, revenue_plot, tone_of


def headline_section(
    page: Page,
    plots: ModuleType,
    *,
    plan_by_period: np.ndarray | None,
    plan_card: Card | None,
    alerts: tuple[int, int] | None,
) -> Section:
    """The headline cards, the team's revenue per period, and the team by period.

    Cards: revenue against plan, leads, conversion, first reply, satisfaction, alerts.

    ``alerts`` is (how many, how many urgent); ``plan_card`` the plan period under
    way; ``plan_by_period`` the team's plan in each period of the report.
    """
    w = page.words
    fmt = page.fmt
    section = Section("headline", w["headline"])
    revenue = page.total("revenue")
    plan_total = float(np.sum(plan_by_period)) if plan_by_period is not None else 0.0
    if plan_total > 0:
        share = revenue.value / plan_total
        revenue_detail: tuple[Cell, ...] = (
            page.figure(
                "attainment",
                share,
                text=w("card_of_plan", share=fmt.percent(share), plan=fmt.money(plan_total)),
            ),
        )
        revenue_tone = tone_of(share)
    else:
        revenue_detail = (Cell(w["card_no_plan"]),)
        revenue_tone = ""
    waiting = page.total("leads_waiting")
    won = page.total("won")
    fast = page.total("sla_share_fast")
    csat_count = page.total("csat_count")
    cards = [] if plan_card is None else [plan_card]
    cards += [
        Card(w("card_revenue", span=w["whole_report"]), revenue, revenue_detail, revenue_tone),
        Card(
            w["card_leads"],
            page.total("leads_received"),
            (_filled(w("card_waiting", n=waiting.text), waiting),),
            "warn" if waiting.value > 0 else "",
        ),
        Card(
            w["card_conversion"],
            page.total("conversion"),
            (_filled(w("card_won", won=won.text), won),),
        ),
        Card(
            w["card_response"],
            page.total("response_p50"),
            (_filled(w("card_fast", share=fast.text, minutes=fast_minutes(page)), fast),),
        ),
        Card(
            w["card_csat"],
            page.total("csat"),
            (_filled(w("card_csat_detail", n=csat_count.text), csat_count),),
        ),
    ]
    if alerts is not None:
        count, urgent = alerts
        cards.append(
            Card(
                w["card_alerts"],
                page.figure("alerts", count),
                (
                    page.figure(
                        "alerts_urgent", urgent, text=w("card_alerts_detail", high=str(urgent))
                    ),
                ),
                "bad" if urgent else "warn" if count else "good",
            )
        )
    section.blocks.append(Cards(tuple(cards)))
    section.blocks.append(revenue_plot(page, plots, plan_by_period))
    section.blocks.append(by_period_table(page, plan_by_period))
    return section


def _filled(text: str, figure: Cell) -> Cell:
    """A sentence about one figure, carrying the figure's value."""
    return Cell(text, figure.metric, figure.manager, figure.period, figure.value)
