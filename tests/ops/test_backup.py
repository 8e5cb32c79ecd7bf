"""Backup and restore (issue 23): the drill, and the faults that must leave nothing behind.

The drill: the demo town plus real mails with attachments, letters, appointments and an
archive package; a real ``db_worker`` subprocess processes incoming mail while
``midoffice backup`` runs; ``midoffice restore`` (a subprocess, as an operator runs it) fills
a fresh database and a fresh storage folder; every row count and every file hash equal the
manifest, every file a restored row names is there, and the restored instance serves the
staff dossier page and the citizen portal.
"""

from __future__ import annotations

import errno
import gzip
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import time
import zlib
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.db import connection

from midoffice.archive import services as archive_services
from midoffice.archive.transfer import TOPIC as ARCHIVE_TOPIC
from midoffice.archive.transfer import transfer_package
from midoffice.core import clock
from midoffice.core.backup import archive
from midoffice.core.backup.archive import archive_verify, storage_walk
from midoffice.core.backup.manifest import (
    MANIFEST,
    MANIFEST_SHA256,
    BackupError,
    Manifest,
    Member,
)
from midoffice.core.backup.references import referenced_names
from midoffice.core.models import OutboxMessage
from midoffice.dossiers.models import Dossier
from midoffice.intake import services as intake_services
from midoffice.intake.models import InboundMessage
from midoffice.web.demo import load_demo_data
from midoffice.web.demo_archive import DOSSIERS as ARCHIVE_DOSSIERS
from tests.intake.conftest import make_mail, receive

pytestmark = pytest.mark.django_db(transaction=True)

MAIL_DATA = Path(__file__).resolve().parent.parent / "data" / "mail"
QUEUED_MAILS = 40
SWEEP = (
    "import datetime, django; django.setup(); from midoffice.intake import services; "
    "services.inbound_sweep(older_than=datetime.timedelta(0))"
)
WORKER_ARGS = ["--queue-name", "*", "--interval", "0.05"]


@pytest.fixture(autouse=True)
def _postgresql_client():
    if connection.vendor == "postgresql" and not (
        shutil.which("pg_dump") and shutil.which("pg_restore")
    ):
        pytest.skip("pg_dump/pg_restore missing: scripts/test-system-deps.sh installs them")


@pytest.fixture
def town_settings(settings, tmp_path: Path):
    """Files, signing certificate and work folders of this test in its own folder."""
    from midoffice.integrations.signing.democert import generate_demo_p12

    settings.DATA_DIR = tmp_path / "data"
    settings.DATA_DIR.mkdir()
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "files")},
        },
    }
    settings.SIGNING_P12 = str(generate_demo_p12(path=tmp_path / "town-signing.p12"))
    settings.SIGNING_P12_PASSWORD = ""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.EDEPOT_PLUGIN = "folder"
    settings.EDEPOT_FOLDER = str(tmp_path / "edepot-out")
    return settings


def _database_url(settings_dict: dict, name: str | None = None) -> str:
    if connection.vendor == "sqlite":
        return f"sqlite:///{name or settings_dict['NAME']}"
    password = f":{settings_dict['PASSWORD']}" if settings_dict.get("PASSWORD") else ""
    return (
        f"postgres://{settings_dict['USER']}{password}@{settings_dict['HOST']}:"
        f"{settings_dict['PORT'] or 5432}/{name or settings_dict['NAME']}"
    )


def _env(tmp_path: Path, *, database_url: str, files: Path, data: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "MIDOFFICE_SECRET_KEY": "test-only",
        "MIDOFFICE_DEBUG": "false",
        "MIDOFFICE_DATA_DIR": str(tmp_path / data),
        "MIDOFFICE_FILES_DIR": str(files),
        "MIDOFFICE_LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "midoffice.settings",
    }


@pytest.fixture
def fresh_database(tmp_path: Path) -> Iterator[str]:
    """The URL of a new, empty database (PostgreSQL: created and dropped here)."""
    if connection.vendor == "sqlite":
        yield _database_url(connection.settings_dict, str(tmp_path / "restored.sqlite3"))
        return
    import psycopg

    params = connection.settings_dict
    name = f"{params['NAME']}_restored"
    admin = psycopg.connect(
        host=params["HOST"],
        port=params["PORT"] or 5432,
        user=params["USER"],
        password=params.get("PASSWORD") or None,
        dbname="postgres",
        autocommit=True,
    )
    try:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
        yield _database_url(params, name)
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def _build_town() -> str:
    """The demo town plus real mails, a letter, appointments and an archive package;
    returns the reference of the dossier whose package is stored."""
    load_demo_data()
    source = intake_services.mail_source_for(kind="import")
    for sample in ("import-three-attachments.eml", "parser-unnamed-parts.eml"):
        receive((MAIL_DATA / sample).read_bytes(), source)
    receive(
        make_mail(
            subject="Plan van de verbouwing",
            attachments=[("plan.pdf", "application/pdf", b"%PDF-1.4\n" + os.urandom(30_000))],
        ),
        source,
    )
    closed = Dossier.objects.get(subject=ARCHIVE_DOSSIERS[0].subject)
    transfer = archive_services.archive_transfer_request(actor=None, dossier=closed)
    assert transfer_package(transfer_id=transfer.pk) == "packaged"
    # The package waits for the e-depot while the drill runs: once the e-depot has it,
    # Midoffice deletes it (keeping the record), and this drill is about a stored package.
    OutboxMessage.objects.filter(topic=ARCHIVE_TOPIC).update(
        next_attempt_at=clock.now() + timedelta(days=1)
    )
    return closed.reference


def _storage_hashes() -> dict[str, str]:
    hashes = {}
    for name in storage_walk(default_storage):
        with default_storage.open(name, "rb") as handle:
            hashes[name] = hashlib.sha256(handle.read()).hexdigest()
    return hashes


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "midoffice.manage", "db_worker", *WORKER_ARGS],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


@pytest.mark.slow
def test_drill_backup_while_mail_is_processed_restores_everything(
    town_settings, tmp_path: Path, fresh_database: str
):
    # Given: the town, and mails waiting for the worker
    package_reference = _build_town()
    source = intake_services.mail_source_for(kind="import")
    for n in range(QUEUED_MAILS):
        attachments = [(f"bijlage-{n}.pdf", "application/pdf", os.urandom(3_000 + n))]
        intake_services.inbound_store(
            make_mail(subject=f"Vraag {n}", attachments=attachments if n % 2 else None),
            source=source,
        )
    mails = InboundMessage.objects.count()
    files_dir = Path(town_settings.STORAGES["default"]["OPTIONS"]["location"])
    out = tmp_path / "backup.tar.gz"
    worker_env = _env(
        tmp_path,
        database_url=_database_url(connection.settings_dict),
        files=files_dir,
        data="worker-data",
    )
    worker = _start_worker(worker_env, tmp_path / "worker.log")
    try:
        # When: the backup runs while the worker processes the mail (it has begun)
        deadline = time.monotonic() + 60
        while InboundMessage.objects.filter(state="received").count() == QUEUED_MAILS:
            assert worker.poll() is None, (tmp_path / "worker.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "the worker did not start"
            time.sleep(0.05)
        call_command("backup", "--out", str(out), stdout=io.StringIO())
        deadline = time.monotonic() + 120
        while InboundMessage.objects.filter(state="received").exists():
            assert worker.poll() is None, (tmp_path / "worker.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "the worker did not finish the mail"
            time.sleep(0.1)
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(timeout=20)

    manifest = archive_verify(out)
    assert not out.with_name(out.name + ".partial").exists()
    source_files = _storage_hashes()
    # Every stored file the product makes is named by a column that the backup checks
    # (a new kind of file without its column in references.py fails here).
    with connection.cursor() as cursor:
        assert set(source_files) == referenced_names(cursor, connection.ops.quote_name)
    # … and the archive holds those files byte for byte.
    archived = {m.name.removeprefix("files/"): m.sha256 for m in manifest.files}
    assert {n: source_files[n] for n in archived} == archived
    kinds = {name.split("/")[0] for name in archived}
    assert {"sha256", "correspondence", "portal", "archive"} <= kinds, kinds

    # Then: restore into a fresh database and storage, as an operator does
    restored_files = tmp_path / "restored-files"
    env = _env(tmp_path, database_url=fresh_database, files=restored_files, data="restored")
    result = _run(["-m", "midoffice.manage", "restore", str(out)], env)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "restore complete" in result.stdout

    check = _run(["-m", "tests.ops.restored_check"], env)
    assert check.returncode == 0, check.stderr
    restored = json.loads(check.stdout)
    # The backup was taken while the worker was at work: mail it had not reached yet is
    # in the archive with its queued task.
    assert restored["received"] < QUEUED_MAILS
    assert restored["counts"] == manifest.tables
    assert manifest.tables["intake_inboundmessage"] == mails
    assert manifest.tables["correspondence_letter"] > 0
    assert manifest.tables["appointments_appointment"] > 0
    assert restored["files"] == archived
    assert set(restored["references"]) <= set(restored["files"])
    assert any(package_reference in name for name in restored["files"]) or any(
        name.startswith("archive/") for name in restored["files"]
    )
    assert restored["staff_page"] == [200, True]
    assert restored["portal_page"] == [200, True]

    # The restored instance finishes the mail that was in flight: its worker runs the
    # queued tasks, and the scheduler's sweep re-drives a mail whose task was running at
    # the snapshot (as after a crash; here at once instead of five minutes later).
    work = _run(
        ["-m", "midoffice.manage", "db_worker", "--batch", *WORKER_ARGS, "--no-startup-delay"],
        env,
    )
    assert work.returncode == 0, work.stderr[-3000:]
    sweep = _run(["-c", SWEEP], env)
    assert sweep.returncode == 0, sweep.stderr[-3000:]
    after = json.loads(_run(["-m", "tests.ops.restored_check"], env).stdout)
    assert after["received"] == 0
    assert set(after["references"]) <= set(after["files"])

    # A second restore into the now filled target is refused, and changes nothing.
    again = _run(["-m", "midoffice.manage", "restore", str(out)], env)
    assert again.returncode != 0
    assert "is not empty" in again.stderr


# --- faults -------------------------------------------------------------------------


@pytest.fixture
def small_town(town_settings) -> Path:
    """A few mails with attachments: enough for the fault tests."""
    source = intake_services.mail_source_for(kind="import")
    receive((MAIL_DATA / "import-three-attachments.eml").read_bytes(), source)
    return Path(town_settings.STORAGES["default"]["OPTIONS"]["location"])


@pytest.fixture
def backup_file(small_town, tmp_path: Path) -> Path:
    out = tmp_path / "backup.tar.gz"
    call_command("backup", "--out", str(out), stdout=io.StringIO())
    return out


@pytest.fixture
def empty_target(tmp_path: Path, fresh_database: str) -> dict[str, str]:
    return _env(
        tmp_path, database_url=fresh_database, files=tmp_path / "target-files", data="target"
    )


def _refused(path: Path, env: dict[str, str], tmp_path: Path, *messages: str) -> None:
    result = _run(["-m", "midoffice.manage", "restore", str(path)], env)
    assert result.returncode != 0
    assert any(m in result.stderr for m in messages), result.stderr
    # Nothing touched: no file stored, no table made.
    assert not (tmp_path / "target-files").exists() or not any(
        (tmp_path / "target-files").rglob("*")
    )
    probe = _run(
        [
            "-c",
            (
                "import django; django.setup(); from midoffice.core.backup import database; "
                "print(len(database.database_tables()))"
            ),
        ],
        env,
    )
    assert probe.stdout.strip() == "0", probe.stderr


def _refused_before_anything(path: Path, tmp_path: Path, *messages: str) -> None:
    """Refused by the archive check, which comes before the target check: the test
    database here is not empty, so a later refusal would name that instead."""
    from django.core.files.storage import FileSystemStorage

    target = tmp_path / "target-files"
    with pytest.raises(BackupError) as refused:
        archive.restore_run(path=path, storage=FileSystemStorage(location=target))
    assert any(m in str(refused.value) for m in messages), str(refused.value)
    assert not target.exists() or not any(target.rglob("*"))


def _rewrite(source: Path, target: Path, change) -> None:
    """Copy an archive member by member, letting ``change(name, data)`` alter one."""
    with tarfile.open(source, "r:gz") as old, tarfile.open(target, "w:gz") as new:
        for info in old.getmembers():
            handle = old.extractfile(info)
            assert handle is not None
            data = change(info.name, handle.read())
            info.size = len(data)
            new.addfile(info, io.BytesIO(data))


def test_truncated_archive_is_refused_and_touches_nothing(backup_file, tmp_path, empty_target):
    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(backup_file.read_bytes()[: backup_file.stat().st_size // 2])
    _refused(truncated, empty_target, tmp_path, "damaged or incomplete")


def _flip_that_changes_the_content(data: bytes) -> bytes:
    """``data`` with one bit flipped, from the middle on, where it changes what the archive
    holds. Not every flip does: in the database's long runs of zeros a match "copy 258 bytes
    from distance d" copies the same zeros from many distances, so a flipped distance bit
    can leave the content - and its CRC - as it was; such an archive is not damaged and
    restores the same data (seen: ~8 % of positions in the first part of a backup)."""
    original = gzip.decompress(data)
    for position in range(len(data) // 2, len(data) - 8):
        flipped = bytearray(data)
        flipped[position] ^= 0x01
        try:
            if gzip.decompress(bytes(flipped)) == original:
                continue
        except (OSError, EOFError, zlib.error):
            pass
        return bytes(flipped)
    raise AssertionError("no flipped bit changed the archive")


def test_altered_byte_is_refused(backup_file, tmp_path):
    # An altered byte in the compressed stream …
    flipped = tmp_path / "flipped.tar.gz"
    flipped.write_bytes(_flip_that_changes_the_content(backup_file.read_bytes()))
    _refused_before_anything(
        flipped, tmp_path, "damaged or incomplete", "does not match", "has no manifest"
    )
    # … and one in a member, in an archive that is otherwise well-formed.
    altered = tmp_path / "altered.tar.gz"

    def change(name: str, data: bytes) -> bytes:
        if name.startswith("files/"):
            return bytes([data[0] ^ 0x01]) + data[1:]
        return data

    _rewrite(backup_file, altered, change)
    _refused_before_anything(altered, tmp_path, "does not match its checksum in the manifest")


def test_a_damaged_gzip_trailer_is_refused(backup_file, tmp_path):
    """tar stops reading at its end marker; the gzip CRC after it must still be checked
    (a byte flipped where tar does not look passed unseen, one run in many)."""
    damaged = tmp_path / "trailer.tar.gz"
    data = bytearray(backup_file.read_bytes())
    data[-8] ^= 0x01  # the CRC-32 of the uncompressed stream
    damaged.write_bytes(bytes(data))
    _refused_before_anything(damaged, tmp_path, "damaged or incomplete")


def test_another_versions_archive_is_refused(backup_file, tmp_path):
    other = tmp_path / "other-version.tar.gz"
    manifest = Manifest.from_json(_member(backup_file, MANIFEST))
    newer = replace(manifest, migrations=[*manifest.migrations, "dossiers.9999_from_the_future"])
    data = newer.to_json()

    def change(name: str, old: bytes) -> bytes:
        if name == MANIFEST:
            return data
        if name == MANIFEST_SHA256:
            return hashlib.sha256(data).hexdigest().encode()
        return old

    _rewrite(backup_file, other, change)
    _refused_before_anything(other, tmp_path, "from another version of Midoffice")


def _manifest(migrations: list[str], version: str | None = None) -> Manifest:
    return Manifest(
        version=version or archive.midoffice_version(),
        vendor="sqlite",
        created_at="2026-12-04T23:00:00+00:00",
        migrations=migrations,
        tables={},
        database=Member("database.sqlite3", 0, ""),
    )


@pytest.mark.django_db(transaction=False)
class TestVersionRule:
    """The migrations decide, not the package version (ADR 21c)."""

    def test_the_same_migrations_with_another_package_version_pass_with_a_notice(self):
        ours = sorted(archive.code_migrations().names)
        notices = archive.version_check(_manifest(ours, version="0.0.1"))
        assert len(notices) == 1
        assert "the migrations are the same" in notices[0]
        assert archive.version_check(_manifest(ours)) == []

    def test_an_older_archive_is_refused(self):
        ours = sorted(archive.code_migrations().names)
        older = [m for m in ours if m != ours[-1]]
        with pytest.raises(BackupError, match="not applied in the archive"):
            archive.version_check(_manifest(older))

    def test_a_newer_archive_is_refused(self):
        ours = sorted(archive.code_migrations().names)
        with pytest.raises(BackupError, match="this version does not have"):
            archive.version_check(_manifest([*ours, "intake.9999_from_the_future"]))

    def test_rows_of_an_app_no_longer_installed_pass(self):
        ours = sorted(archive.code_migrations().names)
        assert archive.version_check(_manifest([*ours, "oldapp.0001_initial"])) == []


def test_restore_into_a_non_empty_target_is_refused(backup_file):
    # The test database itself is migrated and holds the mail.
    with pytest.raises(CommandError, match="is not empty"):
        call_command("restore", str(backup_file), stdout=io.StringIO())


def test_disk_full_during_backup_leaves_no_archive(small_town, tmp_path, monkeypatch):
    class FullDisk(io.FileIO):
        written = 0

        def write(self, data) -> int:  # type: ignore[override]
            FullDisk.written += len(data)
            if FullDisk.written > 20_000:
                raise OSError(errno.ENOSPC, "No space left on device")
            return super().write(data)

    monkeypatch.setattr(archive, "_open_output", lambda path: FullDisk(path, "w"))
    out = tmp_path / "backup.tar.gz"
    with pytest.raises(CommandError, match="No space left on device"):
        call_command("backup", "--out", str(out), stdout=io.StringIO())
    assert sorted(p.name for p in tmp_path.iterdir() if "backup" in p.name) == []


def test_missing_referenced_file_fails_the_backup(small_town, tmp_path):
    # A file deleted between the snapshot and the file walk (here: before both).
    victim = InboundMessage.objects.first().raw_name
    default_storage.delete(victim)
    out = tmp_path / "backup.tar.gz"
    with pytest.raises(BackupError, match="stored files that the database names"):
        archive.backup_create(out=out)
    assert not out.exists()
    assert not out.with_name(out.name + ".partial").exists()


def _member(path: Path, name: str) -> bytes:
    with tarfile.open(path, "r:gz") as tar:
        handle = tar.extractfile(name)
        assert handle is not None
        return handle.read()
