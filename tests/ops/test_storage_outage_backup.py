"""A backup taken while mails wait in the database for the storage (ADR 21g) restores
them: the dump holds their bytes, the backup does not count them as missing files, and
the restored instance writes them to its storage."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.files.storage import FileSystemStorage, default_storage
from django.core.management import call_command
from django.db import connection

from midoffice.core.backup.archive import archive_verify
from midoffice.core.backup.references import referenced_names
from midoffice.intake import services
from midoffice.intake.models import InboundMessage, PendingBlob
from tests.intake.conftest import make_mail
from tests.ops import test_backup as drill

# The backup tests' fixtures: a town's own files and settings, an empty database to
# restore into, and the skip when pg_dump is missing.
town_settings = drill.town_settings
fresh_database = drill.fresh_database
_postgresql_client = drill._postgresql_client

pytestmark = pytest.mark.django_db(transaction=True)

AFTER_RESTORE = """
import hashlib, json, sys, django
django.setup()
from django.core.files.storage import default_storage
from midoffice.intake.models import InboundMessage, PendingBlob
from midoffice.intake.storage import blob_read, storage_backlog_move
message = InboundMessage.objects.get(sha256=sys.argv[1])
before = hashlib.sha256(blob_read(message.raw_name)).hexdigest()
waiting = PendingBlob.objects.count()
moved = storage_backlog_move().moved
with default_storage.open(message.raw_name, "rb") as fh:
    stored = hashlib.sha256(fh.read()).hexdigest()
print(json.dumps({"sha256": message.sha256, "before": before, "waiting": waiting,
                  "moved": moved, "stored": stored, "left": PendingBlob.objects.count()}))
"""


def test_backup_while_mail_waits_in_the_database_restores_it(
    town_settings,
    tmp_path: Path,
    fresh_database: str,
    monkeypatch,
):
    # Given: a mail taken in while the storage was away, and a mail stored normally
    source = services.mail_source_for(kind="smtp")
    services.inbound_store(make_mail(subject="Gewoon opgeslagen"), source=source)
    with monkeypatch.context() as away:
        away.setattr(
            FileSystemStorage, "_save", lambda *a, **k: (_ for _ in ()).throw(OSError(28, "vol"))
        )
        waiting = services.inbound_store(
            make_mail(subject="Plan tijdens de storing"), source=source
        )
    assert PendingBlob.objects.filter(name=waiting.raw_name).exists()
    assert not default_storage.exists(waiting.raw_name)
    with connection.cursor() as cursor:
        assert waiting.raw_name not in referenced_names(cursor, connection.ops.quote_name)

    # When: the storage is back and a backup runs before the move
    out = tmp_path / "backup.tar.gz"
    call_command("backup", "--out", str(out), stdout=io.StringIO())

    # Then: the backup is complete without the file in the storage
    manifest = archive_verify(out)
    assert manifest.tables["intake_pendingblob"] == 1
    assert manifest.tables["intake_inboundmessage"] == InboundMessage.objects.count() == 2

    # … and a restore brings the mail back; the restored instance moves it to storage
    env = drill._env(tmp_path, database_url=fresh_database, files=tmp_path / "restored", data="r")
    result = drill._run(["-m", "midoffice.manage", "restore", str(out)], env)
    assert result.returncode == 0, result.stderr + result.stdout
    check = drill._run(["-c", AFTER_RESTORE, waiting.sha256], env)
    assert check.returncode == 0, check.stderr[-3000:]
    restored = json.loads(check.stdout.strip().splitlines()[-1])
    assert restored["before"] == restored["stored"] == restored["sha256"] == waiting.sha256
    assert (restored["waiting"], restored["moved"], restored["left"]) == (1, 1, 0)
