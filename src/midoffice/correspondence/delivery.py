"""Outbox handlers that deliver letters, and the status poll of the Documentendienst.

E-mail goes through the town's SMTP server (topic ``correspondence.email``); eBox and
paper (and e-mail when the town prefers) through the MAGDA Documentendienst (topic
``correspondence.magda``) with the outbox idempotency key as ``Idempotency-Key``, so a
retry after a crash or a timeout never delivers twice.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage

from midoffice.core.display import display_text
from midoffice.core.mail import mail_domain
from midoffice.core.models import OutboxMessage
from midoffice.core.outbox import Delivery, PermanentFailure, outbox_handler
from midoffice.correspondence import plugins, services
from midoffice.correspondence.models import Letter, LetterState
from midoffice.correspondence.selectors import email_template_for, party_reach
from midoffice.correspondence.storage import file_read
from midoffice.correspondence.templating import TemplateInvalid, template_render
from midoffice.integrations.magda.base import (
    Channel,
    DeliveryState,
    Document,
    MagdaRefused,
    MagdaUnavailable,
    OutgoingDocumentMessage,
    Recipient,
)

logger = logging.getLogger(__name__)

MAGDA_CHANNEL = {"ebox": Channel.EBOX, "paper": Channel.PAPER, "email": Channel.EMAIL}

DEFAULT_EMAIL_BODY = (
    "Beste {{ requester.name }},\n\n"
    'In de bijlage vind je ons antwoord op je vraag "{{ dossier.subject }}" '
    "(dossier {{ dossier.reference }}).\n\n"
    "Antwoord je op deze e-mail, dan komt je bericht rechtstreeks bij je dossier.\n\n"
    "Met vriendelijke groeten,\n{{ handler.name }}\n{{ town.name }}"
)


def _load(delivery: Delivery) -> Letter:
    return Letter.objects.select_related(
        "dossier",
        "dossier__dossier_type",
        "dossier__team",
        "dossier__status",
        "recipient",
        "created_by",
    ).get(pk=delivery.payload["letter_id"])


def _documents(letter: Letter) -> list[Document]:
    name, sha256 = letter.final_pdf
    docs = [
        Document(
            filename=f"{letter.dossier.reference}-antwoord.pdf",
            content=file_read(name=name, sha256=sha256),
        )
    ]
    for attachment in letter.attachments:
        docs.append(
            Document(
                filename=attachment["filename"],
                content=file_read(name=attachment["name"], sha256=attachment["sha256"]),
            )
        )
    return docs


def _email_body(letter: Letter) -> str:
    template = email_template_for(dossier_type=letter.dossier.dossier_type)
    context = services.template_context(dossier=letter.dossier, handler=letter.created_by)
    try:
        return template_render(
            source=template.body if template else DEFAULT_EMAIL_BODY, context=context
        ).strip()
    except TemplateInvalid:
        logger.warning("e-mail template failed; default text used", extra={"letter": letter.pk})
        return template_render(source=DEFAULT_EMAIL_BODY, context=context).strip()


def email_message_id(letter: Letter) -> str:
    """The same Message-ID on every attempt, so a repeat is recognisable as one message."""
    return f"<letter-{letter.pk}.{letter.correlation_id.hex[:16]}@{mail_domain()}>"


def _msg_id(ref: str) -> str | None:
    """``ref`` as a Message-ID header value (``<id@domain>``), or None when it is not one.

    The intake and the acknowledgement keep ids without the angle brackets."""
    bare = ref.strip().removeprefix("<").removesuffix(">").strip()
    if "@" not in bare or any(c in bare for c in "<> \t\r\n"):
        return None
    return f"<{bare}>"


def thread_references(letter: Letter) -> list[str]:
    """Message-IDs earlier in the dossier's conversation (inbound mails, earlier answers)."""
    found = list(
        letter.dossier.interactions.exclude(message_ref="")
        .order_by("at", "id")
        .values_list("message_ref", flat=True)
    )
    found += list(
        Letter.objects.filter(dossier=letter.dossier, id__lt=letter.pk)
        .exclude(email_message_id="")
        .order_by("id")
        .values_list("email_message_id", flat=True)
    )
    refs = [ref for ref in map(_msg_id, found) if ref]
    return list(dict.fromkeys(refs))[-20:]


def email_subject(letter: Letter) -> str:
    """The letter's subject, with the dossier reference in front unless it names it already."""
    subject = display_text(letter.subject)
    reference = letter.dossier.reference
    return subject if reference in subject else f"[{reference}] {subject}"


def email_build(letter: Letter) -> EmailMessage:
    reach = party_reach(party=letter.recipient) if letter.recipient else None
    if reach is None or not reach.email:
        raise PermanentFailure("no e-mail address for the recipient")
    message_id = email_message_id(letter)
    headers = {"Message-ID": message_id}
    refs = thread_references(letter)
    if refs:
        headers["References"] = " ".join(refs)
        headers["In-Reply-To"] = refs[-1]
    message = EmailMessage(
        subject=email_subject(letter),
        body=_email_body(letter),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[reach.email],
        headers=headers,
    )
    for document in _documents(letter):
        message.attach(document.filename, document.content, document.media_type)
    return message


@outbox_handler(services.TOPIC_EMAIL)
def deliver_email(delivery: Delivery) -> dict[str, Any]:
    """Send the answer by SMTP. SMTP has no idempotency key: the fixed Message-ID lets a
    receiving system recognise the rare repeat after a crash between "sent" and "recorded"."""
    letter = _load(delivery)
    if letter.state in (LetterState.SENT, LetterState.DELIVERED):
        return {"message_id": letter.email_message_id, "repeat": True}
    message = email_build(letter)
    message.send(fail_silently=False)
    message_id = message.extra_headers["Message-ID"]
    services.letter_mark_sent(
        letter_id=letter.pk, external_id=message_id, email_message_id=message_id
    )
    return {"message_id": message_id}


def magda_build(letter: Letter) -> OutgoingDocumentMessage:
    reach = party_reach(party=letter.recipient) if letter.recipient else None
    if reach is None:
        raise PermanentFailure("the letter has no recipient")
    address = reach.address
    return OutgoingDocumentMessage(
        channel=MAGDA_CHANNEL[letter.channel],
        recipient=Recipient(
            name=reach.name,
            insz=reach.insz,
            kbo=reach.kbo,
            email=reach.email if letter.channel == "email" else "",
            street=address.street if address else "",
            house_number=address.house_number if address else "",
            box=address.box if address else "",
            postcode=address.postcode if address else "",
            municipality=address.municipality if address else "",
            country=address.country if address else "BE",
        ),
        subject=email_subject(letter),
        body=_email_body(letter),
        documents=tuple(_documents(letter)),
        sender_reference=letter.dossier.reference,
        registered=letter.channel == "paper",
    )


@outbox_handler(services.TOPIC_MAGDA)
def deliver_magda(delivery: Delivery) -> dict[str, Any]:
    """Hand the letter to the Documentendienst with the outbox key as Idempotency-Key."""
    letter = _load(delivery)
    if letter.state in (LetterState.SENT, LetterState.DELIVERED):
        return {"message_id": letter.external_id, "repeat": True}
    message = magda_build(letter)
    try:
        receipt = plugins.document_service().send(
            message,
            idempotency_key=delivery.idempotency_key,
            correlation_id=str(letter.correlation_id),
        )
    except MagdaRefused as exc:
        services.letter_mark_failed(letter_id=letter.pk, reason=f"Documentendienst weigerde: {exc}")
        raise PermanentFailure(str(exc)) from exc
    # MagdaUnavailable (down, timeout) propagates: the outbox retries with the same key.
    services.letter_mark_sent(letter_id=letter.pk, external_id=receipt.message_id)
    return {"message_id": receipt.message_id}


def letter_poll_statuses(*, limit: int = 2000) -> dict[str, int]:
    """Ask the Documentendienst how sent letters fared; store delivery and its certificate."""
    counts = {"delivered": 0, "failed": 0, "asked": 0}
    _fail_abandoned(counts)
    sent = list(
        Letter.objects.filter(state=LetterState.SENT, email_message_id="")
        .exclude(external_id="")
        .order_by("sent_at", "id")[:limit]
    )
    if not sent:
        return counts
    service = plugins.document_service()
    by_channel: dict[str, list[Letter]] = {}
    for letter in sent:
        by_channel.setdefault(letter.channel, []).append(letter)
    for channel, letters in by_channel.items():
        by_id = {letter.external_id: letter for letter in letters}
        correlation = str(letters[0].correlation_id)
        try:
            statuses = service.statuses(
                channel=MAGDA_CHANNEL[channel],
                message_ids=list(by_id),
                correlation_id=correlation,
            )
        except (MagdaUnavailable, MagdaRefused):
            logger.info("delivery status poll failed; next round", extra={"channel": channel})
            continue
        counts["asked"] += len(by_id)
        for status in statuses:
            if status.message_id not in by_id:
                continue
            letter = by_id[status.message_id]
            if status.state == DeliveryState.DELIVERED:
                attestation = None
                if channel == "paper":
                    try:
                        attestation = service.bpost_attestation(
                            message_id=status.message_id,
                            correlation_id=str(letter.correlation_id),
                        )
                    except MagdaUnavailable:
                        continue  # keep it "sent"; the certificate is fetched next round
                services.letter_mark_delivered(
                    letter_id=letter.pk, status=status.raw_status, attestation=attestation
                )
                counts["delivered"] += 1
            elif status.state == DeliveryState.FAILED:
                services.letter_mark_failed(
                    letter_id=letter.pk,
                    reason=f"{status.raw_status} {status.detail}".strip(),
                )
                counts["failed"] += 1
    return counts


def _fail_abandoned(counts: dict[str, int]) -> None:
    """Letters whose outbox message gave up (after all retries) are marked failed."""
    failed_keys = OutboxMessage.objects.filter(
        state=OutboxMessage.State.FAILED,
        topic__in=[services.TOPIC_EMAIL, services.TOPIC_MAGDA],
    ).values_list("idempotency_key", flat=True)
    for letter in Letter.objects.filter(state=LetterState.QUEUED, outbox_key__in=failed_keys):
        message = OutboxMessage.objects.get(idempotency_key=letter.outbox_key)
        services.letter_mark_failed(
            letter_id=letter.pk, reason=message.last_error or "verzending opgegeven"
        )
        counts["failed"] += 1
