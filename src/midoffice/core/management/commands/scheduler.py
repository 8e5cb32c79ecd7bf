"""``midoffice scheduler``: enqueue the periodic jobs on their schedule (APScheduler)."""

from __future__ import annotations

import logging
from typing import Any

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.module_loading import import_string

from midoffice.core.schedule import PERIODIC_JOBS

logger = logging.getLogger(__name__)


def _enqueue(task_path: str) -> None:
    import_string(task_path).enqueue()


class Command(BaseCommand):
    help = "Run the scheduler that enqueues periodic jobs (mail polling, sweeps, scans)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--list", action="store_true", help="Only list the jobs.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["list"]:
            for job in PERIODIC_JOBS:
                self.stdout.write(f"{job.name:24} {job.cron:16} {job.description}")
            return
        scheduler = BlockingScheduler(timezone=settings.TIME_ZONE)
        for job in PERIODIC_JOBS:
            scheduler.add_job(
                _enqueue,
                CronTrigger.from_crontab(job.cron, timezone=settings.TIME_ZONE),
                args=[job.task],
                id=job.name,
                coalesce=True,
                max_instances=1,
                misfire_grace_time=30,
            )
        logger.info("scheduler started", extra={"jobs": [job.name for job in PERIODIC_JOBS]})
        try:
            scheduler.start()
        except (KeyboardInterrupt, SystemExit):
            scheduler.shutdown(wait=False)
