"""The mailboxes' part of ``/readyz`` (core.health): each active IMAP mailbox was polled
successfully not long ago. Mailboxes are named by id only: a mailbox's name is often its
address."""

from __future__ import annotations

from django.conf import settings

from midoffice.core import clock
from midoffice.core.health import CheckResult, HealthCheck
from midoffice.intake.models import MailSource


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
