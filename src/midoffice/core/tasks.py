"""Core background tasks. Tasks take ids, call one service, and are idempotent."""

from __future__ import annotations

from django_tasks import task

from midoffice.core import outbox


@task(queue_name="outbox")
def outbox_deliver_task(message_id: int) -> str:
    return outbox.outbox_deliver(message_id=message_id)


@task(queue_name="outbox")
def outbox_sweep_task() -> int:
    return outbox.outbox_sweep()
