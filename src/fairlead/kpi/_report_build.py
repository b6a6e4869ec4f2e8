"""The report's page put together: KPIs, plan, rating and alerts into sections, then HTML.

Imported by :func:`fairlead.kpi.report` only when a report is made: it brings
matplotlib (the plots) and Jinja2 (the template).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, timedelta
from importlib import metadata
from typing import Any

import fairlead.kpi._report_plots as plots
from fairlead.kpi._alerts import alerts
from fairlead.kpi._compute import compute
from fairlead.kpi._decompose import decompose
from fairlead.kpi._log import EventLog
from fairlead.kpi._periods import Period, zone
from fairlead.kpi._plan_file import as_sales_plan
from fairlead.kpi._rating import rating
from fairlead.kpi._report_alerts import alert_counts, alerts_section
from fairlead.kpi._report_format import Formats
from fairlead.kpi._report_headline import headline_section
from fairlead.kpi._report_model import Cell, Section
from fairlead.kpi._report_page import Page
from fairlead.kpi._report_plan import chain_section, plan_card, plan_section, plan_view
from fairlead.kpi._report_rating import rating_section
from fairlead.kpi._report_render import render
from fairlead.kpi._report_sections import (
    clients_section,
    funnel_section,
    glossary_section,
    quality_section,
    response_section,
    shares_section,
)
from fairlead.kpi._report_words import Words
from fairlead.records import Manager, Policy


def build(
    log: EventLog,
    plan: Any,
    *,
    period: Period,
    words: Words,
    managers: Sequence[Manager] | None,
    policy: Policy,
    now: Any,
    since: Any = None,
    timezone: str,
    timezones: Mapping[str, str] | None,
) -> str:
    """The page's HTML (see :func:`fairlead.kpi.report`)."""
    kpis = compute(
        log,
        period,
        now=now,
        since=since,
        managers=list(managers) if managers is not None else None,
        timezone=timezone,
        timezones=timezones,
    )
    names = {m.id: m.name for m in managers or () if m.name}
    page = Page(kpis, Formats(words.lang), words, names)
    sales = as_sales_plan(plan) if plan is not None else None  # read once
    found = alerts(kpis, sales, policy=policy, managers=managers)
    view = None
    if sales is not None:
        view = plan_view(page, decompose(sales, kpis, managers=managers, policy=policy))
    sections: list[Section] = [
        headline_section(
            page,
            plots,
            plan_by_period=view.by_period if view is not None else None,
            plan_card=plan_card(page, view) if view is not None else None,
            alerts=alert_counts(found),
        ),
        alerts_section(page, found),
        plan_section(page, plots, view),
        chain_section(page, view),
        funnel_section(page, plots),
        response_section(page, plots),
        shares_section(page, plots, "capacity" if managers is not None else "equal"),
        rating_section(page, rating(kpis, sales, policy=policy, managers=managers)),
        clients_section(page, kpis.context.settings.churn_days),
        quality_section(page, log.quality),
    ]
    sections.append(glossary_section(page))
    return render(
        sections,
        words=words,
        covers=_covers(page),
        header=_header(page, log, timezone),
        version=_version(),
    )


def _covers(page: Page) -> str:
    if page.n_periods == 0:
        return ""
    first = page.period_start(0)
    last = page.kpis.periods.ends[-1].item() - timedelta(days=1)
    return page.words(
        "covers", span=page.fmt.span(first, last), kind=page.words[f"by_{page.kpis.period}"]
    )


def _version() -> str:
    try:
        return metadata.version("fairlead")
    except metadata.PackageNotFoundError:  # pragma: no cover - run from a source tree
        return "dev"


def _header(page: Page, log: EventLog, timezone: str) -> list[Cell]:
    """When the figures were taken, and what they were made from."""
    w, count = page.words, page.fmt.count
    local = page.kpis.now.replace(tzinfo=UTC).astimezone(zone(timezone)).replace(tzinfo=None)
    source = w(
        "source",
        events=count(len(log)),
        file=log.source,
        leads=count(len(log.lead_ids)),
        managers=count(len(page.managers)),
        clients=count(len(log.client_ids)),
    )
    return [
        Cell(w("as_of", now=page.fmt.moment(local), zone=timezone)),
        Cell(source, "events", value=float(len(log))),
    ]
