# ruff: noqa: RUF001  (Russian text: Cyrillic letters that look Latin, dashes)
"""The KPI catalogue: each metric's unit, its name in English and Russian, and what it means.

The explanations speak to a head of sales; the precise definitions are in the
docstrings of the modules that compute each family (``_cohort``, ``_response``,
``_funnel``, ``_money``, ``_fairness``, ``_workload``, ``_feedback``, ``_retention``).
Names that depend on the run (a funnel stage, a response-time band) are templates:
:func:`describe` fills them in.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from itertools import pairwise
from typing import Final, Literal

from fairlead.records import InputError

Unit = Literal["count", "share", "minutes", "money", "score", "days"]
Lang = Literal["en", "ru"]

#: How the team's value comes about.
SUM, RECOMPUTED, TEAM_ONLY = "sum", "recomputed", "team"


@dataclass(frozen=True)
class Metric:
    """One KPI as people read it.

    Attributes
    ----------
    name : str
        The key in :attr:`Kpis.by_manager` / :attr:`Kpis.team`.
    unit : {"count", "share", "minutes", "money", "score", "days"}
        ``share`` is a fraction from 0 to 1 (shown as a percentage).
    label_en, label_ru : str
        Short names for a table's header.
    explain_en, explain_ru : str
        One sentence for a head of sales.
    team : {"sum", "recomputed", "team"}
        The team's value: the sum of the managers', recomputed from all the team's
        events (rates, percentiles, peaks), or a figure of the team only.
    better : {"higher", "lower"} or None
        Which way is good, when there is one.
    flow : bool
        True when the figure adds up over periods (events of the period); False for
        a state read at a moment (a share, the pipeline, the clients), whose total
        over a span is read at the span's ends.

    Examples
    --------
    >>> METRICS["response_p50"].label("ru")
    'Время первого ответа, медиана'
    """

    name: str
    unit: Unit
    label_en: str
    label_ru: str
    explain_en: str
    explain_ru: str
    team: str = SUM
    better: str | None = None
    flow: bool = True

    def label(self, lang: Lang = "en") -> str:
        """The short name in ``lang``."""
        return self.label_ru if _lang(lang) == "ru" else self.label_en

    def explain(self, lang: Lang = "en") -> str:
        """The one-sentence explanation in ``lang``."""
        return self.explain_ru if _lang(lang) == "ru" else self.explain_en


def _lang(lang: str) -> str:
    if lang not in ("en", "ru"):
        raise InputError(f"lang must be 'en' or 'ru', got {lang!r}", field="lang", value=lang)
    return lang


_CATALOGUE: Final[tuple[Metric, ...]] = (
    # --- leads received -------------------------------------------------------------
    Metric(
        "leads_received",
        "count",
        "Leads received",
        "Лиды получено",
        "Leads given to the manager in the period; a lead passed from one manager to "
        "another counts for each of them.",
        "Лиды, переданные менеджеру за период; лид, переданный от одного менеджера "
        "другому, считается у каждого из них.",
    ),
    Metric(
        "leads_contacted",
        "count",
        "Leads contacted",
        "Лиды с контактом",
        "Of the leads received in the period, those the manager has reached so far.",
        "Из лидов, полученных за период, — те, с кем менеджер уже связался.",
        better="higher",
    ),
    Metric(
        "leads_waiting",
        "count",
        "Leads not contacted",
        "Лиды без контакта",
        "Of the leads received in the period, those the manager has not reached yet, "
        "including leads handed on to someone else before a contact.",
        "Из лидов, полученных за период, — те, с кем менеджер ещё не связался, "
        "включая переданные другому до контакта.",
        better="lower",
    ),
    Metric(
        "leads_reassigned",
        "count",
        "Leads handed on",
        "Лиды переданы другому",
        "Of the leads received in the period, those now held by another manager.",
        "Из лидов, полученных за период, — те, что сейчас ведёт другой менеджер.",
        better="lower",
    ),
    # --- speed ------------------------------------------------------------------------
    Metric(
        "assign_p50",
        "minutes",
        "Time to assign, median",
        "Время до назначения, медиана",
        "Half of the new leads got their first manager within this many minutes of coming in.",
        "Половина новых лидов получила первого менеджера не позже, чем через столько "
        "минут после поступления.",
        RECOMPUTED,
        "lower",
    ),
    Metric(
        "assign_p90",
        "minutes",
        "Time to assign, 9 in 10",
        "Время до назначения, 9 из 10",
        "Nine in ten new leads got their first manager within this many minutes of coming in.",
        "Девять из десяти новых лидов получили первого менеджера не позже, чем через "
        "столько минут после поступления.",
        RECOMPUTED,
        "lower",
    ),
    Metric(
        "response_p50",
        "minutes",
        "First response time, median",
        "Время первого ответа, медиана",
        "Half of the leads were first contacted within this many minutes of being assigned.",
        "Половине лидов менеджер впервые ответил не позже, чем через столько минут "
        "после назначения.",
        RECOMPUTED,
        "lower",
    ),
    Metric(
        "response_p90",
        "minutes",
        "First response time, 9 in 10",
        "Время первого ответа, 9 из 10",
        "Nine in ten leads were first contacted within this many minutes of being assigned.",
        "Девяти из десяти лидов менеджер впервые ответил не позже, чем через столько "
        "минут после назначения.",
        RECOMPUTED,
        "lower",
    ),
    # Response-time bands: templates filled in by describe() (see _band_metric).
    Metric(
        "sla_share_fast",
        "share",
        "Answered within {high} min",
        "Ответ за {high} мин, доля",
        "Share of the first contacts made within {high} minutes of the assignment.",
        "Доля первых контактов, сделанных не позже {high} минут после назначения.",
        RECOMPUTED,
        "higher",
    ),
    # --- funnel (templates: one per stage) -----------------------------------------
    Metric(
        "reached:{stage}",
        "count",
        "Reached «{stage}»",
        "Дошли до этапа «{stage}»",
        "Of the leads received in the period, those that reached the stage «{stage}» "
        "with this manager.",
        "Из лидов, полученных за период, — дошедшие у этого менеджера до этапа «{stage}».",
        better="higher",
    ),
    Metric(
        "rate:{stage}",
        "share",
        "Passed to «{stage}»",
        "Переход на этап «{stage}»",
        "Share of the leads at the step before that reached «{stage}» (for the first "
        "stage: of the leads received).",
        "Доля лидов предыдущего шага, дошедших до этапа «{stage}» (для первого этапа — "
        "от полученных лидов).",
        RECOMPUTED,
        "higher",
    ),
    Metric(
        "won",
        "count",
        "Deals won",
        "Сделки выиграны",
        "Deals closed won in the period, counted for the manager who held the lead.",
        "Сделки, успешно закрытые за период, у менеджера, который вёл лид.",
        better="higher",
    ),
    Metric(
        "lost",
        "count",
        "Deals lost",
        "Сделки проиграны",
        "Deals closed lost in the period, counted for the manager who held the lead.",
        "Сделки, закрытые за период без успеха, у менеджера, который вёл лид.",
    ),
    Metric(
        "win_rate",
        "share",
        "Win rate",
        "Доля выигранных сделок",
        "Deals won out of all deals closed (won or lost) in the period.",
        "Выигранные сделки от всех закрытых за период (выигранных и проигранных).",
        RECOMPUTED,
        "higher",
    ),
    Metric(
        "conversion",
        "share",
        "Conversion",
        "Конверсия",
        "Of the leads received in the period, the share the manager has won so far.",
        "Доля лидов, полученных за период, по которым менеджер уже выиграл сделку.",
        RECOMPUTED,
        "higher",
    ),
    Metric(
        "conversion_shrunk",
        "share",
        "Conversion, adjusted for volume",
        "Конверсия с поправкой на объём",
        "Conversion pulled towards the team's, the more the fewer leads the manager "
        "had: three wins out of three leads say little yet.",
        "Конверсия, подтянутая к командной тем сильнее, чем меньше у менеджера лидов: "
        "три сделки из трёх лидов пока мало о чём говорят.",
        RECOMPUTED,
        "higher",
    ),
    Metric(
        "conversion_low",
        "share",
        "Conversion, low end",
        "Конверсия, нижняя граница",
        "The low end of the range the manager's true conversion very likely lies in "
        "(90 % sure by default).",
        "Нижняя граница диапазона, в котором почти наверняка лежит настоящая конверсия "
        "менеджера (по умолчанию с уверенностью 90 %).",
        RECOMPUTED,
        "higher",
    ),
    Metric(
        "conversion_high",
        "share",
        "Conversion, high end",
        "Конверсия, верхняя граница",
        "The high end of the range the manager's true conversion very likely lies in "
        "(90 % sure by default).",
        "Верхняя граница диапазона, в котором почти наверняка лежит настоящая конверсия "
        "менеджера (по умолчанию с уверенностью 90 %).",
        RECOMPUTED,
        "higher",
    ),
    # --- money ------------------------------------------------------------------------
    Metric(
        "revenue",
        "money",
        "Revenue",
        "Выручка",
        "Amount of the deals won in the period (the won amount, else the lead's deal value).",
        "Сумма сделок, выигранных за период (сумма сделки, а если её нет — оценка стоимости лида).",
        better="higher",
    ),
    Metric(
        "avg_deal",
        "money",
        "Average deal",
        "Средний чек",
        "Revenue divided by the deals won in the period with a known amount.",
        "Выручка, делённая на число выигранных за период сделок с известной суммой.",
        RECOMPUTED,
        "higher",
    ),
    Metric(
        "pipeline",
        "money",
        "Open deals, value",
        "Открытые сделки, сумма",
        "Deal value of the open leads the manager held at the end of the period (for "
        "the current period: now).",
        "Стоимость открытых лидов, которые менеджер вёл на конец периода (для текущего "
        "периода — на сейчас).",
        better="higher",
        flow=False,
    ),
    Metric(
        "weighted_pipeline",
        "money",
        "Open deals, expected value",
        "Открытые сделки, ожидаемая сумма",
        "Open deal value with each deal counted at its chance to win: the chance given "
        "at assignment, else the lead's score, else the team's win rate.",
        "Стоимость открытых сделок, где каждая взята с её шансом на успех: шанс при "
        "назначении, иначе оценка лида, иначе доля побед команды.",
        better="higher",
        flow=False,
    ),
    # --- fair shares ------------------------------------------------------------------
    Metric(
        "target_share",
        "share",
        "Target share of leads",
        "Целевая доля лидов",
        "The share of the team's leads the manager should get: the given target, else "
        "by lead limits when managers are given, else equal.",
        "Доля лидов команды, которую менеджер должен получать: заданная цель, иначе по "
        "лимитам лидов, если заданы менеджеры, иначе поровну.",
        flow=False,
    ),
    Metric(
        "leads_share",
        "share",
        "Share of leads",
        "Доля лидов",
        "The manager's share of the leads the team received in the period.",
        "Доля менеджера в лидах, полученных командой за период.",
        flow=False,
    ),
    Metric(
        "value_share",
        "share",
        "Share of lead value",
        "Доля стоимости лидов",
        "The manager's share of the deal value of the leads the team received in the period.",
        "Доля менеджера в стоимости лидов, полученных командой за период.",
        flow=False,
    ),
    Metric(
        "leads_vs_target",
        "score",
        "Leads against target",
        "Лиды относительно цели",
        "Share of leads divided by the target share: 1 is on target, above 1 more than "
        "the fair share, below 1 less.",
        "Доля лидов, делённая на целевую: 1 — ровно по цели, больше 1 — больше "
        "справедливой доли, меньше 1 — меньше.",
        RECOMPUTED,
    ),
    Metric(
        "gini_leads",
        "score",
        "Uneven leads (Gini)",
        "Неравномерность лидов (Джини)",
        "How unevenly the leads went round against the targets: 0 is perfectly even, "
        "close to 1 is one manager taking nearly all.",
        "Насколько неравномерно распределены лиды относительно целей: 0 — идеально "
        "ровно, ближе к 1 — почти всё досталось одному.",
        TEAM_ONLY,
        "lower",
    ),
    Metric(
        "jain_leads",
        "score",
        "Even leads (Jain)",
        "Равномерность лидов (Джайн)",
        "1 when every manager got leads in proportion to their target, lower the more "
        "uneven (down to 1 divided by the number of managers).",
        "1, если каждый получил лиды пропорционально своей цели; чем неравномернее, "
        "тем меньше (вплоть до 1, делённой на число менеджеров).",
        TEAM_ONLY,
        "higher",
    ),
    Metric(
        "gini_value",
        "score",
        "Uneven lead value (Gini)",
        "Неравномерность стоимости лидов (Джини)",
        "How unevenly the value of the leads went round against the targets: 0 is "
        "perfectly even, close to 1 is one manager taking nearly all.",
        "Насколько неравномерно распределена стоимость лидов относительно целей: "
        "0 — идеально ровно, ближе к 1 — почти всё досталось одному.",
        TEAM_ONLY,
        "lower",
    ),
    # --- workload ---------------------------------------------------------------------
    Metric(
        "peak_open",
        "count",
        "Most open leads at once",
        "Максимум открытых лидов",
        "The largest number of open leads the manager held at one time in the period.",
        "Наибольшее число открытых лидов, которые менеджер вёл одновременно за период.",
        RECOMPUTED,
    ),
    Metric(
        "overload_days",
        "days",
        "Overloaded days",
        "Дни перегрузки",
        "Days in the period on which the manager held more open leads than their limit.",
        "Дни за период, когда у менеджера было больше открытых лидов, чем позволяет его лимит.",
        better="lower",
    ),
    # --- client feedback --------------------------------------------------------------
    Metric(
        "csat",
        "score",
        "Client satisfaction",
        "Удовлетворённость клиентов",
        "Average client rating from 1 (poor) to 5 (excellent) given in the period.",
        "Средняя оценка клиентов за период, от 1 (плохо) до 5 (отлично).",
        RECOMPUTED,
        "higher",
    ),
    Metric(
        "csat_count",
        "count",
        "Ratings received",
        "Оценок получено",
        "How many client ratings (1 to 5) came in during the period.",
        "Сколько оценок клиентов (от 1 до 5) пришло за период.",
    ),
    Metric(
        "nps",
        "score",
        "Would recommend (NPS)",
        "Готовность рекомендовать (NPS)",
        "Share of clients who would recommend us (9-10 of 10) minus the share who would "
        "not (0-6), from -100 to 100.",
        "Доля клиентов, готовых нас рекомендовать (9–10 из 10), минус доля "
        "недовольных (0–6), от −100 до 100.",
        RECOMPUTED,
        "higher",
    ),
    Metric(
        "nps_count",
        "count",
        "Recommendation answers",
        "Ответов о рекомендации",
        "How many clients answered whether they would recommend us in the period.",
        "Сколько клиентов ответили за период, порекомендуют ли они нас.",
    ),
    Metric(
        "complaints",
        "count",
        "Complaints",
        "Жалобы",
        "Client complaints in the period.",
        "Жалобы клиентов за период.",
        better="lower",
    ),
    Metric(
        "complaint_rate",
        "score",
        "Complaints per 100 leads",
        "Жалоб на 100 лидов",
        "Complaints in the period for every 100 leads received in it.",
        "Жалобы за период на каждые 100 лидов, полученных за тот же период.",
        RECOMPUTED,
        "lower",
    ),
    # --- existing clients -------------------------------------------------------------
    Metric(
        "clients",
        "count",
        "Active clients",
        "Активные клиенты",
        "Clients who had bought within the churn window (90 days by default) when the "
        "period began.",
        "Клиенты, у которых на начало периода была покупка в пределах окна оттока "
        "(по умолчанию 90 дней).",
        flow=False,
    ),
    Metric(
        "clients_kept",
        "count",
        "Clients kept",
        "Клиенты сохранены",
        "Of the active clients, those still active when the period ended: they bought "
        "again within the churn window before its end.",
        "Из активных клиентов — те, кто остался активным на конец периода: купил снова "
        "в пределах окна оттока до его конца.",
        better="higher",
        flow=False,
    ),
    Metric(
        "clients_churned",
        "count",
        "Clients lost",
        "Клиенты ушли",
        "Of the active clients, those whose last purchase fell out of the churn window "
        "during the period.",
        "Из активных клиентов — те, чья последняя покупка вышла за окно оттока в течение периода.",
        better="lower",
        flow=False,
    ),
    Metric(
        "retention",
        "share",
        "Client retention",
        "Удержание клиентов",
        "Clients kept out of the clients active at the start of the period.",
        "Доля сохранённых клиентов среди активных на начало периода.",
        RECOMPUTED,
        "higher",
    ),
    Metric(
        "retention_touched",
        "share",
        "Retention, touched clients",
        "Удержание клиентов с касанием",
        "Retention of the active clients whom their manager touched in the period or "
        "within the churn window before its end. A comparison of clients, not an "
        "experiment: the clients a manager touches may differ from the others.",
        "Удержание активных клиентов, с которыми их менеджер связался за период или в "
        "пределах окна оттока до его конца. Это сравнение клиентов, а не эксперимент: "
        "те, с кем связываются, могут отличаться от остальных.",
        RECOMPUTED,
        "higher",
    ),
    Metric(
        "retention_untouched",
        "share",
        "Retention, clients not touched",
        "Удержание клиентов без касания",
        "Retention of the active clients whom their manager did not touch in the period "
        "or within the churn window before its end; compare with the touched clients.",
        "Удержание активных клиентов, с которыми их менеджер не связывался ни за период, "
        "ни в пределах окна оттока до его конца; сравните с клиентами с касанием.",
        RECOMPUTED,
    ),
    Metric(
        "touches_planned",
        "count",
        "Touches planned",
        "Касаний запланировано",
        "Contacts with existing clients planned in the period.",
        "Контакты с действующими клиентами, запланированные за период.",
    ),
    Metric(
        "touches_done",
        "count",
        "Touches made",
        "Касаний выполнено",
        "Contacts with existing clients made in the period.",
        "Контакты с действующими клиентами, выполненные за период.",
        better="higher",
    ),
    Metric(
        "touch_completion",
        "share",
        "Touches made against plan",
        "Выполнение плана касаний",
        "Touches made divided by touches planned in the period (above 100 % when "
        "earlier plans were caught up).",
        "Выполненные касания, делённые на запланированные за период (больше 100 %, "
        "если нагоняли прошлые планы).",
        RECOMPUTED,
        "higher",
    ),
)

#: Every metric by name; the funnel's are templates (``reached:{stage}``,
#: ``rate:{stage}``) and the response-time bands are listed for the default bands
#: (5, 15, 60 minutes). :func:`describe` fills in any name a run produces.
METRICS: Final[dict[str, Metric]] = {}

_BAND_EN = (
    "First responses within {high} min",
    "First responses in {low}-{high} min",
    "First responses after {low} min",
)
_BAND_RU = (
    "Первый ответ до {high} мин",
    "Первый ответ за {low}–{high} мин",
    "Первый ответ позже {low} мин",
)
_BAND_EXPLAIN_EN = (
    "Leads first contacted within {high} minutes of the assignment.",
    "Leads first contacted more than {low} and at most {high} minutes after the assignment.",
    "Leads first contacted more than {low} minutes after the assignment.",
)
_BAND_EXPLAIN_RU = (
    "Лиды, которым впервые ответили не позже {high} минут после назначения.",
    "Лиды, которым впервые ответили позже {low}, но не позже {high} минут после назначения.",
    "Лиды, которым впервые ответили позже чем через {low} минут после назначения.",
)
DEFAULT_BANDS: Final[tuple[float, ...]] = (5.0, 15.0, 60.0)


def number_text(value: float) -> str:
    """A band edge as metric names show it: ``5``, ``2.5``.

    Examples
    --------
    >>> number_text(5.0), number_text(2.5)
    ('5', '2.5')
    """
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def band_names(bands: Sequence[float]) -> tuple[str, ...]:
    """The names of the response-time band counts for band edges ``bands`` (minutes).

    Examples
    --------
    >>> band_names((5, 15, 60))
    ('sla_0_5', 'sla_5_15', 'sla_15_60', 'sla_60_plus')
    """
    edges = [0.0, *map(float, bands)]
    names = [f"sla_{number_text(a)}_{number_text(b)}" for a, b in pairwise(edges)]
    return (*names, f"sla_{number_text(edges[-1])}_plus")


def _band_metric(name: str) -> Metric | None:
    found = re.fullmatch(r"sla_(\d+(?:\.\d+)?)_(\d+(?:\.\d+)?|plus)", name)
    if found is None:
        return None
    low, high = found.group(1), found.group(2)
    kind = 2 if high == "plus" else (0 if float(low) == 0 else 1)
    words = {"low": low, "high": high}
    return Metric(
        name,
        "count",
        _BAND_EN[kind].format(**words),
        _BAND_RU[kind].format(**words),
        _BAND_EXPLAIN_EN[kind].format(**words),
        _BAND_EXPLAIN_RU[kind].format(**words),
        better="higher" if kind == 0 else ("lower" if kind == 2 else None),
    )


def _filled(metric: Metric, name: str, **words: str) -> Metric:
    return replace(
        metric,
        name=name,
        label_en=metric.label_en.format(**words),
        label_ru=metric.label_ru.format(**words),
        explain_en=metric.explain_en.format(**words),
        explain_ru=metric.explain_ru.format(**words),
    )


def describe(name: str, sla_bands: Sequence[float] = DEFAULT_BANDS) -> Metric:
    """The :class:`Metric` of any name a KPI run produces.

    Parameters
    ----------
    name : str
        ``leads_received``, ``reached:meeting``, ``sla_5_15`` …
    sla_bands : sequence of float
        The run's band edges (minutes), for ``sla_share_fast``.

    Examples
    --------
    >>> describe("reached:meeting").label("ru")
    'Дошли до этапа «meeting»'
    >>> describe("sla_10_30").label()
    'First responses in 10-30 min'
    >>> describe("sla_share_fast", (10, 30)).explain()
    'Share of the first contacts made within 10 minutes of the assignment.'
    """
    for prefix in ("reached:", "rate:"):
        if name.startswith(prefix) and len(name) > len(prefix):
            return _filled(_TEMPLATES[prefix + "{stage}"], name, stage=name[len(prefix) :])
    if name == "sla_share_fast":
        return _filled(_TEMPLATES[name], name, high=number_text(float(sla_bands[0])))
    band = _band_metric(name)
    if band is not None:
        return band
    if name in _TEMPLATES and "{" not in name:
        return _TEMPLATES[name]
    raise InputError(
        f"no metric named {name!r} (metrics: {', '.join(metric_names(()))}, "
        "reached:<stage>, rate:<stage>)",
        field="metric",
        value=name,
    )


def metric_names(
    funnel: Sequence[str], sla_bands: Sequence[float] = DEFAULT_BANDS
) -> tuple[str, ...]:
    """Every metric of a run, in the catalogue's order, the funnel's and bands' filled in.

    Examples
    --------
    >>> names = metric_names(("qualified", "meeting"))
    >>> names[:4], names[names.index("sla_share_fast") + 1 : names.index("won")]
    (('leads_received', 'leads_contacted', 'leads_waiting', 'leads_reassigned'), \
('reached:qualified', 'rate:qualified', 'reached:meeting', 'rate:meeting'))
    """
    out: list[str] = []
    for metric in _CATALOGUE:
        if metric.name == "sla_share_fast":
            out += band_names(sla_bands)
            out.append(metric.name)
        elif metric.name == "reached:{stage}":
            for stage in funnel:
                out += [f"reached:{stage}", f"rate:{stage}"]
        elif metric.name != "rate:{stage}":
            out.append(metric.name)
    return tuple(out)


_TEMPLATES: Final[dict[str, Metric]] = {metric.name: metric for metric in _CATALOGUE}


def _catalogue() -> dict[str, Metric]:
    out: dict[str, Metric] = {}
    for metric in _CATALOGUE:
        if metric.name == "sla_share_fast":
            for name in band_names(DEFAULT_BANDS):
                band = _band_metric(name)
                assert band is not None
                out[name] = band
            metric = _filled(metric, metric.name, high=number_text(DEFAULT_BANDS[0]))
        out[metric.name] = metric
    return out


METRICS.update(_catalogue())
