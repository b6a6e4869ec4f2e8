"""Shared test configuration: hypothesis profiles, the browser of the pages' tests.

``default`` keeps the whole suite fast (a few seconds per property test on two
cores) and draws the same examples on every run, so that a run of ``make test`` is
repeatable and a failure is one anybody can rerun; ``thorough`` is for a longer hunt
with new examples each time, e.g. ``HYPOTHESIS_PROFILE=thorough pytest``.
"""

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "default",
    deadline=None,
    derandomize=True,
    max_examples=150,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "thorough",
    deadline=None,
    max_examples=2000,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


CHROMIUM = Path("/usr/bin/chromium")
DRIVER = Path("/usr/bin/chromedriver")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's headless Chromium through chromedriver (the pages' browser tests)."""
    if not (CHROMIUM.exists() and DRIVER.exists()):
        pytest.skip(
            "Debian's chromium and chromium-driver are not installed at /usr/bin and could "
            "not be installed ('make browser' installs them with apt-get)"
        )
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new",
        "--no-sandbox",  # as root in a container, Chromium has no sandbox to use
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1280,900",
        "--hide-scrollbars",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(DRIVER)), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()
