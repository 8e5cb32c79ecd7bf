"""A worker killed (SIGKILL) while MAGDA holds the answer: restarted, it delivers once."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time

import pytest
from django.db import connection, transaction
from django.utils import timezone

from midoffice.core.models import OutboxMessage
from midoffice.core.tasks import outbox_sweep_task
from midoffice.correspondence import services
from midoffice.correspondence.models import Letter, LetterState
from midoffice.parties.services import party_set_preference


def _database_url() -> str:
    settings_dict = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings_dict['NAME']}"
    return (
        f"postgres://{settings_dict['USER']}@{settings_dict['HOST']}:{settings_dict['PORT']}"
        f"/{settings_dict['NAME']}"
    )


def _worker(fake_url: str, *, batch: bool) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "MIDOFFICE_SECRET_KEY": "test-only",
        "MIDOFFICE_MAGDA_URL": fake_url,
        "MIDOFFICE_MAGDA_TIMEOUT": "120",
    }
    argv = [sys.executable, "-m", "midoffice.manage", "db_worker", "--queue-name", "*"]
    argv += ["--interval", "0.1"] + (["--batch"] if batch else [])
    return subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _wait_for(condition, what: str, limit: float = 90.0) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.1)


@pytest.mark.slow
@pytest.mark.once
@pytest.mark.django_db(transaction=True)
def test_worker_killed_mid_send_delivers_exactly_once_after_restart(
    dossier, handler, letter_template, signer, fake_magda
):
    party_set_preference(party=dossier.requester, channel="ebox", ebox_consent=True)
    fake_magda.state.mode, fake_magda.state.delay = "slow", 600  # accept, then hold the answer
    with transaction.atomic():
        letter = services.letter_compose(actor=handler, dossier=dossier, template=letter_template)
    letter = services.letter_submit(actor=handler, letter=letter)
    letter = services.letter_sign(actor=signer, letter=letter)  # commits: outbox row + task

    worker = _worker(fake_magda.url, batch=False)
    try:
        _wait_for(lambda: len(fake_magda.state.send_requests) == 1, "the worker to send")
        os.kill(worker.pid, signal.SIGKILL)  # dies while waiting for MAGDA's answer
        worker.wait(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
    message = OutboxMessage.objects.get(idempotency_key=letter.outbox_key)
    assert message.state == OutboxMessage.State.SENDING  # the outcome was never recorded
    assert Letter.objects.get(pk=letter.pk).state == LetterState.QUEUED

    # The lease runs out (5 minutes in real life), MAGDA answers again, the sweep re-drives.
    OutboxMessage.objects.filter(pk=message.pk).update(
        lease_until=timezone.now() - dt.timedelta(seconds=1)
    )
    fake_magda.state.mode = "up"
    with transaction.atomic():
        outbox_sweep_task.enqueue()
    restarted = _worker(fake_magda.url, batch=True)
    _, stderr = restarted.communicate(timeout=120)
    assert restarted.returncode == 0, stderr.decode()[-2000:]

    assert len(fake_magda.state.delivered()) == 1  # one message at the service …
    keys = [key for key, _ in fake_magda.state.send_requests]
    assert keys == [letter.outbox_key, letter.outbox_key]  # … although it was sent twice
    message.refresh_from_db()
    assert message.state == OutboxMessage.State.SENT
    letter.refresh_from_db()
    assert letter.state == LetterState.SENT
    assert letter.external_id == fake_magda.state.delivered()[0].message_id
