# ruff: noqa: RUF001  (Russian text: Cyrillic letters that look Latin)
"""A CRM's own export of leads read as CRM leads and KPI events, errors naming line and column."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

import fairlead as fl
from fairlead.connectors import history_rows, read_export
from fairlead.kpi import EventLog
from fairlead.records import FileError

BITRIX = (
    '"ID";"Название лида";"Стадия";"Источник";"Ответственный";"Дата создания";'
    '"Дата изменения";"Сумма";"Валюта";\n'
    '"17";"Сайт: заявка";"Качественный лид";"Веб-сайт";"Анна Петрова";"02.11.2026 09:30:00";'
    '"09.11.2026 15:00:00";"12 500,00";"Российский рубль";\n'
    '"18";"Звонок";"Некачественный лид";"Звонок";"Борис Иванов";"02.11.2026 10:00:00";'
    '"03.11.2026 11:00:00";"";"";\n'
    '"19";"Звонок ""VIP""";"В работе";"Звонок";"Анна Петрова";"03.11.2026 10:00";'
    '"03.11.2026 11:00";"5000";"";\n'
)
#: amoCRM: comma-separated, day-month-year with dashes, names repeated in the header.
KOMMO = (
    "ID,Название сделки,Бюджет,Ответственный,Дата создания сделки,Дата закрытия,Этап сделки,"
    "Воронка,Источник,Источник\n"
    "301,Заявка с сайта,70000,Ирина,02-11-2026 09:00:00,05-11-2026 12:00:00,"
    "Успешно реализовано,Основная,сайт,контакт-источник\n"
    "302,Звонок,0,Пётр,02-11-2026 10:00:00,,Первичный контакт,Основная,звонок,\n"
)


def write(tmp_path: Path, text: str, encoding: str = "utf-8-sig", name: str = "leads.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "cp1251"])
def test_a_bitrix24_csv_export_in_any_of_its_encodings(tmp_path, encoding):
    leads = read_export(write(tmp_path, BITRIX, encoding), "bitrix24", timezone="Europe/Moscow")
    assert [(x.crm_id, x.owner, x.stage, x.outcome, x.amount) for x in leads] == [
        ("17", "Анна Петрова", "Качественный лид", "won", 12500.0),
        ("18", "Борис Иванов", "Некачественный лид", "lost", None),
        ("19", "Анна Петрова", "В работе", None, 5000.0),
    ]
    assert leads[2].title == 'Звонок "VIP"'
    assert leads[0].created_at.isoformat() == "2026-11-02T09:30:00+03:00"
    # No closing date in this export: a closed lead closed when it last changed.
    assert leads[0].closed_at.isoformat() == "2026-11-09T15:00:00+03:00"


def test_bitrix24s_excel_export_is_an_html_table(tmp_path):
    html = (
        '<meta http-equiv="Content-type" content="text/html;charset=UTF-8" />'
        '<table border="1"><tr><th>ID</th><th>Статус</th><th>Ответственный</th>'
        "<th>Дата создания</th></tr><tr><td>5</td><td>Качественный лид</td>"
        "<td>Анна</td><td>31.10.2026 18:00:00</td></tr></table>"
    )
    [lead] = read_export(write(tmp_path, html, name="leads.xls"), "bitrix24")
    assert (lead.crm_id, lead.stage, lead.outcome, lead.owner) == (
        "5",
        "Качественный лид",
        "won",
        "Анна",
    )


def test_an_amocrm_export_with_repeated_column_names(tmp_path):
    leads = read_export(write(tmp_path, KOMMO, "utf-8"), "kommo", timezone="Europe/Moscow")
    assert [(x.crm_id, x.outcome, x.amount, x.source) for x in leads] == [
        ("301", "won", 70000.0, "сайт"),  # the lead's own source: the first of the two
        ("302", None, 0.0, "звонок"),
    ]
    assert leads[0].closed_at.isoformat() == "2026-11-05T12:00:00+03:00"


def test_a_teams_own_stage_names_for_won_and_lost(tmp_path):
    text = BITRIX.replace("В работе", "Договор подписан")
    path = write(tmp_path, text)
    assert read_export(path, "bitrix24")[2].outcome is None
    assert read_export(path, "bitrix24", won=["Договор подписан"])[2].outcome == "won"


def test_the_events_of_an_export_are_a_kpi_log(tmp_path):
    leads = read_export(write(tmp_path, BITRIX), "bitrix24", timezone="Europe/Moscow")
    rows = history_rows(leads, "bitrix24")
    log = EventLog.from_records([{**r, "at": datetime.fromtimestamp(r["at"], UTC)} for r in rows])
    assert (log.count("created"), log.count("assigned"), log.count("won"), log.count("lost")) == (
        3, 3, 1, 1,
    )  # fmt: skip
    won = next(r for r in rows if r["type"] == "won")
    assert (won["manager_id"], won["amount"]) == ("Анна Петрова", 12500.0)


@pytest.mark.parametrize(
    ("text", "message", "field"),
    [
        (BITRIX.replace('"Дата создания"', '"Создан"'), "no column 'Дата создания' or", "created"),
        (BITRIX.replace("02.11.2026 10:00:00", "вчера"),
         "line 3, column 'Дата создания': 'вчера' is not a date", "Дата создания"),
        (BITRIX.replace('"5000"', '"пять тысяч"'),
         "line 4, column 'Сумма': 'пять тысяч' is not an amount", "Сумма"),
        (BITRIX.replace('"18";', '"";', 1), "line 3: the lead has no ID", "ID"),
    ],
)  # fmt: skip
def test_what_cannot_be_read_names_the_file_line_column_and_value(tmp_path, text, message, field):
    path = write(tmp_path, text)
    with pytest.raises(FileError, match=message) as err:
        read_export(path, "bitrix24")
    assert err.value.field == field
    assert str(path) in str(err.value)


def test_an_unknown_crm_and_a_missing_file():
    with pytest.raises(
        fl.InputError, match="no export format for CRM 'sugar'; known: bitrix24, kommo"
    ):
        read_export("x.csv", "sugar")
    with pytest.raises(FileError, match=r"nowhere\.csv: cannot be read"):
        read_export("nowhere.csv", "bitrix24")
