"""Booking, moving, cancelling, arrived / not come: the rules, the timeline, the citizen."""

from __future__ import annotations

import datetime as dt

import pytest

from midoffice.accounts.models import Role
from midoffice.appointments import services
from midoffice.appointments.models import (
    Appointment,
    AppointmentStatus,
    BookingAnswer,
    BookingQuestion,
    ParticipantKind,
)
from midoffice.appointments.services import Guest
from midoffice.core import clock
from midoffice.core.errors import Conflict, Forbidden, UserError
from midoffice.dossiers.models import Dossier, EventKind
from midoffice.parties.models import Party
from midoffice.parties.services import party_create
from tests.appointments.factories import give_hours, local, make_location, make_room, make_service
from tests.factories import DossierTypeFactory, PartyFactory, UserFactory, open_dossier

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2027, 1, 11)
TUESDAY = MONDAY + dt.timedelta(days=1)


@pytest.fixture(autouse=True)
def now():
    with clock.frozen_at(local(MONDAY, 8)):
        yield


@pytest.fixture
def sent(monkeypatch):
    """What was handed to the invitations (appt-ical's module), per call."""
    calls: list[tuple[int, int, str, list[str]]] = []

    def record(appointment, *, previous_participants=None):
        calls.append(
            (
                appointment.pk,
                appointment.sequence,
                appointment.status,
                [p.email for p in previous_participants or []],
            )
        )

    monkeypatch.setattr(services, "invitations_enqueue", record)
    return calls


class Town:
    def __init__(self, team, dossier_type) -> None:
        self.hall = make_location()
        self.room = make_room(self.hall, "Spreekkamer", capacity=4)
        self.raadzaal = make_room(self.hall, "Raadzaal", capacity=20, hybrid=True)
        self.sofie = UserFactory(username="sofie-a", teams=[team], email="sofie@leemdonk.example")
        self.jan = UserFactory(teams=[team], email="jan@leemdonk.example")
        give_hours(self.sofie, self.hall, weekdays=[1], start=dt.time(9), end=dt.time(12))
        self.service = make_service(
            team,
            modes=["physical", "digital", "hybrid"],
            staff=[self.sofie],
            dossier_type=dossier_type,
            duration=45,
            buffer=15,
        )
        self.emma = party_create(
            given_name="Emma", family_name="De Smet", email="emma@voorbeeld.example"
        )
        self.dossier = open_dossier(dossier_type=dossier_type, requester=self.emma)


@pytest.fixture
def town(team, dossier_type):
    return Town(team, dossier_type)


def _book(town, *, start=None, mode="physical", actor=None, **kwargs):
    return services.appointment_book(
        actor=actor,
        service=town.service,
        mode=mode,
        start=start or local(TUESDAY, 10),
        **{"dossier": town.dossier, **kwargs},
    )


def test_a_booking_on_a_dossier(town, sent):
    appointment = _book(town, guests=[Guest(name="Pieter Claes", email="Pieter@Architect.example")])
    assert appointment.staff == town.sofie
    assert appointment.room == town.room  # not the hybrid room: that stays free
    assert appointment.location == town.hall
    assert appointment.party == town.emma
    assert appointment.end - appointment.start == dt.timedelta(minutes=45)
    assert appointment.busy_until - appointment.end == dt.timedelta(minutes=15)
    assert (appointment.sequence, appointment.status, appointment.video_url) == (0, "booked", "")
    people = [(p.kind, p.name, p.email) for p in appointment.participants.order_by("id")]
    assert people == [
        (ParticipantKind.CITIZEN, "Emma De Smet", "emma@voorbeeld.example"),
        (ParticipantKind.STAFF, town.sofie.get_full_name(), "sofie@leemdonk.example"),
        (ParticipantKind.GUEST, "Pieter Claes", "pieter@architect.example"),
    ]
    event = town.dossier.events.get(kind=EventKind.APPOINTMENT_BOOKED)
    assert event.public
    assert event.summary == (
        "Afspraak op dinsdag 12 januari om 10.00 uur (Bouwadvies, Gemeentehuis Leemdonk)"
    )
    assert event.actor_label == "Burger"
    assert event.data["appointment"] == appointment.pk
    assert sent == [(appointment.pk, 0, "booked", [])]


def test_hybrid_takes_the_hybrid_room_and_a_video_link(town, sent):
    appointment = _book(
        town,
        mode="hybrid",
        guests=[Guest(name="Pieter", email="pieter@architect.example", joins_remotely=True)],
    )
    assert appointment.room == town.raadzaal
    assert appointment.video_url.startswith("https://")
    guest = appointment.participants.get(kind=ParticipantKind.GUEST)
    assert guest.joins_remotely
    assert not appointment.participants.get(kind=ParticipantKind.CITIZEN).joins_remotely
    summary = town.dossier.events.get(kind=EventKind.APPOINTMENT_BOOKED).summary
    assert summary.endswith("(Bouwadvies, Gemeentehuis Leemdonk of via video)")


def test_digital_needs_no_room(town, sent):
    appointment = _book(town, mode="digital")
    assert (appointment.room, appointment.location) == (None, None)
    assert appointment.video_url
    assert all(p.joins_remotely for p in appointment.participants.all())


def test_the_second_booking_of_a_slot_is_told_it_was_just_taken(town, sent):
    _book(town)
    with pytest.raises(Conflict) as caught:
        _book(town)
    assert caught.value.code == "slot_taken"
    assert caught.value.message == (
        "Dit tijdstip is net door iemand anders geboekt. Kies een ander moment."
    )
    # Overlapping within the buffer is taken too.
    with pytest.raises(Conflict):
        _book(town, start=local(TUESDAY, 10, 45))
    assert Appointment.objects.count() == 1


def test_a_time_that_is_never_offered_is_a_different_error(town, sent):
    with pytest.raises(UserError) as caught:
        _book(town, start=local(TUESDAY, 10, 5))  # not on the grid
    assert caught.value.code == "slot_unavailable"
    with pytest.raises(UserError, match="kan je deze afspraak niet maken"):
        _book(town, start=local(TUESDAY, 15))  # outside the hours


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"mode": "video"}, "Kies op het gemeentehuis"),
        ({"start": dt.datetime(2027, 1, 12, 10)}, "met tijdzone"),
        ({"start": "2027-01-12T10:00"}, "met tijdzone"),
        ({"start": local(MONDAY, 7)}, "in het verleden"),
        ({"start": local(MONDAY + dt.timedelta(days=60), 10)}, "hoogstens 56 dagen"),
        ({"guests": [Guest(name="", email="a@b.example")]}, "naam van elke gast"),
        ({"guests": [Guest(name="Pieter", email="geen-adres")]}, "e-mailadres van Pieter"),
        (
            {"guests": [Guest(name="Emma", email="emma@voorbeeld.example")]},
            "staat al bij de deelnemers",
        ),
        ({"guests": [Guest(name=f"G{i}", email=f"g{i}@x.example") for i in range(11)]}, "10"),
        ({"answers": {"wat": "x"}}, "Onbekende vraag"),
        ({"remark": "x" * 2001}, "te lang"),
        ({"citizen_email": "geen"}, "geen geldig e-mailadres"),
    ],
)
def test_bad_input_gets_a_dutch_error_and_writes_nothing(town, sent, changes, message):
    with pytest.raises(UserError, match=message):
        _book(town, **changes)
    assert Appointment.objects.count() == 0
    assert sent == []


def test_a_mode_the_service_does_not_allow(town, sent):
    town.service.allow_hybrid = False
    town.service.save()
    with pytest.raises(
        UserError, match=r"^Bouwadvies kan alleen op het gemeentehuis of via video\.$"
    ) as caught:
        _book(town, mode="hybrid")
    assert caught.value.code == "mode_not_allowed"


def test_minimum_notice_binds_the_citizen_not_staff_at_the_desk(town, sent, team):
    town.service.min_notice_hours = 48
    town.service.save()
    with pytest.raises(UserError, match="minstens 48 uur op voorhand"):
        _book(town)
    front_desk = UserFactory(role=Role.FRONT_DESK)
    appointment = _book(town, actor=front_desk)
    assert appointment.booked_by == front_desk
    event = town.dossier.events.get(kind=EventKind.APPOINTMENT_BOOKED)
    assert event.actor == front_desk


def test_a_booking_without_a_dossier_opens_one_for_a_new_contact(town, sent):
    appointment = services.appointment_book(
        actor=None,
        service=town.service,
        mode="digital",
        start=local(TUESDAY, 9),
        citizen_name="Noor Jacobs",
        citizen_email="Noor.Jacobs@voorbeeld.example",
        citizen_phone="0470 12 34 56",
        remark="Over de aanbouw achteraan.",
    )
    dossier = appointment.dossier
    assert dossier is not None
    assert (dossier.channel, dossier.dossier_type) == ("appointment", town.service.dossier_type)
    assert dossier.subject == "Afspraak: Bouwadvies"
    noor = Party.objects.get(display_name="Noor Jacobs")
    assert dossier.requester == appointment.party == noor
    assert list(dossier.events.values_list("kind", flat=True))[-1] == EventKind.APPOINTMENT_BOOKED
    # The next booking with that address finds the same contact.
    again = services.appointment_book(
        actor=None,
        service=town.service,
        mode="digital",
        start=local(TUESDAY, 11),
        citizen_name="Noor J.",
        citizen_email="noor.jacobs@voorbeeld.example",
    )
    assert again.party == noor
    assert Party.objects.filter(display_name__startswith="Noor").count() == 1
    assert Dossier.objects.filter(requester=noor).count() == 2


def test_a_service_without_a_dossier_type_books_without_a_dossier(town, sent):
    town.service.dossier_type = None
    town.service.save()
    appointment = services.appointment_book(
        actor=None,
        service=town.service,
        mode="digital",
        start=local(TUESDAY, 9),
        party=town.emma,
    )
    assert appointment.dossier is None
    assert appointment.party == town.emma
    with pytest.raises(UserError, match="naam van de burger"):
        services.appointment_book(
            actor=None, service=town.service, mode="digital", start=local(TUESDAY, 11)
        )


def test_a_closed_dossier_takes_no_new_appointment(town, sent):
    Dossier.objects.filter(pk=town.dossier.pk).update(is_open=False)
    town.dossier.refresh_from_db()
    with pytest.raises(UserError, match="afgesloten dossier"):
        _book(town)


def test_answers_are_kept(town, sent):
    question = BookingQuestion.objects.create(code="wat", text="Waarvoor?")
    BookingAnswer.objects.create(question=question, code="verbouwen", text="Verbouwen")
    appointment = _book(town, answers={"wat": "verbouwen"})
    assert appointment.answers == {"wat": "verbouwen"}


def test_staff_of_another_team_may_not_book_on_the_dossier(town, sent):
    outsider = UserFactory(role=Role.HANDLER)
    with pytest.raises(Forbidden, match="geen afspraken maken"):
        _book(town, actor=outsider)
    archivist = UserFactory(role=Role.ARCHIVIST)
    with pytest.raises(Forbidden):
        _book(town, actor=archivist)


def test_a_named_member_of_staff_and_room(town, sent):
    give_hours(town.jan, town.hall, weekdays=[1], start=dt.time(9), end=dt.time(12))
    town.service.staff.add(town.jan)
    appointment = _book(town, staff=town.jan, room=town.raadzaal)
    assert (appointment.staff, appointment.room) == (town.jan, town.raadzaal)
    # Sofie is still free at that time, in the other room.
    other = _book(town)
    assert (other.staff, other.room) == (town.sofie, town.room)
    with pytest.raises(Conflict):
        _book(town)


# --- moving and cancelling ------------------------------------------------------------------


def test_reschedule_moves_raises_the_sequence_and_keeps_the_person(town, sent):
    give_hours(town.jan, town.hall, weekdays=[1], start=dt.time(9), end=dt.time(12))
    town.service.staff.add(town.jan)
    appointment = _book(town)
    moved = services.appointment_reschedule(
        actor=None, appointment=appointment, start=local(TUESDAY, 11)
    )
    assert moved.start == local(TUESDAY, 11)
    assert moved.end == local(TUESDAY, 11, 45)
    assert moved.sequence == 1
    assert moved.staff == town.sofie  # she was free then too
    event = town.dossier.events.get(kind=EventKind.APPOINTMENT_RESCHEDULED)
    assert event.summary == (
        "Afspraak verplaatst naar dinsdag 12 januari om 11.00 uur (Bouwadvies, Gemeentehuis Leemdonk)"
    )
    assert event.public
    assert event.data["previous_start"] == local(TUESDAY, 10).isoformat()
    assert sent[-1][:3] == (appointment.pk, 1, "booked")
    assert sent[-1][3] == ["emma@voorbeeld.example", "sofie@leemdonk.example"]
    # The old time is free again; moving by a quarter into its own time is fine.
    services.appointment_reschedule(actor=None, appointment=moved, start=local(TUESDAY, 10, 45))
    assert Appointment.objects.get().sequence == 2


def test_reschedule_to_a_taken_time_or_the_same_time(town, sent):
    first = _book(town, start=local(TUESDAY, 9))
    second = _book(town, start=local(TUESDAY, 11))
    with pytest.raises(Conflict):
        services.appointment_reschedule(actor=None, appointment=first, start=local(TUESDAY, 11))
    with pytest.raises(UserError, match="staat al op dit tijdstip"):
        services.appointment_reschedule(actor=None, appointment=second, start=local(TUESDAY, 11))
    assert Appointment.objects.get(pk=first.pk).sequence == 0


def test_reschedule_hands_over_to_a_colleague_when_needed(town, sent):
    give_hours(town.jan, town.hall, weekdays=[2], start=dt.time(9), end=dt.time(12))
    town.service.staff.add(town.jan)
    appointment = _book(town)
    moved = services.appointment_reschedule(
        actor=None, appointment=appointment, start=local(TUESDAY + dt.timedelta(days=1), 9)
    )
    assert moved.staff == town.jan
    staff = moved.participants.get(kind=ParticipantKind.STAFF)
    assert staff.email == "jan@leemdonk.example"
    assert "sofie@leemdonk.example" in sent[-1][3]  # she gets to know she is off it


def test_cancel_frees_the_time_and_raises_the_sequence(town, sent):
    appointment = _book(town)
    cancelled = services.appointment_cancel(
        actor=None, appointment=appointment, reason="Ik ben ziek."
    )
    assert cancelled.status == AppointmentStatus.CANCELLED
    assert cancelled.sequence == 1
    assert cancelled.cancel_reason == "Ik ben ziek."
    event = town.dossier.events.get(kind=EventKind.APPOINTMENT_CANCELLED)
    assert event.public
    assert event.summary == (
        "Afspraak van dinsdag 12 januari om 10.00 uur geannuleerd (Bouwadvies, Gemeentehuis Leemdonk)"
    )
    assert "ziek" not in event.summary
    assert event.data["reason"] == "Ik ben ziek."
    assert sent[-1][:3] == (appointment.pk, 1, "cancelled")
    _book(town)  # the time is free again
    with pytest.raises(UserError, match="geannuleerd"):
        services.appointment_cancel(actor=None, appointment=cancelled)
    with pytest.raises(UserError, match="geannuleerd"):
        services.appointment_reschedule(actor=None, appointment=cancelled, start=local(TUESDAY, 11))


def test_a_past_appointment_cannot_be_moved_or_cancelled(town, sent):
    appointment = _book(town)
    with clock.frozen_at(local(TUESDAY, 10, 5)), pytest.raises(UserError, match="voorbij"):
        services.appointment_cancel(actor=None, appointment=appointment)


# --- arrived and not come ------------------------------------------------------------------


def test_arrived_from_the_day_of_the_appointment(town, sent):
    appointment = _book(town)
    front_desk = UserFactory(role=Role.FRONT_DESK)
    with pytest.raises(UserError, match="op de dag van de afspraak"):
        services.appointment_mark_arrived(actor=front_desk, appointment=appointment)
    with clock.frozen_at(local(TUESDAY, 9, 50)):
        arrived = services.appointment_mark_arrived(actor=front_desk, appointment=appointment)
        assert arrived.status == AppointmentStatus.ARRIVED
        with pytest.raises(UserError, match="al aangemeld"):
            services.appointment_mark_arrived(actor=front_desk, appointment=appointment)
        with pytest.raises(UserError, match=r"al begonnen of voorbij|heeft al plaatsgevonden"):
            services.appointment_cancel(actor=None, appointment=appointment)
    event = town.dossier.events.get(kind=EventKind.APPOINTMENT_ARRIVED)
    assert event.public
    assert (
        event.summary
        == "Aangemeld voor de afspraak van dinsdag 12 januari om 10.00 uur (Bouwadvies)"
    )
    assert sent[-1][1] == 0  # no new invitation for an arrival


def test_not_come_once_it_has_begun_and_arrived_corrects_it(town, sent):
    appointment = _book(town)
    front_desk = UserFactory(role=Role.FRONT_DESK)
    with (
        clock.frozen_at(local(TUESDAY, 9, 59)),
        pytest.raises(UserError, match="nog niet begonnen"),
    ):
        services.appointment_mark_no_show(actor=front_desk, appointment=appointment)
    with clock.frozen_at(local(TUESDAY, 10, 20)):
        services.appointment_mark_no_show(actor=front_desk, appointment=appointment)
        with pytest.raises(UserError, match="al genoteerd"):
            services.appointment_mark_no_show(actor=front_desk, appointment=appointment)
        late = services.appointment_mark_arrived(actor=front_desk, appointment=appointment)
    assert late.status == AppointmentStatus.ARRIVED
    kinds = list(town.dossier.events.values_list("kind", flat=True))
    assert kinds[-2:] == [EventKind.APPOINTMENT_NO_SHOW, EventKind.APPOINTMENT_ARRIVED]
    summary = town.dossier.events.get(kind=EventKind.APPOINTMENT_NO_SHOW).summary
    assert summary == "Niet gekomen op de afspraak van dinsdag 12 januari om 10.00 uur (Bouwadvies)"


def test_attendance_follows_the_role_table(town, sent):
    appointment = _book(town)
    with clock.frozen_at(local(TUESDAY, 10, 20)):
        for role in (Role.ARCHIVIST, Role.ADMINISTRATOR, Role.SYSTEM):
            with pytest.raises(Forbidden, match="aankomst of afwezigheid"):
                services.appointment_mark_arrived(
                    actor=UserFactory(role=role), appointment=appointment
                )
        outsider = UserFactory(role=Role.HANDLER)
        with pytest.raises(Forbidden):
            services.appointment_mark_no_show(actor=outsider, appointment=appointment)
        member = UserFactory(role=Role.HANDLER, teams=[town.dossier.team])
        services.appointment_mark_no_show(actor=member, appointment=appointment)


def test_an_existing_party_keeps_its_primary_email(town, sent):
    ines = PartyFactory()
    appointment = services.appointment_book(
        actor=None,
        service=town.service,
        mode="digital",
        start=local(TUESDAY, 9),
        party=ines,
        dossier=open_dossier(dossier_type=DossierTypeFactory()),
    )
    citizen = appointment.participants.get(kind=ParticipantKind.CITIZEN)
    assert (citizen.name, citizen.email) == (ines.display_name, "")


def test_a_booking_across_the_autumn_change_lasts_its_real_duration(team, sent):
    """02:30 summer time + 45 minutes is 02:15 winter time, not 03:15 (wall-clock sum)."""
    night = UserFactory(teams=[team])
    give_hours(night, None, weekdays=[6], start=dt.time(1), end=dt.time(4))
    service = make_service(
        team, code="nacht", duration=45, step=30, modes=["digital"], staff=[night]
    )
    sunday = dt.date(2027, 10, 31)
    with clock.frozen_at(local(sunday - dt.timedelta(days=3), 12)):
        start = local(sunday, 2, 30)  # fold=0: the first 02:30, summer time
        appointment = services.appointment_book(
            actor=None, service=service, mode="digital", start=start, citizen_name="Noor"
        )
    assert appointment.end - appointment.start == dt.timedelta(minutes=45)
    assert f"{appointment.start.astimezone(dt.UTC):%H:%M}" == "00:30"
    assert f"{appointment.end.astimezone(dt.UTC):%H:%M}" == "01:15"
    saved = Appointment.objects.get(pk=appointment.pk)
    assert saved.end - saved.start == dt.timedelta(minutes=45)
