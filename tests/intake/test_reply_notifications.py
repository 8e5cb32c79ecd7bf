"""Issue 20, item 5: a citizen's e-mail reply that joins a dossier reaches its handler."""

from __future__ import annotations

import pytest

from midoffice.accounts.models import Role
from midoffice.dossiers import services as dossier_services
from midoffice.dossiers.models import Dossier, Notification
from midoffice.intake import services
from midoffice.intake.models import InboundMessage
from tests.factories import UserFactory
from tests.intake.conftest import make_mail, receive


@pytest.fixture
def source(triage_type):
    return services.mail_source_for(kind="import")


@pytest.fixture
def sofie(triage_type):
    return UserFactory(username="sofie", role=Role.FRONT_DESK, teams=[triage_type.team])


def test_a_reply_by_mail_notifies_the_handler_and_flags_the_dossier(source, sofie):
    first = receive(make_mail(), source)
    dossier = first.dossier
    dossier_services.dossier_assign(actor=sofie, dossier=dossier, assignee=sofie)
    assert Notification.objects.count() == 0

    reply = receive(make_mail(subject=f"Re: [{dossier.reference}] Hier zijn de plannen"), source)

    assert reply.state == InboundMessage.State.LINKED
    notice = Notification.objects.get()
    assert notice.user == sofie
    assert notice.kind == Notification.Kind.CITIZEN_MAIL
    assert notice.dossier_id == dossier.pk
    assert "Hier zijn de plannen" in notice.summary
    assert Dossier.objects.get(pk=dossier.pk).unread_since is not None


def test_a_new_question_is_no_unread_message(source, sofie):
    """A new dossier is new work in the queue already; only replies raise the flag."""
    first = receive(make_mail(), source)

    assert Dossier.objects.get(pk=first.dossier_id).unread_since is None
    assert Notification.objects.count() == 0
