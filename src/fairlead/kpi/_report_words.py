# ruff: noqa: RUF001  (Russian text: Cyrillic letters that look Latin)
"""Every fixed text of the report, in English and Russian.

Headings, sentences, column names with their explanations (the page explains every
column it shows), and the data-quality findings by code. Plain words for a head of
sales: what a figure counts and how to read it, never how it is computed inside.
Texts with ``{name}`` fields are filled with numbers already formatted for the
language (:class:`~fairlead.kpi._report_format.Formats`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from fairlead.kpi._report_format import Lang, check_lang

#: Every sentence and heading: key → (English, Russian).
WORDS: Final[dict[str, tuple[str, str]]] = {
    # ---------------------------------------------------------------- the page
    "title": ("Sales report", "Отчёт по продажам"),
    "contents": ("Contents", "Содержание"),
    "covers": ("{span}, by {kind}", "{span}, по {kind}"),
    "as_of": ("Figures as of {now} ({zone} time).", "Данные на {now} (время {zone})."),
    "source": (
        "From {events} events of {file}: {leads} leads, {managers} managers, {clients} clients.",
        "По {events} событиям из {file}: {leads} лидов, {managers} менеджеров, {clients} клиентов.",
    ),
    "in_progress": ("in progress", "ещё идёт"),
    "missing_note": (
        "A dash (—) means there is nothing to measure yet, for example no lead was "
        "contacted in that week.",
        "Прочерк (—) значит, что измерять пока нечего: например, за неделю ни с одним "
        "лидом не связались.",
    ),
    "team": ("Team", "Команда"),
    "by_manager": ("By manager", "По менеджерам"),
    "whole_report": ("whole report", "за весь период"),
    "footer": (
        "Made by fairlead from the CRM's event log. Every figure carries its exact value "
        "(data-value) for checking.",
        "Сделано fairlead по журналу событий CRM. У каждого числа есть точное значение "
        "(data-value) для проверки.",
    ),
    "shown_of": (
        "{shown} of {total} managers shown: {which}. The table lists everyone.",
        "Показаны {shown} из {total} менеджеров: {which}. В таблице — все.",
    ),
    # period kinds: "by week", "this week" ...
    "by_day": ("day", "дням"),
    "by_week": ("week", "неделям"),
    "by_month": ("month", "месяцам"),
    # ------------------------------------------------------------ the headline
    "headline": ("At a glance", "Коротко"),
    "card_revenue": ("Revenue, {span}", "Выручка {span}"),
    "card_no_plan": ("no sales plan given", "план продаж не задан"),
    "card_leads": ("Leads received", "Получено лидов"),
    "card_waiting": ("{n} still waiting for a first contact", "{n} ещё ждут первого контакта"),
    "card_conversion": ("Conversion", "Конверсия"),
    "card_won": ("{won} deals won", "выиграно сделок: {won}"),
    "card_response": ("Median first reply", "Медиана первого ответа"),
    "card_fast": ("{share} within {minutes} min", "{share} — быстрее {minutes} мин"),
    "card_csat": ("Client satisfaction", "Удовлетворённость клиентов"),
    "card_csat_detail": ("out of 5, {n} answers", "из 5, ответов: {n}"),
    "card_alerts": ("Alerts", "Сигналы"),
    "card_alerts_detail": ("{high} urgent", "срочных: {high}"),
    "by_period": ("Team by {kind}", "Команда по {kind}"),
    "revenue_plot": ("Team revenue by {kind} against the plan", "Выручка команды по {kind} и план"),
    # ---------------------------------------------------------------- alerts
    "alerts": ("What needs attention", "Что требует внимания"),
    "alerts_none": ("Nothing needs attention right now.", "Сейчас ничего не требует внимания."),
    "alerts_intro": (
        "Most urgent first. Each line says who, what and by how much.",
        "Сначала самое срочное. В каждой строке — кто, что и насколько.",
    ),
    "severity_high": ("Urgent", "Срочно"),
    "severity_medium": ("Soon", "Скоро"),
    "severity_low": ("Note", "На заметку"),
    # ------------------------------------------------------------ plan vs fact
    "plan": ("Plan and fact by manager", "План и факт по менеджерам"),
    "plan_intro": (
        "Revenue won against the sales plan for {periods}, up to {now}. The forecast adds "
        "what the open deals and the leads still in work are likely to bring, at each "
        "manager's own rates.",
        "Выручка по выигранным сделкам против плана продаж на {periods}, по {now}. "
        "Прогноз добавляет то, что, скорее всего, принесут открытые сделки и лиды в "
        "работе, — по показателям самого менеджера.",
    ),
    "plan_none": (
        "No sales plan was given: the page shows the fact only. Give one with --plan "
        "(columns period, manager_id, revenue).",
        "План продаж не задан: показан только факт. Задайте его через --plan "
        "(столбцы period, manager_id, revenue).",
    ),
    "plan_plot": ("Plan and won so far, {period}", "План и выигранное, {period}"),
    "plan_earlier": ("Earlier plan periods", "Прошлые периоды плана"),
    "attainment_in": ("Won ÷ plan in {period}.", "Выиграно ÷ план за {period}."),
    "card_period_revenue": ("Revenue, {period}", "Выручка, {period}"),
    "card_of_plan": ("{share} of plan {plan}", "{share} плана {plan}"),
    "card_forecast": ("forecast {value}", "прогноз {value}"),
    "plan_which": ("the furthest behind plan", "сильнее всего отстающие от плана"),
    "plan_word": ("Plan", "План"),
    "fact_word": ("Fact", "Факт"),
    # ------------------------------------------------------- decomposition chain
    "chain": ("What the plan takes", "Декомпозиция плана"),
    "chain_intro": (
        "How the revenue plan for {period} turns into deals and leads, at the team's and "
        "each manager's own rates so far. Read from the plan down: each line divides by "
        "the rate of the step before it.",
        "Как план по выручке на {period} превращается в сделки и лиды — по фактическим "
        "показателям команды и каждого менеджера. Читайте сверху вниз: каждая строка "
        "делит на долю перехода с предыдущего шага.",
    ),
    "chain_rates": (
        "The rates come from {window}:",
        "Доли и средний чек взяты за период {window}:",
    ),
    "needed_stage": ("Needed at «{stage}»", "Нужно на этапе «{stage}»"),
    "needed_stage_meaning": (
        "Leads that must reach the stage «{stage}» for the plan.",
        "Сколько лидов должно дойти до этапа «{stage}», чтобы выполнить план.",
    ),
    "chain_none": (
        "Without a sales plan there is nothing to break down.",
        "Без плана продаж раскладывать нечего.",
    ),
    # ------------------------------------------------------------------ funnel
    "funnel": ("Sales funnel", "Воронка продаж"),
    "funnel_intro": (
        "Leads received over the whole report and how far they got. Percentages are of "
        "the step before.",
        "Лиды, полученные за весь период, и как далеко они продвинулись. Проценты — от "
        "предыдущего шага.",
    ),
    "funnel_plot": ("How far the team's leads got", "Как далеко продвинулись лиды команды"),
    "step": ("Step", "Шаг"),
    "step_received": ("Received", "Получено"),
    "step_contacted": ("Contacted", "Связались"),
    "step_won": ("Won", "Выиграно"),
    "stage_rate": (
        "Leads that reached '{stage}', as a share of the step before.",
        "Лиды, дошедшие до этапа «{stage}», как доля от предыдущего шага.",
    ),
    # ---------------------------------------------------------------- response
    "response": ("Speed of first contact", "Скорость первого контакта"),
    "response_intro": (
        "Time from giving a lead to a manager to their first contact with the client. "
        "The first minutes matter most: leads called back within 5 minutes convert "
        "several times better.",
        "Время от передачи лида менеджеру до первого контакта с клиентом. Важнее всего "
        "первые минуты: лиды, которым перезвонили в течение 5 минут, покупают в разы "
        "чаще.",
    ),
    "response_plot": ("How long first contacts took (team)", "Сколько ждали первого контакта"),
    "response_x": ("minutes from assignment to first contact", "минуты от назначения до контакта"),
    "response_y": ("leads", "лиды"),
    "bands_plot": ("First contacts by speed, each manager", "Первые контакты по скорости"),
    "bands_which": ("the slowest", "самые медленные"),
    "band_first": ("within {hi} min", "до {hi} мин"),
    "band_mid": ("{lo}–{hi} min", "{lo}–{hi} мин"),
    "band_last": ("over {lo} min", "больше {lo} мин"),
    "tick_1": ("1 min", "1 мин"),
    "tick_5": ("5", "5"),
    "tick_15": ("15", "15"),
    "tick_60": ("1 h", "1 ч"),
    "tick_240": ("4 h", "4 ч"),
    "tick_1440": ("1 day", "1 день"),
    "tick_10080": ("1 week", "1 неделя"),
    # ------------------------------------------------------------------ shares
    "shares": ("Fair share of leads and value", "Справедливое распределение лидов"),
    "shares_intro": (
        "Each manager should get a fair share of the leads and of their value "
        "({basis}). 1.00 is exactly the fair share; red is below it, blue above.",
        "Каждый менеджер должен получать справедливую долю лидов и их ценности "
        "({basis}). 1,00 — ровно справедливая доля; красный — меньше, синий — больше.",
    ),
    "basis_capacity": ("by capacity", "по загрузке, которую он может вести"),
    "basis_equal": ("equal shares", "поровну"),
    "basis_given": ("as given", "как задано"),
    "leads_heatmap": (
        "Leads received ÷ fair share, by {kind}",
        "Полученные лиды ÷ справедливая доля, по {kind}",
    ),
    "value_heatmap": (
        "Value received ÷ fair share, by {kind}",
        "Ценность лидов ÷ справедливая доля, по {kind}",
    ),
    "shares_which": ("the furthest from their fair share", "сильнее всего отклонившиеся от доли"),
    "evenness_plot": ("How even the split was, by {kind}", "Насколько ровно делили, по {kind}"),
    # ------------------------------------------------------------------ rating
    "rating": ("Manager rating", "Рейтинг менеджеров"),
    "rating_intro": (
        "Over {window}. Each figure is compared with the team's: 1.00 is the team's "
        "level, 1.20 is 20 % better, and no part counts for more than 2.00. The score "
        "adds the parts up with these weights: {weights}. Conversion is taken with the "
        "fair view (adjusted for how few leads a manager had), and a part with too few "
        "answers or contacts is left out, its weight shared by the others.",
        "За период {window}. Каждый показатель сравнивается с командным: 1,00 — уровень "
        "команды, 1,20 — на 20 % лучше, и ни одна часть не даёт больше 2,00. Итоговый балл "
        "складывает части с весами: {weights}. Конверсия берётся с поправкой на число "
        "лидов, а часть, где слишком мало ответов или контактов, не учитывается — её вес "
        "делят остальные.",
    ),
    "rating_ties": (
        "Equal scores (to three decimals) are a tie: the higher plan done ranks first, "
        "then the higher conversion, then the id.",
        "Равные баллы (до трёх знаков) — ничья: выше тот, у кого больше выполнение плана, "
        "затем — конверсия, затем — идентификатор.",
    ),
    "part_plan": ("plan done", "выполнение плана"),
    "part_conversion": ("conversion", "конверсия"),
    "part_response": ("speed of first reply", "скорость первого ответа"),
    "part_csat": ("client satisfaction", "удовлетворённость клиентов"),
    "rating_none": ("No manager has enough data to rate.", "Ни у кого нет данных для рейтинга."),
    # ----------------------------------------------------------------- clients
    "clients": ("Client satisfaction and retention", "Удовлетворённость и удержание клиентов"),
    "clients_intro": (
        "What clients said after their deal, and how the existing clients were looked "
        "after: kept, lost, and the planned touches made.",
        "Что клиенты сказали после сделки и как велась работа с действующими клиентами: "
        "сколько осталось, сколько ушло, сколько запланированных касаний сделано.",
    ),
    "feedback_table": ("Feedback", "Отзывы"),
    "retention_table": ("Existing clients", "Действующие клиенты"),
    "touch_more": (
        "Clients you touched stayed {points} points more often: {touched} of the "
        "{n_touched} clients with a touch were kept, against {untouched} of the "
        "{n_untouched} without one.",
        "Клиенты, с которыми связывались, оставались на {points} п.\u00a0п. чаще: "
        "удержано {touched} из {n_touched} клиентов с касанием против {untouched} из "
        "{n_untouched} без касания.",
    ),
    "touch_less": (
        "Clients you touched stayed {points} points less often: {touched} of the "
        "{n_touched} clients with a touch were kept, against {untouched} of the "
        "{n_untouched} without one.",
        "Клиенты, с которыми связывались, оставались на {points} п.\u00a0п. реже: "
        "удержано {touched} из {n_touched} клиентов с касанием против {untouched} из "
        "{n_untouched} без касания.",
    ),
    "touch_same": (
        "Clients you touched stayed as often as the others: {touched} of the "
        "{n_touched} clients with a touch were kept, and {untouched} of the "
        "{n_untouched} without one.",
        "Клиенты, с которыми связывались, оставались так же часто, как остальные: "
        "удержано {touched} из {n_touched} клиентов с касанием и {untouched} из "
        "{n_untouched} без касания.",
    ),
    "touch_none": (
        "Clients with and without a touch cannot be compared yet: {n_touched} active "
        "clients had a touch, {n_untouched} had none.",
        "Клиентов с касанием и без него пока не сравнить: касание было у {n_touched} "
        "активных клиентов, не было — у {n_untouched}.",
    ),
    "touch_caution": (
        "This compares clients, not an experiment: managers may touch the clients who "
        "were about to buy anyway, or those at risk, so the gap is not all the touches' "
        "doing; and a gap from a few dozen clients can be chance.",
        "Это сравнение клиентов, а не эксперимент: менеджеры могут связываться с теми, "
        "кто и так собирался купить, или с теми, кто готов уйти, так что разница — не "
        "только заслуга касаний; а разница на нескольких десятках клиентов может быть "
        "случайной.",
    ),
    # ----------------------------------------------------------------- quality
    "quality": ("Data quality", "Качество данных"),
    "quality_ok": (
        "The event log passed every check: {events} events from {rows} rows.",
        "Журнал событий прошёл все проверки: {events} событий из {rows} строк.",
    ),
    "quality_intro": (
        "{events} events from {rows} rows. What the checks found, and what was done "
        "about it (nothing is fixed silently):",
        "{events} событий из {rows} строк. Что нашли проверки и что с этим сделано "
        "(ничего не исправляется молча):",
    ),
    "examples": ("e.g. {ids}", "например: {ids}"),
    # ---------------------------------------------------------------- glossary
    "glossary": ("What each column means", "Что означает каждый столбец"),
    "glossary_intro": (
        "Every column of the tables above, in the order they first appear.",
        "Все столбцы таблиц выше, в порядке их появления.",
    ),
    "columns": ("Columns", "Столбцы"),
    "glossary_column": ("Column", "Столбец"),
    "glossary_meaning": ("What it means", "Что означает"),
}

#: Every column: key → (English name, Russian name, English meaning, Russian meaning).
COLUMNS: Final[dict[str, tuple[str, str, str, str]]] = {
    "manager": (
        "Manager",
        "Менеджер",
        "The manager's id in the CRM; the last row is the whole team.",
        "Идентификатор менеджера в CRM; последняя строка — вся команда.",
    ),
    "period": (
        "Period",
        "Период",
        "The day, week (Monday to Sunday) or month.",
        "День, неделя (с понедельника по воскресенье) или месяц.",
    ),
    "step": (
        "Step",
        "Шаг",
        "A step of the funnel, in order.",
        "Шаг воронки, по порядку.",
    ),
    "leads": (
        "Leads",
        "Лидов",
        "How many leads reached this step.",
        "Сколько лидов дошли до этого шага.",
    ),
    "of_previous": (
        "Of previous step",
        "От предыдущего шага",
        "This step's leads as a share of the step before.",
        "Лиды этого шага как доля от предыдущего.",
    ),
    "of_received": (
        "Of received",
        "От полученных",
        "This step's leads as a share of all leads received.",
        "Лиды этого шага как доля от всех полученных.",
    ),
    "leads_received": (
        "Leads",
        "Лиды",
        "Leads the manager received (a lead passed on to a colleague counts for both).",
        "Лиды, которые получил менеджер (переданный коллеге лид считается у обоих).",
    ),
    "leads_contacted": (
        "Contacted",
        "Связались",
        "Of those leads, how many the manager has contacted.",
        "Со сколькими из этих лидов менеджер уже связался.",
    ),
    "leads_waiting": (
        "Waiting",
        "Ждут",
        "Leads received and still not contacted.",
        "Полученные лиды, с которыми ещё не связались.",
    ),
    "leads_reassigned": (
        "Passed on",
        "Переданы",
        "Leads taken from the manager and given to a colleague.",
        "Лиды, которые забрали у менеджера и передали коллеге.",
    ),
    "response_p50": (
        "Median reply",
        "Медиана ответа",
        "Half of the first contacts came faster than this (from getting the lead to the "
        "first contact).",
        "Половина первых контактов была быстрее этого (от получения лида до первого контакта).",
    ),
    "response_p90": (
        "9 in 10 within",
        "9 из 10 быстрее",
        "Nine first contacts in ten came faster than this: the slow tail.",
        "Девять первых контактов из десяти были быстрее этого: медленный «хвост».",
    ),
    "sla_share_fast": (
        "Within {minutes} min, %",
        "До {minutes} мин, %",
        "Share of first contacts made within {minutes} minutes.",
        "Доля первых контактов в течение {minutes} минут.",
    ),
    "sla_band": (
        "{band}",
        "{band}",
        "How many first contacts took {band}.",
        "Сколько первых контактов заняли {band}.",
    ),
    "won": (
        "Won",
        "Выиграно",
        "Deals won.",
        "Выигранные сделки.",
    ),
    "lost": (
        "Lost",
        "Проиграно",
        "Deals lost.",
        "Проигранные сделки.",
    ),
    "win_rate": (
        "Win rate",
        "Доля побед",
        "Won deals out of all closed deals (won and lost).",
        "Выигранные сделки из всех закрытых (выигранных и проигранных).",
    ),
    "conversion": (
        "Conversion",
        "Конверсия",
        "Share of the leads received that were won.",
        "Доля полученных лидов, которые закончились сделкой.",
    ),
    "conversion_shrunk": (
        "Conversion, fair view",
        "Конверсия с поправкой",
        "Conversion adjusted for how few leads the manager had: with few leads it is "
        "pulled towards the team's, so a lucky or unlucky streak does not decide.",
        "Конверсия с поправкой на число лидов: при малом числе лидов она подтягивается "
        "к командной, чтобы случайная удача или неудача не решала.",
    ),
    "conversion_range": (
        "Likely range",
        "Вероятный диапазон",
        "Where the manager's real conversion most likely lies (9 chances in 10). Wide "
        "when there were few leads.",
        "Где, скорее всего, лежит настоящая конверсия менеджера (9 шансов из 10). "
        "Широкий, когда лидов было мало.",
    ),
    "revenue": (
        "Revenue",
        "Выручка",
        "Amount of the deals won.",
        "Сумма выигранных сделок.",
    ),
    "avg_deal": (
        "Average deal",
        "Средний чек",
        "Revenue ÷ deals won.",
        "Выручка ÷ число выигранных сделок.",
    ),
    "pipeline": (
        "Open deals",
        "Открытые сделки",
        "Expected value of the deals still open at the end.",
        "Ожидаемая сумма сделок, ещё открытых на конец периода.",
    ),
    "plan_revenue": (
        "Plan",
        "План",
        "Revenue planned for the months (or weeks) of the report up to now.",
        "Плановая выручка за месяцы (или недели) отчёта по сегодняшний день.",
    ),
    "won_so_far": (
        "Won",
        "Выиграно",
        "Revenue of the deals won in the plan period so far.",
        "Выручка по сделкам, выигранным за период плана на сегодня.",
    ),
    "left_to_win": (
        "Left to win",
        "Осталось",
        "Plan minus won: what is still to be sold (0 when the plan is met).",
        "План минус выигранное: сколько ещё нужно продать (0, если план выполнен).",
    ),
    "plan_total": (
        "Plan, total",
        "План, всего",
        "The plans of the periods shown, added up.",
        "Сумма планов показанных периодов.",
    ),
    "won_total": (
        "Won, total",
        "Выиграно, всего",
        "Revenue won in the periods shown.",
        "Выручка за показанные периоды.",
    ),
    "avg_deal_history": (
        "Average deal",
        "Средний чек",
        "Revenue ÷ deals won in the weeks the rates come from.",
        "Выручка ÷ число выигранных сделок за период, по которому взяты доли.",
    ),
    "needed_deals": (
        "Deals needed",
        "Нужно сделок",
        "Plan ÷ average deal.",
        "План ÷ средний чек.",
    ),
    "needed_contacted": (
        "Contacts needed",
        "Нужно контактов",
        "Leads that must be contacted for the plan.",
        "Со сколькими лидами нужно связаться, чтобы выполнить план.",
    ),
    "needed_leads": (
        "Leads needed",
        "Нужно лидов",
        "Leads that must come in for the plan.",
        "Сколько лидов должно поступить, чтобы выполнить план.",
    ),
    "leads_this_week": (
        "Leads needed this week",
        "Нужно лидов на этой неделе",
        "The week's part of the leads needed, by its working days.",
        "Доля нужных лидов, приходящаяся на эту неделю по рабочим дням.",
    ),
    "attainment": (
        "Done",
        "Выполнено",
        "Revenue ÷ plan.",
        "Выручка ÷ план.",
    ),
    "gap": (
        "Left to plan",
        "До плана",
        "Plan minus revenue: what is still to be won (0 when the plan is met).",
        "План минус выручка: сколько ещё нужно выиграть (0, если план выполнен).",
    ),
    "forecast": (
        "Forecast",
        "Прогноз",
        "Revenue so far plus what the open deals and leads in work are likely to bring.",
        "Выручка на сегодня плюс вероятный результат открытых сделок и лидов в работе.",
    ),
    "forecast_vs_plan": (
        "Forecast ÷ plan",
        "Прогноз ÷ план",
        "Where the manager is likely to end against the plan.",
        "Где менеджер, скорее всего, окажется относительно плана.",
    ),
    "target_share": (
        "Fair share",
        "Справедливая доля",
        "The share of the team's leads the manager should get.",
        "Доля лидов команды, которую менеджер должен получать.",
    ),
    "leads_share": (
        "Share of leads",
        "Доля лидов",
        "The share of the team's leads the manager got.",
        "Доля лидов команды, которую менеджер получил.",
    ),
    "value_share": (
        "Share of value",
        "Доля ценности",
        "The share of the team's expected deal value the manager got.",
        "Доля ожидаемой суммы сделок команды, которую менеджер получил.",
    ),
    "leads_vs_target": (
        "Leads ÷ fair share",
        "Лиды ÷ доля",
        "1.00 is exactly fair; 0.80 means 20 % fewer leads than fair.",
        "1,00 — ровно справедливо; 0,80 — на 20 % меньше лидов, чем положено.",
    ),
    "value_vs_target": (
        "Value ÷ fair share",
        "Ценность ÷ доля",
        "The same for the value of the leads: it shows whether the manager got good "
        "leads or only many.",
        "То же для ценности лидов: видно, получал ли менеджер хорошие лиды или только много.",
    ),
    "gini_leads": (
        "Unevenness of leads",
        "Неравномерность лидов",
        "0 when every manager got exactly their fair share; the higher, the more uneven "
        "(the Gini index; above 0.2 is worth a look).",
        "0, когда каждый получил ровно свою долю; чем выше, тем неравномернее (индекс "
        "Джини; выше 0,2 стоит разобраться).",
    ),
    "jain_leads": (
        "Evenness of leads",
        "Равномерность лидов",
        "1 when every manager got exactly their fair share; lower means less even (Jain's index).",
        "1, когда каждый получил ровно свою долю; ниже — менее равномерно (индекс Джейна).",
    ),
    "gini_value": (
        "Unevenness of value",
        "Неравномерность ценности",
        "The same as unevenness of leads, for the value of the leads.",
        "То же, что неравномерность лидов, но для ценности лидов.",
    ),
    "overload_days": (
        "Overloaded days",
        "Дни перегрузки",
        "Days on which the manager held more open leads than they can work.",
        "Дни, когда у менеджера было больше открытых лидов, чем он может вести.",
    ),
    "csat": (
        "Satisfaction",
        "Удовлетворённость",
        "Average answer of clients to 'how satisfied are you', from 1 to 5.",
        "Средняя оценка клиентов «насколько вы довольны», от 1 до 5.",
    ),
    "csat_count": (
        "Answers",
        "Ответов",
        "How many clients answered the satisfaction question.",
        "Сколько клиентов ответили на вопрос об удовлетворённости.",
    ),
    "nps": (
        "NPS",
        "NPS",
        "Would clients recommend us: the share of 9–10 answers minus the share of 0–6 "
        "answers, from −100 to 100.",
        "Порекомендуют ли нас клиенты: доля ответов 9–10 минус доля ответов 0–6, от −100 до 100.",
    ),
    "nps_count": (
        "NPS answers",
        "Ответов NPS",
        "How many clients answered the recommendation question.",
        "Сколько клиентов ответили на вопрос о рекомендации.",
    ),
    "complaints": (
        "Complaints",
        "Жалобы",
        "Complaints from clients.",
        "Жалобы клиентов.",
    ),
    "complaint_rate": (
        "Per 100 leads",
        "На 100 лидов",
        "Complaints for every 100 leads received.",
        "Жалоб на каждые 100 полученных лидов.",
    ),
    "clients_now": (
        "Active clients",
        "Активные клиенты",
        "Existing clients who bought within the last {days} days, now.",
        "Действующие клиенты с покупкой за последние {days} дней, на сегодня.",
    ),
    "clients": (
        "Active at the start",
        "Активных на начало",
        "Existing clients who had bought within {days} days when the report begins.",
        "Действующие клиенты с покупкой в пределах {days} дней на начало отчёта.",
    ),
    "clients_churned": (
        "Lost",
        "Ушли",
        "Clients who went {days} days without a purchase during the report.",
        "Клиенты, у которых за время отчёта прошло {days} дней без покупки.",
    ),
    "retention": (
        "Retention",
        "Удержание",
        "Of the clients active at the start, the share still active now.",
        "Доля клиентов, активных на начало, которые активны и сейчас.",
    ),
    "retention_touched": (
        "Retention, touched",
        "Удержание с касанием",
        "Of the clients active at the start whom their manager touched during the report "
        "(or within the {days} days before its end), the share still active now.",
        "Доля клиентов, активных на начало, с которыми их менеджер связался за время "
        "отчёта (или за {days} дней до его конца), которые активны и сейчас.",
    ),
    "retention_untouched": (
        "Retention, not touched",
        "Удержание без касания",
        "The same for the clients active at the start whom their manager did not touch.",
        "То же для клиентов, активных на начало, с которыми их менеджер не связывался.",
    ),
    "touch_gap": (
        "Difference",
        "Разница",
        "Retention of the touched clients minus that of the others, in percentage "
        "points: a comparison of clients, not an experiment; shown when each side has at "
        "least 10 clients.",
        "Удержание клиентов с касанием минус удержание остальных, в процентных пунктах: "
        "сравнение клиентов, а не эксперимент; показана, когда с каждой стороны не "
        "меньше 10 клиентов.",
    ),
    "touches_planned": (
        "Touches planned",
        "Касаний в плане",
        "Planned contacts with existing clients.",
        "Запланированные контакты с действующими клиентами.",
    ),
    "touches_done": (
        "Touches done",
        "Касаний сделано",
        "Planned contacts actually made.",
        "Сколько запланированных контактов сделано.",
    ),
    "touch_completion": (
        "Touches done, %",
        "Сделано, %",
        "Touches done ÷ touches planned.",
        "Сделанные касания ÷ запланированные.",
    ),
    "rank": (
        "Place",
        "Место",
        "Place in the rating, best first (ties are ordered as said under the table).",
        "Место в рейтинге, лучшие сверху (порядок при ничьей — под таблицей).",
    ),
    "rating_score": (
        "Score",
        "Балл",
        "The parts on the right added up with their weights; 1.00 is the team's level.",
        "Части справа, сложенные с их весами; 1,00 — уровень команды.",
    ),
    "rating_plan": (
        "Plan done",
        "Выполнение плана",
        "Revenue ÷ plan for the days so far, then → its score against the team.",
        "Выручка ÷ план на прошедшие дни, затем → оценка относительно команды.",
    ),
    "rating_conversion": (
        "Conversion",
        "Конверсия",
        "Conversion, fair view, then → its score against the team.",
        "Конверсия с поправкой, затем → оценка относительно команды.",
    ),
    "rating_response": (
        "Median reply",
        "Медиана ответа",
        "Median time to the first contact, then → its score against the team (faster "
        "scores higher).",
        "Медиана времени до первого контакта, затем → оценка относительно команды "
        "(быстрее — выше).",
    ),
    "rating_csat": (
        "Satisfaction",
        "Удовлетворённость",
        "Average client answer from 1 to 5, then → its score against the team.",
        "Средняя оценка клиентов от 1 до 5, затем → оценка относительно команды.",
    ),
    "rating_note": (
        "Note",
        "Примечание",
        "What the row leaves out, and ties.",
        "Что не учтено в строке, и ничьи.",
    ),
    "severity": (
        "How urgent",
        "Срочность",
        "Urgent: act today. Soon: this week. Note: worth knowing.",
        "Срочно — сегодня. Скоро — на этой неделе. На заметку — стоит знать.",
    ),
    "what": (
        "What",
        "Что",
        "What happened, with the figures.",
        "Что произошло, с цифрами.",
    ),
}

#: The data-quality findings in Russian, by code (English: the finding's own message).
FINDINGS_RU: Final[dict[str, str]] = {
    "rows_out_of_order": (
        "{count} строк идут раньше по времени, чем строка перед ними: журнал "
        "отсортирован по времени."
    ),
    "duplicate_events": (
        "{count} строк в точности повторяют более раннюю строку: каждое событие учтено один раз."
    ),
    "unknown_leads": (
        "У {count} лидов есть события, но нет строки о создании (created): они учтены "
        "как созданные до начала журнала, без времени до назначения."
    ),
    "contact_before_assignment": (
        "С {count} лидами связались раньше, чем их назначили менеджеру: их время ответа "
        "измерить нельзя, оно не учтено."
    ),
    "contact_without_assignment": (
        "С {count} лидами связались, но их так и не назначили менеджеру: их время ответа не учтено."
    ),
    "closed_twice": ("{count} лидов закрыты больше одного раза: учитывается первое закрытие."),
}


class Words:
    """The texts of one language.

    Examples
    --------
    >>> Words("ru")["title"], Words("en")("card_waiting", n="3")
    ('Отчёт по продажам', '3 still waiting for a first contact')
    >>> Words("ru").column("revenue")[0]
    'Выручка'
    """

    def __init__(self, lang: str = "en") -> None:
        self.lang: Lang = check_lang(lang)
        self._k = 0 if self.lang == "en" else 1

    def __getitem__(self, key: str) -> str:
        return WORDS[key][self._k]

    def __call__(self, key: str, **values: str) -> str:
        """The text of ``key`` with its ``{fields}`` filled in."""
        return WORDS[key][self._k].format(**values)

    def column(self, key: str, **values: str) -> tuple[str, str]:
        """A column's name and its explanation, fields filled in."""
        entry = COLUMNS[key]
        name, meaning = (entry[0], entry[2]) if self.lang == "en" else (entry[1], entry[3])
        return name.format(**values), meaning.format(**values)

    def finding(self, code: str, count: str, message: str) -> str:
        """A data-quality finding in this language (the English message as given)."""
        if self.lang == "ru" and code in FINDINGS_RU:
            return FINDINGS_RU[code].format(count=count)
        return message

    def table(self) -> Mapping[str, str]:
        """Every text of this language by key (for the template and for tests)."""
        return {key: pair[self._k] for key, pair in WORDS.items()}
