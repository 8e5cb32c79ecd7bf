"""Issue 20, items 1, 2 and 6 in a real browser.

- A citizen mails a question; the handler answers by e-mail without any consent step (the
  citizen wrote from that address), after adding the address and phone number of the
  mail's signature with one click each.
- The front desk edits a contact: a phone number (a wrong one first), a consent with its
  date and source; the contact page shows it and who did it.
- The preference link of the acknowledgement: a GET shows the choice and a button (a mail
  scanner changes nothing); the button stores it; the page is the portal's and leads on
  to the dossier.

Every page is checked with axe-core (WCAG 2.1 A/AA, zero violations); screenshots go to
docs/screenshots/.
"""

from __future__ import annotations

import re

import pytest
from django.core import mail

from midoffice.catalog.models import DossierType
from midoffice.core.models import OutboxMessage
from midoffice.core.outbox import outbox_deliver
from midoffice.correspondence.models import Letter, LetterState
from midoffice.dossiers import services as dossier_services
from midoffice.dossiers.models import Dossier
from midoffice.intake import services as intake_services
from midoffice.parties.models import Consent, Party, PartyChange
from tests.browser.conftest import SCREENSHOTS, axe_violations, letter_town
from tests.browser.test_workbench_browser import sign_in, tab  # noqa: F401
from tests.intake.conftest import make_mail, receive

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

QUESTION = """Beste,

We willen de garage achter ons huis ombouwen tot een keuken. Mag dat zonder vergunning?

Met vriendelijke groeten,
Lies Maes
Kerkstraat 12, 2640 Leemdonk
0470 12 34 56
"""


@pytest.fixture
def town(settings, tmp_path):
    """Leemdonk's demo data, its letter templates and a demo signing certificate; files
    and caught mail in a fresh folder."""
    letter_town(settings, tmp_path)
    settings.CHANNEL_FALLBACK = ["ebox", "email", "paper"]


@pytest.fixture
def lies_mailed(town) -> Dossier:
    """Lies Maes, unknown to the town, mails her question to the general address."""
    message = receive(
        make_mail(
            subject="Garage ombouwen tot keuken",
            sender="Lies Maes <lies.maes@voorbeeld.example>",
            body=QUESTION,
        ),
        intake_services.mail_source_for(kind="import"),
    )
    dossier = message.dossier
    verbouwen = DossierType.objects.get(code="info-verbouwen")
    if dossier.dossier_type_id != verbouwen.pk:  # routing is not what this test is about
        dossier = dossier_services.dossier_reroute(
            actor=None, dossier=dossier, dossier_type=verbouwen
        )
    return dossier


def check(page, shot: str | None = None) -> None:
    """Zero axe-core WCAG 2.1 A/AA violations and no CSP errors; a screenshot."""
    assert axe_violations(page) == [], page.url
    assert [e for e in page.console_errors if "Content Security Policy" in e] == []
    if shot:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{shot}.png"), full_page=True)


def deliver_outbox() -> None:
    for pk in OutboxMessage.objects.filter(state="pending").values_list("pk", flat=True):
        outbox_deliver(message_id=pk)


def test_a_citizen_who_mailed_is_answered_by_email_without_a_consent_step(
    tab,  # noqa: F811
    live_server,
    lies_mailed,
):
    dossier = lies_mailed
    lies = Party.objects.get(pk=dossier.requester_id)
    assert not lies.email_consent
    assert lies.preferred_channel == ""

    # Sofie opens the dossier: what the signature names is offered with one click.
    sign_in(tab, live_server, "sofie")
    tab.goto(f"{live_server.url}/dossiers/{dossier.reference}/")
    found = tab.get_by_role("definition").filter(has_text="Kerkstraat 12, 2640 Leemdonk")
    assert found.get_by_role("button", name="Als locatie van het dossier").is_visible()
    check(tab, "workbench-dossier-found-in-mail")
    found.get_by_role("button", name="Als adres van Lies Maes toevoegen").click()
    tab.get_by_text("Adres toegevoegd aan Lies Maes: Kerkstraat 12, 2640 Leemdonk.").wait_for()
    tab.get_by_role("button", name="Als locatie van het dossier").click()
    tab.get_by_text("De locatie van het dossier is nu Kerkstraat 12, 2640 Leemdonk.").wait_for()
    tab.get_by_role("button", name="Als telefoonnummer van Lies Maes toevoegen").click()
    tab.get_by_text("Telefoonnummer toegevoegd aan Lies Maes: +32 470 12 34 56.").wait_for()
    assert tab.get_by_text("Gevonden in de e-mail").count() == 0  # all applied
    check(tab)
    assert {p.value for p in lies.contact_points.all()} == {
        "lies.maes@voorbeeld.example",
        "Kerkstraat 12, 2640 Leemdonk",
        "+32470123456",
    }

    # She answers with a letter from a template: it will leave by e-mail, no consent asked.
    tab.get_by_role("button", name="Neem dit dossier").click()
    tab.get_by_text("Je behandelt dit dossier nu.").wait_for()
    tab.get_by_role("link", name="Antwoorden (brief opstellen)").click()
    tab.get_by_label(re.compile("^Antwoord informatievraag verbouwen")).check()
    tab.get_by_role("button", name="Ontwerp maken").click()
    tab.get_by_role("heading", name=re.compile("^Brief: ")).wait_for()
    channel = tab.get_by_role("definition").filter(has_text="de burger schreef ons zelf")
    assert channel.is_visible()
    assert "e-mail" in channel.inner_text()
    assert tab.get_by_text("Deze brief kan niet vertrekken").count() == 0
    check(tab, "letter-email-without-consent")
    tab.get_by_role("button", name="Naar de handtekenmap").click()
    tab.get_by_text("De brief staat in de handtekenmap.").wait_for()

    # Lotte signs; the answer leaves by e-mail to the address Lies wrote from.
    tab.context.clear_cookies()
    sign_in(tab, live_server, "lotte")
    tab.goto(f"{live_server.url}/correspondentie/handtekenmap/")
    tab.get_by_role("button", name=re.compile("^Ondertekenen")).first.click()
    tab.get_by_text(re.compile("ondertekend")).first.wait_for()
    deliver_outbox()
    letter = Letter.objects.get(dossier=dossier)
    assert letter.channel == "email"
    assert letter.state == LetterState.SENT
    answer = [m for m in mail.outbox if "lies.maes@voorbeeld.example" in m.to]
    assert [m for m in answer if m.attachments], "the answer letter went out by e-mail"


def test_the_front_desk_edits_a_contact(tab, live_server, lies_mailed):  # noqa: F811
    lies = Party.objects.get(pk=lies_mailed.requester_id)
    sign_in(tab, live_server, "onthaal")
    tab.goto(f"{live_server.url}/contacten/{lies.pk}/")
    tab.get_by_role("link", name="Contactgegevens wijzigen").click()
    tab.get_by_role("heading", name="Contact wijzigen: Lies Maes").wait_for()
    check(tab, "workbench-contact-edit")

    # A wrong phone number is refused in Dutch, and what was typed stays.
    tab.get_by_label("Telefoonnummer toevoegen").fill("0470 12")
    tab.get_by_role("button", name="Telefoonnummer toevoegen").click()
    tab.get_by_role("alert").filter(has_text="Dit is geen geldig telefoonnummer.").wait_for()
    assert (
        tab.get_by_role("region", name="Telefoonnummers")
        .get_by_text("Dit is geen geldig telefoonnummer.")
        .is_visible()
    )
    assert tab.get_by_label("Telefoonnummer toevoegen").input_value() == "0470 12"
    check(tab)
    tab.get_by_label("Telefoonnummer toevoegen").fill("03 201 23 45")
    tab.get_by_role("button", name="Telefoonnummer toevoegen").click()
    tab.get_by_text("Telefoonnummer toegevoegd: +3232012345.").wait_for()

    # Lies said at the counter that she does not want letters in her eBox.
    tab.get_by_label("eBox").check()
    tab.get_by_label("weigert").check()
    tab.get_by_label("Datum").fill("2026-03-12")
    tab.get_by_label("Hoe liet de burger het weten?").select_option(label="mondeling aan het loket")
    tab.get_by_role("button", name="Registreren").click()
    tab.get_by_text("Toestemming eBox geregistreerd: geweigerd.").wait_for()
    check(tab, "workbench-contact-edit-after")
    consent = Consent.objects.get(party=lies)
    assert (consent.channel, consent.granted, consent.source) == ("ebox", False, "counter")
    assert consent.recorded_by.username == "onthaal"

    tab.get_by_role("link", name="← Terug naar Lies Maes").click()
    # The click navigates: wait for the contact page rather than look at the one leaving.
    facts = tab.get_by_role("definition").filter(has_text="geweigerd op 12-03-2026")
    facts.filter(has_text="mondeling aan het loket").wait_for()
    changes = tab.get_by_role("region", name="Wijzigingen")
    assert changes.get_by_text("Telefoonnummer toegevoegd: +3232012345").is_visible()
    assert changes.get_by_text(re.compile("Toestemming eBox: geweigerd")).is_visible()
    check(tab, "workbench-contact-after-edit")
    assert PartyChange.objects.filter(party=lies, actor__username="onthaal").count() == 2


def test_the_preference_link_asks_before_it_stores(tab, live_server, lies_mailed):  # noqa: F811
    (text,) = [
        m.payload["text"]
        for m in OutboxMessage.objects.filter(topic="mail.send")
        if m.payload.get("to") == ["lies.maes@voorbeeld.example"]
    ]
    links = dict(
        re.findall(r"^- ([^:\n]+): https?://[^/\s]+(/intake/voorkeur/\S+)", text, re.MULTILINE)
    )
    assert set(links) == {"E-mail", "Telefoon", "Brief", "eBox"}, text

    # What a mail scanner does: open every link. Nothing changes.
    for path in links.values():
        tab.goto(f"{live_server.url}{path}")
    lies = Party.objects.get(pk=lies_mailed.requester_id)
    assert lies.preferred_channel == ""
    assert not lies.ebox_consent

    # Lies clicks "Brief" and confirms.
    tab.goto(f"{live_server.url}{links['Brief']}")
    assert tab.title() == "Hoe wil je dat we contact met je opnemen? – Gemeente Leemdonk"
    assert tab.get_by_text("met een brief op papier").is_visible()
    check(tab, "portal-preference-confirm")
    tab.get_by_role("button", name="Bevestig mijn keuze").click()
    tab.get_by_role("heading", name="Bedankt voor je keuze").wait_for()
    check(tab, "portal-preference-done")
    lies.refresh_from_db()
    assert lies.preferred_channel == "letter"
    tab.get_by_role("link", name=f"Bekijk je dossier {lies_mailed.reference}").click()
    tab.wait_for_url(re.compile(r".*/mijn/aanmelden/\?next=.*"))  # the portal, to sign in
    check(tab)
