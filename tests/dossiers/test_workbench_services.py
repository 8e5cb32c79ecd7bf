from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from midoffice.accounts.models import Role
from midoffice.core.errors import Conflict, UserError
from midoffice.dossiers import notices, services
from midoffice.dossiers.models import Event, EventKind, ExternalLink, Interaction, PartyView
from midoffice.parties.models import Party
from tests.factories import (
    DossierTypeFactory,
    PartyFactory,
    TeamFactory,
    UserFactory,
    open_dossier,
    triage_type,
)

pytestmark = pytest.mark.django_db


def aware(*args: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime(*args))


def test_open_stores_the_warning_day_from_the_type_threshold(dossier_type):
    # 30 working days, warn at 80 %: 6 working days before the deadline.
    dossier = open_dossier(dossier_type=dossier_type, received_at=aware(2026, 11, 2, 10))
    assert dossier.deadline == dt.date(2026, 12, 15)
    assert dossier.warn_on == dt.date(2026, 12, 7)


def test_warn_days_left_wins_when_it_warns_earlier(team):
    dossier_type = DossierTypeFactory(team=team, calendar_days=True, warn_days_left=20)
    dossier = open_dossier(dossier_type=dossier_type, received_at=aware(2026, 3, 2, 9))
    assert dossier.deadline == dt.date(2026, 4, 1)
    assert dossier.warn_on == dossier.deadline - dt.timedelta(days=20)


def test_extend_once_moves_deadline_rearms_warning_and_records_event(dossier_type, handler):
    dossier = open_dossier(dossier_type=dossier_type, received_at=aware(2026, 11, 2, 10))
    dossier.warning_level = 1
    dossier.save(update_fields=["warning_level"])
    extended = services.dossier_extend(actor=handler, dossier=dossier, reason="Advies nodig")
    assert extended.deadline > dossier.deadline
    assert extended.warning_level == 0
    assert extended.warn_on > dossier.warn_on
    event = extended.events.get(kind=EventKind.EXTENDED)
    assert event.data["reason"] == "Advies nodig"
    with pytest.raises(UserError, match="maar één keer"):
        services.dossier_extend(actor=handler, dossier=extended, reason="Nog eens")


def test_extend_is_refused_when_the_type_does_not_allow_it(team, handler):
    dossier = open_dossier(dossier_type=DossierTypeFactory(team=team, extension_allowed=False))
    with pytest.raises(UserError, match="geen verlenging"):
        services.dossier_extend(actor=handler, dossier=dossier, reason="x")
    with pytest.raises(UserError, match="reden"):
        services.dossier_extend(
            actor=handler,
            dossier=open_dossier(dossier_type=DossierTypeFactory(team=team)),
            reason=" ",
        )


def test_suspend_and_resume_recompute_the_warning_day(dossier_type, handler):
    dossier = open_dossier(dossier_type=dossier_type)
    dossier = services.dossier_change_status(
        actor=handler, dossier=dossier, status_code="wacht-op-burger"
    )
    assert dossier.deadline is None
    assert dossier.warn_on is None
    dossier = services.dossier_change_status(
        actor=handler, dossier=dossier, status_code="in-behandeling"
    )
    assert dossier.deadline is not None
    assert dossier.warn_on <= dossier.deadline


def test_reroute_changes_type_team_status_and_clears_foreign_assignee(dossier_type, handler):
    triage_team = TeamFactory(code="klachten")
    triage = triage_type(team=triage_team)
    dossier = open_dossier(dossier_type=triage)
    triager = UserFactory(teams=[triage_team])
    services.dossier_assign(actor=triager, dossier=dossier, assignee=triager)
    moved = services.dossier_reroute(actor=triager, dossier=dossier, dossier_type=dossier_type)
    assert moved.dossier_type == dossier_type
    assert moved.team == dossier_type.team
    assert moved.assignee is None
    assert moved.status.dossier_type == dossier_type
    event = moved.events.filter(kind=EventKind.STATUS_CHANGED).last()
    assert event.data["rerouted"]
    assert event.data["to_type"] == dossier_type.code
    with pytest.raises(UserError, match="al"):
        services.dossier_reroute(actor=handler, dossier=moved, dossier_type=dossier_type)


def test_link_add_validates_and_refuses_duplicates(dossier_type, handler):
    dossier = open_dossier(dossier_type=dossier_type)
    link = services.dossier_link_add(
        actor=handler,
        dossier=dossier,
        system="Omgevingsloket",
        external_id="OMV_2026_001",
        url="https://omgevingsloket.example/OMV_2026_001",
    )
    assert ExternalLink.objects.get() == link
    assert dossier.events.filter(kind=EventKind.LINK_ADDED).count() == 1
    with pytest.raises(UserError, match="bestaat al"):
        services.dossier_link_add(
            actor=handler, dossier=dossier, system="Omgevingsloket", external_id="OMV_2026_001"
        )
    with pytest.raises(UserError, match="webadres"):
        services.dossier_link_add(
            actor=handler, dossier=dossier, system="X", external_id="1", url="javascript:alert(1)"
        )


def test_front_desk_opens_a_dossier_with_a_new_contact_and_logs_the_call(dossier_type):
    desk = UserFactory(front_desk=True)
    dossier = services.dossier_open_from_contact(
        actor=desk,
        dossier_type=dossier_type,
        subject="Vraag over dakkapel",
        channel="phone",
        summary="Belde over een dakkapel aan de straatkant.",
        new_contact=services.NewContact(
            given_name="Mira", family_name="Peeters", phone="0470 99 88 77"
        ),
    )
    party = Party.objects.get(family_name="Peeters")
    assert dossier.requester == party
    assert dossier.channel == "phone"
    interaction = Interaction.objects.get(dossier=dossier)
    assert interaction.channel == "phone"
    assert interaction.party == party
    assert [e.kind for e in dossier.events.all()] == [EventKind.OPENED, EventKind.INTERACTION]


def test_front_desk_refuses_bad_input(dossier_type):
    desk = UserFactory(front_desk=True)
    with pytest.raises(UserError, match="telefoon of loket"):
        services.dossier_open_from_contact(
            actor=desk,
            dossier_type=dossier_type,
            subject="x",
            channel="email",
            summary="x",
            party=PartyFactory(),
        )
    with pytest.raises(UserError, match="naam"):
        services.dossier_open_from_contact(
            actor=desk,
            dossier_type=dossier_type,
            subject="x",
            channel="counter",
            summary="x",
            new_contact=services.NewContact(),
        )
    with pytest.raises(UserError, match="telefoonnummer"):
        services.dossier_open_from_contact(
            actor=desk,
            dossier_type=dossier_type,
            subject="x",
            channel="counter",
            summary="x",
            new_contact=services.NewContact(family_name="A", phone="12"),
        )


def test_round_robin_skips_absent_staff(team, dossier_type):
    team.auto_assign = "round_robin"
    team.save()
    a = UserFactory(teams=[team])
    absent = UserFactory(teams=[team], is_absent=True)
    b = UserFactory(teams=[team])
    UserFactory(teams=[team], role=Role.FRONT_DESK)
    got = [open_dossier(dossier_type=dossier_type).assignee for _ in range(4)]
    assert got == [a, b, a, b]
    assert absent not in got
    first = Event.objects.filter(kind=EventKind.ASSIGNED).first()
    assert first.data["auto"] == "round_robin"


def test_least_loaded_picks_the_member_with_fewest_open_dossiers(team, dossier_type):
    busy = UserFactory(teams=[team])
    calm = UserFactory(teams=[team])
    for _ in range(2):
        services.dossier_assign(
            actor=None, dossier=open_dossier(dossier_type=dossier_type), assignee=busy
        )
    team.auto_assign = "least_loaded"
    team.save()
    assert open_dossier(dossier_type=dossier_type).assignee == calm
    assert open_dossier(dossier_type=dossier_type).assignee == calm
    assert open_dossier(dossier_type=dossier_type).assignee in (busy, calm)


def test_take_twice_gives_a_clear_conflict(dossier_type, handler):
    dossier = open_dossier(dossier_type=dossier_type)
    other = UserFactory(teams=[dossier_type.team], first_name="Jan", last_name="Claes")
    services.dossier_take(actor=other, dossier=dossier)
    with pytest.raises(Conflict, match="Jan Claes"):
        services.dossier_take(actor=handler, dossier=dossier)


def test_views_are_audited(dossier_type, handler):
    dossier = open_dossier(dossier_type=dossier_type)
    party = PartyFactory()
    notices.dossier_record_view(actor=handler, dossier=dossier)
    notices.party_record_view(actor=handler, party=party)
    assert dossier.events.filter(kind=EventKind.VIEWED, actor=handler).count() == 1
    assert PartyView.objects.filter(party=party, actor=handler).count() == 1


def test_notifications_are_marked_read(dossier_type, handler):
    from midoffice.dossiers.models import Notification

    dossier = open_dossier(dossier_type=dossier_type)
    for kind in Notification.Kind.values:
        Notification.objects.create(
            user=handler, dossier=dossier, kind=kind, created_at=timezone.now()
        )
    assert notices.notification_mark_read(user=handler) == len(Notification.Kind.values)
    assert notices.notification_mark_read(user=handler) == 0
