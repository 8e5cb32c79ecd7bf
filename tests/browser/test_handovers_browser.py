"""Issue 20 in a real browser: the hand-overs between citizen, handler and team lead.

- a letter to sign reaches the team lead (menu, home, *Meldingen*), who signs it from home;
- once the answer has left, the handler is proposed the next status and sets it in one click;
- a citizen's reply by mail reaches the handler and flags the dossier in *Mijn werk* until
  she opens it;
- the citizen sees her own mail (and its attachment) and the signed answer in the portal.

Every page is checked with axe-core (WCAG 2.1 A/AA, zero violations); screenshots go to
docs/screenshots/.
"""

from __future__ import annotations

import re

import pytest

from midoffice.core.models import OutboxMessage
from midoffice.core.outbox import outbox_deliver
from midoffice.correspondence import services as letters
from midoffice.correspondence.models import Letter, LetterState, LetterTemplate
from midoffice.dossiers.models import Dossier, Notification
from midoffice.intake import services as intake_services
from midoffice.integrations.fake_oidc.server import FakeOidcProvider
from tests.browser.conftest import SCREENSHOTS, axe_violations, letter_town
from tests.browser.test_workbench_browser import check, sign_in, tab  # noqa: F401
from tests.intake.conftest import make_mail, receive

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RENOVATION = "Wat mogen we doen bij de renovatie van ons huis?"
CARPORT = "Mag ik een carport plaatsen zonder vergunning?"
PLAN = b"%PDF-1.4\n% plan van de carport\n%%EOF\n"


@pytest.fixture
def town(settings, tmp_path):
    """Leemdonk's demo data, its letter templates and a demo signing certificate, with
    files in a fresh folder."""
    letter_town(settings, tmp_path)
    return {
        "renovation": Dossier.objects.get(subject=RENOVATION),
        "carport": Dossier.objects.get(subject=CARPORT),
    }


def deliver_outbox() -> None:
    """What the worker does: hand every queued message to its channel."""
    for pk in OutboxMessage.objects.filter(state="pending").values_list("pk", flat=True):
        outbox_deliver(message_id=pk)


def _reference_link(page, reference: str):
    return page.get_by_role("link", name=reference, exact=True)


def test_letter_to_sign_reaches_the_team_lead_who_signs_from_home_then_status_proposed(
    tab,  # noqa: F811
    live_server,
    town,
):
    dossier = town["renovation"]
    # Sofie (handler, Omgeving) takes the dossier and writes the answer.
    sign_in(tab, live_server, "sofie")
    tab.goto(f"{live_server.url}/dossiers/{dossier.reference}/")
    tab.get_by_role("button", name="Neem dit dossier").click()
    tab.get_by_text("Je behandelt dit dossier nu.").wait_for()
    tab.get_by_role("link", name="Antwoorden (brief opstellen)").click()
    tab.get_by_label(re.compile("^Antwoord informatievraag verbouwen")).check()
    tab.get_by_role("button", name="Ontwerp maken").click()
    tab.get_by_role("heading", name=re.compile("^Brief: ")).wait_for()
    tab.get_by_role("button", name="Naar de handtekenmap").click()
    tab.get_by_text("De brief staat in de handtekenmap.").wait_for()
    assert tab.get_by_role("link", name=re.compile(r"^Handtekenmap")).count() == 0  # no signer
    letter = Letter.objects.get(dossier=dossier)
    assert letter.state == LetterState.TO_SIGN

    # Lotte (team lead of Omgeving) sees it on arrival: menu, home, notifications.
    tab.context.clear_cookies()
    sign_in(tab, live_server, "lotte")
    assert tab.get_by_role("link", name="Handtekenmap (1)").is_visible()
    assert tab.get_by_role("heading", name="Te ondertekenen: 1 brief").is_visible()
    check(tab, "home-to-sign")
    tab.get_by_role("link", name=re.compile(r"^Meldingen")).click()
    notice = tab.get_by_role("listitem").filter(has_text="Brief te ondertekenen")
    notice.filter(has_text=dossier.reference).wait_for()
    check(tab, "notifications-letter-to-sign")

    # She signs from her home page.
    tab.get_by_role("link", name="Mijn werk").click()
    tab.get_by_role("button", name=f"Ondertekenen brief {dossier.reference}").click()
    tab.get_by_text(f"Brief voor {dossier.reference} ondertekend.").wait_for()
    check(tab)
    assert tab.get_by_role("link", name="Handtekenmap (0)").is_visible()
    letter.refresh_from_db()
    assert letter.state == LetterState.QUEUED
    assert letter.signed_by.username == "lotte"
    assert not Notification.objects.filter(
        kind=Notification.Kind.LETTER_TO_SIGN, read_at__isnull=True
    ).exists()

    # The answer leaves; Sofie is proposed the next status and sets it in one click.
    deliver_outbox()
    letter.refresh_from_db()
    assert letter.state == LetterState.SENT
    tab.context.clear_cookies()
    sign_in(tab, live_server, "sofie")
    tab.goto(f"{live_server.url}/dossiers/{dossier.reference}/")
    proposal = tab.get_by_role("region", name=re.compile("Het antwoord is verstuurd"))
    assert proposal.get_by_role(
        "heading", name=re.compile("Dossier op ‘Beantwoord’ zetten?")
    ).is_visible()
    assert proposal.get_by_role("button", name="Afsluiten: Vraag beantwoord").is_visible()
    check(tab, "dossier-status-proposal")
    assert Dossier.objects.get(pk=dossier.pk).status.code != "beantwoord"  # never by itself
    proposal.get_by_role("button", name="Op ‘Beantwoord’ zetten").click()
    tab.get_by_text("De status is nu “Beantwoord”.").wait_for()
    check(tab)
    assert Dossier.objects.get(pk=dossier.pk).status.code == "beantwoord"
    assert tab.get_by_role("region", name=re.compile("Het antwoord is verstuurd")).count() == 0


def test_a_reply_by_mail_reaches_the_handler_and_is_flagged_until_she_opens_it(
    tab,  # noqa: F811
    live_server,
    town,
):
    dossier = town["carport"]  # Sofie's, waiting for Noor
    assert dossier.assignee.username == "sofie"
    receive(
        make_mail(
            subject=f"Re: [{dossier.reference}] de plannen van de carport",
            sender="Noor Jacobs <noor.jacobs@voorbeeld.example>",
            body="Dag Sofie, hierbij de plannen.",
            attachments=[("carport.pdf", "application/pdf", PLAN)],
        ),
        intake_services.mail_source_for(kind="import"),
    )

    sign_in(tab, live_server, "sofie")
    assert tab.get_by_role("link", name="Meldingen 1 ongelezen").is_visible()
    row = tab.get_by_role("row").filter(has=_reference_link(tab, dossier.reference))
    assert row.get_by_text("nieuw bericht", exact=True).is_visible()
    assert (
        tab.get_by_role("list", name="Aantallen per status")
        .get_by_text("Nieuw bericht 1")
        .is_visible()
    )
    check(tab, "my-work-new-message")
    tab.get_by_role("link", name=re.compile(r"^Meldingen")).click()
    notice = tab.get_by_role("listitem").filter(has_text="Nieuwe e-mail van de burger")
    notice.filter(has_text="de plannen van de carport").wait_for()
    check(tab, "notifications-citizen-mail")

    # She opens the dossier: the mail is there, and the flag is gone.
    notice.get_by_role("link", name=re.compile(dossier.reference)).click()
    tab.get_by_role("heading", name=re.compile("de plannen van de carport")).first.wait_for()
    check(tab)
    tab.get_by_role("link", name="Mijn werk").click()
    row = tab.get_by_role("row").filter(has=_reference_link(tab, dossier.reference))
    row.wait_for()
    assert row.get_by_text("nieuw bericht", exact=True).count() == 0
    tab.get_by_role("link", name="Meldingen", exact=True).wait_for()
    check(tab)
    assert Dossier.objects.get(pk=dossier.pk).unread_since is None


def test_the_citizen_sees_her_own_mail_and_the_signed_answer_in_the_portal(
    tab,  # noqa: F811
    live_server,
    town,
    settings,
):
    from midoffice.accounts.models import User

    dossier = town["renovation"]
    sofie, lotte = User.objects.get(username="sofie"), User.objects.get(username="lotte")
    receive(
        make_mail(
            subject=f"Re: [{dossier.reference}] plan van de zolder",
            sender="Emma De Smet <emma.desmet@voorbeeld.example>",
            body="Hierbij het plan van de zolder.",
            attachments=[("zolder.pdf", "application/pdf", PLAN)],
        ),
        intake_services.mail_source_for(kind="import"),
    )
    template = LetterTemplate.objects.get(name="Antwoord informatievraag verbouwen")
    letter = letters.letter_compose(actor=sofie, dossier=dossier, template=template)
    letter = letters.letter_submit(actor=sofie, letter=letter)
    letters.letter_sign(actor=lotte, letter=letter)
    deliver_outbox()
    letter.refresh_from_db()
    assert letter.state == LetterState.SENT

    provider = FakeOidcProvider(client_id="browser", client_secret="browser-secret").start()
    settings.OIDC_ISSUER = provider.issuer
    settings.OIDC_CLIENT_ID = "browser"
    settings.OIDC_CLIENT_SECRET = "browser-secret"
    try:
        tab.goto(f"{live_server.url}/mijn/dossiers/{dossier.reference}")
        tab.get_by_role("link", name="Aanmelden met eID of itsme").click()
        tab.get_by_role("button", name="Emma De Smet").click()
        tab.get_by_role("heading", name=RENOVATION).wait_for()
        if not tab.url.endswith(dossier.reference):  # (the login may land on the list)
            tab.get_by_role("link", name=RENOVATION).click()
            tab.get_by_role("heading", name=RENOVATION).wait_for()

        mail = tab.get_by_role("article", name=re.compile("Jouw e-mail: Re: .*plan van de zolder"))
        assert mail.get_by_text("Hierbij het plan van de zolder.").is_visible()
        with tab.expect_download() as attachment:
            mail.get_by_role("link", name="zolder.pdf").click()
        assert attachment.value.suggested_filename == "zolder.pdf"
        answer = tab.get_by_role("link", name=re.compile("^Antwoord van de gemeente: "))
        answer.wait_for()
        assert tab.get_by_text("Er zijn nog geen documenten").count() == 0
        with tab.expect_download() as download:
            answer.click()
        assert download.value.suggested_filename == f"{dossier.reference}-antwoord-{letter.pk}.pdf"
        with open(download.value.path(), "rb") as handle:
            assert handle.read() == letters.file_read(
                name=letter.signed_pdf_name, sha256=letter.signed_sha256
            )
        assert axe_violations(tab) == [], tab.url
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        tab.screenshot(path=str(SCREENSHOTS / "portal-answer-and-own-mail.png"), full_page=True)
    finally:
        provider.stop()
