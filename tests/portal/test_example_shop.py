"""The example shop's customers use the portal: the session its README shows.

The shop runs as it would in production (uvicorn, its own settings and login), with
endpoints allowed on this machine (``SHOP_LOCAL_ENDPOINTS=1``) so that the customer's
receiver can be the recording server. The screenshot is written to a temporary file
and checked; ``SIGNALHOOKS_UPDATE_SCREENSHOTS=1`` also writes
``examples/asgi_shop/portal.png``, the README's.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from selenium.webdriver.common.by import By

from tests.browser import wait_until
from tests.endpoint_support import verify
from tests.helpers import unique_path
from tests.support.workers import SHOP, shop_env, shop_server

pytestmark = pytest.mark.browser
SCREENSHOT = SHOP / "portal.png"


@pytest.fixture
def shop(tmp_path: Path) -> Iterator[str]:
    """The shop under uvicorn, migrated, with a customer: its base URL."""
    env = shop_env(0, "", SHOP_DB=str(tmp_path / "shop.sqlite3"), SHOP_LOCAL_ENDPOINTS="1")

    def manage(*args: str) -> None:
        subprocess.run([sys.executable, "manage.py", *args], cwd=SHOP, env=env, check=True)

    manage("migrate", "-v0")
    manage("add_customer", "alice", "--password", "pizza-lover-42")
    server, url = shop_server(env)
    with server:
        yield url


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.mark.timeout(120)
def test_a_customer_session_in_the_example_shop(browser, shop, http, tmp_path):
    browser.get(f"{shop}/accounts/login/")
    browser.delete_all_cookies()
    browser.set_window_size(1100, 880)
    try:
        browser.get(f"{shop}/webhooks/")
        browser.find_element(By.NAME, "username").send_keys("alice")
        browser.find_element(By.NAME, "password").send_keys("pizza-lover-42")
        browser.find_element(By.XPATH, "//button[text()='Sign in']").click()
        wait_until(browser, lambda d: "Webhook endpoints" in d.page_source)
        browser.find_element(By.LINK_TEXT, "Add an endpoint").click()
        wait_until(browser, lambda d: d.find_elements(By.NAME, "url"))
        path = unique_path("kitchen")
        browser.find_element(By.NAME, "url").send_keys(http.url(path))
        browser.find_element(By.NAME, "description").send_keys("Kitchen display")
        browser.find_element(By.CSS_SELECTOR, "input[value='shop.Order:created']").click()
        browser.find_element(By.XPATH, "//button[text()='Add the endpoint']").click()
        secret = wait_until(browser, lambda d: d.find_element(By.ID, "endpoint-secret")).text
        session = {"sessionid": browser.get_cookie("sessionid")["value"]}
        assert requests.post(f"{shop}/orders?item=margherita", cookies=session).status_code == 201
        [first] = http.wait_for(1, path)
        assert verify(secret, first)["Event"] == "shop.Order:created"
        http.behave(path, statuses=[503], body=b"oven offline")
        assert requests.post(f"{shop}/orders?item=calzone", cookies=session).status_code == 201
        http.wait_for(2, path)
        browser.find_element(By.LINK_TEXT, "I have copied it: go to the endpoint").click()

        def attempts_shown(driver):
            driver.refresh()
            rows = driver.find_elements(By.CSS_SELECTOR, "table.attempts tbody tr")
            return len(rows) >= 2 and "HTTP 503" in driver.page_source

        wait_until(browser, attempts_shown, 15)
        assert "Pizza Shop" in browser.page_source  # the portal inside the shop's layout
        shot = tmp_path / "portal.png"
        assert browser.save_screenshot(str(shot))
        viewport = browser.execute_script("return [window.innerWidth, window.innerHeight]")
    finally:
        browser.set_window_size(1280, 900)
    data = shot.read_bytes()
    assert list(png_size(data)) == viewport and 10_000 < len(data) < 300_000
    if os.environ.get("SIGNALHOOKS_UPDATE_SCREENSHOTS") == "1":
        shutil.copyfile(shot, SCREENSHOT)
