"""Delivery: e-mail over SMTP (threaded), eBox/paper through the fake Documentendienst."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from midoffice.core.models import OutboxMessage
from midoffice.core.outbox import outbox_deliver, outbox_sweep
from midoffice.correspondence import delivery, services
from midoffice.correspondence.models import LetterState
from midoffice.correspondence.storage import file_read
from midoffice.dossiers.models import EventKind, Interaction
from midoffice.parties.services import party_set_preference

pytestmark = pytest.mark.django_db


def _queued_letter(dossier, handler, template, signer):
    letter = services.letter_compose(actor=handler, dossier=dossier, template=template)
    letter = services.letter_submit(actor=handler, letter=letter)
    return services.letter_sign(actor=signer, letter=letter)


def _outbox(letter) -> OutboxMessage:
    return OutboxMessage.objects.get(idempotency_key=letter.outbox_key)


def test_the_answer_is_threaded_to_the_mail_as_the_intake_recorded_it(
    dossier, handler, letter_template, signer
):
    """Issue 20 #10: the intake and the acknowledgement keep Message-IDs without angle
    brackets; the answer skipped them all and started a new thread."""
    for at, ref in ((1, "vraag-9@voorbeeld.example"), (2, "midoffice.abc123@leemdonk.example")):
        Interaction.objects.create(
            dossier=dossier,
            party=dossier.requester,
            channel="email",
            direction="in" if at == 1 else "out",
            at=timezone.now() - timezone.timedelta(minutes=10 - at),
            summary="mail",
            message_ref=ref,
        )
    letter_template.subject = "Antwoord op je vraag"
    letter_template.save()
    letter = _queued_letter(dossier, handler, letter_template, signer)
    assert outbox_deliver(message_id=_outbox(letter).pk) == "sent"
    message = mail.outbox[0].message()
    assert message["References"] == (
        "<vraag-9@voorbeeld.example> <midoffice.abc123@leemdonk.example>"
    )
    assert message["In-Reply-To"] == "<midoffice.abc123@leemdonk.example>"
    assert mail.outbox[0].subject == f"[{dossier.reference}] Antwoord op je vraag"


def test_email_goes_out_threaded_with_the_signed_pdf(dossier, handler, letter_template, signer):
    Interaction.objects.create(
        dossier=dossier,
        party=dossier.requester,
        channel="email",
        direction="in",
        at=timezone.now(),
        summary="vraag",
        message_ref="<vraag-1@voorbeeld.example>",
    )
    letter = _queued_letter(dossier, handler, letter_template, signer)
    assert outbox_deliver(message_id=_outbox(letter).pk) == "sent"
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.subject == letter.subject == f"Uw vraag – dossier {dossier.reference}"
    assert sent.to == ["emma.desmet@voorbeeld.example"]
    message = sent.message()
    assert message["Message-ID"] == delivery.email_message_id(letter)
    assert message["References"] == "<vraag-1@voorbeeld.example>"
    assert message["In-Reply-To"] == "<vraag-1@voorbeeld.example>"
    filename, content, mimetype = sent.attachments[0]
    assert filename == f"{dossier.reference}-antwoord.pdf"
    assert mimetype == "application/pdf"
    assert content == file_read(name=letter.signed_pdf_name, sha256=letter.signed_sha256)
    letter.refresh_from_db()
    assert letter.state == LetterState.SENT
    assert dossier.events.filter(kind=EventKind.MESSAGE_SENT, public=True).count() == 1
    # Delivering again (a duplicate task) sends nothing.
    assert outbox_deliver(message_id=_outbox(letter).pk) == "skipped"
    assert len(mail.outbox) == 1


def test_ebox_goes_through_magda_with_idempotency_key_and_correlation_id(
    dossier, handler, letter_template, signer, fake_magda
):
    party_set_preference(party=dossier.requester, channel="ebox", ebox_consent=True)
    letter = _queued_letter(dossier, handler, letter_template, signer)
    assert letter.channel == "ebox"
    assert outbox_deliver(message_id=_outbox(letter).pk) == "sent"
    [received] = fake_magda.state.delivered()
    assert received.channel == "EBOX"
    assert received.idempotency_key == letter.outbox_key
    assert received.correlation_id == str(letter.correlation_id)
    assert received.sender_reference == dossier.reference
    assert received.documents[0][0] == f"{dossier.reference}-antwoord.pdf"
    letter.refresh_from_db()
    assert letter.state == LetterState.SENT
    assert letter.external_id == received.message_id


def test_magda_down_then_up_sends_exactly_once(
    dossier, handler, letter_template, signer, fake_magda, settings
):
    settings.CHANNEL_FALLBACK = ["paper"]
    party_set_preference(party=dossier.requester, channel="letter")
    fake_magda.state.mode = "down"
    letter = _queued_letter(dossier, handler, letter_template, signer)
    message = _outbox(letter)
    assert outbox_deliver(message_id=message.pk) == "pending"
    message.refresh_from_db()
    assert "MagdaUnavailable" in message.last_error
    letter.refresh_from_db()
    assert letter.state == LetterState.QUEUED
    assert fake_magda.state.delivered() == []

    fake_magda.state.mode = "up"
    OutboxMessage.objects.filter(pk=message.pk).update(
        next_attempt_at=timezone.now() - dt.timedelta(seconds=1)
    )
    assert outbox_sweep() == 1
    assert outbox_sweep() == 0
    [received] = fake_magda.state.delivered()
    assert received.channel == "PAPER"
    letter.refresh_from_db()
    assert letter.state == LetterState.SENT


def test_accepted_then_timed_out_is_not_delivered_twice(
    dossier, handler, letter_template, signer, fake_magda, settings
):
    party_set_preference(party=dossier.requester, channel="ebox", ebox_consent=True)
    letter = _queued_letter(dossier, handler, letter_template, signer)
    message = _outbox(letter)
    fake_magda.state.mode, fake_magda.state.delay = "slow", 5
    settings.MAGDA_TIMEOUT = 0.3  # type: ignore[assignment]
    assert outbox_deliver(message_id=message.pk) == "pending"  # the client timed out …
    assert len(fake_magda.state.delivered()) == 1  # … after the service accepted
    letter.refresh_from_db()
    assert letter.state == LetterState.QUEUED

    fake_magda.state.mode = "up"
    settings.MAGDA_TIMEOUT = 5
    OutboxMessage.objects.filter(pk=message.pk).update(
        next_attempt_at=timezone.now() - dt.timedelta(seconds=1)
    )
    assert outbox_deliver(message_id=message.pk) == "sent"
    assert len(fake_magda.state.delivered()) == 1
    assert [key for key, _ in fake_magda.state.send_requests] == [letter.outbox_key] * 2
    letter.refresh_from_db()
    assert letter.external_id == fake_magda.state.delivered()[0].message_id


def test_status_poll_marks_delivered_and_keeps_the_bpost_attestation(
    dossier, handler, letter_template, signer, fake_magda
):
    party_set_preference(party=dossier.requester, channel="letter")
    letter = _queued_letter(dossier, handler, letter_template, signer)
    outbox_deliver(message_id=_outbox(letter).pk)
    counts = delivery.letter_poll_statuses()
    assert counts["delivered"] == 1
    letter.refresh_from_db()
    assert letter.state == LetterState.DELIVERED
    assert letter.delivery_status == "DELIVERED"
    attestation = file_read(name=letter.attestation_name, sha256=letter.attestation_sha256)
    assert attestation.startswith(b"%PDF")
    event = dossier.events.get(kind=EventKind.MESSAGE_DELIVERED)
    assert event.public
    assert "afleverbewijs" in event.summary
    assert delivery.letter_poll_statuses()["delivered"] == 0


def test_a_refused_message_marks_the_letter_failed(
    dossier, handler, letter_template, signer, fake_magda, monkeypatch
):
    from midoffice.integrations.magda import base

    party_set_preference(party=dossier.requester, channel="ebox", ebox_consent=True)
    letter = _queued_letter(dossier, handler, letter_template, signer)

    def refuse(*args, **kwargs):
        raise base.MagdaRefused("HTTP 400: recipient has no eBox")

    monkeypatch.setattr("midoffice.integrations.magda.client.RestDocumentService.send", refuse)
    assert outbox_deliver(message_id=_outbox(letter).pk) == "failed"
    letter.refresh_from_db()
    assert letter.state == LetterState.FAILED
    assert "no eBox" in letter.failure_reason
    assert dossier.events.filter(kind=EventKind.MESSAGE_BOUNCED).count() == 1
