# ruff: noqa: RUF001  (Russian text, typographic dashes and the minus sign)
"""The report's building blocks: words, number formats, plots, cells, the file writer."""

import re
import string
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from fairlead.kpi._report_format import Formats
from fairlead.kpi._report_model import exact
from fairlead.kpi._report_words import COLUMNS, FINDINGS_RU, WORDS, Words
from fairlead.records import FileError, write_text_atomic

NBSP = "\u00a0"


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


# ---------------------------------------------------------------------------- words


@pytest.mark.parametrize("key", sorted(WORDS))
def test_every_text_has_both_languages_with_the_same_fields(key: str) -> None:
    en, ru = WORDS[key]
    assert en.strip()
    assert ru.strip()
    assert fields(en) == fields(ru)
    # Russian text is Russian: some Cyrillic unless it is a number or a tick label
    if re.search(r"[A-Za-z]{3,}", en):
        assert re.search(r"[А-Яа-яЁё]", ru), (key, ru)


@pytest.mark.parametrize("key", sorted(COLUMNS))
def test_every_column_is_named_and_explained_in_both_languages(key: str) -> None:
    en_name, ru_name, en_meaning, ru_meaning = COLUMNS[key]
    assert en_meaning.endswith(".")
    assert ru_meaning.endswith(".")
    assert fields(en_name) == fields(ru_name)
    assert fields(en_meaning) == fields(ru_meaning)
    if en_name != "NPS" and "{" not in en_name:
        assert re.search(r"[А-Яа-яЁё]", ru_name)


def test_no_jargon_on_the_page() -> None:
    texts = [t for pair in WORDS.values() for t in pair]
    texts += [t for entry in COLUMNS.values() for t in entry]
    texts += list(FINDINGS_RU.values())
    jargon = re.compile(
        r"\b(LP|dual|posterior|prior|Bayes\w*|shrunk|shrinkage|solver|beta|empirical|"
        r"апостериор\w*|Байес\w*|солвер\w*)\b",
        re.IGNORECASE,
    )
    assert [t for t in texts if jargon.search(t)] == []


def test_findings_in_russian_by_code() -> None:
    words = Words("ru")
    assert words.finding("closed_twice", "3", "3 leads ...").startswith("3 лидов")
    # an unknown code keeps the English message rather than inventing one
    assert words.finding("new_rule", "1", "1 thing") == "1 thing"
    assert Words("en").finding("closed_twice", "3", "as given") == "as given"


def test_an_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="lang must be one of en, ru, got 'de'"):
        Words("de")


# -------------------------------------------------------------------------- formats


@pytest.mark.parametrize(
    ("value", "digits", "en", "ru"),
    [
        (1234567.0, 0, "1,234,567", "1 234 567"),
        (1234.5678, 2, "1,234.57", "1 234,57"),
        (-0.4, 0, "0", "0"),
        (-12.5, 1, "−12.5", "−12,5"),
        (float("nan"), 0, "—", "—"),
        (float("inf"), 0, "∞", "∞"),
    ],
)
def test_numbers(value: float, digits: int, en: str, ru: str) -> None:
    assert Formats("en").number(value, digits) == en
    assert Formats("ru").number(value, digits).replace(NBSP, " ") == ru


def test_russian_groups_with_a_no_break_space_and_writes_a_decimal_comma() -> None:
    ru = Formats("ru")
    assert ru.money(1500000) == f"1{NBSP}500{NBSP}000"
    assert ru.percent(0.253) == f"25{NBSP}%"
    assert ru.percent(0.0456) == f"4,6{NBSP}%"
    assert ru.ratio(1.046) == "1,05"


def test_percentages_minutes_and_days() -> None:
    en = Formats("en")
    assert [en.percent(x) for x in (0.0, 0.004, 0.0996, 0.5, 1.234)] == [
        "0%",
        "0.4%",
        "10%",
        "50%",
        "123%",
    ]
    assert [en.minutes(x).replace(NBSP, " ") for x in (0.4, 42, 99.4, 100, 600, 2880)] == [
        "0 min",
        "42 min",
        "99 min",
        "1.7 h",
        "10.0 h",
        "2 days",
    ]
    assert Formats("ru").minutes(30).replace(NBSP, " ") == "30 мин"


@pytest.mark.parametrize(
    ("start", "kind", "en", "ru"),
    [
        (date(2026, 11, 23), "week", "23–29 Nov 2026", "23–29 ноября 2026"),
        (date(2026, 11, 30), "week", "30 Nov – 6 Dec 2026", "30 ноября – 6 декабря 2026"),
        (date(2026, 12, 28), "week", "28 Dec 2026 – 3 Jan 2027", "28 декабря 2026 – 3 января 2027"),
        (date(2026, 5, 1), "month", "May 2026", "май 2026"),
        (date(2026, 11, 27), "day", "Fri 27 Nov 2026", "пт 27 ноября 2026"),
    ],
)
def test_periods(start: date, kind: str, en: str, ru: str) -> None:
    assert Formats("en").period(start, kind) == en
    assert Formats("ru").period(start, kind) == ru


def test_axis_labels_are_short() -> None:
    assert Formats("ru").short_period(date(2026, 5, 4), "week") == "4 мая"
    assert Formats("ru").short_period(date(2026, 5, 1), "month") == "май 2026"
    assert Formats("en").short_period(date(2026, 5, 4), "week") == "4 May"


# ------------------------------------------------------------------------- the cells


def test_exact_values_read_back_as_the_same_float() -> None:
    for value in (0.1 + 0.2, 1e-12, 123456789.123, 0.0):
        assert float(exact(value)) == value
    assert exact(float("nan")) == "NaN"


# ------------------------------------------------------------------------------ plots


def test_plots_are_inline_svg_without_links_and_the_same_each_time() -> None:
    from fairlead.kpi import _report_plots as plots

    fmt = Formats("ru")

    def draw() -> str:
        return plots.plan_fact(
            ["Анна <b>", "m-2"],
            np.array([1000.0, 2000.0]),
            np.array([1500.0, np.nan]),
            words={"title": "План и факт", "plan": "План", "fact": "Факт"},
            number=fmt.money,
        )

    first, second = draw(), draw()
    assert first == second
    assert first.startswith('<svg class="plot" role="img" aria-label="План и факт"')
    assert "http" not in first
    assert "<!--" not in first
    assert "<b>" not in first
    assert "<?xml" not in first
    # every id carries the plot's prefix, and every reference points at one of them
    ids = set(re.findall(r'id="([^"]+)"', first))
    assert ids
    assert all(i.startswith("plan-fact-") for i in ids)
    for ref in re.findall(r'href="#([^"]+)"', first) + re.findall(r"url\(#([^)]+)\)", first):
        assert ref in ids


def test_a_plot_of_many_managers_keeps_its_size() -> None:
    from fairlead.kpi import _report_plots as plots

    names = [f"m-{k}" for k in range(30)]
    rng = np.random.default_rng(0)
    svg = plots.share_heatmap(
        names,
        [f"w{k}" for k in range(13)],
        rng.random((30, 13)) * 2,
        words={"title": "t"},
        ratio=Formats("en").ratio,
        prefix="h",
    )
    assert len(svg) < 400_000


# ------------------------------------------------------------------------ the writer


def test_the_file_is_replaced_whole_or_not_at_all(tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    target.write_text("old")
    write_text_atomic(target, "new ✓")
    assert target.read_text(encoding="utf-8") == "new ✓"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]  # no temporary left

    folder = tmp_path / "a-folder.html"
    folder.mkdir()
    with pytest.raises(FileError, match="cannot write: is a directory"):
        write_text_atomic(folder, "x")
    with pytest.raises(FileError, match="does not exist"):
        write_text_atomic(tmp_path / "missing" / "r.html", "x")
    assert target.read_text(encoding="utf-8") == "new ✓"


def test_a_link_is_written_through(tmp_path: Path) -> None:
    real = tmp_path / "real.html"
    real.write_text("old")
    link = tmp_path / "link.html"
    link.symlink_to(real)
    write_text_atomic(link, "new")
    assert link.is_symlink()
    assert real.read_text() == "new"
