"""Content-addressed file storage through Django's storage API.

Every file (raw mail, attachment) is stored once under ``sha256/ab/cd/<hash>``; the same
bytes always land on the same name, so storing twice is harmless.
"""

from __future__ import annotations

import hashlib
import os
from contextlib import suppress

from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from midoffice.core.storage import stored_file_open


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


def blob_open(name: str) -> File[bytes]:
    """A stored file to stream (a download); missing: ``FileNotFoundError``."""
    return stored_file_open(name)


def blob_read(name: str) -> bytes:
    with stored_file_open(name) as fh:
        data: bytes = fh.read()
    return data
