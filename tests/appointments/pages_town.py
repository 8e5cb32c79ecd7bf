"""A town for the appointment pages' tests (views and browser): a town hall with an
ordinary and a hybrid room, a building-advice service in three modes, a handler with
hours, and a small question tree ("what do you want to do?" → "do you have plans?")
with an information page for what can be done online."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from midoffice.accounts.models import Team, User
from midoffice.appointments.models import (
    BookingAnswer,
    BookingQuestion,
    BookingRule,
    InfoPage,
    Location,
    Room,
    Service,
)
from midoffice.catalog.models import DossierType
from midoffice.dossiers.models import Dossier
from midoffice.parties.models import Party
from midoffice.parties.services import party_create
from tests.appointments.factories import give_hours, make_location, make_room, make_service
from tests.factories import DossierTypeFactory, TeamFactory, UserFactory, open_dossier


@dataclass
class PagesTown:
    team: Team
    dossier_type: DossierType
    hall: Location
    room: Room
    hybrid_room: Room
    service: Service
    sofie: User
    front_desk: User
    emma: Party
    lucas: Party
    dossier: Dossier


def question_tree(service: Service, dossier_type: DossierType) -> None:
    wat = BookingQuestion.objects.create(order=1, code="wat", text="Wat wil je doen?")
    verbouwen = BookingAnswer.objects.create(
        question=wat, order=1, code="verbouwen", text="Verbouwen of bouwen"
    )
    BookingAnswer.objects.create(
        question=wat, order=2, code="identiteitskaart", text="Een identiteitskaart aanvragen"
    )
    verbouwen.implied_by_types.add(dossier_type)
    plannen = BookingQuestion.objects.create(
        order=2,
        code="plannen",
        text="Heb je al plannen van een architect?",
        help_text="Plannen helpen ons om je vraag goed te beantwoorden.",
        ask_if=verbouwen,
    )
    ja = BookingAnswer.objects.create(question=plannen, order=1, code="ja", text="Ja")
    BookingAnswer.objects.create(question=plannen, order=2, code="nee", text="Nog niet")
    online = InfoPage.objects.create(
        slug="eid-online",
        title="Dit kan je online",
        body="Een identiteitskaart vraag je aan via het e-loket. Je hoeft er niet voor langs te komen.",
        link_url="https://www.leemdonk.example/e-loket",
        link_text="Naar het e-loket",
    )
    rule = BookingRule.objects.create(order=1, info_page=online)
    rule.answers.set([BookingAnswer.objects.get(code="identiteitskaart")])
    rule = BookingRule.objects.create(order=2, service=service)
    rule.answers.set([ja])
    BookingRule.objects.create(order=9, service=service)  # the fallback


def pages_town(
    *,
    weekdays: range | list[int] = range(5),
    start: dt.time = dt.time(9),
    end: dt.time = dt.time(12),
) -> PagesTown:
    team = TeamFactory(code="omgeving", name="Omgeving")
    dossier_type = DossierTypeFactory(
        team=team, code="info-verbouwen", name="Informatievraag verbouwen"
    )
    hall = make_location("gemeentehuis", "Gemeentehuis Leemdonk")
    hall.street, hall.number, hall.postcode, hall.municipality = "Markt", "1", "2640", "Leemdonk"
    hall.save()
    room = make_room(hall, "Spreekkamer 1", capacity=4)
    hybrid_room = make_room(hall, "Raadzaal", capacity=12, hybrid=True)
    sofie = UserFactory(
        username="sofie",
        first_name="Sofie",
        last_name="Peeters",
        teams=[team],
        email="sofie@leemdonk.example",
    )
    give_hours(sofie, hall, weekdays=weekdays, start=start, end=end)
    service = make_service(
        team,
        code="bouwadvies",
        name="Bouwadvies",
        duration=45,
        modes=["physical", "digital", "hybrid"],
        staff=[sofie],
        dossier_type=dossier_type,
        step=15,
        notice_hours=0,
    )
    service.description = "Een architect van de gemeente bekijkt met jou wat mag."
    service.save()
    service.dossier_types.add(dossier_type)
    question_tree(service, dossier_type)
    front_desk = UserFactory(
        username="onthaal", first_name="Olivia", last_name="Onthaal", front_desk=True
    )
    emma = party_create(
        given_name="Emma", family_name="De Smet", email="emma@voorbeeld.example", phone="0470123456"
    )
    lucas = party_create(given_name="Lucas", family_name="Peeters", email="lucas@voorbeeld.example")
    dossier = open_dossier(
        dossier_type=dossier_type,
        requester=emma,
        subject="Wat mogen we doen bij de renovatie van ons huis?",
    )
    return PagesTown(
        team=team,
        dossier_type=dossier_type,
        hall=hall,
        room=room,
        hybrid_room=hybrid_room,
        service=service,
        sofie=sofie,
        front_desk=front_desk,
        emma=emma,
        lucas=lucas,
        dossier=dossier,
    )
