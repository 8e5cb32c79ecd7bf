"""Issue 19, item 9: a right-to-left override or an invisible-only subject, name or file
name from a citizen's mail is neutralised wherever the workbench or our mail shows it,
and stored as it was received."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from midoffice.core.models import OutboxMessage
from midoffice.intake import services as intake
from tests.factories import DossierTypeFactory, TeamFactory, UserFactory, open_dossier, triage_type

RLO = "\u202e"
SPOOFED = f"factuur{RLO}fdp.exe"  # reads as "factuurexe.pdf"
ZWSP = "\u200b"
HANGUL_FILLER = "\u3164"


def _mail(*, subject: str, sender_name: str, filename: str) -> bytes:
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = f'"{sender_name}" <kristina@voorbeeld.example>'
    msg["To"] = "onthaal@leemdonk.example"
    msg["Message-ID"] = "<spoof-1@voorbeeld.example>"
    msg.set_content("Zie bijlage.")
    msg.add_attachment(b"MZ not a pdf", maintype="application", subtype="pdf", filename=filename)
    # A name of only a Hangul filler: a letter to Unicode, nothing to the eye.
    msg.add_attachment(b"%PDF-1.4", maintype="application", subtype="pdf", filename=HANGUL_FILLER)
    return msg.as_bytes()


@pytest.fixture
def spoofed_mail(db, tmp_path, settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    team = TeamFactory(code="onthaal")
    triage_type(team=team)
    message = intake.inbound_store(
        _mail(subject=SPOOFED, sender_name=f"Kristina{RLO}", filename=SPOOFED),
        source=intake.mail_source_for(kind="import"),
        enqueue=False,
    )
    message = intake.inbound_process(inbound_id=message.pk)
    return message, UserFactory(teams=[team])


def test_the_dossier_page_shows_no_override(client, spoofed_mail):
    message, staff = spoofed_mail
    client.force_login(staff)
    page = client.get(f"/dossiers/{message.dossier.reference}/").content.decode()
    assert RLO not in page
    assert "factuurfdp.exe" in page
    assert "Kristina" in page


def test_the_stored_values_are_kept_as_received(spoofed_mail):
    message, _ = spoofed_mail
    assert message.subject == SPOOFED
    # Intake already keeps a cleaned file name beside the sender's own (mailparse).
    assert message.attachments.filter(original_filename=SPOOFED).exists()


def test_the_download_name_has_no_override(client, spoofed_mail):
    message, staff = spoofed_mail
    client.force_login(staff)
    # The disguised program is held (issue 20 #7): released first, so it downloads.
    for held in message.attachments.filter(held_at__isnull=False):
        intake.attachment_release(
            actor=staff, dossier=message.dossier, attachment_id=held.pk, reason="Test"
        )
    for attachment in message.attachments.all():
        url = f"/dossiers/{message.dossier.reference}/bijlagen/{attachment.pk}/"
        disposition = client.get(url)["Content-Disposition"]
        assert "%E2%80%AE" not in disposition.upper()  # RLO
        assert "%E3%85%A4" not in disposition.upper()  # Hangul filler
        assert "factuurfdp.exe" in disposition or 'filename="bijlage"' in disposition


def test_an_invisible_file_name_shows_a_placeholder(client, spoofed_mail):
    message, staff = spoofed_mail
    client.force_login(staff)
    page = client.get(f"/dossiers/{message.dossier.reference}/").content.decode()
    assert HANGUL_FILLER not in page
    assert "(geen bestandsnaam)" in page


def test_the_acknowledgement_does_not_echo_the_override(spoofed_mail):
    # A disguised program gets no acknowledgement at all (issue 20 #7, ADR 12) ...
    assert not OutboxMessage.objects.filter(topic="mail.send").exists()
    # ... the same spoofed subject and name with a harmless file do.
    raw = _mail(subject=SPOOFED, sender_name=f"Kristina{RLO}", filename="plan.pdf")
    stored = intake.inbound_store(
        raw.replace(b"<spoof-1@", b"<spoof-2@"),
        source=intake.mail_source_for(kind="import"),
        enqueue=False,
    )
    intake.inbound_process(inbound_id=stored.pk)
    payload = OutboxMessage.objects.get(topic="mail.send").payload
    for part in ("subject", "text", "html"):
        assert RLO not in payload[part], part
    assert "Beste Kristina," in payload["text"]


@pytest.mark.django_db
def test_an_invisible_subject_shows_the_placeholder_in_lists_and_on_the_page(client):
    team = TeamFactory(code="omgeving")
    staff = UserFactory(teams=[team])
    dossier = open_dossier(dossier_type=DossierTypeFactory(team=team), subject=ZWSP * 3)
    assert dossier.subject == ZWSP * 3  # stored as received
    client.force_login(staff)
    for url in [
        f"/dossiers/{dossier.reference}/",
        f"/wachtrij/{team.code}/",
        "/zoeken/?q=" + dossier.reference,
    ]:
        page = client.get(url).content.decode()
        assert ZWSP not in page, url
        assert "(geen onderwerp)" in page, url


def test_the_contact_page_neutralises_contact_moment_summaries(client, db):
    """Found by the outside probe: the contact page printed the summaries as received."""
    from midoffice.dossiers.services import interaction_log
    from tests.factories import PartyFactory, UserFactory

    party = PartyFactory()
    interaction_log(
        actor=None,
        dossier=None,
        party=party,
        channel="email",
        direction="in",
        summary="E-mail ontvangen: Factuur \u202egnp.exe belasting",
    )
    client.force_login(UserFactory())
    page = client.get(f"/contacten/{party.pk}/").content.decode()
    assert "\u202e" not in page
    assert "Factuur gnp.exe belasting" in page
