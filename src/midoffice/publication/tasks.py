"""Periodic DOSIS tasks (registered with core.schedule in apps.ready)."""

from __future__ import annotations

import logging

from django.conf import settings
from django_tasks import task

from midoffice.integrations.dosis.base import DosisRejected, DosisUnavailable
from midoffice.publication import services

logger = logging.getLogger(__name__)


@task(queue_name="outbox")
def dosis_poll_task() -> dict[str, int | bool]:
    report = services.dosis_poll()
    return {
        "accepted": report.accepted,
        "pending": report.pending,
        "resent": report.resent,
        "refused": report.refused,
        "given_up": report.given_up,
        "unavailable": report.unavailable,
    }


@task(queue_name="outbox")
def dosis_code_lists_refresh_task() -> dict[str, int]:
    if not settings.DOSIS_ENDPOINT:
        return {}
    try:
        return services.dosis_code_lists_load()
    except (DosisUnavailable, DosisRejected, services.CodeListEmpty) as exc:
        # The lists loaded before stay; the next weekly run tries again.
        logger.warning("DOSIS code lists not refreshed", extra={"error": str(exc)[:300]})
        return {}
