# ruff: noqa: RUF001, RUF002  (Russian text; the multiplication sign of formulas)
"""Who carries the team's plan: the team, its weights, and each manager's share of a period.

A period with manager rows in the plan is split as the plan says. A period with only
the team's row is split among the team in proportion to each manager's lead limit
(``max_active_leads`` of ``managers``; without them the KPIs' target share, which is
equal when the KPIs know no limits), or, with ``split="performance"``, to lead limit
times the rating's performance index (bounded by ``Policy.performance_floor`` and
``Policy.performance_cap``), as ``Policy(target_share="performance")`` shares leads.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

import numpy as np

from fairlead.kpi._cells import FloatArray
from fairlead.kpi._kpis import Kpis
from fairlead.kpi._plan_file import SalesPlan
from fairlead.kpi._plan_window import Window
from fairlead.kpi._steps import Step, formats, genitive_ru, money, percent
from fairlead.records import InputError, Manager, coerce_records

Split = Literal["capacity", "performance"]
SPLITS: tuple[str, ...] = ("capacity", "performance")


def check_split(split: str) -> Split:
    """``split`` if it is ``"capacity"`` or ``"performance"``; an InputError otherwise."""
    if split not in SPLITS:
        raise InputError(
            f"split must be one of {', '.join(SPLITS)}, got {split!r}", field="split", value=split
        )
    return split  # type: ignore[return-value]


@dataclass(frozen=True)
class Team:
    """The managers who carry a plan, their names and the weights of a capacity split.

    Attributes
    ----------
    ids : tuple of str
    names : dict
        Manager id → display name (those that have one).
    capacity : ndarray
        Weight of each manager in a capacity split.
    basis : {"limits", "targets"}
        Where the weights come from: ``max_active_leads`` of the given managers, or
        the KPIs' target shares.
    """

    ids: tuple[str, ...]
    names: dict[str, str]
    capacity: FloatArray
    basis: str

    def name(self, manager_id: str | None) -> str:
        """The manager's name, else id; ``""`` for the team."""
        if manager_id is None:
            return ""
        return self.names.get(manager_id, manager_id)


def read_managers(managers: Any) -> list[Manager] | None:
    """``managers`` as records (None stays None)."""
    if managers is None:
        return None
    return coerce_records(managers, Manager, "manager")


def team_of(kpis: Kpis, managers: Sequence[Manager] | None, window: Window | None) -> Team:
    """The team of a plan: the given managers, else the KPIs' managers active in ``window``.

    Without ``managers`` a manager counts as part of the team when they received a
    lead in ``window`` (everybody of the KPIs when nobody did).
    """
    if managers is not None:
        ids = tuple(m.id for m in managers)
        names = {m.id: m.name for m in managers if m.name}
        capacity = np.array([m.max_active_leads for m in managers], dtype=np.float64)
        return Team(ids, names, capacity, "limits")
    all_ids = tuple(kpis.manager_ids)
    keep = np.ones(len(all_ids), dtype=bool)
    if window is not None:
        received = np.nan_to_num(window.get("leads_received"))
        if received.sum() > 0:
            keep = received > 0
    shares = kpis.by_manager.get("target_share")
    target = (
        np.nan_to_num(np.asarray(shares, dtype=np.float64)[-1])
        if shares is not None and kpis.periods.size
        else np.ones(len(all_ids))
    )
    ids = tuple(m for m, k in zip(all_ids, keep, strict=True) if k)
    return Team(ids, {}, target[keep], "targets")


def split_total(total: float, weights: FloatArray) -> FloatArray:
    """``total`` in proportion to ``weights`` (equal parts when every weight is 0).

    Examples
    --------
    >>> split_total(1200.0, np.array([1.0, 2.0, 3.0])).tolist()
    [200.0, 400.0, 600.0]
    >>> split_total(90.0, np.zeros(3)).tolist()
    [30.0, 30.0, 30.0]
    """
    w = np.asarray(weights, dtype=np.float64)
    if w.size == 0:
        return w.copy()
    if not w.sum() > 0:
        w = np.ones_like(w)
    share = w / w.sum()
    return np.asarray(total * share, dtype=np.float64)


def _where_ru(where: str) -> str:
    return (
        where.replace(", line ", ", строка ")
        .replace(", item ", ", запись ")
        .replace("plan row ", "строка плана ")
        .replace(" (line ", " (строка ")
    )


def row_step(revenue: float, where: str) -> Step:
    """A manager's plan as the plan file gives it."""
    return Step(
        "plan",
        revenue,
        "money",
        (("plan", revenue),),
        "the plan's row",
        f"plan {money(revenue, 'en')} ({where})",
        f"план {money(revenue, 'ru')} ({_where_ru(where)})",
    )


def team_step(revenue: float, plan: SalesPlan, period: str) -> Step:
    """The team's plan: its row, or the sum of the manager rows."""
    if plan.has_team_row(period):
        k = next(
            i for i in range(len(plan)) if plan.period[i] == period and plan.manager_id[i] is None
        )
        return row_step(revenue, plan.where[k])
    n = len(plan.managers(period))
    return Step(
        "plan",
        revenue,
        "money",
        (("plan", revenue),),
        "sum of the managers' rows",
        f"plan {money(revenue, 'en')} (the sum of {n} managers' plans)",
        f"план {money(revenue, 'ru')} (сумма планов {n} менеджеров)",
    )


def split_steps(
    total: float,
    weights: FloatArray,
    capacity: FloatArray,
    index: FloatArray | None,
    basis: str,
) -> list[Step]:
    """Each manager's part of the team plan ``total``, with how their share came."""
    parts = split_total(total, weights)
    w_sum = float(np.asarray(weights).sum())
    equal = not w_sum > 0
    shares = parts / total if total > 0 else split_total(1.0, weights)
    en, ru = formats("en"), formats("ru")
    out: list[Step] = []
    for j, part in enumerate(parts.tolist()):
        share = float(shares[j])
        head_en = f"team plan {money(total, 'en')} × "
        head_ru = f"план команды {money(total, 'ru')} × "
        inputs: tuple[tuple[str, float], ...] = (("team_plan", total), ("share", share))
        if equal:
            what_en = f"equal share 1/{len(parts)}"
            what_ru = f"равная доля 1/{len(parts)}"
            formula = "team plan ÷ managers"
        elif index is not None:
            lim, idx = float(capacity[j]), float(index[j])
            inputs = (*inputs, ("capacity", lim), ("performance", idx), ("weights", w_sum))
            what_en = (
                f"share by lead limit and rating {percent(share, 'en')} (limit "
                f"{en.number(lim, 0)} × rating {en.ratio(idx)} = "
                f"{en.number(lim * idx, 1)} of {en.number(w_sum, 1)})"
            )
            what_ru = (
                f"доля по лимиту лидов и рейтингу {percent(share, 'ru')} (лимит "
                f"{ru.number(lim, 0)} × рейтинг {ru.ratio(idx)} = "
                f"{ru.number(lim * idx, 1)} из {ru.number(w_sum, 1)})"
            )
            formula = "team plan × limit × rating ÷ sum over the team"
        elif basis == "limits":
            lim = float(capacity[j])
            inputs = (*inputs, ("capacity", lim), ("weights", w_sum))
            what_en = (
                f"share by lead limit {percent(share, 'en')} ({en.number(lim, 0)} of "
                f"{en.number(w_sum, 0)} leads)"
            )
            what_ru = (
                f"доля по лимиту лидов {percent(share, 'ru')} ({ru.number(lim, 0)} из "
                f"{ru.number(w_sum, 0)} {genitive_ru(w_sum, 'лида', 'лидов')})"
            )
            formula = "team plan × limit ÷ the team's limits"
        else:
            what_en = f"target share {percent(share, 'en')}"
            what_ru = f"целевая доля {percent(share, 'ru')}"
            formula = "team plan × target share"
        out.append(
            Step(
                "plan",
                part,
                "money",
                inputs,
                formula,
                f"{head_en}{what_en} = {money(part, 'en')}",
                f"{head_ru}{what_ru} = {money(part, 'ru')}",
            )
        )
    return out


def manager_plans(
    plan: SalesPlan,
    period: str,
    team: Team,
    performance: Mapping[str, float] | None,
) -> list[tuple[str, Step]]:
    """Each manager's plan for ``period`` with its :class:`Step`.

    The plan's manager rows when it has them (those managers only); else the team's
    plan split over ``team`` by capacity, or by capacity × ``performance`` when given.
    """
    rows = plan.managers(period)
    if rows:
        where = {
            plan.manager_id[k]: plan.where[k] for k in range(len(plan)) if plan.period[k] == period
        }
        return [(m, row_step(v, where[m])) for m, v in rows.items()]
    if not team.ids:
        return []
    index = None
    weights = team.capacity
    if performance is not None:
        index = np.array([performance.get(m, 1.0) for m in team.ids], dtype=np.float64)
        weights = team.capacity * index
    steps = split_steps(plan.team(period), weights, team.capacity, index, team.basis)
    return list(zip(team.ids, steps, strict=True))


def prorated(
    plan: SalesPlan,
    manager_plan: Mapping[str, Mapping[str, float]],
    start: date,
    end: date,
    share_of: Any,
) -> dict[str, float]:
    """Each manager's plan over ``[start, end)``: every plan period's part in the span.

    ``manager_plan`` maps period → manager → plan; ``share_of(period_start,
    period_end, start, end)`` is the part of a period's working days in the span.
    """
    out: dict[str, float] = {}
    for period, by_manager in manager_plan.items():
        lo, hi = plan.bounds(period)
        part = float(share_of(lo, hi, start, end))
        if part <= 0:
            continue
        for m, value in by_manager.items():
            out[m] = out.get(m, 0.0) + value * part
    return out
