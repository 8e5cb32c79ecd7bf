from __future__ import annotations

import re
from datetime import date, datetime

import pytest
from django.utils import timezone

from midoffice.core.errors import Conflict, UserError
from midoffice.dossiers import services, workflow
from midoffice.dossiers.models import AppendOnlyError, Event, EventKind, StatusChange
from tests.factories import DossierTypeFactory, PartyFactory, UserFactory, open_dossier

pytestmark = pytest.mark.django_db


def test_open_gives_number_status_deadline_and_event(dossier_type, handler):
    requester = PartyFactory()
    received = timezone.make_aware(datetime(2026, 11, 2, 10, 0))  # a Monday
    dossier = open_dossier(
        dossier_type=dossier_type, actor=handler, requester=requester, received_at=received
    )
    assert re.fullmatch(r"2026-\d{6}", dossier.reference)
    assert dossier.status.code == "ontvangen"
    assert dossier.team == dossier_type.team
    # 30 working days after 2 Nov 2026; 11 Nov (Armistice) is a holiday in between.
    assert dossier.deadline == date(2026, 12, 15)
    assert [e.kind for e in dossier.events.all()] == [EventKind.OPENED]
    assert dossier.parties.get().party == requester


def test_references_count_up_per_year(dossier_type):
    first = open_dossier(dossier_type=dossier_type)
    second = open_dossier(dossier_type=dossier_type)
    assert int(second.reference[5:]) == int(first.reference[5:]) + 1
    other_year = open_dossier(
        dossier_type=dossier_type, received_at=timezone.make_aware(datetime(2027, 1, 4, 9))
    )
    assert other_year.reference == "2027-000001"


def test_empty_subject_is_refused(dossier_type):
    with pytest.raises(UserError, match="onderwerp"):
        open_dossier(dossier_type=dossier_type, subject="   ")


def test_status_change_follows_the_workflow_table(dossier_type, handler):
    dossier = open_dossier(dossier_type=dossier_type)
    dossier = services.dossier_change_status(
        actor=handler, dossier=dossier, status_code="in-behandeling"
    )
    assert dossier.phase == "in_progress"
    with pytest.raises(UserError, match="resultaat"):
        services.dossier_change_status(actor=handler, dossier=dossier, status_code="afgesloten")
    dossier = services.dossier_change_status(
        actor=handler, dossier=dossier, status_code="afgesloten", result_code="beantwoord"
    )
    assert not dossier.is_open
    assert dossier.closed_at
    with pytest.raises(UserError, match="kan het dossier niet"):
        services.dossier_change_status(actor=handler, dossier=dossier, status_code="in-behandeling")
    assert [s.to_status.code for s in StatusChange.objects.filter(dossier=dossier)] == [
        "ontvangen",
        "in-behandeling",
        "afgesloten",
    ]


def test_unknown_status_is_a_user_error(dossier_type):
    dossier = open_dossier(dossier_type=dossier_type)
    with pytest.raises(UserError):
        services.dossier_change_status(actor=None, dossier=dossier, status_code="bestaat-niet")


def test_waiting_suspends_and_resuming_moves_the_deadline(dossier_type, handler, monkeypatch):
    from midoffice.core import clock

    received = timezone.make_aware(datetime(2026, 11, 2, 10, 0))
    dossier = open_dossier(dossier_type=dossier_type, received_at=received)
    original = dossier.deadline
    monkeypatch.setattr(clock, "today", lambda: date(2026, 11, 9))
    dossier = services.dossier_change_status(
        actor=handler, dossier=dossier, status_code="wacht-op-burger"
    )
    assert dossier.deadline is None
    assert dossier.suspended_since == date(2026, 11, 9)
    monkeypatch.setattr(clock, "today", lambda: date(2026, 11, 16))
    dossier = services.dossier_change_status(
        actor=handler, dossier=dossier, status_code="in-behandeling"
    )
    assert dossier.suspended_since is None
    assert dossier.deadline > original
    kinds = list(dossier.events.values_list("kind", flat=True))
    assert EventKind.SUSPENDED in kinds
    assert EventKind.RESUMED in kinds


def test_taking_twice_gives_a_clear_conflict(dossier_type, team):
    first, second = UserFactory(teams=[team]), UserFactory(teams=[team])
    dossier = open_dossier(dossier_type=dossier_type)
    services.dossier_take(actor=first, dossier=dossier)
    with pytest.raises(Conflict, match="net genomen"):
        services.dossier_take(actor=second, dossier=dossier)
    assert Event.objects.filter(dossier=dossier, kind=EventKind.ASSIGNED).count() == 1


def test_history_is_append_only(dossier_type):
    dossier = open_dossier(dossier_type=dossier_type)
    event = dossier.events.get()
    event.summary = "herschreven"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()


def test_workflow_table_closed_is_final():
    assert workflow.allowed_phases("closed") == frozenset()
    assert workflow.transition_allowed("new", "in_progress")
    assert not workflow.transition_allowed("waiting", "waiting")


def test_interaction_is_logged_on_the_timeline(dossier_type, handler):
    dossier = open_dossier(dossier_type=dossier_type)
    services.interaction_log(
        actor=handler,
        dossier=dossier,
        party=None,
        channel="phone",
        direction="out",
        summary="Burger gebeld: afspraak aangeraden",
    )
    assert dossier.events.filter(kind=EventKind.INTERACTION).count() == 1
    with pytest.raises(UserError):
        services.interaction_log(
            actor=handler, dossier=dossier, party=None, channel="fax", direction="out", summary="x"
        )


def test_confidential_dossier_is_hidden_from_other_teams_and_front_desk(team):
    from midoffice.core.errors import NotFound
    from midoffice.dossiers.selectors import dossier_get_for_user

    secret = open_dossier(dossier_type=DossierTypeFactory(team=team, confidential_type=True))
    member = UserFactory(teams=[team])
    outsider = UserFactory()
    desk = UserFactory(front_desk=True)
    assert dossier_get_for_user(user=member, reference=secret.reference) == secret
    for user in (outsider, desk):
        with pytest.raises(NotFound):
            dossier_get_for_user(user=user, reference=secret.reference)
    plain = open_dossier(dossier_type=DossierTypeFactory(team=team))
    assert dossier_get_for_user(user=desk, reference=plain.reference) == plain
    with pytest.raises(NotFound):
        dossier_get_for_user(user=outsider, reference=plain.reference)


def test_a_status_with_its_own_term_gets_a_status_deadline(dossier_type, handler, monkeypatch):
    from midoffice.catalog.models import StatusType
    from midoffice.core import clock

    StatusType.objects.filter(dossier_type=dossier_type, code="beantwoord").update(max_days=10)
    dossier = open_dossier(dossier_type=dossier_type)
    assert dossier.status_deadline is None
    monkeypatch.setattr(clock, "today", lambda: date(2026, 11, 2))  # a Monday
    dossier = services.dossier_change_status(
        actor=handler, dossier=dossier, status_code="beantwoord"
    )
    assert dossier.status_deadline == date(2026, 11, 17)  # 10 working days, 11 Nov excluded
    dossier = services.dossier_change_status(
        actor=handler, dossier=dossier, status_code="in-behandeling"
    )
    assert dossier.status_deadline is None


def test_staff_read_the_status_name_the_citizen_reads_her_wording(db):
    """Issue 20 #10: staff timeline lines used the citizen's wording ("Je vraag is in
    behandeling"); staff now read the status's name, the portal keeps the citizen text."""
    from midoffice.catalog.models import Phase, StatusType
    from midoffice.dossiers import services as dossier_services
    from tests.factories import open_dossier

    dossier = open_dossier()
    StatusType.objects.filter(dossier_type=dossier.dossier_type, code="in-behandeling").update(
        citizen_text="Je vraag is in behandeling.", notify_citizen=True
    )
    dossier_services.dossier_change_status(
        actor=None, dossier=dossier, status_code="in-behandeling"
    )
    event = dossier.events.order_by("-id").first()
    assert event.summary == "Status: In behandeling"
    assert event.data["citizen_text"] == "Je vraag is in behandeling."
    assert Phase.NEW.label == "Ontvangen"  # one name per status: the phase says it too
