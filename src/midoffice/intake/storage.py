"""Content-addressed file storage through Django's storage API.

Every file (raw mail, attachment) is stored once under ``sha256/ab/cd/<hash>``; the same
bytes always land on the same name, so storing twice is harmless.

While the storage is away (unreachable, full), a file can wait in the database instead
(``PendingBlob``, ADR 21g) under the name it will get: :func:`blob_save_or_keep` puts it
there, every reader here (:func:`blob_read`, :func:`blob_open`) looks there first, and
:func:`storage_backlog_move` writes it out when the storage is back. A file is always in
at least one of the two: the move writes and verifies the stored copy before the
database copy goes, in the transaction that holds the row's lock.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Iterable
from contextlib import suppress
from dataclasses import dataclass

from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction

from midoffice.core.storage import stored_file_open
from midoffice.intake.models import PendingBlob

logger = logging.getLogger(__name__)

_PREFIX = "sha256/"
_READ_CHUNK = 1024 * 1024


def storage_errors() -> tuple[type[BaseException], ...]:
    """What a storage raises when it cannot take or give a file: ``OSError`` on local disk
    (full, read-only, gone; ``ConnectionError`` from ``core.storage``), botocore's errors
    on S3 (no answer, or an error status such as 503 SlowDown or 507)."""
    from botocore.exceptions import BotoCoreError, ClientError

    return (OSError, BotoCoreError, ClientError)


def blob_name(sha256: str) -> str:
    return f"sha256/{sha256[:2]}/{sha256[2:4]}/{sha256}"


def blob_save(data: bytes, *, sha256: str | None = None, durable: bool = True) -> tuple[str, str]:
    """Store ``data`` (content-addressed); return ``(sha256, name)``.

    ``durable`` flushes the file to disk before returning (the raw message: a listener
    answers 250 on it). Attachments skip that: they can be derived again from the raw
    message. A file left half-written by a crash has the wrong size and is written again.
    """
    digest = sha256 or hashlib.sha256(data).hexdigest()
    name = blob_name(digest)
    if default_storage.exists(name):
        if default_storage.size(name) == len(data):
            return digest, name
        default_storage.delete(name)
    saved = default_storage.save(name, ContentFile(data))
    if saved != name:
        # Another process stored the same bytes at the same moment: keep theirs.
        default_storage.delete(saved)
    if durable:
        _fsync(name)
    return digest, name


def _fsync(name: str) -> None:
    """Flush a local file to disk, so "stored" survives a power cut (local disk only)."""
    try:
        path = default_storage.path(name)
    except NotImplementedError:
        return  # object stores acknowledge writes durably themselves
    with suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def blob_save_or_keep(
    data: bytes, *, sha256: str | None = None, durable: bool = True
) -> tuple[str, str]:
    """Store ``data`` like :func:`blob_save`; when the storage refuses it, keep the bytes
    in the database until it is back (ADR 21g). Returns ``(sha256, name)`` either way.

    Call it inside the transaction that writes the row naming the file, so the
    database copy commits (or rolls back) with that row.
    """
    try:
        return blob_save(data, sha256=sha256, durable=durable)
    except storage_errors() as exc:
        digest = sha256 or hashlib.sha256(data).hexdigest()
        logger.warning(
            "storage refused a file; kept in the database until it is back",
            extra={"error": type(exc).__name__, "size": len(data)},
        )
        return digest, blob_keep(data, sha256=digest)


def blob_keep(data: bytes, *, sha256: str) -> str:
    """Keep ``data`` in the database under the storage name it will get; returns the name.

    The same bytes kept twice are one row (``ON CONFLICT DO NOTHING``: no error that
    would break the caller's transaction on PostgreSQL). Call it inside the transaction
    that writes the row naming the file.
    """
    name = blob_name(sha256)
    PendingBlob.objects.bulk_create(
        [PendingBlob(sha256=sha256, name=name, data=data, size=len(data))],
        ignore_conflicts=True,
    )
    return name


def _pending_data(name: str) -> bytes | None:
    if not name.startswith(_PREFIX):
        return None
    data = PendingBlob.objects.filter(name=name).values_list("data", flat=True).first()
    # PostgreSQL hands a BinaryField back as a memoryview, SQLite as bytes.
    return None if data is None else bytes(data)


def pending_names(names: Iterable[str]) -> set[str]:
    """Which of these names wait in the database (one query for a whole list, so a page
    of mails does not look each one up)."""
    wanted = {name for name in names if name.startswith(_PREFIX)}
    if not wanted:
        return set()
    return set(PendingBlob.objects.filter(name__in=wanted).values_list("name", flat=True))


def blob_open(name: str, *, may_be_pending: bool = True) -> File[bytes]:
    """A stored file to stream (a download); missing: ``FileNotFoundError``.

    A file waiting in the database is served from there. ``may_be_pending=False``: the
    caller has just seen (:func:`pending_names`) that it is not waiting; one query less.
    Looking in the database *first* keeps this right while the file moves: the move
    writes the storage copy before it deletes the database copy.
    """
    if may_be_pending and (data := _pending_data(name)) is not None:
        return ContentFile(data, name=name)
    return stored_file_open(name)


def blob_read(name: str, *, may_be_pending: bool = True) -> bytes:
    """A stored file's bytes, from the database while it waits there (see ``blob_open``)."""
    if may_be_pending and (pending := _pending_data(name)) is not None:
        return pending
    with stored_file_open(name) as fh:
        data: bytes = fh.read()
    return data


def blob_read_sized(name: str, *, size: int) -> bytes:
    """A file's bytes when its size is known (processing a mail): the storage first, so
    the usual case costs no database query; the database only when the storage has no
    complete copy (away, not moved yet, or a partial file a full disk left behind).

    Right while the file moves: a storage miss followed by a database miss means the
    move deleted the row after writing the file, and :func:`blob_read` reads it again.
    """
    try:
        with stored_file_open(name) as fh:
            data: bytes = fh.read()
        if len(data) == size:
            return data
    except storage_errors():
        pass
    return blob_read(name)


# --------------------------------------------------------------------------------------
# The backlog: files waiting in the database for the storage
# --------------------------------------------------------------------------------------


class StoredCopyMismatch(Exception):
    """The storage gave back other bytes than it was given."""


@dataclass(frozen=True)
class BacklogMove:
    moved: int
    waiting: int  # still in the database afterwards
    error: str = ""  # the storage's error class when it refused (still away)


def storage_backlog_count() -> int:
    return PendingBlob.objects.count()


def _stored_sha256(name: str) -> str:
    digest = hashlib.sha256()
    with stored_file_open(name) as fh:
        while chunk := fh.read(_READ_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _move_one(pk: int) -> bool:
    """Write one waiting file to the storage, check it, then drop the database copy; one
    transaction holding the row's lock. False: another worker has it or it is gone."""
    with transaction.atomic():
        # skip_locked: a second worker passes over the row the first one is moving
        # instead of waiting for it and writing it again. (SQLite has no row locks: its
        # write transaction lets one process move at a time.)
        row = PendingBlob.objects.select_for_update(skip_locked=True).filter(pk=pk).first()
        if row is None:
            return False
        data = bytes(row.data)
        blob_save(data, sha256=row.sha256, durable=True)
        if _stored_sha256(row.name) != row.sha256:
            # Same size, other bytes (a copy damaged in the storage): write it again.
            default_storage.delete(row.name)
            blob_save(data, sha256=row.sha256, durable=True)
            if _stored_sha256(row.name) != row.sha256:
                raise StoredCopyMismatch(row.name)
        row.delete()
    return True


def storage_backlog_move(*, limit: int = 500) -> BacklogMove:
    """Move files waiting in the database to the storage, oldest first (ADR 21g).

    Idempotent and safe beside other workers: each file is written, read back and
    checked against its hash, and only then its database copy deleted, in one
    transaction that holds its row lock. A crash after the write and before the commit
    leaves the database copy (readers keep using it) and a stored copy that the next
    run finds complete and keeps. Stops at the first storage error: it is still away.
    """
    ids = list(
        PendingBlob.objects.order_by("created_at", "id").values_list("id", flat=True)[:limit]
    )
    moved = 0
    error = ""
    refused: tuple[type[BaseException], ...] = (*storage_errors(), StoredCopyMismatch)
    for pk in ids:
        try:
            moved += _move_one(pk)
        except refused as exc:
            error = type(exc).__name__
            logger.warning(
                "storage backlog: a file could not be moved yet",
                extra={"error": error, "pending_id": pk},
            )
            break
    return BacklogMove(moved=moved, waiting=storage_backlog_count(), error=error)
