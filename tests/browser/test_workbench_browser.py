"""The staff workbench in a real headless Chromium, with axe-core on every page visited."""

from __future__ import annotations

import re

import pytest

from midoffice.catalog.models import DossierType
from midoffice.dossiers.models import Dossier, Interaction
from midoffice.web.demo import DEMO_PASSWORD, load_demo_data
from tests.browser.conftest import SCREENSHOTS, axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo(settings):
    # The live server speaks plain http; secure-only cookies would never come back.
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    load_demo_data()
    from midoffice.dossiers import services
    from midoffice.parties.models import Party

    services.dossier_open(
        actor=None,
        dossier_type=DossierType.objects.get(code="triage"),
        subject="Vraag over de heraanleg van onze oprit en de stoep",
        description="Mogen we de stoep voor ons huis zelf heraanleggen?",
        requester=Party.objects.get(family_name="Jacobs"),
    )


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
    check(page, "login")
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


def test_triage_and_routing(tab, live_server, demo):
    sign_in(tab, live_server, "onthaal")  # the triage type belongs to the front desk team
    check(tab, "my-work")
    tab.get_by_role("link", name="Triage").click()
    check(tab, "triage")
    dossier = Dossier.objects.get(dossier_type__code="triage")
    target = DossierType.objects.get(code="melding-openbaar-domein")
    tab.get_by_label(f"Dossiertype voor {dossier.reference}").select_option(str(target.pk))
    tab.get_by_role("button", name=f"Doorsturen {dossier.reference}").click()
    tab.get_by_text("is doorgestuurd naar Melding openbaar domein").wait_for()
    check(tab)
    dossier.refresh_from_db()
    assert dossier.dossier_type == target
    assert dossier.team.code == "openbaar_domein"


def test_take_a_dossier_change_its_status_and_register_a_call(tab, live_server, demo):
    sign_in(tab, live_server, "jan")
    tab.get_by_role("link", name="Wachtrij Omgeving").click()
    tab.get_by_role("heading", name="Wachtrij Omgeving").wait_for()
    check(tab, "team-queue")
    dossier = Dossier.objects.get(subject__startswith="Wat mogen we doen bij de renovatie")
    tab.get_by_role("link", name=dossier.reference).click()
    check(tab, "dossier")
    tab.get_by_role("button", name="Neem dit dossier").click()
    tab.get_by_text("Je behandelt dit dossier nu.").wait_for()
    check(tab)
    tab.get_by_label("Nieuwe status").select_option("in-behandeling")
    tab.get_by_label("Reden").first.fill("Plannen worden bekeken")
    tab.get_by_role("button", name="Status wijzigen").click()
    tab.get_by_text("De status is nu “In behandeling”.").wait_for()
    # Register a phone call, by keyboard only: the rarer actions sit under "Meer acties".
    tab.get_by_text("Meer acties").focus()
    tab.keyboard.press("Enter")
    tab.get_by_label("Samenvatting").focus()
    tab.keyboard.type(
        "Burger gebeld: niet alles op het perceel staat op de plannen; afspraak aangeraden."
    )
    tab.keyboard.press("Tab")
    tab.keyboard.press("Enter")
    tab.get_by_text("Telefooncontact geregistreerd.").wait_for()
    check(tab, "dossier-after-call")
    dossier.refresh_from_db()
    assert dossier.assignee.username == "jan"
    assert dossier.status.code == "in-behandeling"
    assert Interaction.objects.get(dossier=dossier).channel == "phone"
    # Bad input shows a clear Dutch message, never a crash.
    tab.get_by_role("button", name="Status wijzigen").click()  # reason empty: browser refuses
    assert tab.get_by_label("Reden").first.evaluate("e => !e.validity.valid")


def test_front_desk_search_and_register_a_visit(tab, live_server, demo):
    sign_in(tab, live_server, "onthaal")
    tab.get_by_label("Zoek dossier of contact").fill("0470 12 34 56")
    tab.keyboard.press("Enter")
    tab.get_by_text("exacte match").first.wait_for()
    check(tab, "search")
    # Live search while typing (htmx), results replace in place.
    search_box = tab.get_by_label(
        "Dossiernummer, naam, e-mailadres, telefoonnummer, adres of tekst"
    )
    search_box.fill("carport")
    tab.get_by_role("link", name=re.compile("Mag ik een carport plaatsen")).wait_for()
    check(tab)
    tab.get_by_role("link", name=re.compile("Mag ik een carport plaatsen")).click()
    tab.get_by_role("heading", name="Tijdlijn").wait_for()
    # The contact page, and a new dossier from a counter visit.
    tab.get_by_role("link", name="Noor Jacobs").click()
    check(tab, "contact")
    tab.get_by_role("link", name=re.compile("Nieuw dossier voor dit contact")).click()
    check(tab, "front-desk")
    tab.get_by_label("Loket").check()
    tab.get_by_label("Dossiertype").select_option(
        label="Vraag over afval en ophaling (Milieu en afval)"
    )
    tab.get_by_label("Onderwerp").fill("Grofvuil ophalen")
    tab.get_by_label("Samenvatting van het gesprek").fill(
        "Vraagt hoe ze grofvuil kan laten ophalen."
    )
    tab.get_by_role("button", name="Dossier openen").click()
    tab.get_by_text(re.compile(r"Dossier \d{4}-\d{6} is geopend")).wait_for()
    check(tab)
    created = Dossier.objects.get(subject="Grofvuil ophalen")
    assert created.channel == "counter"
    assert created.requester.family_name == "Jacobs"


def test_notifications_page(tab, live_server, demo):
    import datetime as dt

    from midoffice.core import clock
    from midoffice.dossiers.deadline_scan import deadline_scan

    deadline_scan(today=clock.today() + dt.timedelta(days=400))
    sign_in(tab, live_server, "lotte")
    tab.get_by_role("link", name=re.compile("Meldingen")).click()
    tab.get_by_text("Termijn overschreden").first.wait_for()
    check(tab, "notifications")
