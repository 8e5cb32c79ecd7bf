"""Writes on letters: compose, edit, submit, sign, refuse, queue and the delivery states.

One state change, one transaction, one timeline event; slow work (rendering, signing)
happens before the transaction, and the transaction re-checks that nothing moved.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from django.conf import settings
from django.db import transaction

from midoffice.accounts.models import User
from midoffice.accounts.permissions import Action, require
from midoffice.core import clock
from midoffice.core.errors import Conflict, Forbidden, UserError
from midoffice.core.outbox import outbox_enqueue
from midoffice.correspondence import plugins
from midoffice.correspondence.channels import LABELS, ChannelChoice, channel_choose
from midoffice.correspondence.models import Letter, LetterState, LetterTemplate, TemplateKind
from midoffice.correspondence.pdf import LetterLayout, letter_pdf
from midoffice.correspondence.selectors import letter_signers, party_reach, user_can_sign
from midoffice.correspondence.storage import file_read, file_store
from midoffice.correspondence.templating import TemplateInvalid, template_render
from midoffice.dossiers.events import event_record
from midoffice.dossiers.models import Dossier, EventKind, Notification
from midoffice.dossiers.notices import notification_resolve, notification_send
from midoffice.integrations.signing.base import SigningError, SignRequest
from midoffice.integrations.signing.pades import SigningLevel
from midoffice.integrations.signing.validation import signature_check

logger = logging.getLogger(__name__)

TOPIC_EMAIL = "correspondence.email"
TOPIC_MAGDA = "correspondence.magda"
MAX_ATTACHMENTS = 5
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024


def template_context(*, dossier: Dossier, handler: User | None) -> dict[str, Any]:
    """The restricted context templates see: plain values, no model instances."""
    requester = dossier.requester
    reach = party_reach(party=requester) if requester else None
    location = " ".join(
        part
        for part in (
            f"{dossier.location_street} {dossier.location_number}".strip(),
            f"{dossier.location_postcode} {dossier.location_municipality}".strip(),
        )
        if part
    )
    return {
        "dossier": {
            "reference": dossier.reference,
            "subject": dossier.subject,
            "type": dossier.dossier_type.name,
            "received": clock.localdate(dossier.received_at),
            "deadline": dossier.deadline,
            "status": dossier.status.name,
            "location": location,
            "capakey": dossier.capakey,
        },
        "requester": {
            "name": requester.display_name if requester else "",
            "given_name": requester.given_name if requester else "",
            "family_name": requester.family_name if requester else "",
            "address_lines": reach.address.lines() if reach and reach.address else [],
        },
        "town": {"name": settings.TOWN_NAME, "address": settings.TOWN_ADDRESS},
        "today": clock.localdate(clock.now()),
        "handler": {
            "name": (handler.get_full_name() or handler.username) if handler else "",
            "email": handler.email if handler else "",
            "team": dossier.team.name,
        },
    }


def _event(
    letter: Letter,
    *,
    actor: User | None,
    summary: str,
    kind: str = EventKind.LETTER_CHANGED,
    public: bool = False,
) -> None:
    event_record(
        dossier=letter.dossier,
        kind=kind,
        actor=actor,
        summary=summary,
        public=public,
        data={"letter": letter.pk, "state": letter.state, "channel": letter.channel},
    )


def _lock(letter: Letter) -> Letter:
    return Letter.objects.select_for_update().select_related("dossier").get(pk=letter.pk)


def _require(letter: Letter, *states: str) -> None:
    if letter.state not in states:
        raise Conflict(
            f"Deze brief is intussen '{letter.get_state_display()}'; vernieuw de pagina."
        )


@transaction.atomic
def letter_compose(*, actor: User, dossier: Dossier, template: LetterTemplate) -> Letter:
    """A draft answer on the dossier, its text rendered from ``template``."""
    require(actor, Action.WRITE_LETTER, dossier)
    if template.kind != TemplateKind.LETTER or not template.is_active:
        raise UserError("Kies een actief briefsjabloon.", field="template")
    if template.dossier_type_id not in (None, dossier.dossier_type_id):
        raise UserError("Dit sjabloon hoort bij een ander dossiertype.", field="template")
    context = template_context(dossier=dossier, handler=actor)
    try:
        subject = " ".join(template_render(source=template.subject, context=context).split())
        body = template_render(source=template.body, context=context).strip()
    except TemplateInvalid as exc:
        raise UserError(f"Het sjabloon bevat een fout: {exc}", field="template") from exc
    letter = Letter.objects.create(
        dossier=dossier,
        template=template,
        recipient=dossier.requester,
        subject=subject[:300],
        body=body,
        requires_signature=template.requires_signature,
        created_by=actor,
    )
    _event(letter, actor=actor, summary=f"Brief opgesteld: {letter.subject}")
    return letter


@transaction.atomic
def letter_update(*, actor: User, letter: Letter, subject: str, body: str) -> Letter:
    """Change the text of a draft."""
    subject = " ".join(subject.split())
    if not subject:
        raise UserError("Geef een onderwerp op.", field="subject")
    if not body.strip():
        raise UserError("De brief heeft geen tekst.", field="body")
    letter = _lock(letter)
    require(actor, Action.WRITE_LETTER, letter.dossier)
    _require(letter, LetterState.DRAFT)
    letter.subject = subject[:300]
    letter.body = body.replace("\r\n", "\n")
    letter.save(update_fields=["subject", "body", "updated_at"])
    return letter


@transaction.atomic
def letter_attach(*, actor: User, letter: Letter, filename: str, content: bytes) -> Letter:
    """Add a PDF attachment (a plan, a permit) to a draft."""
    if not content.startswith(b"%PDF"):
        raise UserError("Alleen PDF-bestanden kunnen als bijlage mee.", field="attachment")
    if len(content) > MAX_ATTACHMENT_BYTES:
        raise UserError("Een bijlage mag hoogstens 10 MB groot zijn.", field="attachment")
    letter = _lock(letter)
    require(actor, Action.WRITE_LETTER, letter.dossier)
    _require(letter, LetterState.DRAFT)
    digest = hashlib.sha256(content).hexdigest()
    if any(a.get("sha256") == digest for a in letter.attachments):
        return letter  # the same file twice (a double click) goes along once
    if len(letter.attachments) >= MAX_ATTACHMENTS:
        raise UserError("Een brief heeft hoogstens 5 bijlagen.", field="attachment")
    stored = file_store(data=content)
    safe = "".join(c for c in filename if c.isalnum() or c in "._- ").strip() or "bijlage.pdf"
    if not safe.lower().endswith(".pdf"):
        safe += ".pdf"
    letter.attachments = [
        *letter.attachments,
        {"name": stored.name, "sha256": stored.sha256, "size": stored.size, "filename": safe},
    ]
    letter.save(update_fields=["attachments", "updated_at"])
    return letter


def letter_choose_channel(*, letter: Letter) -> ChannelChoice:
    """The channel this letter would take now (preference, consents, fallback order)."""
    if letter.recipient is None:
        return ChannelChoice(
            channel=None,
            reason="Deze brief kan niet vertrekken: het dossier heeft geen aanvrager.",
        )
    return channel_choose(
        reach=party_reach(party=letter.recipient), fallback=list(settings.CHANNEL_FALLBACK)
    )


def _person(user: User | None) -> str:
    return (user.get_full_name() or user.username) if user else ""


def signer_function(user: User, dossier: Dossier) -> str:
    """What the signature block says the signer is, e.g. "Teamverantwoordelijke Omgeving"."""
    role = user.get_role_display()
    return f"{role} {dossier.team.name}" if user.role == "team_lead" else role


def _layout(letter: Letter, *, draft: bool, signer: User | None = None) -> LetterLayout:
    """The letter as laid out. The signature block names who signs: ``signer`` when
    signing, nobody yet while it waits for a signature, the handler when none is needed."""
    reach = party_reach(party=letter.recipient) if letter.recipient else None
    handler = letter.created_by
    if signer is None and letter.signed_by_id:
        signer = letter.signed_by
    if signer is None and not letter.requires_signature:
        signer = handler
    return LetterLayout(
        town_name=settings.TOWN_NAME,
        town_address=settings.TOWN_ADDRESS,
        reference=letter.dossier.reference,
        subject=letter.subject,
        body=letter.body,
        recipient_name=reach.name if reach else "",
        recipient_lines=reach.address.lines() if reach and reach.address else [],
        date=clock.localdate(clock.now()),
        handler_name=_person(handler),
        handler_team=letter.dossier.team.name,
        attachments=[a["filename"] for a in letter.attachments],
        draft=draft,
        signer_name=_person(signer),
        signer_function=signer_function(signer, letter.dossier) if signer else "",
        awaiting_signature=signer is None,
    )


def letter_preview_pdf(*, letter: Letter) -> bytes:
    """The PDF as it stands: the stored one once submitted, else a fresh preview."""
    name, sha256 = letter.final_pdf
    if name:
        return file_read(name=name, sha256=sha256)
    return letter_pdf(_layout(letter, draft=True))


def letter_submit(*, actor: User, letter: Letter) -> Letter:
    """Fix the text as a PDF and send it to the signature folder (or straight to delivery).

    A letter that cannot reach the citizen is stopped here, before anyone signs it.
    """
    require(actor, Action.WRITE_LETTER, letter.dossier)
    choice = letter_choose_channel(letter=letter)
    if choice.channel is None:
        raise UserError(choice.reason, code="no_usable_address")
    stored = file_store(data=letter_pdf(_layout(letter, draft=False)))
    with transaction.atomic():
        current = _lock(letter)
        _require(current, LetterState.DRAFT)
        if (current.subject, current.body) != (letter.subject, letter.body):
            raise Conflict("De tekst werd intussen gewijzigd; bekijk het voorbeeld opnieuw.")
        current.channel = choice.channel
        current.channel_reason = choice.reason[:300]
        current.pdf_name, current.pdf_sha256 = stored.name, stored.sha256
        current.refusal_reason = ""
        fields = ["channel", "channel_reason", "pdf_name", "pdf_sha256", "refusal_reason"]
        if current.requires_signature:
            current.state = LetterState.TO_SIGN
            current.save(update_fields=[*fields, "state", "updated_at"])
            _event(current, actor=actor, summary=f"Brief ter ondertekening: {current.subject}")
            notification_resolve(dossier=current.dossier, about=_about(current))  # a refusal
            _notify_signers(current, actor=actor)
        else:
            current.save(update_fields=[*fields, "updated_at"])
            _queue(current, actor=actor)
    return current


def letter_sign(*, actor: User, letter: Letter) -> Letter:
    """Sign the letter (PAdES, the town's certificate) and queue it for delivery."""
    if not user_can_sign(user=actor, letter=letter):
        raise Forbidden("Je mag deze brief niet ondertekenen.")
    _require(letter, LetterState.TO_SIGN)
    choice = letter_choose_channel(letter=letter)
    if choice.channel is None:
        raise UserError(choice.reason, code="no_usable_address")
    # Laid out again with the signer in the signature block: the letter must say who
    # signed it (the text is the one submitted; the Conflict check below guards that).
    pdf = letter_pdf(_layout(letter, draft=False, signer=actor))
    # Checked before signing: a signature that cannot be verified is never stored.
    root = plugins.trust_root_path()
    if not root.is_file():
        raise UserError(
            "Het vertrouwde basiscertificaat voor ondertekening ontbreekt "
            "(MIDOFFICE_SIGNING_TRUST_ROOT); de brief kan niet ondertekend worden.",
            code="signing_failed",
        )
    try:
        signed = plugins.signer().sign(
            SignRequest(
                pdf=pdf,
                reason=f"Antwoord in dossier {letter.dossier.reference}",
                signer_name=actor.get_full_name() or actor.username,
                location=settings.TOWN_NAME,
                signer_function=signer_function(actor, letter.dossier),
            )
        )
    except SigningError as exc:
        raise UserError(str(exc), code="signing_failed") from exc
    # The signature as a recipient's validator sees it, at the configured level, with
    # the revocation data it embeds (no fetching: that was done while signing).
    check = signature_check(pdf=signed.pdf, trust_root_pem=root.read_bytes())
    expected = SigningLevel(settings.SIGNING_LEVEL)
    if not check.ok or (check.level and SigningLevel(check.level).rank < expected.rank):
        raise UserError(
            f"De handtekening is niet geldig ({check.summary}; niveau {check.level or '?'}, "
            f"verwacht {expected.value}).",
            code="signing_failed",
        )
    stored = file_store(data=signed.pdf)
    with transaction.atomic():
        current = _lock(letter)
        _require(current, LetterState.TO_SIGN)
        if current.pdf_sha256 != letter.pdf_sha256:
            raise Conflict("De brief werd intussen gewijzigd; onderteken opnieuw.")
        current.signed_pdf_name, current.signed_sha256 = stored.name, stored.sha256
        current.signed_at = clock.now()
        current.signed_by = actor
        current.signature_subject = signed.certificate_subject[:300]
        current.channel = choice.channel
        current.channel_reason = choice.reason[:300]
        current.state = LetterState.SIGNED
        current.save(
            update_fields=[
                "signed_pdf_name",
                "signed_sha256",
                "signed_at",
                "signed_by",
                "signature_subject",
                "channel",
                "channel_reason",
                "state",
                "updated_at",
            ]
        )
        _event(current, actor=actor, summary=f"Brief ondertekend: {current.subject}")
        _queue(current, actor=actor)
    return current


@transaction.atomic
def letter_refuse(*, actor: User, letter: Letter, reason: str) -> Letter:
    """Send the letter back to its handler with the reason; it becomes a draft again."""
    reason = reason.strip()
    if not reason:
        raise UserError("Geef een reden op.", field="reason")
    if not user_can_sign(user=actor, letter=letter):
        raise Forbidden("Je mag deze brief niet weigeren.")
    current = _lock(letter)
    _require(current, LetterState.TO_SIGN)
    current.state = LetterState.DRAFT
    current.refusal_reason = reason[:2000]
    current.pdf_name = current.pdf_sha256 = ""
    current.save(update_fields=["state", "refusal_reason", "pdf_name", "pdf_sha256", "updated_at"])
    _event(current, actor=actor, summary=f"Brief teruggestuurd: {reason}"[:300])
    notification_resolve(dossier=current.dossier, about=_about(current))
    # The one who wrote it hears why (the other signers' notices are done above).
    author = current.created_by
    if author is not None and author.is_active and author.pk != actor.pk:
        notification_send(
            users=[author],
            dossier=current.dossier,
            kind=Notification.Kind.LETTER_REFUSED,
            about=_about(current),
            summary=f"{current.subject}: {reason}",
        )
    return current


def _about(letter: Letter) -> str:
    """What the signers' notices are about (``Notification.about``)."""
    return f"letter:{letter.pk}"


def _notify_signers(letter: Letter, *, actor: User) -> None:
    """In the caller's transaction: a notice for everyone who may sign the letter (the
    one who put it in the folder knows)."""
    notification_send(
        users=[u for u in letter_signers(letter=letter) if u.pk != actor.pk],
        dossier=letter.dossier,
        kind=Notification.Kind.LETTER_TO_SIGN,
        about=_about(letter),
        summary=letter.subject,
    )


def _queue(letter: Letter, *, actor: User | None) -> None:
    """In the caller's transaction: hand the letter to the outbox, exactly once."""
    topic = TOPIC_EMAIL if letter.channel == "email" and not settings.MAGDA_EMAIL else TOPIC_MAGDA
    key = f"letter-{letter.pk}-{letter.correlation_id}"
    outbox_enqueue(
        topic=topic, payload={"letter_id": letter.pk}, ordering_key=key, idempotency_key=key
    )
    letter.outbox_key = key
    letter.state = LetterState.QUEUED
    letter.save(update_fields=["outbox_key", "state", "updated_at"])
    # Signed (or sent without a signature): it left the signature folder, so the other
    # signers' notices about it are done.
    notification_resolve(dossier=letter.dossier, about=_about(letter))
    _event(
        letter,
        actor=actor,
        summary=f"Brief klaar voor verzending via {LABELS.get(letter.channel, letter.channel)}",
    )


@transaction.atomic
def letter_mark_sent(*, letter_id: int, external_id: str, email_message_id: str = "") -> Letter:
    """The far side accepted the letter. Repeats change nothing."""
    letter = Letter.objects.select_for_update().select_related("dossier").get(pk=letter_id)
    if letter.state in (LetterState.SENT, LetterState.DELIVERED):
        return letter
    _require(letter, LetterState.QUEUED)
    letter.state = LetterState.SENT
    letter.sent_at = clock.now()
    letter.external_id = external_id[:200]
    letter.email_message_id = email_message_id[:250]
    letter.save(update_fields=["state", "sent_at", "external_id", "email_message_id", "updated_at"])
    _event(
        letter,
        actor=None,
        kind=EventKind.MESSAGE_SENT,
        public=True,
        summary=f"Antwoord verstuurd via {LABELS.get(letter.channel, letter.channel)}: "
        f"{letter.subject}",
    )
    return letter


def letter_mark_delivered(
    *, letter_id: int, status: str, attestation: bytes | None = None
) -> Letter:
    """The far side reports delivery; its certificate (bpost attestation) is kept."""
    stored = file_store(data=attestation) if attestation else None
    with transaction.atomic():
        letter = Letter.objects.select_for_update().select_related("dossier").get(pk=letter_id)
        if letter.state == LetterState.DELIVERED:
            return letter
        _require(letter, LetterState.SENT)
        letter.state = LetterState.DELIVERED
        letter.delivered_at = clock.now()
        letter.delivery_status = status[:60]
        if stored:
            letter.attestation_name, letter.attestation_sha256 = stored.name, stored.sha256
        letter.save(
            update_fields=[
                "state",
                "delivered_at",
                "delivery_status",
                "attestation_name",
                "attestation_sha256",
                "updated_at",
            ]
        )
        extra = " (met afleverbewijs)" if stored else ""
        _event(
            letter,
            actor=None,
            kind=EventKind.MESSAGE_DELIVERED,
            public=True,
            summary=f"Antwoord afgeleverd via {LABELS.get(letter.channel, letter.channel)}{extra}",
        )
    return letter


@transaction.atomic
def letter_mark_failed(*, letter_id: int, reason: str) -> Letter:
    letter = Letter.objects.select_for_update().select_related("dossier").get(pk=letter_id)
    if letter.state in (LetterState.FAILED, LetterState.DELIVERED):
        return letter
    letter.state = LetterState.FAILED
    letter.failure_reason = reason[:2000]
    letter.save(update_fields=["state", "failure_reason", "updated_at"])
    _event(
        letter,
        actor=None,
        kind=EventKind.MESSAGE_BOUNCED,
        summary=f"Brief niet afgeleverd: {reason}"[:300],
    )
    return letter
