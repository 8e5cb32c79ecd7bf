"""Tasks are rows in the same database: rolled back means never run; committed means run once."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.db import connection, transaction
from django_tasks_db.models import DBTaskResult

from midoffice.core.models import OutboxMessage
from midoffice.core.outbox import outbox_enqueue


class Boom(Exception):
    pass


def _database_url() -> str:
    settings_dict = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings_dict['NAME']}"
    return (
        f"postgres://{settings_dict['USER']}@{settings_dict['HOST']}:{settings_dict['PORT']}"
        f"/{settings_dict['NAME']}"
    )


def _run_worker_until_idle() -> None:
    env = {**os.environ, "DATABASE_URL": _database_url(), "MIDOFFICE_SECRET_KEY": "test-only"}
    subprocess.run(
        [
            sys.executable,
            "-m",
            "midoffice.manage",
            "db_worker",
            "--queue-name",
            "*",
            "--batch",
            "--interval",
            "0.1",
        ],
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )


@pytest.mark.django_db(transaction=True)
def test_task_enqueued_in_rolled_back_transaction_never_runs():
    with pytest.raises(Boom), transaction.atomic():
        outbox_enqueue(topic="core.ping", payload={"n": 1})
        raise Boom
    assert DBTaskResult.objects.count() == 0
    assert OutboxMessage.objects.count() == 0
    _run_worker_until_idle()
    assert OutboxMessage.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_task_enqueued_in_committed_transaction_runs_once_in_the_worker():
    with transaction.atomic():
        message = outbox_enqueue(topic="core.ping", payload={"n": 2})
    assert DBTaskResult.objects.filter(status="READY").count() == 1
    _run_worker_until_idle()
    _run_worker_until_idle()  # a second worker run finds nothing left to do
    results = list(DBTaskResult.objects.all())
    assert [r.status for r in results] == ["SUCCESSFUL"]
    message.refresh_from_db()
    assert message.state == OutboxMessage.State.SENT
    assert message.attempts == 1
    assert message.result == {"echo": {"n": 2}}


@pytest.mark.django_db
def test_nightly_prune_deletes_old_finished_task_results_only(settings):
    """Every mail leaves a finished task row; the nightly job keeps the table small
    (and with it the worker's claim query), without touching work still to do."""
    import datetime as dt

    from django.utils import timezone
    from django_tasks.base import TaskResultStatus

    from midoffice.core import schedule
    from midoffice.core.tasks import outbox_sweep_task, task_results_prune_task

    assert any(job.task.endswith("task_results_prune_task") for job in schedule.PERIODIC_JOBS)
    settings.TASK_RESULTS_KEEP_DAYS = 14
    old = timezone.now() - dt.timedelta(days=20)
    recent = timezone.now() - dt.timedelta(days=2)
    rows = {}
    for name, status, finished in [
        ("old_done", TaskResultStatus.SUCCESSFUL, old),
        ("recent_done", TaskResultStatus.SUCCESSFUL, recent),
        ("waiting", TaskResultStatus.READY, None),
    ]:
        result = outbox_sweep_task.enqueue()
        DBTaskResult.objects.filter(id=result.id).update(status=status, finished_at=finished)
        rows[name] = str(result.id)
    task_results_prune_task.call()
    left = {str(pk) for pk in DBTaskResult.objects.values_list("id", flat=True)}
    assert rows["old_done"] not in left
    assert {rows["recent_done"], rows["waiting"]} <= left
