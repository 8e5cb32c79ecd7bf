"""Readiness checks behind ``GET /readyz`` (ADR 21b).

Each check answers whether one part of Midoffice can do its work, in a few indexed
queries and without personal data (ids and ages, never an address or a name). Two kinds:

- **critical** checks (database, migrations, storage): this web process cannot serve
  without them, so a failing one makes ``/readyz`` answer 503 and the load balancer
  stops sending it requests;
- **work** checks (background tasks, scheduler, mailboxes, outbox): the pages still
  work, but something behind them has stopped. A failing one makes the answer
  ``"status": "degraded"`` with 200, naming the part: taking every web process out of
  the load balancer because a mailbox is stale would turn a late mail into an outage.
  ``/readyz?strict`` answers 503 for these too, for monitors that read only the code.

Apps add their own checks with :func:`health_check_register` (intake: the mailboxes).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Count, Min, Q
from django_tasks_db.models import DBTaskResult

from midoffice.core import clock
from midoffice.core.models import OutboxMessage, SchedulerHeartbeat

logger = logging.getLogger(__name__)

READY = "READY"  # django-tasks' TaskResultStatus.READY, as stored


@dataclass(frozen=True)
class CheckResult:
    """One check's answer: ``ok`` and a few figures; never personal data."""

    ok: bool
    details: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"ok": self.ok, **self.details}


@dataclass(frozen=True)
class HealthCheck:
    name: str
    run: Callable[[], CheckResult]
    critical: bool  # failing: this process cannot serve (503), not just "degraded"
    needs_database: bool = True


HEALTH_CHECKS: list[HealthCheck] = []


def health_check_register(check: HealthCheck) -> None:
    """Add an app's check (once; a second registration under the same name is ignored)."""
    if all(existing.name != check.name for existing in HEALTH_CHECKS):
        HEALTH_CHECKS.append(check)


@dataclass(frozen=True)
class Readiness:
    status: str  # "ok" | "degraded" | "unavailable"
    checks: dict[str, dict[str, Any]]

    @property
    def failing(self) -> list[str]:
        return [name for name, result in self.checks.items() if not result["ok"]]

    def http_status(self, *, strict: bool = False) -> int:
        if self.status == "unavailable" or (strict and self.status == "degraded"):
            return 503
        return 200


def readiness() -> Readiness:
    """Run every check; the database first, since the others mostly need it."""
    results: dict[str, dict[str, Any]] = {}
    status = "ok"
    database_ok = True
    for check in HEALTH_CHECKS:
        if check.needs_database and not database_ok:
            result = CheckResult(False, {"note": "not checked: the database is unreachable"})
        else:
            try:
                result = check.run()
            except Exception as exc:  # noqa: BLE001 - a check that breaks is a failing check
                # The class only: a message may carry a host name or a value from a row.
                logger.warning("health check failed", extra={"check": check.name})
                result = CheckResult(False, {"error": type(exc).__name__})
        if check.name == "database" and not result.ok:
            database_ok = False
        results[check.name] = result.as_json()
        if not result.ok:
            if check.critical:
                status = "unavailable"
            elif status == "ok":
                status = "degraded"
    return Readiness(status=status, checks=results)


# --- The checks of core ------------------------------------------------------------


def check_database() -> CheckResult:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return CheckResult(True)


_migrations_complete = False


def check_migrations() -> CheckResult:
    """Every migration of this code is applied.

    Reading the migration files costs tens of milliseconds, so once a process has seen
    them all applied it does not look again: its code does not change while it runs,
    and applied migrations are only ever added to.
    """
    global _migrations_complete  # one flag per process, on purpose
    if _migrations_complete:
        return CheckResult(True)
    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if pending:
        return CheckResult(False, {"pending": len(pending)})
    _migrations_complete = True
    return CheckResult(True)


def check_storage() -> CheckResult:
    """A tiny file can be written to and deleted from the default storage."""
    name = default_storage.save(f"readyz-probe/{uuid.uuid4().hex}.txt", ContentFile(b"ok"))
    default_storage.delete(name)
    return CheckResult(True)


def check_tasks() -> CheckResult:
    """The oldest task that a worker could run now has not waited too long."""
    now = clock.now()
    row = DBTaskResult.objects.ready().aggregate(oldest=Min("enqueued_at"), waiting=Count("id"))
    threshold = settings.HEALTH_TASK_MAX_AGE
    if row["oldest"] is None:
        return CheckResult(True, {"waiting": 0, "max_age_s": threshold})
    age = max(int((now - row["oldest"]).total_seconds()), 0)
    return CheckResult(
        age <= threshold,
        {"waiting": row["waiting"], "oldest_age_s": age, "max_age_s": threshold},
    )


def check_scheduler() -> CheckResult:
    """The active scheduler ticked recently (``midoffice scheduler``, one per site)."""
    beat = (
        SchedulerHeartbeat.objects.filter(name="scheduler")
        .values_list("beat_at", flat=True)
        .first()
    )
    threshold = settings.HEALTH_SCHEDULER_MAX_AGE
    if beat is None:
        return CheckResult(
            False, {"max_age_s": threshold, "note": "no scheduler has run on this database"}
        )
    age = max(int((clock.now() - beat).total_seconds()), 0)
    return CheckResult(age <= threshold, {"last_tick_age_s": age, "max_age_s": threshold})


def check_outbox() -> CheckResult:
    """Messages to other systems that failed for good, and those being retried."""
    counts = OutboxMessage.objects.filter(
        state__in=[OutboxMessage.State.FAILED, OutboxMessage.State.PENDING]
    ).aggregate(
        failed=Count("id", filter=Q(state=OutboxMessage.State.FAILED)),
        retrying=Count("id", filter=Q(state=OutboxMessage.State.PENDING, attempts__gt=0)),
    )
    threshold = settings.HEALTH_OUTBOX_MAX_FAILED
    return CheckResult(
        counts["failed"] <= threshold,
        {"failed": counts["failed"], "retrying": counts["retrying"], "max_failed": threshold},
    )


for _check in (
    HealthCheck("database", check_database, critical=True),
    HealthCheck("migrations", check_migrations, critical=True),
    HealthCheck("storage", check_storage, critical=True, needs_database=False),
    HealthCheck("tasks", check_tasks, critical=False),
    HealthCheck("scheduler", check_scheduler, critical=False),
    HealthCheck("outbox", check_outbox, critical=False),
):
    health_check_register(_check)
