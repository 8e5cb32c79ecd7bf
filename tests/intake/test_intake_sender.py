"""Who a new question is from and who gets the answer, when From is missing or odd:
the first readable From, else Reply-To, Sender, Return-Path; with none, no
acknowledgement and triage with a visible reason."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core import mail

from midoffice.core.models import OutboxMessage
from midoffice.core.outbox import outbox_deliver
from midoffice.dossiers.models import Event, EventKind
from midoffice.intake import services, steps
from midoffice.intake.models import InboundMessage
from tests.factories import UserFactory
from tests.intake.conftest import receive

DATA = Path(__file__).resolve().parent.parent / "data" / "mail"
State = InboundMessage.State

pytestmark = pytest.mark.django_db


@pytest.fixture
def source(triage_type):
    return services.mail_source_for(kind="import")


def acknowledged_to() -> list[str]:
    for pk in OutboxMessage.objects.values_list("pk", flat=True):
        outbox_deliver(message_id=pk)
    return [address for sent in mail.outbox for address in sent.to]


def mail_with(headers: str) -> bytes:
    return (
        headers.strip().replace("\n", "\r\n").encode()
        + b"\r\nTo: onthaal@leemdonk.example\r\nSubject: Vraag over een tuinhuis\r\n"
        b"Date: Mon, 02 Feb 2026 10:00:00 +0100\r\n\r\nMag ik een tuinhuis bouwen?\r\n"
    )


@pytest.mark.parametrize(
    ("headers", "address", "source_header"),
    [
        ("From: <>\nReply-To: Els Maes <els.maes@example.org>", "els.maes@example.org", "reply-to"),
        ("Sender: Els Maes <els.maes@example.org>", "els.maes@example.org", "sender"),
        ("Return-Path: <els.maes@example.org>", "els.maes@example.org", "return-path"),
    ],
)
def test_without_a_readable_from_the_answer_goes_to_the_next_address(
    source, headers, address, source_header
):
    message = receive(mail_with(headers), source)
    assert message.state == State.ROUTED
    assert message.from_address == address
    assert message.recognition["reply_source"] == source_header
    assert message.dossier.requester.primary_email == address
    assert acknowledged_to() == [address]


def test_the_first_readable_of_several_from_headers_is_the_sender(source):
    raw = (DATA / "parser-several-from-first-unreadable.eml").read_bytes()
    message = receive(raw, source)
    requester = message.dossier.requester
    assert requester.primary_email == "marc.smith@example.org"
    assert (requester.given_name, requester.family_name) == ("Marc", "Smith")
    assert acknowledged_to() == ["marc.smith@example.org"]


def test_the_name_in_the_old_comment_form_names_the_new_contact(source):
    raw = (DATA / "parser-from-comment-name.eml").read_bytes()
    message = receive(raw, source)
    assert message.from_name == "Marc Smith"
    assert message.dossier.requester.display_name == "Marc Smith"


@pytest.mark.parametrize(
    "headers",
    ['From: "Els Maes" <>', "Return-Path: <>\nFrom: niet een adres", "X-Nothing: 1"],
)
def test_with_no_sender_at_all_no_acknowledgement_and_triage_says_why(
    source, headers, client, triage_type
):
    message = receive(mail_with(headers), source)
    assert message.state == State.ROUTED
    assert message.reason_code == "no_sender"
    assert message.reason.startswith("Geen afzender")
    dossier = message.dossier
    assert dossier.dossier_type == triage_type
    assert dossier.requester is None
    assert acknowledged_to() == []
    note = Event.objects.get(dossier=dossier, kind=EventKind.NOTE_ADDED)
    assert note.summary.startswith("Geen afzender")
    client.force_login(UserFactory(teams=[triage_type.team]))
    page = client.get("/triage/").content.decode()
    assert dossier.reference in page
    assert "Geen afzender" in page


def test_a_routable_question_without_sender_still_goes_to_triage(source, monkeypatch):
    """Recognition may be sure of the topic: nobody can be answered, so a person looks."""
    from midoffice.intake import recognition as intake_recognition

    real = intake_recognition.recognise

    def sure(*, parsed):
        found, lookup = real(parsed=parsed)
        return intake_recognition.Recognition(
            **{**found.__dict__, "dossier_type_code": "elders", "confidence": 0.99}
        ), lookup

    monkeypatch.setattr(steps, "recognise", sure)
    message = receive(mail_with("X-Nothing: 1"), source)
    assert message.dossier.dossier_type.code == "triage"


def test_a_headerless_eml_is_kept_and_waits_in_triage(source, tmp_path):
    from midoffice.intake.importer import import_one

    row = import_one(
        "import-headerless.eml", (DATA / "import-headerless.eml").read_bytes(), source=source
    )
    assert (row.state, row.dossier is not None) == ("routed", True)
    assert row.reason.startswith("Geen afzender")
