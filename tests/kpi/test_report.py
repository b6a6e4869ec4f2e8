# ruff: noqa: RUF001  (Russian text, typographic dashes)
"""The head of sales' report as a file: self-contained, escaped, in two languages, and
every figure on it equal to what the KPI functions say.

No browser here (see test_report_browser.py): the HTML is read with the standard
library's parser.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from fairlead import kpi
from fairlead.kpi._report_words import COLUMNS, WORDS
from fairlead.records import FileError, InputError
from fairlead.sim import RoundRobin, SimConfig, event_log, make_world, simulate

START = datetime(2026, 8, 31)


# ---------------------------------------------------------------------------- the data


@pytest.fixture(scope="module")
def log() -> kpi.EventLog:
    """Four simulated weeks of a team of five (round robin), as an event log.

    Two rows are given twice, so the data-quality section has a finding to show.
    """
    world = make_world(SimConfig(n_managers=5, weeks=4, leads_per_weekday=12), seed=3)
    record = simulate(world, RoundRobin())
    columns = event_log(record, start=START, seed=3)
    twice = {name: np.concatenate([values, values[10:12]]) for name, values in columns.items()}
    return kpi.EventLog.from_columns(twice)


@pytest.fixture(scope="module")
def plan_rows(log: kpi.EventLog) -> list[dict[str, Any]]:
    """A monthly plan per manager, somewhat above what each sold."""
    rows = []
    for k, manager in enumerate(sorted(log.manager_ids)):
        for month in ("2026-09", "2026-10"):
            rows.append({"period": month, "manager_id": manager, "revenue": 8000 + 1000 * k})
    return rows


@pytest.fixture(scope="module")
def english(log: kpi.EventLog, plan_rows: list[dict[str, Any]]) -> str:
    return kpi.report(log, plan_rows, period="week")


@pytest.fixture(scope="module")
def russian(log: kpi.EventLog, plan_rows: list[dict[str, Any]]) -> str:
    return kpi.report(log, plan_rows, period="week", lang="ru")


# ------------------------------------------------------------------------ reading HTML


class Page(HTMLParser):
    """The figures (elements with data-metric), the visible text, tags and attributes."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.figures: dict[tuple[str, str, str], list[tuple[float, str]]] = defaultdict(list)
        self.text: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self._open: list[tuple[str, dict[str, str | None], list[str]]] = []
        self._skip = 0
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self.tags.append((tag, found))
        if tag in ("svg", "style"):
            self._skip += 1
        if tag in ("meta", "link", "br", "img", "input"):
            return
        self._open.append((tag, found, []))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("svg", "style"):
            self._skip -= 1
        while self._open:
            name, found, parts = self._open.pop()
            text = "".join(parts)
            if self._open:
                self._open[-1][2].append(text)
            if "data-metric" in found:
                key = (found["data-metric"], found["data-manager"], found["data-period"])
                self.figures[key].append((float(found["data-value"]), squeeze(text)))
            if name == tag:
                break

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        self.text.append(data)
        if self._open:
            self._open[-1][2].append(data)

    def value(self, metric: str, manager: str = "", period: str = "all") -> float:
        values = {v for v, _ in self.figures[(metric, manager, period)]}
        assert len(values) == 1, (metric, manager, period, values)
        return values.pop()

    def shown(self, metric: str, manager: str = "", period: str = "all") -> str:
        return self.figures[(metric, manager, period)][0][1]

    def visible(self) -> str:
        return squeeze(" ".join(self.text))


def squeeze(text: str) -> str:
    """Runs of ASCII white space as one space (a no-break space stays: it is content)."""
    return re.sub(r"[ \t\r\n]+", " ", text).strip()


def same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


# ----------------------------------------------------------------- self-contained page


def test_one_self_contained_page(english: str) -> None:
    assert english.startswith('<!DOCTYPE html>\n<html lang="en">')
    # nothing to fetch: no address at all, no script, no external style or font
    assert "http://" not in english
    assert "https://" not in english
    assert "<script" not in english.lower()
    assert "@import" not in english
    assert "@font-face" not in english
    page = Page(english)
    for tag, attrs in page.tags:
        for name in ("src", "href"):
            target = attrs.get(name)
            if target is not None:
                assert target.startswith(("#", "data:")), (tag, name, target)
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
    # every figure keeps its exact value, and the page is of a reasonable size
    assert len(page.figures) > 200
    assert len(english.encode()) < 1_500_000


def test_the_same_input_gives_the_same_page(
    log: kpi.EventLog, plan_rows: list[dict[str, Any]], english: str
) -> None:
    assert kpi.report(log, plan_rows, period="week") == english


def test_every_column_of_every_table_is_explained(english: str) -> None:
    page = Page(english)
    headers = [attrs.get("title") for tag, attrs in page.tags if tag == "th" and "scope" in attrs]
    column_headers = [t for t in headers if t is not None]
    assert column_headers
    assert all(t.strip() for t in column_headers)
    glossary = english[english.index('id="glossary"') :]
    for label in re.findall(r'<th scope="col" title=[^>]*>([^<]+)</th>', english):
        if label not in ("Column", "What it means"):
            assert f'<th scope="row">{label}</th>' in glossary, label


# ---------------------------------------------------------------- figures = functions


def test_figures_equal_the_kpi_functions(log: kpi.EventLog, english: str) -> None:
    kpis = kpi.compute(log, "week")
    page = Page(english)
    for metric in ("revenue", "leads_received", "won", "conversion", "response_p50", "csat"):
        assert same(page.value(metric), kpis.total(metric)), metric
    for manager in kpis.manager_ids:
        for metric in ("leads_received", "conversion", "response_p50", "leads_vs_target"):
            assert same(page.value(metric, manager), kpis.total(metric, manager))
    for k in range(kpis.periods.size):
        label = kpis.periods.label(k)
        for metric in ("revenue", "leads_received", "gini_leads"):
            assert same(page.value(metric, "", label), kpis.value(metric, None, k))
    # shown sensibly rounded
    assert page.shown("revenue") == f"{kpis.total('revenue'):,.0f}"
    conversion = 100 * kpis.total("conversion")
    digits = 0 if conversion >= 9.95 else 1
    assert page.shown("conversion") == f"{conversion:.{digits}f}%"


def test_rating_order_alerts_and_plan_equal_the_functions(
    log: kpi.EventLog, plan_rows: list[dict[str, Any]], english: str
) -> None:
    kpis = kpi.compute(log, "week")
    page = Page(english)
    rated = kpi.rating(kpis, plan_rows)
    order = re.findall(r'data-metric="rating:score" data-manager="([^"]*)"', english)
    assert order[: len(rated.rows)] == [row.manager_id for row in rated.rows]
    for row in rated.rows:
        period = f"{rated.start}..{rated.end.fromordinal(rated.end.toordinal() - 1)}"
        assert same(page.value("rating:score", row.manager_id, period), row.score)
        assert same(page.value("rating:rank", row.manager_id, period), row.rank)
    found = kpi.alerts(kpis, plan_rows)
    assert page.value("alerts") == len(found)
    shown = [key for key in page.figures if key[0].startswith("alert:")]
    assert sum(len(page.figures[key]) for key in shown) == len(found)
    decomposition = kpi.decompose(plan_rows, kpis)
    for chain in decomposition.chains:
        if chain.check is None:
            continue
        who = chain.manager_id or ""
        key = ("plan:won", who, chain.period)
        if key in page.figures:
            assert same(page.value(*key), chain.check.won)


def test_russian_figures_are_the_same_numbers_written_the_russian_way(
    english: str, russian: str
) -> None:
    en, ru = Page(english), Page(russian)
    assert en.figures.keys() == ru.figures.keys()
    for key, values in en.figures.items():
        assert [v for v, _ in values] == [v for v, _ in ru.figures[key]] or all(
            same(a, b) for (a, _), (b, _) in zip(values, ru.figures[key], strict=True)
        )
    revenue = ru.shown("revenue")
    assert "," not in revenue
    assert "\u00a0" in revenue
    assert ru.shown("conversion").endswith("\u00a0%")


# ------------------------------------------------------------------------- languages


def test_the_russian_page_has_no_english_words_left(russian: str) -> None:
    assert '<html lang="ru">' in russian
    visible = Page(russian).visible()
    english = [pair[0] for pair in WORDS.values()]
    english += [entry[0] for entry in COLUMNS.values()] + [e[2] for e in COLUMNS.values()]
    left = []
    for text in english:
        # the fixed part of each text (between its {fields}), if it is a word or more
        for piece in re.split(r"\{[^}]*\}", text):
            piece = piece.strip(" .,:;()—–-")
            if re.search(r"[A-Za-z]{4,}", piece) and piece in visible:
                left.append(piece)
    assert left == []
    assert "Отчёт по продажам" in visible
    assert "Воронка продаж" in visible


def test_data_quality_findings_in_both_languages(english: str, russian: str) -> None:
    assert Page(english).value("quality:duplicate_events") == 2.0
    assert "2 rows repeat an earlier row exactly" in Page(english).visible()
    assert "2 строк в точности повторяют более раннюю строку" in Page(russian).visible()


def test_months_and_decimals_in_russian(russian: str) -> None:
    visible = Page(russian).visible()
    assert re.search(r"\d+ (сентября|октября) 2026", visible)
    assert "Sep" not in visible
    assert "Oct" not in visible


# -------------------------------------------------------------------------- escaping


def test_text_from_the_crm_is_shown_as_text() -> None:
    evil = "<script>alert(1)</script>"
    rows = [
        {"type": "created", "at": "2026-11-02T09:00", "lead_id": "l-1", "deal_value": 500},
        {"type": "assigned", "at": "2026-11-02T09:01", "lead_id": "l-1", "manager_id": evil},
        {"type": "contacted", "at": "2026-11-02T09:05", "lead_id": "l-1"},
        {"type": "stage", "at": "2026-11-03T09:00", "lead_id": "l-1", "stage": '"><img src=x>'},
        {"type": "won", "at": "2026-11-04T12:00", "lead_id": "l-1"},
    ]
    managers = [{"id": evil, "name": "<b onmouseover=alert(2)>Eve</b>", "max_active_leads": 5}]
    html = kpi.report(kpi.EventLog.from_records(rows), managers=managers)
    assert "<script" not in html
    assert "<b " not in html
    assert "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    page = Page(html)
    assert page.value("leads_received", evil) == 1.0  # the id kept exactly in data-manager
    assert "<b onmouseover=alert(2)>Eve</b> (<script>alert(1)</script>)" in page.visible()
    for tag, attrs in page.tags:
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)


# ----------------------------------------------------------------------------- files


def test_written_atomically(tmp_path: Path) -> None:
    log = kpi.EventLog.from_records(
        [
            {"type": "created", "at": "2026-11-02T09:00", "lead_id": "l-1"},
            {"type": "assigned", "at": "2026-11-02T09:01", "lead_id": "l-1", "manager_id": "m"},
        ]
    )
    out = tmp_path / "report.html"
    out.write_text("old report")
    html = kpi.report(log, out=out)
    assert out.read_text(encoding="utf-8") == html
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]
    with pytest.raises(FileError, match="does not exist"):
        kpi.report(log, out=tmp_path / "missing" / "report.html")


def test_a_path_to_the_event_log_is_read(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text(
        "type,at,lead_id,manager_id\n"
        "created,2026-11-02T09:00,l-1,\n"
        "assigned,2026-11-02T09:01,l-1,m-1\n",
        encoding="utf-8",
    )
    assert 'data-metric="leads_received" data-manager="m-1"' in kpi.report(path)


# ---------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"period": "year"}, "period must be one of day, week, month, got 'year'"),
        ({"lang": "de"}, "lang must be 'en' or 'ru', got 'de'"),
        ({"timezone": "Mars/Olympus"}, "must be an IANA time zone"),
        ({"now": "2020-01-01"}, "the log cannot know the future"),
        ({"managers": [{"id": "x"}]}, "max_active_leads"),
    ],
)
def test_bad_arguments_are_named(log: kpi.EventLog, kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(InputError, match=re.escape(message)):
        kpi.report(log, **kwargs)


def test_not_an_event_log() -> None:
    with pytest.raises(InputError, match="log must be an EventLog or the path"):
        kpi.report(np.zeros(3))  # type: ignore[arg-type]


def test_touched_and_untouched_are_compared_only_with_ten_clients_on_each_side() -> None:
    # Manager "a": 12 clients touched, 12 not; manager "b": 12 touched, 2 not.
    rows: list[dict[str, Any]] = []
    for manager, untouched in (("a", 12), ("b", 2)):
        for k in range(12 + untouched):
            client = f"{manager}{k}"
            rows.append(
                {
                    "type": "purchase",
                    "at": "2026-07-01",
                    "client_id": client,
                    "manager_id": manager,
                    "amount": 10.0,
                }
            )
            if k < 12:
                rows.append(
                    {
                        "type": "touch_done",
                        "at": "2026-09-02",
                        "client_id": client,
                        "manager_id": manager,
                    }
                )
            if k % 2 == 0:  # half of each group buys again and is kept
                rows.append(
                    {
                        "type": "purchase",
                        "at": "2026-09-10",
                        "client_id": client,
                        "manager_id": manager,
                        "amount": 10.0,
                    }
                )
    log = kpi.EventLog.from_records(rows)
    page = Page(kpi.report(log, since="2026-09-01", now="2026-10-31", period="month"))
    kpis = kpi.compute(log, "month", since="2026-09-01", now="2026-10-31")
    gap_a = kpis.total("retention_touched", "a") - kpis.total("retention_untouched", "a")
    assert same(page.value("touch_gap", "a"), gap_a)
    assert math.isnan(page.value("touch_gap", "b"))  # 2 untouched clients: not compared
    assert page.shown("touch_gap", "b") == "—"


SPARSE_LOGS = {
    "a lead created, never assigned": [
        {"type": "created", "at": "2026-11-02T09:00", "lead_id": "l1"}
    ],
    "feedback only": [{"type": "feedback", "at": "2026-11-02T09:01", "client_id": "c", "csat": 4}],
    "a purchase only": [
        {"type": "purchase", "at": "2026-11-02T09:01", "client_id": "c", "amount": 4}
    ],
    "one lead assigned": [
        {"type": "created", "at": "2026-11-02T09:00", "lead_id": "l1"},
        {"type": "assigned", "at": "2026-11-02T09:01", "lead_id": "l1", "manager_id": "a"},
    ],
    "won without a contact": [
        {"type": "assigned", "at": "2026-11-02T09:01", "lead_id": "l1", "manager_id": "a"},
        {"type": "won", "at": "2026-11-03T09:01", "lead_id": "l1", "amount": 5},
    ],
    "a touch planned only": [
        {"type": "touch_planned", "at": "2026-11-02T09:01", "client_id": "c", "manager_id": "a"}
    ],
}


@pytest.mark.parametrize("period", ["day", "month"])
@pytest.mark.parametrize("name", sorted(SPARSE_LOGS))
def test_a_log_with_little_in_it_still_gives_a_report(name: str, period: str) -> None:
    # (warnings are errors in the test run: no numpy or matplotlib warning either)
    log = kpi.EventLog.from_records(SPARSE_LOGS[name])
    for lang in ("en", "ru"):
        page = kpi.report(log, [{"period": "2026-11", "revenue": 100}], period=period, lang=lang)
        assert page.startswith("<!DOCTYPE html>")
