"""Core background tasks. Tasks take ids, call one service, and are idempotent."""

from __future__ import annotations

from django.conf import settings
from django.core.management import call_command
from django_tasks import task

from midoffice.core import outbox, throttling

# Deliveries go before new work: a worker that has a backlog of mails to process sends
# the acknowledgement of the mail it just finished first, instead of queueing it behind
# every mail that came in meanwhile (which doubled the wait under load; issue 18).
DELIVERY_PRIORITY = 50


@task(queue_name="outbox", priority=DELIVERY_PRIORITY)
def outbox_deliver_task(message_id: int) -> str:
    return outbox.outbox_deliver(message_id=message_id)


@task(queue_name="outbox")
def outbox_sweep_task() -> int:
    return outbox.outbox_sweep()


@task(queue_name="outbox")
def task_results_prune_task() -> None:
    """Delete finished task results (every mail and every outgoing message leaves one)
    older than the configured number of days; failed ones stay as long."""
    call_command(
        "prune_db_task_results",
        queue_name="*",
        min_age_days=settings.TASK_RESULTS_KEEP_DAYS,
        verbosity=0,
    )


@task(queue_name="outbox")
def api_rate_windows_prune_task() -> int:
    """Delete API rate-limit windows no limit looks at any more (core.throttling)."""
    return throttling.rate_windows_prune()
