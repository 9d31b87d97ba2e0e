"""Who the owner is: the default, a callable of the project, and a wrong setting."""

from __future__ import annotations

import pytest
from django.core.checks import run_checks
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from signalhooks.checks import check_portal_owner
from signalhooks.portal import owner as owner_module
from tests.portal import owners
from tests.portal.support import PORTAL, client_of, endpoint_of

pytestmark = pytest.mark.django_db


def use_owner(settings, path):
    settings.SIGNALHOOKS = {**settings.SIGNALHOOKS, "PORTAL_OWNER": path}


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("tests.portal.owners.missing", "cannot be imported"),
        ("no_such_module.owner", "cannot be imported"),
        ("nodots", "cannot be imported"),
        ("tests.portal.owners.NOT_CALLABLE", "names 42, not a callable owner"),
    ],
)
def test_a_wrong_owner_setting_is_a_check_error_and_a_clear_error_at_request_time(
    alice, settings, path, message
):
    use_owner(settings, path)
    [error] = check_portal_owner()
    assert error.id == "signalhooks.E015" and message in error.msg and path in error.msg
    assert "signalhooks.E015" in [e.id for e in run_checks(tags=["signalhooks"])]
    for url in (PORTAL, f"{PORTAL}api/endpoints/"):
        with pytest.raises(ImproperlyConfigured, match=message):
            client_of(alice).get(url)


def test_a_usable_owner_setting_passes_the_checks(settings):
    use_owner(settings, "tests.portal.owners.by_token")
    assert check_portal_owner() == []
    use_owner(settings, None)
    assert check_portal_owner() == []


def test_the_callable_is_imported_once_and_again_when_settings_change(alice, bob, settings):
    use_owner(settings, "tests.portal.owners.by_token")
    first = owner_module.owner_callable()
    assert first is owners.by_token and owner_module.owner_callable() is first
    use_owner(settings, "tests.portal.owners.nobody")
    assert owner_module.owner_callable() is owners.nobody


def test_a_callable_must_return_a_saved_model_instance(alice, settings, monkeypatch):
    monkeypatch.setattr(owners, "nobody", lambda request: "alice")
    use_owner(settings, "tests.portal.owners.nobody")
    with pytest.raises(ImproperlyConfigured, match="must return a saved model instance or None"):
        client_of(alice).get(PORTAL)


def test_the_default_owner_needs_the_authentication_middleware(alice, settings):
    settings.MIDDLEWARE = []
    with pytest.raises(ImproperlyConfigured, match="AuthenticationMiddleware"):
        Client().get(f"{PORTAL}api/endpoints/")


def test_a_token_owner_and_a_session_owner_see_the_same_endpoints(alice, settings):
    use_owner(settings, "tests.portal.owners.by_token")
    owners.TOKENS["alice-token-2"] = "alice"
    ep = endpoint_of(alice)
    by_token = Client(headers={"authorization": "Bearer alice-token-2"}).get(
        f"{PORTAL}api/endpoints/"
    )
    by_session = client_of(alice).get(f"{PORTAL}api/endpoints/")
    assert by_token.json() == by_session.json() and by_token.json()["results"][0]["id"] == ep.pk
