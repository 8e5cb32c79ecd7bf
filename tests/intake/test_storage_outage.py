"""The storage away (issue 23, ADR 21g): intake keeps the mail in the database until the
storage is back, and nothing is lost or written twice.

The storage is made unreachable by patching Django's ``FileSystemStorage`` so that every
call raises ``ConnectionError`` (what ``core.storage`` turns an unreachable object store
into); S3 errors are covered by ``storage_errors`` and by the moto test in
``tests/ops/test_object_storage.py``.
"""

from __future__ import annotations

import hashlib
import io
import smtplib
import threading
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, default_storage
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from midoffice.archive.destruction_erase import dossier_erase
from midoffice.core.models import SchedulerHeartbeat
from midoffice.intake import services, smtp_listener, storage
from midoffice.intake.models import Attachment, InboundMessage, PendingBlob
from tests.factories import UserFactory
from tests.intake.conftest import free_port, make_mail

PLAN = b"%PDF-1.4\n" + bytes(range(256)) * 40
BODY = "Mogen we onze garage ombouwen tot keuken? Groeten, Emma"


class StorageSwitch:
    """Turns the local storage unreachable (``away = True``) and back."""

    def __init__(self) -> None:
        self.away = False
        self.writes = 0


@pytest.fixture
def switch(monkeypatch, files_dir) -> StorageSwitch:
    state = StorageSwitch()

    def guarded(method_name: str):
        original = getattr(FileSystemStorage, method_name)

        def call(self, *args, **kwargs):
            if self.location != str(files_dir):  # static files, other storages
                return original(self, *args, **kwargs)
            if state.away:
                raise ConnectionError("object storage: EndpointConnectionError")
            if method_name == "_save":
                state.writes += 1
            return original(self, *args, **kwargs)

        return call

    for name in ("_save", "_open", "exists", "size", "delete", "listdir"):
        monkeypatch.setattr(FileSystemStorage, name, guarded(name))
    return state


def _mail() -> bytes:
    return make_mail(body=BODY, attachments=[("plan.pdf", "application/pdf", PLAN)])


def _stored_hash(name: str) -> str:
    with default_storage.open(name, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def _scheduler_ticked() -> None:
    now = timezone.now()
    SchedulerHeartbeat.objects.update_or_create(
        name="scheduler", defaults={"holder": "host:1", "started_at": now, "beat_at": now}
    )


@pytest.fixture
def listener(transactional_db, triage_type) -> Iterator[int]:
    port = free_port()
    controller = smtp_listener.IntakeController(host="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


def test_smtp_mail_is_taken_while_storage_is_away_and_moved_when_it_is_back(
    listener, switch, client
):
    # Given: the storage is unreachable
    switch.away = True
    raw = _mail()

    # When: a mail server delivers a mail with an attachment
    with smtplib.SMTP("127.0.0.1", listener, timeout=10) as smtp:
        refused = smtp.sendmail("emma@example.org", ["onthaal@leemdonk.example"], raw)

    # Then: 250, the raw bytes wait in the database, and the mail is processed as usual
    assert refused == {}
    message = InboundMessage.objects.get()
    assert message.raw_name == storage.blob_name(message.sha256)
    kept = bytes(PendingBlob.objects.get(name=message.raw_name).data)
    assert hashlib.sha256(kept).hexdigest() == message.sha256
    assert b"plan.pdf" in kept
    message = services.inbound_process(inbound_id=message.pk)
    assert message.state in (InboundMessage.State.ROUTED, InboundMessage.State.ACKNOWLEDGED)
    assert message.dossier is not None
    attachment = Attachment.objects.get(message=message, filename="plan.pdf")
    assert PendingBlob.objects.filter(name=attachment.stored_name).exists()

    # … the dossier page shows the mail read from its raw bytes, the attachment downloads
    client.force_login(UserFactory(teams=[message.dossier.team]))
    page = client.get(f"/dossiers/{message.dossier.reference}/")
    assert page.status_code == 200
    assert "garage ombouwen tot keuken" in page.content.decode()
    assert "kon niet gelezen worden" not in page.content.decode()
    download = client.get(
        f"/dossiers/{message.dossier.reference}/bijlagen/{attachment.pk}/", secure=True
    )
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PLAN

    # … and /readyz names the storage and the backlog
    _scheduler_ticked()
    away = client.get("/readyz").json()
    assert away["status"] == "unavailable"
    assert away["checks"]["storage"]["ok"] is False
    assert away["checks"]["storage_backlog"]["ok"] is False
    assert away["checks"]["storage_backlog"]["waiting"] == 2

    # When: the storage is back, before the move: degraded, the backlog counted
    switch.away = False
    waiting = client.get("/readyz").json()
    assert waiting["status"] == "degraded"
    assert waiting["failing"] == ["storage_backlog"]
    assert waiting["checks"]["storage_backlog"]["waiting"] == 2

    # … the periodic move writes both out, checked against their hash
    result = storage.storage_backlog_move()

    # Then: the files are in the storage byte for byte, the database copies are gone
    assert (result.moved, result.waiting, result.error) == (2, 0, "")
    assert _stored_hash(message.raw_name) == message.sha256
    assert _stored_hash(attachment.stored_name) == attachment.sha256
    assert not PendingBlob.objects.exists()
    after = client.get("/readyz").json()
    assert after["checks"]["storage_backlog"] == {"ok": True, "waiting": 0}
    assert after["status"] == "ok", after
    download = client.get(
        f"/dossiers/{message.dossier.reference}/bijlagen/{attachment.pk}/", secure=True
    )
    assert b"".join(download.streaming_content) == PLAN
    # A second run has nothing to do.
    assert storage.storage_backlog_move().moved == 0


def test_the_move_stops_while_the_storage_is_still_away(triage_type, switch):
    switch.away = True
    message = services.inbound_store(_mail(), source=services.mail_source_for(kind="smtp"))

    result = storage.storage_backlog_move()

    assert (result.moved, result.waiting, result.error) == (0, 1, "ConnectionError")
    assert storage.blob_read(message.raw_name) == _mail_bytes(message)


def _mail_bytes(message: InboundMessage) -> bytes:
    return bytes(PendingBlob.objects.get(name=message.raw_name).data)


def test_an_import_still_fails_while_the_storage_is_away(triage_type, switch):
    # An import's files are the durable copy: it is run again later, the database is
    # not filled with a whole mailbox archive.
    switch.away = True
    with pytest.raises(ConnectionError):
        services.inbound_store(
            _mail(), source=services.mail_source_for(kind="import"), durable=False
        )
    assert not InboundMessage.objects.exists()
    assert not PendingBlob.objects.exists()


def test_the_same_mail_twice_while_away_is_one_row_and_one_copy(triage_type, switch):
    switch.away = True
    source = services.mail_source_for(kind="smtp")
    raw = _mail()
    first = services.inbound_store(raw, source=source)
    again = services.inbound_store(raw, source=source)
    assert first.pk == again.pk
    assert PendingBlob.objects.count() == 1


def test_a_crash_between_the_write_and_the_clear_leaves_a_consistent_state(
    triage_type, switch, monkeypatch
):
    # Given: a mail kept in the database, and a partial file of it in the storage (the
    # disk filled up in the middle of the first write)
    switch.away = True
    message = services.inbound_store(_mail(), source=services.mail_source_for(kind="smtp"))
    raw = _mail_bytes(message)
    switch.away = False
    default_storage.save(message.raw_name, ContentFile(raw[:100]))

    # When: the move crashes after writing the file, before its transaction commits
    def crash(self, *args, **kwargs):
        raise RuntimeError("killed")

    monkeypatch.setattr(PendingBlob, "delete", crash)
    with pytest.raises(RuntimeError):
        storage.storage_backlog_move()

    # Then: the stored copy is complete, the database copy is still there, and readers
    # get the mail either way
    assert _stored_hash(message.raw_name) == message.sha256
    assert PendingBlob.objects.filter(name=message.raw_name).exists()
    assert storage.blob_read(message.raw_name) == raw

    # When: the next run comes
    monkeypatch.undo()
    writes = switch.writes
    result = storage.storage_backlog_move()

    # Then: it keeps the complete copy (no second write) and clears the database copy
    assert (result.moved, result.waiting) == (1, 0)
    assert switch.writes == writes
    assert storage.blob_read(message.raw_name) == raw


def test_a_damaged_stored_copy_is_written_again(triage_type, switch):
    switch.away = True
    message = services.inbound_store(_mail(), source=services.mail_source_for(kind="smtp"))
    raw = _mail_bytes(message)
    switch.away = False
    # Same size, other bytes.
    default_storage.save(message.raw_name, ContentFile(b"x" * len(raw)))

    assert storage.storage_backlog_move().moved == 1
    assert _stored_hash(message.raw_name) == message.sha256


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_move_each_file_once(files_dir, switch, monkeypatch):
    # Given: three mails waiting in the database
    switch.away = True
    source = services.mail_source_for(kind="smtp")
    for n in range(3):
        services.inbound_store(make_mail(subject=f"Vraag {n}"), source=source)
    switch.away = False
    # … and a slow storage, so that both workers are at work at the same moment
    original = storage.blob_save

    def slow_save(*args, **kwargs):
        time.sleep(0.2)
        return original(*args, **kwargs)

    monkeypatch.setattr(storage, "blob_save", slow_save)

    # When: two workers run the move together
    results: list[storage.BacklogMove] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            results.append(storage.storage_backlog_move())
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    # Then: every file was written once, and nothing waits any more
    assert not errors, errors
    assert sum(r.moved for r in results) == 3
    assert switch.writes == 3
    assert not PendingBlob.objects.exists()
    for message in InboundMessage.objects.all():
        assert _stored_hash(message.raw_name) == message.sha256


def test_metrics_show_the_backlog(triage_type, switch, client, settings):
    settings.METRICS_TOKEN = "geheim-token-voor-de-test"
    switch.away = True
    services.inbound_store(_mail(), source=services.mail_source_for(kind="smtp"))
    switch.away = False

    def gauge() -> float:
        response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer geheim-token-voor-de-test")
        assert response.status_code == 200
        for family in text_string_to_metric_families(response.content.decode()):
            if family.name == "midoffice_storage_backlog_files":
                return family.samples[0].value
        raise AssertionError("no backlog gauge")

    assert gauge() == 1
    storage.storage_backlog_move()
    assert gauge() == 0


def test_the_move_is_a_periodic_job(triage_type):
    from midoffice.core.schedule import PERIODIC_JOBS

    job = next(j for j in PERIODIC_JOBS if j.name == "intake-storage-backlog")
    assert job.task == "midoffice.intake.tasks.storage_backlog_move_task"
    assert job.cron == "* * * * *"


def test_destroying_a_dossier_removes_its_mail_waiting_in_the_database(triage_type, switch):
    switch.away = True
    message = services.inbound_store(_mail(), source=services.mail_source_for(kind="smtp"))
    message = services.inbound_process(inbound_id=message.pk)
    assert PendingBlob.objects.count() == 2
    dossier = message.dossier
    assert dossier is not None

    with transaction.atomic():
        erased = dossier_erase(dossier)

    assert not PendingBlob.objects.exists()
    assert message.raw_name in erased.files


def test_older_than_the_outage_is_reported(triage_type, switch):
    from midoffice.intake.health import check_storage_backlog

    switch.away = True
    services.inbound_store(_mail(), source=services.mail_source_for(kind="smtp"))
    PendingBlob.objects.update(created_at=timezone.now() - timedelta(minutes=10))
    result = check_storage_backlog()
    assert result.ok is False
    assert result.details["waiting"] == 1
    assert result.details["oldest_age_s"] >= 600


def test_the_command_moves_the_backlog_or_says_the_storage_still_refuses(triage_type, switch):
    switch.away = True
    services.inbound_store(_mail(), source=services.mail_source_for(kind="smtp"))
    out = io.StringIO()
    with pytest.raises(CommandError, match="De opslag weigert nog"):
        call_command("intake", "move-backlog", stdout=out)
    assert "0 bestanden naar de opslag geschreven, 1 wachten nog." in out.getvalue()

    switch.away = False
    call_command("intake", "move-backlog", stdout=out)
    assert "1 bestanden naar de opslag geschreven, 0 wachten nog." in out.getvalue()


def test_processing_reads_the_database_copy_past_a_partial_stored_file(triage_type, switch):
    # Given: a mail kept in the database, and the partial file a full disk left behind
    switch.away = True
    message = services.inbound_store(_mail(), source=services.mail_source_for(kind="smtp"))
    switch.away = False
    default_storage.save(message.raw_name, ContentFile(_mail_bytes(message)[:100]))

    # When: a worker processes it
    processed = services.inbound_process(inbound_id=message.pk)

    # Then: it was read whole, from the database
    assert processed.dossier is not None
    assert processed.subject == "Vraag over mijn verbouwing"
    assert Attachment.objects.get(message=processed).size == len(PLAN)
