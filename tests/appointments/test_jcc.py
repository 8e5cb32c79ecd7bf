"""The JCC-Afspraken adapter against the fake JCC, which speaks GGS2 SOAP on loopback.

The fake reads GGS2 names from its own reading of the WSDL (not from the adapter's
mapping table) and, like the JCC of the time-zone story, books the wall-clock digits of
``appStartTime`` whatever offset they carry. What went over the wire is read back with
lxml, independently of zeep.
"""

from __future__ import annotations

import datetime as dt
import socket
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
import zeep
from django.test import override_settings
from lxml import etree

from midoffice.appointments.backends.base import (
    BackendUnavailable,
    BookingRequest,
    Client,
    SlotTaken,
)
from midoffice.appointments.backends.jcc import JccBackend, JccConfig
from midoffice.appointments.fake_jcc import FakeJccServer, FakeProduct
from midoffice.appointments.jcc import WSDL_PATH
from midoffice.appointments.jcc.local_time import (
    AmbiguousLocalTime,
    NonexistentLocalTime,
    from_jcc,
    to_jcc,
)
from midoffice.appointments.jcc.mapping import JCC, MAPPING
from midoffice.core import clock
from midoffice.core.errors import NotFound, UserError

BRUSSELS = ZoneInfo("Europe/Brussels")
UTC = dt.UTC
SUMMER_MONDAY = dt.date(2030, 7, 15)
WINTER_MONDAY = dt.date(2030, 1, 14)
SPRING_SATURDAY, SPRING_SUNDAY = dt.date(2030, 3, 30), dt.date(2030, 3, 31)  # CET → CEST
AUTUMN_SATURDAY, AUTUMN_SUNDAY = dt.date(2030, 10, 26), dt.date(2030, 10, 27)  # CEST → CET

# Fake products: 1 building advice (30 min; e-mail and phone), 2 eID (15 min; date of
# birth and national number), 3 driving licence (10 min). Location 1 opens weekdays and
# Saturday mornings, location 2 only on Tuesday and Thursday.
ADVICE, EID, LICENCE = "1", "2", "3"
TOWN_HALL, DE_LINDE = "1", "2"
AN = Client(name="An Peeters", email="an.peeters@example.be", phone="+32470123456")


@pytest.fixture
def fake() -> Iterator[FakeJccServer]:
    server = FakeJccServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def backend(fake: FakeJccServer) -> JccBackend:
    return JccBackend(JccConfig(wsdl=fake.wsdl_url, timeout=5))


@pytest.fixture
def open_at_night(fake: FakeJccServer) -> None:
    """The town hall also opens on Sunday 00:00–06:00 and 11:00–12:00 (the DST nights)."""
    fake.state.locations[TOWN_HALL].hours[6] = [
        (dt.time(0, 0), dt.time(6, 0)),
        (dt.time(11, 0), dt.time(12, 0)),
    ]


def local(day: dt.date, hour: int, minute: int = 0, fold: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=BRUSSELS).replace(fold=fold)


def sent_start(fake: FakeJccServer) -> str:
    """``appStartTime`` of the last booking request, as it went over the wire."""
    _, body = [item for item in fake.state.received if item[0].startswith("book")][-1]
    tree = etree.fromstring(body)
    (element,) = tree.iter("appStartTime")
    return str(element.text)


def request(start: dt.datetime, service: str = LICENCE, **changes: object) -> BookingRequest:
    values: dict[str, object] = {
        "service_code": service,
        "location_code": TOWN_HALL,
        "start": start,
        "client": AN,
        "remark": "Over de plannen van de achterbouw.",
    }
    values.update(changes)
    return BookingRequest(**values)  # type: ignore[arg-type]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- what JCC offers --------------------------------------------------------------------


def test_services_are_jcc_products_with_their_durations(backend: JccBackend) -> None:
    services = {service.code: service for service in backend.services()}
    assert set(services) == {ADVICE, EID, LICENCE}
    assert services[ADVICE].name == "Bouwadvies (loket Omgeving)"
    assert services[ADVICE].duration_minutes == 30
    assert services[LICENCE].duration_minutes == 10


def test_locations_all_and_for_a_service_with_their_addresses(backend: JccBackend) -> None:
    everywhere = backend.locations()
    assert [(loc.code, loc.name) for loc in everywhere] == [
        (TOWN_HALL, "Gemeentehuis Leemdonk"),
        (DE_LINDE, "Dienstencentrum De Linde"),
    ]
    assert everywhere[0].address == "Marktplein 1, 2640 Leemdonk"
    assert [loc.code for loc in backend.locations(ADVICE)] == [TOWN_HALL]
    assert [loc.code for loc in backend.locations(EID)] == [TOWN_HALL, DE_LINDE]


def test_available_days_are_the_open_days_in_the_range(backend: JccBackend) -> None:
    week = (SUMMER_MONDAY, SUMMER_MONDAY + dt.timedelta(days=6))
    assert backend.available_days(LICENCE, TOWN_HALL, *week) == [
        SUMMER_MONDAY + dt.timedelta(days=n)
        for n in range(6)  # Monday to Saturday
    ]
    assert backend.available_days(EID, DE_LINDE, *week) == [
        dt.date(2030, 7, 16),
        dt.date(2030, 7, 18),
    ]


def test_available_times_are_aware_brussels_times_of_the_service_length(
    backend: JccBackend,
) -> None:
    slots = backend.available_times(ADVICE, TOWN_HALL, SUMMER_MONDAY)
    assert slots[0].start == local(SUMMER_MONDAY, 9, 0)
    assert slots[0].start.tzinfo is not None
    assert all(slot.end - slot.start == dt.timedelta(minutes=30) for slot in slots)
    assert all(slot.location_code == TOWN_HALL for slot in slots)
    assert local(SUMMER_MONDAY, 13, 30) in [slot.start for slot in slots]
    assert local(SUMMER_MONDAY, 12, 0) not in [slot.start for slot in slots]


def test_required_client_fields_in_midoffice_keys_name_always_first(
    backend: JccBackend,
) -> None:
    assert backend.required_client_fields(ADVICE) == ["name", "email", "phone"]
    assert backend.required_client_fields(EID) == ["name", "birth_date", "national_number"]
    assert backend.required_client_fields(LICENCE) == ["name"]


# --- book, details, cancel ----------------------------------------------------------------


def test_book_then_details_then_cancel(fake: FakeJccServer, backend: JccBackend) -> None:
    citizen = Client(
        name="An Peeters",
        extra={"birth_date": "1986-03-14", "national_number": "86031412323"},
    )
    start = local(SUMMER_MONDAY, 10, 15)
    booked = backend.book(request(start, service=EID, client=citizen))

    assert booked.external_id
    assert (booked.start, booked.end) == (start, local(SUMMER_MONDAY, 10, 30))
    details = backend.details(booked.external_id)
    assert (details.service_code, details.location_code) == (EID, TOWN_HALL)
    assert (details.start, details.end) == (start, local(SUMMER_MONDAY, 10, 30))
    assert details.client.name == "An Peeters"
    assert details.client.extra == {"birth_date": "1986-03-14", "national_number": "86031412323"}
    assert not details.cancelled
    assert start not in [s.start for s in backend.available_times(EID, TOWN_HALL, SUMMER_MONDAY)]

    backend.cancel(booked.external_id)
    assert fake.state.bookings[booked.external_id].deleted
    with pytest.raises(NotFound):
        backend.details(booked.external_id)
    assert start in [s.start for s in backend.available_times(EID, TOWN_HALL, SUMMER_MONDAY)]
    backend.cancel(booked.external_id)  # again: JCC no longer knows it, which is the goal


def test_the_remark_says_when_the_meeting_is_by_video(
    fake: FakeJccServer, backend: JccBackend
) -> None:
    booked = backend.book(request(local(SUMMER_MONDAY, 9, 0), mode="hybrid"))
    remark = fake.state.bookings[booked.external_id].remark
    assert remark.startswith("Hybride: deels via video")
    assert remark.endswith("Over de plannen van de achterbouw.")


def test_double_booking_is_slot_taken_in_dutch(backend: JccBackend) -> None:
    start = local(SUMMER_MONDAY, 11, 0)
    backend.book(request(start, service=ADVICE))
    with pytest.raises(SlotTaken, match="net door iemand anders geboekt"):
        backend.book(request(start, service=ADVICE, client=Client("Jan", "j@x.be", "+3231234567")))
    # The next start on the grid is still free.
    assert backend.book(request(local(SUMMER_MONDAY, 11, 30), service=ADVICE)).external_id


def test_a_missing_required_field_is_asked_in_dutch_before_anything_is_booked(
    fake: FakeJccServer, backend: JccBackend
) -> None:
    with pytest.raises(UserError, match=r"Vul nog in: e-mailadres, telefoonnummer\.") as caught:
        backend.book(request(local(SUMMER_MONDAY, 9, 0), service=ADVICE, client=Client("An")))
    assert caught.value.code == "missing_client_fields"
    assert not fake.state.bookings
    assert not [op for op, _ in fake.state.received if op.startswith("book")]


def test_a_refusal_with_the_time_still_free_is_a_user_error_not_slot_taken(
    fake: FakeJccServer, backend: JccBackend
) -> None:
    # JCC asks for a field the mapping table does not know: the booking is refused.
    fake.state.products["9"] = FakeProduct("9", "X", "Nationaliteit nodig", 15, ("Nationality",))
    fake.state.locations[TOWN_HALL].products += ("9",)
    with pytest.raises(UserError, match=r"weigerde de afspraak \(code 2\)") as caught:
        backend.book(request(local(SUMMER_MONDAY, 9, 0), service="9"))
    assert caught.value.code == "refused"
    assert not isinstance(caught.value, SlotTaken)


def test_details_of_an_unknown_appointment_is_not_found(backend: JccBackend) -> None:
    with pytest.raises(NotFound, match="niet \\(meer\\) gekend"):
        backend.details("999999")


def test_date_of_birth_must_be_a_date(backend: JccBackend) -> None:
    citizen = Client(name="An", extra={"birth_date": "14/03/1986", "national_number": "1"})
    with pytest.raises(UserError, match="JJJJ-MM-DD"):
        backend.book(request(local(SUMMER_MONDAY, 9, 0), service=EID, client=citizen))


# --- when JCC is not there -------------------------------------------------------------------


def test_server_down_is_backend_unavailable(fake: FakeJccServer, backend: JccBackend) -> None:
    backend.services()  # the WSDL is read
    fake.stop()
    with pytest.raises(BackendUnavailable, match="niet bereikbaar"):
        backend.available_days(LICENCE, TOWN_HALL, SUMMER_MONDAY, SUMMER_MONDAY)


def test_an_unreachable_wsdl_is_backend_unavailable() -> None:
    wsdl = f"http://127.0.0.1:{free_port()}/ggs2?wsdl"
    with pytest.raises(BackendUnavailable, match="niet bereikbaar"):
        JccBackend(JccConfig(wsdl=wsdl, timeout=2)).services()


def test_a_503_is_backend_unavailable(fake: FakeJccServer, backend: JccBackend) -> None:
    backend.services()
    fake.state.down = True
    with pytest.raises(BackendUnavailable, match="niet bereikbaar"):
        backend.book(request(local(SUMMER_MONDAY, 9, 0)))


def test_a_soap_fault_is_backend_unavailable(fake: FakeJccServer, backend: JccBackend) -> None:
    backend.services()
    fake.state.fault = True
    with pytest.raises(BackendUnavailable, match="kon je vraag nu niet verwerken") as caught:
        backend.cancel("100001")
    assert isinstance(caught.value.__cause__, zeep.exceptions.Fault)


def test_a_timeout_is_backend_unavailable(fake: FakeJccServer) -> None:
    slow = JccBackend(JccConfig(wsdl=fake.wsdl_url, timeout=0.5))
    slow.services()
    fake.state.delay = 30  # released by fake.stop()
    with pytest.raises(BackendUnavailable, match="niet bereikbaar"):
        slow.available_times(LICENCE, TOWN_HALL, SUMMER_MONDAY)


def test_a_wsdl_file_with_another_endpoint(fake: FakeJccServer) -> None:
    """A town may get the WSDL as a file and the service on another address."""
    config = JccConfig(wsdl=str(WSDL_PATH), endpoint=f"{fake.url}/ggs2", timeout=5)
    assert [service.code for service in JccBackend(config).services()] == [ADVICE, EID, LICENCE]
    wrong = JccConfig(wsdl=str(WSDL_PATH), endpoint=f"{fake.url}/nothing", timeout=5)
    with pytest.raises(BackendUnavailable):
        JccBackend(wrong).services()


# --- the time-zone pitfall: naive Brussels wall clock at the edge, both ways ------------------


@pytest.mark.parametrize(
    ("day", "utc_hour"),
    [
        (SUMMER_MONDAY, 9),  # CEST, UTC+2
        (WINTER_MONDAY, 10),  # CET, UTC+1
        (SPRING_SATURDAY, 10),  # the day before summer time
        (SPRING_SUNDAY, 9),  # summer time since 03:00 that night
        (AUTUMN_SATURDAY, 9),  # the day before winter time
        (AUTUMN_SUNDAY, 10),  # winter time since 03:00 that night
    ],
)
@pytest.mark.usefixtures("open_at_night")
def test_eleven_fifty_in_brussels_is_eleven_fifty_at_jcc_and_back(
    fake: FakeJccServer, backend: JccBackend, day: dt.date, utc_hour: int
) -> None:
    # Given the citizen picks 11:50 Brussels time (passed in UTC, as the database holds it)
    chosen = dt.datetime.combine(day, dt.time(utc_hour, 50), tzinfo=UTC)
    assert chosen.astimezone(BRUSSELS).time() == dt.time(11, 50)

    # JCC offers it as the naive 11:50 and the adapter reads it as 11:50 Brussels
    offered = [slot.start for slot in backend.available_times(LICENCE, TOWN_HALL, day)]
    assert chosen in offered

    # When it is booked, the wire carries 11:50 without offset and JCC's agenda holds 11:50
    booked = backend.book(request(chosen))
    assert sent_start(fake) == f"{day.isoformat()}T11:50:00"
    assert fake.state.bookings[booked.external_id].start == dt.datetime.combine(
        day, dt.time(11, 50)
    )

    # And JCC's answer 11:50 comes back as the same instant
    details = backend.details(booked.external_id)
    assert details.start == chosen
    assert details.start.astimezone(UTC).hour == utc_hour
    assert details.start.astimezone(BRUSSELS).strftime("%H:%M") == "11:50"
    assert booked.start == chosen


@pytest.mark.usefixtures("open_at_night")
def test_the_spring_night_skips_two_oclock_and_durations_are_real_minutes(
    backend: JccBackend,
) -> None:
    # JCC's naive agenda offers 00:00, 00:30, … 05:30; 02:00 and 02:30 do not exist that night.
    slots = [
        slot
        for slot in backend.available_times(ADVICE, TOWN_HALL, SPRING_SUNDAY)
        if slot.start.astimezone(BRUSSELS).hour < 6
    ]
    starts = [slot.start.astimezone(UTC).strftime("%H:%M") for slot in slots]
    assert starts == [
        *("23:00", "23:30", "00:00", "00:30"),  # 00:00–01:30 winter time (UTC+1)
        *("01:00", "01:30", "02:00", "02:30", "03:00", "03:30"),  # 03:00–05:30 summer time
    ]
    assert [slot.start.astimezone(BRUSSELS).strftime("%H:%M") for slot in slots][3:5] == [
        "01:30",
        "03:00",
    ]
    # The 01:30 slot lasts 30 real minutes: it ends at 03:00 summer time.
    assert slots[3].end == local(SPRING_SUNDAY, 3, 0)
    assert slots[3].end - slots[3].start == dt.timedelta(minutes=30)


@pytest.mark.usefixtures("open_at_night")
def test_the_autumn_night_reads_the_repeated_hour_as_the_first_and_refuses_the_second(
    fake: FakeJccServer, backend: JccBackend
) -> None:
    two_thirty = [
        slot
        for slot in backend.available_times(ADVICE, TOWN_HALL, AUTUMN_SUNDAY)
        if slot.start.astimezone(BRUSSELS).strftime("%H:%M") == "02:30"
    ]
    assert len(two_thirty) == 1
    assert two_thirty[0].start.astimezone(UTC) == dt.datetime(2030, 10, 27, 0, 30, tzinfo=UTC)

    booked = backend.book(request(two_thirty[0].start, service=ADVICE))
    assert sent_start(fake) == "2030-10-27T02:30:00"
    assert backend.details(booked.external_id).start == two_thirty[0].start

    second = local(AUTUMN_SUNDAY, 2, 0, fold=1)  # 01:00 UTC, winter time's 02:00
    with pytest.raises(UserError, match="bestaat twee keer") as caught:
        backend.book(request(second, service=ADVICE))
    assert caught.value.code == "ambiguous_time"


def test_the_edge_functions_themselves() -> None:
    summer = dt.datetime(2030, 7, 15, 9, 50, tzinfo=UTC)
    assert to_jcc(summer) == dt.datetime(2030, 7, 15, 11, 50)
    assert to_jcc(summer).tzinfo is None
    assert to_jcc(dt.datetime(2030, 1, 14, 10, 50, 30, 999, tzinfo=UTC)) == dt.datetime(
        2030, 1, 14, 11, 50, 30
    )
    assert from_jcc(dt.datetime(2030, 7, 15, 11, 50)) == summer
    assert from_jcc(dt.datetime(2030, 1, 14, 11, 50)).astimezone(UTC).hour == 10
    # An answer that carries an offset is honoured, never re-read as wall clock.
    assert from_jcc(summer) == summer
    with pytest.raises(ValueError, match="aware"):
        to_jcc(dt.datetime(2030, 7, 15, 11, 50))
    with pytest.raises(NonexistentLocalTime):
        from_jcc(dt.datetime(2030, 3, 31, 2, 30))
    with pytest.raises(AmbiguousLocalTime):
        to_jcc(dt.datetime(2030, 10, 27, 1, 30, tzinfo=UTC))
    assert to_jcc(dt.datetime(2030, 10, 27, 0, 30, tzinfo=UTC)) == dt.datetime(2030, 10, 27, 2, 30)


# --- the mapping table and the WSDL ---------------------------------------------------------


def test_every_name_in_the_mapping_table_is_in_the_wsdl() -> None:
    """The table and ggs2.wsdl agree (zeep reads the WSDL); a town's correction must too."""
    client = zeep.Client(str(WSDL_PATH))
    operations = client.service._binding._operations  # zeep has no public list
    assert {row.jcc for row in MAPPING if row.ours.startswith("op.")} <= set(operations)
    parameters = {
        name for operation in operations.values() for name, _ in operation.input.body.type.elements
    }
    assert {row.jcc for row in MAPPING if row.ours.startswith("in.")} <= parameters
    details = {name for name, _ in client.get_type("ns0:AppointmentDetailsType").elements}
    booking_rows = [row for row in MAPPING if row.ours.startswith(("booking.", "client."))]
    assert {row.jcc for row in booking_rows} <= details
    assert JCC["clock.time_zone"] == "Europe/Brussels"


def test_the_fake_serves_the_packaged_wsdl_with_its_own_address(fake: FakeJccServer) -> None:
    import urllib.request

    with urllib.request.urlopen(fake.wsdl_url, timeout=5) as answer:  # noqa: S310 - loopback
        served = answer.read().decode()
    assert f'location="{fake.url}/ggs2"' in served
    assert served.replace(f"{fake.url}/ggs2", "http://127.0.0.1:8086/ggs2") == (
        WSDL_PATH.read_text(encoding="utf-8")
    )


# --- configuration ----------------------------------------------------------------------------


def test_serve_all_starts_the_fake_only_for_a_loopback_wsdl() -> None:
    from midoffice.appointments.apps import _register_fake_jcc
    from midoffice.core.management.commands.serve_all import EXTRA_PROCESSES

    saved = list(EXTRA_PROCESSES)
    try:
        EXTRA_PROCESSES[:] = [item for item in EXTRA_PROCESSES if item[0] != "fake-jcc"]
        with override_settings(JCC_WSDL="https://afspraken.leemdonk.be/ggs2.asmx?wsdl"):
            _register_fake_jcc()
        assert "fake-jcc" not in [name for name, _ in EXTRA_PROCESSES]
        with override_settings(JCC_WSDL="/etc/midoffice/jcc.wsdl"):
            _register_fake_jcc()
        assert "fake-jcc" not in [name for name, _ in EXTRA_PROCESSES]
        with override_settings(JCC_WSDL="http://127.0.0.1:8099/ggs2?wsdl"):
            _register_fake_jcc()
            _register_fake_jcc()
        started = [argv for name, argv in EXTRA_PROCESSES if name == "fake-jcc"]
        assert len(started) == 1
        assert started[0][-3:] == ["fake_jcc", "--port", "8099"]
    finally:
        EXTRA_PROCESSES[:] = saved


def test_an_empty_wsdl_setting_is_a_configuration_error() -> None:
    from django.core.exceptions import ImproperlyConfigured

    with override_settings(JCC_WSDL=""), pytest.raises(ImproperlyConfigured, match="JCC_WSDL"):
        JccBackend()


# --- booking through the service, with JCC as the town's agenda -------------------------------


@pytest.mark.django_db
def test_appointment_book_with_the_jcc_backend_keeps_jcc_id_and_the_right_time(
    fake: FakeJccServer, team, dossier_type, monkeypatch
) -> None:
    from midoffice.appointments import services
    from midoffice.parties.services import party_create
    from tests.appointments.factories import make_location, make_service
    from tests.factories import UserFactory, open_dossier

    monkeypatch.setattr(services, "invitations_enqueue", lambda *args, **kwargs: None)
    # A town on JCC gives its services and locations JCC's product and location ids as code.
    town_hall = make_location(code=TOWN_HALL, name="Gemeentehuis Leemdonk")
    service = make_service(team, code=LICENCE, name="Rijbewijs afhalen", duration=10)
    UserFactory(teams=[team])
    an = party_create(given_name="An", family_name="Peeters", email="an.peeters@example.be")
    dossier = open_dossier(dossier_type=dossier_type, requester=an)
    chosen = dt.datetime(2030, 7, 15, 9, 50, tzinfo=UTC)  # 11:50 in Brussels (summer time)

    with (
        clock.frozen_at(dt.datetime(2030, 7, 1, 8, 0, tzinfo=BRUSSELS)),
        override_settings(APPOINTMENTS_BACKEND="jcc", JCC_WSDL=fake.wsdl_url),
    ):
        appointment = services.appointment_book(
            actor=None, service=service, mode="physical", start=chosen, dossier=dossier
        )

    appointment.refresh_from_db()
    assert appointment.backend == "jcc"
    assert appointment.external_id in fake.state.bookings
    assert sent_start(fake) == "2030-07-15T11:50:00"
    assert fake.state.bookings[appointment.external_id].start == dt.datetime(2030, 7, 15, 11, 50)
    assert fake.state.bookings[appointment.external_id].client["clientLastName"] == "An Peeters"
    assert appointment.start == chosen
    assert appointment.start.astimezone(BRUSSELS).strftime("%H:%M") == "11:50"
    assert appointment.end - appointment.start == dt.timedelta(minutes=10)
    assert appointment.location == town_hall
