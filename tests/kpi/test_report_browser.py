# ruff: noqa: RUF001  (the minus sign the page writes)
"""The demo quarter's report in a real browser: headless Chromium (Debian's ``chromium``
and ``chromium-driver``, which ``make test`` installs when missing).

The page must render without a console error and load nothing from anywhere; the key
figures in the DOM must equal what the KPI functions say on the same data. A full-page
screenshot is saved to ``build/report-screenshot.png`` (and the Russian page's to
``build/report-screenshot-ru.png``) under the repository.
"""

from __future__ import annotations

import base64
import math
import re
from pathlib import Path
from typing import Any

import pytest

from fairlead import kpi
from fairlead.app import write_demo_report
from fairlead.app._demo import DEMO_SINCE
from fairlead.datasets import DEMO_NOW, demo_path, load_demo

BUILD = Path(__file__).resolve().parents[2] / "build"
SCREENSHOT = BUILD / "report-screenshot.png"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The demo quarter's report (as ``fairlead demo`` writes it) and the functions' view."""
    folder = tmp_path_factory.mktemp("report")
    path = write_demo_report(folder / "report.html").path
    managers = load_demo().managers
    log = kpi.read_events(demo_path("demo_events.csv"), now=DEMO_NOW)
    kpis = kpi.compute(log, "week", now=DEMO_NOW, since=DEMO_SINCE, managers=managers)
    plan = kpi.read_sales_plan(demo_path("demo_sales_plan.csv"))
    policy = load_demo().policy
    return {
        "path": path,
        "kpis": kpis,
        "folder": folder,
        "rating": kpi.rating(kpis, plan, policy=policy, managers=managers),
        "alerts": kpi.alerts(kpis, plan, policy=policy, managers=managers),
    }


def open_page(driver: Any, path: Path) -> list[dict[str, Any]]:
    driver.get_log("browser")  # drop what an earlier page logged
    driver.get(path.as_uri())
    assert driver.execute_script("return document.readyState") == "complete"
    logs: list[dict[str, Any]] = driver.get_log("browser")
    return logs


def figures(driver: Any, metric: str, manager: str | None = "", period: str = "all") -> list[Any]:
    selector = f'[data-metric="{metric}"][data-period="{period}"]'
    if manager is not None:
        selector += f'[data-manager="{manager}"]'
    from selenium.webdriver.common.by import By

    return list(driver.find_elements(By.CSS_SELECTOR, selector))


def number(text: str) -> float:
    """The number an English figure shows: ``418,884`` -> 418884, ``11%`` -> 11."""
    match = re.search(r"−?[\d,]+(\.\d+)?", text)
    assert match, text
    return float(match.group(0).replace(",", "").replace("−", "-"))


def check(element: Any, expected: float, shown: float | None = None, places: int = 0) -> None:
    value = float(element.get_attribute("data-value"))
    assert value == expected or (math.isnan(value) and math.isnan(expected))
    if shown is not None:
        assert number(element.text) == round(shown, places), element.text


def screenshot(driver: Any, path: Path) -> bytes:
    """A PNG of the whole page, not only the window."""
    size = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
    shot = driver.execute_cdp_cmd(
        "Page.captureScreenshot",
        {
            "format": "png",
            "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1},
        },
    )
    data = base64.b64decode(shot["data"])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return data


def test_renders_without_console_errors_and_loads_nothing(
    browser: Any, demo: dict[str, Any]
) -> None:
    logs = open_page(browser, demo["path"])
    assert [entry for entry in logs if entry["level"] == "SEVERE"] == []
    assert browser.execute_script("return performance.getEntriesByType('resource').length") == 0
    assert browser.title.startswith("Sales report")
    # every plot is drawn: inline SVG with a size
    sizes = browser.execute_script(
        "return [...document.querySelectorAll('svg.plot')]"
        ".map(s => s.getBoundingClientRect().height)"
    )
    assert len(sizes) >= 6
    assert min(sizes) > 100
    data = screenshot(browser, SCREENSHOT)
    assert data.startswith(b"\x89PNG")
    assert len(data) > 50_000
    print(f"screenshot: {SCREENSHOT}")


def test_key_figures_equal_the_kpi_functions(browser: Any, demo: dict[str, Any]) -> None:
    kpis = demo["kpis"]
    open_page(browser, demo["path"])
    revenue = kpis.total("revenue")
    card = figures(browser, "revenue")
    assert card  # the headline and the tables
    for element in card:
        check(element, revenue)
    check(card[0], revenue, revenue)
    for manager in kpis.manager_ids:
        received = kpis.total("leads_received", manager)
        for element in figures(browser, "leads_received", manager):
            check(element, received, received)
    conversion = kpis.total("conversion")
    check(figures(browser, "conversion")[0], conversion, 100 * conversion)
    median = kpis.total("response_p50")
    check(figures(browser, "response_p50")[0], median, median)
    for k in range(kpis.periods.size):
        label = kpis.periods.label(k)
        value = kpis.value("revenue", None, k)
        check(figures(browser, "revenue", "", label)[0], value, value)
    assert kpis.periods.label(0) == "2026-08-31"  # the quarter; earlier purchases are history
    touched, untouched = kpis.total("retention_touched"), kpis.total("retention_untouched")
    check(figures(browser, "retention_touched")[0], touched, round(100 * touched))
    check(figures(browser, "retention_untouched")[0], untouched, round(100 * untouched))
    check(figures(browser, "touch_gap")[0], touched - untouched, 100 * (touched - untouched), 1)


def test_rating_order_and_alerts_equal_the_functions(browser: Any, demo: dict[str, Any]) -> None:
    from selenium.webdriver.common.by import By

    open_page(browser, demo["path"])
    rows = browser.find_elements(By.CSS_SELECTOR, 'table[data-table="rating"] tbody tr')
    shown = [
        row.find_element(By.CSS_SELECTOR, '[data-metric="rating:score"]').get_attribute(
            "data-manager"
        )
        for row in rows
    ]
    rated = demo["rating"]
    assert shown == [r.manager_id for r in rated.rows]
    for row, r in zip(rows, rated.rows, strict=True):
        score = row.find_element(By.CSS_SELECTOR, '[data-metric="rating:score"]')
        check(score, r.score, r.score, 3)
    found = demo["alerts"]
    assert found  # the demo quarter has something to say
    (count,) = figures(browser, "alerts")
    check(count, len(found), len(found))
    selector = 'ul[data-list="alerts"] [data-metric^="alert:"]'
    lines = browser.find_elements(By.CSS_SELECTOR, selector)
    # the browser shows a no-break space as a space
    expected = [a.message("en").replace("\u00a0", " ") for a in found]
    assert [line.text for line in lines] == expected


def test_the_russian_page_renders_too(browser: Any, demo: dict[str, Any]) -> None:
    path = write_demo_report(demo["folder"] / "report-ru.html", lang="ru").path
    logs = open_page(browser, path)
    assert [entry for entry in logs if entry["level"] == "SEVERE"] == []
    assert browser.title.startswith("Отчёт по продажам")
    screenshot(browser, BUILD / "report-screenshot-ru.png")
