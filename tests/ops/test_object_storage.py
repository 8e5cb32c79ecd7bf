"""Stored files in an S3-compatible object store (issue 23 part 5, ADR 21e).

The S3 server is moto's server mode (``ThreadedMotoServer``) on 127.0.0.1: an emulator
of Amazon S3's HTTP API, the most real S3 server installable here (MinIO, SeaweedFS and
Garage are in neither Debian nor PyPI). Each test gets its own bucket and the settings
``MIDOFFICE_STORAGE=s3`` makes (``core.storage.s3_storage``); nothing may land on local
disk in the data folder.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from django.core.files.storage import default_storage
from django.utils import timezone
from moto.server import ThreadedMotoServer

from midoffice.core.models import SchedulerHeartbeat
from midoffice.core.storage import S3_BACKEND, s3_storage, stored_file_open
from midoffice.intake import services as intake
from midoffice.intake.storage import blob_name, blob_read, blob_save
from tests.archive.conftest import (  # noqa: F401 - fixtures of the archive's dossier
    archivist,
    citizen,
    demo_p12,
    keep_rule,
    keep_type,
    letter_template,
    make_closed_dossier,
    signer,
    utc,
)
from tests.factories import TeamFactory, UserFactory, triage_type

pytestmark = pytest.mark.django_db

MAIL = Path(__file__).parents[1] / "data" / "mail" / "import-three-attachments.eml"
KEYS = {"access_key_id": "testing", "secret_access_key": "testing", "region": "us-east-1"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


class S3Server:
    """moto's S3 server on a free local port; ``stop()`` is safe to call twice."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server: ThreadedMotoServer | None = ThreadedMotoServer(
            ip_address="127.0.0.1", port=self.port, verbose=False
        )
        self.running = False

    def start(self) -> None:
        if self._server is None:  # again after stop(): the same port, the same buckets
            self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port)
        self._server.start()
        self.running = True

    def stop(self) -> None:
        if self.running and self._server is not None:
            self.running = False
            self._server.stop()
            self._server = None

    def client(self) -> Any:
        return boto3.client(
            "s3",
            endpoint_url=self.url,
            region_name=KEYS["region"],
            aws_access_key_id=KEYS["access_key_id"],
            aws_secret_access_key=KEYS["secret_access_key"],
        )


@pytest.fixture(scope="module")
def s3_server() -> Iterator[S3Server]:
    server = S3Server()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _use_bucket(settings: Any, server: S3Server) -> str:
    bucket = f"midoffice-{uuid.uuid4().hex[:12]}"
    server.client().create_bucket(Bucket=bucket)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": s3_storage(bucket=bucket, endpoint_url=server.url, **KEYS),
    }
    return bucket


@pytest.fixture
def bucket(settings, s3_server: S3Server, tmp_path: Path) -> Iterator[str]:
    """A fresh bucket as the default storage, the data folder a fresh empty folder, and
    afterwards: no stored file on local disk."""
    settings.DATA_DIR = tmp_path
    name = _use_bucket(settings, s3_server)
    assert default_storage.__class__.__module__ == "storages.backends.s3"
    yield name
    left = [p for p in tmp_path.rglob("*") if p.is_file() and "edepot-out" not in p.parts]
    assert left == [], "a stored file landed on local disk"


def _objects(server: S3Server, bucket: str) -> dict[str, bytes]:
    client = server.client()
    listing = client.list_objects_v2(Bucket=bucket).get("Contents", [])
    return {
        item["Key"]: client.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
        for item in listing
    }


def test_the_settings_choose_a_private_s3_bucket():
    entry = s3_storage(bucket="b", endpoint_url="https://s3.example.be")
    options = entry["OPTIONS"]
    assert entry["BACKEND"] == S3_BACKEND
    assert options["default_acl"] is None  # no ACL: never public-read
    assert options["querystring_auth"] is True  # any url() is signed and expires
    assert options["file_overwrite"] is False
    assert options["client_config"].s3 == {"addressing_style": "path"}


def _settings_with(tmp_path: Path, **variables: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MIDOFFICE_DEBUG": "true", "MIDOFFICE_DATA_DIR": str(tmp_path)}
    env.update(variables)
    code = (
        "import django; django.setup(); "
        "from django.conf import settings; "
        "entry = settings.STORAGES['default']; options = entry.get('OPTIONS', {}); "
        "print(entry['BACKEND'], options.get('bucket_name'), options.get('endpoint_url'))"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        env={**env, "DJANGO_SETTINGS_MODULE": "midoffice.settings"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_environment_chooses_the_storage(tmp_path):
    s3 = _settings_with(
        tmp_path,
        MIDOFFICE_STORAGE="s3",
        MIDOFFICE_S3_BUCKET="midoffice-voorbeeld",
        MIDOFFICE_S3_ENDPOINT_URL="https://s3.example.be",
    )
    assert s3.stdout.split() == [S3_BACKEND, "midoffice-voorbeeld", "https://s3.example.be"]
    local = _settings_with(tmp_path, MIDOFFICE_STORAGE="local")
    assert local.stdout.split()[0] == "django.core.files.storage.FileSystemStorage"
    no_bucket = _settings_with(tmp_path, MIDOFFICE_STORAGE="s3", MIDOFFICE_S3_BUCKET="")
    assert "MIDOFFICE_STORAGE=s3 needs MIDOFFICE_S3_BUCKET" in no_bucket.stderr
    unknown = _settings_with(tmp_path, MIDOFFICE_STORAGE="nfs")
    assert "MIDOFFICE_STORAGE must be local or s3, not 'nfs'" in unknown.stderr


def test_blobs_round_trip_and_the_same_bytes_twice_are_one_object(bucket, s3_server):
    data = b"From: a@example.org\r\n\r\nHallo\r\n"
    digest, name = blob_save(data)
    assert name == blob_name(digest) == f"sha256/{digest[:2]}/{digest[2:4]}/{digest}"
    assert blob_read(name) == data
    assert blob_save(data) == (digest, name)  # stored again: the same name, nothing new
    assert _objects(s3_server, bucket) == {name: data}
    # A missing file is FileNotFoundError on S3 too, as the callers expect of any storage.
    with pytest.raises(FileNotFoundError):
        stored_file_open("sha256/00/00/missing")


def test_a_wrong_sized_object_is_written_again(bucket, s3_server):
    data = b"the real bytes"
    digest = hashlib.sha256(data).hexdigest()
    s3_server.client().put_object(Bucket=bucket, Key=blob_name(digest), Body=b"the re")
    assert blob_save(data) == (digest, blob_name(digest))
    assert _objects(s3_server, bucket) == {blob_name(digest): data}


def test_a_mail_and_its_attachments_go_to_the_bucket_and_download_streamed(
    bucket, s3_server, client
):
    team = TeamFactory(code="onthaal")
    triage_type(team=team)
    raw = MAIL.read_bytes()
    message = intake.inbound_store(raw, source=intake.mail_source_for(kind="import"), enqueue=False)
    message = intake.inbound_process(inbound_id=message.pk)
    stored = _objects(s3_server, bucket)
    assert stored[message.raw_name] == raw
    attachments = list(message.attachments.order_by("position"))
    assert [a.filename for a in attachments] == ["grondplan.pdf", "zijgevel.pdf", "foto tuin.png"]
    for attachment in attachments:
        assert hashlib.sha256(stored[attachment.stored_name]).hexdigest() == attachment.sha256

    client.force_login(UserFactory(teams=[team]))
    dossier = message.dossier
    for attachment in attachments:
        response = client.get(f"/dossiers/{dossier.reference}/bijlagen/{attachment.pk}/")
        assert response.status_code == 200
        assert response.streaming  # from the storage's file, not read whole into memory
        assert response["Content-Type"] == "application/octet-stream"
        assert b"".join(response.streaming_content) == stored[attachment.stored_name]
    # The dossier page re-reads the raw mail from the bucket.
    assert client.get(f"/dossiers/{dossier.reference}/").status_code == 200


def _archive_settings(settings: Any, p12: Path, edepot: Path) -> None:
    settings.SIGNING_P12 = str(p12)
    settings.SIGNING_P12_PASSWORD = ""
    settings.SIGNING_TRUST_ROOT = ""
    settings.SIGNING_PLUGIN = "pades"
    settings.CHANNEL_FALLBACK = ["ebox", "email", "paper"]
    settings.MAGDA_EMAIL = False
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.EDEPOT_PLUGIN = "folder"
    settings.EDEPOT_FOLDER = str(edepot)
    settings.ARCHIVE_AUTO_TRANSFER = False


def test_letter_upload_and_archive_package_live_in_the_bucket(
    bucket,
    s3_server,
    settings,
    tmp_path,
    client,
    demo_p12,  # noqa: F811
    keep_type,  # noqa: F811
    citizen,  # noqa: F811
    handler,
    signer,  # noqa: F811
    letter_template,  # noqa: F811
    archivist,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    from midoffice.archive import services as archive
    from midoffice.archive.models import ArchiveTransfer
    from midoffice.archive.transfer import TOPIC, transfer_package
    from midoffice.core.models import OutboxMessage
    from midoffice.core.outbox import outbox_deliver
    from midoffice.correspondence.models import Letter
    from midoffice.portal.models import CitizenDocument

    _archive_settings(settings, demo_p12, tmp_path / "edepot-out")
    dossier = make_closed_dossier(
        dossier_type=keep_type,
        citizen=citizen,
        handler=handler,
        signer=signer,
        letter_template=letter_template,
        closed=utc(2012, 3, 1, 15),
    )
    stored = _objects(s3_server, bucket)

    # The signed letter: in the bucket, and the PDF the staff page gives is those bytes.
    letter = Letter.objects.get(dossier=dossier)
    name, sha256 = letter.final_pdf
    assert hashlib.sha256(stored[name]).hexdigest() == sha256
    client.force_login(handler)
    response = client.get(f"/correspondentie/brieven/{letter.pk}/brief.pdf")
    assert response.status_code == 200
    assert response.content == stored[name]
    assert response.content.startswith(b"%PDF")

    # The citizen's portal upload.
    document = CitizenDocument.objects.get(dossier=dossier)
    assert document.file.name in stored
    assert len(stored[document.file.name]) == document.size

    # The archive package (SIP zip) is built in local scratch, stored in the bucket,
    # read back from it for the e-depot, and removed from it once received.
    transfer = archive.archive_transfer_request(actor=archivist, dossier=dossier)
    assert transfer_package(transfer_id=transfer.pk) == "packaged"
    transfer.refresh_from_db()
    package = _objects(s3_server, bucket)[transfer.package_name]
    assert package.startswith(b"PK")
    assert hashlib.sha256(package).hexdigest() == transfer.package_sha256
    assert len(package) == transfer.package_size
    assert not any((tmp_path / "archive-work").rglob("*"))
    message = OutboxMessage.objects.get(topic=TOPIC, idempotency_key=str(transfer.package_id))
    package_name = transfer.package_name
    with django_capture_on_commit_callbacks(execute=True):
        assert outbox_deliver(message_id=message.pk) == "sent"
    transfer.refresh_from_db()
    assert transfer.state == ArchiveTransfer.State.TRANSFERRED
    assert package_name not in _objects(s3_server, bucket)
    assert transfer.package_name == ""


def _scheduler_ticked() -> None:
    moment = timezone.now() - dt.timedelta(seconds=5)
    SchedulerHeartbeat.objects.update_or_create(
        name="scheduler",
        defaults={"holder": "host:1", "started_at": moment, "beat_at": moment},
    )


def test_readiness_probes_the_bucket_and_names_it_when_the_server_stops(settings, client, tmp_path):
    settings.DATA_DIR = tmp_path
    _scheduler_ticked()
    server = S3Server()
    server.start()
    try:
        bucket = _use_bucket(settings, server)
        response = client.get("/readyz")
        assert response.status_code == 200, response.json()
        assert response.json()["checks"]["storage"] == {"ok": True}
        assert _objects(server, bucket) == {}  # the probe leaves nothing behind
        server.stop()
        response = client.get("/readyz")
    finally:
        server.stop()
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["storage"]
    # The kind of error, never its message (which names the host).
    assert set(body["checks"]["storage"]) == {"ok", "error"}
    assert server.url not in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_storage_unreachable_the_mail_waits_in_the_database_and_moves_when_it_returns(
    settings, tmp_path, monkeypatch, client
):
    """Nothing is lost while the store is down (ADR 21g): the listener answers 250 and
    keeps the raw mail in the database; /readyz names the store and the backlog; once the
    store is back, the periodic move writes the mail to the bucket and clears the copy."""
    import smtplib
    import time

    from django.db import connections

    from midoffice.intake import smtp_listener
    from midoffice.intake.models import InboundMessage, PendingBlob
    from midoffice.intake.storage import storage_backlog_move
    from tests.intake.conftest import make_mail

    settings.DATA_DIR = tmp_path
    _scheduler_ticked()
    triage_type(team=TeamFactory(code="onthaal"))
    store = smtp_listener._store

    def store_then_disconnect(raw: bytes, lmtp: bool) -> int:
        try:
            return store(raw, lmtp)
        finally:  # the listener's threads outlive the test: no session left open
            connections.close_all()

    monkeypatch.setattr(smtp_listener, "_store", store_then_disconnect)
    server = S3Server()
    server.start()
    port = _free_port()
    listener = smtp_listener.IntakeController(host="127.0.0.1", port=port)
    listener.start()
    raw = make_mail()
    try:
        bucket = _use_bucket(settings, server)
        server.stop()
        started = time.monotonic()
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
            assert smtp.sendmail("emma@example.org", ["onthaal@leemdonk.example"], raw) == {}
        taken_in = time.monotonic() - started
        message = InboundMessage.objects.get()
        kept = bytes(PendingBlob.objects.get(name=message.raw_name).data)
        assert hashlib.sha256(kept).hexdigest() == message.sha256
        assert blob_read(message.raw_name) == kept
        away = client.get("/readyz").json()
        assert away["checks"]["storage"]["ok"] is False
        assert away["checks"]["storage_backlog"]["waiting"] == 1
        assert storage_backlog_move().error  # still away: nothing moved, nothing lost
        assert PendingBlob.objects.count() == 1

        server.start()  # the store is back; the scheduler's next minute moves the mail
        result = storage_backlog_move()
        assert (result.moved, result.waiting) == (1, 0)
        stored = _objects(server, bucket)[message.raw_name]
        assert stored == kept
        assert client.get("/readyz").json()["checks"]["storage_backlog"]["ok"] is True
    finally:
        listener.stop()
        server.stop()
    # botocore's retries against a refused connection: the sender waits seconds, not minutes.
    assert taken_in < 20, taken_in
