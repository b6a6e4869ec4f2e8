# ruff: noqa: RUF001  (Russian text: Cyrillic letters that look Latin)
"""Each alert in a sentence a head of sales would write, in English and Russian.

Numbers are rounded for reading: money in whole units, shares as whole percentages
(one decimal below 10 %), waits in minutes, hours or days; the exact figures stay in
``Alert.figures``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Final, Protocol

from fairlead.kpi._report_format import Formats, check_lang
from fairlead.kpi._steps import genitive_ru, plural_ru


class Alert(Protocol):
    """What the wording reads of an alert (:class:`fairlead.kpi._alerts.Alert`)."""

    @property
    def kind(self) -> str: ...
    @property
    def manager_id(self) -> str | None: ...
    @property
    def name(self) -> str: ...
    @property
    def lead_ids(self) -> tuple[str, ...]: ...
    @property
    def figures(self) -> Mapping[str, float]: ...
    @property
    def unit(self) -> str: ...


#: How many lead ids a message lists before "and 3 more".
IDS_SHOWN: Final[int] = 5

_FORMATS: Final[dict[str, Formats]] = {"en": Formats("en"), "ru": Formats("ru")}

# (current, previous) period in words, by the KPIs' period
_WHEN: Final[dict[str, dict[str, tuple[str, str]]]] = {
    "en": {
        "day": ("today", "yesterday"),
        "week": ("this week", "last week"),
        "month": ("this month", "last month"),
    },
    "ru": {
        "day": ("за сегодня", "за вчера"),
        "week": ("за эту неделю", "за прошлую неделю"),
        "month": ("за этот месяц", "за прошлый месяц"),
    },
}


def message(alert: Alert, lang: str = "en") -> str:
    """The sentence of ``alert`` in ``lang``.

    Examples
    --------
    >>> from fairlead.kpi._alerts import Alert
    >>> a = Alert("below_plan", "high", "m-1", "Olga Kim", (),
    ...           {"plan": 1e6, "due": 5.5e5, "won": 3.1e5, "attainment": 0.5636,
    ...            "elapsed": 0.55}, "2026-11", "month")
    >>> print(message(a, "en"))
    Olga Kim: 56% of the plan to date (310,000 won of 550,000 due by today; the month is \
55% through)
    >>> print(message(a, "ru").replace("\u00a0", " "))
    Olga Kim: выполнено 56 % плана на сегодня (310 000 из 550 000, которые нужны к этому \
дню; месяц прошёл на 55 %)
    """
    lang = check_lang(lang)
    return _BUILDERS[alert.kind](alert, lang, _FORMATS[lang])


def _who(alert: Alert, lang: str) -> str:
    if alert.manager_id is None:
        return "Команда" if lang == "ru" else "Team"
    return alert.name or alert.manager_id


def _ids(alert: Alert, lang: str) -> str:
    shown = ", ".join(alert.lead_ids[:IDS_SHOWN])
    rest = len(alert.lead_ids) - IDS_SHOWN
    if rest > 0:
        shown += f" и ещё {rest}" if lang == "ru" else f" and {rest} more"
    return shown


def _when(alert: Alert, lang: str) -> str:
    now, before = _WHEN[lang][alert.unit if alert.unit in _WHEN[lang] else "week"]
    return now if alert.figures.get("current", 1.0) else before


def _waiting(alert: Alert, lang: str, f: Formats) -> str:
    n = int(alert.figures["leads"])
    sla = f.minutes(alert.figures["sla_minutes"])
    longest = f.minutes(alert.figures["longest_minutes"])
    ids = _ids(alert, lang)
    who = _who(alert, lang)
    if lang == "ru":
        verb = plural_ru(n, "лид ждёт", "лида ждут", "лидов ждут")
        wait = f"уже {longest}" if n == 1 else f"дольше всех — {longest}"
        return f"{who}: {n} {verb} первого контакта дольше {sla} ({wait}): {ids}"
    noun = "lead" if n == 1 else "leads"
    wait = f"{longest} so far" if n == 1 else f"longest {longest}"
    return f"{who}: {n} {noun} waiting for a first contact longer than {sla} ({wait}): {ids}"


def _unassigned(alert: Alert, lang: str, f: Formats) -> str:
    n = int(alert.figures["leads"])
    sla = f.minutes(alert.figures["sla_minutes"])
    longest = f.minutes(alert.figures["longest_minutes"])
    ids = _ids(alert, lang)
    if lang == "ru":
        noun = plural_ru(n, "лид", "лида", "лидов")
        wait = f"уже {longest}" if n == 1 else f"дольше всех — {longest}"
        return f"{n} {noun} без менеджера дольше {sla} ({wait}): {ids}"
    if n == 1:
        return f"1 lead has had no manager for longer than {sla} ({longest} so far): {ids}"
    return f"{n} leads have had no manager for longer than {sla} (longest {longest}): {ids}"


def _below_plan(alert: Alert, lang: str, f: Formats) -> str:
    fig = alert.figures
    who = _who(alert, lang)
    share, elapsed = f.percent(fig["attainment"]), f.percent(fig["elapsed"])
    won, due = f.money(fig["won"]), f.money(fig["due"])
    if lang == "ru":
        span = "месяц прошёл" if alert.unit == "month" else "неделя прошла"
        return (
            f"{who}: выполнено {share} плана на сегодня ({won} из {due}, которые нужны к "
            f"этому дню; {span} на {elapsed})"
        )
    span = "month" if alert.unit == "month" else "week"
    return (
        f"{who}: {share} of the plan to date ({won} won of {due} due by today; the {span} "
        f"is {elapsed} through)"
    )


def _overload(alert: Alert, lang: str, f: Formats) -> str:
    days = int(alert.figures["days"])
    peak = alert.figures.get("peak_open", math.nan)
    who, when = _who(alert, lang), _when(alert, lang)
    if lang == "ru":
        tail = "" if math.isnan(peak) else f" (до {f.count(peak)} открытых лидов одновременно)"
        noun = plural_ru(days, "день", "дня", "дней")
        return f"{who}: лимит лидов превышен {days} {noun} {when}{tail}"
    tail = "" if math.isnan(peak) else f" (up to {f.count(peak)} open leads at once)"
    noun = "day" if days == 1 else "days"
    return f"{who}: over the lead limit on {days} {noun} {when}{tail}"


def _periods_before(n: int, unit: str, lang: str) -> str:
    if lang == "ru":
        forms = {
            "day": ("день", "дня", "дней"),
            "week": ("неделю", "недели", "недель"),
            "month": ("месяц", "месяца", "месяцев"),
        }[unit]
        return f"{n} {plural_ru(n, *forms)}"
    return f"{n} {unit}{'' if n == 1 else 's'}"


def _complaints(alert: Alert, lang: str, f: Formats) -> str:
    fig = alert.figures
    n = int(fig["complaints"])
    before_n = int(fig["earlier_periods"])
    who, when = _who(alert, lang), _when(alert, lang)
    span = _periods_before(before_n, alert.unit, lang)
    rate, earlier = fig["rate"], fig["earlier_rate"]
    if lang == "ru":
        noun = plural_ru(n, "жалоба", "жалобы", "жалоб")
        now = (
            "при том что новых лидов не было"
            if math.isinf(rate)
            else f"{f.number(rate, 1)} на 100 лидов"
        )
        past = (
            f"а за {span} до этого жалоб не было"
            if earlier == 0
            else f"против {f.number(earlier, 1)} за {span} до этого"
        )
        return f"{who}: {n} {noun} {when} — {now}, {past}"
    noun = "complaint" if n == 1 else "complaints"
    now = "with no new leads" if math.isinf(rate) else f"{f.number(rate, 1)} per 100 leads"
    past = (
        f"none in the {span} before"
        if earlier == 0
        else f"{f.number(earlier, 1)} in the {span} before"
    )
    return f"{who}: {n} {noun} {when} — {now}, against {past}"


def _share(alert: Alert, lang: str, f: Formats) -> str:
    fig = alert.figures
    n = int(fig["leads"])
    total = int(fig["team_leads"])
    low, high = f.count(fig["low"]), f.count(fig["high"])
    expected = f.number(fig["expected"], 0 if fig["expected"] >= 9.95 else 1)
    share = f.percent(fig["target_share"])
    above = fig["leads"] > fig["high"]
    who, when = _who(alert, lang), _when(alert, lang)
    if lang == "ru":
        noun = plural_ru(n, "лид", "лида", "лидов")
        side = "больше" if above else "меньше"
        of = genitive_ru(total, "лида", "лидов")
        return (
            f"{who}: {n} {noun} {when} — {side} справедливого коридора {low}–{high} "
            f"(цель {expected}, {share} от {total} {of} команды)"
        )
    noun = "lead" if n == 1 else "leads"
    side = "above" if above else "below"
    return (
        f"{who}: {n} {noun} {when}, {side} the fair band of {low}–{high} (target {expected}, "
        f"{share} of the team's {total})"
    )


_BUILDERS: Final = {
    "waiting": _waiting,
    "unassigned": _unassigned,
    "below_plan": _below_plan,
    "overload": _overload,
    "complaints": _complaints,
    "share": _share,
}
