# ruff: noqa: RUF001, RUF002, RUF003  (Russian text, typographic dashes and the minus sign)
"""Numbers, durations and dates as the report shows them, in English or Russian.

English writes ``1,234,567.5`` and ``25%``; Russian writes ``1 234 567,5`` and
``25 %`` (a no-break space, so a number never breaks across lines) and names the months
in Russian. A missing value (NaN: no data) is a dash in both.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Final, Literal

Lang = Literal["en", "ru"]
LANGS: Final[tuple[str, ...]] = ("en", "ru")

#: What a missing value (no data) looks like.
MISSING: Final[str] = "—"
#: Between the ends of a range ("12–25 %").
RANGE: Final[str] = "\u2013"
_NBSP: Final[str] = "\u00a0"
_MINUS: Final[str] = "\u2212"

_MONTHS: Final[dict[str, tuple[str, ...]]] = {
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
    # the name of a month on its own ("ноябрь 2026")
    "ru": (
        "январь",
        "февраль",
        "март",
        "апрель",
        "май",
        "июнь",
        "июль",
        "август",
        "сентябрь",
        "октябрь",
        "ноябрь",
        "декабрь",
    ),
}
# the month of a date ("23 ноября"): Russian uses the genitive case
_OF_MONTH: Final[dict[str, tuple[str, ...]]] = {
    "en": tuple(name[:3] for name in _MONTHS["en"]),
    "ru": (
        "января",
        "февраля",
        "марта",
        "апреля",
        "мая",
        "июня",
        "июля",
        "августа",
        "сентября",
        "октября",
        "ноября",
        "декабря",
    ),
}
_SHORT_MONTH: Final[dict[str, tuple[str, ...]]] = {
    "en": _OF_MONTH["en"],
    "ru": ("янв", "фев", "мар", "апр", "мая", "июн", "июл", "авг", "сен", "окт", "ноя", "дек"),
}
_WEEKDAYS: Final[dict[str, tuple[str, ...]]] = {
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
    "ru": ("пн", "вт", "ср", "чт", "пт", "сб", "вс"),
}
_UNITS: Final[dict[str, dict[str, str]]] = {
    "en": {"min": "min", "h": "h", "days": "days", "day": "day"},
    "ru": {"min": "мин", "h": "ч", "days": "дн.", "day": "дн."},
}


def check_lang(lang: str) -> Lang:
    """``lang`` if it is ``"en"`` or ``"ru"``; a ValueError naming it otherwise.

    Examples
    --------
    >>> check_lang("ru")
    'ru'
    """
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {', '.join(LANGS)}, got {lang!r}")
    return lang  # type: ignore[return-value]


class Formats:
    """How one language writes the report's numbers and dates.

    Parameters
    ----------
    lang : {"en", "ru"}

    Examples
    --------
    >>> from datetime import date
    >>> en, ru = Formats("en"), Formats("ru")
    >>> def show(*texts):  # a no-break space shown as a space
    ...     print(" | ".join(t.replace("\u00a0", " ") for t in texts))
    >>> show(en.number(1234567.25, 1), ru.number(1234567.25, 1))
    1,234,567.2 | 1 234 567,2
    >>> show(en.percent(0.253), ru.percent(0.0456), en.number(-3))
    25% | 4,6 % | −3
    >>> show(en.minutes(7.4), en.minutes(150), ru.minutes(4 * 24 * 60))
    7 min | 2.5 h | 4 дн.
    >>> show(en.date(date(2026, 11, 23)), ru.date(date(2026, 11, 23)))
    23 Nov 2026 | 23 ноября 2026
    >>> show(en.period(date(2026, 11, 23), "week"), ru.period(date(2026, 11, 1), "month"))
    23–29 Nov 2026 | ноябрь 2026
    >>> en.number(float("nan"))
    '—'
    """

    def __init__(self, lang: str = "en") -> None:
        self.lang: Lang = check_lang(lang)
        self._group = "," if self.lang == "en" else _NBSP
        self._point = "." if self.lang == "en" else ","

    # ------------------------------------------------------------------ numbers

    def number(self, value: float, digits: int = 0) -> str:
        """A number with thousands grouped and ``digits`` decimals; NaN → a dash."""
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
        """A whole count: ``1,234``."""
        return self.number(value, 0)

    def money(self, value: float) -> str:
        """An amount of money in whole units: ``1,234,567``."""
        return self.number(value, 0)

    def percent(self, share: float, digits: int | None = None) -> str:
        """A share as a percentage: whole from 10 % up, one decimal below.

        ``digits`` fixes the decimals instead.
        """
        if math.isnan(share):
            return MISSING
        pct = 100.0 * share
        if digits is None:
            digits = 0 if abs(pct) >= 9.95 or pct == 0 else 1
        text = self.number(pct, digits)
        return text + ("%" if self.lang == "en" else _NBSP + "%")

    def points(self, value: float) -> str:
        """A change in percentage points: ``+3.5 pp`` (signed)."""
        if math.isnan(value):
            return MISSING
        sign = "+" if value > 0 else ""
        unit = "pp" if self.lang == "en" else "п.\u00a0п."
        return f"{sign}{self.number(100.0 * value, 1)}{_NBSP}{unit}"

    def needed(self, value: float) -> str:
        """A count the plan needs: whole from 100 up, else one decimal (``29.4``).

        The plan's chain divides, so a count need not be whole; below 100 the decimal
        says how close to the next one it is.
        """
        if math.isnan(value) or math.isinf(value):
            return self.number(value)
        digits = 0 if abs(value) >= 99.5 or round(value, 1) == round(value) else 1
        return self.number(value, digits)

    def ratio(self, value: float) -> str:
        """A ratio such as leads / target: two decimals (``1.05``)."""
        return self.number(value, 2)

    def score(self, value: float) -> str:
        """A score on a small scale (CSAT 1–5): one decimal."""
        return self.number(value, 1)

    def minutes(self, value: float) -> str:
        """A duration given in minutes: minutes below 100, hours below 48 h, else days."""
        if math.isnan(value):
            return MISSING
        unit = _UNITS[self.lang]
        if value < 99.5:
            return f"{self.number(value, 0)}{_NBSP}{unit['min']}"
        hours = value / 60.0
        if hours < 47.5:
            return f"{self.number(hours, 1)}{_NBSP}{unit['h']}"
        return self.days(hours / 24.0)

    def days(self, value: float) -> str:
        """A number of days: ``4 days`` (one decimal below 10)."""
        if math.isnan(value):
            return MISSING
        unit = _UNITS[self.lang]
        digits = 1 if abs(value) < 9.95 and value != round(value) else 0
        word = unit["day"] if self.number(value, digits) == "1" else unit["days"]
        return f"{self.number(value, digits)}{_NBSP}{word}"

    def value(self, value: float, unit: str) -> str:
        """A metric's value by its unit: count, share, minutes, money, score, days, ratio."""
        if unit == "count":
            return self.count(value)
        if unit == "share":
            return self.percent(value)
        if unit == "minutes":
            return self.minutes(value)
        if unit == "money":
            return self.money(value)
        if unit == "days":
            return self.days(value)
        if unit == "ratio":
            return self.ratio(value)
        if unit == "index":
            return self.number(value, 0)
        return self.score(value)

    # -------------------------------------------------------------------- dates

    def date(self, day: dt.date, *, year: bool = True) -> str:
        """``23 Nov 2026`` / ``23 ноября 2026``."""
        month = _OF_MONTH[self.lang][day.month - 1]
        text = f"{day.day} {month}"
        return f"{text} {day.year}" if year else text

    def month(self, day: dt.date) -> str:
        """``November 2026`` / ``ноябрь 2026``."""
        return f"{_MONTHS[self.lang][day.month - 1]} {day.year}"

    def moment(self, moment: dt.datetime) -> str:
        """A moment to the minute: ``27 Nov 2026, 08:00``."""
        return f"{self.date(moment.date())}, {moment:%H:%M}"

    def weekday(self, day: dt.date) -> str:
        """``Mon`` / ``пн``."""
        return _WEEKDAYS[self.lang][day.weekday()]

    def period(self, start: dt.date, kind: str, *, year: bool = True) -> str:
        """A period by its first day: a day, a week (``23–29 Nov 2026``) or a month."""
        if kind == "month":
            return self.month(start)
        if kind == "day":
            return f"{self.weekday(start)} {self.date(start, year=year)}"
        end = start + dt.timedelta(days=6)
        if not year and start.year == end.year:
            return self.span(start, end).removesuffix(f" {end.year}")
        return self.span(start, end)

    def short_period(self, start: dt.date, kind: str) -> str:
        """A period's label on a plot's axis: ``23 Nov`` (its first day) or ``Nov 2026``."""
        if kind == "month":  # the month on its own: "май 2026", not "мая"
            return f"{_MONTHS[self.lang][start.month - 1][:3]} {start.year}"
        return f"{start.day} {_SHORT_MONTH[self.lang][start.month - 1]}"

    def span(self, first: dt.date, last: dt.date) -> str:
        """Days from ``first`` to ``last`` (both included): ``31 Aug – 29 Nov 2026``."""
        if first == last:
            return self.date(first)
        if first.year != last.year:
            return f"{self.date(first)} – {self.date(last)}"
        if first.month != last.month:
            return f"{self.date(first, year=False)} – {self.date(last)}"
        return f"{first.day}–{self.date(last)}"
