"""The dashboard in a real browser, served by a real uvicorn: headless Chromium (Debian's
``chromium`` and ``chromium-driver``, which ``make test`` installs when missing).

A SQLite database holds the demo team (``fairlead.service.seed_demo``: the demo bank's
managers, quarter and plan), with a first-contact deadline and five leads routed just
after the quarter's last moment. A person signs in with a key; the page must render
without a console error, in English and in Russian, and every figure in the DOM must
equal the API's JSON at the same moment. Full-page screenshots go to
``build/dashboard-screenshot.png`` and ``build/dashboard-screenshot-ru.png``.
"""

from __future__ import annotations

import base64
import json
import math
import socket
import threading
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from fairlead.datasets import DEMO_NOW
from fairlead.service import DEMO_TEAM, ServiceConfig, create_app, create_key

BUILD = Path(__file__).resolve().parents[2] / "build"
#: The leads are routed just after the demo quarter's last moment; the page is taken here.
ROUTED = DEMO_NOW.replace(tzinfo=UTC) + timedelta(minutes=10)
AT = (ROUTED + timedelta(minutes=40)).isoformat().replace("+00:00", "Z")


class Api:
    """The running service's API, called as any client calls it."""

    def __init__(self, base: str, key: str) -> None:
        self.base = base
        self.key = key

    def call(self, method: str, path: str, body: Any = None, **params: Any) -> Any:
        query = f"?{urlencode(params, doseq=True)}" if params else ""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.base + path + query,
            data=data,
            method=method,
            headers={"Authorization": f"Bearer {self.key}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as answer:
            return json.loads(answer.read())

    def get(self, path: str, **params: Any) -> Any:
        return self.call("GET", path, **params)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """uvicorn serving the demo team from a SQLite file, on a free loopback port."""
    uvicorn = pytest.importorskip("uvicorn")
    folder = tmp_path_factory.mktemp("dashboard")
    config = ServiceConfig(
        database_url=f"sqlite:///{folder / 'fairlead.db'}",
        demo=True,
        sweep_every=0,
        reprice_every=0,
    )
    app = create_app(config)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))  # the port is ours before the server starts: no race
    port = sock.getsockname()[1]
    served = uvicorn.Server(uvicorn.Config(app, log_config=None, access_log=False, lifespan="on"))
    thread = threading.Thread(target=served.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not served.started:
        assert thread.is_alive(), "the server stopped while starting"
        assert time.monotonic() < deadline, "the server did not start within 60 s"
        time.sleep(0.05)
    try:
        with app.state.service.db.write() as conn:
            keys = {scope: create_key(conn, DEMO_TEAM, scope)[1] for scope in ("read", "admin")}
        base = f"http://127.0.0.1:{port}"
        admin = Api(base, keys["admin"])
        admin.call("PUT", "/v1/settings", {"sla": "PT15M"})
        stamp = ROUTED.isoformat().replace("+00:00", "Z")
        for i in range(5):
            lead = {"id": f"web-{i}", "score": 0.4 + 0.1 * i, "deal_value": 2500}
            admin.call("POST", "/v1/leads", lead, at=stamp)
        yield {"base": base, "keys": keys, "api": Api(base, keys["read"])}
    finally:
        served.should_exit = True
        thread.join(timeout=30)
        sock.close()


def console_errors(driver: Any) -> list[dict[str, Any]]:
    return [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def dom_figures(driver: Any) -> list[dict[str, str]]:
    figures: list[dict[str, str]] = driver.execute_script(
        "return [...document.querySelectorAll('[data-metric]')].map(e => ({"
        "metric: e.dataset.metric, manager: e.dataset.manager, period: e.dataset.period,"
        "value: e.dataset.value, lead: e.dataset.lead || '', text: e.textContent}))"
    )
    return figures


def api_answers(api: Api) -> dict[str, Any]:
    return {
        "day": api.get("/v1/kpi", period="day", now=AT, last=1),
        "week": api.get("/v1/kpi", period="week", now=AT, last=1),
        "status": api.get("/v1/status", at=AT),
        "overdue": api.get("/v1/sla/overdue", at=AT),
        "plan": api.get("/v1/plan", now=AT),
        "alerts": api.get("/v1/alerts", now=AT),
    }


def expected(figure: dict[str, str], api: dict[str, Any]) -> Any:
    """The API's value of a figure in the DOM (``tests/service/test_dashboard.py`` says
    what each ``data-metric`` names)."""
    metric, period, manager = figure["metric"], figure["period"], figure["manager"] or None
    if metric.startswith("status:"):
        key = metric.removeprefix("status:")
        rows = [s for s in api["status"] if manager is None or s["manager_id"] == manager]
        return sum(float(s[key]) for s in rows)
    if metric == "overdue:count":
        return len(api["overdue"])
    if metric.startswith("overdue:"):
        (row,) = [x for x in api["overdue"] if x["lead_id"] == figure["lead"]]
        return row["overdue_minutes"]
    if metric.startswith("plan:"):
        facts = api["plan"]["fact"]
        (row,) = [f for f in facts if f["period"] == period and f["manager_id"] == manager]
        return row[metric.removeprefix("plan:")]
    if metric in ("alerts", "alerts_urgent"):
        return sum(metric == "alerts" or a["severity"] == "high" for a in api["alerts"])
    if metric.startswith("alert:"):
        same = [a for a in api["alerts"] if f"alert:{a['kind']}" == metric]
        return next(iter(next(a for a in same if a["manager_id"] == manager)["figures"].values()))
    body = api["day"] if period == api["day"]["periods"][-1] else api["week"]
    assert period == body["periods"][-1], figure
    rows = {r["manager_id"]: r for r in body["rows"]}
    if metric == "fair_leads":
        leads = rows[None]["leads_received"]
        return leads if manager is None else rows[manager]["target_share"] * leads
    return rows[manager][metric]


def check_figures(driver: Any, api: dict[str, Any]) -> list[dict[str, str]]:
    found = dom_figures(driver)
    assert len(found) > 100  # eight managers in three tables, cards, late leads, alerts
    for figure in found:
        value, shown = expected(figure, api), float(figure["value"])
        if value is None:
            assert math.isnan(shown), figure
        else:
            assert shown == pytest.approx(float(value), rel=1e-12, abs=1e-12), figure
    return found


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


def test_sign_in_and_every_figure_equals_the_api(browser: Any, server: dict[str, Any]) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.wait import WebDriverWait

    base = server["base"]
    browser.delete_all_cookies()
    browser.get_log("browser")  # drop what an earlier page logged
    browser.get(base + "/")
    assert browser.current_url == base + "/login?lang=en"
    field = browser.find_element(By.ID, "key")
    field.send_keys(server["keys"]["read"])
    field.submit()
    WebDriverWait(browser, 20).until(lambda driver: driver.current_url == base + "/")
    assert browser.title.startswith("Sales team today")
    browser.get(f"{base}/?at={AT}")
    assert browser.execute_script("return document.readyState") == "complete"
    assert console_errors(browser) == []
    # nothing is fetched from anywhere: the look is inline, there is no script
    assert browser.execute_script("return performance.getEntriesByType('resource').length") == 0
    api = api_answers(server["api"])
    found = check_figures(browser, api)
    late = [f["lead"] for f in found if f["metric"] == "overdue:overdue_minutes"]
    assert late[1:] == [x["lead_id"] for x in api["overdue"]]
    assert len(late) == 6  # the card's longest wait, then the five leads
    lines = browser.find_elements(By.CSS_SELECTOR, 'ul[data-list="alerts"] [data-metric]')
    # the browser shows a no-break space as a space
    assert [line.text for line in lines] == [
        a["message"]["en"].replace("\u00a0", " ") for a in api["alerts"]
    ]
    cards = browser.find_elements(By.CSS_SELECTOR, ".card .figure [data-metric]")
    assert [c.get_attribute("data-metric") for c in cards] == [
        "leads_received",
        "overdue:count",
        "status:open",
        "response_p50",
        "plan:won",
        "alerts",
    ]
    assert cards[0].text == str(round(api["day"]["rows"][-1]["leads_received"]))
    data = screenshot(browser, BUILD / "dashboard-screenshot.png")
    assert data.startswith(b"\x89PNG")
    assert len(data) > 50_000


def test_the_russian_page(browser: Any, server: dict[str, Any]) -> None:
    base = server["base"]
    browser.delete_all_cookies()
    browser.get(base + "/?" + urlencode({"token": server["keys"]["read"], "lang": "ru"}))
    # a wall screen's link: the key is swapped for a session and leaves the address
    assert browser.current_url == base + "/?lang=ru"
    browser.get_log("browser")
    browser.get(f"{base}/?lang=ru&at={AT}")
    assert console_errors(browser) == []
    assert browser.title.startswith("Отдел продаж сегодня")
    assert browser.execute_script("return document.documentElement.lang") == "ru"
    text = browser.execute_script("return document.body.innerText")
    for english in ("Leads today", "Log out", "Plan and fact", "What needs attention"):
        assert english not in text
    assert "Лиды за сегодня по менеджерам" in text
    check_figures(browser, api_answers(server["api"]))
    screenshot(browser, BUILD / "dashboard-screenshot-ru.png")
