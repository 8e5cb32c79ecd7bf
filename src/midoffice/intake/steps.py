"""The processing steps of one message, inside the transaction ``inbound_process`` (or
the worker's warm-up) runs them in: the kind, loop protection, threading a reply to its
dossier, a bounce, or a new question (sender, recognition, dossier, contact moment,
attachments, acknowledgement). A step that refuses the message raises
:class:`Quarantine`; every outcome ends in one UPDATE of the message (``_finish``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import asdict

from django.conf import settings
from django.db import connection

from midoffice.catalog.defaults import TRIAGE_TYPE_CODE
from midoffice.catalog.selectors import dossier_type_active
from midoffice.core import clock
from midoffice.core.display import display_text
from midoffice.core.errors import UserError
from midoffice.dossiers.events import event_record
from midoffice.dossiers.models import Dossier, EventKind, Interaction
from midoffice.dossiers.notices import dossier_citizen_message
from midoffice.dossiers.services import dossier_open, interaction_log
from midoffice.intake import kinds, storage
from midoffice.intake.mailparse import ParsedMessage
from midoffice.intake.models import Attachment, InboundMessage, SentMessage
from midoffice.intake.recognition import Recognition, recognise
from midoffice.parties.identifiers import email_match_key
from midoffice.parties.models import ContactPoint, Party
from midoffice.parties.selectors import party_find_by_email, party_oldest_by_email
from midoffice.parties.services import party_create, party_note_inbound
from midoffice.routing.sender_lookup import SenderLookup

NO_SENDER_REASON = (
    "Geen afzender: het bericht heeft geen bruikbaar adres in From, Reply-To, Sender of "
    "Return-Path. Er is geen ontvangstbevestiging verstuurd; het dossier wacht in triage."
)
REFERENCE_IN_SUBJECT = re.compile(r"\[(\d{4}-\d{6})\]")

State = InboundMessage.State


class Quarantine(Exception):
    """A step refuses the message: it is kept, with this code and Dutch reason."""

    def __init__(self, code: str, message_nl: str) -> None:
        super().__init__(code)
        self.code = code
        self.message_nl = message_nl


def own_domains() -> list[str]:
    domains = [d.strip().lower() for d in settings.INTAKE_OWN_DOMAINS if d.strip()]
    sender = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip(" >").lower()
    if sender and sender not in domains:
        domains.append(sender)
    return domains


PARSED_FIELDS = ["subject", "from_address", "from_name", "to_addresses", "sent_at"]


def record_parsed(message: InboundMessage, parsed: ParsedMessage) -> None:
    """Set (not save) what the parse found on the message row."""
    message.subject = parsed.subject or ""
    # The address to answer: From, or when it has none that can be read, Reply-To,
    # Sender or Return-Path (the parser says which).
    message.from_address = (parsed.reply_address or "")[:320]
    message.from_name = (parsed.reply_name or "")[:300]
    message.to_addresses = parsed.to_addresses[:100]
    message.sent_at = parsed.date


def inbound_route(message: InboundMessage, parsed: ParsedMessage) -> None:
    """All writes of one message, inside the caller's transaction (which decides:
    inbound_process commits them; the worker's warm-up rolls them back)."""
    message.attempts += 1
    record_parsed(message, parsed)  # saved once, by _finish
    kind = kinds.classify(parsed, own_domains=own_domains())
    message.kind = kind.kind
    message.state = State.PARSED
    message.recognition = {"kind_reasons": kind.reasons}
    held = _store_attachments(message, parsed)

    if kind.kind == "bounce":
        _route_bounce(message, parsed, kind)
    elif kind.kind in ("auto_reply", "bulk", "own"):
        label = {
            "auto_reply": "Automatisch antwoord (afwezigheid e.d.): geen actie.",
            "bulk": "Massamail of mailinglijst: geen actie.",
            "own": "Bericht van ons eigen domein: geen actie (lusbeveiliging).",
        }[kind.kind]
        _finish(message, State.IGNORED, kind.kind, label)
    else:
        dossier = _thread(parsed)
        if dossier is not None:
            _link(message, parsed, dossier)
        else:
            _open_question(message, parsed, kind)
    _record_held(message, held)


# What processing sets on the message (never the stored facts: file, hash, size, id).
_OUTCOME_FIELDS = (
    *PARSED_FIELDS,
    "kind",
    "state",
    "reason_code",
    "reason",
    "attempts",
    "dossier",
    "recognition",
    "acknowledgement_message_id",
    "processed_at",
)


def _finish(message: InboundMessage, state: str, code: str = "", reason: str = "") -> None:
    """Write the outcome: one UPDATE of what processing set (inbound_process checked the
    state under the lock when its transaction began)."""
    message.state = state
    message.reason_code = code
    message.reason = reason
    message.processed_at = clock.now()
    message.save(update_fields=_OUTCOME_FIELDS)


def _store_attachments(message: InboundMessage, parsed: ParsedMessage) -> list[Attachment]:
    """Store the attachments; a dangerous one is held from this moment (ADR 12).
    Returns the held ones."""
    rows = []
    now = clock.now()
    for position, att in enumerate(parsed.attachments):
        # Storage away: the attachment waits in the database with the rest (ADR 21g).
        _, name = storage.blob_save_or_keep(att.content, sha256=att.sha256, durable=False)
        rows.append(
            Attachment(
                message=message,
                position=position,
                filename=(att.filename or "")[:255],
                original_filename=(att.original_filename or "")[:1000],  # the sender's only
                content_type=att.content_type[:255],
                size=att.size,
                sha256=att.sha256,
                stored_name=name,
                is_inline=att.is_inline,
                content_id=(att.content_id or "")[:300],
                origin=att.origin,
                dangerous_reason=att.danger.reason_nl[:300] if att.danger else "",
                held_at=now if att.danger else None,
            )
        )
    Attachment.objects.bulk_create(rows)
    return [row for row in rows if row.held_at is not None]


def _record_held(message: InboundMessage, held: list[Attachment]) -> None:
    """One timeline event per message with held attachments, on the dossier it reached
    (the mail's own section on the dossier page lists them, with the release form)."""
    if not held or message.dossier is None:
        return
    first = display_text(held[0].filename, "bijlage")
    more = f" (en nog {len(held) - 1})" if len(held) > 1 else ""
    event_record(
        dossier=message.dossier,
        kind=EventKind.ATTACHMENT_HELD,
        actor=None,
        actor_label="E-mail",
        summary=f"{first}: {held[0].dangerous_reason}{more}",
        data={
            "inbound": message.pk,
            "attachments": [a.pk for a in held],
            "acknowledgement": message.recognition.get("acknowledgement", ""),
        },
    )


def _disguise_withholds_acknowledgement(parsed: ParsedMessage) -> str:
    """Why no acknowledgement goes out, when an attachment is a disguised program; ""."""
    for att in parsed.attachments:
        if att.danger is not None and att.danger.disguised:
            return (
                "Geen ontvangstbevestiging: de bijlage "
                f"‘{display_text(att.filename, 'bijlage')}’ doet zich anders voor dan ze is "
                f"({att.danger.reason_nl})."
            )
    return ""


def _sent_dossier(ids: list[str]) -> Dossier | None:
    ids = [i.strip("<>") for i in ids if i]
    if not ids:
        return None
    sent = (
        SentMessage.objects.filter(message_id__in=ids, dossier__isnull=False)
        .select_related("dossier")
        .first()
    )
    return sent.dossier if sent else None


def _thread(parsed: ParsedMessage) -> Dossier | None:
    """The dossier this message replies to: by reference in the subject, or by the
    In-Reply-To/References of mail we sent."""
    for reference in REFERENCE_IN_SUBJECT.findall(parsed.subject or ""):
        dossier = Dossier.objects.filter(reference=reference).first()
        if dossier is not None:
            return dossier
    ids = [*parsed.references]
    if parsed.in_reply_to:
        ids.append(parsed.in_reply_to)
    return _sent_dossier(ids)


def _summary(parsed: ParsedMessage) -> str:
    return " ".join((parsed.subject or "(geen onderwerp)").split())[:250] or "(geen onderwerp)"


def _reply_party(parsed: ParsedMessage, dossier: Dossier) -> Party | None:
    """Who wrote a reply: a contact of this dossier owning the address first (a family
    mailbox belongs to several contacts; the one on the dossier is the one writing),
    else the address's only owner."""
    if not parsed.reply_address:
        return None
    on_dossier = (
        Party.objects.filter(
            dossier_roles__dossier=dossier,
            contact_points__kind=ContactPoint.Kind.EMAIL,
            contact_points__match_key=email_match_key(parsed.reply_address),
        )
        .order_by("id")
        .first()
    )
    return on_dossier or party_find_by_email(email=parsed.reply_address)


def _note_written_from(party: Party | None, parsed: ParsedMessage, at: dt.datetime) -> None:
    """The citizen wrote from this address (their From, or Reply-To): an answer may go back
    there by e-mail without a separate consent (correspondence.channels)."""
    if party is not None and parsed.reply_address and parsed.reply_source in ("from", "reply-to"):
        party_note_inbound(party=party, email=parsed.reply_address, at=at)


def _link(message: InboundMessage, parsed: ParsedMessage, dossier: Dossier) -> None:
    party = _reply_party(parsed, dossier)
    _note_written_from(party, parsed, message.created_at or clock.now())
    interaction_log(
        actor=None,
        dossier=dossier,
        party=party,
        channel=Interaction.Channel.EMAIL,
        direction=Interaction.Direction.INBOUND,
        summary=f"E-mail ontvangen: {_summary(parsed)}",
        at=parsed.date or clock.now(),
        message_ref=message.message_id[:120],
    )
    event_record(
        dossier=dossier,
        kind=EventKind.MESSAGE_RECEIVED,
        actor=None,
        actor_label="E-mail",
        summary=f"Nieuw bericht van de burger: {_summary(parsed)}",
        data={
            "inbound": message.pk,
            "attachments": len(parsed.attachments),
            "notify": [dossier.assignee_id] if dossier.assignee_id else [],
        },
    )
    # Someone must read it: the dossier is flagged unread and its handler notified.
    dossier_citizen_message(
        dossier=dossier, channel=Interaction.Channel.EMAIL, summary=_summary(parsed)
    )
    message.dossier = dossier
    _finish(message, State.LINKED)


def _route_bounce(message: InboundMessage, parsed: ParsedMessage, kind: kinds.Kind) -> None:
    ids = list(kind.bounced_message_ids)
    if parsed.in_reply_to:
        ids.append(parsed.in_reply_to)
    ids.extend(parsed.references)
    dossier = _sent_dossier(ids)
    if dossier is None:
        _finish(message, State.IGNORED, "bounce", "Onbestelbaar-melding zonder gekend bericht.")
        return
    event_record(
        dossier=dossier,
        kind=EventKind.MESSAGE_BOUNCED,
        actor=None,
        actor_label="E-mail",
        summary="Een e-mail aan de burger kon niet afgeleverd worden.",
        data={"inbound": message.pk, "reasons": kind.reasons[:5]},
    )
    message.dossier = dossier
    _finish(message, State.LINKED, "bounce", "Onbestelbaar-melding bij een verstuurd bericht.")


def _lock_sender(address: str) -> None:
    """Until commit, no other worker finds-or-creates the contact for this address: two
    mails from one new sender, processed side by side, must not create two contacts."""
    if connection.vendor != "postgresql":
        return  # SQLite: one writing transaction at a time already
    digest = hashlib.sha256(email_match_key(address).encode()).digest()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s)", [int.from_bytes(digest[:8], "big", signed=True)]
        )


def _sender_party(parsed: ParsedMessage, lookup: SenderLookup) -> Party | None:
    """The requester: the contact the sender's address belongs to (found by
    recognition, or looked up under the sender lock), else a new contact."""
    address = parsed.reply_address
    if not address:
        return None
    if lookup.address_owner is not None:
        return lookup.address_owner
    try:
        # On SQLite this transaction has held the write lock since before recognition
        # looked, so "nobody owns the address" still holds; elsewhere look again under
        # the sender lock.
        if not (lookup.address_free and connection.vendor == "sqlite"):
            _lock_sender(address)
            # Created meanwhile, or more candidates than recognition read: never a
            # second contact for an address a contact already has.
            party = party_oldest_by_email(email=address)
            if party is not None:
                return party
        name = " ".join((parsed.reply_name or "").split())
        given, _, family = name.partition(" ")
        # party_create is atomic itself: a refused address rolls back its savepoint.
        return party_create(given_name=given[:120], family_name=family[:120], email=address)
    except UserError:
        return None  # not a usable address: the dossier has no requester yet


def _open_question(message: InboundMessage, parsed: ParsedMessage, kind: kinds.Kind) -> None:
    recognition: Recognition
    recognition, lookup = recognise(parsed=parsed)
    message.recognition = {**message.recognition, **asdict(recognition)}
    if parsed.reply_source not in (None, "from"):
        # No readable From: the answer goes to the address this header gave.
        message.recognition["reply_source"] = parsed.reply_source
    dossier_type = None
    # Nobody to answer: a person decides, whatever the topic (triage, with the reason).
    if recognition.dossier_type_code and parsed.reply_address:
        dossier_type = dossier_type_active(recognition.dossier_type_code)
    if dossier_type is None:
        dossier_type = dossier_type_active(TRIAGE_TYPE_CODE)
    if dossier_type is None:
        raise Quarantine(
            "no_triage_type",
            "Er is geen dossiertype ‘triage’ ingesteld; het bericht wacht tot dat bestaat.",
        )
    party = _sender_party(parsed, lookup)
    received = message.created_at or clock.now()
    _note_written_from(party, parsed, received)
    dossier = dossier_open(
        actor=None,
        actor_label="E-mail",
        dossier_type=dossier_type,
        subject=_summary(parsed),
        requester=party,
        channel="email",
        received_at=received,
        description=parsed.text_body[:20000],
    )
    interaction_log(
        actor=None,
        dossier=dossier,
        party=party,
        channel=Interaction.Channel.EMAIL,
        direction=Interaction.Direction.INBOUND,
        summary=f"E-mail ontvangen: {_summary(parsed)}"
        + (f" ({len(parsed.attachments)} bijlagen)" if parsed.attachments else ""),
        at=parsed.date or received,
        message_ref=message.message_id[:120],
    )
    message.dossier = dossier
    if party is not None and parsed.reply_address:
        from midoffice.intake.acknowledgement import acknowledgement_queue

        # A disguised program is never an honest mistake: no automatic answer to its
        # (often forged) sender. Other held attachments do not stop it (ADR 12).
        skipped = _disguise_withholds_acknowledgement(parsed) or acknowledgement_queue(
            inbound=message,
            dossier=dossier,
            party=party,
            to_address=parsed.reply_address,
            to_name=parsed.reply_name or "",
            allowed=kind.should_auto_reply,
            in_reply_to=parsed.message_id,
        )
        if skipped:
            message.recognition = {**message.recognition, "acknowledgement": skipped}
    if not parsed.reply_address:
        # First among the reasons for the routing decision: the triage page shows them.
        reasons = [NO_SENDER_REASON, *message.recognition.get("reasons", [])]
        message.recognition = {**message.recognition, "reasons": reasons}
        event_record(
            dossier=dossier,
            kind=EventKind.NOTE_ADDED,
            actor=None,
            actor_label="E-mail",
            summary=NO_SENDER_REASON,
            data={"inbound": message.pk, "reason": "no_sender"},
        )
        _finish(message, State.ROUTED, "no_sender", NO_SENDER_REASON)
        return
    # One UPDATE for everything the steps set (state, parsed fields, acknowledgement id).
    _finish(message, State.ROUTED)
