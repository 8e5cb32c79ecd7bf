"""The intake pipeline: store the raw bytes first, then process in explicit, idempotent
steps. A failure in any step quarantines the message and keeps the raw bytes.

    inbound_store    raw bytes → storage (content-addressed) → InboundMessage(received)
                     + the processing task, in one transaction
    inbound_process  parse → kind → loop protection → thread (linked) / bounce / ignore /
                     new question (party, recognition, dossier, interaction, attachments,
                     acknowledgement) — all writes in one transaction
    inbound_retry    a quarantined message goes through inbound_process again
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict

from django.conf import settings
from django.db import IntegrityError, connection, transaction

from midoffice.catalog.selectors import dossier_type_active
from midoffice.core import clock
from midoffice.core.errors import UserError
from midoffice.dossiers.events import event_record
from midoffice.dossiers.models import Dossier, EventKind, Interaction
from midoffice.dossiers.search import search_index_deferred
from midoffice.dossiers.services import dossier_open, interaction_log
from midoffice.intake import kinds, storage
from midoffice.intake.mailparse import (
    ParsedMessage,
    ParseLimits,
    parse_message,
    parse_message_id,
)
from midoffice.intake.models import Attachment, InboundMessage, MailSource, SentMessage
from midoffice.intake.recognition import Recognition, recognise
from midoffice.parties.identifiers import email_match_key
from midoffice.parties.models import ContactPoint, Party
from midoffice.parties.selectors import party_find_by_email, party_oldest_by_email
from midoffice.parties.services import party_create
from midoffice.routing.sender_lookup import SenderLookup

logger = logging.getLogger(__name__)

TRIAGE_TYPE_CODE = "triage"
NO_SENDER_REASON = (
    "Geen afzender: het bericht heeft geen bruikbaar adres in From, Reply-To, Sender of "
    "Return-Path. Er is geen ontvangstbevestiging verstuurd; het dossier wacht in triage."
)
REFERENCE_IN_SUBJECT = re.compile(r"\[(\d{4}-\d{6})\]")
_HEADER_END = re.compile(rb"\r?\n\r?\n")
_MAX_HEADER_SCAN = 256 * 1024

State = InboundMessage.State


class Quarantine(Exception):
    """A step refuses the message: it is kept, with this code and Dutch reason."""

    def __init__(self, code: str, message_nl: str) -> None:
        super().__init__(code)
        self.code = code
        self.message_nl = message_nl


# --------------------------------------------------------------------------------------
# Sources
# --------------------------------------------------------------------------------------


def mail_source_for(*, kind: str, name: str | None = None) -> MailSource:
    """The built-in source for the listener or an import (created on first use)."""
    label = name or {"smtp": "SMTP/LMTP-ontvanger", "import": "Import"}.get(kind, kind)
    source, _ = MailSource.objects.get_or_create(
        name=label, defaults={"kind": kind, "active": True}
    )
    return source


# --------------------------------------------------------------------------------------
# Step 1: store
# --------------------------------------------------------------------------------------


def message_id_of(raw: bytes) -> str:
    """The Message-ID (without brackets) read from the header block only."""
    match = _HEADER_END.search(raw, 0, _MAX_HEADER_SCAN)
    header = raw[: match.end()] if match else raw[:_MAX_HEADER_SCAN]
    return (parse_message_id(header) or "")[:998]


@contextmanager
def _commit_durably(durable: bool) -> Iterator[None]:
    """SQLite runs in WAL mode with ``synchronous=NORMAL``: safe when a process dies, but
    a power cut may take the last commits with it. A message whose sender is told "stored"
    (250 to a mail server, \\Seen on an IMAP server) must survive that too, so its commit
    runs with ``synchronous=FULL``. PostgreSQL commits are durable already."""
    if not durable or connection.vendor != "sqlite" or connection.in_atomic_block:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous=FULL")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA synchronous=NORMAL")


def inbound_store(
    raw: bytes, *, source: MailSource, enqueue: bool = True, durable: bool = True
) -> InboundMessage:
    """Store the raw bytes, then record the message (and queue its processing) in one
    transaction. A message seen before (same Message-ID and content) returns the
    existing row: never a second one.

    ``durable``: the file is flushed to disk and the commit survives a power cut before
    this returns, so a listener may answer 250 and a poller may mark the mail as seen.
    An import passes False: the files it reads are the durable copy, and running it
    again completes whatever a crash cut short (a file written short is written again).
    """
    sha256, name = storage.blob_save(raw, durable=durable)
    message_id = message_id_of(raw)
    # No look first: a new message (the common case) costs one INSERT; one seen before
    # hits the unique constraint and is read back.
    try:
        with _commit_durably(durable), transaction.atomic():
            message = InboundMessage.objects.create(
                source=source, raw_name=name, sha256=sha256, size=len(raw), message_id=message_id
            )
            if enqueue:
                from midoffice.intake.tasks import inbound_process_task

                inbound_process_task.enqueue(inbound_id=message.pk)
    except IntegrityError:
        # Stored at the same moment by another process (two pollers, a retrying MTA).
        return InboundMessage.objects.get(message_id=message_id, sha256=sha256)
    return message


# --------------------------------------------------------------------------------------
# Step 2: process
# --------------------------------------------------------------------------------------


def parse_limits() -> ParseLimits:
    return ParseLimits(
        max_total_bytes=settings.INTAKE_MAX_MESSAGE_BYTES,
        max_attachments=settings.INTAKE_MAX_ATTACHMENTS,
        max_depth=settings.INTAKE_MAX_NESTING,
    )


def own_domains() -> list[str]:
    domains = [d.strip().lower() for d in settings.INTAKE_OWN_DOMAINS if d.strip()]
    sender = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip(" >").lower()
    if sender and sender not in domains:
        domains.append(sender)
    return domains


def inbound_process(
    *, inbound_id: int, raw: bytes | None = None, stored: InboundMessage | None = None
) -> InboundMessage:
    """Run the processing steps on a received message. Idempotent: a message that is
    already past ``received`` is returned untouched. Any failure quarantines it.

    ``raw`` and ``stored``: the bytes and the row the caller has just stored (an
    import), so a large message is not read back into memory a second time and the row
    is not read twice; otherwise both are read. The state is checked again under lock.
    """
    if stored is not None and stored.pk == inbound_id:
        message = stored
    else:
        message = InboundMessage.objects.get(pk=inbound_id)
    if message.state != State.RECEIVED:
        return message
    parsed: ParsedMessage | None = None
    try:
        if raw is None or len(raw) != message.size:
            raw = storage.blob_read(message.raw_name)
        parsed = parse_message(raw, limits=parse_limits())
        if parsed.rejection is not None:
            raise Quarantine(parsed.rejection.code, parsed.rejection.message_nl)
        with transaction.atomic(), search_index_deferred():
            # Under the write lock (the row lock on PostgreSQL, the IMMEDIATE transaction
            # on SQLite): another worker may have finished this mail since it was read.
            # Without this check the work would run again and fail on what the first
            # worker wrote (its acknowledgement), and the failure would quarantine a mail
            # that was handled fine.
            if _state_locked(inbound_id) != State.RECEIVED:
                raise _ProcessedElsewhere
            inbound_route(message, parsed)
        return message
    except _ProcessedElsewhere:
        return InboundMessage.objects.get(pk=inbound_id)
    except Quarantine as exc:
        return _quarantine(inbound_id, exc.code, exc.message_nl, parsed)
    except Exception as exc:
        logger.exception("inbound message failed", extra={"inbound_id": inbound_id})
        return _quarantine(
            inbound_id,
            f"error:{type(exc).__name__}"[:64],
            "Het bericht kon niet verwerkt worden door een fout in Midoffice; "
            "het is bewaard en kan opnieuw verwerkt worden.",
            parsed,
        )


def _state_locked(inbound_id: int) -> str | None:
    """The message's state, read under the row lock (SQLite: the IMMEDIATE transaction
    already holds the write lock)."""
    return (
        InboundMessage.objects.select_for_update()
        .filter(pk=inbound_id)
        .values_list("state", flat=True)
        .first()
    )


def _quarantine(
    inbound_id: int, code: str, message_nl: str, parsed: ParsedMessage | None = None
) -> InboundMessage:
    """Keep the message aside with its reason. What the parse found (subject, sender,
    addressees, date) is kept with it, so staff and an import report can tell which
    mail it is; the processing transaction that failed wrote nothing else."""
    with transaction.atomic():
        message = InboundMessage.objects.select_for_update().get(pk=inbound_id)
        if message.state != State.RECEIVED:
            return message  # finished (or quarantined) by another worker meanwhile
        message.state = State.QUARANTINED
        message.reason_code = code
        message.reason = message_nl
        message.attempts += 1
        message.processed_at = clock.now()
        fields = ["state", "reason_code", "reason", "attempts", "processed_at"]
        if parsed is not None:
            _record_parsed(message, parsed)
            fields += _PARSED_FIELDS
        message.save(update_fields=fields)
    logger.warning("inbound message quarantined", extra={"inbound_id": inbound_id, "code": code})
    return message


def inbound_retry(*, inbound_id: int) -> InboundMessage:
    """Process a quarantined message again (after a fix or a changed limit)."""
    with transaction.atomic():
        message = InboundMessage.objects.select_for_update().get(pk=inbound_id)
        if message.state != State.QUARANTINED:
            raise UserError("Enkel berichten in quarantaine kunnen opnieuw verwerkt worden.")
        message.state = State.RECEIVED
        message.save(update_fields=["state"])
    return inbound_process(inbound_id=inbound_id)


_PARSED_FIELDS = ["subject", "from_address", "from_name", "to_addresses", "sent_at"]


def _record_parsed(message: InboundMessage, parsed: ParsedMessage) -> None:
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
    _record_parsed(message, parsed)  # saved once, by _finish
    kind = kinds.classify(parsed, own_domains=own_domains())
    message.kind = kind.kind
    message.state = State.PARSED
    message.recognition = {"kind_reasons": kind.reasons}
    _store_attachments(message, parsed)

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


class _ProcessedElsewhere(Exception):
    """Another worker finished this message first: roll this transaction back."""


# What processing sets on the message (never the stored facts: file, hash, size, id).
_OUTCOME_FIELDS = (
    *_PARSED_FIELDS,
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


def _store_attachments(message: InboundMessage, parsed: ParsedMessage) -> None:
    rows = []
    for position, att in enumerate(parsed.attachments):
        _, name = storage.blob_save(att.content, sha256=att.sha256, durable=False)
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
                dangerous_reason=(att.dangerous_reason or "")[:300],
            )
        )
    Attachment.objects.bulk_create(rows)


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


def _link(message: InboundMessage, parsed: ParsedMessage, dossier: Dossier) -> None:
    party = _reply_party(parsed, dossier)
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
    # The handler is notified through this event (the notification feed reads events).
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

        skipped = acknowledgement_queue(
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


def inbound_sweep(*, older_than: dt.timedelta = dt.timedelta(minutes=5)) -> int:
    """Re-drive messages stuck in ``received`` (their task was lost with a crashed import)."""
    cutoff = clock.now() - older_than
    ids = list(
        InboundMessage.objects.filter(state=State.RECEIVED, created_at__lt=cutoff)
        .order_by("id")
        .values_list("id", flat=True)[:500]
    )
    for inbound_id in ids:
        inbound_process(inbound_id=inbound_id)
    return len(ids)
