"""The dashboard's figures as cells: an API answer's number, formatted, with its origin.

:class:`Figures` reads a :class:`~fairlead.service._dashboard_data.Snapshot` (the API's
answers) and hands out :class:`~fairlead.service._dashboard_model.Cell` s that carry
the exact value and say where it comes from, and the columns of the KPI figures with
the names and explanations ``fairlead.kpi`` gives them in each language.
"""

from __future__ import annotations

import math
from datetime import datetime
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

from fairlead.service._dashboard_data import Snapshot
from fairlead.service._dashboard_format import Formats
from fairlead.service._dashboard_model import NOW, TEAM, Cell, Column
from fairlead.service._dashboard_words import Words

#: KPIs written as a ratio (1.00 = on target) rather than by their catalogue unit.
_RATIOS = frozenset({"leads_vs_target"})


def number(value: Any) -> float:
    """A JSON figure as a float: ``null`` (no data) is NaN."""
    return math.nan if value is None else float(value)


class Figures:
    """The snapshot's figures in one language.

    Parameters
    ----------
    snap : Snapshot
    lang : {"en", "ru"}
    """

    def __init__(self, snap: Snapshot, lang: str) -> None:
        self.snap = snap
        self.lang = lang
        self.fmt = Formats(lang)
        self.words = Words(lang)
        self.zone = ZoneInfo(snap.src.setup.timezone)

    # ------------------------------------------------------------------ the team

    @cached_property
    def managers(self) -> list[str]:
        """The team's managers, in the team's order."""
        return [m.id for m in self.snap.src.setup.managers]

    def name(self, manager: str | None) -> str:
        """The name to show: the manager's, or "Team"."""
        return self.words["team"] if manager is None else self.snap.src.name(manager)

    def local(self, moment: datetime | str) -> datetime:
        """A moment on the team's clock."""
        when = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
        return when.astimezone(self.zone)

    # ------------------------------------------------------------------ KPIs

    @staticmethod
    def row(body: dict[str, Any], manager: str | None) -> dict[str, Any]:
        """The latest period's row of a manager (None: the team) in a ``/v1/kpi`` body."""
        period = body["periods"][-1]
        for r in body["rows"]:
            if r["period"] == period and r["manager_id"] == manager:
                return dict(r)
        return {}

    def kpi(
        self, body: dict[str, Any], metric: str, manager: str | None, *, tone: str = ""
    ) -> Cell:
        """A KPI of the latest period in a ``/v1/kpi`` body, for a manager or the team."""
        value = number(self.row(body, manager).get(metric))
        unit = "ratio" if metric in _RATIOS else body["metrics"][metric]["unit"]
        return Cell(
            self.fmt.value(value, unit),
            metric,
            TEAM if manager is None else manager,
            body["periods"][-1],
            value,
            tone,
        )

    def kpi_column(self, body: dict[str, Any], metric: str) -> Column:
        """A KPI's column: its name and explanation from ``fairlead.kpi``."""
        about = body["metrics"][metric]
        return Column(about["label"][self.lang], about["explain"][self.lang])

    def figure(
        self,
        metric: str,
        value: float | None,
        unit: str,
        *,
        manager: str | None = None,
        period: str = NOW,
        text: str | None = None,
        tone: str = "",
        title: str = "",
        lead: str = "",
    ) -> Cell:
        """A figure that is not a KPI (live status, plan, alerts), written by its unit."""
        exact = number(value)
        return Cell(
            self.fmt.value(exact, unit) if text is None else text,
            metric,
            TEAM if manager is None else manager,
            period,
            exact,
            tone,
            title,
            lead=lead,
        )

    def label(self, text: str, *, tone: str = "") -> Cell:
        """Words, not a figure."""
        return Cell(text, tone=tone)

    def column(self, key: str, *, numeric: bool = True) -> Column:
        """A column named by the dashboard's words (``<key>_explain`` when there is one)."""
        try:
            explanation = self.words[f"{key}_explain"]
        except KeyError:
            explanation = ""
        return Column(self.words[key], explanation, numeric)

    # ------------------------------------------------------------------ live status

    @cached_property
    def status(self) -> dict[str, dict[str, Any]]:
        """``/v1/status`` by manager (empty when the router could not say)."""
        return {s["manager_id"]: s for s in self.snap.status or ()}

    def fast_minutes(self) -> str:
        """The first response-time band's edge, as the KPI names it (``5``)."""
        for name in self.snap.today["metrics"]:
            if name.startswith("sla_0_"):
                return str(name).removeprefix("sla_0_")
        return "5"
