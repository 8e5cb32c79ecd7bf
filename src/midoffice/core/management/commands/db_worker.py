"""``midoffice db_worker``: django-tasks-db's worker, warmed up before its first task.

Same options as django-tasks-db's command; ``midoffice.core`` comes before
``django_tasks_db`` in ``INSTALLED_APPS`` so that this one is found first.

When the database goes away (a restart, a failover, the network), django-tasks-db's loop
raises and its process would end. This one stays: it closes its connections, waits, and
runs the loop again in the same process, for as long as the outage lasts. The task it
was running when the database went away was left "running" (its outcome could not be
written); once the database answers, that task is queued again. Tasks are idempotent
(CONVENTIONS), so running one again whose work was cut short, or even done but not
recorded, is safe.
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any

from django.db import InterfaceError, OperationalError, connections
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands.db_worker import Command as TasksDbWorkerCommand
from django_tasks_db.models import DBTaskResult

from midoffice.core.warmup import worker_warm_up

logger = logging.getLogger(__name__)

# Seconds between attempts while the database is unreachable.
RECONNECT_SECONDS = 2.0
READY, RUNNING = "READY", "RUNNING"  # django-tasks' TaskResultStatus values, as stored


def tasks_cut_short_requeue(worker_id: str) -> int:
    """Queue again the tasks this worker claimed and never finished. Only for a worker
    that is running none: its one task at a time was cut short by the lost database."""
    running = DBTaskResult.objects.filter(status=RUNNING).values_list("id", "worker_ids")
    ours = [pk for pk, worker_ids in running if worker_ids and worker_ids[-1] == worker_id]
    return DBTaskResult.objects.filter(pk__in=ours, status=RUNNING).update(
        status=READY, started_at=None
    )


class Command(TasksDbWorkerCommand):
    def handle(self, *args: Any, **options: Any) -> None:
        # Under --reload the first process only watches files; its child runs the tasks.
        if not options.get("reload") or os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
            worker_warm_up()
        lost = False
        while True:
            try:
                if lost:
                    requeued = tasks_cut_short_requeue(options["worker_id"])
                    logger.warning("worker reconnected", extra={"requeued": requeued})
                    lost = False
                super().handle(*args, **options)
                return
            except (OperationalError, InterfaceError) as error:
                # A stop signal during the wait below ends the process, as when idle.
                logger.warning(
                    "worker lost the database; reconnecting",
                    extra={"error": str(error).strip(), "retry_seconds": RECONNECT_SECONDS},
                )
                lost = True
                connections.close_all()
                time.sleep(RECONNECT_SECONDS)
