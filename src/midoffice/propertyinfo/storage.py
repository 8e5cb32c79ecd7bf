"""Content-addressed copies of property documents (the SHA-256 is the name)."""

from __future__ import annotations

import hashlib
import mimetypes

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

PREFIX = "property/"


def property_file_store(*, data: bytes, media_type: str) -> tuple[str, str]:
    """Store ``data`` once under its hash; return (storage name, sha256)."""
    digest = hashlib.sha256(data).hexdigest()
    suffix = mimetypes.guess_extension(media_type) or ".bin"
    name = f"{PREFIX}{digest[:2]}/{digest}{suffix}"
    if not default_storage.exists(name):
        saved = default_storage.save(name, ContentFile(data))
        if saved != name:  # a race with an identical writer: keep the first, drop ours
            default_storage.delete(saved)
    return name, digest


def property_file_read(*, name: str, sha256: str) -> bytes:
    """Read a kept copy and check it is still the file whose hash we kept."""
    with default_storage.open(name, "rb") as handle:
        data = bytes(handle.read())
    if hashlib.sha256(data).hexdigest() != sha256:
        raise OSError(f"{name} does not match its hash")
    return data
