"""A customer in a real browser (headless Chromium): everything of the portal, end to end.

Alice signs in through the project's own login form, adds an endpoint that points at a
local receiver, copies its secret, and receives a signed event when a pizza is saved.
Her receiver fails with a body: the attempt's page shows the status and the body. She
fixes the receiver, replays from the page, and sees the delivery succeed; then she
rotates the secret and deletes the endpoint. Bob's endpoint, URL and event ids never
appear in anything her browser is shown.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.db.models.signals import post_save
from django.utils import timezone
from selenium.webdriver.common.by import By

import signalhooks
from signalhooks.hooks import EndpointsHook
from signalhooks.models import DeliveryAttempt, Endpoint, OutboxDelivery
from tests.browser import wait_until
from tests.endpoint_support import verify
from tests.helpers import unique_path
from tests.portal.support import PORTAL, attempt_of, delivery_of, endpoint_of
from tests.support.recording import RecordingServer
from tests.support.waiting import wait_until as wait_for
from tests.testapp.models import Pizza

pytestmark = pytest.mark.browser


class Visit:
    """Alice's browser, keeping every page it was shown."""

    def __init__(self, driver: Any, base: str) -> None:
        self.driver, self.base, self.seen = driver, base, []

    def open(self, path: str) -> None:
        self.driver.get(self.base + path)
        self.keep()

    def keep(self) -> str:
        source = self.driver.page_source
        self.seen.append(source)
        return source

    def click(self, text: str) -> None:
        """Follow the link or press the button labelled ``text``; wait for the next page."""
        old = self.driver.find_element(By.TAG_NAME, "html")
        xpath = f"//a[normalize-space()='{text}'] | //button[normalize-space()='{text}']"
        self.driver.find_element(By.XPATH, xpath).click()
        wait_until(self.driver, lambda d: old.id != d.find_element(By.TAG_NAME, "html").id)
        self.keep()

    def fill(self, name: str, value: str) -> None:
        field = self.driver.find_element(By.NAME, name)
        field.clear()
        field.send_keys(value)

    def text(self, css: str) -> str:
        return str(self.driver.find_element(By.CSS_SELECTOR, css).text)


def sign_in(visit: Visit, name: str) -> None:
    visit.open(PORTAL)
    assert "/accounts/login/?next=/webhooks/" in visit.driver.current_url
    visit.fill("username", name)
    visit.fill("password", f"{name}-password")
    visit.click("Sign in")
    assert visit.driver.current_url.endswith(PORTAL)


@pytest.mark.timeout(120)
def test_a_customer_manages_an_endpoint_end_to_end(
    page, portal_server, alice, bob, http: RecordingServer, connect, event_catalog, settings
):
    settings.SIGNALHOOKS = {
        **settings.SIGNALHOOKS,
        "ENDPOINT_BLOCK_PRIVATE_ADDRESSES": False,  # the receiver is on 127.0.0.1
        "DURABLE_RETRY_SCHEDULE": [0],  # one attempt, then the delivery is dead
    }
    connect(post_save, EndpointsHook(owner=lambda pizza: alice), Pizza)
    bobs = endpoint_of(bob, http.url(unique_path("bobs-receiver")), description="Bob's")
    attempt_of(bobs, event_id="msg_bobs_event_91c2")
    delivery_of(bobs, "msg_bobs_event_91c2", OutboxDelivery.DEAD)
    path = unique_path("alices-receiver")
    http.behave(path, statuses=[500], body=b'{"error": "database is down"}')

    visit = Visit(page, portal_server.url)
    sign_in(visit, "alice")
    assert "No endpoints yet" in visit.keep()
    visit.click("Add an endpoint")
    visit.fill("url", http.url(path))
    visit.fill("description", "Alice's orders")
    page.find_element(By.CSS_SELECTOR, "input[value='testapp.Pizza:created']").click()
    visit.click("Add the endpoint")
    secret = visit.text("#endpoint-secret")
    endpoint = Endpoint.objects.get(owner_id=str(alice.pk))
    assert secret.startswith("whsec_") and secret == endpoint.secret
    assert endpoint.event_types == ["testapp.Pizza:created"]
    secret_pages = len(visit.seen)

    Pizza.objects.create(name="Margherita")
    received = http.wait_for(1, path)[0]
    body = verify(secret, received)  # the copied secret verifies the signature
    wait_for(lambda: DeliveryAttempt.objects.filter(endpoint_id=endpoint.pk).exists(), 10, "log")
    visit.click("I have copied it: go to the endpoint")
    assert "HTTP 500" in visit.keep()
    page.find_element(By.CSS_SELECTOR, "table.attempts a").click()
    wait_until(page, lambda d: "Response body" in d.page_source)
    visit.keep()
    assert visit.text("#response-status") == "500"
    assert visit.text("#response-body") == '{"error": "database is down"}'
    assert received.headers["webhook-id"] in visit.keep()

    http.behave(path, statuses=[200])
    dead = OutboxDelivery.objects.filter(endpoint_id=endpoint.pk, status="dead")
    wait_for(dead.exists, 10, "the delivery to be dead")
    visit.open(f"{PORTAL}{endpoint.pk}/")
    visit.click("Replay failed deliveries")
    visit.click("Replay")
    assert "1 failed deliveries since" in visit.text("#notice")
    call_command("signalhooks_worker", "--once")  # the project's workers send replays
    second = http.wait_for(2, path)[1]
    assert (
        verify(secret, second) == body
        and second.headers["webhook-id"] == received.headers["webhook-id"]
    )
    wait_for(lambda: DeliveryAttempt.objects.filter(ok=True).exists(), 10, "the replay's attempt")
    visit.open(f"{PORTAL}{endpoint.pk}/")
    rows = page.find_elements(By.CSS_SELECTOR, "table.attempts tbody tr")
    assert "HTTP 200" in rows[0].text and "HTTP 500" in rows[1].text

    visit.click("Send a test event")
    assert "delivered, HTTP 200" in visit.text("#test-outcome")
    assert "test" in page.find_elements(By.CSS_SELECTOR, "table.attempts tbody tr")[0].text

    visit.click("Rotate the secret")
    rotated = visit.text("#endpoint-secret")
    assert rotated != secret and Endpoint.objects.get(pk=endpoint.pk).secret == rotated
    visit.click("I have copied it: go to the endpoint")
    visit.click("Delete")
    assert Endpoint.objects.filter(pk=endpoint.pk).exists()
    visit.click("Yes, delete it")
    assert not Endpoint.objects.filter(pk=endpoint.pk).exists()
    assert "No endpoints yet" in visit.keep()

    shown = "\n".join(visit.seen)
    assert "msg_bobs_event_91c2" not in shown and bobs.url not in shown and "Bob's" not in shown
    later = "\n".join(visit.seen[secret_pages:])
    assert secret not in later  # shown once, on the page that followed the creation
    signalhooks.flush(5)


def test_forms_show_errors_next_to_their_fields(page, portal_server, alice, event_catalog):
    visit = Visit(page, portal_server.url)
    sign_in(visit, "alice")
    visit.open(f"{PORTAL}new/")
    visit.fill("url", "https://10.0.0.7/hooks")
    visit.fill("headers", "webhook-id: forged")
    visit.fill("rate_limit", "0")
    visit.click("Add the endpoint")
    errors = {
        field.get_attribute("name"): field.find_element(By.XPATH, "..").text
        for field in page.find_elements(By.CSS_SELECTOR, "input[name], textarea[name]")
    }
    assert "is a private address" in errors["url"]
    assert "set by signalhooks" in errors["headers"]
    assert "greater than or equal to 1" in errors["rate_limit"]
    assert not Endpoint.objects.exists()
    visit.fill("url", "https://hooks.example.com/in")
    visit.fill("headers", "")
    visit.fill("rate_limit", "")
    visit.click("Add the endpoint")
    assert visit.text("#endpoint-secret") == Endpoint.objects.get().secret


def test_old_attempts_are_a_page_away(page, portal_server, alice):
    ep = endpoint_of(alice)
    now = timezone.now()
    for i in range(51):
        attempt_of(ep, event_id=f"msg_{i:02d}", started_at=now - timedelta(minutes=i))
    visit = Visit(page, portal_server.url)
    sign_in(visit, "alice")
    visit.open(f"{PORTAL}{ep.pk}/")
    assert "msg_00" in visit.keep() and "msg_50" not in visit.keep()
    visit.click("Older attempts")
    assert "msg_50" in visit.keep() and "msg_00" not in visit.keep()
