"""``midoffice scheduler``: enqueue the periodic jobs on their schedule (APScheduler).

Start one per site; a second one started by mistake stands by until the first stops
(core.scheduler_lock, ADR 21b).
"""

from __future__ import annotations

import functools
import logging
import signal
import threading
from typing import Any

from apscheduler.triggers.cron import CronTrigger
from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.module_loading import import_string

from midoffice.core.schedule import PERIODIC_JOBS, ScheduledCall, SchedulerRunner
from midoffice.core.scheduler_lock import scheduler_lock

logger = logging.getLogger(__name__)


def _enqueue(task_path: str) -> None:
    import_string(task_path).enqueue()


class Command(BaseCommand):
    help = "Run the scheduler that enqueues periodic jobs (mail polling, sweeps, scans)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--list", action="store_true", help="Only list the jobs.")
        parser.add_argument(
            "--standby-seconds",
            type=float,
            default=15.0,
            help="While another scheduler is active: how often to try to take over.",
        )
        parser.add_argument(
            "--heartbeat-seconds",
            type=float,
            default=30.0,
            help="While active: how often to check the lock is still held and record "
            "the heartbeat.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["list"]:
            for job in PERIODIC_JOBS:
                self.stdout.write(f"{job.name:24} {job.cron:16} {job.description}")
            return
        calls = [
            ScheduledCall(
                name=job.name,
                trigger=CronTrigger.from_crontab(job.cron, timezone=settings.TIME_ZONE),
                call=functools.partial(_enqueue, job.task),
            )
            for job in PERIODIC_JOBS
        ]
        runner = SchedulerRunner(
            lock=scheduler_lock(),
            calls=calls,
            standby_seconds=options["standby_seconds"],
            heartbeat_seconds=options["heartbeat_seconds"],
        )
        stop = threading.Event()

        def on_signal(*_: object) -> None:
            # From another thread: the handler runs in the main thread, which may be
            # inside stop.wait() holding the event's lock; set() here could deadlock.
            threading.Thread(target=stop.set, daemon=True).start()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        runner.run(stop)
        logger.info("scheduler stopped")
