"""``midoffice db_worker``: django-tasks-db's worker, warmed up before its first task.

Same options as django-tasks-db's command; ``midoffice.core`` comes before
``django_tasks_db`` in ``INSTALLED_APPS`` so that this one is found first.
"""

from __future__ import annotations

import os
from typing import Any

from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands.db_worker import Command as TasksDbWorkerCommand

from midoffice.core.warmup import worker_warm_up


class Command(TasksDbWorkerCommand):
    def handle(self, *args: Any, **options: Any) -> None:
        # Under --reload the first process only watches files; its child runs the tasks.
        if not options.get("reload") or os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
            worker_warm_up()
        super().handle(*args, **options)
