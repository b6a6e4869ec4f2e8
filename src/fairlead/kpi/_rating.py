# ruff: noqa: RUF001, RUF002  (Russian text; the multiplication sign of formulas)
"""The managers' rating: plan, conversion, response time and client rating against the team.

Each part scores a manager against the team over the rating's window, 1.0 being the
team's level, kept between 0 and :data:`SCORE_CAP`:

- ``plan``: plan attainment (revenue over the plan for the days of the window the
  plan covers, pro-rated by working days up to now) ÷ the team's attainment;
- ``conversion``: the manager's conversion pulled towards the team's
  (``conversion_shrunk``) ÷ the team's conversion;
- ``response``: (the team's median first-response minutes + 1) ÷ (the manager's + 1):
  faster is better, and the minute added keeps an instant answer from counting as
  infinitely fast; judged on at least :data:`MIN_CONTACTS` first contacts;
- ``csat``: the manager's mean client rating (1-5) ÷ the team's, on at least
  :data:`MIN_ANSWERS` answers.

The score is the weighted mean of the parts (weights ``Policy.rating_weights``). A
part a manager has no figure for (no CSAT answers yet) is left out and its weight
spread over the others, and the row says so. Managers with the same score to three
decimals are tied: the one with the higher plan attainment ranks first, then the
higher conversion, then the id, and the rows say "tie". :meth:`Rating.performance`
turns the scores into performance indices for ``Manager(performance=...)``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Final

import numpy as np

from fairlead.kpi._cells import FloatArray
from fairlead.kpi._kpis import Kpis
from fairlead.kpi._plan_calendar import elapsed_part, holiday_array
from fairlead.kpi._plan_file import SalesPlan, as_sales_plan
from fairlead.kpi._plan_split import manager_plans, read_managers, team_of
from fairlead.kpi._plan_window import Window, measure_window
from fairlead.kpi._steps import formats
from fairlead.records import InputError, Policy, coerce_policy

#: The parts of the rating, in the order of ``Policy.rating_weights``.
PARTS: Final[tuple[str, ...]] = ("plan", "conversion", "response", "csat")
#: A part scores from 0 to this (1 = the team's level).
SCORE_CAP: Final[float] = 2.0
#: First contacts a manager needs in the window for the response part.
MIN_CONTACTS: Final[int] = 5
#: Client ratings a manager needs in the window for the CSAT part.
MIN_ANSWERS: Final[int] = 3
#: Periods of the KPIs' grid a rating covers by default: about a quarter.
DEFAULT_WINDOW: Final[dict[str, int]] = {"day": 91, "week": 13, "month": 3}
#: Scores equal to this many decimals are a tie.
TIE_DECIMALS: Final[int] = 3

_PART_WORDS: Final[dict[str, tuple[str, str]]] = {
    "plan": ("plan", "план"),
    "conversion": ("conversion", "конверсия"),
    "response": ("response time", "скорость ответа"),
    "csat": ("client rating", "оценка клиентов"),
}
_MISSING_WORDS: Final[dict[str, tuple[str, str]]] = {
    "plan": ("no plan", "нет плана"),
    "conversion": ("no leads in the window", "нет лидов за период"),
    "response": (
        f"fewer than {MIN_CONTACTS} first contacts",
        f"меньше {MIN_CONTACTS} первых контактов",
    ),
    "csat": (f"fewer than {MIN_ANSWERS} client ratings", f"меньше {MIN_ANSWERS} оценок клиентов"),
}
_TIE_WORDS: Final[dict[str, tuple[str, str]]] = {
    "plan": ("by plan attainment", "по выполнению плана"),
    "conversion": ("by conversion", "по конверсии"),
    "id": ("by id", "по идентификатору"),
}


@dataclass(frozen=True)
class RatingRow:
    """One manager's place in the rating.

    Attributes
    ----------
    rank : int
        1 is the best; tied managers keep distinct ranks, ordered as the module says.
    manager_id : str
    name : str
        The manager's name (their id without one).
    score : float
        The weighted mean of the parts (1.0 = the team's level); NaN when no part
        could be scored.
    parts : dict
        Part → score against the team (NaN: no figure).
    figures : dict
        Part → the manager's own figure: plan attainment (share), conversion
        (pulled towards the team's), median first-response minutes, mean CSAT.
    weights : dict
        Part → the weight it had in the score (the parts used add up to 1).
    missing : tuple of str
        Parts with a weight the manager had no figure for.
    tie_with : tuple of str
        Managers with the same score to three decimals.
    tie_by : str
        ``plan``, ``conversion`` or ``id``: what sets the manager apart from the tied
        manager just above (below, for the first of a tie); "" without a tie.
    """

    rank: int
    manager_id: str
    name: str
    score: float
    parts: dict[str, float]
    figures: dict[str, float]
    weights: dict[str, float]
    missing: tuple[str, ...] = ()
    tie_with: tuple[str, ...] = ()
    tie_by: str = ""

    @property
    def tie(self) -> bool:
        """Whether the manager shares the score with someone."""
        return bool(self.tie_with)

    def note(self, lang: str = "en") -> str:
        """What the row leaves out or ties on, in words ("" when nothing)."""
        ru = lang == "ru"
        notes: list[str] = []
        if _isnan(self.score):
            return "нет данных для рейтинга" if ru else "not rated: no figures yet"
        if self.missing:
            why = ", ".join(_MISSING_WORDS[p][ru] for p in self.missing)
            rest = ", ".join(_PART_WORDS[p][ru] for p in PARTS if self.weights.get(p, 0) > 0)
            notes.append(
                f"{why}: вес распределён на {rest}" if ru else f"{why}: weight spread over {rest}"
            )
        if self.tie_with:
            others = ", ".join(self.tie_with)
            how = _TIE_WORDS[self.tie_by][ru]
            notes.append(
                f"ничья с {others} (та же оценка {formats('ru').number(self.score, 3)}; "
                f"порядок {how})"
                if ru
                else f"tie with {others} (same score {formats('en').number(self.score, 3)}; "
                f"ordered {how})"
            )
        return "; ".join(notes)


def _isnan(value: float) -> bool:
    """NaN test that reads well in conditions."""
    return bool(np.isnan(value))


@dataclass(frozen=True)
class Rating:
    """The managers ranked, best first, with each part and the team's figures.

    Attributes
    ----------
    rows : tuple of RatingRow
        Best first; managers without any figure last.
    team : dict
        Part → the team's figure over the window (attainment, conversion, median
        response minutes, CSAT).
    weights : dict
        Part → weight (adding up to 1) from ``Policy.rating_weights``.
    start, end : date
        The window: first day, day after the last.
    floor, cap : float or None
        ``Policy.performance_floor`` and ``performance_cap`` of the rating's policy.
    """

    rows: tuple[RatingRow, ...]
    team: dict[str, float]
    weights: dict[str, float]
    start: date
    end: date
    floor: float = 0.5
    cap: float | None = 2.0
    notes: tuple[tuple[str, str], ...] = field(default=())

    @property
    def manager_ids(self) -> tuple[str, ...]:
        """The managers, best first."""
        return tuple(r.manager_id for r in self.rows)

    def row(self, manager_id: str) -> RatingRow:
        """The row of one manager."""
        for r in self.rows:
            if r.manager_id == manager_id:
                return r
        raise InputError(
            f"no manager {manager_id!r} in the rating (managers: {', '.join(self.manager_ids)})",
            field="manager_id",
            value=manager_id,
        )

    def performance(
        self, floor: float | None = None, cap: float | None = None, *, policy: Any = None
    ) -> dict[str, float]:
        """Manager id → performance index for ``Manager(performance=...)``.

        The score (1.0 = the team's level; a manager without one counts as 1.0) kept
        within ``[floor, cap]``: by default the rating policy's ``performance_floor``
        and ``performance_cap`` (or those of ``policy``), so that with
        ``Policy(target_share="performance")`` nobody starves and nobody takes all.

        Examples
        --------
        >>> r = rank_managers(["a", "b", "c"], {"plan": np.array([1.9, 0.1, np.nan])},
        ...                   {"plan": 1.0}, {"plan": np.array([2.0, 0.2, np.nan])})
        >>> r.performance()
        {'a': 1.9, 'b': 0.5, 'c': 1.0}
        >>> r.performance(cap=1.5)
        {'a': 1.5, 'b': 0.5, 'c': 1.0}
        """
        if policy is not None:
            rules = coerce_policy(policy)
            low, high = rules.performance_floor, rules.performance_cap
        else:
            low, high = self.floor, self.cap
        low = low if floor is None else float(floor)
        high = high if cap is None else float(cap)
        if high is not None and high < low:
            raise InputError(
                f"the performance cap ({high:g}) must not be below the floor ({low:g})",
                field="cap",
                value=high,
            )
        score = np.array([r.score for r in self.rows], dtype=np.float64)
        index = np.where(np.isnan(score), 1.0, score)
        index = np.maximum(index, low)
        if high is not None:
            index = np.minimum(index, high)
        return {r.manager_id: float(v) for r, v in zip(self.rows, index, strict=True)}

    def to_records(self) -> list[dict[str, Any]]:
        """One dict per manager, best first: rank, id, score, each part's score and figure."""
        out: list[dict[str, Any]] = []
        for r in self.rows:
            row: dict[str, Any] = {
                "rank": r.rank,
                "manager_id": r.manager_id,
                "score": r.score,
                "tie": r.tie,
            }
            row.update({f"{p}_score": r.parts.get(p, np.nan) for p in PARTS})
            row.update({p: r.figures.get(p, np.nan) for p in PARTS})
            row["note"] = r.note("en")
            out.append(row)
        return out

    def text(self, lang: str = "en") -> str:
        """The rating as lines: rank, name, score, each part's score, the note."""
        f = formats(lang)
        ru = lang == "ru"
        lines = []
        for r in self.rows:
            parts = ", ".join(
                f"{_PART_WORDS[p][ru]} {f.number(r.parts[p], 2)}"
                for p in PARTS
                if self.weights.get(p, 0) > 0 and not _isnan(r.parts.get(p, np.nan))
            )
            note = r.note(lang)
            tail = f" — {note}" if note else ""
            lines.append(f"{r.rank}. {r.name} {f.number(r.score, 3)} ({parts}){tail}")
        return "\n".join(lines)


# ---------------------------------------------------------------------------- scoring


def part_scores(
    figures: Mapping[str, FloatArray], team: Mapping[str, float]
) -> dict[str, FloatArray]:
    """Each part's score against the team, 0 to :data:`SCORE_CAP` (NaN stays NaN).

    Examples
    --------
    >>> s = part_scores({"plan": np.array([1.25, 0.25]), "response": np.array([4.0, 19.0])},
    ...                 {"plan": 0.5, "response": 9.0})
    >>> s["plan"].tolist(), s["response"].tolist()      # capped at 2; (9 + 1) / (19 + 1)
    ([2.0, 0.5], [2.0, 0.5])
    """
    out: dict[str, FloatArray] = {}
    with np.errstate(divide="ignore", invalid="ignore"):
        for part, values in figures.items():
            mine = np.asarray(values, dtype=np.float64)
            level = float(team.get(part, np.nan))
            if part == "response":
                ratio = (level + 1.0) / (mine + 1.0)
            else:
                ratio = mine / level if level > 0 else np.full(mine.shape, np.nan)
            out[part] = np.clip(ratio, 0.0, SCORE_CAP)
    return out


def composite(
    scores: Mapping[str, FloatArray], weights: Mapping[str, float]
) -> tuple[FloatArray, FloatArray]:
    """The weighted mean of the parts each manager has, and the weights used per manager.

    Returns ``score`` (n,) and ``used`` (parts, n): each part's weight, spread over the
    parts the manager has (columns add up to 1, or 0 with no part).

    Examples
    --------
    >>> score, used = composite({"plan": np.array([1.5, 1.0]),
    ...                          "csat": np.array([0.5, np.nan])}, {"plan": 0.5, "csat": 0.5})
    >>> score.tolist(), used.round(2).tolist()
    ([1.0, 1.0], [[0.5, 1.0], [0.5, 0.0]])
    """
    names = [p for p in PARTS if p in scores]
    if not names:
        return np.zeros(0), np.zeros((0, 0))
    table = np.array([scores[p] for p in names], dtype=np.float64)
    w = np.array([max(float(weights.get(p, 0.0)), 0.0) for p in names], dtype=np.float64)
    has = ~np.isnan(table) & (w[:, None] > 0)
    raw = np.where(has, w[:, None], 0.0)
    total = raw.sum(axis=0)
    used = np.divide(raw, total, out=np.zeros_like(raw), where=total > 0)
    score = np.where(total > 0, np.nansum(np.where(has, table, 0.0) * used, axis=0), np.nan)
    return score, used


def normalized_weights(weights: Mapping[str, float]) -> dict[str, float]:
    """Weights of the parts adding up to 1 (huge weights scaled first, so no overflow)."""
    values = np.array([max(float(weights.get(p, 0.0)), 0.0) for p in PARTS])
    top = values.max(initial=0.0)
    if not top > 0 or not np.isfinite(top):
        raise InputError(
            f"rating weights must give some part a finite weight above 0, got {dict(weights)}",
            field="rating_weights",
        )
    values = values / top
    values = values / values.sum()
    return {p: float(v) for p, v in zip(PARTS, values, strict=True)}


def rank_managers(
    ids: Sequence[str],
    scores: Mapping[str, FloatArray],
    weights: Mapping[str, float],
    figures: Mapping[str, FloatArray],
    *,
    names: Mapping[str, str] | None = None,
    team: Mapping[str, float] | None = None,
    window: tuple[date, date] = (date.min, date.min),
    floor: float = 0.5,
    cap: float | None = 2.0,
) -> Rating:
    """Rank managers by the weighted score of their parts; ties by plan, conversion, id.

    Examples
    --------
    >>> r = rank_managers(["b", "a", "c"],
    ...                   {"plan": np.array([1.0, 1.0, 0.5])}, {"plan": 1.0},
    ...                   {"plan": np.array([0.9, 0.9, 0.45])})
    >>> [(row.rank, row.manager_id, row.tie_with, row.tie_by) for row in r.rows]
    [(1, 'a', ('b',), 'id'), (2, 'b', ('a',), 'id'), (3, 'c', (), '')]
    """
    ids = [str(m) for m in ids]
    n = len(ids)
    w = normalized_weights(weights)
    full = {p: np.asarray(scores.get(p, np.full(n, np.nan)), dtype=np.float64) for p in PARTS}
    score, used = composite(full, w)
    rounded = np.round(score, TIE_DECIMALS)
    attainment = np.asarray(figures.get("plan", np.full(n, np.nan)), dtype=np.float64)
    conversion = np.asarray(figures.get("conversion", np.full(n, np.nan)), dtype=np.float64)
    low = -np.inf
    id_rank = np.argsort(np.argsort(np.array(ids, dtype=object), kind="stable"), kind="stable")
    order = np.lexsort(
        (
            id_rank,
            -np.nan_to_num(conversion, nan=low),
            -np.nan_to_num(attainment, nan=low),
            -np.nan_to_num(rounded, nan=low),
        )
    )
    rows: list[RatingRow] = []
    ranked = order.tolist()
    for rank, j in enumerate(ranked, start=1):
        same = [
            k for k in ranked if k != j and not np.isnan(rounded[j]) and rounded[k] == rounded[j]
        ]
        tie_by = ""
        if same:
            # what sets this manager apart from the tied one just above (or below)
            at = ranked.index(j)
            above = [k for k in ranked[:at] if k in same]
            other = above[-1] if above else next(k for k in ranked[at + 1 :] if k in same)
            if _key(attainment[j]) != _key(attainment[other]):
                tie_by = "plan"
            elif _key(conversion[j]) != _key(conversion[other]):
                tie_by = "conversion"
            else:
                tie_by = "id"
        wanted = [p for p in PARTS if w[p] > 0]
        rows.append(
            RatingRow(
                rank=rank,
                manager_id=ids[j],
                name=(names or {}).get(ids[j], ids[j]),
                score=float(score[j]),
                parts={p: float(full[p][j]) for p in PARTS},
                figures={
                    p: float(np.asarray(figures[p], dtype=np.float64)[j])
                    if p in figures
                    else np.nan
                    for p in PARTS
                },
                weights={p: float(used[k, j]) for k, p in enumerate(PARTS)},
                missing=tuple(p for p in wanted if np.isnan(full[p][j])),
                tie_with=tuple(ids[k] for k in same),
                tie_by=tie_by,
            )
        )
    return Rating(
        rows=tuple(rows),
        team=dict(team or {}),
        weights=w,
        start=window[0],
        end=window[1],
        floor=floor,
        cap=cap,
    )


def _key(value: float) -> float | str:
    return "nan" if np.isnan(value) else round(float(value), 12)


# ---------------------------------------------------------------------------- rating


def _window(kpis: Kpis, window: int | None) -> tuple[date, date]:
    n = kpis.periods.size
    if n == 0:
        raise InputError("the KPIs have no period to rate", field="kpis")
    size = DEFAULT_WINDOW[kpis.period] if window is None else window
    if isinstance(size, bool) or not isinstance(size, int | np.integer) or size < 1:
        raise InputError(
            f"window must be a whole number of periods >= 1, got {window!r}",
            field="window",
            value=window,
        )
    first = max(n - int(size), 0)
    return kpis.periods.starts[first].item(), kpis.periods.ends[-1].item()


def _contacts(win: Window) -> FloatArray:
    """First contacts per manager: the response-time band counts added up."""
    names = [m for m in win.by_manager if m.startswith("sla_") and m != "sla_share_fast"]
    if not names:
        return np.zeros(len(win.manager_ids))
    return np.asarray(np.nansum([win.by_manager[m] for m in names], axis=0), dtype=np.float64)


def _plan_part(
    kpis: Kpis,
    plan: SalesPlan,
    ids: Sequence[str],
    start: date,
    end: date,
    managers: Any,
    holidays: Any,
) -> tuple[FloatArray, float]:
    """Each manager's plan attainment over the part of the window the plan covers."""
    first: date = plan.start.min().item()
    last: date = plan.end.max().item()
    lo, hi = max(start, first), min(end, last)
    n = len(ids)
    if hi <= lo:
        return np.full(n, np.nan), np.nan
    win = measure_window(kpis, lo, hi)
    team = team_of(kpis, managers, win)
    planned = np.zeros(n)
    pos = {m: j for j, m in enumerate(ids)}
    for period in plan.periods:
        p_start, p_end = plan.bounds(period)
        part = elapsed_part(p_start, p_end, lo, min(kpis.now, _moment(hi)), holidays)
        if part <= 0:
            continue
        for m, step in manager_plans(plan, period, team, None):
            if m in pos:
                planned[pos[m]] += step.value * part
    kpi_pos = {m: j for j, m in enumerate(win.manager_ids)}
    revenue = np.array(
        [np.nan_to_num(win.get("revenue")[kpi_pos[m]]) if m in kpi_pos else 0.0 for m in ids]
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        attainment = np.where(planned > 0, revenue / planned, np.nan)
    has = planned > 0
    team_level = float(revenue[has].sum() / planned[has].sum()) if has.any() else np.nan
    return attainment, team_level


def _moment(day: date) -> Any:
    from datetime import datetime

    return datetime.combine(day, datetime.min.time())


def rating(
    kpis: Kpis,
    plan: Any = None,
    *,
    weights: Mapping[str, float] | None = None,
    policy: Any = None,
    window: int | None = None,
    managers: Any = None,
    holidays: Iterable[Any] | None = None,
) -> Rating:
    """The managers rated against the team: plan, conversion, response time, CSAT.

    Parameters
    ----------
    kpis : Kpis
        From :func:`fairlead.kpi.compute`.
    plan : SalesPlan or str or Path or list of dict, optional
        The sales plan; without it the plan part is left out.
    weights : mapping, optional
        Part → weight; default ``policy.rating_weights`` (plan 0.4, conversion 0.3,
        response 0.15, csat 0.15).
    policy : Policy or dict, optional
        Its rating weights, and the performance floor and cap of
        :meth:`Rating.performance`.
    window : int, optional
        How many of the KPIs' latest periods the rating covers (the current one
        included); default about a quarter: 13 weeks, 3 months or 91 days.
    managers : list of Manager or dict, or DataFrame, optional
        Whom to rate (and their names, and lead limits to split a team-only plan);
        default the KPIs' managers who received a lead in the window.
    holidays : list of date, optional
        Days off besides weekends, for pro-rating the plan.

    Returns
    -------
    Rating

    Examples
    --------
    >>> from fairlead import kpi
    >>> rows = []
    >>> for m, won in (("ann", 4), ("bob", 1)):
    ...     for i in range(10):
    ...         lead = f"{m}-{i}"
    ...         rows += [{"type": "assigned", "at": "2026-11-02T09:00", "lead_id": lead,
    ...                   "manager_id": m},
    ...                  {"type": "contacted", "at": "2026-11-02T09:10", "lead_id": lead}]
    ...         if i < won:
    ...             rows.append({"type": "won", "at": "2026-11-03T12:00", "lead_id": lead,
    ...                          "amount": 1000})
    >>> kpis = kpi.compute(kpi.EventLog.from_records(rows), "week")
    >>> r = rating(kpis, weights={"conversion": 1})
    >>> [(row.rank, row.manager_id, round(row.score, 2)) for row in r.rows]
    [(1, 'ann', 1.12), (2, 'bob', 0.88)]
    """
    rules = coerce_policy(policy)
    chosen = normalized_weights(rules.rating_weights if weights is None else _weights(weights))
    team_records = read_managers(managers)
    start, end = _window(kpis, window)
    win = measure_window(kpis, start, end)
    if team_records is not None:
        ids = [m.id for m in team_records]
        names = {m.id: m.name for m in team_records if m.name}
    else:
        active = (np.nan_to_num(win.get("leads_received")) > 0) | (
            np.nan_to_num(win.get("won")) > 0
        )
        ids = [m for m, a in zip(kpis.manager_ids, active, strict=True) if a] or list(
            kpis.manager_ids
        )
        names = {}
    pos = {m: j for j, m in enumerate(win.manager_ids)}

    def pick(values: FloatArray) -> FloatArray:
        return np.array([values[pos[m]] if m in pos else np.nan for m in ids], dtype=np.float64)

    received = np.nan_to_num(pick(win.get("leads_received")))
    conversion = np.where(received > 0, pick(win.get("conversion_shrunk")), np.nan)
    contacts = np.nan_to_num(pick(_contacts(win)))
    response = np.where(contacts >= MIN_CONTACTS, pick(win.get("response_p50")), np.nan)
    answers = np.nan_to_num(pick(win.get("csat_count")))
    csat = np.where(answers >= MIN_ANSWERS, pick(win.get("csat")), np.nan)
    figures = {"conversion": conversion, "response": response, "csat": csat}
    team = {
        "conversion": win.team_value("conversion"),
        "response": win.team_value("response_p50"),
        "csat": win.team_value("csat"),
    }
    notes: list[tuple[str, str]] = []
    if plan is not None:
        sales = as_sales_plan(plan)
        attainment, level = _plan_part(
            kpis, sales, ids, start, end, team_records, holiday_array(holidays)
        )
        figures["plan"] = attainment
        team["plan"] = level
    else:
        notes.append(
            (
                "No sales plan: the rating leaves the plan out.",
                "Плана продаж нет: рейтинг без выполнения плана.",
            )
        )
    scores = part_scores(figures, team)
    out = rank_managers(
        ids,
        scores,
        chosen,
        figures,
        names=names,
        team=team,
        window=(start, end),
        floor=rules.performance_floor,
        cap=rules.performance_cap,
    )
    return Rating(
        out.rows, out.team, out.weights, out.start, out.end, out.floor, out.cap, tuple(notes)
    )


def _weights(weights: Mapping[str, float]) -> dict[str, float]:
    """Weights checked by the policy's rule (unknown parts, negative weights refused)."""
    try:
        return dict(Policy(rating_weights=dict(weights)).rating_weights)
    except InputError as exc:
        message = str(exc).removeprefix("policy: ").removeprefix("policy 'rating_weights': ")
        raise InputError(message, field="weights", value=exc.value) from None


def window_label(start: date, end: date, lang: str = "en") -> str:
    """``2026-08-31 to 2026-11-29`` / ``с 2026-08-31 по 2026-11-29``."""
    last = (end - timedelta(days=1)).isoformat()
    return f"с {start.isoformat()} по {last}" if lang == "ru" else f"{start.isoformat()} to {last}"
