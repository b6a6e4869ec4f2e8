# ruff: noqa: RUF001  (Russian words)
"""Numbers and dates on the dashboard, written as the ``fairlead report`` page writes them.

The report's :class:`fairlead.kpi.Formats` (English ``1,234,567`` and ``25%``; Russian
``1 234 567`` and ``25 %`` with no-break spaces; a dash for no data), with what the
dashboard adds: fair shares of a day keep a decimal, the time of day, a plan's period
by its label.
"""

from __future__ import annotations

import datetime as dt
import math

from fairlead.kpi import Formats as ReportFormats


class Formats(ReportFormats):
    r"""How one language writes the dashboard's numbers and dates.

    Parameters
    ----------
    lang : {"en", "ru"}

    Examples
    --------
    >>> en, ru = Formats("en"), Formats("ru")
    >>> en.count(0.75), en.count(12.0), ru.plan_period("2026-11")
    ('0.8', '12', 'ноябрь 2026')
    >>> en.plan_period("2026-11-23"), en.clock(dt.datetime(2026, 11, 27, 8, 5))
    ('week of 23 Nov 2026', '08:05')
    """

    def __init__(self, lang: str) -> None:
        super().__init__("ru" if lang == "ru" else "en")

    def count(self, value: float) -> str:
        """A count: whole, except a fraction below 100 keeps one decimal (a fair share)."""
        return self.needed(value)

    def value(self, value: float, unit: str) -> str:
        """A figure by its unit, as the report writes it (counts as :meth:`count`)."""
        if unit in ("count", "days") and not math.isnan(value):
            return self.count(value)
        return super().value(value, unit)

    def clock(self, moment: dt.datetime) -> str:
        """The time of day: ``08:05``."""
        return f"{moment:%H:%M}"

    def plan_period(self, label: str) -> str:
        """A plan period: ``November 2026`` for ``2026-11``, the week of its Monday else."""
        if len(label) == 7:
            return self.month(dt.date(int(label[:4]), int(label[5:]), 1))
        first = "неделя с" if self.lang == "ru" else "week of"
        return f"{first} {self.date(dt.date.fromisoformat(label))}"
