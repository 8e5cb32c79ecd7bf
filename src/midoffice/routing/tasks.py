"""Routing background work."""

from __future__ import annotations

from django_tasks import task

from midoffice.core.errors import UserError
from midoffice.routing import services


@task(queue_name="default")
def classifier_retrain_task() -> str:
    try:
        result = services.classifier_train(note="periodiek")
    except UserError as exc:
        return str(exc)
    return result.reason
