"""Content-addressed files through Django's storage API (the SHA-256 is the name)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage


@dataclass(frozen=True)
class StoredFile:
    name: str
    sha256: str
    size: int


class StoredFileCorrupt(Exception):
    pass


def file_store(*, data: bytes, suffix: str = ".pdf") -> StoredFile:
    """Store ``data`` once under its hash; storing the same bytes again changes nothing."""
    digest = hashlib.sha256(data).hexdigest()
    name = f"correspondence/{digest[:2]}/{digest}{suffix}"
    if not default_storage.exists(name):
        saved = default_storage.save(name, ContentFile(data))
        if saved != name:  # a race with an identical writer: keep the first, drop ours
            default_storage.delete(saved)
    return StoredFile(name=name, sha256=digest, size=len(data))


def file_read(*, name: str, sha256: str) -> bytes:
    """Read a stored file and check it is still the file whose hash we kept."""
    with default_storage.open(name, "rb") as handle:
        data = handle.read()
    if hashlib.sha256(data).hexdigest() != sha256:
        raise StoredFileCorrupt(f"{name} does not match its hash")
    return bytes(data)
