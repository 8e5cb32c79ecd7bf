"""Write a backup archive, check one, and restore it into an empty instance."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import logging
import os
import tarfile
import tempfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from pathlib import Path
from typing import IO, BinaryIO

from django.core.files import File
from django.core.files.storage import Storage, default_storage
from django.db.migrations.loader import MigrationLoader

from midoffice.core import clock
from midoffice.core.backup import database
from midoffice.core.backup.manifest import (
    FILES_PREFIX,
    MANIFEST,
    MANIFEST_SHA256,
    BackupError,
    Manifest,
    Member,
    Readable,
    sha256_hex,
)

logger = logging.getLogger(__name__)

CHUNK = 1024 * 1024
# Fast compression: the PostgreSQL dump is compressed already, and so are most PDFs and
# packages; the gain of a higher level is small and costs minutes at a million dossiers.
COMPRESS_LEVEL = 1

Progress = Callable[[str], None]


def midoffice_version() -> str:
    try:
        return package_version("midoffice")
    except PackageNotFoundError:  # run from a source tree that was not installed
        return "unknown"


@dataclass(frozen=True)
class CodeMigrations:
    """The migrations this code has, and what else a database may list without harm."""

    names: frozenset[str]  # every migration on disk: the schema this code expects
    replaced: frozenset[str]  # named in a squashed migration's ``replaces``
    apps: frozenset[str]  # apps that have migrations


def code_migrations() -> CodeMigrations:
    loader = MigrationLoader(None, ignore_no_migrations=True)
    disk = loader.disk_migrations
    return CodeMigrations(
        names=frozenset(f"{app}.{name}" for app, name in disk),
        replaced=frozenset(
            f"{app}.{name}" for m in disk.values() for app, name in (m.replaces or [])
        ),
        apps=frozenset(app for app, _ in disk),
    )


# --- writing ------------------------------------------------------------------------


class _HashingReader:
    """Reads a file for tarfile, hashing what passes and counting it."""

    def __init__(self, handle: IO[bytes]) -> None:
        self.handle = handle
        self.digest = hashlib.sha256()
        self.size = 0

    def read(self, size: int = -1) -> bytes:
        data = self.handle.read(size)
        self.digest.update(data)
        self.size += len(data)
        return data


def _open_output(path: Path) -> BinaryIO:
    """The archive file being written (a seam: the tests make it run out of disk)."""
    return path.open("wb")


def _add_stream(tar: tarfile.TarFile, name: str, handle: IO[bytes], size: int) -> Member:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = int(clock.now().timestamp())
    info.mode = 0o600
    reader = _HashingReader(handle)
    tar.addfile(info, reader)  # tarfile only calls read()
    if reader.size != size:
        raise BackupError(f"{name} changed size while it was read")
    return Member(name=name, size=size, sha256=reader.digest.hexdigest())


def storage_walk(storage: Storage, folder: str = "") -> Iterator[str]:
    """Every file name in ``storage``, through the storage API only (object stores too)."""
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:  # a folder that is not there (yet, or any more) is empty
        return
    for name in sorted(files):
        yield f"{folder}/{name}" if folder else name
    for sub in sorted(folders):
        yield from storage_walk(storage, f"{folder}/{sub}" if folder else sub)


def _add_stored_files(tar: tarfile.TarFile, storage: Storage) -> list[Member]:
    members: list[Member] = []
    for name in storage_walk(storage):
        try:
            size = storage.size(name)
            handle = storage.open(name, "rb")
        except FileNotFoundError:
            # Deleted since it was listed: no row of the snapshot needs it, or the
            # reference check below says so.
            continue
        with handle:
            member = _add_stream(tar, FILES_PREFIX + name, handle, size)
        members.append(member)
    return members


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    _add_stream(tar, name, io.BytesIO(data), len(data))


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size: int
    manifest: Manifest


def backup_create(*, out: Path, storage: Storage | None = None) -> BackupResult:
    """Write a consistent archive of the database and every stored file to ``out``.

    The file list is taken *after* the database snapshot: stored files are written before
    the row that names them is committed, and are never changed, so every file a snapshot
    row names is there, unless it was deleted since (a destruction run): then the check
    against the snapshot's names fails the backup instead of writing an incomplete one.
    The archive is written as ``out.partial`` and renamed at the very end; on any error the
    partial file is removed.
    """
    storage = storage or default_storage
    out = out.resolve()
    if out.exists():
        raise BackupError(f"{out} exists already; choose another name")
    partial = out.with_name(out.name + ".partial")
    try:
        with tempfile.TemporaryDirectory(prefix=".midoffice-backup-", dir=out.parent) as tmp:
            snapshot = database.snapshot_take(Path(tmp))
            with _open_output(partial) as raw:
                with tarfile.open(
                    fileobj=raw,
                    mode="w:gz",
                    compresslevel=COMPRESS_LEVEL,
                    format=tarfile.PAX_FORMAT,
                ) as tar:
                    with snapshot.path.open("rb") as dump:
                        db_member = _add_stream(
                            tar, snapshot.member, dump, snapshot.path.stat().st_size
                        )
                    snapshot.path.unlink()
                    files = _add_stored_files(tar, storage)
                    stored = {m.name.removeprefix(FILES_PREFIX) for m in files}
                    missing = sorted(snapshot.references - stored)
                    if missing:
                        raise BackupError(
                            f"{len(missing)} stored files that the database names are not in "
                            f"the storage (first: {missing[0]}); deleted during the backup? "
                            "Run the backup again."
                        )
                    manifest = Manifest(
                        version=midoffice_version(),
                        vendor=database.vendor(),
                        created_at=clock.now().astimezone(dt.UTC).isoformat(),
                        migrations=snapshot.migrations,
                        tables=snapshot.tables,
                        database=db_member,
                        files=files,
                    )
                    data = manifest.to_json()
                    _add_bytes(tar, MANIFEST, data)
                    _add_bytes(tar, MANIFEST_SHA256, sha256_hex(data).encode())
                raw.flush()
                os.fsync(raw.fileno())
        os.replace(partial, out)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return BackupResult(path=out, size=out.stat().st_size, manifest=manifest)


# --- reading ------------------------------------------------------------------------


def _members(path: Path) -> Iterator[tuple[tarfile.TarFile, tarfile.TarInfo]]:
    """The members of the archive in order, streaming (no index of all members kept)."""
    try:
        with tarfile.open(path, mode="r:*") as tar:
            while (info := tar.next()) is not None:
                yield tar, info
                # A million files: keep no list of every header (typeshed omits the attribute).
                tar.members.clear()  # type: ignore[attr-defined]
            # Read to the end: tar stops at its end marker, before the padding and the gzip
            # trailer, whose CRC is only checked when the stream is read to its end; a
            # damaged byte there (or in a header after the last member, which tarfile takes
            # for the end) would otherwise pass unseen.
            stream = tar.fileobj
            assert stream is not None
            while stream.read(CHUNK):
                pass
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        raise BackupError(f"{path} is damaged or incomplete: {exc}") from exc


def _copy_hashed(source: IO[bytes], target: IO[bytes] | None) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    while chunk := source.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
        if target is not None:
            target.write(chunk)
    return size, digest.hexdigest()


def archive_verify(path: Path) -> Manifest:
    """Read the whole archive and check every member against the manifest; change nothing."""
    if not path.is_file():
        raise BackupError(f"{path} does not exist")
    seen: dict[str, tuple[int, str]] = {}
    manifest_data = b""
    manifest_sum = ""
    for tar, info in _members(path):
        if not info.isfile():
            raise BackupError(f"{path}: unexpected member {info.name!r}")
        handle = tar.extractfile(info)
        assert handle is not None  # a regular file always has content
        if info.name in (MANIFEST, MANIFEST_SHA256):
            data = handle.read()
            if info.name == MANIFEST:
                manifest_data = data
            else:
                manifest_sum = data.decode(errors="replace").strip()
            continue
        try:
            seen[info.name] = _copy_hashed(handle, None)
        except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
            raise BackupError(f"{path} is damaged or incomplete: {exc}") from exc
    if not manifest_data or not manifest_sum:
        raise BackupError(f"{path} has no manifest: incomplete, or not a Midoffice backup")
    if sha256_hex(manifest_data) != manifest_sum:
        raise BackupError(f"{path}: the manifest does not match its checksum")
    manifest = Manifest.from_json(manifest_data)
    expected = manifest.members()
    for name, member in expected.items():
        if name not in seen:
            raise BackupError(f"{path}: {name} is missing")
        if seen[name] != (member.size, member.sha256):
            raise BackupError(f"{path}: {name} does not match its checksum in the manifest")
    extra = sorted(set(seen) - set(expected))
    if extra:
        raise BackupError(f"{path}: {extra[0]} is not in the manifest")
    return manifest


def version_check(manifest: Manifest) -> list[str]:
    """Refuse an archive whose schema is not this code's; return notices to show.

    The criterion is the migrations, not the package version: every migration this code
    has must be applied in the archive (else it is older), and the archive may list no
    migration of an app of ours that this code does not know (else it is newer). Rows of
    apps that are no longer installed, and migrations a squashed one replaces, are old
    bookkeeping and pass. The package version is shown when it differs but does not
    refuse: two builds with the same migrations read the same data.
    """
    code = code_migrations()
    applied = set(manifest.migrations)
    missing = sorted(code.names - applied)
    unknown = sorted(
        m for m in applied - code.names - code.replaced if m.split(".", 1)[0] in code.apps
    )
    if missing or unknown:
        detail = []
        if unknown:
            detail.append(
                f"{len(unknown)} migrations this version does not have, e.g. {unknown[0]}"
            )
        if missing:
            detail.append(
                f"{len(missing)} migrations not applied in the archive, e.g. {missing[0]}"
            )
        raise BackupError(
            f"this archive is from another version of Midoffice ({manifest.version}: "
            f"{'; '.join(detail)}); restore it with the version that made it, then upgrade"
        )
    notices = []
    if manifest.version != midoffice_version():
        notices.append(
            f"the archive was made by Midoffice {manifest.version}, this is "
            f"{midoffice_version()}; the migrations are the same"
        )
    return notices


def target_check(manifest: Manifest, storage: Storage) -> None:
    """Refuse a database with any table, another vendor, or a storage with any file."""
    if manifest.vendor != database.vendor():
        raise BackupError(
            f"the archive holds a {manifest.vendor} database; the configured database is "
            f"{database.vendor()}"
        )
    tables = database.database_tables()
    if tables:
        raise BackupError(
            f"the database {database.database_describe()} is not empty ({len(tables)} tables, "
            f"e.g. {tables[0]}); restore needs an empty database without tables "
            "(PostgreSQL: dropdb and createdb; SQLite: a new file)"
        )
    for name in storage_walk(storage):
        raise BackupError(
            f"the file storage is not empty (it holds {name}); restore needs an empty one"
        )


def restore_run(
    *, path: Path, storage: Storage | None = None, progress: Progress | None = None
) -> Manifest:
    """Check the archive and the target, then restore the database, then the files, then
    compare the row counts with the manifest."""
    storage = storage or default_storage
    say = progress or (lambda text: None)
    path = path.resolve()
    manifest = archive_verify(path)
    say(f"archive checked: {len(manifest.files)} files, {sum(manifest.tables.values())} rows")
    for notice in version_check(manifest):
        say(notice)
    target_check(manifest, storage)
    expected = manifest.members()
    stage = "database"
    try:
        with tempfile.TemporaryDirectory(prefix=".midoffice-restore-") as tmp:
            for tar, info in _members(path):
                if info.name not in expected:
                    continue
                member = expected[info.name]
                handle = tar.extractfile(info)
                assert handle is not None
                checked = _Checked(handle, member)
                if info.name == manifest.database.name:
                    database.database_restore(
                        info.name, checked, copy=_copy_checked, work=Path(tmp)
                    )
                    say("database restored")
                    stage = "files"
                    continue
                if stage != "files":
                    raise BackupError("the archive stores files before the database")
                name = info.name.removeprefix(FILES_PREFIX)
                saved = storage.save(name, File(checked, name=name))  # type: ignore[arg-type]
                checked.finish()
                if saved != name:
                    raise BackupError(f"the storage stored {name} as {saved}")
        stage = "check"
        counts = database.database_counts(list(manifest.tables))
        if counts != manifest.tables:
            wrong = sorted(t for t in manifest.tables if counts.get(t) != manifest.tables[t])
            raise BackupError(f"row counts differ from the manifest after restore: {wrong[:5]}")
    except Exception as exc:
        where = {
            "database": "the database is unchanged (restored in one transaction) or, for "
            "SQLite, not replaced",
            "files": "the database is restored but not all files are",
            "check": "the database and files are restored but do not match the manifest",
        }[stage]
        raise BackupError(
            f"restore failed: {exc}. State: {where}. To retry: empty the database "
            "(dropdb/createdb, or delete the SQLite file) and the file storage, then run "
            "restore again."
        ) from exc
    say(f"files restored: {len(manifest.files)}; row counts match the manifest")
    return manifest


class _Checked:
    """A member being read during restore: its bytes must hash as the manifest says
    (the file could have changed since it was verified)."""

    def __init__(self, handle: IO[bytes], member: Member) -> None:
        self.handle = handle
        self.member = member
        self.size = member.size  # what Django's File reports as its size
        self.digest = hashlib.sha256()
        self.done = 0

    def read(self, size: int = -1) -> bytes:
        data = self.handle.read(size)
        self.digest.update(data)
        self.done += len(data)
        return data

    def finish(self) -> None:
        if (self.done, self.digest.hexdigest()) != (self.member.size, self.member.sha256):
            raise BackupError(f"{self.member.name} changed since the archive was checked")

    # Django's File.chunks() seeks to the start before it reads: that is where we are.
    def seek(self, offset: int, whence: int = 0) -> int:
        if (offset, whence) != (0, 0) or self.done:
            raise OSError("a member being restored is read once, from the start")
        return 0

    def tell(self) -> int:
        return self.done

    @property
    def closed(self) -> bool:
        return False


def _copy_checked(source: Readable, target: IO[bytes]) -> None:
    while chunk := source.read(CHUNK):
        target.write(chunk)
    if isinstance(source, _Checked):
        source.finish()
