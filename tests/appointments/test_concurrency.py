"""No double booking under concurrency (issue 12, ADR 15): 16 clients book the same slot
at once → exactly one booking; the others hear, in Dutch, that it was just taken.

Runs on both databases. On PostgreSQL the bookings really overlap: each thread has its
own connection and the locks (``appointments.locks``) queue them. On SQLite every write
transaction takes the database's write lock at BEGIN (IMMEDIATE), so the threads queue
there instead; the outcome must be the same.
"""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from midoffice.appointments import services, slots
from midoffice.appointments.models import Appointment
from midoffice.core import clock
from midoffice.core.errors import Conflict
from tests.appointments.factories import give_hours, make_location, make_room, make_service
from tests.factories import PartyFactory, UserFactory, open_dossier

CLIENTS = 16


@pytest.fixture
def quiet_invitations(monkeypatch):
    monkeypatch.setattr(services, "invitations_enqueue", lambda *a, **k: None)


def _setup(team, dossier_type, *, staff: int, rooms: int, mode: str = "physical"):
    hall = make_location()
    people = [UserFactory(teams=[team]) for _ in range(staff)]
    for person in people:
        # Every day, all day: whatever day the test runs, a slot is near.
        give_hours(person, hall, weekdays=range(7), start=dt.time(0), end=dt.time(23, 45))
    for n in range(rooms):
        make_room(hall, f"Zaal {n}")
    service = make_service(team, duration=30, modes=[mode], staff=people, dossier_type=dossier_type)
    today = clock.today()
    first = slots.free_slots(
        service=service, mode=mode, start=today, end=today + dt.timedelta(days=14)
    )[0]
    return service, first.start


def _race(service, start, dossiers, mode="physical"):
    """Every client books ``start`` at the same moment; returns (appointments, errors)."""
    barrier = threading.Barrier(len(dossiers))
    booked: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def client(dossier) -> None:
        try:
            barrier.wait()
            appointment = services.appointment_book(
                actor=None, service=service, mode=mode, start=start, dossier=dossier
            )
            with lock:
                booked.append(appointment.pk)
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=client, args=(d,)) for d in dossiers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return booked, errors


@pytest.mark.django_db(transaction=True)
def test_sixteen_clients_one_slot_one_booking(team, dossier_type, quiet_invitations):
    service, start = _setup(team, dossier_type, staff=1, rooms=1)
    dossiers = [
        open_dossier(dossier_type=dossier_type, requester=PartyFactory()) for _ in range(CLIENTS)
    ]
    booked, errors = _race(service, start, dossiers)
    assert len(booked) == 1
    assert len(errors) == CLIENTS - 1
    assert all(isinstance(e, Conflict) and e.code == "slot_taken" for e in errors), errors
    assert {e.message for e in errors} == {
        "Dit tijdstip is net door iemand anders geboekt. Kies een ander moment."
    }
    assert Appointment.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_people_two_rooms_two_bookings_never_the_same_person_or_room(
    team, dossier_type, quiet_invitations
):
    service, start = _setup(team, dossier_type, staff=2, rooms=2)
    dossiers = [
        open_dossier(dossier_type=dossier_type, requester=PartyFactory()) for _ in range(CLIENTS)
    ]
    booked, errors = _race(service, start, dossiers)
    assert len(booked) == 2
    assert all(isinstance(e, Conflict) for e in errors), errors
    rows = list(Appointment.objects.values_list("staff_id", "room_id"))
    assert len({staff for staff, _ in rows}) == 2
    assert len({room for _, room in rows}) == 2


@pytest.mark.django_db(transaction=True)
def test_two_people_one_room_the_room_is_not_double_booked(team, dossier_type, quiet_invitations):
    service, start = _setup(team, dossier_type, staff=2, rooms=1)
    dossiers = [
        open_dossier(dossier_type=dossier_type, requester=PartyFactory()) for _ in range(CLIENTS)
    ]
    booked, errors = _race(service, start, dossiers)
    assert len(booked) == 1
    assert all(isinstance(e, Conflict) for e in errors), errors


@pytest.mark.django_db(transaction=True)
def test_video_meetings_race_for_the_person_only(team, dossier_type, quiet_invitations):
    service, start = _setup(team, dossier_type, staff=3, rooms=0, mode="digital")
    dossiers = [
        open_dossier(dossier_type=dossier_type, requester=PartyFactory()) for _ in range(CLIENTS)
    ]
    booked, errors = _race(service, start, dossiers, mode="digital")
    assert len(booked) == 3
    assert len(set(Appointment.objects.values_list("staff_id", flat=True))) == 3
    assert all(isinstance(e, Conflict) for e in errors), errors


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_second_waits_for_the_first_to_commit_then_sees_its_booking(
    team, dossier_type, monkeypatch
):
    """Deterministic: the first booking holds its transaction open after writing; the
    second is seen waiting for a lock (pg_stat_activity) before the first commits, and
    then gets "slot taken". Without the lock both would have found the slot free."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite queues writers at BEGIN; there is no row lock to watch")
    service, start = _setup(team, dossier_type, staff=1, rooms=1)
    first_dossier, second_dossier = (
        open_dossier(dossier_type=dossier_type, requester=PartyFactory()) for _ in range(2)
    )
    wrote = threading.Event()
    release = threading.Event()

    def hold(appointment, **_):
        if appointment.dossier_id == first_dossier.pk:
            wrote.set()
            release.wait(timeout=30)

    monkeypatch.setattr(services, "invitations_enqueue", hold)
    outcome: dict[str, object] = {}

    def book(name, dossier) -> None:
        try:
            outcome[name] = services.appointment_book(
                actor=None, service=service, mode="physical", start=start, dossier=dossier
            )
        except BaseException as exc:  # noqa: BLE001 - asserted below
            outcome[name] = exc
        finally:
            connection.close()

    first = threading.Thread(target=book, args=("first", first_dossier))
    first.start()
    assert wrote.wait(timeout=30)
    second = threading.Thread(target=book, args=("second", second_dossier))
    second.start()
    try:
        waiting = False
        for _ in range(300):  # up to 30 s; normally at once
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
                waiting = cursor.fetchone()[0] > 0
            if waiting:
                break
            time.sleep(0.1)
    finally:
        release.set()
        first.join()
        second.join()
    assert waiting, "the second booking never waited for the first one's lock"
    assert isinstance(outcome["first"], Appointment)
    assert isinstance(outcome["second"], Conflict)
    assert Appointment.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_booking_locks_staff_then_rooms_in_id_order(team, dossier_type, quiet_invitations):
    service, start = _setup(team, dossier_type, staff=3, rooms=2)
    dossier = open_dossier(dossier_type=dossier_type, requester=PartyFactory())
    with CaptureQueriesContext(connection) as queries:
        services.appointment_book(
            actor=None, service=service, mode="physical", start=start, dossier=dossier
        )
    if connection.vendor != "postgresql":
        # SQLite: the IMMEDIATE transaction is the lock (settings).
        assert connection.settings_dict["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
        return
    locking = [q["sql"] for q in queries.captured_queries if "FOR NO KEY UPDATE" in q["sql"]]
    assert len(locking) == 2
    assert locking[0].startswith('SELECT "accounts_user"."id" AS "pk" FROM "accounts_user"')
    assert locking[1].startswith('SELECT "appointments_room"."id" AS "pk" FROM "appointments_room"')
    assert all("ORDER BY 1 ASC FOR NO KEY UPDATE" in sql for sql in locking)
