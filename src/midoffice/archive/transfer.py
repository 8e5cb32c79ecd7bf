"""Transfer to the e-depot: package → validate → submit through the outbox → receipt.

1. ``archive_transfer_request`` (services) writes the transfer (state *queued*), marks the
   dossier *transferring* and enqueues :func:`transfer_package` in the same transaction.
2. :func:`transfer_package` (a task) takes a lease on the transfer, builds the E-ARK SIP
   in a work folder, validates it (eark-validator, offline, and the fixity check), stores
   the ZIP through the storage API and, in one transaction, records it (*packaged*) and
   puts the submission in the outbox. A package that fails validation is never sent: the
   transfer is *refused* with the reason, the dossier is due again. A worker killed while
   packaging leaves the lease; :func:`archive_sweep` hands the transfer to another worker
   when it runs out, and the rebuild writes the same bytes.
3. The outbox handler :func:`deliver` submits the package with the outbox idempotency key
   (the e-depot keeps one copy per key), asks its status and fetches the receipt; only
   with the receipt does it mark the transfer *transferred*, the dossier *transferred*
   and write the ``archive.transferred`` event — in the transaction that also marks the
   outbox message sent. E-depot down: the outbox retries with back-off.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction

from midoffice.archive import plugins
from midoffice.archive.models import ArchiveTransfer
from midoffice.archive.sip.build import PackageRefused, sip_build, sip_zip
from midoffice.archive.sip.collect import sip_context, sip_dossier_collect
from midoffice.archive.sip.validation import ValidationResult, validate_folder
from midoffice.core import clock
from midoffice.core.outbox import (
    Delivery,
    PermanentFailure,
    TemporaryFailure,
    outbox_enqueue,
    outbox_handler,
    outbox_mark_sent,
)
from midoffice.dossiers.events import event_record
from midoffice.dossiers.models import ArchiveState, Dossier, EventKind
from midoffice.integrations.edepot.base import (
    DepotState,
    EdepotRefused,
    EdepotUnavailable,
    Package,
)

logger = logging.getLogger(__name__)

TOPIC = "archive.transfer"
LEASE = timedelta(minutes=15)


def work_root() -> Path:
    """Where packages are built (local disk: the validator reads files)."""
    return Path(settings.DATA_DIR) / "archive-work"


def package_storage_name(objid: str) -> str:
    return f"archive/packages/{objid}.zip"


@dataclass(frozen=True)
class BuiltPackage:
    objid: str
    zip_path: Path
    sha256: str
    size: int
    validation: ValidationResult


def package_build(
    *, dossier: Dossier, package_id: uuid.UUID, created: Any, work: Path
) -> BuiltPackage:
    """Build, validate and zip the package of a closed dossier under ``work``.

    Raises PackageRefused (Dutch reason) for a missing mandatory field or a damaged file,
    and when the package does not validate.
    """
    context = sip_context(package_id=package_id, created=created)
    sip = sip_dossier_collect(dossier=dossier)
    root = sip_build(dossier=sip, context=context, into=work)
    validation = validate_folder(root)
    if not validation.valid:
        raise PackageRefused(validation.reason_nl())
    zip_path = work / f"{context.objid}.zip"
    sha256, size = sip_zip(root, zip_path, when=context.created)
    shutil.rmtree(root, ignore_errors=True)
    return BuiltPackage(
        objid=context.objid, zip_path=zip_path, sha256=sha256, size=size, validation=validation
    )


def _claim(transfer_id: int) -> ArchiveTransfer | None:
    now = clock.now()
    with transaction.atomic():
        transfer = (
            ArchiveTransfer.objects.select_for_update(skip_locked=True)
            .filter(pk=transfer_id, state=ArchiveTransfer.State.QUEUED)
            .first()
        )
        if transfer is None or (transfer.lease_until and transfer.lease_until > now):
            return None
        transfer.lease_until = now + LEASE
        transfer.save(update_fields=["lease_until"])
        return transfer


def _give_back(transfer: ArchiveTransfer, *, state: str, reason: str) -> None:
    """End a transfer that will not reach the e-depot; the dossier is due again."""
    with transaction.atomic():
        updated = ArchiveTransfer.objects.filter(
            pk=transfer.pk, state__in=[ArchiveTransfer.State.QUEUED, ArchiveTransfer.State.PACKAGED]
        ).update(state=state, reason=reason[:5000], lease_until=None)
        if updated and transfer.dossier_id:
            Dossier.objects.filter(
                pk=transfer.dossier_id, archive_state=ArchiveState.TRANSFERRING
            ).update(archive_state=ArchiveState.NONE)


def transfer_package(*, transfer_id: int) -> str:
    """Build, validate and store the package of a queued transfer; hand it to the outbox.

    Idempotent: a transfer that is no longer queued, or that another worker holds, is
    left alone; after a crash the sweep calls this again and the rebuild is identical.
    """
    transfer = _claim(transfer_id)
    if transfer is None:
        return "skipped"
    dossier = (
        Dossier.objects.select_related("dossier_type", "result")
        .filter(pk=transfer.dossier_id or 0)
        .first()
    )
    if dossier is None:
        _give_back(
            transfer, state=ArchiveTransfer.State.CANCELLED, reason="Het dossier bestaat niet meer."
        )
        return "cancelled"
    if dossier.legal_hold_reason:
        _give_back(
            transfer,
            state=ArchiveTransfer.State.CANCELLED,
            reason=f"Archiefblokkering: {dossier.legal_hold_reason}",
        )
        return "cancelled"
    work = work_root() / str(transfer.package_id)
    shutil.rmtree(work, ignore_errors=True)  # what a killed worker left behind
    work.mkdir(parents=True, exist_ok=True)
    try:
        built = package_build(
            dossier=dossier, package_id=transfer.package_id, created=transfer.created_at, work=work
        )
        name = package_storage_name(built.objid)
        if default_storage.exists(name):
            default_storage.delete(name)  # a copy stored before a crash: the same bytes
        with built.zip_path.open("rb") as handle:
            saved = default_storage.save(name, File(handle, name=Path(name).name))
    except PackageRefused as exc:
        _give_back(transfer, state=ArchiveTransfer.State.REFUSED, reason=exc.reason)
        logger.info("archive package refused", extra={"transfer": transfer.pk})
        return "refused"
    finally:
        shutil.rmtree(work, ignore_errors=True)
    with transaction.atomic():
        updated = ArchiveTransfer.objects.filter(
            pk=transfer.pk, state=ArchiveTransfer.State.QUEUED
        ).update(
            state=ArchiveTransfer.State.PACKAGED,
            package_name=saved,
            package_sha256=built.sha256,
            package_size=built.size,
            outbox_key=str(transfer.package_id),
            lease_until=None,
        )
        if updated:
            outbox_enqueue(
                topic=TOPIC,
                payload={"transfer_id": transfer.pk},
                ordering_key=f"archive:{transfer.reference}",
                idempotency_key=str(transfer.package_id),
            )
    return "packaged" if updated else "skipped"


def archive_sweep(*, limit: int = 100) -> int:
    """Re-drive queued transfers whose worker died (lease run out) or whose task was lost."""
    from midoffice.archive.tasks import archive_package_task

    now = clock.now()
    stuck = list(
        ArchiveTransfer.objects.filter(
            state=ArchiveTransfer.State.QUEUED, created_at__lt=now - LEASE
        )
        .exclude(lease_until__gt=now)
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )
    for transfer_id in stuck:
        with transaction.atomic():
            archive_package_task.enqueue(transfer_id=transfer_id)
    return len(stuck)


def _read_package(transfer: ArchiveTransfer) -> bytes:
    with default_storage.open(transfer.package_name, "rb") as handle:
        data = bytes(handle.read())
    if hashlib.sha256(data).hexdigest() != transfer.package_sha256:
        raise PermanentFailure("the stored package does not match its hash")
    return data


def _finish(
    delivery: Delivery, transfer: ArchiveTransfer, receipt: dict[str, Any]
) -> dict[str, Any]:
    with transaction.atomic():
        updated = ArchiveTransfer.objects.filter(
            pk=transfer.pk, state=ArchiveTransfer.State.SUBMITTED
        ).update(
            state=ArchiveTransfer.State.TRANSFERRED,
            receipt=receipt,
            transferred_at=clock.now(),
            # The stored package is deleted below: the row must not name a file that is
            # gone (a backup checks every name it holds). Its hash and size stay.
            package_name="",
        )
        if updated and transfer.dossier_id:
            dossier = Dossier.objects.select_for_update().get(pk=transfer.dossier_id)
            dossier.archive_state = ArchiveState.TRANSFERRED
            dossier.save(update_fields=["archive_state"])
            event_record(
                dossier=dossier,
                kind=EventKind.ARCHIVE_TRANSFERRED,
                actor=transfer.requested_by,
                summary=f"Overgebracht naar {settings.EDEPOT_NAME} (ontvangstbewijs "
                f"{receipt.get('receipt_id', '?')})",
                data={
                    "transfer": transfer.pk,
                    "package": str(transfer.package_id),
                    "series": transfer.series_code,
                    "location": transfer.location,
                    "receipt_id": receipt.get("receipt_id", ""),
                    "sha256": transfer.package_sha256,
                },
            )
        result = {"receipt_id": receipt.get("receipt_id", ""), "transfer": transfer.pk}
        outbox_mark_sent(delivery, result=result)
        if updated:
            # The e-depot has it and said so: Midoffice keeps the record, not the package.
            name = transfer.package_name
            transaction.on_commit(lambda: default_storage.delete(name))
    return result


@outbox_handler(TOPIC)
def deliver(delivery: Delivery) -> dict[str, Any]:
    """Submit one packaged transfer and keep the e-depot's receipt (exactly once)."""
    transfer = ArchiveTransfer.objects.select_related("requested_by").get(
        pk=delivery.payload["transfer_id"]
    )
    if transfer.state == ArchiveTransfer.State.TRANSFERRED:
        return {"receipt_id": transfer.receipt.get("receipt_id", ""), "transfer": transfer.pk}
    if transfer.state not in (ArchiveTransfer.State.PACKAGED, ArchiveTransfer.State.SUBMITTED):
        return {"skipped": transfer.state}
    target = plugins.edepot_target()
    try:
        if transfer.state == ArchiveTransfer.State.PACKAGED:
            hold = (
                Dossier.objects.filter(pk=transfer.dossier_id or 0)
                .values_list("legal_hold_reason", flat=True)
                .first()
            )
            if hold:
                _give_back(
                    transfer,
                    state=ArchiveTransfer.State.CANCELLED,
                    reason=f"Archiefblokkering: {hold}",
                )
                return {"cancelled": "legal hold"}
            submission = target.submit(
                Package(
                    package_id=f"uuid-{transfer.package_id}",
                    filename=f"uuid-{transfer.package_id}.zip",
                    data=_read_package(transfer),
                    sha256=transfer.package_sha256,
                    reference=transfer.reference,
                    series=transfer.series_code,
                ),
                idempotency_key=delivery.idempotency_key,
            )
            ArchiveTransfer.objects.filter(pk=transfer.pk).update(
                state=ArchiveTransfer.State.SUBMITTED,
                submission_id=submission.submission_id,
                location=submission.location[:500],
                target=target.name,
            )
            transfer.refresh_from_db()
        status = target.status(transfer.submission_id)
        if status.state == DepotState.REJECTED:
            raise EdepotRefused("; ".join(status.reasons) or "rejected", status.reasons)
        if status.state != DepotState.ACCEPTED:
            raise TemporaryFailure("the e-depot is still checking the package")
        receipt = target.receipt(transfer.submission_id)
    except EdepotUnavailable as exc:
        raise TemporaryFailure(str(exc)) from exc
    except EdepotRefused as exc:
        reason = "Het e-depot weigerde het pakket: " + "; ".join(exc.reasons)
        with transaction.atomic():
            ArchiveTransfer.objects.filter(pk=transfer.pk).update(
                state=ArchiveTransfer.State.REFUSED, reason=reason[:5000]
            )
            if transfer.dossier_id:
                Dossier.objects.filter(
                    pk=transfer.dossier_id, archive_state=ArchiveState.TRANSFERRING
                ).update(archive_state=ArchiveState.NONE)
        raise PermanentFailure(reason) from exc
    return _finish(delivery, transfer, receipt.as_json())
