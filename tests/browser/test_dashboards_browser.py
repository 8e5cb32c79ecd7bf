"""The dashboards in a real headless Chromium, with axe-core on every page visited."""

from __future__ import annotations

import re

import pytest

from midoffice.web.demo import DEMO_PASSWORD, load_demo_data
from tests.browser.conftest import SCREENSHOTS, axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo(settings):
    # The live server speaks plain http; secure-only cookies would never come back.
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    load_demo_data()  # includes the analytics history and the director (analytics.demo)


@pytest.fixture
def tab(chromium_browser):
    context = chromium_browser.new_context(locale="nl-BE", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.console_errors = errors  # type: ignore[attr-defined]
    yield page
    context.close()


def sign_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/aanmelden/")
    page.get_by_label("Gebruikersnaam").fill(username)
    page.get_by_label("Wachtwoord").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Aanmelden").click()
    page.wait_for_url(f"{live_server.url}/")


def check(page, shot: str | None = None) -> None:
    """Zero axe-core WCAG 2.1 A/AA violations and no CSP/console errors; a screenshot."""
    assert axe_violations(page) == [], page.url
    assert [e for e in page.console_errors if "Content Security Policy" in e] == []
    if shot:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"workbench-{shot}.png"), full_page=True)


def test_management_reads_the_dashboard_and_opens_the_dossiers_behind_a_number(
    tab, live_server, demo
):
    sign_in(tab, live_server, "directeur")
    tab.get_by_role("link", name="Analyse", exact=True).click()
    tab.get_by_role("heading", name="Analyse: werklast").wait_for()
    check(tab, "dashboard")
    # Every dashboard is a tab; the charts are named images beside the tables.
    charts = 0
    for name, shot in (
        ("Instroom en routering", "dashboard-intake"),
        ("Brieven en afspraken", None),
        ("Termijnen en doorlooptijd", None),
    ):
        tab.get_by_role("link", name=name, exact=True).click()
        tab.get_by_role("heading", name=f"Analyse: {name.lower()}").wait_for()
        check(tab, shot)
        charts += tab.locator("svg[role=img]").count()
        assert tab.locator("svg[role=img] title").first.text_content()
    assert charts >= 6
    # A number opens the dossiers behind it.
    table = tab.get_by_role("region", name="Binnen de wettelijke termijn, per maand")
    first = table.locator("tbody tr td a").first
    shown = first.text_content().strip()
    first.click()
    tab.get_by_text("Achter dit getal:").wait_for()
    check(tab, "dashboard-list")
    assert re.search(rf"Achter dit getal: {re.escape(shown)}\.", tab.content())
    tab.get_by_role("link", name="Terug naar de analyse").click()
    tab.get_by_role("heading", name="Analyse: werklast").wait_for()


def test_a_team_lead_filters_her_team_by_keyboard(tab, live_server, demo):
    sign_in(tab, live_server, "lotte")
    tab.goto(f"{live_server.url}/analyse/termijnen/")
    # Only her team can be chosen; the filters work from the keyboard.
    options = tab.get_by_label("Team", exact=True).locator("option").all_text_contents()
    assert options == ["Al mijn teams", "Omgeving"]
    tab.get_by_label("Dossiertype", exact=True).select_option(
        label="Informatievraag verbouwen (Omgeving)"
    )
    tab.get_by_role("button", name="Toon").focus()
    tab.keyboard.press("Enter")
    tab.wait_for_url(re.compile(r"/analyse/termijnen/\?.*type=\d+"))
    check(tab)
    assert "Burgerzaken" not in tab.locator("main").text_content()
    # A bad period gets a clear Dutch message, not a crash.
    tab.goto(f"{live_server.url}/analyse/?van=2026-03-10&tot=2026-03-01")
    tab.get_by_text("De einddatum ligt voor de begindatum.").wait_for()
    check(tab)


def test_a_handler_does_not_see_the_dashboards(tab, live_server, demo):
    sign_in(tab, live_server, "sofie")
    assert tab.get_by_role("link", name="Analyse", exact=True).count() == 0
    tab.goto(f"{live_server.url}/analyse/")
    tab.get_by_text("De analyses zijn er voor teamverantwoordelijken en het management.").wait_for()
    check(tab)
