"""Writes for specialist systems: tokens, linked records, statuses, documents, webhooks,
and the audit of their calls. The API and the admin call these; nothing else writes.

A token is ``mds_`` followed by 256 random bits; it is shown once and only its SHA-256 is
kept (like the OData tokens, analytics.odata.tokens). Events on the timeline name the
system as their actor (``actor=None``, ``actor_label`` = the system's name).
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from collections.abc import Sequence
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction

from midoffice.accounts.models import User
from midoffice.core import clock
from midoffice.core.errors import NotFound, UserError
from midoffice.dossiers.events import event_record
from midoffice.dossiers.models import Dossier, EventKind
from midoffice.intake.mailparse import danger
from midoffice.publication.models import WebhookSubscription
from midoffice.systems.models import (
    ExternalRecord,
    SpecialistSystem,
    SystemCall,
    SystemDocument,
    SystemToken,
    SystemWebhook,
)
from midoffice.systems.selectors import system_dossier_q

logger = logging.getLogger(__name__)

KEY_PREFIX = "mds_"
MAX_KEY_LENGTH = 200


# --- tokens --------------------------------------------------------------------------------


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def system_token_create(*, system: SpecialistSystem, actor: User | None) -> tuple[SystemToken, str]:
    """A new key for ``system``; returns it with the key, which is never shown again."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    token = SystemToken.objects.create(
        system=system, key_hash=key_hash(key), key_hint=key[:10], created_at=clock.now()
    )
    logger.info(
        "system token created",
        extra={"system": system.code, "actor_id": actor.pk if actor else None},
    )
    return token, key


def system_token_revoke(*, token: SystemToken, actor: User | None) -> SystemToken:
    """Revoke ``token``: it stops working at once. Revoking twice changes nothing."""
    with transaction.atomic():
        locked = SystemToken.objects.select_for_update().get(pk=token.pk)
        if locked.revoked_at is None:
            locked.revoked_at = clock.now()
            locked.save(update_fields=["revoked_at"])
            logger.info(
                "system token revoked",
                extra={"system_token": locked.pk, "actor_id": actor.pk if actor else None},
            )
    return locked


def system_token_for_key(key: str) -> SystemToken | None:
    """The active token of an active system with this key, or None; marks it used."""
    if not key.startswith(KEY_PREFIX) or len(key) > MAX_KEY_LENGTH:
        return None
    token = (
        SystemToken.objects.select_related("system")
        .filter(key_hash=key_hash(key), revoked_at__isnull=True, system__active=True)
        .first()
    )
    if token is None:
        return None
    now = clock.now()
    # At most one write a minute per token: "last used" is for the admin, not a log.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() >= 60:
        SystemToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def system_call_audit(
    *,
    system: SpecialistSystem,
    method: str,
    path: str,
    status_code: int,
    dossier_reference: str = "",
    address: str = "",
) -> SystemCall:
    """One audit row per API call of a system (also refused ones)."""
    return SystemCall.objects.create(
        system=system,
        at=clock.now(),
        method=method[:10],
        path=path[:300],
        status_code=status_code,
        dossier_reference=dossier_reference[:11],
        address=address[:45],
    )


# --- linked records ------------------------------------------------------------------------


def _checked_url(url: str) -> str:
    url = url.strip()
    if url:
        try:
            URLValidator(schemes=["http", "https"])(url)
        except ValidationError:
            raise UserError("Dit is geen geldig webadres (http of https).", field="url") from None
    return url


def record_link(
    *,
    system: SpecialistSystem,
    dossier: Dossier,
    external_id: str,
    url: str = "",
    title: str = "",
) -> tuple[ExternalRecord, bool]:
    """Link the system's record ``external_id`` to ``dossier``; linking it again updates
    its url and title and writes no new event. Returns the record and whether it is new.

    ``dossier`` must come from ``system_dossier_get`` (the scope check is the caller's door).
    """
    external_id = external_id.strip()
    if not external_id:
        raise UserError("Geef het kenmerk van het record op.", field="external_id")
    url, title = _checked_url(url), title.strip()
    with transaction.atomic():
        record = (
            ExternalRecord.objects.select_for_update()
            .filter(system=system, dossier=dossier, external_id=external_id)
            .first()
        )
        if record is not None:
            changed = [f for f, v in (("url", url), ("title", title)) if getattr(record, f) != v]
            if changed:
                record.url, record.title = url, title
                record.save(update_fields=[*changed, "updated_at"])
            return record, False
        try:
            with transaction.atomic():
                record = ExternalRecord.objects.create(
                    system=system, dossier=dossier, external_id=external_id, url=url, title=title
                )
        except IntegrityError:
            # Linked at the same moment by a second call: that one wrote the event.
            record = ExternalRecord.objects.get(
                system=system, dossier=dossier, external_id=external_id
            )
            return record, False
        event_record(
            dossier=dossier,
            kind=EventKind.SYSTEM_RECORD_LINKED,
            actor=None,
            actor_label=system.name,
            summary=f"{system.name}: gekoppeld aan {title or external_id}",
            data={"system": system.code, "record": record.pk, "external_id": external_id},
        )
    return record, True


def record_get(*, system: SpecialistSystem, dossier: Dossier, record_id: int) -> ExternalRecord:
    """The system's own record on this dossier; NotFound for any other."""
    record = ExternalRecord.objects.filter(system=system, dossier=dossier, pk=record_id).first()
    if record is None:
        raise NotFound("Gekoppeld record niet gevonden.")
    return record


def record_unlink(*, system: SpecialistSystem, record: ExternalRecord) -> None:
    """Remove the link (the event history stays)."""
    with transaction.atomic():
        event_record(
            dossier=record.dossier,
            kind=EventKind.SYSTEM_RECORD_UNLINKED,
            actor=None,
            actor_label=system.name,
            summary=f"{system.name}: koppeling met {record.title or record.external_id} verwijderd",
            data={"system": system.code, "external_id": record.external_id},
        )
        SystemDocument.objects.filter(record=record).update(record=None)
        record.delete()


def record_status_post(
    *,
    system: SpecialistSystem,
    record: ExternalRecord,
    code: str,
    text: str,
    public: bool = False,
) -> ExternalRecord:
    """The record's new status in its own system: kept as its last status and written on
    the dossier's timeline ("Omgevingsloket: vergunning verleend")."""
    code, text = code.strip(), text.strip()
    if not code:
        raise UserError("Geef de code van de status op.", field="code")
    if not text:
        raise UserError("Geef de omschrijving van de status op.", field="text")
    now = clock.now()
    with transaction.atomic():
        locked = ExternalRecord.objects.select_for_update().get(pk=record.pk)
        locked.status_code, locked.status_text, locked.status_at = code, text, now
        locked.save(update_fields=["status_code", "status_text", "status_at", "updated_at"])
        event_record(
            dossier=locked.dossier,
            kind=EventKind.SYSTEM_STATUS_RECEIVED,
            actor=None,
            actor_label=system.name,
            public=public,
            summary=f"{system.name}: {text}",
            data={
                "system": system.code,
                "record": locked.pk,
                "external_id": locked.external_id,
                "code": code,
            },
        )
    return locked


# --- documents -----------------------------------------------------------------------------

#: What a system may add: the types a citizen may upload in the portal (issue 15).
ALLOWED_FILES: dict[str, tuple[str, tuple[bytes, ...]]] = {
    ".pdf": ("application/pdf", (b"%PDF-",)),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        (b"PK\x03\x04",),
    ),
    ".odt": ("application/vnd.oasis.opendocument.text", (b"PK\x03\x04",)),
    ".txt": ("text/plain", ()),
}


def _ooxml_members(data: bytes) -> list[str]:
    import io
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return archive.namelist()
    except (zipfile.BadZipFile, ValueError):
        raise UserError("Het bestand is leeg of niet wat de naam belooft.", field="file") from None


def document_check(upload: UploadedFile) -> tuple[str, str, bytes]:
    """A safe name, an allowed type (by extension and content), the portal's size limit,
    and nothing dangerous (ADR 12: a program, a script, macros…). Returns the name, the
    media type and the bytes; UserError (Dutch) otherwise."""
    limit = settings.PORTAL_UPLOAD_MAX_MB * 1024 * 1024
    too_big = f"Het bestand is te groot (maximaal {settings.PORTAL_UPLOAD_MAX_MB} MB)."
    original = upload.name or "bestand"
    raw_name = PurePath(original.replace("\\", "/")).name
    name = re.sub(r"[^\w .()-]", "_", raw_name).strip(" .")[:150] or "bestand"
    data = upload.read(limit + 1)
    if (upload.size or 0) > limit or len(data) > limit:
        raise UserError(too_big, field="file")
    verdict = danger.judge(raw_name, upload.content_type or "", data, original=original)
    if verdict is not None:
        raise UserError(f"Geweigerd: {verdict.reason_nl}.", code="dangerous_file", field="file")
    suffix = PurePath(name).suffix.lower()
    if suffix not in ALLOWED_FILES:
        raise UserError(
            "Dit soort bestand kunnen we niet aannemen. Gebruik PDF, JPG, PNG, DOCX, ODT of TXT.",
            field="file",
        )
    content_type, magics = ALLOWED_FILES[suffix]
    if not data or (magics and not data.startswith(magics)):
        raise UserError("Het bestand is leeg of niet wat de naam belooft.", field="file")
    if suffix in (".docx", ".odt"):
        macros = danger.ooxml_macros(_ooxml_members(data), name=name)
        if macros is not None:
            raise UserError(f"Geweigerd: {macros.reason_nl}.", code="dangerous_file", field="file")
    if suffix == ".txt":
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            raise UserError("Een tekstbestand moet UTF-8 zijn.", field="file") from None
    return name, content_type, data


def document_add(
    *,
    system: SpecialistSystem,
    dossier: Dossier,
    upload: UploadedFile,
    title: str = "",
    record: ExternalRecord | None = None,
) -> SystemDocument:
    """Add a document of ``system`` to ``dossier`` (checked first, stored, on the timeline)."""
    name, content_type, data = document_check(upload)
    title = title.strip()
    now = clock.now()
    suffix = PurePath(name).suffix.lower()
    with transaction.atomic():
        document = SystemDocument(
            system=system,
            dossier=dossier,
            record=record,
            name=name,
            title=title,
            content_type=content_type,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            created_at=now,
        )
        document.file.save(f"{secrets.token_hex(16)}{suffix}", ContentFile(data), save=False)
        try:
            document.save()
            event_record(
                dossier=dossier,
                kind=EventKind.SYSTEM_DOCUMENT_ADDED,
                actor=None,
                actor_label=system.name,
                summary=f"{system.name}: document {title or name}",
                data={"system": system.code, "document": document.pk, "name": name},
            )
        except Exception:
            # Nothing half-written: the stored file goes with the rolled-back row.
            document.file.delete(save=False)
            raise
    return document


# --- webhooks ------------------------------------------------------------------------------


def webhook_subscribe(
    *, system: SpecialistSystem, url: str, event_types: Sequence[str]
) -> WebhookSubscription:
    """A webhook subscription of ``system``: it hears only of dossiers in its scope."""
    url = url.strip()
    if not url:
        raise UserError("Geef het adres van de webhook op.", field="url")
    _checked_url(url)
    known = set(WebhookSubscription.EventType.values)
    unknown = [t for t in event_types if t not in known]
    if unknown:
        raise UserError(f"Onbekende soort gebeurtenis: {', '.join(unknown)}.", field="event_types")
    with transaction.atomic():
        subscription = WebhookSubscription.objects.create(
            name=f"{system.name} (maatsysteem)"[:120],
            url=url,
            event_types=sorted(set(event_types)),
        )
        SystemWebhook.objects.create(system=system, subscription=subscription)
    return subscription


def webhook_get(*, system: SpecialistSystem, subscription_id: int) -> WebhookSubscription:
    subscription = WebhookSubscription.objects.filter(
        pk=subscription_id, specialist_system__system=system
    ).first()
    if subscription is None:
        raise NotFound("Webhook-abonnement niet gevonden.")
    return subscription


def webhook_unsubscribe(*, system: SpecialistSystem, subscription: WebhookSubscription) -> None:
    subscription.delete()


def webhook_subscriptions_in_scope(dossier: Dossier, subscriptions: list[Any]) -> list[Any]:
    """Filter for ``publication.services.webhooks_emit``: a subscription of a specialist
    system hears of ``dossier`` only if the system reaches it; others are left alone."""
    owned = {
        w.subscription_id: w.system
        for w in SystemWebhook.objects.filter(
            subscription_id__in=[s.pk for s in subscriptions]
        ).select_related("system")
    }
    if not owned:
        return subscriptions
    reach = {
        system.pk: Dossier.objects.filter(system_dossier_q(system), pk=dossier.pk).exists()
        for system in {s.pk: s for s in owned.values()}.values()
    }
    return [s for s in subscriptions if s.pk not in owned or reach[owned[s.pk].pk]]
