"""Issue 20, item 5: *Mijn werk* and the team queue mark a dossier with a message its
handler has not read ("nieuw bericht", in text); opening the dossier clears it."""

from __future__ import annotations

import pytest

from midoffice.dossiers import notices, services
from midoffice.dossiers.models import Dossier
from tests.factories import UserFactory, open_dossier

pytestmark = pytest.mark.django_db

MARK = ">nieuw bericht</strong>"


def test_my_work_and_the_queue_flag_a_new_message_until_the_handler_opens_it(
    client, dossier_type, handler, django_assert_max_num_queries
):
    quiet = open_dossier(dossier_type=dossier_type, subject="Stille vraag")
    replied = open_dossier(dossier_type=dossier_type, subject="Vraag met antwoord")
    for dossier in (quiet, replied):
        services.dossier_assign(actor=handler, dossier=dossier, assignee=handler)
    notices.dossier_citizen_message(dossier=replied, channel="email", summary="Re: vraag")
    client.force_login(handler)

    client.get("/")  # a first view reads the names of types and colleagues (core.memo)
    with django_assert_max_num_queries(10):
        home = client.get("/").content.decode()

    assert home.count(MARK) == 1
    row = home[home.index(replied.reference) :]
    assert row.index(MARK) < row.index("Vraag met antwoord")
    assert "Nieuw bericht <strong>1</strong>" in home
    queue = client.get(f"/wachtrij/{dossier_type.team.code}/").content.decode()
    assert queue.count(MARK) == 1

    # A colleague who looks does not clear it; the handler who opens it does.
    lead = UserFactory(teams=[dossier_type.team])
    client.force_login(lead)
    client.get(f"/dossiers/{replied.reference}/")
    assert Dossier.objects.get(pk=replied.pk).unread_since is not None
    client.force_login(handler)
    client.get(f"/dossiers/{replied.reference}/")

    home = client.get("/").content.decode()
    assert MARK not in home
    assert "Nieuw bericht <strong>0</strong>" in home


def test_an_unassigned_dossier_with_a_new_message_is_flagged_for_the_team(
    client, dossier_type, handler
):
    dossier = open_dossier(dossier_type=dossier_type, subject="Niemand heeft dit")
    notices.dossier_citizen_message(dossier=dossier, channel="portal", summary="Nog iets")
    client.force_login(handler)

    queue = client.get(f"/wachtrij/{dossier_type.team.code}/").content.decode()
    home = client.get("/").content.decode()
    notices_page = client.get("/meldingen/").content.decode()

    assert queue.count(MARK) == 1
    unassigned = home[home.index("Nog niet toegewezen in mijn teams") :]
    assert unassigned.count(MARK) == 1
    assert "Nieuwe vraag via het portaal" in notices_page
    assert "Nog iets" in notices_page


def test_opening_a_dossier_marks_its_notices_read_and_the_badge_follows_at_once(
    client, dossier_type, handler
):
    """The unread count is asked once per request (the menu's badge); the dossier page
    asks it before marking the dossier's notices read, and counts again after."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    first = open_dossier(dossier_type=dossier_type, subject="Eerste")
    second = open_dossier(dossier_type=dossier_type, subject="Tweede")
    for dossier in (first, second):
        services.dossier_assign(actor=handler, dossier=dossier, assignee=handler)
        notices.dossier_citizen_message(dossier=dossier, channel="email", summary="Re: vraag")
    client.force_login(handler)
    badge = '<span class="count">{}<span class="visually-hidden"> ongelezen</span>'

    page = client.get(f"/dossiers/{first.reference}/").content.decode()
    assert badge.format(1) in page  # the other dossier's notice is still unread
    page = client.get(f"/dossiers/{second.reference}/").content.decode()
    assert 'class="count"' not in page

    # Nothing unread: opening a dossier marks nothing (no UPDATE of the notices).
    with CaptureQueriesContext(connection) as captured:
        assert client.get(f"/dossiers/{first.reference}/").status_code == 200
    updates = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("UPDATE")]
    assert not [q for q in updates if "dossiers_notification" in q]
