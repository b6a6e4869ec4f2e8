# ruff: noqa: RUF001  (Russian text: Cyrillic letters that look Latin, dashes)
"""Every word of the dashboard and its login page, in English and Russian.

The KPI columns take their names and explanations from ``fairlead.kpi`` (through the
``metrics`` of ``/v1/kpi``); these are the rest. The words speak to a head of sales:
leads, managers, plan and deadlines, never the routing method's own terms.
"""

from __future__ import annotations

from typing import Final

_WORDS: Final[dict[str, tuple[str, str]]] = {
    # -- the page
    "title": ("Sales team today", "Отдел продаж сегодня"),
    "as_of": (
        "As of {moment} ({zone}) · refreshes every minute",
        "Данные на {moment} ({zone}) · обновляется каждую минуту",
    ),
    "contents": ("On this page", "На странице"),
    "logout": ("Log out", "Выйти"),
    "language": ("Language", "Язык"),
    "footer_missing": ("A dash (—) means no data yet.", "Прочерк (—) — данных пока нет."),
    "footer_source": (
        "The same figures come from the fairlead API: /v1/kpi, /v1/status, /v1/sla/overdue, "
        "/v1/plan and /v1/alerts.",
        "Те же цифры отдаёт API fairlead: /v1/kpi, /v1/status, /v1/sla/overdue, /v1/plan и "
        "/v1/alerts.",
    ),
    # -- the cards
    "glance": ("At a glance", "Коротко"),
    "card_leads": ("Leads today", "Лидов сегодня"),
    "card_waiting": ("{n} not contacted yet", "без контакта: {n}"),
    "card_late": ("Late for the first contact", "Просрочен первый контакт"),
    "card_late_detail": ("longest {minutes} past the deadline", "дольше всех — {minutes}"),
    "card_late_none": ("none past the deadline", "просроченных нет"),
    "card_late_off": ("no deadline set", "срок не задан"),
    "card_open": ("Open leads now", "Открытых лидов сейчас"),
    "card_open_detail": ("of {capacity} the team can hold", "из {capacity} возможных"),
    "card_response": ("First reply today, median", "Первый ответ сегодня, медиана"),
    "card_fast": ("within {minutes} min: {share}", "за {minutes} мин: {share}"),
    "card_plan": ("Revenue, {period}", "Выручка, {period}"),
    "card_plan_detail": ("{share} of the plan {plan}", "{share} от плана {plan}"),
    "card_no_plan": ("no sales plan yet", "плана продаж пока нет"),
    "card_revenue_week": ("Revenue this week", "Выручка на этой неделе"),
    "card_plan_later": ("the plan starts with {period}", "план начинается с: {period}"),
    "card_alerts": ("Needs attention", "Требует внимания"),
    "card_alerts_detail": ("{n} urgent", "срочных: {n}"),
    # -- today, by manager
    "today": ("Leads today, by manager", "Лиды за сегодня по менеджерам"),
    "today_intro": (
        "How many of today's leads each manager got against their fair share, and how "
        "many open leads each holds right now against their limit.",
        "Сколько сегодняшних лидов получил каждый менеджер по сравнению со справедливой "
        "долей и сколько открытых лидов у каждого сейчас относительно лимита.",
    ),
    "manager": ("Manager", "Менеджер"),
    "team": ("Team", "Команда"),
    "fair_leads": ("Fair share today", "Справедливая доля сегодня"),
    "fair_leads_explain": (
        "The manager's target share of the team's leads today, as a number of leads.",
        "Целевая доля менеджера в сегодняшних лидах команды, в числе лидов.",
    ),
    "open": ("Open leads now", "Открытых лидов сейчас"),
    "open_explain": (
        "Leads the manager holds now that are not closed yet.",
        "Лиды у менеджера сейчас, которые ещё не закрыты.",
    ),
    "capacity": ("Limit", "Лимит"),
    "capacity_explain": (
        "How many open leads the manager may hold at once.",
        "Сколько открытых лидов менеджер может вести одновременно.",
    ),
    "load": ("Load", "Загрузка"),
    "load_explain": ("Open leads against the limit.", "Открытые лиды относительно лимита."),
    "state": ("Gets new leads", "Получает новые лиды"),
    "state_explain": (
        "Whether new leads go to the manager now: not while paused or away (out of "
        "working hours, on leave) or when the limit is reached.",
        "Идут ли менеджеру новые лиды сейчас: не идут на паузе, вне рабочего времени, "
        "в отпуске или при достигнутом лимите.",
    ),
    "state_yes": ("yes", "да"),
    "state_paused": ("paused", "на паузе"),
    "state_away": ("away", "нет на месте"),
    "state_full": ("full", "лимит"),
    # -- late leads
    "late": ("Leads late for the first contact", "Лиды с просроченным первым контактом"),
    "late_intro": (
        "Leads whose manager has not yet reached the client within the team's deadline, "
        "the longest overdue first.",
        "Лиды, с клиентами которых менеджер не связался в срок, установленный для команды; "
        "сначала самые просроченные.",
    ),
    "late_none": ("No lead is past the deadline.", "Просроченных лидов нет."),
    "late_off": (
        "No deadline for the first contact is set for the team, so no lead counts as late.",
        "Срок первого контакта для команды не задан, поэтому просроченных лидов не бывает.",
    ),
    "lead": ("Lead", "Лид"),
    "assigned": ("Assigned", "Назначен"),
    "due": ("Due", "Срок"),
    "late_by": ("Late by", "Просрочен на"),
    "late_by_explain": (
        "How long past the deadline the lead has waited for its first contact.",
        "Насколько лид ждёт первого контакта дольше срока.",
    ),
    # -- response times
    "response": ("Response times this week", "Скорость ответа на этой неделе"),
    "response_intro": (
        "How fast each manager first reached the leads they got this week.",
        "Как быстро каждый менеджер впервые связался с лидами, полученными на этой неделе.",
    ),
    # -- plan and fact
    "plan": ("Plan and fact", "План и факт"),
    "plan_current": (
        "{period}: revenue won so far against the plan, and what the open deals and new "
        "leads should still bring by the end of the period.",
        "{period}: выручка на сегодня относительно плана и сколько ещё должны принести "
        "открытые сделки и новые лиды до конца периода.",
    ),
    "plan_past": (
        "{period} (finished): revenue won against the plan.",
        "{period} (завершён): выручка относительно плана.",
    ),
    "plan_none": ("No sales plan has been set yet.", "План продаж пока не задан."),
    "plan_later": (
        "The sales plan starts with {period}: nothing to compare yet.",
        "План продаж начинается с периода «{period}»: сравнивать пока не с чем.",
    ),
    "plan_col": ("Plan", "План"),
    "won_col": ("Won so far", "Выиграно"),
    "won_col_explain": (
        "Revenue of the deals won in the plan period so far.",
        "Выручка по сделкам, выигранным за период плана на сегодня.",
    ),
    "attainment": ("Of plan", "От плана"),
    "attainment_explain": ("Won so far divided by the plan.", "Выиграно, делённое на план."),
    "expected": ("Expected by the end", "Ожидается к концу"),
    "expected_explain": (
        "Won so far, plus each open deal and new lead at its chance to be won.",
        "Уже выиграно плюс открытые сделки и новые лиды с учётом вероятности выигрыша.",
    ),
    "gap": ("Short of plan", "Не хватает до плана"),
    "gap_explain": (
        "The plan minus what is expected; nothing when the plan is on track.",
        "План минус ожидаемое; пусто, если план выполняется.",
    ),
    # -- alerts
    "alerts": ("What needs attention", "Что требует внимания"),
    "alerts_none": ("Nothing needs attention right now.", "Сейчас ничего не требует внимания."),
    "urgent": ("urgent", "срочно"),
    "notice": ("note", "важно"),
    # -- CRM write-back
    "crm": ("Owners written back to the CRM", "Ответственные, записанные в CRM"),
    "crm_intro": (
        "Who gets each lead goes back to the CRM. While the CRM is out, fairlead waits "
        "and writes when it is back; a lead or a write the CRM refused is tried again a "
        "few times, then waits for you here.",
        "Кому достался лид, fairlead записывает обратно в CRM. Пока CRM недоступна, "
        "fairlead ждёт и запишет, когда она вернётся; лид или запись, которые CRM "
        "отклонила, повторяются несколько раз, а потом ждут вас здесь.",
    ),
    "crm_name": ("CRM", "CRM"),
    "crm_pending": ("Waiting to be written", "Ждут записи"),
    "crm_failed": ("Failed", "Не записаны"),
    "crm_failed_explain": (
        "The CRM refused them: see the reason below.",
        "CRM их отклонила: причина ниже.",
    ),
    "crm_events_failed": ("Leads not taken", "Лиды не приняты"),
    "crm_events_failed_explain": (
        "New or changed leads fairlead could not read, usually a field the mapping does "
        "not know: see the reason below, fix the mapping, then try again.",
        "Новые или изменённые лиды, которые fairlead не смог прочитать, обычно из-за "
        "поля, которого нет в настройке соответствия: причина ниже; исправьте настройку "
        "и повторите.",
    ),
    "crm_last_event_error": (
        "Last lead not taken ({crm}): {error}",
        "Последний непринятый лид ({crm}): {error}",
    ),
    "crm_sent": ("Written", "Записаны"),
    "crm_last_error": ("Last failure ({crm}): {error}", "Последняя ошибка ({crm}): {error}"),
    "crm_retry": ("Try the failed ones again ({crm})", "Повторить неудачные ({crm})"),
    "crm_read_only": (
        "A key that may write is needed to try again.",
        "Чтобы повторить, нужен ключ с правом записи.",
    ),
    # -- login and errors
    "login_title": ("Sign in to the sales dashboard", "Вход в панель отдела продаж"),
    "login_key": ("API key", "Ключ API"),
    "login_hint": (
        "Paste the key your administrator gave you (it starts with fl_). A read key is "
        "enough; the key is not kept in the browser, only a session that ends by itself.",
        "Вставьте ключ, который выдал администратор (начинается с fl_). Достаточно ключа "
        "на чтение; браузер хранит не ключ, а сеанс, который закончится сам.",
    ),
    "login_button": ("Sign in", "Войти"),
    "login_bad_key": (
        "This key is not valid: it is unknown, revoked or mistyped.",
        "Ключ не подходит: он неизвестен, отозван или введён с ошибкой.",
    ),
    "login_no_key": ("Paste a key first.", "Сначала вставьте ключ."),
    "login_link_scope": (
        "Only a read key may open the dashboard from a link, because links are easily "
        "copied. Sign in with this key here instead, or make a read key for the screen.",
        "Открыть панель по ссылке можно только ключом на чтение: ссылки легко скопировать. "
        "Войдите с этим ключом здесь или выпустите для экрана ключ на чтение.",
    ),
    "login_foreign": (
        "The sign-in came from another site and was refused.",
        "Запрос на вход пришёл с другого сайта и отклонён.",
    ),
    "error_title": ("The dashboard cannot show this", "Панель не может это показать"),
    "error_back": ("Back to the dashboard", "Вернуться к панели"),
}


class Words:
    """The dashboard's words in one language.

    Examples
    --------
    >>> Words("ru")("card_alerts_detail", n=2)
    'срочных: 2'
    >>> Words("en")["logout"]
    'Log out'
    """

    def __init__(self, lang: str) -> None:
        self.lang = "ru" if lang == "ru" else "en"
        self._k = 1 if self.lang == "ru" else 0

    def __getitem__(self, key: str) -> str:
        return _WORDS[key][self._k]

    def __call__(self, key: str, **values: str) -> str:
        """The words of ``key`` with ``{name}`` filled in."""
        return _WORDS[key][self._k].format(**values)
