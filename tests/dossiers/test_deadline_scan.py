from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from midoffice.core.schedule import PERIODIC_JOBS
from midoffice.dossiers import services
from midoffice.dossiers.deadline_scan import deadline_scan
from midoffice.dossiers.models import Dossier, EventKind, Notification
from midoffice.dossiers.tasks import deadline_digest_send
from tests.factories import UserFactory, open_dossier

pytestmark = pytest.mark.django_db

RECEIVED = timezone.make_aware(dt.datetime(2026, 11, 2, 10))  # deadline 15 Dec, warn 7 Dec


@pytest.fixture
def lead(team):
    return UserFactory(teams=[team], team_lead=True, email="lotte@leemdonk.example")


@pytest.fixture
def dossier(dossier_type, handler):
    d = open_dossier(dossier_type=dossier_type, received_at=RECEIVED)
    return services.dossier_assign(actor=None, dossier=d, assignee=handler)


def test_nothing_happens_before_the_warning_day(dossier, lead):
    assert deadline_scan(today=dt.date(2026, 12, 4)).warned == 0
    assert Notification.objects.count() == 0


def test_warning_once_for_handler_and_team_lead(dossier, handler, lead):
    result = deadline_scan(today=dt.date(2026, 12, 7))
    assert (result.warned, result.overdue, result.notifications) == (1, 0, 2)
    assert set(Notification.objects.values_list("user_id", "kind")) == {
        (handler.pk, "deadline_warning"),
        (lead.pk, "deadline_warning"),
    }
    assert dossier.events.filter(kind=EventKind.DEADLINE_WARNING).count() == 1
    # Scanning again the same or the next day sends nothing new.
    assert deadline_scan(today=dt.date(2026, 12, 8)).warned == 0
    assert Notification.objects.count() == 2
    assert Dossier.objects.get(pk=dossier.pk).warning_level == 1


def test_overdue_once_and_not_doubled_with_a_warning(dossier, handler, lead):
    result = deadline_scan(today=dt.date(2026, 12, 16))
    assert (result.warned, result.overdue) == (0, 1)
    assert deadline_scan(today=dt.date(2026, 12, 17)).overdue == 0
    kinds = list(
        dossier.events.filter(kind__startswith="dossier.deadline").values_list("kind", flat=True)
    )
    assert kinds == [EventKind.DEADLINE_OVERDUE]
    assert Notification.objects.filter(kind="deadline_overdue").count() == 2


def test_a_handler_who_is_team_lead_gets_one_notice(dossier_type):
    lead = UserFactory(teams=[dossier_type.team], team_lead=True)
    d = open_dossier(dossier_type=dossier_type, received_at=RECEIVED)
    services.dossier_assign(actor=None, dossier=d, assignee=lead)
    assert deadline_scan(today=dt.date(2026, 12, 7)).notifications == 1


def test_moving_the_deadline_rearms_the_warning(dossier, handler):
    deadline_scan(today=dt.date(2026, 12, 7))
    extended = services.dossier_extend(actor=handler, dossier=dossier, reason="Advies")
    assert extended.warning_level == 0
    assert deadline_scan(today=dt.date(2026, 12, 7)).warned == 0  # new warn day is later
    assert deadline_scan(today=extended.warn_on).warned == 1


def test_closed_and_suspended_dossiers_are_skipped(dossier, handler):
    services.dossier_change_status(actor=handler, dossier=dossier, status_code="wacht-op-burger")
    assert deadline_scan(today=dt.date(2027, 6, 1)).overdue == 0


def test_daily_digest_mails_each_person_once(dossier, handler, lead):
    handler.email = "sofie@leemdonk.example"
    handler.save()
    deadline_scan(today=dt.date(2026, 12, 7))
    assert deadline_digest_send() == 2
    assert sorted(m.to[0] for m in mail.outbox) == [
        "lotte@leemdonk.example",
        "sofie@leemdonk.example",
    ]
    assert dossier.reference in mail.outbox[0].body
    assert deadline_digest_send() == 0


def test_scan_and_digest_are_registered_periodic_jobs():
    names = {job.name: job.task for job in PERIODIC_JOBS}
    assert names["deadline-scan"] == "midoffice.dossiers.tasks.deadline_scan_task"
    assert names["deadline-digest"] == "midoffice.dossiers.tasks.deadline_digest_task"
