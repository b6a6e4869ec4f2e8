"""A number with its inputs and its wording: the links of the plan's chain.

Every figure the plan's breakdown produces is a :class:`Step`: its value, the named
numbers it came from, the rule in words, and one line in English and in Russian that
a head of sales reads aloud ("plan 1,200,000 ÷ average deal 40,000 = 30 deals").
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

from fairlead.kpi._report_format import Formats, check_lang

_EN: Final[Formats] = Formats("en")
_RU: Final[Formats] = Formats("ru")


@dataclass(frozen=True)
class Step:
    """One figure of the plan's breakdown and how it was reached.

    Attributes
    ----------
    name : str
        What the figure is: ``plan``, ``deals``, ``reached:<stage>``, ``contacted``,
        ``leads``, or a rate such as ``avg_deal``, ``rate:<stage>``.
    value : float
        The exact figure (NaN: cannot be computed, see the wording).
    unit : str
        ``money``, ``count`` or ``share``.
    inputs : tuple of (str, float)
        The named numbers it was computed from.
    formula : str
        The rule in words, with the inputs' names (``plan ÷ average deal``).
    en, ru : str
        The line a person reads, with the numbers, in English and in Russian.

    Examples
    --------
    >>> step = Step("deals", 30.0, "count", (("plan", 1.2e6), ("avg_deal", 4e4)),
    ...             "plan ÷ average deal", "plan 1,200,000 ÷ average deal 40,000 = 30 deals",
    ...             "план 1 200 000 ÷ средний чек 40 000 = 30 сделок")
    >>> step.text("en"), step.input("avg_deal")
    ('plan 1,200,000 ÷ average deal 40,000 = 30 deals', 40000.0)
    """

    name: str
    value: float
    unit: str
    inputs: tuple[tuple[str, float], ...]
    formula: str
    en: str
    ru: str

    def text(self, lang: str = "en") -> str:
        """The line in ``lang`` (``"en"`` or ``"ru"``)."""
        return self.ru if check_lang(lang) == "ru" else self.en

    def input(self, name: str) -> float:
        """The input called ``name``."""
        for key, value in self.inputs:
            if key == name:
                return value
        raise KeyError(f"step {self.name!r} has no input {name!r}")


def formats(lang: str) -> Formats:
    """The number formats of ``lang``."""
    return _RU if check_lang(lang) == "ru" else _EN


def count(value: float, lang: str) -> str:
    """A count as the chain shows it: whole from 100 up, one decimal below (``29.4``).

    Examples
    --------
    >>> count(117.6, "en"), count(29.44, "en"), count(30.0, "en"), count(2.5, "ru")
    ('118', '29.4', '30', '2,5')
    """
    if math.isnan(value) or math.isinf(value):
        return formats(lang).number(value)
    digits = 0 if abs(value) >= 99.5 or round(value, 1) == round(value) else 1
    return formats(lang).number(value, digits)


def money(value: float, lang: str) -> str:
    """An amount in whole units: ``1,200,000`` / ``1 200 000``."""
    return formats(lang).money(value)


def percent(value: float, lang: str) -> str:
    """A share as a percentage: ``25%`` / ``25 %``."""
    return formats(lang).percent(value)


def plural_ru(value: float, one: str, few: str, many: str) -> str:
    """The Russian noun form for a number: 1 сделка, 2 сделки, 5 сделок, 2,5 сделки.

    Examples
    --------
    >>> [plural_ru(n, "лид", "лида", "лидов") for n in (1, 3, 11, 21, 25, 2.5)]
    ['лид', 'лида', 'лидов', 'лид', 'лидов', 'лида']
    """
    if math.isnan(value) or value != math.floor(value) or math.isinf(value):
        return few  # a fraction takes the genitive singular: 2,5 сделки
    n = abs(int(value))
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


def genitive_ru(value: float, one: str, many: str) -> str:
    """The Russian noun after "из" / "от" and a number: из 21 лида, из 40 лидов, из 2,5 лида.

    Examples
    --------
    >>> [genitive_ru(n, "лида", "лидов") for n in (1, 3, 11, 21, 40, 2.5)]
    ['лида', 'лидов', 'лидов', 'лида', 'лидов', 'лида']
    """
    if math.isnan(value) or value != math.floor(value) or math.isinf(value):
        return one
    n = abs(int(value))
    return one if n % 10 == 1 and n % 100 != 11 else many


def plural_en(value: float, one: str, many: str) -> str:
    """``one`` for exactly 1, else ``many``."""
    return one if value == 1 else many


def shown_count(value: float) -> float:
    """The count as :func:`count` rounds it (for choosing the noun's form)."""
    if math.isnan(value) or math.isinf(value):
        return value
    digits = 0 if abs(value) >= 99.5 or round(value, 1) == round(value) else 1
    return round(value, digits)
