"""Issue 15 in a real browser: the portal's question form on a dossier without an
address offers the register's combobox; the citizen picks an address and sends the
question by keyboard alone; axe-core finds nothing with the list open; the CSP holds; the
dossier gets the register's object."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.test import Client
from playwright.sync_api import expect

from midoffice.dossiers.models import AddressVerification, Dossier
from midoffice.integrations.registers.fake_server import FakeRegisterServer
from tests.browser.conftest import axe_violations
from tests.browser.test_workbench_browser import tab  # noqa: F401
from tests.portal.conftest import emma, sign_in  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def register(settings):
    server = FakeRegisterServer().start()
    settings.ADDRESS_REGISTER_URL = server.url
    settings.ADDRESS_REGISTER_API_KEY = ""
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    settings.DOSIS_ENDPOINT = ""
    cache.clear()
    try:
        yield server
    finally:
        server.stop()
        cache.clear()


def test_the_citizen_gives_the_address_of_her_question_by_keyboard(
    tab,  # noqa: F811
    live_server,
    register,
    emma,  # noqa: F811
    dossier_type,
):
    from tests.factories import open_dossier

    dossier = open_dossier(dossier_type=dossier_type, requester=emma, subject="Verbouwing")
    walker = Client()
    sign_in(walker, emma)
    session = walker.cookies[django_settings.SESSION_COOKIE_NAME].value
    tab.context.add_cookies(
        [{"name": django_settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
    )

    tab.goto(f"{live_server.url}/mijn/dossiers/{dossier.reference}")
    tab.get_by_role("textbox", name="Je vraag", exact=True).fill("Mag ik een dakkapel plaatsen?")
    box = tab.get_by_role("combobox", name="Over welk adres gaat je vraag? (niet verplicht)")
    box.focus()
    box.press_sequentially("kastanje", delay=30)
    options = tab.get_by_role("listbox", name="Adressen uit het adressenregister").get_by_role(
        "option"
    )
    expect(options).to_have_count(2)
    expect(box).to_have_attribute("aria-expanded", "true")
    assert axe_violations(tab) == []

    box.press("ArrowDown")
    active = box.get_attribute("aria-activedescendant")
    assert active
    assert tab.locator(f"#{active}").get_attribute("aria-selected") == "true"
    box.press("Enter")  # chooses, does not submit
    assert box.input_value() == "Kastanjedreef 12, 2640 Leemdonk"
    assert box.get_attribute("aria-expanded") == "false"
    assert f"/mijn/dossiers/{dossier.reference}" in tab.url
    assert axe_violations(tab) == []
    tab.screenshot(path="docs/screenshots/portal-question-address.png", full_page=True)

    # On to the send button by keyboard (past the attachment field), and send.
    button = tab.get_by_role("button", name="Vraag versturen")
    for _ in range(6):
        tab.keyboard.press("Tab")
        if button.evaluate("b => b === document.activeElement"):
            break
    assert button.evaluate("b => b === document.activeElement")
    tab.keyboard.press("Enter")
    expect(tab.get_by_text("Bedankt. Je vraag is verstuurd")).to_be_visible()
    assert [e for e in tab.console_errors if "Content Security Policy" in e] == []
    assert axe_violations(tab) == []

    stored = Dossier.objects.get(pk=dossier.pk)
    assert stored.address_uri == "https://data.vlaanderen.be/id/adres/3000201"
    assert stored.address_verification == AddressVerification.VERIFIED
