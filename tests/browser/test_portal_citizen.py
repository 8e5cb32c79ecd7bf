"""The citizen's flows in a real headless Chromium, checked with axe-core on every page."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from django.core import mail

from midoffice.catalog.models import StatusType
from midoffice.dossiers import services as dossier_services
from midoffice.dossiers.services import Location
from midoffice.integrations.fake_oidc.citizens import DEMO_CITIZENS
from midoffice.integrations.fake_oidc.server import FakeOidcProvider
from midoffice.parties.models import Party
from midoffice.parties.services import party_create
from tests.factories import DossierTypeFactory, TeamFactory, UserFactory, open_dossier

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="nl-BE", viewport={"width": 1100, "height": 900})
    tab = context.new_page()
    yield tab
    context.close()


def assert_accessible(page) -> None:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    violations = [(v["id"], v["help"]) for v in results.response["violations"]]
    assert results.violations_count == 0, f"{page.url}: {violations}"


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"portal-{name}.png"), full_page=True)


@pytest.fixture
def town(settings):
    settings.DOSIS_ENDPOINT = ""
    team = TeamFactory(code="omgeving", name="Omgeving")
    dossier_type = DossierTypeFactory(
        team=team, code="info-verbouwen", name="Informatievraag verbouwen"
    )
    StatusType.objects.filter(dossier_type=dossier_type, code="ontvangen").update(
        citizen_text="We hebben je vraag goed ontvangen."
    )
    StatusType.objects.filter(dossier_type=dossier_type, code="in-behandeling").update(
        citizen_text="Een medewerker behandelt je vraag."
    )
    StatusType.objects.filter(dossier_type=dossier_type, code="wacht-op-burger").update(
        citizen_text="Bezorg ons de plannen van je verbouwing.", action_needed=True
    )
    citizen = DEMO_CITIZENS[0]
    emma = party_create(
        given_name=citizen.given_name,
        family_name=citizen.family_name,
        insz=citizen.rrn,
        email=citizen.email,
    )
    handler = UserFactory(
        username="sofie", first_name="Sofie", teams=[team], email="sofie@leemdonk.example"
    )
    renovation = open_dossier(
        dossier_type=dossier_type,
        requester=emma,
        subject="Wat mogen we doen bij de renovatie van ons huis?",
        location=Location(
            street="Kastanjedreef", number="14", postcode="2640", municipality="Leemdonk"
        ),
    )
    for code in ("in-behandeling", "wacht-op-burger"):
        dossier_services.dossier_change_status(actor=handler, dossier=renovation, status_code=code)
    open_dossier(dossier_type=dossier_type, requester=emma, subject="Mag ik een carport plaatsen?")
    return {"emma": emma, "renovation": renovation}


def test_portal_oidc_sign_in_dossier_and_follow_up_question(
    page, live_server, settings, town, tmp_path
):
    provider = FakeOidcProvider(client_id="browser", client_secret="browser-secret").start()
    settings.OIDC_ISSUER = provider.issuer
    settings.OIDC_CLIENT_ID = "browser"
    settings.OIDC_CLIENT_SECRET = "browser-secret"
    try:
        page.goto(f"{live_server.url}/mijn/")
        assert "/mijn/aanmelden/" in page.url
        assert_accessible(page)
        shot(page, "signin")
        page.get_by_role("link", name="Aanmelden met eID of itsme").click()
        page.get_by_role("button", name="Emma De Smet").click()
        page.wait_for_url(re.compile(r".*/mijn/$"))
        assert page.get_by_role("heading", name="Mijn dossiers").is_visible()
        assert page.get_by_text("Actie nodig: we wachten op jou").is_visible()
        assert_accessible(page)
        shot(page, "dossiers")

        reference = town["renovation"].reference
        page.get_by_role("link", name="Wat mogen we doen bij de renovatie van ons huis?").click()
        page.wait_for_url(f"**/mijn/dossiers/{reference}")
        assert page.get_by_role(
            "heading", name="Actie nodig: wat verwachten we van jou?"
        ).is_visible()
        assert_accessible(page)

        plan = tmp_path / "plannen.pdf"
        plan.write_bytes(b"%PDF-1.4\n%%EOF\n")
        page.get_by_label("Je vraag", exact=True).fill(
            "Hierbij de plannen. Mag de carport 4 meter breed zijn?"
        )
        page.get_by_label("Bijlage (niet verplicht)").set_input_files(str(plan))
        page.get_by_role("button", name="Vraag versturen").click()
        page.wait_for_url(f"**/mijn/dossiers/{reference}")
        assert page.get_by_text("Je vraag is verstuurd").is_visible()
        assert page.get_by_role("link", name="plannen.pdf").is_visible()
        assert_accessible(page)
        shot(page, "dossier")

        page.set_viewport_size({"width": 390, "height": 800})
        page.goto(f"{live_server.url}/mijn/")
        assert_accessible(page)
        shot(page, "dossiers-mobile")
    finally:
        provider.stop()


def test_portal_sign_in_link_and_contact_preferences(page, live_server, town):
    page.goto(f"{live_server.url}/mijn/aanmelden/")
    page.get_by_label("Je e-mailadres").fill("emma.desmet@voorbeeld.example")
    page.get_by_role("button", name="Stuur mij een aanmeldlink").click()
    page.get_by_role("heading", name="Kijk in je mailbox").wait_for()
    assert_accessible(page)
    link = re.search(r"(/mijn/aanmelden/link/\S+/)", mail.outbox[-1].body).group(1)

    page.goto(f"{live_server.url}{link}")
    assert_accessible(page)
    page.get_by_role("button", name="Aanmelden").click()
    page.wait_for_url(re.compile(r".*/mijn/$"))

    page.get_by_role("link", name="Contactvoorkeuren").click()
    assert_accessible(page)
    page.get_by_label("Brief").check()
    page.get_by_label("Ik ga akkoord dat de gemeente mij brieven in mijn eBox stuurt.").check()
    page.get_by_role("button", name="Voorkeuren bewaren").click()
    page.get_by_text("Je voorkeuren zijn bewaard.").wait_for()
    assert_accessible(page)
    shot(page, "preferences")
    emma = Party.objects.get(pk=town["emma"].pk)
    assert emma.preferred_channel == "letter"
    assert emma.ebox_consent is True

    page.goto(f"{live_server.url}{link}")  # the link was used: it does not work twice
    assert page.get_by_role("heading", name="Deze link werkt niet meer").is_visible()
    assert_accessible(page)
