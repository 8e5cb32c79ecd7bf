"""Linking a citizen's contacts (ADR 29) in a real headless Chromium, axe-core on every
page: the portal's "Koppel je e-mailadres", the invitation to follow a dossier in Mijn
Burgerprofiel, and the staff pages that approve, refuse and undo a link."""

from __future__ import annotations

import os
import re

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.test import Client

from midoffice.integrations.fake_oidc.citizens import DEMO_CITIZENS
from midoffice.integrations.fake_oidc.server import FakeOidcProvider
from midoffice.parties.models import Party, PartyChange, PartyLink
from midoffice.parties.services import party_create
from tests.browser.conftest import SCREENSHOTS, axe_violations
from tests.factories import DossierTypeFactory, TeamFactory, UserFactory, open_dossier

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EMMA = DEMO_CITIZENS[0]
HOME_ADDRESS = "emma.thuis@voorbeeld.example"


@pytest.fixture
def page(chromium_browser):
    context = chromium_browser.new_context(locale="nl-BE", viewport={"width": 1100, "height": 900})
    tab = context.new_page()
    yield tab
    context.close()


def check(page, shot: str) -> None:
    assert axe_violations(page) == [], page.url
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"linking-{shot}.png"), full_page=True)


@pytest.fixture
def town(settings):
    settings.DOSIS_ENDPOINT = ""
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    team = TeamFactory(code="omgeving", name="Omgeving")
    dossier_type = DossierTypeFactory(
        team=team, code="info-verbouwen", name="Informatievraag verbouwen"
    )
    mailed = party_create(given_name="Emma", family_name="De Smet", email=HOME_ADDRESS)
    dossier = open_dossier(
        dossier_type=dossier_type, requester=mailed, subject="Mag onze tuinberging groter?"
    )
    return {"team": team, "mailed": mailed, "dossier": dossier}


@pytest.fixture
def government_login(settings):
    provider = FakeOidcProvider(client_id="browser", client_secret="browser-secret").start()
    settings.OIDC_ISSUER = provider.issuer
    settings.OIDC_CLIENT_ID = "browser"
    settings.OIDC_CLIENT_SECRET = "browser-secret"
    yield provider
    provider.stop()


def _mailed_link_sign_in(page, live_server, address: str) -> None:
    page.goto(f"{live_server.url}/mijn/aanmelden/")
    page.get_by_label("Je e-mailadres").fill(address)
    page.get_by_role("button", name="Stuur mij een aanmeldlink").click()
    link = re.search(r"(/mijn/aanmelden/link/\S+/)", mail.outbox[-1].body).group(1)
    page.goto(f"{live_server.url}{link}")
    page.get_by_role("button", name="Aanmelden").click()
    page.wait_for_url(re.compile(r".*/mijn/$"))


def test_the_invitation_on_the_dossier_page_links_after_the_government_login(
    page, live_server, town, government_login
):
    _mailed_link_sign_in(page, live_server, HOME_ADDRESS)
    page.get_by_role("link", name="Mag onze tuinberging groter?").click()
    reference = town["dossier"].reference
    page.wait_for_url(f"**/mijn/dossiers/{reference}")
    assert page.get_by_role("heading", name="Ook in Mijn Burgerprofiel").is_visible()
    check(page, "invitation")

    page.get_by_role("link", name="Meld je één keer aan met je eID of itsme").click()
    page.get_by_role("button", name="Emma De Smet").click()
    page.wait_for_url(f"**/mijn/dossiers/{reference}")
    assert page.get_by_role("heading", name="Ook in Mijn Burgerprofiel").count() == 0
    check(page, "invitation-done")
    emma = Party.objects.get(insz=EMMA.rrn)
    assert PartyLink.objects.get(linked=town["mailed"]).canonical == emma


def test_koppel_je_e_mailadres_wrong_code_then_right_code(
    page, live_server, town, government_login
):
    page.goto(f"{live_server.url}/mijn/aanmelden/oidc/?next=/mijn/")
    page.get_by_role("button", name="Emma De Smet").click()
    page.wait_for_url(re.compile(r".*/mijn/$"))
    page.get_by_role("link", name="Koppel je e-mailadres").click()
    page.get_by_role("heading", name="Koppel je e-mailadres").wait_for()
    check(page, "code-request")

    page.get_by_label("Je e-mailadres").fill(HOME_ADDRESS)
    page.get_by_role("button", name="Stuur me een code").click()
    page.get_by_text(f"We stuurden een code naar {HOME_ADDRESS}").wait_for()
    check(page, "code-enter")
    code = re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)
    wrong = "000000" if code != "000000" else "111111"

    page.get_by_label("Code uit de e-mail").fill(wrong)
    page.get_by_role("button", name="Koppelen").click()
    alert = page.get_by_role("alert")
    alert.wait_for()
    check(page, "code-wrong")
    assert not PartyLink.objects.exists()

    page.get_by_label("Code uit de e-mail").fill(code)
    page.get_by_role("button", name="Koppelen").click()
    page.wait_for_url(re.compile(r".*/mijn/$"))
    assert page.get_by_role("link", name="Mag onze tuinberging groter?").is_visible()
    check(page, "code-linked")
    assert PartyLink.objects.get().state == PartyLink.State.ACTIVE


def _staff(page, live_server, user) -> None:
    client = Client()
    client.force_login(user)
    session = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": django_settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
    )


def test_staff_approve_refuse_and_undo_a_family_mailbox(page, live_server, town):
    from midoffice.parties.linking import identity_link

    # A family mailbox: Emma's and her brother's contacts share the address; Emma proves
    # it with her national number. Both links wait for a colleague.
    brother = party_create(given_name="Jonas", family_name="De Smet", email=HOME_ADDRESS)
    emma = party_create(given_name="Emma", family_name="De Smet", insz=EMMA.rrn)
    links = identity_link(canonical=emma, email=HOME_ADDRESS, proof="code")
    assert {link.state for link in links} == {PartyLink.State.PENDING}
    sofie = UserFactory(username="sofie", first_name="Sofie", teams=[town["team"]])
    _staff(page, live_server, sofie)

    page.goto(f"{live_server.url}/koppelingen/")
    assert page.get_by_role("heading", name="Koppelingen om na te kijken").is_visible()
    assert page.get_by_role("link", name="Jonas De Smet").is_visible()
    check(page, "staff-pending")

    mailed = town["mailed"]
    page.goto(f"{live_server.url}/contacten/{mailed.pk}/")
    links_section = page.get_by_role("region", name="Gekoppelde contacten")
    assert links_section.is_visible()
    check(page, "staff-contact-pending")
    links_section.get_by_role("button", name="Goedkeuren").click()
    page.get_by_text("De contacten zijn gekoppeld.").wait_for()
    check(page, "staff-approved")

    page.goto(f"{live_server.url}/contacten/{brother.pk}/")
    page.get_by_role("region", name="Gekoppelde contacten").get_by_role(
        "button", name="Weigeren"
    ).click()
    page.get_by_text("De koppeling is geweigerd.").wait_for()
    check(page, "staff-refused")

    page.goto(f"{live_server.url}/contacten/{mailed.pk}/")
    page.get_by_role("region", name="Gekoppelde contacten").get_by_role(
        "button", name="Ontkoppelen"
    ).click()
    page.get_by_text("De contacten zijn ontkoppeld.").wait_for()
    check(page, "staff-undone")
    assert set(PartyLink.objects.values_list("state", flat=True)) == {
        PartyLink.State.UNDONE,
        PartyLink.State.REFUSED,
    }
    assert PartyChange.objects.filter(party=mailed, summary__startswith="Ontkoppeld").exists()
    page.goto(f"{live_server.url}/koppelingen/")
    assert page.get_by_text("Geen koppelingen om na te kijken.").is_visible()


def test_staff_record_a_national_number_and_link_at_the_counter(page, live_server, town):
    lucas = party_create(
        given_name="Lucas", family_name="Van den Broeck", email="l@voorbeeld.example"
    )
    emma = party_create(given_name="Emma", family_name="De Smet", insz=EMMA.rrn)
    desk = UserFactory(username="lien", first_name="Lien", role="front_desk", teams=[town["team"]])
    _staff(page, live_server, desk)

    # Lucas shows his identity card: his national number is recorded.
    page.goto(f"{live_server.url}/contacten/{lucas.pk}/wijzigen/")
    section = page.get_by_role("region", name="Rijksregisternummer")
    section.get_by_label("Rijksregisternummer").fill("12345678901")
    section.get_by_role("button", name="Rijksregisternummer bewaren").click()
    page.get_by_text("Dit is geen geldig rijksregisternummer.", exact=True).wait_for()
    check(page, "staff-insz-refused")
    section = page.get_by_role("region", name="Rijksregisternummer")
    section.get_by_label("Rijksregisternummer").fill(DEMO_CITIZENS[1].rrn)
    section.get_by_label("Hoe controleerde je de identiteit?").select_option("id_card")
    section.get_by_role("button", name="Rijksregisternummer bewaren").click()
    page.get_by_text("Het rijksregisternummer is bewaard.").wait_for()
    check(page, "staff-insz-saved")

    # Two contacts with a national number are two people: refused, with the reason.
    page.goto(f"{live_server.url}/contacten/{emma.pk}/")
    page.get_by_role("link", name="Koppelen aan een ander contact").click()
    page.get_by_label("Zoek het andere contact").fill("Lucas")
    page.get_by_role("button", name="Contact zoeken").click()
    page.get_by_label("Lucas Van den Broeck (met rijksregisternummer)").check()
    page.get_by_label("Hoe controleerde je de identiteit?").select_option("id_card")
    page.get_by_role("button", name="Koppelen").click()
    page.get_by_text("twee verschillende personen").first.wait_for()
    check(page, "staff-link-refused")

    # Emma's mailed contact is linked to her national-number contact at the counter.
    mailed = town["mailed"]
    page.goto(f"{live_server.url}/contacten/{mailed.pk}/")
    page.get_by_role("link", name="Koppelen aan een ander contact").click()
    page.get_by_label("Zoek het andere contact").fill("De Smet")
    page.get_by_role("button", name="Contact zoeken").click()
    page.get_by_label("Emma De Smet (met rijksregisternummer)").check()
    page.get_by_label("Hoe controleerde je de identiteit?").select_option("id_card")
    check(page, "staff-link-choose")
    page.get_by_role("button", name="Koppelen").click()
    page.get_by_text("De contacten zijn gekoppeld.").wait_for()
    assert page.get_by_text("Identiteitskaart getoond aan het loket").first.is_visible()
    check(page, "staff-link-done")
    assert PartyLink.objects.get().canonical == emma
