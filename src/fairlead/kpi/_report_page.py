"""What every section of the report shares: the KPIs, the language, cells and columns.

:class:`Page` turns the functions' output into :class:`Cell` s (formatted text plus the
exact value and where it comes from) and :class:`Column` s (name and explanation in
the page's language), and remembers every column it handed out, in order, for the
glossary at the end of the page.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING

import numpy as np

from fairlead.kpi._report_format import Formats
from fairlead.kpi._report_model import ALL, TEAM, Cell, Column
from fairlead.kpi._report_words import Words

if TYPE_CHECKING:
    from fairlead.kpi._kpis import Kpis

#: How each figure is written, by name (stage figures by prefix: ``reached:``, ``rate:``).
UNITS: dict[str, str] = {
    **dict.fromkeys(
        (
            "leads_received",
            "leads_contacted",
            "leads_waiting",
            "leads_reassigned",
            "won",
            "won_of_received",
            "lost",
            "csat_count",
            "nps_count",
            "complaints",
            "clients",
            "clients_kept",
            "clients_churned",
            "touches_planned",
            "touches_done",
            "overload_days",
            "peak_open",
            "alerts",
            "leads",
        ),
        "count",
    ),
    **dict.fromkeys(
        (
            "win_rate",
            "conversion",
            "conversion_shrunk",
            "conversion_low",
            "conversion_high",
            "target_share",
            "leads_share",
            "value_share",
            "retention",
            "retention_touched",
            "retention_untouched",
            "touch_completion",
            "attainment",
            "sla_share_fast",
            "of_previous",
            "of_received",
            "band_share",
        ),
        "share",
    ),
    **dict.fromkeys(
        ("assign_p50", "assign_p90", "response_p50", "response_p90", "minutes"), "minutes"
    ),
    **dict.fromkeys(
        (
            "revenue",
            "avg_deal",
            "pipeline",
            "weighted_pipeline",
            "plan_revenue",
            "gap",
            "forecast",
            "money",
        ),
        "money",
    ),
    **dict.fromkeys(
        (
            "leads_vs_target",
            "value_vs_target",
            "gini_leads",
            "jain_leads",
            "gini_value",
            "forecast_vs_plan",
        ),
        "ratio",
    ),
    "csat": "score",
    "nps": "index",
    "complaint_rate": "score",
    "rating_score": "index",
    "rank": "count",
}

_BAND = re.compile(r"^sla_(\d+)_(\d+|plus)$")


def unit_of(metric: str) -> str:
    """How a figure is written: ``count``, ``share``, ``minutes``, ``money`` ...

    Examples
    --------
    >>> unit_of("revenue"), unit_of("rate:meeting"), unit_of("sla_5_15"), unit_of("x")
    ('money', 'share', 'count', 'score')
    """
    if metric in UNITS:
        return UNITS[metric]
    head = metric.split(":", 1)[0]
    if head in ("reached", "leads"):
        return "count"
    if head in ("rate", "of_previous", "of_received", "band_share", "rating_part"):
        return "share" if head != "rating_part" else "index"
    if _BAND.match(metric):
        return "count"
    return "score"


def sla_bands(metrics: Sequence[str]) -> list[tuple[str, float, float]]:
    """The SLA band figures among ``metrics``: (name, from, to) in minutes, fastest first.

    Examples
    --------
    >>> sla_bands(["revenue", "sla_5_15", "sla_0_5", "sla_60_plus", "sla_15_60"])
    [('sla_0_5', 0.0, 5.0), ('sla_5_15', 5.0, 15.0), ('sla_15_60', 15.0, 60.0), ('sla_60_plus', 60.0, inf)]
    """  # noqa: E501
    found = []
    for name in metrics:
        match = _BAND.match(name)
        if match:
            lo = float(match.group(1))
            hi = math.inf if match.group(2) == "plus" else float(match.group(2))
            found.append((name, lo, hi))
    return sorted(found, key=lambda band: band[1])


def natural_key(text: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key that orders the numbers inside ids by value.

    Examples
    --------
    >>> sorted(["m-10", "m-2", "anna", "m-1"], key=natural_key)
    ['anna', 'm-1', 'm-2', 'm-10']
    """
    parts = re.split(r"(\d+)", text)
    return tuple((1, int(part)) if part.isdigit() else (0, part) for part in parts if part)


@dataclass
class Page:
    """The KPIs and the language of one report, and the columns used so far."""

    kpis: Kpis
    fmt: Formats
    words: Words
    names: Mapping[str, str] = field(default_factory=dict)
    #: Most rows a per-manager plot shows (the table always shows everyone).
    plot_rows: int = 30
    used: dict[str, Column] = field(default_factory=dict)

    # ------------------------------------------------------------------ periods

    @property
    def n_periods(self) -> int:
        """Number of periods of the report."""
        return int(self.kpis.periods.size)

    def period_key(self, k: int) -> str:
        """``data-period`` of period ``k`` (its first day; ``2026-11`` for a month)."""
        return str(self.kpis.periods.label(k))

    def period_start(self, k: int) -> date:
        """First day of period ``k``."""
        return self.kpis.periods.dates()[k]

    def period_text(self, k: int, *, year: bool = True) -> str:
        """Period ``k`` in words, marked when it is still in progress."""
        text = self.fmt.period(self.period_start(k), self.kpis.period, year=year)
        if self.in_progress(k):
            text += f" ({self.words['in_progress']})"
        return text

    def short_period(self, k: int) -> str:
        """Period ``k`` on a plot's axis."""
        return self.fmt.short_period(self.period_start(k), self.kpis.period)

    def in_progress(self, k: int) -> bool:
        """Whether period ``k`` ends after the report's moment."""
        end = self.kpis.periods.ends[k].item()
        now: datetime = self.kpis.now
        return bool(end > now.date())

    # ----------------------------------------------------------------- managers

    @property
    def managers(self) -> tuple[str, ...]:
        """Every manager's id, in natural order (``m-2`` before ``m-10``)."""
        return tuple(sorted(self.kpis.manager_ids, key=natural_key))

    def _columns(self) -> list[int]:
        ids = list(self.kpis.manager_ids)
        return [ids.index(m) for m in self.managers]

    def name(self, manager: str) -> str:
        """A manager as the page shows them: the name and id when a name is known."""
        name = self.names.get(manager)
        return f"{name} ({manager})" if name and name != manager else manager

    def manager_cell(self, manager: str) -> Cell:
        """The row heading of a manager."""
        return Cell(self.name(manager))

    def team_cell(self) -> Cell:
        """The row heading of the team."""
        return Cell(self.words["team"])

    # ------------------------------------------------------------------ figures

    def text(self, value: float, unit: str) -> str:
        """A value written in its unit."""
        return self.fmt.value(value, unit)

    def total(
        self, metric: str, manager: str | None = None, *, tone: str = "", unit: str | None = None
    ) -> Cell:
        """A figure over the whole report (a manager's, or the team's for None)."""
        value = float(self.kpis.total(metric, manager))
        return Cell(
            self.text(value, unit or unit_of(metric)),
            metric,
            TEAM if manager is None else manager,
            ALL,
            value,
            tone,
        )

    def at(self, metric: str, k: int, manager: str | None = None, *, tone: str = "") -> Cell:
        """A figure of period ``k``."""
        value = float(self.kpis.value(metric, manager, k))
        return Cell(
            self.text(value, unit_of(metric)),
            metric,
            TEAM if manager is None else manager,
            self.period_key(k),
            value,
            tone,
        )

    def figure(
        self,
        metric: str,
        value: float,
        manager: str | None = None,
        period: str = ALL,
        *,
        unit: str | None = None,
        tone: str = "",
        text: str | None = None,
    ) -> Cell:
        """A figure the report derives from the functions' output (e.g. a ratio)."""
        value = float(value)
        shown = self.text(value, unit or unit_of(metric)) if text is None else text
        return Cell(shown, metric, TEAM if manager is None else manager, period, value, tone)

    def series(self, metric: str, manager: str | None = None) -> np.ndarray:
        """A figure over the periods (the team's for None) as a float array."""
        if manager is None:
            return np.asarray(self.kpis.team[metric], dtype=np.float64)
        j = list(self.kpis.manager_ids).index(manager)
        return np.asarray(self.kpis.by_manager[metric][:, j], dtype=np.float64)

    def grid(self, metric: str) -> np.ndarray:
        """A figure for every (manager, period): shape (managers, periods).

        Rows are in the order of :attr:`managers`.
        """
        values = np.asarray(self.kpis.by_manager[metric], dtype=np.float64)
        return values[:, self._columns()].T

    def has(self, metric: str) -> bool:
        """Whether the KPIs hold this figure."""
        return metric in self.kpis.by_manager or metric in self.kpis.team

    # ------------------------------------------------------------------ columns

    def column(self, key: str, *, numeric: bool = True, name: str = "", **values: str) -> Column:
        """A column by its key in the words catalogue; remembered for the glossary.

        ``name`` tells apart two columns of one key (e.g. one per SLA band).
        """
        label, meaning = self.words.column(key, **values)
        column = Column(name or key, label, meaning, numeric)
        self.used.setdefault(column.key, column)
        return column

    def custom_column(self, key: str, label: str, meaning: str, *, numeric: bool = True) -> Column:
        """A column whose words are built by the caller (e.g. a funnel stage's)."""
        column = Column(key, label, meaning, numeric)
        self.used.setdefault(key, column)
        return column

    # ------------------------------------------------------------------- helpers

    def shown_of(self, shown: int, total: int, which: str) -> str:
        """A plot's caption when it shows only some managers ("" when it shows all)."""
        if shown >= total:
            return ""
        return self.words("shown_of", shown=str(shown), total=str(total), which=self.words[which])

    def pick(self, score: np.ndarray) -> np.ndarray:
        """Rows for a per-manager plot: all, or the :attr:`plot_rows` lowest ``score``.

        Rows keep the managers' order. NaN counts as the highest (least urgent).
        """
        n = score.size
        if n <= self.plot_rows:
            return np.arange(n)
        key = np.where(np.isnan(score), np.inf, score)
        chosen = np.argsort(key, kind="stable")[: self.plot_rows]
        return np.sort(chosen)
