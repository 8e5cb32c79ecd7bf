"""The intake's part of destroying a dossier: its mails, raw and parsed, with their
attachments. Registered with ``dossiers.erasure`` in ``IntakeConfig.ready()``."""

from __future__ import annotations

from django.db.models import Q

from midoffice.dossiers.erasure import Eraser, Erasure
from midoffice.intake.models import Attachment, InboundMessage, PendingBlob
from midoffice.intake.storage import blob_name

_PREFIX = "sha256/"


def _collect(erasure: Erasure) -> None:
    dossier = erasure.dossier
    rows = list(
        InboundMessage.objects.filter(
            Q(dossier_id=dossier.pk)
            # A reply the intake could not link (an out-of-office about the
            # acknowledgement) still names the dossier in its subject.
            | Q(dossier_id__isnull=True, subject__contains=f"[{dossier.reference}]")
        ).values_list("pk", "raw_name")
    )
    ids = [pk for pk, _ in rows]
    attachments = list(
        Attachment.objects.filter(message_id__in=ids).values_list("stored_name", flat=True)
    )
    erasure.files |= {name for _, name in rows if name} | {name for name in attachments if name}
    erasure.outbox_keys |= {f"intake-ack-{pk}" for pk in ids}  # the acknowledgements
    erasure.rows("inbound_id", ids)
    erasure.admin("intake.inboundmessage", ids)
    erasure.counts["mails"] += len(ids)
    erasure.counts["attachments"] += len(attachments)
    erasure.scratch["intake"] = ids


def _erase(erasure: Erasure) -> None:
    # Attachments cascade; acknowledgements sent (SentMessage) go with the dossier.
    InboundMessage.objects.filter(pk__in=erasure.scratch.get("intake", [])).delete()
    # Files still waiting in the database for the storage (ADR 21g) go in this
    # transaction; the stored ones leave the storage after the commit. Only intake's
    # rows name a "sha256/" file, so what they no longer use is free.
    names = {name for name in erasure.files if name.startswith(_PREFIX)}
    if names:
        PendingBlob.objects.filter(name__in=names - _files_in_use(names)).delete()


def _files_in_use(names: set[str]) -> set[str]:
    names = {name for name in names if name.startswith(_PREFIX)}
    if not names:
        return set()
    hashes = [name.rsplit("/", 1)[-1] for name in names]
    used = {
        blob_name(sha)
        for sha in Attachment.objects.filter(sha256__in=hashes).values_list("sha256", flat=True)
    }
    used |= set(
        InboundMessage.objects.filter(raw_name__in=list(names)).values_list("raw_name", flat=True)
    )
    return used & names


INTAKE_ERASER = Eraser(collect=_collect, erase=_erase, files_in_use=_files_in_use)
