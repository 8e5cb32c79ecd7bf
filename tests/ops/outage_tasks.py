"""A task for tests/ops/test_db_outage.py that is still running when the database goes
away: it waits inside the database, so the outage cuts it short."""

from __future__ import annotations

import time

from django.db import connection
from django_tasks import task


@task(queue_name="default")
def database_wait_task(until: float) -> str:
    """Wait, in the database, until ``until`` (a ``time.time()``); then it is done."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_sleep(%s)", [max(0.0, until - time.time())])
    return "done"
