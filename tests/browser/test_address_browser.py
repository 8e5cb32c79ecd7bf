"""Issue 15 (address and parcel) in a real browser: the address combobox by keyboard
alone, against the fake Adressenregister; axe-core finds nothing with the list open."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from midoffice.dossiers.models import AddressVerification, Dossier
from midoffice.integrations.registers.fake_server import FakeRegisterServer
from tests.browser.conftest import axe_violations
from tests.browser.test_workbench_browser import demo, tab  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def register(settings):
    server = FakeRegisterServer().start()
    settings.ADDRESS_REGISTER_URL = server.url
    settings.ADDRESS_REGISTER_API_KEY = ""
    cache.clear()
    try:
        yield server
    finally:
        server.stop()
        cache.clear()


def test_the_handler_picks_the_address_by_keyboard(
    tab,  # noqa: F811
    live_server,
    demo,  # noqa: F811
    register,
):
    from midoffice.web.demo import DEMO_PASSWORD

    dossier = Dossier.objects.filter(team__code="omgeving", is_open=True).first()
    tab.goto(f"{live_server.url}/aanmelden/")
    tab.get_by_label("Gebruikersnaam").fill("sofie")
    tab.get_by_label("Wachtwoord").fill(DEMO_PASSWORD)
    tab.get_by_role("button", name="Aanmelden").click()
    tab.wait_for_url(f"{live_server.url}/")

    tab.goto(f"{live_server.url}/dossiers/{dossier.reference}/")
    # The form is a card of its own under its heading; the label says what to type.
    card = tab.get_by_role("region", name="Adres van het dossier")
    expect(card).to_have_class("card address-card")
    box = card.get_by_role("combobox", name="Straat en huisnummer")
    tab.locator(".actions-col").screenshot(path="docs/screenshots/dossier-address-card.png")
    box.fill("")
    box.press_sequentially("Kastanje", delay=30)
    options = tab.get_by_role("listbox", name="Adressen uit het adressenregister").get_by_role(
        "option"
    )
    expect(options).to_have_count(2)
    expect(box).to_have_attribute("aria-expanded", "true")
    assert axe_violations(tab) == []

    box.press("ArrowDown")
    box.press("ArrowDown")
    active = box.get_attribute("aria-activedescendant")
    assert active
    assert tab.locator(f"#{active}").get_attribute("aria-selected") == "true"
    assert tab.locator(f"#{active}").inner_text() == "Kastanjedreef 14, 2640 Leemdonk"
    box.press("Escape")
    assert box.get_attribute("aria-expanded") == "false"
    box.press("ArrowDown")  # opens again on the first option
    box.press("ArrowUp")  # wraps round to the last
    box.press("Enter")  # chooses, does not submit
    assert box.input_value() == "Kastanjedreef 14, 2640 Leemdonk"
    assert box.get_attribute("aria-expanded") == "false"
    box.press("Enter")  # now the form is sent
    tab.get_by_text("geverifieerd in het adressenregister").wait_for()
    dossier.refresh_from_db()
    assert dossier.address_verification == AddressVerification.VERIFIED
    assert dossier.address_uri == "https://data.vlaanderen.be/id/adres/3000202"
    assert [e for e in tab.console_errors if "Content Security Policy" in e] == []
    assert axe_violations(tab) == []
