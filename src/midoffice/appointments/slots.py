"""Free slots: when a service can be booked, with whom and in which room.

A slot is a start time at which some member of staff who takes the service is working
(``WorkingHours``, in the town's wall-clock time), is not absent (``Absence``) and has
no other appointment from the start until the end plus the service's buffer — and, for
an appointment at the town hall, a suitable room at the staff member's location for that
day is free just as long: any active room with enough places for a physical meeting, a
room with screen and camera for a hybrid one; a video meeting needs no room. Days the
town hall is closed (Belgian public holidays and the town's closing days: the calendar
the deadlines use) have no slots, and neither does anything outside the service's
booking window (minimum notice, how many days ahead).

Start times follow a grid from the start of each block of working hours, every
``Service.slot_step_minutes`` (0: the service's duration), in local wall-clock time: a
09:00 slot is 09:00 in Brussels on both sides of a daylight-saving change, and a time
that does not exist (02:30 on the last Sunday of March) is never offered. Durations are
real durations: they are added in absolute time.

The data for the whole range is read in a handful of set-based queries (working hours,
rooms, appointments, absences; the closing days are memoised), with times as whole
seconds since the epoch computed by the database. Everything else is computed here in
Python, per day on the day's minutes as the bits of an integer (busy time of a person or
a room, the grid, the minutes where the service fits): `bench/bench_appointments.py`.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import holidays
from django.db.models import BigIntegerField, Func, Q
from django.utils import timezone

from midoffice.accounts.models import User
from midoffice.appointments.backends.base import Slot
from midoffice.appointments.models import (
    Absence,
    Appointment,
    AppointmentStatus,
    Location,
    Mode,
    Room,
    Service,
    WorkingHours,
)
from midoffice.core import clock
from midoffice.dossiers.deadlines import TownCalendar
from midoffice.dossiers.selectors import town_calendar

#: No appointment lasts longer than this (duration ≤ 8 h plus buffer ≤ 2 h): appointments
#: that overlap a range start at most this long before it, so the index on start is used.
MAX_SPAN = dt.timedelta(days=1)
#: At most this many days are computed in one call (a longer range is cut short).
MAX_RANGE_DAYS = 120

_UTC = dt.UTC
_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()


# --- database: times as whole seconds since the epoch -------------------------------------


class EpochSeconds(Func):
    """A datetime column as whole seconds since the epoch (an integer).

    Turning 20,000 timestamps into Python datetimes (and, on SQLite, parsing them from
    text) costs more than the whole slot computation; integers cost nothing.
    """

    output_field = BigIntegerField()

    def get_db_converters(self, connection: Any) -> list[Any]:
        # Both databases hand back an integer already: no per-row conversion in Python.
        return []

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # Stored as UTC text. julianday() is about three times cheaper than
        # strftime('%s') here (measured on 20,000 rows); rounded to the second.
        template = "CAST((julianday(%(expressions)s) - 2440587.5) * 86400.0 + 0.5 AS INTEGER)"
        return self.as_sql(compiler, connection, template=template, **extra)

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        template = "FLOOR(EXTRACT(EPOCH FROM %(expressions)s))::bigint"
        return self.as_sql(compiler, connection, template=template, **extra)


# --- pure core: a day as a row of minutes ------------------------------------------------
#
# A day's minutes are the bits of a Python integer (bit i: minute i after local midnight,
# counted in real time, so a day has 1380 or 1500 minutes on the days the clocks change).
# Busy time is an OR of ranges of bits; "where can L free minutes in a row begin" is a
# handful of shifts. Fifty people over eight weeks cost microseconds per person and day.


def span_bits(first: int, last: int) -> int:
    """Minutes ``first`` to ``last - 1`` set."""
    return ((1 << (last - first)) - 1) << first if last > first else 0


def fitting(free: int, length: int) -> int:
    """The minutes of ``free`` at which ``length`` free minutes in a row begin."""
    have = 1
    while have < length and free:
        step = have if have + have <= length else length - have
        free &= free >> step  # now: [m, m + have + step) is free
        have += step
    return free


def bit_indexes(bits: int) -> Iterator[int]:
    """The set minutes, lowest first."""
    while bits:
        lowest = bits & -bits
        yield lowest.bit_length() - 1
        bits ^= lowest


def town_zone() -> ZoneInfo:
    zone = timezone.get_default_timezone()
    assert isinstance(zone, ZoneInfo)
    return zone


@dataclass(frozen=True)
class LocalDay:
    """One calendar day in the town's time zone, as moments (seconds since the epoch).

    ``offset`` is the UTC offset in seconds when it is the same all day; on the two days a
    year the clocks change it is None and each wall-clock time is resolved on its own.
    """

    day: dt.date
    zone: ZoneInfo
    start: int
    end: int
    offset: int | None

    def moment(self, seconds: int) -> int | None:
        """When the wall clock shows ``seconds`` after midnight on this day; None when
        that time does not exist (the hour skipped in spring). In the hour that happens
        twice in autumn, the first time."""
        if self.offset is not None:
            return (self.day.toordinal() - _EPOCH_ORDINAL) * 86400 + seconds - self.offset
        naive = dt.datetime.combine(self.day, dt.time()) + dt.timedelta(seconds=seconds)
        aware = naive.replace(tzinfo=self.zone)  # fold=0: the first of an hour seen twice
        if aware.astimezone(_UTC).astimezone(self.zone).replace(tzinfo=None) != naive:
            return None
        return int(aware.timestamp())

    def moment_or_later(self, seconds: int) -> int:
        """Like ``moment``, but a time in the skipped hour counts as the moment the
        clock jumped over it (for the end of a block of working hours)."""
        found = self.moment(seconds)
        if found is not None:
            return found
        naive = dt.datetime.combine(self.day, dt.time()) + dt.timedelta(seconds=seconds)
        return int(naive.replace(tzinfo=self.zone, fold=1).timestamp())


def local_day(day: dt.date, zone: ZoneInfo) -> LocalDay:
    midnight = dt.datetime.combine(day, dt.time(), tzinfo=zone)
    next_midnight = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=zone)
    late = dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=zone)
    first, last = midnight.utcoffset(), late.utcoffset()
    offset = int(first.total_seconds()) if first is not None and first == last else None
    return LocalDay(
        day=day,
        zone=zone,
        start=int(midnight.timestamp()),
        end=int(next_midnight.timestamp()),
        offset=offset,
    )


def grid(local: LocalDay, begin: dt.time, end: dt.time, step_seconds: int) -> tuple[list[int], int]:
    """The start times of a block of working hours (wall-clock ``begin`` to ``end``) every
    ``step_seconds`` from its beginning, as moments, leaving out times that do not exist;
    and the moment the block ends."""
    first = begin.hour * 3600 + begin.minute * 60 + begin.second
    stop = end.hour * 3600 + end.minute * 60 + end.second
    moments = []
    for seconds in range(first, stop, max(step_seconds, 60)):
        moment = local.moment(seconds)
        if moment is not None:
            moments.append(moment)
    return moments, local.moment_or_later(stop)


@lru_cache(maxsize=64)
def _public_holidays(year: int) -> frozenset[dt.date]:
    # The same source as dossiers.deadlines (the federal public holidays of Belgium); here
    # also on a Saturday, which TownCalendar leaves out because weekends never count there.
    return frozenset(holidays.country_holidays("BE", years=year).keys())


def town_hall_closed(day: dt.date, calendar: TownCalendar) -> bool:
    """A public holiday or one of the town's closing days (weekends are a matter of the
    working hours: a town may open on Saturday morning)."""
    return day in calendar.closing_days or day in _public_holidays(day.year)


# --- the computation ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Hours:
    staff_id: int
    weekday: int
    begin: dt.time
    end: dt.time
    location_id: int | None


def _needs_room(mode: str) -> bool:
    return mode in (Mode.PHYSICAL, Mode.HYBRID)


def _staff_hours(service: Service, staff: User | None) -> list[_Hours]:
    """Working hours of who takes the service: its staff, or when it names nobody, every
    active member of its team (who has working hours)."""
    configured = list(service.staff.values_list("id", "is_active"))
    hours = WorkingHours.objects.all()
    if configured:
        hours = hours.filter(user_id__in=[pk for pk, active in configured if active])
    else:
        hours = hours.filter(user__teams=service.team_id, user__is_active=True)
    if staff is not None:
        hours = hours.filter(user_id=staff.pk)
    rows = hours.filter(Q(location__isnull=True) | Q(location__active=True)).values_list(
        "user_id", "weekday", "start", "end", "location_id"
    )
    return [_Hours(*row) for row in rows]


def _rooms(
    *, mode: str, location_ids: set[int], capacity: int, room: Room | None
) -> dict[int, list[int]]:
    """Suitable rooms per location, in the order they are handed out: for a physical
    meeting rooms without video first (the hybrid room stays free for who needs it),
    then the smallest that fits."""
    if not _needs_room(mode) or not location_ids:
        return {}
    rooms = Room.objects.filter(location_id__in=location_ids, active=True, capacity__gte=capacity)
    if mode == Mode.HYBRID:
        rooms = rooms.filter(hybrid=True)
    if room is not None:
        rooms = rooms.filter(pk=room.pk)
    by_location: dict[int, list[int]] = defaultdict(list)
    for pk, location_id in rooms.order_by("hybrid", "capacity", "name", "id").values_list(
        "id", "location_id"
    ):
        by_location[location_id].append(pk)
    return by_location


def candidates(
    *,
    service: Service,
    mode: str,
    staff: User | None = None,
    room: Room | None = None,
    location: Location | None = None,
    min_capacity: int = 0,
) -> tuple[list[int], list[int]]:
    """The ids of the staff and rooms a booking of ``service`` in ``mode`` could use
    (sorted): what a booking locks before it checks that its slot is still free."""
    needs_room = _needs_room(mode)
    hours = [
        h
        for h in _staff_hours(service, staff)
        if not needs_room
        or (h.location_id is not None and (location is None or h.location_id == location.pk))
    ]
    rooms_at = _rooms(
        mode=mode,
        location_ids={h.location_id for h in hours if h.location_id is not None},
        capacity=max(service.min_room_capacity, min_capacity, 1),
        room=room,
    )
    staff_ids = sorted({h.staff_id for h in hours})
    return staff_ids, sorted(pk for pks in rooms_at.values() for pk in pks)


def service_staff(service: Service) -> list[User]:
    """Who takes ``service``: its active staff, or when it names nobody the active members
    of its team (working hours or not: for an agenda kept elsewhere, such as JCC)."""
    configured = service.staff.all()
    if configured.exists():
        return list(configured.filter(is_active=True).order_by("id"))
    return list(User.objects.filter(teams=service.team_id, is_active=True).order_by("id"))


@dataclass(frozen=True)
class _Range:
    days: list[dt.date]
    earliest: int  # no slot starts before this moment (minimum notice)


def _bookable_days(
    service: Service, start: dt.date, end: dt.date, *, apply_notice: bool = True
) -> _Range:
    now = clock.now()
    earliest = now + dt.timedelta(hours=service.min_notice_hours if apply_notice else 0)
    first = max(start, clock.localdate(earliest))
    last = min(end, clock.today() + dt.timedelta(days=service.max_days_ahead))
    last = min(last, first + dt.timedelta(days=MAX_RANGE_DAYS - 1)) if first <= last else last
    calendar = town_calendar()
    days = []
    day = first
    while day <= last:
        if not town_hall_closed(day, calendar):
            days.append(day)
        day += dt.timedelta(days=1)
    return _Range(days=days, earliest=int(earliest.timestamp()))


def free_slots(
    *,
    service: Service,
    mode: str,
    start: dt.date,
    end: dt.date,
    location: Location | None = None,
    staff: User | None = None,
    room: Room | None = None,
    exclude: Appointment | None = None,
    min_capacity: int = 0,
    at: dt.datetime | None = None,
    prefer_staff_id: int | None = None,
    include_bookings: bool = True,
    step_minutes: int | None = None,
    apply_notice: bool = True,
) -> list[Slot]:
    """The free slots of ``service`` in ``mode`` from ``start`` to ``end`` (local dates,
    both included), in time order (then by location code).

    Each slot names the member of staff who would take it — of those free, the one with
    the fewest appointments that day (``prefer_staff_id`` first when free) — and, at the
    town hall, the room. ``location``/``staff``/``room`` narrow the search; ``exclude``
    leaves one appointment out (moving it); ``min_capacity`` asks for a room with more
    places than the service's minimum; ``at`` keeps only that start time;
    ``include_bookings=False`` ignores existing appointments (to tell "taken" from "never
    offered"); ``apply_notice=False`` drops the minimum notice (staff booking for a
    citizen at the desk: anything from now on). A mode the service does not allow, or an
    inactive service, has no slots.
    """
    if not service.active or mode not in service.modes:
        return []
    if start > end:
        return []
    if at is not None:
        day = clock.localdate(at)
        start, end = max(start, day), min(end, day)
    bookable = _bookable_days(service, start, end, apply_notice=apply_notice)
    if not bookable.days:
        return []
    zone = town_zone()
    needs_room = _needs_room(mode)
    hours = [
        h
        for h in _staff_hours(service, staff)
        if not needs_room
        or (h.location_id is not None and (location is None or h.location_id == location.pk))
    ]
    if not hours:
        return []
    staff_ids = sorted({h.staff_id for h in hours})
    capacity = max(service.min_room_capacity, min_capacity, 1)
    rooms_at = _rooms(
        mode=mode,
        location_ids={h.location_id for h in hours if h.location_id is not None},
        capacity=capacity,
        room=room,
    )
    if needs_room and not rooms_at:
        return []
    room_ids = sorted(pk for pks in rooms_at.values() for pk in pks)
    days = [local_day(day, zone) for day in bookable.days]
    first = dt.datetime.fromtimestamp(days[0].start, _UTC)
    last = dt.datetime.fromtimestamp(days[-1].end, _UTC)

    count = len(days)
    day_starts = [local.start for local in days]
    day_ends = [local.end for local in days]
    staff_busy = {pk: [0] * count for pk in staff_ids}  # per person, per day: busy minutes
    staff_load = {pk: [0] * count for pk in staff_ids}  # appointments starting that day
    room_busy = {pk: [0] * count for pk in room_ids}

    def mark(rows: Iterable[tuple[int | None, int | None, int, int]]) -> None:
        """Busy minutes per person and room for (staff id, room id, start, end) rows.

        The loop every booking of the range passes through: kept flat on purpose (one
        bisect, integer arithmetic, no calls for the usual booking within one day)."""
        find = bisect.bisect_right
        for staff_id, room_id, begins, ends in rows:
            person = staff_busy.get(staff_id) if staff_id is not None else None
            place = room_busy.get(room_id) if room_id is not None else None
            d = find(day_starts, begins) - 1
            if d >= 0 and ends <= day_ends[d]:  # within one day: nearly always
                base = day_starts[d]
                first = (begins - base) // 60
                bits = ((1 << (-((base - ends) // 60) - first)) - 1) << first
                if person is not None:
                    person[d] |= bits
                    staff_load[staff_id][d] += 1  # type: ignore[index]  # person: in it
                if place is not None:
                    place[d] |= bits
                continue
            if person is not None and d >= 0 and begins < day_ends[d]:
                staff_load[staff_id][d] += 1  # type: ignore[index]  # person: in it
            d = max(d, 0)
            while d < count and day_starts[d] < ends:  # over midnight, or a long absence
                base = day_starts[d]
                low, high = max(begins, base), min(ends, day_ends[d])
                if low < high:
                    bits = span_bits((low - base) // 60, -((base - high) // 60))
                    if person is not None:
                        person[d] |= bits
                    if place is not None:
                        place[d] |= bits
                d += 1

    if include_bookings:
        who = Q(staff_id__in=staff_ids)
        if room_ids:
            who |= Q(room_id__in=room_ids)
        booked = (
            Appointment.objects.filter(
                who, start__lt=last, start__gte=first - MAX_SPAN, busy_until__gt=first
            )
            .exclude(status=AppointmentStatus.CANCELLED)
            .annotate(s=EpochSeconds("start"), e=EpochSeconds("busy_until"))
            .order_by()
        )
        if exclude is not None and exclude.pk:
            booked = booked.exclude(pk=exclude.pk)
        mark(booked.values_list("staff_id", "room_id", "s", "e"))
    absences = (
        Absence.objects.filter(user_id__in=staff_ids, start__lt=last, end__gt=first)
        .annotate(s=EpochSeconds("start"), e=EpochSeconds("end"))
        .order_by()
        .values_list("user_id", "s", "e")
    )
    mark((user_id, None, begins, ends) for user_id, begins, ends in absences)

    only = int(at.timestamp()) if at is not None else None
    step = 60 * (step_minutes or service.slot_step_minutes or service.duration_minutes)
    length = service.duration_minutes + service.buffer_minutes  # minutes
    by_weekday: dict[int, list[_Hours]] = defaultdict(list)
    for h in hours:
        by_weekday[h.weekday].append(h)

    # (start, location) → (staff id, day index); room per (location, day): which rooms
    # fit which starts, and the union of those.
    best: dict[tuple[int, int | None], tuple[int, int]] = {}
    room_fits: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for d, local in enumerate(days):
        todays = by_weekday.get(local.day.weekday())
        if not todays or local.end <= bookable.earliest:
            continue
        base = local.start
        minutes = (local.end - base) // 60
        allowed = span_bits(max(0, -((base - bookable.earliest) // 60)), minutes)
        if only is not None:
            minute, rest = divmod(only - base, 60)
            allowed &= (1 << minute) if rest == 0 and 0 <= minute < minutes else 0
        whole_day = span_bits(0, minutes)

        # A block of hours: its grid (the starts on offer), the minutes it covers, and the
        # starts on offer at which the service fits in the block.
        blocks: dict[tuple[dt.time, dt.time], tuple[int, int, int]] = {}
        for h in todays:
            if (h.begin, h.end) not in blocks:
                moments, block_end = grid(local, h.begin, h.end, step)
                offsets = [(m - base) // 60 for m in moments]
                on_grid = 0
                for offset in offsets:
                    on_grid |= 1 << offset
                reach = span_bits(offsets[0], (block_end - base) // 60) if offsets else 0
                on_grid &= allowed
                blocks[(h.begin, h.end)] = (on_grid, reach, on_grid & fitting(reach, length))

        room_union: dict[int, int] = {}
        possible: dict[int | None, int] = defaultdict(int)
        for h in todays:
            place = h.location_id if needs_room else None
            offered = blocks[(h.begin, h.end)][2]
            if place is not None:
                if place not in room_union:
                    fits = [
                        (pk, fitting(whole_day & ~room_busy[pk][d], length))
                        for pk in rooms_at.get(place, [])
                    ]
                    room_fits[(place, d)] = fits
                    room_union[place] = 0
                    for _, fit in fits:
                        room_union[place] |= fit
                offered &= room_union[place]
            possible[place] |= offered

        # Who takes a start: of those free, the fewest appointments that day (the
        # preferred person first), so the hours are taken in that order and a start goes
        # to the first one free; once every start on offer at a place is taken, stop.
        covered: dict[int | None, int] = defaultdict(int)
        ranked = sorted(
            todays,
            key=lambda h: (
                h.staff_id != prefer_staff_id,
                staff_load[h.staff_id][d],
                h.staff_id,
            ),
        )
        for h in ranked:
            place = h.location_id if needs_room else None
            wanted = possible[place] & ~covered[place]
            if not wanted:
                continue
            on_grid, reach, _ = blocks[(h.begin, h.end)]
            found = fitting(reach & ~staff_busy[h.staff_id][d], length) & on_grid & wanted
            if found:
                covered[place] |= found
                for minute in bit_indexes(found):
                    best[(base + 60 * minute, place)] = (h.staff_id, d)

    codes: dict[int, str] = {}
    if needs_room and best:
        codes = dict(
            Location.objects.filter(pk__in={p for _, p in best if p is not None}).values_list(
                "id", "code"
            )
        )
    duration = dt.timedelta(minutes=service.duration_minutes)
    slots = []
    for (moment, place), (staff_id, d) in best.items():
        chosen: int | None = None
        if place is not None:
            minute = (moment - day_starts[d]) // 60
            chosen = next(pk for pk, fit in room_fits[(place, d)] if fit >> minute & 1)
        begins = dt.datetime.fromtimestamp(moment, zone)
        slots.append(
            Slot(
                start=begins,
                end=(begins.astimezone(_UTC) + duration).astimezone(zone),
                location_code=codes.get(place, "") if place is not None else "",
                staff_id=staff_id,
                room_id=chosen,
            )
        )
    slots.sort(key=lambda slot: (slot.start, slot.location_code))
    return slots


def slot_at(
    *,
    service: Service,
    mode: str,
    start: dt.datetime,
    staff: User | None = None,
    room: Room | None = None,
    exclude: Appointment | None = None,
    min_capacity: int = 0,
    prefer_staff_id: int | None = None,
    include_bookings: bool = True,
    apply_notice: bool = True,
    location: Location | None = None,
) -> Slot | None:
    """The free slot that starts exactly at ``start`` (with who and where), or None."""
    day = clock.localdate(start)
    found = free_slots(
        service=service,
        mode=mode,
        start=day,
        end=day,
        staff=staff,
        room=room,
        exclude=exclude,
        min_capacity=min_capacity,
        at=start,
        prefer_staff_id=prefer_staff_id,
        include_bookings=include_bookings,
        apply_notice=apply_notice,
        location=location,
    )
    return found[0] if found else None


def available_days(
    *,
    service: Service,
    mode: str,
    start: dt.date,
    end: dt.date,
    location: Location | None = None,
) -> list[dt.date]:
    """The days from ``start`` to ``end`` (both included) with at least one free slot."""
    found = free_slots(service=service, mode=mode, start=start, end=end, location=location)
    return sorted({clock.localdate(slot.start) for slot in found})
