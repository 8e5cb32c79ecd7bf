"""The intake's part of ``/readyz`` (core.health): each active IMAP mailbox was polled
successfully not long ago (mailboxes are named by id only: a mailbox's name is often its
address), and no file waits in the database for the storage (ADR 21g)."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Count, Min

from midoffice.core import clock
from midoffice.core.health import CheckResult, HealthCheck
from midoffice.intake.models import MailSource, PendingBlob


def check_mailboxes() -> CheckResult:
    threshold = settings.HEALTH_MAILBOX_MAX_AGE
    now = clock.now()
    rows = list(
        MailSource.objects.filter(kind=MailSource.Kind.IMAP, active=True)
        .order_by("id")
        .values_list("id", "last_polled_at")
    )
    if not rows:
        return CheckResult(True, {"note": "no active IMAP mailbox"})
    mailboxes: dict[str, dict[str, object]] = {}
    for source_id, last_polled_at in rows:
        if last_polled_at is None:
            mailboxes[str(source_id)] = {"ok": False, "note": "never polled successfully"}
            continue
        age = max(int((now - last_polled_at).total_seconds()), 0)
        mailboxes[str(source_id)] = {"ok": age <= threshold, "last_poll_age_s": age}
    return CheckResult(
        all(entry["ok"] for entry in mailboxes.values()),
        {"max_age_s": threshold, "mailboxes": mailboxes},
    )


MAILBOX_CHECK = HealthCheck("mailboxes", check_mailboxes, critical=False)


def check_storage_backlog() -> CheckResult:
    """No mail or attachment waits in the database for the storage (ADR 21g). While one
    does, the storage was away: the mail was taken in all the same, and the periodic
    move writes it out once the storage answers again."""
    row = PendingBlob.objects.aggregate(waiting=Count("id"), oldest=Min("created_at"))
    if not row["waiting"]:
        return CheckResult(True, {"waiting": 0})
    age = max(int((clock.now() - row["oldest"]).total_seconds()), 0)
    return CheckResult(False, {"waiting": row["waiting"], "oldest_age_s": age})


STORAGE_BACKLOG_CHECK = HealthCheck("storage_backlog", check_storage_backlog, critical=False)
