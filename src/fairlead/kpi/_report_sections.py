"""The report's sections that read the KPIs alone.

The team by period, the funnel, response times, fair shares, client satisfaction and
retention, data quality, and the glossary.

Each function takes the :class:`~fairlead.kpi._report_page.Page` and returns a
:class:`~fairlead.kpi._report_model.Section`; plots come from
:mod:`fairlead.kpi._report_plots` (imported by the caller, who has matplotlib).
"""

from __future__ import annotations

import math
from types import ModuleType

import numpy as np

from fairlead.kpi._quality import DataQuality
from fairlead.kpi._report_format import MISSING, RANGE
from fairlead.kpi._report_model import (
    Cell,
    Column,
    Heading,
    Item,
    Items,
    Plot,
    Section,
    Table,
    Text,
)
from fairlead.kpi._report_page import Page, sla_bands
from fairlead.kpi._retention import touch_groups


def _row(page: Page, manager: str | None, cells: list[Cell]) -> tuple[Cell, ...]:
    head = page.team_cell() if manager is None else page.manager_cell(manager)
    return (head, *cells)


def _kind(page: Page) -> str:
    return page.words[f"by_{page.kpis.period}"]


# ------------------------------------------------------------------ team by period


def by_period_table(page: Page, plan: np.ndarray | None) -> Table:
    """The team's main figures, one row per period; the plan per period when given."""
    metrics = ["leads_received", "won", "revenue"]
    columns = [page.column("period", numeric=False)]
    columns += [page.column(m) for m in metrics]
    if plan is not None:
        columns += [page.column("plan_revenue"), page.column("attainment")]
    extra = ["conversion", "response_p50", "sla_share_fast", "csat"]
    fast = fast_minutes(page)
    for m in extra:
        columns.append(page.column(m, minutes=fast))
    rows = []
    for k in range(page.n_periods):
        cells = [page.at(m, k) for m in metrics]
        if plan is not None:
            key = page.period_key(k)
            revenue = float(page.kpis.value("revenue", None, k))
            cells.append(page.figure("plan_revenue", plan[k], period=key))
            share = revenue / plan[k] if plan[k] > 0 else math.nan
            tone = "" if page.in_progress(k) else tone_of(share)  # a week under way: no verdict
            cells.append(page.figure("attainment", share, period=key, tone=tone))
        cells += [page.at(m, k) for m in extra]
        rows.append((Cell(page.period_text(k)), *cells))
    total = [page.total(m) for m in metrics]
    if plan is not None:
        planned = float(np.nansum(plan))
        revenue = float(page.kpis.total("revenue", None))
        total.append(page.figure("plan_revenue", planned))
        share = revenue / planned if planned > 0 else math.nan
        total.append(page.figure("attainment", share, tone=tone_of(share)))
    total += [page.total(m) for m in extra]
    return Table(
        tuple(columns),
        tuple(rows),
        (Cell(page.words["whole_report"].capitalize()), *total),
        name="by_period",
    )


def tone_of(attainment: float) -> str:
    """The colour of a share of plan: good from 100 %, bad under 80 %, else a warning.

    Examples
    --------
    >>> tone_of(1.02), tone_of(0.85), tone_of(0.5), tone_of(float("nan"))
    ('good', 'warn', 'bad', '')
    """
    if math.isnan(attainment):
        return ""
    return "good" if attainment >= 1.0 else "bad" if attainment < 0.8 else "warn"


def fast_minutes(page: Page) -> str:
    """The first response-time band's limit in minutes, as text (``"5"``)."""
    bands = sla_bands(list(page.kpis.by_manager))
    return page.fmt.number(bands[0][2], 0) if bands else "5"


def revenue_plot(page: Page, plots: ModuleType, plan: np.ndarray | None) -> Plot:
    """The team's revenue per period against the plan."""
    labels = [page.short_period(k) for k in range(page.n_periods)]
    title = page.words("revenue_plot", kind=_kind(page))
    svg = plots.revenue_by_period(
        labels,
        page.series("revenue"),
        plan,
        words={"title": title, "plan": page.words["plan_word"], "fact": page.words["fact_word"]},
        number=page.fmt.money,
    )
    return Plot(svg)


# ------------------------------------------------------------------------- funnel


def _steps(page: Page, manager: str | None) -> list[tuple[str, str, float]]:
    """(key, name, leads) of each funnel step: received, contacted, stages, won."""
    total = page.kpis.total
    steps = [
        ("leads_received", page.words["step_received"], total("leads_received", manager)),
        ("leads_contacted", page.words["step_contacted"], total("leads_contacted", manager)),
    ]
    for stage in page.kpis.funnel:
        steps.append((f"reached:{stage}", stage, total(f"reached:{stage}", manager)))
    # the leads received that were won (not the deals closed in the span, which may
    # come from leads received before it): the funnel follows one set of leads
    won = total("conversion", manager) * total("leads_received", manager)
    steps.append(("won_of_received", page.words["step_won"], won))
    return [(key, name, float(value)) for key, name, value in steps]


def funnel_section(page: Page, plots: ModuleType) -> Section:
    """The funnel: the team's steps (plot and table) and each manager's rates."""
    w = page.words
    section = Section("funnel", w["funnel"], w["funnel_intro"])
    steps = _steps(page, None)
    counts = np.array([value for _, _, value in steps])
    svg = plots.funnel(
        [name for _, name, _ in steps],
        counts,
        words={"title": w["funnel_plot"]},
        number=page.fmt.count,
        percent=page.fmt.percent,
    )
    section.blocks.append(Plot(svg))
    columns = (
        page.column("step", numeric=False),
        page.column("leads"),
        page.column("of_previous"),
        page.column("of_received"),
    )
    rows = []
    received = counts[0]
    for k, (key, name, value) in enumerate(steps):
        step = key.split(":", 1)[-1]
        before = counts[k - 1] if k else math.nan
        rows.append(
            (
                Cell(name),
                page.figure(key, value, unit="count"),
                page.figure(f"of_previous:{step}", value / before if before > 0 else math.nan),
                page.figure(f"of_received:{step}", value / received if received > 0 else math.nan),
            )
        )
    section.blocks.append(Table(columns, tuple(rows), name="funnel"))

    section.blocks.append(Heading(w["by_manager"]))
    stage_columns = [
        page.custom_column(
            f"rate:{stage}",
            f"{stage}, %",
            w("stage_rate", stage=stage),
        )
        for stage in page.kpis.funnel
    ]
    metrics = ["leads_received", *[f"rate:{s}" for s in page.kpis.funnel], "won", "win_rate"]
    metrics += ["conversion", "conversion_shrunk"]
    columns2 = [page.column("manager", numeric=False), page.column("leads_received")]
    columns2 += stage_columns
    columns2 += [page.column(m) for m in ("won", "win_rate", "conversion", "conversion_shrunk")]
    columns2 += [page.column("conversion_range"), page.column("avg_deal")]
    rows2 = []
    for manager in page.managers:
        cells = [page.total(m, manager) for m in metrics]
        cells.append(_range(page, manager))
        cells.append(page.total("avg_deal", manager))
        rows2.append(_row(page, manager, cells))
    total = [page.total(m) for m in metrics]
    total += [_range(page, None), page.total("avg_deal")]
    section.blocks.append(
        Table(tuple(columns2), tuple(rows2), _row(page, None, total), name="conversion")
    )
    return section


def _range(page: Page, manager: str | None) -> Cell:
    low = page.total("conversion_low", manager)
    high = page.total("conversion_high", manager)
    if math.isnan(low.value) or math.isnan(high.value):
        return Cell(MISSING)
    return Cell(RANGE, parts=(low, high))


# ----------------------------------------------------------------------- response


def _band_label(page: Page, lo: float, hi: float) -> str:
    number = page.fmt.number
    if lo == 0:
        return page.words("band_first", hi=number(hi))
    if math.isinf(hi):
        return page.words("band_last", lo=number(lo))
    return page.words("band_mid", lo=number(lo), hi=number(hi))


def response_minutes(page: Page, manager: str | None = None) -> np.ndarray:
    """Minutes from the assignment to the first contact of every contacted lead."""
    leads = page.kpis.leads
    minutes = (leads.contacted_at - leads.response_from) / 60.0
    keep = np.isfinite(minutes)
    if manager is not None:
        keep &= leads.responder == page.kpis.log.manager_ids.index(manager)
    return np.asarray(minutes[keep], dtype=np.float64)


def response_section(page: Page, plots: ModuleType) -> Section:
    """First-contact times: the team's distribution, each manager's bands and table."""
    w = page.words
    section = Section("response", w["response"], w["response_intro"])
    bands = sla_bands(list(page.kpis.by_manager))
    labels = [_band_label(page, lo, hi) for _, lo, hi in bands]
    edges = [hi for _, _, hi in bands if math.isfinite(hi)]
    svg = plots.response_histogram(
        response_minutes(page),
        edges,
        words={
            "title": w["response_plot"],
            "x": w["response_x"],
            "y": w["response_y"],
            **{f"tick_{t}": w[f"tick_{t}"] for t in (1, 5, 15, 60, 240, 1440, 10080)},
        },
        band_labels=labels,
    )
    section.blocks.append(Plot(svg))

    fast = fast_minutes(page)
    counts = np.array(
        [[page.kpis.total(name, m) for name, _, _ in bands] for m in page.managers], dtype=float
    ).reshape(len(page.managers), len(bands))
    contacted = counts.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = counts / contacted[:, None]
    rows = page.pick(shares[:, 0] if bands else np.zeros(len(page.managers)))
    svg = plots.band_bars(
        [page.name(page.managers[k]) for k in rows],
        shares[rows],
        words={"title": w["bands_plot"]},
        band_labels=labels,
        percent=lambda x: page.fmt.percent(x, 0),
    )
    caption = page.shown_of(rows.size, len(page.managers), "bands_which")
    section.blocks.append(Plot(svg, caption))

    columns = [
        page.column("manager", numeric=False),
        page.column("leads_contacted"),
        page.column("response_p50"),
        page.column("response_p90"),
    ]
    columns += [
        page.column("sla_band", name=name, band=label)
        for (name, _, _), label in zip(bands, labels, strict=True)
    ]
    columns += [page.column("sla_share_fast", minutes=fast), page.column("leads_waiting")]
    metrics = ["leads_contacted", "response_p50", "response_p90"]
    metrics += [name for name, _, _ in bands] + ["sla_share_fast", "leads_waiting"]
    table_rows = []
    for manager in page.managers:
        cells = [page.total(m, manager) for m in metrics]
        table_rows.append(_row(page, manager, cells))
    total = _row(page, None, [page.total(m) for m in metrics])
    section.blocks.append(Table(tuple(columns), tuple(table_rows), total, name="response"))
    return section


# ------------------------------------------------------------------------- shares


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        out = numerator / denominator
    return np.where(denominator > 0, out, np.nan)


def shares_section(page: Page, plots: ModuleType, basis: str) -> Section:
    """Leads and value against each manager's fair share, by period and overall."""
    w = page.words
    kind = _kind(page)
    section = Section("shares", w["shares"], w("shares_intro", basis=w[f"basis_{basis}"]))
    labels = [page.short_period(k) for k in range(page.n_periods)]
    leads = page.grid("leads_vs_target")
    value = _ratio(page.grid("value_share"), page.grid("target_share"))
    # the managers furthest from their fair share, on average over the periods
    # (a manager with no lead in any period has no distance: NaN, without a warning)
    gaps = np.abs(np.log(np.clip(leads, 1e-3, None)))
    seen = np.sum(~np.isnan(gaps), axis=1)
    distance = np.where(seen > 0, np.nansum(gaps, axis=1) / np.maximum(seen, 1), np.nan)
    rows = page.pick(-np.nan_to_num(distance, nan=0.0))
    names = [page.name(page.managers[k]) for k in rows]
    caption = page.shown_of(rows.size, len(page.managers), "shares_which")
    heatmaps = (("leads_heatmap", leads, "share-leads"), ("value_heatmap", value, "share-value"))
    # (no manager in the log: nothing to draw)
    for key, grid, prefix in heatmaps if rows.size else ():
        svg = plots.share_heatmap(
            names,
            labels,
            grid[rows],
            words={"title": w(key, kind=kind)},
            ratio=page.fmt.ratio,
            prefix=prefix,
        )
        section.blocks.append(Plot(svg, caption))

    evenness = {
        page.words.column(m)[0]: page.series(m) for m in ("gini_leads", "jain_leads", "gini_value")
    }
    svg = plots.lines(
        labels,
        evenness,
        words={"title": w("evenness_plot", kind=kind)},
        number=page.fmt.ratio,
        prefix="evenness",
        ylim=(0.0, 1.05),
    )
    section.blocks.append(Plot(svg))

    metrics = ["target_share", "leads_share", "leads_vs_target", "value_share"]
    columns = [page.column("manager", numeric=False)]
    columns += [page.column(m) for m in metrics]
    columns += [page.column("value_vs_target"), page.column("overload_days")]
    table_rows = []
    for manager in page.managers:
        cells = [page.total(m, manager) for m in metrics]
        target = cells[0].value
        cells[2] = _share_tone(cells[2])
        ratio = cells[3].value / target if target > 0 else math.nan
        cells.append(_share_tone(page.figure("value_vs_target", ratio, manager)))
        cells.append(page.total("overload_days", manager))
        table_rows.append(_row(page, manager, cells))
    section.blocks.append(Table(tuple(columns), tuple(table_rows), name="shares"))

    metrics = ["gini_leads", "jain_leads", "gini_value"]
    columns = [page.column("period", numeric=False), *[page.column(m) for m in metrics]]
    table_rows = [
        (Cell(page.period_text(k)), *[page.at(m, k) for m in metrics])
        for k in range(page.n_periods)
    ]
    total = (Cell(w["whole_report"].capitalize()), *[page.total(m) for m in metrics])
    section.blocks.append(Table(tuple(columns), tuple(table_rows), total, name="evenness"))
    return section


def _share_tone(cell: Cell) -> Cell:
    value = cell.value
    if math.isnan(value) or 0.9 <= value <= 1.1:
        return cell
    tone = "bad" if value < 0.8 or value > 1.25 else "warn"
    return Cell(cell.text, cell.metric, cell.manager, cell.period, cell.value, tone)


# ------------------------------------------------------------------------ clients


def clients_section(page: Page, churn_days: float) -> Section:
    """Client feedback (CSAT, NPS, complaints) and the existing clients' retention."""
    w = page.words
    days = page.fmt.number(churn_days)
    section = Section("clients", w["clients"], w["clients_intro"])
    feedback = ["csat", "csat_count", "nps", "nps_count", "complaints", "complaint_rate"]
    section.blocks.append(Heading(w["feedback_table"]))
    columns = [page.column("manager", numeric=False), *[page.column(m) for m in feedback]]
    rows = [
        _row(page, manager, [page.total(m, manager) for m in feedback]) for manager in page.managers
    ]
    total = _row(page, None, [page.total(m) for m in feedback])
    section.blocks.append(Table(tuple(columns), tuple(rows), total, name="feedback"))

    # Clients active now are those kept in the latest period (active at its end, now);
    # the report's totals give the start, the losses and the retention over the span.
    section.blocks.append(Heading(w["retention_table"]))
    span = ["clients", "clients_churned", "retention"]
    split = ["retention_touched", "retention_untouched"]
    touches = ["touches_planned", "touches_done", "touch_completion"]
    columns = [
        page.column("manager", numeric=False),
        page.column("clients_now", days=days),
        *[page.column(m, days=days) for m in span + split],
        page.column("touch_gap", days=days),
        *[page.column(m, days=days) for m in touches],
    ]
    last = page.n_periods - 1
    # Touched and untouched base clients over the whole span, per manager.
    sides = touch_groups(page.kpis.context.whole())

    def cells(manager: str | None) -> list[Cell]:
        return [
            page.at("clients_kept", last, manager),
            *[page.total(m, manager) for m in span + split],
            _gap_cell(page, manager, sides),
            *[page.total(m, manager) for m in touches],
        ]

    rows = [_row(page, manager, cells(manager)) for manager in page.managers]
    section.blocks.append(
        Table(tuple(columns), tuple(rows), _row(page, None, cells(None)), name="retention")
    )
    section.blocks.append(Text(_touch_words(page, sides)))
    return section


#: Clients each side needs before the report compares touched and untouched ones.
MIN_COMPARED = 10


def _gap_cell(page: Page, manager: str | None, sides: tuple[np.ndarray, np.ndarray]) -> Cell:
    """Retention of touched clients minus that of the others, in percentage points.

    Shown only when each side has at least :data:`MIN_COMPARED` clients: with a handful
    on one side the gap is mostly chance (and it is never coloured).
    """
    kpis = page.kpis
    column = slice(None) if manager is None else kpis.manager_ids.index(manager)
    smaller = min(float(np.sum(side[:, column])) for side in sides)
    gap = kpis.total("retention_touched", manager) - kpis.total("retention_untouched", manager)
    if smaller < MIN_COMPARED:
        gap = math.nan
    return page.figure("touch_gap", gap, manager, text=page.fmt.points(gap))


def _touch_words(page: Page, sides: tuple[np.ndarray, np.ndarray]) -> str:
    """The team's touched and untouched clients compared in plain words, with the caution."""
    w, count = page.words, page.fmt.count
    kpis = page.kpis
    touched, untouched = (float(t.sum()) for t in sides)
    kept = kpis.total("retention_touched")
    other = kpis.total("retention_untouched")
    sizes = {"n_touched": count(touched), "n_untouched": count(untouched)}
    if math.isnan(kept) or math.isnan(other):
        return w("touch_none", **sizes)
    points = round(100.0 * (kept - other))
    key = "touch_more" if points > 0 else "touch_less" if points < 0 else "touch_same"
    said = w(
        key,
        points=page.fmt.number(abs(points)),
        touched=page.fmt.percent(kept),
        untouched=page.fmt.percent(other),
        **sizes,
    )
    return f"{said} {w['touch_caution']}"


# ------------------------------------------------------------------------ quality


def quality_section(page: Page, quality: DataQuality) -> Section:
    """What the data-quality rules found, in the page's language."""
    w = page.words
    count = page.fmt.count
    if quality.ok:
        intro = w("quality_ok", events=count(quality.events), rows=count(quality.rows))
        return Section("quality", w["quality"], intro)
    section = Section(
        "quality",
        w["quality"],
        w("quality_intro", events=count(quality.events), rows=count(quality.rows)),
    )
    items = []
    for finding in quality.findings:
        text = w.finding(finding.code, count(finding.count), finding.message)
        parts = [Cell(text, f"quality:{finding.code}", value=float(finding.count))]
        if finding.examples:
            parts.append(Cell(w("examples", ids=", ".join(finding.examples))))
        items.append(Item(tuple(parts), tone="warn"))
    section.blocks.append(Items(tuple(items), name="quality"))
    return section


# ----------------------------------------------------------------------- glossary


def glossary_section(page: Page) -> Section:
    """Every column the page used, with its explanation."""
    w = page.words
    section = Section("glossary", w["glossary"], w["glossary_intro"])
    columns = (
        Column("glossary_column", w["glossary_column"], "", numeric=False),
        Column("glossary_meaning", w["glossary_meaning"], "", numeric=False),
    )
    seen: set[tuple[str, str]] = set()
    rows = []
    for column in page.used.values():
        if (column.label, column.explanation) in seen:
            continue
        seen.add((column.label, column.explanation))
        rows.append((Cell(column.label), Cell(column.explanation)))
    section.blocks.append(Table(columns, tuple(rows), name="glossary", explain=False))
    return section
