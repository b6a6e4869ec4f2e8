# ruff: noqa: RUF001, RUF002  (Russian text: Cyrillic letters that look Latin)
"""The rates the plan's chain divides by, read off the KPIs of the weeks before the plan.

The funnel is a ladder of steps, from the bottom: leads received, leads contacted,
each funnel stage reached, deals won. Over the history window the KPIs count, per
manager and for the team, how many of the leads received there reached each step
(``leads_received``, ``leads_contacted``, ``reached:<stage>``, and the won ones:
``conversion`` × ``leads_received``), and the money of the deals won (``revenue`` over
``won``: the average deal).

Each manager's rate of a step is pulled towards the team's, as if the manager had
:data:`PRIOR_LEADS` more leads at that step going at the team's rate, and their
average deal as if they had :data:`PRIOR_DEALS` more deals at the team's average: a
manager with little history gets (nearly) the team's figures, one with a long record
keeps their own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

import numpy as np

from fairlead.kpi._cells import FloatArray
from fairlead.kpi._report_format import Formats
from fairlead.kpi._steps import Step, count, genitive_ru, money, percent, plural_ru, shown_count
from fairlead.records import label_key

#: Leads at the team's rate added to each manager's own when their rates are pulled
#: towards the team's.
PRIOR_LEADS: Final[float] = 20.0
#: Deals at the team's average added to each manager's own average deal.
PRIOR_DEALS: Final[float] = 5.0

LEADS, CONTACTED, DEALS = "leads", "contacted", "deals"


def rung_noun(key: str, value: float, lang: str, case: str = "nom") -> str:
    """The noun of a step for a number: ``30 deals``, ``120 at «proposal»``.

    ``case`` is the Russian case after the number: ``nom`` (30 сделок), ``gen`` after
    "из" (из 21 сделки) or ``acc`` after "за" (за 21 сделку).

    Examples
    --------
    >>> rung_noun("deals", 30, "ru"), rung_noun("reached:proposal", 21, "ru")
    ('сделок', 'лид на этапе «proposal»')
    >>> rung_noun("leads", 172, "ru", "gen"), rung_noun("deals", 21, "ru", "acc")
    ('лидов', 'сделку')
    """
    if lang != "ru":
        if key.startswith("reached:"):
            return f"at «{key.split(':', 1)[1]}»"
        if key == DEALS:
            return "deal" if value == 1 else "deals"
        if key == CONTACTED:
            return "contacted"
        return "lead" if value == 1 else "leads"
    shown = shown_count(value)
    if key == DEALS:
        if case == "gen":
            return genitive_ru(shown, "сделки", "сделок")
        if case == "acc":
            return plural_ru(shown, "сделку", "сделки", "сделок")
        return plural_ru(shown, "сделка", "сделки", "сделок")
    lead = (
        genitive_ru(shown, "лида", "лидов")
        if case == "gen"
        else plural_ru(shown, "лид", "лида", "лидов")
    )
    if key.startswith("reached:"):
        return f"{lead} на этапе «{key.split(':', 1)[1]}»"
    if key == CONTACTED:
        return f"{lead} с контактом"
    return lead


def rate_name(key: str, below: str, lang: str) -> str:
    """The name of the rate from step ``below`` to step ``key``.

    Examples
    --------
    >>> rate_name("deals", "reached:proposal", "en"), rate_name("contacted", "leads", "ru")
    ('won from «proposal»', 'доля лидов с контактом')
    >>> rate_name("reached:proposal", "reached:meeting", "en")
    '«meeting» → «proposal»'
    """
    ru = lang == "ru"
    if key == DEALS:
        if below.startswith("reached:"):
            stage = below.split(":", 1)[1]
            return f"доля выигранных с этапа «{stage}»" if ru else f"won from «{stage}»"
        if below == CONTACTED:
            return "доля выигранных после контакта" if ru else "won after contact"
        return "конверсия в сделку" if ru else "conversion"
    if key == CONTACTED:
        return "доля лидов с контактом" if ru else "contact rate"
    stage = key.split(":", 1)[1]
    if below.startswith("reached:"):
        return (
            f"переход «{below.split(':', 1)[1]}» → «{stage}»"
            if ru
            else (f"«{below.split(':', 1)[1]}» → «{stage}»")
        )
    if below == CONTACTED:
        return f"переход от контакта к этапу «{stage}»" if ru else f"contacted → «{stage}»"
    return f"переход на этап «{stage}»" if ru else f"leads → «{stage}»"


@dataclass(frozen=True)
class Ladder:
    """Counts of the funnel's steps over the history window, per manager and for the team.

    Attributes
    ----------
    keys : tuple of str
        The steps from the bottom: ``leads``, ``contacted``, ``reached:<stage>`` ...,
        ``deals`` (steps nobody reached in the window are left out, see :func:`ladder`).
    counts : ndarray, shape (steps, managers)
    team : ndarray, shape (steps,)
    revenue, won : ndarray, shape (managers,)
        Money of the deals won in the window and how many.
    team_revenue, team_won : float
    manager_ids : tuple of str
    start, end : date
        The window: first day and the day after the last.
    notes : tuple of (str, str)
        What was left out and why, in English and Russian.
    """

    keys: tuple[str, ...]
    counts: FloatArray
    team: FloatArray
    revenue: FloatArray
    won: FloatArray
    team_revenue: float
    team_won: float
    manager_ids: tuple[str, ...]
    start: date
    end: date
    notes: tuple[tuple[str, str], ...] = ()


def ladder(
    keys: Sequence[str],
    counts: FloatArray,
    team: FloatArray,
    money_won: tuple[FloatArray, FloatArray, float, float],
    manager_ids: Sequence[str],
    window: tuple[date, date],
) -> Ladder:
    """The ladder of the given step counts, with unusable steps left out.

    A funnel stage no lead of the window reached is left out (its rate would be
    0 / 0), and so is the contact step when more leads reached the next step than were
    contacted (contacts not logged): the chain then goes straight past it.

    Examples
    --------
    >>> import numpy as np
    >>> from datetime import date
    >>> keys = ["leads", "contacted", "reached:meeting", "reached:demo", "deals"]
    >>> counts = np.array([[100.0], [90.0], [40.0], [0.0], [10.0]])
    >>> lad = ladder(keys, counts, counts[:, 0], (np.array([4e5]), np.array([10.0]), 4e5, 10.0),
    ...              ["m"], (date(2026, 8, 3), date(2026, 11, 2)))
    >>> lad.keys
    ('leads', 'contacted', 'reached:meeting', 'deals')
    >>> lad.notes[0][0]
    'No lead reached «demo» in the history window: the chain goes past it.'
    """
    keep = np.ones(len(keys), dtype=bool)
    notes: list[tuple[str, str]] = []
    for k, key in enumerate(keys):
        if key.startswith("reached:") and not team[k] > 0:
            keep[k] = False
            stage = key.split(":", 1)[1]
            notes.append(
                (
                    f"No lead reached «{stage}» in the history window: the chain goes past it.",
                    f"За период истории ни один лид не дошёл до этапа «{stage}»: цепочка "
                    "идёт мимо него.",
                )
            )
    kept = [k for k in range(len(keys)) if keep[k]]
    if CONTACTED in keys:
        c = list(keys).index(CONTACTED)
        nxt = [k for k in kept if k > c]
        if keep[c] and (not team[c] > 0 or (nxt and team[nxt[0]] > team[c])):
            keep[c] = False
            notes.append(
                (
                    "Contacts are missing from the log (more leads reached the next step "
                    "than were contacted): the chain goes past the contact step.",
                    "В журнале не хватает контактов (до следующего шага дошло больше лидов, "
                    "чем было контактов): цепочка идёт мимо шага контакта.",
                )
            )
    rows = np.flatnonzero(keep)
    revenue, won, team_revenue, team_won = money_won
    return Ladder(
        keys=tuple(keys[k] for k in rows.tolist()),
        counts=counts[rows],
        team=team[rows],
        revenue=revenue,
        won=won,
        team_revenue=float(team_revenue),
        team_won=float(team_won),
        manager_ids=tuple(manager_ids),
        start=window[0],
        end=window[1],
        notes=tuple(notes),
    )


@dataclass(frozen=True)
class Rates:
    """One manager's (or the team's) average deal and step rates, each with its inputs.

    Attributes
    ----------
    manager_id : str or None
        None for the team.
    avg_deal : Step
    steps : tuple of Step
        The rate of each step of the ladder from the one below (``rate:<key>``),
        bottom first: ``rate:contacted``, ``rate:reached:<stage>`` ..., ``rate:deals``.
    keys : tuple of str
        The ladder's steps, bottom first.
    """

    manager_id: str | None
    avg_deal: Step
    steps: tuple[Step, ...]
    keys: tuple[str, ...]

    def rate(self, key: str) -> float:
        """The rate into step ``key`` (``deals``, ``contacted``, ``reached:<stage>``)."""
        return self.steps[self.keys.index(key) - 1].value

    def chance(self, key: str) -> float:
        """The chance that a lead at step ``key`` ends as a deal (1 for ``deals``)."""
        k = self.keys.index(key)
        return float(np.prod([s.value for s in self.steps[k:]]))


def _rate_step(lad: Ladder, k: int, j: int | None, prior: float, who: tuple[str, str]) -> Step:
    """The rate into step ``k`` for manager ``j`` (None: the team)."""
    key, below = lad.keys[k], lad.keys[k - 1]
    team_up, team_down = float(lad.team[k]), float(lad.team[k - 1])
    team_rate = team_up / team_down if team_down > 0 else float("nan")
    en_name, ru_name = rate_name(key, below, "en"), rate_name(key, below, "ru")
    name = f"rate:{key}"
    span_en, span_ru = _span(lad)
    if j is None:
        up, down = team_up, team_down
        value = team_rate
        en = (
            f"{en_name} {percent(value, 'en')}: {count(up, 'en')} {rung_noun(key, up, 'en')} "
            f"of {count(down, 'en')} {rung_noun(below, down, 'en')}, {span_en}"
        )
        ru = (
            f"{ru_name} {percent(value, 'ru')}: {count(up, 'ru')} {rung_noun(key, up, 'ru')} "
            f"из {count(down, 'ru')} {rung_noun(below, down, 'ru', 'gen')}, {span_ru}"
        )
        inputs: tuple[tuple[str, float], ...] = ((key, up), (below, down))
        formula = f"{key} ÷ {below}"
        return Step(name, value, "share", inputs, formula, en, ru)
    up, down = float(lad.counts[k, j]), float(lad.counts[k - 1, j])
    value = (up + prior * team_rate) / (down + prior)
    own_en = percent(up / down, "en") if down > 0 else "none yet"
    own_ru = percent(up / down, "ru") if down > 0 else "пока нет"
    en = (
        f"{en_name} {percent(value, 'en')}: {who[0]} — {count(up, 'en')} "
        f"{rung_noun(key, up, 'en')} of {count(down, 'en')} {rung_noun(below, down, 'en')} "
        f"({own_en}), pulled towards the team's {percent(team_rate, 'en')} as if "
        f"{count(prior, 'en')} more went at the team's rate"
    )
    ru = (
        f"{ru_name} {percent(value, 'ru')}: {who[1]} — {count(up, 'ru')} "
        f"{rung_noun(key, up, 'ru')} из {count(down, 'ru')} "
        f"{rung_noun(below, down, 'ru', 'gen')} ({own_ru}), с учётом командных "
        f"{percent(team_rate, 'ru')} — как будто ещё {count(prior, 'ru')} "
        f"{plural_ru(prior, 'лид шёл', 'лида шли', 'лидов шли')} по доле команды"
    )
    inputs = ((key, up), (below, down), ("team_rate", team_rate), ("prior", prior))
    formula = f"({key} + prior × team rate) ÷ ({below} + prior)"
    return Step(name, value, "share", inputs, formula, en, ru)


def _span(lad: Ladder) -> tuple[str, str]:
    last = date.fromordinal(lad.end.toordinal() - 1)
    return Formats("en").span(lad.start, last), Formats("ru").span(lad.start, last)


def _deal_step(lad: Ladder, j: int | None, prior: float, who: tuple[str, str]) -> Step:
    team_avg = lad.team_revenue / lad.team_won if lad.team_won > 0 else float("nan")
    if j is None:
        en = (
            f"average deal {money(team_avg, 'en')}: {money(lad.team_revenue, 'en')} for "
            f"{count(lad.team_won, 'en')} {rung_noun(DEALS, lad.team_won, 'en')} won, "
            f"{_span(lad)[0]}"
        )
        ru = (
            f"средний чек {money(team_avg, 'ru')}: {money(lad.team_revenue, 'ru')} за "
            f"{count(lad.team_won, 'ru')} {rung_noun(DEALS, lad.team_won, 'ru', 'acc')}, "
            f"{_span(lad)[1]}"
        )
        inputs: tuple[tuple[str, float], ...] = (
            ("revenue", lad.team_revenue),
            ("won", lad.team_won),
        )
        return Step("avg_deal", team_avg, "money", inputs, "revenue ÷ deals won", en, ru)
    revenue, won = float(lad.revenue[j]), float(lad.won[j])
    value = (revenue + prior * team_avg) / (won + prior)
    en = (
        f"average deal {money(value, 'en')}: {who[0]} — {money(revenue, 'en')} for "
        f"{count(won, 'en')} {rung_noun(DEALS, won, 'en')}, pulled towards the team's "
        f"{money(team_avg, 'en')} as if {count(prior, 'en')} more deals were at the "
        "team's average"
    )
    ru = (
        f"средний чек {money(value, 'ru')}: {who[1]} — {money(revenue, 'ru')} за "
        f"{count(won, 'ru')} {rung_noun(DEALS, won, 'ru', 'acc')}, с учётом командного "
        f"{money(team_avg, 'ru')} — как будто ещё {count(prior, 'ru')} "
        f"{plural_ru(prior, 'сделка была', 'сделки были', 'сделок были')} по среднему чеку "
        "команды"
    )
    inputs = (("revenue", revenue), ("won", won), ("team_avg_deal", team_avg), ("prior", prior))
    formula = "(revenue + prior × team average) ÷ (deals won + prior)"
    return Step("avg_deal", value, "money", inputs, formula, en, ru)


def rates_of(
    lad: Ladder,
    manager: str | None,
    *,
    name: str | None = None,
    prior_leads: float = PRIOR_LEADS,
    prior_deals: float = PRIOR_DEALS,
) -> Rates:
    """The rates of one manager (pulled towards the team's), or of the team (None).

    A manager absent from the history gets the team's rates exactly.

    Examples
    --------
    >>> import numpy as np
    >>> from datetime import date
    >>> keys = ["leads", "reached:proposal", "deals"]
    >>> counts = np.array([[40.0, 0.0], [20.0, 0.0], [5.0, 0.0]])
    >>> team = np.array([400.0, 120.0, 30.0])
    >>> lad = ladder(keys, counts, team, (np.array([2e5, 0]), np.array([5.0, 0]), 1.2e6, 30.0),
    ...              ["ann", "new"], (date(2026, 8, 3), date(2026, 11, 2)))
    >>> ann = rates_of(lad, "ann")
    >>> round(ann.rate("deals"), 4), round(ann.avg_deal.value)    # (5 + 20/4) / (20 + 20)
    (0.25, 40000)
    >>> new = rates_of(lad, "new")
    >>> new.rate("deals") == rates_of(lad, None).rate("deals") == 0.25
    True
    """
    j: int | None
    shown = name or manager or ""
    who = (shown, shown)
    j = lad.manager_ids.index(manager) if manager in lad.manager_ids else None
    steps = tuple(_rate_step(lad, k, j, prior_leads, who) for k in range(1, len(lad.keys)))
    return Rates(manager, _deal_step(lad, j, prior_deals, who), steps, lad.keys)


def stage_keys(funnel: Sequence[str]) -> list[str]:
    """``reached:<stage>`` of each funnel stage, skipping a stage named like contact.

    Examples
    --------
    >>> stage_keys(["Contacted", "meeting", "proposal"])
    ['reached:meeting', 'reached:proposal']
    """
    return [f"reached:{s}" for s in funnel if label_key(s) not in ("contacted", "contact")]


def window_sums(by_period: Any, rows: Any) -> FloatArray:
    """Sum over the window's periods of a KPI array, no data (NaN) counted as 0."""
    block = np.asarray(by_period, dtype=np.float64)[rows]
    return np.asarray(np.nansum(block, axis=0), dtype=np.float64)
