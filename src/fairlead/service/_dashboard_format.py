# ruff: noqa: RUF001, RUF002  (Russian month names; the minus sign)
"""Numbers and dates on the dashboard, written as the ``fairlead report`` page writes them.

English writes ``1,234,567`` and ``25%``; Russian ``1 234 567`` and ``25 %`` with
no-break spaces (a number never breaks across lines). A missing value (no data) is a
dash. ``fairlead.kpi`` keeps its own formats private, so the dashboard has these;
they follow the report's rules so the two pages read alike.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Final

#: What a missing value (no data) looks like.
MISSING: Final[str] = "—"
_NBSP: Final[str] = "\u00a0"
_MINUS: Final[str] = "\u2212"

_MONTHS: Final[dict[str, tuple[str, ...]]] = {
    "en": (
        "January", "February", "March", "April", "May", "June", "July", "August",
        "September", "October", "November", "December",
    ),
    "ru": (
        "январь", "февраль", "март", "апрель", "май", "июнь", "июль", "август",
        "сентябрь", "октябрь", "ноябрь", "декабрь",
    ),
}  # fmt: skip
# the month of a date: "23 Nov", "23 ноября" (Russian takes the genitive)
_OF_MONTH: Final[dict[str, tuple[str, ...]]] = {
    "en": tuple(name[:3] for name in _MONTHS["en"]),
    "ru": (
        "января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа",
        "сентября", "октября", "ноября", "декабря",
    ),
}  # fmt: skip
_UNITS: Final[dict[str, dict[str, str]]] = {
    "en": {"min": "min", "h": "h", "days": "days", "day": "day"},
    "ru": {"min": "мин", "h": "ч", "days": "дн.", "day": "дн."},
}


class Formats:
    r"""How one language writes the dashboard's numbers and dates.

    Parameters
    ----------
    lang : {"en", "ru"}

    Examples
    --------
    >>> en, ru = Formats("en"), Formats("ru")
    >>> en.number(1234567.25, 1), ru.number(1234567.25, 1).replace("\u00a0", " ")
    ('1,234,567.2', '1 234 567,2')
    >>> en.percent(0.253), ru.percent(0.0456).replace("\u00a0", " "), en.number(-3)
    ('25%', '4,6 %', '−3')
    >>> en.minutes(7.4), en.minutes(150).replace("\u00a0", " "), en.number(float("nan"))
    ('7\xa0min', '2.5 h', '—')
    """

    def __init__(self, lang: str) -> None:
        self.lang = "ru" if lang == "ru" else "en"
        self._group = "," if self.lang == "en" else _NBSP
        self._point = "." if self.lang == "en" else ","

    def number(self, value: float, digits: int = 0) -> str:
        """A number with thousands grouped and ``digits`` decimals; NaN is a dash."""
        if math.isnan(value):
            return MISSING
        if math.isinf(value):
            return "∞" if value > 0 else _MINUS + "∞"
        text = f"{abs(value):,.{digits}f}"
        if text.strip("0.,") == "":
            value = 0.0  # no "-0"
        text = text.replace(",", "\x00").replace(".", self._point).replace("\x00", self._group)
        return (_MINUS if value < 0 else "") + text

    def count(self, value: float) -> str:
        """A count: whole, except a fraction below 100 keeps one decimal (a fair share)."""
        if math.isnan(value) or math.isinf(value):
            return self.number(value)
        digits = 0 if abs(value) >= 99.5 or round(value, 1) == round(value) else 1
        return self.number(value, digits)

    def percent(self, share: float) -> str:
        """A share as a percentage: whole from 10 % up, one decimal below."""
        if math.isnan(share):
            return MISSING
        pct = 100.0 * share
        digits = 0 if abs(pct) >= 9.95 or pct == 0 else 1
        return self.number(pct, digits) + ("%" if self.lang == "en" else _NBSP + "%")

    def minutes(self, value: float) -> str:
        """A duration in minutes: minutes below 100, hours below 48 h, else days."""
        if math.isnan(value):
            return MISSING
        unit = _UNITS[self.lang]
        if value < 99.5:
            return f"{self.number(value, 0)}{_NBSP}{unit['min']}"
        hours = value / 60.0
        if hours < 47.5:
            return f"{self.number(hours, 1)}{_NBSP}{unit['h']}"
        days = hours / 24.0
        digits = 1 if abs(days) < 9.95 and days != round(days) else 0
        word = unit["day"] if self.number(days, digits) == "1" else unit["days"]
        return f"{self.number(days, digits)}{_NBSP}{word}"

    def value(self, value: float, unit: str) -> str:
        """A figure by its unit: count, share, minutes, money, ratio, score, days."""
        if unit == "count" or unit == "days":
            return self.count(value)
        if unit == "share":
            return self.percent(value)
        if unit == "minutes":
            return self.minutes(value)
        if unit == "money":
            return self.number(value, 0)
        if unit == "ratio":
            return self.number(value, 2)
        return self.number(value, 1)

    def date(self, day: dt.date) -> str:
        """``23 Nov 2026`` / ``23 ноября 2026``."""
        return f"{day.day} {_OF_MONTH[self.lang][day.month - 1]} {day.year}"

    def moment(self, moment: dt.datetime) -> str:
        """A moment to the minute: ``27 Nov 2026, 08:00``."""
        return f"{self.date(moment.date())}, {moment:%H:%M}"

    def clock(self, moment: dt.datetime) -> str:
        """The time of day: ``08:05``."""
        return f"{moment:%H:%M}"

    def plan_period(self, label: str) -> str:
        """A plan period: ``November 2026`` for ``2026-11``, the week of its Monday else."""
        if len(label) == 7:
            year, month = int(label[:4]), int(label[5:])
            return f"{_MONTHS[self.lang][month - 1]} {year}"
        monday = dt.date.fromisoformat(label)
        first = "неделя с" if self.lang == "ru" else "week of"
        return f"{first} {self.date(monday)}"
