"""Issue 20, item 5: a citizen's message reaches someone — a notice under *Meldingen* and
an unread flag on the dossier that its handler clears by opening it."""

from __future__ import annotations

import pytest

from midoffice.accounts.models import Role
from midoffice.dossiers import notices, services
from midoffice.dossiers.models import Dossier, EventKind, Notification
from midoffice.dossiers.selectors import dossier_message_recipients
from tests.factories import UserFactory, open_dossier

pytestmark = pytest.mark.django_db

Kind = Notification.Kind


@pytest.fixture
def colleagues(team):
    """Who else is in the team: a lead, a handler who is away, a front-desk member, and an
    archivist (who may not take a dossier)."""
    return {
        "lead": UserFactory(username="lotte", role=Role.TEAM_LEAD, teams=[team]),
        "away": UserFactory(username="piet", teams=[team], is_absent=True),
        "desk": UserFactory(username="olivia", role=Role.FRONT_DESK, teams=[team]),
        "archive": UserFactory(username="arne", role=Role.ARCHIVIST, teams=[team]),
        "inactive": UserFactory(username="oud", teams=[team], is_active=False),
    }


def test_a_reply_notifies_the_handler_only_and_flags_the_dossier(dossier_type, handler, colleagues):
    dossier = open_dossier(dossier_type=dossier_type)
    services.dossier_assign(actor=handler, dossier=dossier, assignee=handler)

    made = notices.dossier_citizen_message(
        dossier=dossier, channel="email", summary="Re: mijn verbouwing"
    )

    assert made == 1
    notice = Notification.objects.get()
    assert (notice.user, notice.kind, notice.summary) == (
        handler,
        Kind.CITIZEN_MAIL,
        "Re: mijn verbouwing",
    )
    assert notice.read_at is None
    assert Dossier.objects.get(pk=dossier.pk).unread_since is not None


def test_an_unassigned_dossier_notifies_the_team_members_who_may_take_it(
    dossier_type, handler, colleagues
):
    dossier = open_dossier(dossier_type=dossier_type)

    notices.dossier_citizen_message(dossier=dossier, channel="portal", summary="Nog een vraag")

    notified = set(Notification.objects.values_list("user__username", flat=True))
    # Not the absent, inactive or archivist members: they cannot take it now.
    assert notified == {"sofie", "lotte", "olivia"}
    assert set(Notification.objects.values_list("kind", flat=True)) == {Kind.PORTAL_QUESTION}


def test_an_absent_handler_keeps_the_notice_and_the_team_is_told_too(
    dossier_type, handler, colleagues
):
    dossier = open_dossier(dossier_type=dossier_type)
    services.dossier_assign(actor=handler, dossier=dossier, assignee=colleagues["away"])
    dossier.refresh_from_db()

    names = {u.username for u in dossier_message_recipients(dossier=dossier)}

    assert names == {"piet", "sofie", "lotte", "olivia"}


def test_three_replies_are_one_unread_notice_and_the_flag_keeps_the_first_moment(
    dossier_type, handler
):
    dossier = open_dossier(dossier_type=dossier_type)
    services.dossier_assign(actor=handler, dossier=dossier, assignee=handler)
    notices.dossier_citizen_message(dossier=dossier, channel="email", summary="1")
    first = Dossier.objects.get(pk=dossier.pk).unread_since

    for n in (2, 3):
        notices.dossier_citizen_message(dossier=dossier, channel="email", summary=str(n))

    assert Notification.objects.filter(read_at__isnull=True).count() == 1
    assert Dossier.objects.get(pk=dossier.pk).unread_since == first


def test_only_the_handler_opening_the_dossier_clears_the_flag(dossier_type, handler, colleagues):
    dossier = open_dossier(dossier_type=dossier_type)
    services.dossier_assign(actor=handler, dossier=dossier, assignee=handler)
    notices.dossier_citizen_message(dossier=dossier, channel="email", summary="Re: vraag")
    dossier.refresh_from_db()
    since = dossier.unread_since

    # The team lead looks: still unread for the handler.
    notices.dossier_record_view(actor=colleagues["lead"], dossier=dossier)
    assert Dossier.objects.get(pk=dossier.pk).unread_since == since

    notices.dossier_record_view(actor=handler, dossier=Dossier.objects.get(pk=dossier.pk))

    assert Dossier.objects.get(pk=dossier.pk).unread_since is None
    assert Notification.objects.get(user=handler).read_at is not None
    # Who read it and since when it waited: in the audit trail.
    viewed = dossier.events.filter(kind=EventKind.VIEWED, actor=handler).get()
    assert viewed.data == {"read_messages_since": since.isoformat()}


def test_resolving_a_thing_reads_everyones_notice_about_it(dossier_type, handler, colleagues):
    dossier = open_dossier(dossier_type=dossier_type)
    notices.notification_send(
        users=[handler, colleagues["lead"]],
        dossier=dossier,
        kind=Kind.LETTER_TO_SIGN,
        about="letter:7",
        summary="Antwoord",
    )
    notices.notification_send(
        users=[handler], dossier=dossier, kind=Kind.LETTER_TO_SIGN, about="letter:8"
    )

    assert notices.notification_resolve(dossier=dossier, about="letter:7") == 2

    unread = Notification.objects.filter(read_at__isnull=True)
    assert list(unread.values_list("about", flat=True)) == ["letter:8"]


def test_message_notices_stay_out_of_the_deadline_digest(dossier_type, handler, mailoutbox):
    from midoffice.dossiers.tasks import deadline_digest_send

    handler.email = "sofie@leemdonk.example"
    handler.save(update_fields=["email"])
    dossier = open_dossier(dossier_type=dossier_type)
    services.dossier_assign(actor=handler, dossier=dossier, assignee=handler)
    notices.dossier_citizen_message(dossier=dossier, channel="email", summary="Re: vraag")

    assert deadline_digest_send() == 0
    assert mailoutbox == []
