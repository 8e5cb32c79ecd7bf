"""No citizen's name, e-mail address, national number, address or free text in the feed.

A seeded database (the demo town plus a town with notes, an appointment with a remark
and answers, subjects that name people) is read whole: every entity set, every page,
every navigation expanded, and ``$metadata``. None of the citizens' data may appear.
"""

from __future__ import annotations

import pytest

from midoffice.accounts.models import User
from midoffice.analytics.odata.entities import entity_sets
from midoffice.appointments.models import Appointment
from midoffice.dossiers.models import Dossier, Event
from midoffice.dossiers.services import dossier_add_note
from midoffice.parties.models import ContactPoint, Party
from midoffice.web.demo import load_demo_data
from tests.analytics.odata_support import Feed, body, new_key, town

pytestmark = pytest.mark.django_db


def _whole_feed(feed: Feed) -> str:
    """Every byte the feed serves for this database."""
    parts = [body(feed.get("/odata/")), body(feed.get("$metadata"))]
    for name in entity_sets():
        path = name
        params = {"$expand": "*"}
        while True:
            response = feed.get(path, params)
            assert response.status_code == 200, name
            text = body(response)
            parts.append(text)
            marker = '"@odata.nextLink":"'
            if marker not in text:
                break
            path = text.split(marker, 1)[1].split('"', 1)[0].removeprefix("http://testserver")
            params = {}
    return "\n".join(parts)


def _citizens_data() -> set[str]:
    forbidden: set[str] = set()
    for party in Party.objects.all():
        for value in (
            party.display_name,
            party.given_name,
            party.family_name,
            party.organisation_name,
            party.insz,
            party.kbo,
        ):
            if value and len(value.strip()) >= 3:
                forbidden.add(value.strip())
    for point in ContactPoint.objects.all():
        for value in (point.value, point.street):
            if value:
                forbidden.add(value)
    for subject, description in Dossier.objects.values_list("subject", "description"):
        forbidden.update(v for v in (subject, description) if v)
    for appointment in Appointment.objects.all():
        forbidden.add(appointment.remark)
        # Answers are mostly codes of the question tree ("ja", "verbouwen"); the long ones
        # are what a citizen typed.
        forbidden.update(str(v) for v in appointment.answers.values() if len(str(v)) >= 12)
    return {value for value in forbidden if value}


def test_the_whole_feed_holds_no_citizen_data(settings):
    settings.ODATA_PAGE_SIZE = 7
    load_demo_data()
    t = town(extra_dossiers=3)
    dossier_add_note(
        actor=t.sofie,
        dossier=t.on_time,
        text="Gebeld met Emmanuella Vandervelde op 0470 99 88 77 over haar garage",
    )
    forbidden = _citizens_data()
    # The check is not vacuous: the data is really in the database, and in the events.
    assert {"Emmanuella", "Vandervelde", "85073003328", "De Smet", "Kastanjedreef"} <= forbidden
    assert "emmanuella.vandervelde@voorbeeld.example" in forbidden
    assert "Karolien Opdebeeck komt ook" in forbidden
    assert Event.objects.filter(summary__contains="Vandervelde").exists()
    assert Event.objects.filter(kind="dossier.note_added").exists()

    text = _whole_feed(Feed(new_key())).casefold()
    found = sorted(value for value in forbidden if value.casefold() in text)
    assert found == []
    assert "0470 99 88 77" not in text
    # Staff are ids unless the town turns names on.
    for user in User.objects.filter(username__in=["sofie", "lotte", "t-sofie", "t-lotte"]):
        assert f"{user.first_name} {user.last_name}".casefold() not in text


def test_staff_names_only_when_the_town_turns_them_on(settings):
    t = town()
    feed = Feed(new_key())
    assert "Name" not in feed.json(f"Staff({t.lotte.pk})")
    settings.ODATA_STAFF_NAMES = True
    assert feed.json(f"Staff({t.lotte.pk})")["Name"] == "Lotte Lemmens"
