"""Background tasks of the dossiers app: the deadline scan and the daily digest."""

from __future__ import annotations

import logging
from collections import defaultdict

from django.conf import settings
from django.db import transaction
from django_tasks import task

from midoffice.core.display import display_text
from midoffice.core.mail import send_plain
from midoffice.core.schedule import PeriodicJob, register
from midoffice.dossiers.deadline_scan import deadline_scan
from midoffice.dossiers.models import Notification

logger = logging.getLogger(__name__)


@task()
def deadline_scan_task() -> dict[str, int]:
    result = deadline_scan()
    logger.info(
        "deadline scan",
        extra={
            "warned": result.warned,
            "overdue": result.overdue,
            "notifications": result.notifications,
        },
    )
    return {"warned": result.warned, "overdue": result.overdue}


def deadline_digest_send() -> int:
    """Mail each member of staff one digest of their deadline notices not yet mailed.

    Idempotent: a notice is marked ``mailed`` in the same transaction that sends its
    digest, so a re-run sends nothing twice (a crash between mail and commit can resend
    one digest — acceptable for an internal reminder). Returns the number of mails.
    """
    pending = (
        Notification.objects.filter(mailed=False)
        .select_related("user", "dossier")
        .order_by("user_id", "kind", "dossier__deadline")
    )
    by_user: dict[int, list[Notification]] = defaultdict(list)
    for notice in pending.iterator():
        by_user[notice.user_id].append(notice)
    sent = 0
    for notices in by_user.values():
        user = notices[0].user
        with transaction.atomic():
            ids = [n.pk for n in notices]
            if user.email:
                lines = []
                for n in notices:
                    line = f"- {n.dossier.reference} {display_text(n.dossier.subject)}: "
                    line += str(n.get_kind_display())
                    if n.dossier.deadline:
                        line += f" (uiterste datum {n.dossier.deadline:%d-%m-%Y})"
                    lines.append(line)
                body = (
                    f"Dag {user.first_name or user.username},\n\n"
                    "Deze dossiers vragen je aandacht:\n\n"
                    + "\n".join(lines)
                    + f"\n\nBekijk ze in Midoffice: {settings.PUBLIC_URL}/meldingen/\n"
                )
                send_plain(
                    subject=f"Midoffice: {len(notices)} dossier(s) met een termijnwaarschuwing",
                    body=body,
                    to=[user.email],
                )
                sent += 1
            Notification.objects.filter(pk__in=ids).update(mailed=True)
    return sent


@task()
def deadline_digest_task() -> int:
    return deadline_digest_send()


register(
    PeriodicJob(
        name="deadline-scan",
        task="midoffice.dossiers.tasks.deadline_scan_task",
        cron="15 * * * *",
        description="Mark at-risk and overdue dossiers; notify handlers and team leads.",
    )
)
register(
    PeriodicJob(
        name="deadline-digest",
        task="midoffice.dossiers.tasks.deadline_digest_task",
        cron="0 7 * * 1-5",
        description="Morning e-mail digest of deadline warnings for each member of staff.",
    )
)
