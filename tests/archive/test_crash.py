"""A worker killed (SIGKILL) while it builds the package: after a restart the dossier is
transferred exactly once — one package at the e-depot, one receipt, one event.

The kill lands while the package is being zipped (the test waits until the worker has
started writing the ZIP of a dossier with a 48 MB scan, which takes it a while), so the
transfer is left "queued" with the killed worker's lease and a half-written ZIP in its
work folder. The lease runs out (moved back here instead of waited for), the sweep hands
the transfer to another worker, which builds the package again from scratch — the same
bytes — and submits it through the outbox.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection, transaction
from django.utils import timezone

from midoffice.archive import services
from midoffice.archive.models import ArchiveTransfer
from midoffice.archive.tasks import archive_sweep_task
from midoffice.archive.transfer import TOPIC, work_root
from midoffice.core.models import OutboxMessage
from midoffice.dossiers.models import ArchiveState, Event, EventKind
from midoffice.intake.models import Attachment, InboundMessage
from midoffice.intake.storage import blob_save

pytestmark = [pytest.mark.slow, pytest.mark.once, pytest.mark.django_db(transaction=True)]

SCAN_BYTES = 48 * 1024 * 1024


def _database_url() -> str:
    settings_dict = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings_dict['NAME']}"
    return (
        f"postgres://{settings_dict['USER']}@{settings_dict['HOST']}:{settings_dict['PORT']}"
        f"/{settings_dict['NAME']}"
    )


def _worker(data_dir: Path, edepot_url: str, *, batch: bool) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "MIDOFFICE_SECRET_KEY": "test-only",
        "MIDOFFICE_DEBUG": "false",
        "MIDOFFICE_DATA_DIR": str(data_dir),
        "MIDOFFICE_EDEPOT_PLUGIN": "http",
        "MIDOFFICE_EDEPOT_URL": edepot_url,
    }
    argv = [sys.executable, "-m", "midoffice.manage", "db_worker", "--queue-name", "*"]
    argv += ["--interval", "0.05"] + (["--batch"] if batch else [])
    return subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _wait_for(condition, what: str, limit: float = 120.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.01)


def test_worker_killed_while_packaging_transfers_exactly_once_after_restart(
    due_dossier, archivist, fake_edepot, settings, tmp_path
):
    message = InboundMessage.objects.get(dossier=due_dossier)
    sha256, name = blob_save(os.urandom(SCAN_BYTES), durable=False)
    Attachment.objects.create(
        message=message,
        position=99,
        filename="bouwplan-scan.tif",
        content_type="image/tiff",
        size=SCAN_BYTES,
        sha256=sha256,
        stored_name=name,
    )
    with transaction.atomic():  # commits: the transfer row and its packaging task
        transfer = services.archive_transfer_request(actor=archivist, dossier=due_dossier)
    work = work_root() / str(transfer.package_id)
    zip_path = work / f"uuid-{transfer.package_id}.zip"

    worker = _worker(tmp_path, fake_edepot.url, batch=False)
    try:
        _wait_for(zip_path.exists, "the worker to start zipping the package")
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait(timeout=30)
    transfer.refresh_from_db()
    assert transfer.state == ArchiveTransfer.State.QUEUED  # killed before "packaged"
    assert transfer.lease_until is not None
    assert not OutboxMessage.objects.filter(topic=TOPIC).exists()
    assert fake_edepot.state.submit_requests == []
    assert zip_path.exists()  # what the dead worker left behind

    # The lease runs out (15 minutes in real life); the sweep re-drives the transfer.
    past = timezone.now() - dt.timedelta(hours=1)
    ArchiveTransfer.objects.filter(pk=transfer.pk).update(lease_until=past, created_at=past)
    with transaction.atomic():
        archive_sweep_task.enqueue()
    restarted = _worker(tmp_path, fake_edepot.url, batch=True)
    _, stderr = restarted.communicate(timeout=300)
    assert restarted.returncode == 0, stderr.decode()[-2000:]

    transfer.refresh_from_db()
    assert transfer.state == ArchiveTransfer.State.TRANSFERRED, transfer.reason
    accepted = fake_edepot.state.accepted()
    assert len(accepted) == 1
    assert len(fake_edepot.state.packages) == 1
    assert accepted[0].sha256 == transfer.package_sha256
    assert transfer.receipt["receipt_id"] == accepted[0].receipt_id
    assert OutboxMessage.objects.get(topic=TOPIC).state == OutboxMessage.State.SENT
    due_dossier.refresh_from_db()
    assert due_dossier.archive_state == ArchiveState.TRANSFERRED
    assert (
        Event.objects.filter(dossier=due_dossier, kind=EventKind.ARCHIVE_TRANSFERRED).count() == 1
    )
    assert not work.exists()  # the rebuild cleaned up after the dead worker
