# ruff: noqa: RUF001, RUF002  (Russian text; the multiplication sign of formulas)
"""The plan checked from the bottom up: what the deals already in hand should bring.

For the plan period under way: revenue won so far, plus each open deal's value times
its chance to be won from the stage it has reached (the manager's rates of the
history window), plus each lead assigned and not yet at a stage times its chance (the
chance given at assignment, else the lead's score, else the manager's rate from a
contacted or a new lead). The gap to the plan, when short, is turned into leads: how
many more leads of each source (or tier) would close it, at the revenue a lead of
that source brought in the history window (conversion × average deal, each pulled
towards the team's like the managers' rates). Open deals count as if they close within
the period; a past period is checked against its revenue alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final

import numpy as np

from fairlead.kpi._cells import FloatArray, Int64Array
from fairlead.kpi._kpis import Kpis
from fairlead.kpi._plan_rates import CONTACTED, LEADS, PRIOR_DEALS, PRIOR_LEADS, Rates
from fairlead.kpi._steps import count, money, percent, plural_ru

#: How many kinds of lead (sources, tiers) a check names as ways to close a gap.
CLOSERS_SHOWN: Final[int] = 3


@dataclass(frozen=True)
class Closer:
    """More leads of one source (or tier) that would close a gap.

    Attributes
    ----------
    by : {"source", "tier"}
    label : str
    leads : float
        How many more leads: the gap over ``value``.
    value : float
        Revenue a lead of this kind brought: ``conversion × avg_deal``.
    conversion, avg_deal : float
        Of the leads of this kind received in the history window, pulled towards the
        team's.
    history : float
        How many leads of this kind the window had.
    """

    by: str
    label: str
    leads: float
    value: float
    conversion: float
    avg_deal: float
    history: float

    def text(self, lang: str = "en") -> str:
        """``14 more leads from «website» (a lead brings 17,900: 15% × 119,000)``."""
        if lang == "ru":
            kind = "из источника" if self.by == "source" else "уровня"
            return (
                f"ещё {count(self.leads, 'ru')} "
                f"{plural_ru(round(self.leads), 'лид', 'лида', 'лидов')} {kind} «{self.label}» "
                f"(лид приносит в среднем {money(self.value, 'ru')}: конверсия "
                f"{percent(self.conversion, 'ru')} × средний чек {money(self.avg_deal, 'ru')})"
            )
        kind = "from" if self.by == "source" else "of tier"
        return (
            f"{count(self.leads, 'en')} more leads {kind} «{self.label}» (a lead brings "
            f"{money(self.value, 'en')} on average: conversion {percent(self.conversion, 'en')} "
            f"× average deal {money(self.avg_deal, 'en')})"
        )


@dataclass(frozen=True)
class LeadValues:
    """Revenue per lead of each source and tier over the history window."""

    by: tuple[str, ...]
    labels: tuple[str, ...]
    conversion: FloatArray
    avg_deal: FloatArray
    history: FloatArray

    @property
    def value(self) -> FloatArray:
        """Revenue a lead brings: conversion × average deal."""
        return np.asarray(self.conversion * self.avg_deal, dtype=np.float64)

    def closers(self, gap: float, shown: int = CLOSERS_SHOWN) -> tuple[Closer, ...]:
        """The kinds of lead that close ``gap`` with the fewest leads, per source and tier."""
        if not gap > 0:
            return ()
        out: list[Closer] = []
        value = self.value
        for by in ("source", "tier"):
            rows = [
                k
                for k in np.argsort(-np.nan_to_num(value, nan=-1.0), kind="stable").tolist()
                if self.by[k] == by and value[k] > 0
            ]
            out += [
                Closer(
                    by,
                    self.labels[k],
                    gap / float(value[k]),
                    float(value[k]),
                    float(self.conversion[k]),
                    float(self.avg_deal[k]),
                    float(self.history[k]),
                )
                for k in rows[:shown]
            ]
        return tuple(out)


def lead_values(
    kpis: Kpis,
    start: date,
    end: date,
    *,
    prior_leads: float = PRIOR_LEADS,
    prior_deals: float = PRIOR_DEALS,
) -> LeadValues:
    """Conversion and average deal of each source's and tier's leads over a window.

    The leads first assigned in ``[start, end)`` (UTC days); each figure pulled towards
    the team's as the managers' rates are.
    """
    leads = kpis.leads
    lo = (np.datetime64(start, "s") - np.datetime64(0, "s")).astype(np.int64)
    hi = (np.datetime64(end, "s") - np.datetime64(0, "s")).astype(np.int64)
    with np.errstate(invalid="ignore"):
        inside = (leads.assigned_at >= lo) & (leads.assigned_at < hi)
    won = inside & (leads.outcome == 1)
    amount = np.nan_to_num(leads.amount)
    has_amount = won & ~np.isnan(leads.amount)
    n_all, n_won = float(inside.sum()), float(won.sum())
    team_rate = n_won / n_all if n_all > 0 else np.nan
    team_avg = float(amount[has_amount].sum() / has_amount.sum()) if has_amount.any() else np.nan
    by: list[str] = []
    labels: list[str] = []
    parts: list[FloatArray] = []
    for column, codes in (("source", leads.source), ("tier", leads.tier)):
        names = kpis.log.labels[column][1]
        size = len(names)
        if size == 0:
            continue
        keep = codes >= 0
        n = np.bincount(codes[inside & keep], minlength=size).astype(np.float64)
        w = np.bincount(codes[won & keep], minlength=size).astype(np.float64)
        d = np.bincount(codes[has_amount & keep], minlength=size).astype(np.float64)
        s = np.bincount(codes[has_amount & keep], weights=amount[has_amount & keep], minlength=size)
        conversion = (w + prior_leads * team_rate) / (n + prior_leads)
        avg_deal = (s + prior_deals * team_avg) / (d + prior_deals)
        used = n > 0
        by += [column] * int(used.sum())
        labels += [names[k] for k in np.flatnonzero(used).tolist()]
        parts.append(np.stack([conversion[used], avg_deal[used], n[used]]))
    table = np.concatenate(parts, axis=1) if parts else np.zeros((3, 0))
    return LeadValues(tuple(by), tuple(labels), table[0], table[1], table[2])


def _chances(rates: Rates, funnel: Sequence[str]) -> tuple[FloatArray, float, float]:
    """Chance to end as a deal from each funnel stage, from contact, from a new lead."""
    keys = rates.keys
    by_stage = np.empty(len(funnel), dtype=np.float64)
    below = rates.chance(CONTACTED if CONTACTED in keys else LEADS)
    for s, stage in enumerate(funnel):
        key = f"reached:{stage}"
        if key in keys:
            below = rates.chance(key)
        by_stage[s] = below  # a stage left out of the chain counts as the one before it
    contacted = rates.chance(CONTACTED) if CONTACTED in keys else rates.chance(LEADS)
    return by_stage, contacted, rates.chance(LEADS)


def open_value(
    kpis: Kpis, manager_codes: Int64Array, rates: Sequence[Rates]
) -> tuple[FloatArray, FloatArray]:
    """Expected revenue of each manager's open deals (at a stage) and open leads (not yet).

    ``manager_codes`` are positions in ``kpis.log.manager_ids`` (-1: not in the log),
    ``rates`` the rates of each.
    """
    leads = kpis.leads
    open_ = (leads.outcome == -1) & (leads.owner >= 0)
    pipeline = np.zeros(len(rates))
    fresh = np.zeros(len(rates))
    for j, (code, own) in enumerate(zip(manager_codes.tolist(), rates, strict=True)):
        if code < 0:
            continue
        mine = open_ & (leads.owner == code)
        if not mine.any():
            continue
        by_stage, contacted, new = _chances(own, kpis.funnel)
        deal = np.where(
            np.isnan(leads.deal_value[mine]), own.avg_deal.value, leads.deal_value[mine]
        )
        stage = leads.stage[mine]
        at_stage = stage >= 0
        chance_stage = by_stage[np.maximum(stage, 0)] if by_stage.size else np.zeros(stage.size)
        given = np.where(
            np.isnan(leads.win_probability[mine]), leads.score[mine], leads.win_probability[mine]
        )
        fallback = np.where(np.isnan(leads.contacted_at[mine]), new, contacted)
        chance_new = np.where(np.isnan(given), fallback, given)
        pipeline[j] = float(np.nansum(np.where(at_stage, deal * chance_stage, 0.0)))
        fresh[j] = float(np.nansum(np.where(at_stage, 0.0, deal * chance_new)))
    return pipeline, fresh


@dataclass(frozen=True)
class Check:
    """The plan of one period and manager (or the team) checked from the bottom up.

    Attributes
    ----------
    state : {"past", "current"}
        A past period is checked against its revenue; the current one also counts
        what the open deals and leads should bring.
    plan, won, pipeline, fresh : float
        The plan; revenue won in the period (so far); the expected revenue of the
        open deals at a stage; of the open leads not yet at a stage.
    expected : float
        ``won + pipeline + fresh``.
    gap : float
        ``plan - expected``: above 0 the plan is short by that much.
    closers : tuple of Closer
        More leads of which source or tier would close the gap.
    """

    state: str
    plan: float
    won: float
    pipeline: float
    fresh: float
    expected: float
    gap: float
    closers: tuple[Closer, ...] = ()

    @property
    def short(self) -> bool:
        """Whether the plan is short of what is expected."""
        return self.gap > 0

    def text(self, lang: str = "en") -> str:
        """The check in a sentence, with the ways to close a gap."""
        m = money
        if lang == "ru":
            head = (
                f"выиграно {m(self.won, 'ru')}"
                if self.state == "past"
                else f"ожидается {m(self.expected, 'ru')} = выиграно {m(self.won, 'ru')} + "
                f"открытые сделки {m(self.pipeline, 'ru')} + новые лиды {m(self.fresh, 'ru')}"
            )
            if not self.short:
                return f"{head}; план {m(self.plan, 'ru')} — выполняется"
            ways = " или ".join(c.text("ru") for c in self.closers)
            tail = f": это {ways}" if ways and self.state == "current" else ""
            return f"{head}; план {m(self.plan, 'ru')}; не хватает {m(self.gap, 'ru')}{tail}"
        head = (
            f"won {m(self.won, 'en')}"
            if self.state == "past"
            else f"expected {m(self.expected, 'en')} = won {m(self.won, 'en')} + open deals "
            f"{m(self.pipeline, 'en')} + new leads {m(self.fresh, 'en')}"
        )
        if not self.short:
            return f"{head}; plan {m(self.plan, 'en')}: on track"
        ways = ", or ".join(c.text("en") for c in self.closers)
        tail = f": about {ways}" if ways and self.state == "current" else ""
        return f"{head}; plan {m(self.plan, 'en')}; short by {m(self.gap, 'en')}{tail}"


def check(
    state: str,
    plan: float,
    won: float,
    pipeline: float,
    fresh: float,
    values: LeadValues | None,
) -> Check:
    """A :class:`Check` from its figures (``values`` name the ways to close a gap).

    Examples
    --------
    >>> c = check("current", 1_200_000, 400_000, 350_000, 200_000, None)
    >>> c.expected, c.gap, c.short
    (950000.0, 250000.0, True)
    >>> c.text("en")
    'expected 950,000 = won 400,000 + open deals 350,000 + new leads 200,000; plan 1,200,000; \
short by 250,000'
    """
    if state == "past":
        pipeline = fresh = 0.0
    expected = float(won + pipeline + fresh)
    gap = float(plan - expected)
    closers = values.closers(gap) if values is not None and state == "current" else ()
    return Check(
        state, float(plan), float(won), float(pipeline), float(fresh), expected, gap, closers
    )


def period_state(start: date, end: date, now: datetime) -> str:
    """``past``, ``current`` or ``future`` of ``[start, end)`` at ``now``."""
    today = now.date()
    if today >= end:
        return "past"
    if today < start:
        return "future"
    return "current"
