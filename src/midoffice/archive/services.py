"""Writes of the archive: legal holds, transfer requests and the daily run.

The archive action and date themselves are set by the dossier services when a dossier
closes (``dossiers.retention``); this app acts on them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, transaction

from midoffice.accounts.models import User
from midoffice.accounts.permissions import Action, require
from midoffice.archive.models import ArchiveRun, ArchiveTransfer
from midoffice.archive.selectors import archive_due_counts, archive_due_dossiers
from midoffice.core import clock
from midoffice.core.errors import UserError
from midoffice.dossiers.events import event_record
from midoffice.dossiers.models import ArchiveState, Dossier, EventKind
from midoffice.dossiers.selectors import dossier_visible_q

HOLD_MAX = Dossier._meta.get_field("legal_hold_reason").max_length or 300


def _lock(dossier: Dossier) -> Dossier:
    return Dossier.objects.select_for_update().select_related("dossier_type").get(pk=dossier.pk)


def _reason(text: str, *, what: str) -> str:
    reason = " ".join(text.split())
    if not reason:
        raise UserError(f"Geef een reden om de archiefblokkering {what}.", field="reason")
    if len(reason) > HOLD_MAX:
        raise UserError(f"Een reden is hoogstens {HOLD_MAX} tekens lang.", field="reason")
    return reason


@transaction.atomic
def dossier_legal_hold_set(*, actor: User | None, dossier: Dossier, reason: str) -> Dossier:
    """Put a legal hold on the dossier: no transfer and no destruction until it is lifted.

    A transfer that is queued but not yet handed over is cancelled when it reaches the
    e-depot step (the transfer checks the hold right before it submits).
    """
    dossier = _lock(dossier)
    require(actor, Action.SET_LEGAL_HOLD, dossier)
    reason = _reason(reason, what="in te stellen")
    if dossier.archive_state in (ArchiveState.TRANSFERRED, ArchiveState.DESTROYED):
        raise UserError(
            f"Dit dossier is al {dossier.get_archive_state_display().lower()}: een "
            "archiefblokkering houdt niets meer tegen."
        )
    if dossier.legal_hold_reason:
        raise UserError("Op dit dossier staat al een archiefblokkering; hef ze eerst op.")
    dossier.legal_hold_reason = reason
    dossier.save(update_fields=["legal_hold_reason"])
    event_record(
        dossier=dossier,
        kind=EventKind.LEGAL_HOLD_SET,
        actor=actor,
        summary=f"Archiefblokkering: {reason}",
        data={"reason": reason},
    )
    return dossier


@transaction.atomic
def dossier_legal_hold_lift(*, actor: User | None, dossier: Dossier, reason: str) -> Dossier:
    """Lift the legal hold; the archive action (if due) can be carried out again."""
    dossier = _lock(dossier)
    require(actor, Action.SET_LEGAL_HOLD, dossier)
    reason = _reason(reason, what="op te heffen")
    if not dossier.legal_hold_reason:
        raise UserError("Op dit dossier staat geen archiefblokkering.")
    previous = dossier.legal_hold_reason
    dossier.legal_hold_reason = ""
    dossier.save(update_fields=["legal_hold_reason"])
    event_record(
        dossier=dossier,
        kind=EventKind.LEGAL_HOLD_LIFTED,
        actor=actor,
        summary=f"Archiefblokkering opgeheven: {reason}",
        data={"reason": reason, "hold": previous},
    )
    return dossier


def transfer_refusal(dossier: Dossier) -> str | None:
    """Why this dossier cannot be transferred now (Dutch), or None."""
    if dossier.is_open:
        return "Het dossier is nog niet afgesloten."
    if dossier.legal_hold_reason:
        return f"Op het dossier staat een archiefblokkering: {dossier.legal_hold_reason}"
    if dossier.archive_state == ArchiveState.TRANSFERRING:
        return "Het dossier wordt al overgebracht."
    if dossier.archive_state != ArchiveState.NONE:
        return f"Het dossier is al {dossier.get_archive_state_display().lower()}."
    if dossier.archive_action != "keep":
        return "Het dossier wordt volgens de bewaarregel niet bewaard maar vernietigd."
    if dossier.archive_date is None or dossier.archive_date > clock.today():
        when = f" (vanaf {dossier.archive_date:%d-%m-%Y})" if dossier.archive_date else ""
        return f"De bewaartermijn is nog niet verstreken{when}."
    if not dossier.dossier_type.archive_series_code:
        return (
            f"Het dossiertype ‘{dossier.dossier_type.name}’ hoort bij geen archiefserie: vul "
            "de serie in bij het dossiertype."
        )
    return None


def _queue(*, actor: User | None, dossier: Dossier) -> ArchiveTransfer:
    """Inside a transaction, with the dossier locked and checked."""
    from midoffice.archive.tasks import archive_package_task

    now = clock.now()
    transfer = ArchiveTransfer.objects.create(
        dossier=dossier,
        reference=dossier.reference,
        series_code=dossier.dossier_type.archive_series_code,
        series_name=dossier.dossier_type.archive_series_name,
        target=settings.EDEPOT_PLUGIN,
        requested_by=actor,
        created_at=now,
    )
    Dossier.objects.filter(pk=dossier.pk).update(archive_state=ArchiveState.TRANSFERRING)
    archive_package_task.enqueue(transfer_id=transfer.pk)
    return transfer


@transaction.atomic
def archive_transfer_request(*, actor: User | None, dossier: Dossier) -> ArchiveTransfer:
    """Queue the transfer of one due "keep" dossier to the e-depot.

    The package is built, validated and submitted in the background; the dossier counts
    as transferred only when the e-depot's receipt is in.
    """
    dossier = _lock(dossier)
    require(actor, Action.TRANSFER_ARCHIVE, dossier)
    refusal = transfer_refusal(dossier)
    if refusal:
        raise UserError(refusal, code="not_transferable")
    try:
        with transaction.atomic():
            return _queue(actor=actor, dossier=dossier)
    except IntegrityError:
        raise UserError("Het dossier wordt al overgebracht.", code="not_transferable") from None


@dataclass
class TransferBatch:
    requested: int = 0
    refused: list[tuple[str, str]] = field(default_factory=list)  # (reference, reason)


def archive_transfer_request_due(
    *, actor: User | None, dossier_type_id: int | None = None, limit: int | None = None
) -> TransferBatch:
    """Queue transfers for due "keep" dossiers (at most ``limit``, oldest first).

    One short transaction per dossier, so one refusal does not hold back the others.
    A member of staff queues only what they can see; the daily run (no actor) queues all.
    """
    require(actor, Action.TRANSFER_ARCHIVE)
    limit = limit or int(settings.ARCHIVE_TRANSFER_BATCH)
    qs = archive_due_dossiers(action="keep", dossier_type_id=dossier_type_id)
    if actor is not None:
        qs = qs.filter(dossier_visible_q(actor))
    ids = list(qs.order_by("archive_date", "id").values_list("id", flat=True)[:limit])
    batch = TransferBatch()
    for dossier in Dossier.objects.filter(id__in=ids).order_by("archive_date", "id"):
        try:
            archive_transfer_request(actor=actor, dossier=dossier)
            batch.requested += 1
        except UserError as exc:
            batch.refused.append((dossier.reference, exc.message))
    return batch


def archive_daily_run() -> ArchiveRun:
    """The daily run: count what has become due, per action and type, in one query; keep
    the counts for the archivist's page; queue transfers when the town lets it."""
    started = time.perf_counter()
    today = clock.today()
    counts = archive_due_counts(today=today)
    queued = 0
    if settings.ARCHIVE_AUTO_TRANSFER:
        queued = archive_transfer_request_due(actor=None).requested
    return ArchiveRun.objects.create(
        day=today,
        ran_at=clock.now(),
        due_total=sum(c.count for c in counts),
        counts=[
            {
                "action": c.action,
                "dossier_type_id": c.dossier_type_id,
                "dossier_type": c.dossier_type_name,
                "count": c.count,
                "oldest": c.oldest.isoformat() if c.oldest else None,
            }
            for c in counts
        ],
        queued=queued,
        duration_ms=int((time.perf_counter() - started) * 1000),
    )
