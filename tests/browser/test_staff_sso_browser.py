"""Staff sign-in with the town's account, in a real headless Chromium, checked with axe-core."""

from __future__ import annotations

import json
import re

import pytest

from midoffice.accounts.models import Role, User
from midoffice.integrations.fake_oidc.server import FakeOidcProvider
from tests.browser.conftest import axe_violations
from tests.factories import TeamFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page(chromium_browser):
    context = chromium_browser.new_context(locale="nl-BE", viewport={"width": 1100, "height": 900})
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture
def idp(settings):
    settings.SESSION_COOKIE_SECURE = False  # the live server speaks plain http
    settings.CSRF_COOKIE_SECURE = False
    TeamFactory(code="omgeving", name="Omgeving")
    provider = FakeOidcProvider().start()
    settings.STAFF_OIDC_ISSUER = provider.issuer
    settings.STAFF_OIDC_CLIENT_ID = provider.staff_client_id
    settings.STAFF_OIDC_CLIENT_SECRET = provider.staff_client_secret
    settings.STAFF_OIDC_GROUP_MAP = json.dumps(
        {"sg-midoffice-omgeving": {"role": "handler", "teams": ["omgeving"]}}
    )
    yield provider
    provider.stop()


def test_staff_sign_in_with_the_towns_account(page, live_server, idp):
    page.goto(f"{live_server.url}/aanmelden/")
    assert axe_violations(page) == []
    page.get_by_role("link", name="Aanmelden met je account van de gemeente").click()
    page.get_by_role("button", name="An Peeters").click()
    page.wait_for_url(re.compile(rf"^{re.escape(live_server.url)}/$"))
    assert axe_violations(page) == []
    an = User.objects.get(username="an.peeters")
    assert an.is_sso
    assert an.role == Role.HANDLER


def test_staff_without_a_midoffice_group_is_told_why(page, live_server, idp):
    page.goto(f"{live_server.url}/aanmelden/")
    page.get_by_role("link", name="Aanmelden met je account van de gemeente").click()
    page.get_by_role("button", name="Els Wouters").click()
    page.wait_for_url("**/aanmelden/gemeente/terug/**")
    assert (
        page.get_by_role("alert").filter(has_text="geeft geen toegang tot Midoffice").is_visible()
    )
    assert axe_violations(page) == []
    assert not User.objects.filter(username="els.wouters").exists()


def test_break_glass_password_sign_in_next_to_sso(page, live_server, idp):
    UserFactory(username="noodaccount", is_superuser=True)
    page.goto(f"{live_server.url}/aanmelden/")
    page.get_by_label("Gebruikersnaam").fill("noodaccount")
    page.get_by_label("Wachtwoord").fill("geheim-wachtwoord-1")
    page.get_by_role("button", name="Aanmelden").click()
    page.wait_for_url(re.compile(rf"^{re.escape(live_server.url)}/$"))
