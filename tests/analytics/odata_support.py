"""Helpers for the OData feed tests: a token, requests with it, a small town with known
outcomes (dossiers closed on time and late, open, overdue, an appointment)."""

from __future__ import annotations

import base64
import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.test import Client

from midoffice.accounts.models import Role, Team, User
from midoffice.analytics.odata.tokens import odata_token_create
from midoffice.appointments.models import Appointment, AppointmentStatus, Mode
from midoffice.catalog.models import DayUnit, DossierType
from midoffice.core import clock
from midoffice.dossiers.models import Dossier
from midoffice.dossiers.services import dossier_assign, dossier_change_status
from midoffice.parties.models import Party
from midoffice.parties.services import party_create
from tests.appointments.factories import make_location, make_room, make_service
from tests.factories import DossierTypeFactory, TeamFactory, UserFactory, open_dossier

BRUSSELS = ZoneInfo("Europe/Brussels")


def basic(key: str, user: str = "powerbi") -> dict[str, str]:
    raw = base64.b64encode(f"{user}:{key}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {raw}"}


def new_key(name: str = "Power BI") -> str:
    _, key = odata_token_create(name=name, actor=None)
    return key


class Feed:
    """A Django test client that reads the feed with one token."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.client = Client()

    def get(self, path: str, params: dict[str, Any] | None = None, **headers: str) -> Any:
        url = path if path.startswith("/") else f"/odata/{path}"
        return self.client.get(url, params or {}, **basic(self.key), **headers)

    def json(self, path: str, params: dict[str, Any] | None = None, **headers: str) -> Any:
        response = self.get(path, params, **headers)
        assert response.status_code == 200, (response.status_code, body(response)[:500])
        return json.loads(body(response))

    def all_rows(self, path: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Every row of a collection, following @odata.nextLink to the end."""
        page = self.json(path, params)
        rows = list(page["value"])
        seen = 0
        while "@odata.nextLink" in page:
            seen += 1
            assert seen < 1000, "the next links never end"
            link = page["@odata.nextLink"]
            assert link.startswith("http://testserver/odata/"), link
            page = self.json(link.removeprefix("http://testserver"))
            rows.extend(page["value"])
        return rows


def body(response: Any) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


def local(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=BRUSSELS)


@dataclass
class Town:
    """What ``town()`` made, with the outcomes the tests expect."""

    omgeving: Team
    burgerzaken: Team
    info: DossierType  # 10 working days, team Omgeving
    attest: DossierType  # 5 calendar days, team Burgerzaken
    sofie: User
    jan: User
    lotte: User
    on_time: Dossier  # closed 2 working days after receipt
    late: Dossier  # closed after its deadline
    open_assigned: Dossier
    overdue: Dossier
    citizens: list[Party] = field(default_factory=list)
    subjects: list[str] = field(default_factory=list)
    appointment: Appointment | None = None


def town(*, extra_dossiers: int = 0) -> Town:
    """A small town: two teams, two types, three staff, citizens, dossiers, an appointment."""
    omgeving = TeamFactory(code="omgeving", name="Omgeving")
    burgerzaken = TeamFactory(code="burgerzaken", name="Burgerzaken")
    info = DossierTypeFactory(
        code="odata-info",
        name="Informatievraag verbouwen (test)",
        team=omgeving,
        processing_days=10,
    )
    attest = DossierTypeFactory(
        code="odata-attest",
        name="Attest burgerzaken (test)",
        team=burgerzaken,
        processing_days=5,
        day_unit=DayUnit.CALENDAR,
    )
    sofie = UserFactory(username="t-sofie", first_name="Sofie", last_name="Smet", teams=[omgeving])
    jan = UserFactory(username="t-jan", first_name="Jan", last_name="Peeters", teams=[burgerzaken])
    lotte = UserFactory(
        username="t-lotte",
        first_name="Lotte",
        last_name="Lemmens",
        role=Role.TEAM_LEAD,
        teams=[omgeving, burgerzaken],
    )
    emma = party_create(
        given_name="Emmanuella",
        family_name="Vandervelde",
        insz="85073003328",
        email="emmanuella.vandervelde@voorbeeld.example",
    )
    karel = party_create(
        given_name="Karolien",
        family_name="Opdebeeck",
        email="karolien.opdebeeck@voorbeeld.example",
    )
    subjects = [
        "Mag ik de garage van Emmanuella Vandervelde verbouwen",
        "Attest gezinssamenstelling voor Karolien Opdebeeck",
        "Aanvraag attest woonst Kerkstraat 12",
        "Dakkapel Molenstraat zonder vergunning",
    ]
    # Monday 3 March 2025: 10 working days later is Monday 17 March.
    received = local(dt.date(2025, 3, 3), 9)
    on_time = open_dossier(
        dossier_type=info, subject=subjects[0], requester=emma, received_at=received
    )
    late = open_dossier(
        dossier_type=info,
        subject=subjects[3],
        requester=karel,
        received_at=received,
        channel="portal",
    )
    with clock.frozen_at(local(dt.date(2025, 3, 5), 15)):
        dossier_change_status(
            actor=None, dossier=on_time, status_code="afgesloten", result_code="beantwoord"
        )
    with clock.frozen_at(local(dt.date(2025, 3, 25), 11)):
        dossier_change_status(
            actor=None, dossier=late, status_code="afgesloten", result_code="beantwoord"
        )
    open_assigned = open_dossier(
        dossier_type=attest, subject=subjects[1], requester=karel, channel="phone"
    )
    dossier_assign(actor=None, dossier=open_assigned, assignee=jan)
    overdue = open_dossier(
        dossier_type=info,
        subject=subjects[2],
        requester=emma,
        received_at=local(dt.date(2024, 1, 8)),
        channel="counter",
    )
    for n in range(extra_dossiers):
        open_dossier(
            dossier_type=attest if n % 2 else info,
            subject=f"Vraag nummer {n}",
            requester=emma,
            channel="email",
        )
    location = make_location(code="odata-huis", name="Testhuis")
    room = make_room(location, "Testzaal")
    service = make_service(omgeving, code="odata-advies", staff=[sofie], dossier_type=info)
    start = local(dt.date(2025, 3, 10), 10)
    appointment = Appointment.objects.create(
        service=service,
        dossier=late,
        party=emma,
        mode=Mode.PHYSICAL,
        start=start,
        end=start + dt.timedelta(minutes=45),
        busy_until=start + dt.timedelta(minutes=45),
        staff=sofie,
        location=location,
        room=room,
        status=AppointmentStatus.ARRIVED,
        remark="Ik breng de plannen van Emmanuella Vandervelde mee",
        answers={"vraag": "Karolien Opdebeeck komt ook"},
    )
    for dossier in (on_time, late, open_assigned, overdue):
        dossier.refresh_from_db()
    return Town(
        omgeving=omgeving,
        burgerzaken=burgerzaken,
        info=info,
        attest=attest,
        sofie=sofie,
        jan=jan,
        lotte=lotte,
        on_time=on_time,
        late=late,
        open_assigned=open_assigned,
        overdue=overdue,
        citizens=[emma, karel],
        subjects=subjects,
        appointment=appointment,
    )
