"""The manifest: what an archive holds, with a SHA-256 and size for every member.

Layout of an archive (a gzip-compressed tar, PAX format)::

    database.dump | database.sqlite3   the database snapshot (one vendor)
    files/<storage name>               every stored file, under its storage name
    manifest.json                      this manifest
    manifest.sha256                    the SHA-256 of manifest.json (hex)
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

FORMAT = 1
MANIFEST = "manifest.json"
MANIFEST_SHA256 = "manifest.sha256"
FILES_PREFIX = "files/"


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why and what to do."""


@dataclass(frozen=True)
class Member:
    """One archive member: its name in the archive, size and SHA-256."""

    name: str
    size: int
    sha256: str


@dataclass
class Manifest:
    version: str
    vendor: str
    created_at: str
    migrations: list[str]
    tables: dict[str, int]
    database: Member
    files: list[Member] = field(default_factory=list)
    format: int = FORMAT

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), indent=1, sort_keys=True).encode()

    @classmethod
    def from_json(cls, data: bytes) -> Manifest:
        try:
            raw: dict[str, Any] = json.loads(data)
            if raw.get("format") != FORMAT:
                raise BackupError(
                    f"archive format {raw.get('format')!r} is not supported (this version "
                    f"reads format {FORMAT})"
                )
            return cls(
                version=str(raw["version"]),
                vendor=str(raw["vendor"]),
                created_at=str(raw["created_at"]),
                migrations=[str(m) for m in raw["migrations"]],
                tables={str(k): int(v) for k, v in raw["tables"].items()},
                database=Member(**raw["database"]),
                files=[Member(**m) for m in raw["files"]],
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise BackupError(f"the manifest is not readable: {exc}") from exc

    def members(self) -> dict[str, Member]:
        """Every member the manifest vouches for, by archive name."""
        return {m.name: m for m in [self.database, *self.files]}


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
