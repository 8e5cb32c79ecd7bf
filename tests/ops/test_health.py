"""GET /readyz: what stops the work, named, without personal data, in a handful of queries."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import OperationalError
from django.test import override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from midoffice.core import health
from midoffice.core.models import OutboxMessage, SchedulerHeartbeat
from midoffice.core.tasks import outbox_sweep_task
from midoffice.intake.models import MailSource

pytestmark = pytest.mark.django_db

MAILBOX_ADDRESS = "onthaal.geheim@leemdonk.example"


def _scheduler_ticked(seconds_ago: int = 5) -> None:
    moment = timezone.now() - timedelta(seconds=seconds_ago)
    SchedulerHeartbeat.objects.update_or_create(
        name="scheduler",
        defaults={"holder": "host:1", "started_at": moment, "beat_at": moment},
    )


def _mailbox(*, polled_seconds_ago: int | None, name: str = MAILBOX_ADDRESS) -> MailSource:
    return MailSource.objects.create(
        name=name,
        kind=MailSource.Kind.IMAP,
        host="imap.leemdonk.example",
        username=name,
        last_polled_at=(
            None
            if polled_seconds_ago is None
            else timezone.now() - timedelta(seconds=polled_seconds_ago)
        ),
    )


def test_all_well_is_ok_with_every_part_named(client):
    # Given a scheduler that ticked, a mailbox just polled, nothing waiting or failing
    _scheduler_ticked()
    box = _mailbox(polled_seconds_ago=30)

    # When the load balancer asks
    response = client.get("/readyz")

    # Then every part is there and ok
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["failing"] == []
    assert set(body["checks"]) == {
        "database",
        "migrations",
        "storage",
        "tasks",
        "scheduler",
        "outbox",
        "mailboxes",
        "storage_backlog",
    }
    assert all(check["ok"] for check in body["checks"].values())
    assert body["checks"]["mailboxes"]["mailboxes"] == {
        str(box.pk): {"ok": True, "last_poll_age_s": pytest.approx(30, abs=5)}
    }
    assert response["Cache-Control"] == "no-store"


def test_a_check_that_does_not_apply_is_ok_with_a_note(client):
    _scheduler_ticked()
    # No IMAP mailbox: the SMTP listener or an import is how mail comes in here.
    MailSource.objects.create(name="smtp", kind=MailSource.Kind.SMTP)

    check = client.get("/readyz").json()["checks"]["mailboxes"]

    assert check == {"ok": True, "note": "no active IMAP mailbox"}


def test_stopped_work_is_degraded_200_and_names_each_part(client):
    # Given a worker that stopped an hour ago, a scheduler silent for ten minutes,
    # a mailbox not polled for an hour and one never polled, and a message failed for good
    outbox_sweep_task.enqueue()
    DBTaskResult.objects.update(enqueued_at=timezone.now() - timedelta(hours=1))
    _scheduler_ticked(seconds_ago=600)
    stale = _mailbox(polled_seconds_ago=3600)
    never = _mailbox(polled_seconds_ago=None, name="tweede@leemdonk.example")
    OutboxMessage.objects.create(
        topic="dosis.register",
        idempotency_key="k1",
        state=OutboxMessage.State.FAILED,
        next_attempt_at=timezone.now(),
        last_error="refused for jan.peeters@example.com",
    )

    response = client.get("/readyz")

    # Then the pages keep being served (200) and the answer says what stopped
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["failing"] == ["tasks", "scheduler", "outbox", "mailboxes"]
    checks = body["checks"]
    assert checks["tasks"]["waiting"] == 1
    assert checks["tasks"]["oldest_age_s"] >= 3600
    assert checks["scheduler"]["last_tick_age_s"] >= 600
    assert checks["outbox"]["failed"] == 1
    assert checks["mailboxes"]["mailboxes"][str(stale.pk)]["ok"] is False
    assert checks["mailboxes"]["mailboxes"][str(never.pk)] == {
        "ok": False,
        "note": "never polled successfully",
    }
    # No personal data: no mailbox address, host or name, no error text of a message.
    text = json.dumps(body)
    for secret in (MAILBOX_ADDRESS, "tweede@", "imap.leemdonk", "jan.peeters", "refused"):
        assert secret not in text

    # A monitor that reads only the status code asks strictly
    assert client.get("/readyz?strict").status_code == 503


@override_settings(
    HEALTH_TASK_MAX_AGE=7200,
    HEALTH_SCHEDULER_MAX_AGE=3600,
    HEALTH_MAILBOX_MAX_AGE=7200,
    HEALTH_OUTBOX_MAX_FAILED=5,
)
def test_thresholds_come_from_the_settings(client):
    outbox_sweep_task.enqueue()
    DBTaskResult.objects.update(enqueued_at=timezone.now() - timedelta(hours=1))
    _scheduler_ticked(seconds_ago=600)
    _mailbox(polled_seconds_ago=3600)

    body = client.get("/readyz").json()

    assert body["status"] == "ok", body["failing"]


def test_no_scheduler_ever_is_degraded(client):
    body = client.get("/readyz").json()

    assert body["status"] == "degraded"
    assert body["checks"]["scheduler"]["ok"] is False
    assert "no scheduler has run" in body["checks"]["scheduler"]["note"]


def test_storage_not_writable_takes_the_process_out(client, tmp_path):
    _scheduler_ticked()
    not_a_folder = tmp_path / "a-file"
    not_a_folder.write_text("x")
    storages = {
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(not_a_folder)},
        },
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(STORAGES=storages):
        response = client.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["failing"] == ["storage"]
    # The kind of error, not its message (which names a path or a host).
    assert set(body["checks"]["storage"]) == {"ok", "error"}


def test_storage_probe_leaves_nothing_behind(client, tmp_path):
    _scheduler_ticked()
    storages = {
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(STORAGES=storages):
        assert client.get("/readyz").json()["checks"]["storage"] == {"ok": True}

    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_database_unreachable_is_503_and_skips_what_needs_it(client, monkeypatch):
    def unreachable() -> health.CheckResult:
        raise OperationalError("could not connect to server at db.internal")

    checks = [
        health.HealthCheck("database", unreachable, critical=True) if c.name == "database" else c
        for c in health.HEALTH_CHECKS
    ]
    monkeypatch.setattr(health, "HEALTH_CHECKS", checks)

    response = client.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == {"ok": False, "error": "OperationalError"}
    assert body["checks"]["outbox"]["note"] == "not checked: the database is unreachable"
    assert body["checks"]["storage"]["ok"] is True  # storage does not need the database
    assert "db.internal" not in response.content.decode()


def test_pending_migrations_are_503(client, monkeypatch):
    monkeypatch.setattr(health, "_migrations_complete", False)
    monkeypatch.setattr(
        "django.db.migrations.executor.MigrationExecutor.migration_plan",
        lambda self, targets: [("a migration", False), ("another", False)],
    )

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["checks"]["migrations"] == {"ok": False, "pending": 2}


def test_cheap_enough_for_a_load_balancer(client, django_assert_num_queries):
    # Given a site with work in every part
    _scheduler_ticked()
    for n in range(3):
        _mailbox(polled_seconds_ago=10, name=f"box{n}@leemdonk.example")
        outbox_sweep_task.enqueue()
    client.get("/readyz")  # the migrations are read from disk once per process

    # Then one query per part: database, tasks, scheduler, outbox, mailboxes, and the
    # mails waiting for the storage (ADR 21g)
    with django_assert_num_queries(6):
        response = client.get("/readyz")
    assert response.json()["status"] == "ok"
