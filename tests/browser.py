"""Headless Chromium for the browser tests: Debian's ``chromium`` and ``chromium-driver``.

Selenium is pointed at both binaries so that it never tries to download a browser or a
driver (``.ci/run`` installs the packages). ``session()`` is one browser for a whole
test session, with a profile of its own that is removed afterwards.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def missing() -> str | None:
    """Why the browser tests cannot run here, or ``None``."""
    absent = [path for path in (CHROMIUM, CHROMEDRIVER) if not os.path.exists(path)]
    if absent:
        return f"{', '.join(absent)} missing: apt-get install -y chromium chromium-driver"
    return None


@contextmanager
def session(width: int = 1280, height: int = 900) -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="signalhooks-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.add_argument(f"--window-size={width},{height}")
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.implicitly_wait(0)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def wait_until(driver: Any, condition: Callable[[Any], Any], timeout: float = 10.0) -> Any:
    """What ``condition(driver)`` returns once it is true (``TimeoutException`` after
    ``timeout`` s): the page is checked as it loads, never by sleeping."""
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout, poll_frequency=0.05).until(condition)
