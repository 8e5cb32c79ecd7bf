"""Issue 15 on the citizen's side in a real browser: the booking details' address field is
the register's combobox (public suggestions), used by keyboard alone; axe-core finds
nothing with the list open and the CSP holds (no inline script)."""

from __future__ import annotations

import dataclasses

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.test import Client
from playwright.sync_api import expect

from midoffice.integrations.registers.fake_server import FakeRegisterServer
from tests.appointments.factories import local
from tests.appointments.test_views_portal import MONDAY, _value, jcc, now, town  # noqa: F401
from tests.browser.conftest import axe_violations
from tests.browser.test_workbench_browser import tab  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def register(settings):
    server = FakeRegisterServer().start()
    settings.ADDRESS_REGISTER_URL = server.url
    settings.ADDRESS_REGISTER_API_KEY = ""
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    cache.clear()
    try:
        yield server
    finally:
        server.stop()
        cache.clear()


def test_the_citizen_picks_her_address_by_keyboard(
    tab,  # noqa: F811
    live_server,
    town,  # noqa: F811
    jcc,  # noqa: F811
    register,
):
    # The agenda asks an address for this product; the steps before the details page
    # are walked with the test client, whose session the browser then carries on.
    product = jcc.state.products["1"]
    jcc.state.products["1"] = dataclasses.replace(product, required=(*product.required, "Address"))
    walker = Client()
    walker.post("/mijn/afspraak/")
    walker.post("/mijn/afspraak/vragen/", {"question": "wat", "answer": "verbouwen"})
    walker.post("/mijn/afspraak/vragen/", {"question": "plannen", "answer": "ja"})
    walker.post("/mijn/afspraak/wijze/", {"mode": "physical"})
    choice = f"{_value(local(MONDAY, 13, 30))}@1"
    assert walker.post("/mijn/afspraak/tijdstip/", {"start": choice}).status_code == 302
    session = walker.cookies[django_settings.SESSION_COOKIE_NAME].value
    tab.context.add_cookies(
        [{"name": django_settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
    )

    tab.goto(f"{live_server.url}/mijn/afspraak/gegevens/")
    box = tab.get_by_role("combobox", name="Je straat en huisnummer")
    box.press_sequentially("kerkstr 1", delay=30)
    options = tab.get_by_role("listbox", name="Adressen uit het adressenregister").get_by_role(
        "option"
    )
    expect(options).to_have_count(4)
    expect(box).to_have_attribute("aria-expanded", "true")
    assert axe_violations(tab) == []

    box.press("ArrowDown")
    box.press("ArrowDown")
    active = box.get_attribute("aria-activedescendant")
    assert active
    assert tab.locator(f"#{active}").get_attribute("aria-selected") == "true"
    box.press("Enter")  # chooses, does not submit
    assert box.input_value() == "Kerkstraat 10, 2640 Leemdonk"
    assert box.get_attribute("aria-expanded") == "false"
    assert tab.url.endswith("/mijn/afspraak/gegevens/")
    assert [e for e in tab.console_errors if "Content Security Policy" in e] == []
    assert axe_violations(tab) == []
    # The suggestions came from the public endpoint, without any sign-in.
    assert any("/v2/adressen/zoeken?" in r for r in register.state.requests)
