"""Who reads what: notices under *Meldingen*, the dossier's unread flag for a citizen's new
message, and the audit of who looked at a dossier or a contact.

Split from services.py (which keeps the changes to a dossier itself); the same rules:
one transaction, the clock from core.clock.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from midoffice.accounts.models import User
from midoffice.core import clock
from midoffice.dossiers import selectors
from midoffice.dossiers.events import event_record
from midoffice.dossiers.models import Dossier, EventKind, Interaction, Notification, PartyView
from midoffice.parties.models import Party

MESSAGE_KINDS = (Notification.Kind.CITIZEN_MAIL, Notification.Kind.PORTAL_QUESTION)


def dossier_record_view(*, actor: User, dossier: Dossier) -> None:
    """Audit: ``actor`` looked at the dossier (kept in the event table, not shown as work).

    Opening the dossier is also how its handler reads the citizen's new messages: when
    ``actor`` is the assignee, the unread flag is cleared (the audit event says since
    when it was set), and the actor's own notices of new messages on it are read.

    Most views find nothing unread - the flag is not the actor's to clear and the unread
    count (which the menu shows anyway) is zero: then the audit event is the only write,
    one INSERT without a transaction around it (two round trips fewer, issue 24).
    """
    clears_flag = dossier.unread_since is not None and dossier.assignee_id == actor.pk
    if not clears_flag and not selectors.notification_unread_count(user=actor):
        _record_viewed(actor, dossier, {})
        return
    with transaction.atomic():
        data: dict[str, str] = {}
        if clears_flag:
            cleared = Dossier.objects.filter(
                pk=dossier.pk, assignee_id=actor.pk, unread_since__isnull=False
            ).update(unread_since=None)
            if cleared and dossier.unread_since is not None:
                data["read_messages_since"] = dossier.unread_since.isoformat()
            dossier.unread_since = None
        if Notification.objects.filter(
            user=actor, dossier=dossier, kind__in=MESSAGE_KINDS, read_at__isnull=True
        ).update(read_at=clock.now()):
            selectors.notification_unread_forget(user=actor)
        _record_viewed(actor, dossier, data)


def _record_viewed(actor: User, dossier: Dossier, data: dict[str, str]) -> None:
    event_record(
        dossier=dossier, kind=EventKind.VIEWED, actor=actor, summary="Dossier ingekeken", data=data
    )


def notification_send(
    *,
    users: Iterable[User],
    dossier: Dossier,
    kind: str,
    about: str = "",
    summary: str = "",
) -> int:
    """Put a notice under *Meldingen* for each of ``users``; returns how many were made.

    A user who still has an unread notice of this kind about the same thing on the
    dossier gets no second one (three replies in a row are one thing to read). These
    notices are not part of the morning deadline digest, so none waits to be mailed.
    """
    now = clock.now()
    targets = {user.pk: user for user in users}
    already = set(
        Notification.objects.filter(
            user_id__in=targets, dossier=dossier, kind=kind, about=about, read_at__isnull=True
        ).values_list("user_id", flat=True)
    )
    made = Notification.objects.bulk_create(
        Notification(
            user=user,
            dossier=dossier,
            kind=kind,
            about=about[:40],
            summary=summary[:300],
            created_at=now,
            mailed=True,  # nothing to mail: only deadline notices go into the digest
        )
        for pk, user in targets.items()
        if pk not in already
    )
    return len(made)


def notification_resolve(*, dossier: Dossier, about: str) -> int:
    """Someone acted on ``about`` (a letter signed or sent back): every recipient's
    unread notice about it is read now. Returns how many changed."""
    unread = Notification.objects.filter(dossier=dossier, about=about, read_at__isnull=True)
    return unread.update(read_at=clock.now())


@transaction.atomic
def dossier_citizen_message(*, dossier: Dossier, channel: str, summary: str) -> int:
    """A message from the citizen joined ``dossier`` (a reply by e-mail, a question in
    the portal): flag the dossier unread and notify who must read it.

    Internal work (the intake, the portal): no member of staff acts, so no role check.
    The flag keeps the moment of the oldest unread message. Returns how many notices
    were made (see ``dossier_message_recipients`` for who).
    """
    kind = (
        Notification.Kind.PORTAL_QUESTION
        if channel == Interaction.Channel.PORTAL
        else Notification.Kind.CITIZEN_MAIL
    )
    now = clock.now()
    Dossier.objects.filter(pk=dossier.pk, unread_since__isnull=True).update(unread_since=now)
    # As it is now (the caller's copy may predate an assignment), with its handler.
    current = Dossier.objects.select_related("assignee").get(pk=dossier.pk)
    dossier.unread_since = current.unread_since
    return notification_send(
        users=selectors.dossier_message_recipients(dossier=current),
        dossier=dossier,
        kind=kind,
        summary=summary,
    )


def party_record_view(*, actor: User, party: Party) -> None:
    """Audit: ``actor`` opened the contact's page."""
    PartyView.objects.create(party=party, actor=actor)


def notification_mark_read(*, user: User, notification_ids: list[int] | None = None) -> int:
    """Mark the user's notifications (all, or these) as read; returns how many changed."""
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if notification_ids is not None:
        qs = qs.filter(pk__in=notification_ids)
    selectors.notification_unread_forget(user=user)
    return qs.update(read_at=clock.now())
