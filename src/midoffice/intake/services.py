"""The intake pipeline: store the raw bytes first, then process in explicit, idempotent
steps. A failure in any step quarantines the message and keeps the raw bytes.

    inbound_store    raw bytes → storage (content-addressed) → InboundMessage(received)
                     + the processing task, in one transaction
    inbound_process  parse → kind → loop protection → thread (linked) / bounce / ignore /
                     new question (party, recognition, dossier, interaction, attachments,
                     acknowledgement) — all writes in one transaction
    inbound_retry    a quarantined message goes through inbound_process again

Held attachments (dangerous ones, ADR 12) are released by a person with
``attachment_release``.

The steps themselves (what one message becomes) are in ``intake.steps``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import IntegrityError, connection, transaction

from midoffice.accounts.models import User
from midoffice.accounts.permissions import Action, require
from midoffice.core import clock
from midoffice.core.display import display_text
from midoffice.core.errors import Conflict, NotFound, UserError
from midoffice.core.request_id import with_fresh_request_id
from midoffice.dossiers.events import event_record
from midoffice.dossiers.models import Dossier, EventKind
from midoffice.dossiers.search import search_index_deferred
from midoffice.intake import storage
from midoffice.intake.mailparse import (
    ParsedMessage,
    ParseLimits,
    parse_message,
    parse_message_id,
)
from midoffice.intake.models import Attachment, InboundMessage, MailSource
from midoffice.intake.steps import PARSED_FIELDS, Quarantine, inbound_route, record_parsed

logger = logging.getLogger(__name__)

_HEADER_END = re.compile(rb"\r?\n\r?\n")
_MAX_HEADER_SCAN = 256 * 1024

State = InboundMessage.State


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


@with_fresh_request_id  # its tasks share one id in the logs (core.request_id)
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

    When the storage refuses the bytes (unreachable, full), a durable store keeps them
    in the database instead, in the same transaction as the row (ADR 21g); an import
    fails as before.
    """
    # The storage write runs before the transaction: no database lock is held while a
    # slow or unreachable store answers.
    keep_in_database = False
    try:
        sha256, name = storage.blob_save(raw, durable=durable)
    except storage.storage_errors() as exc:
        if not durable:
            raise  # an import: its files are the durable copy; run it again later
        # The storage is away: the bytes wait in the database, committed with the row,
        # and the mail goes on as usual (ADR 21g); storage_backlog_move writes them out.
        logger.warning(
            "storage refused a mail; kept in the database", extra={"error": type(exc).__name__}
        )
        sha256, name = hashlib.sha256(raw).hexdigest(), ""
        keep_in_database = True
    message_id = message_id_of(raw)
    # No look first: a new message (the common case) costs one INSERT; one seen before
    # hits the unique constraint and is read back.
    try:
        with _commit_durably(durable), transaction.atomic():
            if keep_in_database:
                name = storage.blob_keep(raw, sha256=sha256)
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
            raw = storage.blob_read_sized(message.raw_name, size=message.size)
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
            record_parsed(message, parsed)
            fields += PARSED_FIELDS
        message.save(update_fields=fields)
    logger.warning("inbound message quarantined", extra={"inbound_id": inbound_id, "code": code})
    return message


def inbound_retry(*, inbound_id: int) -> InboundMessage:
    """Process a quarantined message again (after a fix or a changed limit)."""
    with transaction.atomic():
        message = InboundMessage.objects.select_for_update().filter(pk=inbound_id).first()
        if message is None:
            raise NotFound("Dit bericht bestaat niet (meer).")
        if message.state != State.QUARANTINED:
            raise UserError("Enkel berichten in quarantaine kunnen opnieuw verwerkt worden.")
        message.state = State.RECEIVED
        message.save(update_fields=["state"])
    return inbound_process(inbound_id=inbound_id)


class _ProcessedElsewhere(Exception):
    """Another worker finished this message first: roll this transaction back."""


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


# --------------------------------------------------------------------------------------
# Held attachments (ADR 12)
# --------------------------------------------------------------------------------------

RELEASE_REASON_MAX = 1000


def attachment_release(
    *, actor: User, dossier: Dossier, attachment_id: int, reason: str
) -> Attachment:
    """Release a held attachment of a mail on ``dossier``, so staff can download it.

    A person decides, with a reason: who, when and why are kept on the attachment and
    written to the dossier's timeline (one event). The attachment stays marked as
    dangerous and is never previewed. ``dossier`` comes from the access-checked door
    (``dossiers.selectors.dossier_get_for_user``); an attachment of another dossier is
    not found. Who may: ``Action.RELEASE_ATTACHMENT``.
    """
    reason = reason.strip()
    if not reason:
        raise UserError(
            "Geef een reden op: waarom is deze bijlage veilig genoeg om te openen?",
            field="reason",
        )
    if len(reason) > RELEASE_REASON_MAX:
        raise UserError(
            f"De reden is te lang (maximaal {RELEASE_REASON_MAX} tekens).", field="reason"
        )
    with transaction.atomic():
        attachment = (
            Attachment.objects.select_for_update(of=("self",))
            .filter(pk=attachment_id, message__dossier_id=dossier.pk)
            .first()
        )
        if attachment is None:
            raise NotFound("Deze bijlage vonden we niet bij dit dossier.")
        require(actor, Action.RELEASE_ATTACHMENT, dossier)
        if not attachment.is_held:
            raise Conflict("Deze bijlage is niet (meer) tegengehouden.")
        attachment.released_at = clock.now()
        attachment.released_by = actor
        attachment.release_reason = reason
        attachment.save(update_fields=["released_at", "released_by", "release_reason"])
        name = display_text(attachment.filename, "bijlage")
        event_record(
            dossier=dossier,
            kind=EventKind.ATTACHMENT_RELEASED,
            actor=actor,
            summary=f"{name} ({attachment.dangerous_reason})",
            data={
                "attachment": attachment.pk,
                "inbound": attachment.message_id,
                "danger": attachment.dangerous_reason,
                "reason": reason,
            },
        )
    return attachment
