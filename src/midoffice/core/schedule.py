"""Periodic jobs. The scheduler only enqueues tasks; workers do the work.

Each app adds its jobs to ``PERIODIC_JOBS`` (the import path of a task and a cron
expression). ``midoffice scheduler`` runs them with APScheduler in a
:class:`SchedulerRunner`, which enqueues only while it holds the scheduler lock
(core.scheduler_lock): a second scheduler started by mistake stands by instead of
enqueueing every job twice, and takes over when the first one stops (ADR 21b).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection

from midoffice.core import clock
from midoffice.core.scheduler_lock import SchedulerLock

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    task: str  # dotted path to a django-tasks Task
    cron: str  # five-field crontab: minute hour day month day_of_week
    description: str


PERIODIC_JOBS: list[PeriodicJob] = [
    PeriodicJob(
        name="outbox-sweep",
        task="midoffice.core.tasks.outbox_sweep_task",
        cron="* * * * *",
        description="Re-send what is due in the outbox (after an outage or a crash).",
    ),
    PeriodicJob(
        name="task-results-prune",
        task="midoffice.core.tasks.task_results_prune_task",
        cron="17 3 * * *",
        description="Delete finished background task results older than "
        "MIDOFFICE_TASK_RESULTS_KEEP_DAYS days (the task table stays small).",
    ),
    PeriodicJob(
        name="api-rate-windows-prune",
        task="midoffice.core.tasks.api_rate_windows_prune_task",
        cron="41 * * * *",
        description="Delete API rate-limit counters older than a day (one row per client).",
    ),
]


def register(job: PeriodicJob) -> None:
    if all(existing.name != job.name for existing in PERIODIC_JOBS):
        PERIODIC_JOBS.append(job)


@dataclass(frozen=True)
class ScheduledCall:
    """One job as the runner sees it: when (an APScheduler trigger) and what to call."""

    name: str
    trigger: Any  # an apscheduler.triggers.base.BaseTrigger (the package has no types)
    call: Callable[[], None]


def scheduler_heartbeat(*, holder: str, started_at: datetime) -> None:
    """Record the active scheduler's tick for ``/readyz`` (core.health)."""
    from midoffice.core.models import SchedulerHeartbeat

    SchedulerHeartbeat.objects.update_or_create(
        name="scheduler",
        defaults={"holder": holder, "started_at": started_at, "beat_at": clock.now()},
    )


class SchedulerRunner:
    """Runs the calls on their triggers while, and only while, it holds ``lock``.

    Standby: tries the lock every ``standby_seconds``. Active: runs APScheduler in the
    background and, every ``heartbeat_seconds``, checks that the lock is still its own
    and writes the heartbeat; a lost lock (the database restarted) stops the jobs and
    goes back to standby.
    """

    def __init__(
        self,
        *,
        lock: SchedulerLock,
        calls: list[ScheduledCall],
        heartbeat_seconds: float = 30.0,
        standby_seconds: float = 15.0,
        holder: str | None = None,
    ) -> None:
        self.lock = lock
        self.calls = calls
        self.heartbeat_seconds = heartbeat_seconds
        self.standby_seconds = standby_seconds
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}"
        self.active = threading.Event()

    def run(self, stop: threading.Event) -> None:
        """Until ``stop`` is set; releases the lock on the way out."""
        said_standby = False
        while not stop.is_set():
            if self.lock.acquire():
                said_standby = False
                try:
                    self._run_active(stop)
                finally:
                    self.lock.release()
                continue
            if not said_standby:
                logger.info(
                    "scheduler standby: another scheduler holds the lock, or the database "
                    "is unreachable",
                    extra={"holder": self.holder, "retry_seconds": self.standby_seconds},
                )
                said_standby = True
            stop.wait(self.standby_seconds)

    def _guarded(self, call: ScheduledCall) -> Callable[[], None]:
        def run_if_active() -> None:
            if self.active.is_set():
                # APScheduler's pool threads keep their own connections: one the database
                # dropped (an outage) is replaced here rather than failing every later run.
                close_old_connections()
                try:
                    call.call()
                finally:
                    close_old_connections()

        return run_if_active

    def _run_active(self, stop: threading.Event) -> None:
        from apscheduler.schedulers.background import BackgroundScheduler

        background = BackgroundScheduler(timezone=settings.TIME_ZONE)
        for call in self.calls:
            background.add_job(
                self._guarded(call),
                call.trigger,
                id=call.name,
                coalesce=True,
                max_instances=1,
                misfire_grace_time=30,
            )
        started_at = clock.now()
        self.active.set()
        logger.info(
            "scheduler active",
            extra={"holder": self.holder, "jobs": [call.name for call in self.calls]},
        )
        background.start()
        try:
            while True:
                if not self.lock.held():
                    logger.warning("scheduler lost its lock; standing by")
                    return
                try:
                    scheduler_heartbeat(holder=self.holder, started_at=started_at)
                except DatabaseError:
                    logger.warning("scheduler heartbeat not written: database unavailable")
                    connection.close()
                if stop.wait(self.heartbeat_seconds):
                    return
        finally:
            self.active.clear()
            background.shutdown(wait=True)  # a job that is enqueueing finishes first
