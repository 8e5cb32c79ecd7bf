"""Free slots: working hours, absences, bookings, rooms, closing days, the booking window,
and the two daylight-saving weeks (issue 12: "right across the DST changes")."""

from __future__ import annotations

import datetime as dt

import pytest

from midoffice.appointments import slots
from midoffice.appointments.models import Absence, Appointment, AppointmentStatus
from midoffice.catalog.models import ClosingDay
from midoffice.core import clock
from tests.appointments.factories import (
    BRUSSELS,
    give_hours,
    local,
    make_location,
    make_room,
    make_service,
    starts,
)
from tests.factories import UserFactory

# A Monday in January 2027, 08:00 in Brussels: "now" for most tests.
MONDAY = dt.date(2027, 1, 11)
TUESDAY = MONDAY + dt.timedelta(days=1)


@pytest.fixture
def now():
    with clock.frozen_at(local(MONDAY, 8)):
        yield local(MONDAY, 8)


# --- the pure core ----------------------------------------------------------------------------


def _bits(*minutes: int) -> int:
    return sum(1 << m for m in minutes)


def test_span_bits_are_half_open():
    assert slots.span_bits(2, 5) == _bits(2, 3, 4)
    assert slots.span_bits(5, 5) == 0
    assert slots.span_bits(6, 5) == 0


def test_fitting_finds_where_enough_free_minutes_in_a_row_begin():
    free = slots.span_bits(0, 10) | slots.span_bits(20, 23)  # 0-9 and 20-22 free
    assert slots.fitting(free, 1) == free
    assert slots.fitting(free, 3) == slots.span_bits(0, 8) | _bits(20)
    assert slots.fitting(free, 4) == slots.span_bits(0, 7)
    assert slots.fitting(free, 10) == _bits(0)
    assert slots.fitting(free, 11) == 0
    # Every length up to 60 against a plain check, on an irregular pattern.
    pattern = sum(1 << m for m in range(200) if (m * 7) % 13 < 9 or 90 <= m < 150)
    for length in range(1, 61):
        expected = sum(
            1 << m for m in range(200) if all(pattern >> k & 1 for k in range(m, m + length))
        )
        assert slots.fitting(pattern, length) == expected, length


def test_bit_indexes_lowest_first():
    assert list(slots.bit_indexes(_bits(0, 5, 1499))) == [0, 5, 1499]
    assert list(slots.bit_indexes(0)) == []


def _wall(moment: int) -> str:
    return f"{dt.datetime.fromtimestamp(moment, BRUSSELS):%H:%M %Z}"


def test_the_grid_skips_the_hour_that_does_not_exist_in_march():
    day = slots.local_day(dt.date(2028, 3, 26), BRUSSELS)  # last Sunday of March
    assert day.offset is None
    assert day.end - day.start == 23 * 3600
    moments, end = slots.grid(day, dt.time(1), dt.time(4), 30 * 60)
    assert [_wall(m) for m in moments] == ["01:00 CET", "01:30 CET", "03:00 CEST", "03:30 CEST"]
    assert _wall(end) == "04:00 CEST"


def test_the_grid_in_october_takes_the_first_of_the_hour_seen_twice():
    day = slots.local_day(dt.date(2027, 10, 31), BRUSSELS)  # last Sunday of October
    assert day.end - day.start == 25 * 3600
    moments, _ = slots.grid(day, dt.time(1), dt.time(4), 30 * 60)
    assert [_wall(m) for m in moments] == [
        "01:00 CEST",
        "01:30 CEST",
        "02:00 CEST",
        "02:30 CEST",
        "03:00 CET",
        "03:30 CET",
    ]
    assert moments == sorted(set(moments))


def test_an_ordinary_day_takes_the_fast_path_and_agrees_with_zoneinfo():
    day = slots.local_day(MONDAY, BRUSSELS)
    assert day.offset == 3600
    moment = day.moment(9 * 3600 + 15 * 60)
    assert moment == int(local(MONDAY, 9, 15).timestamp())


# --- with the database ------------------------------------------------------------------------


@pytest.fixture
def town(db, team):
    return make_location()


def test_slots_follow_the_working_hours_on_the_grid(now, team, town):
    sofie = UserFactory(teams=[team])
    give_hours(sofie, town, weekdays=[1], start=dt.time(9), end=dt.time(11))
    make_room(town)
    service = make_service(team, duration=45, step=15, staff=[sofie])
    found = slots.free_slots(service=service, mode="physical", start=MONDAY, end=TUESDAY)
    assert starts(found) == [
        "2027-01-12 09:00",
        "2027-01-12 09:15",
        "2027-01-12 09:30",
        "2027-01-12 09:45",
        "2027-01-12 10:00",
        "2027-01-12 10:15",  # ends 11:00, the end of the block
    ]
    first = found[0]
    assert first.staff_id == sofie.pk
    assert first.location_code == "gemeentehuis"
    assert first.end - first.start == dt.timedelta(minutes=45)


def test_step_zero_means_the_duration(now, team, town):
    sofie = UserFactory(teams=[team])
    give_hours(sofie, None, weekdays=[1], start=dt.time(9), end=dt.time(11))
    service = make_service(team, duration=30, step=0, modes=["digital"], staff=[sofie])
    found = slots.free_slots(service=service, mode="digital", start=TUESDAY, end=TUESDAY)
    assert starts(found) == [
        "2027-01-12 09:00",
        "2027-01-12 09:30",
        "2027-01-12 10:00",
        "2027-01-12 10:30",
    ]
    assert {s.room_id for s in found} == {None}
    assert {s.location_code for s in found} == {""}


def test_a_booking_and_its_buffer_block_the_person(now, team, town):
    sofie = UserFactory(teams=[team])
    give_hours(sofie, None, weekdays=[1], start=dt.time(9), end=dt.time(12))
    service = make_service(team, duration=45, buffer=15, modes=["digital"], staff=[sofie])
    Appointment.objects.create(
        service=service,
        mode="digital",
        start=local(TUESDAY, 10),
        end=local(TUESDAY, 10, 45),
        busy_until=local(TUESDAY, 11),
        staff=sofie,
    )
    found = starts(slots.free_slots(service=service, mode="digital", start=TUESDAY, end=TUESDAY))
    # 45 minutes + 15 buffer = an hour busy for each slot; 09:00 fits before 10:00 exactly.
    assert found == ["2027-01-12 09:00", "2027-01-12 11:00"]


def test_a_cancelled_booking_frees_the_time_and_exclude_ignores_one(now, team, town):
    sofie = UserFactory(teams=[team])
    give_hours(sofie, None, weekdays=[1], start=dt.time(9), end=dt.time(10))
    service = make_service(team, duration=60, modes=["digital"], staff=[sofie])
    booked = Appointment.objects.create(
        service=service,
        mode="digital",
        start=local(TUESDAY, 9),
        end=local(TUESDAY, 10),
        busy_until=local(TUESDAY, 10),
        staff=sofie,
    )
    args = {"service": service, "mode": "digital", "start": TUESDAY, "end": TUESDAY}
    assert slots.free_slots(**args) == []
    assert starts(slots.free_slots(**args, exclude=booked)) == ["2027-01-12 09:00"]
    booked.status = AppointmentStatus.CANCELLED
    booked.save()
    assert starts(slots.free_slots(**args)) == ["2027-01-12 09:00"]


def test_an_absence_blocks_the_person(now, team, town):
    sofie = UserFactory(teams=[team])
    give_hours(sofie, None, weekdays=[1, 2], start=dt.time(9), end=dt.time(10))
    service = make_service(team, duration=60, modes=["digital"], staff=[sofie])
    Absence.objects.create(user=sofie, start=local(TUESDAY, 0), end=local(TUESDAY, 9, 30))
    found = slots.free_slots(service=service, mode="digital", start=TUESDAY, end=TUESDAY)
    assert found == []
    wednesday = TUESDAY + dt.timedelta(days=1)
    found = slots.free_slots(service=service, mode="digital", start=TUESDAY, end=wednesday)
    assert starts(found) == ["2027-01-13 09:00"]


def test_closing_days_and_public_holidays_have_no_slots(team, town):
    sofie = UserFactory(teams=[team])
    give_hours(sofie, None, weekdays=range(7), start=dt.time(9), end=dt.time(10))
    service = make_service(team, duration=60, modes=["digital"], staff=[sofie])
    ClosingDay.objects.create(date=dt.date(2027, 7, 12), reason="Brugdag")
    with clock.frozen_at(local(dt.date(2027, 7, 8), 8)):
        found = slots.free_slots(
            service=service, mode="digital", start=dt.date(2027, 7, 9), end=dt.date(2027, 7, 22)
        )
    days = {s.start.astimezone(BRUSSELS).date() for s in found}
    assert dt.date(2027, 7, 12) not in days  # the town's closing day
    assert dt.date(2027, 7, 21) not in days  # national holiday (a Wednesday in 2027)
    assert dt.date(2027, 7, 10) in days  # a Saturday: open when the hours say so
    assert dt.date(2027, 7, 13) in days


def test_the_booking_window_minimum_notice_and_days_ahead(team, town):
    sofie = UserFactory(teams=[team])
    give_hours(sofie, None, weekdays=range(7), start=dt.time(9), end=dt.time(12))
    service = make_service(
        team, duration=60, step=60, modes=["digital"], staff=[sofie], notice_hours=24, days_ahead=3
    )
    with clock.frozen_at(local(MONDAY, 10)):
        found = starts(
            slots.free_slots(
                service=service, mode="digital", start=MONDAY, end=MONDAY + dt.timedelta(days=30)
            )
        )
    # From Tuesday 10:00 (24 hours) up to Thursday (three days ahead), nothing later.
    assert found[0] == "2027-01-12 10:00"
    assert found[-1] == "2027-01-14 11:00"
    assert "2027-01-12 09:00" not in found


def test_physical_needs_a_free_room_that_is_big_enough(now, team, town):
    sofie, jan = UserFactory(teams=[team]), UserFactory(teams=[team])
    for person in (sofie, jan):
        give_hours(person, town, weekdays=[1], start=dt.time(9), end=dt.time(10))
    small = make_room(town, "Loket", capacity=2)
    service = make_service(team, duration=60, staff=[sofie, jan], min_capacity=3)
    args = {"service": service, "mode": "physical", "start": TUESDAY, "end": TUESDAY}
    assert slots.free_slots(**args) == []  # the only room is too small
    big = make_room(town, "Vergaderzaal", capacity=6)
    found = slots.free_slots(**args)
    assert [(s.room_id, s.staff_id) for s in found] == [(big.pk, sofie.pk)]
    # The room is taken by Sofie's appointment: Jan is free, but no room is.
    Appointment.objects.create(
        service=service,
        mode="physical",
        start=local(TUESDAY, 9),
        end=local(TUESDAY, 10),
        busy_until=local(TUESDAY, 10),
        staff=sofie,
        room=big,
        location=town,
    )
    assert slots.free_slots(**args) == []
    assert small.pk  # (still there, still too small)


def test_hybrid_needs_the_hybrid_room_and_physical_prefers_the_others(now, team, town):
    sofie = UserFactory(teams=[team])
    give_hours(sofie, town, weekdays=[1], start=dt.time(9), end=dt.time(10))
    service = make_service(team, duration=60, modes=["physical", "hybrid"], staff=[sofie])
    args = {"service": service, "start": TUESDAY, "end": TUESDAY}
    raadzaal = make_room(town, "Raadzaal", capacity=20, hybrid=True)
    assert slots.free_slots(**args, mode="hybrid")[0].room_id == raadzaal.pk
    assert slots.free_slots(**args, mode="physical")[0].room_id == raadzaal.pk
    kamer = make_room(town, "Spreekkamer", capacity=4)
    assert slots.free_slots(**args, mode="physical")[0].room_id == kamer.pk
    assert slots.free_slots(**args, mode="hybrid")[0].room_id == raadzaal.pk
    raadzaal.active = False
    raadzaal.save()
    assert slots.free_slots(**args, mode="hybrid") == []


def test_video_hours_without_a_location_serve_digital_only(now, team, town):
    sofie = UserFactory(teams=[team])
    give_hours(sofie, None, weekdays=[1], start=dt.time(9), end=dt.time(10))
    make_room(town)
    service = make_service(team, duration=60, modes=["physical", "digital"], staff=[sofie])
    args = {"service": service, "start": TUESDAY, "end": TUESDAY}
    assert slots.free_slots(**args, mode="physical") == []
    assert len(slots.free_slots(**args, mode="digital")) == 1
    assert slots.free_slots(**args, mode="hybrid") == []  # not a mode of the service


def test_without_named_staff_every_active_team_member_with_hours(now, team, town):
    sofie, jan, gone = (UserFactory(teams=[team]) for _ in range(3))
    gone.is_active = False
    gone.save()
    outsider = UserFactory()
    for person in (sofie, jan, gone, outsider):
        give_hours(person, None, weekdays=[1], start=dt.time(9), end=dt.time(10))
    service = make_service(team, duration=60, modes=["digital"])
    Appointment.objects.create(
        service=service,
        mode="digital",
        start=local(MONDAY, 9),
        end=local(MONDAY, 10),
        busy_until=local(MONDAY, 10),
        staff=sofie,
    )
    Appointment.objects.create(
        service=service,
        mode="digital",
        start=local(TUESDAY, 11),
        end=local(TUESDAY, 12),
        busy_until=local(TUESDAY, 12),
        staff=sofie,
    )
    ids, _ = slots.candidates(service=service, mode="digital")
    assert ids == sorted([sofie.pk, jan.pk])
    found = slots.free_slots(service=service, mode="digital", start=TUESDAY, end=TUESDAY)
    # Both are free at 09:00; Jan has fewer appointments that day, so he takes it.
    assert [s.staff_id for s in found] == [jan.pk]
    preferred = slots.free_slots(
        service=service, mode="digital", start=TUESDAY, end=TUESDAY, prefer_staff_id=sofie.pk
    )
    assert [s.staff_id for s in preferred] == [sofie.pk]


def test_a_mode_the_service_does_not_allow_or_an_inactive_service_has_no_slots(now, team, town):
    sofie = UserFactory(teams=[team])
    give_hours(sofie, None, weekdays=[1], start=dt.time(9), end=dt.time(10))
    service = make_service(team, duration=60, modes=["digital"], staff=[sofie])
    assert slots.free_slots(service=service, mode="physical", start=TUESDAY, end=TUESDAY) == []
    assert slots.free_slots(service=service, mode="nonsense", start=TUESDAY, end=TUESDAY) == []
    service.active = False
    service.save()
    assert slots.free_slots(service=service, mode="digital", start=TUESDAY, end=TUESDAY) == []


def test_far_dates_are_cut_to_the_booking_window(now, team, town):
    sofie = UserFactory(teams=[team])
    give_hours(sofie, None, weekdays=[1], start=dt.time(9), end=dt.time(10))
    service = make_service(team, duration=60, modes=["digital"], staff=[sofie])
    found = slots.free_slots(
        service=service, mode="digital", start=dt.date(1, 1, 1), end=dt.date(9999, 12, 31)
    )
    assert len(found) == 8  # every Tuesday of the 56 days ahead
    assert (
        slots.free_slots(
            service=service, mode="digital", start=dt.date(9999, 1, 1), end=dt.date(9999, 12, 31)
        )
        == []
    )


# --- the two daylight-saving weeks ---------------------------------------------------------


def _dst_week(team, town, first: dt.date, last: dt.date) -> list[slots.Slot]:
    sofie = UserFactory(teams=[team])
    give_hours(sofie, town, weekdays=range(7), start=dt.time(9), end=dt.time(10))
    make_room(town)
    service = make_service(team, duration=60, staff=[sofie])
    with clock.frozen_at(local(first - dt.timedelta(days=1), 12)):
        return slots.free_slots(service=service, mode="physical", start=first, end=last)


def test_march_a_nine_oclock_slot_stays_nine_oclock_across_the_change(team, town):
    # 2028: in 2027 the change falls on Easter Sunday, a public holiday (no slots at all).
    found = _dst_week(team, town, dt.date(2028, 3, 24), dt.date(2028, 3, 28))
    assert starts(found) == [f"2028-03-{d} 09:00" for d in (24, 25, 26, 27, 28)]
    utc = [f"{s.start.astimezone(dt.UTC):%d %H:%M}" for s in found]
    assert utc == ["24 08:00", "25 08:00", "26 07:00", "27 07:00", "28 07:00"]
    assert all(s.end - s.start == dt.timedelta(hours=1) for s in found)


def test_october_a_nine_oclock_slot_stays_nine_oclock_across_the_change(team, town):
    found = _dst_week(team, town, dt.date(2027, 10, 29), dt.date(2027, 11, 2))
    local_days = [f"{s.start.astimezone(BRUSSELS):%m-%d %H:%M}" for s in found]
    # 1 November is a public holiday: no slot.
    assert local_days == ["10-29 09:00", "10-30 09:00", "10-31 09:00", "11-02 09:00"]
    utc = [f"{s.start.astimezone(dt.UTC):%d %H:%M}" for s in found]
    assert utc == ["29 07:00", "30 07:00", "31 08:00", "02 08:00"]


def test_night_hours_on_the_change_days_offer_only_times_that_exist(team, town):
    sofie = UserFactory(teams=[team])
    give_hours(sofie, None, weekdays=[6], start=dt.time(1), end=dt.time(4))
    service = make_service(team, duration=30, step=30, modes=["digital"], staff=[sofie])
    with clock.frozen_at(local(dt.date(2028, 3, 20), 12)):
        march = slots.free_slots(
            service=service, mode="digital", start=dt.date(2028, 3, 26), end=dt.date(2028, 3, 26)
        )
    assert [f"{s.start.astimezone(BRUSSELS):%H:%M}" for s in march] == [
        "01:00",
        "01:30",
        "03:00",
        "03:30",
    ]
    # The 01:30 slot lasts half an hour of real time and ends at 03:00 on the clock.
    assert f"{march[1].end.astimezone(BRUSSELS):%H:%M}" == "03:00"
    with clock.frozen_at(local(dt.date(2027, 10, 20), 12)):
        october = slots.free_slots(
            service=service, mode="digital", start=dt.date(2027, 10, 31), end=dt.date(2027, 10, 31)
        )
    assert [f"{s.start.astimezone(BRUSSELS):%H:%M %Z}" for s in october] == [
        "01:00 CEST",
        "01:30 CEST",
        "02:00 CEST",
        "02:30 CEST",
        "03:00 CET",
        "03:30 CET",
    ]


def test_a_range_costs_a_fixed_number_of_queries(now, team, town, django_assert_max_num_queries):
    people = [UserFactory(teams=[team]) for _ in range(5)]
    for person in people:
        give_hours(person, town, weekdays=range(5), start=dt.time(9), end=dt.time(16))
    for n in range(3):
        make_room(town, f"Zaal {n}")
    service = make_service(team, duration=45, staff=people)
    for day in range(1, 20):
        Appointment.objects.create(
            service=service,
            mode="physical",
            start=local(MONDAY + dt.timedelta(days=day), 10),
            end=local(MONDAY + dt.timedelta(days=day), 10, 45),
            busy_until=local(MONDAY + dt.timedelta(days=day), 10, 45),
            staff=people[day % 5],
        )
    service = type(service).objects.get(pk=service.pk)
    with django_assert_max_num_queries(7):
        found = slots.free_slots(
            service=service, mode="physical", start=MONDAY, end=MONDAY + dt.timedelta(days=55)
        )
    assert len(found) > 500
