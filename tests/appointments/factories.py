"""Building blocks for appointment tests: a town hall with rooms, a service, hours.

Plain functions (not factory_boy): each test says which hours, rooms and modes it needs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from zoneinfo import ZoneInfo

from midoffice.accounts.models import Team, User
from midoffice.appointments.models import Location, Room, Service, WorkingHours
from midoffice.catalog.models import DossierType

BRUSSELS = ZoneInfo("Europe/Brussels")


def local(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """An aware Brussels time."""
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=BRUSSELS)


def make_location(code: str = "gemeentehuis", name: str = "Gemeentehuis Leemdonk") -> Location:
    location, _ = Location.objects.get_or_create(code=code, defaults={"name": name})
    return location


def make_room(
    location: Location,
    name: str = "Spreekkamer 1",
    *,
    capacity: int = 4,
    hybrid: bool = False,
    active: bool = True,
) -> Room:
    return Room.objects.create(
        location=location, name=name, capacity=capacity, hybrid=hybrid, active=active
    )


def make_service(
    team: Team,
    *,
    code: str = "bouwadvies",
    name: str = "Bouwadvies",
    duration: int = 45,
    buffer: int = 0,
    modes: Sequence[str] = ("physical",),
    staff: Iterable[User] = (),
    dossier_type: DossierType | None = None,
    step: int = 15,
    notice_hours: int = 0,
    days_ahead: int = 56,
    min_capacity: int = 2,
) -> Service:
    service = Service.objects.create(
        code=code,
        name=name,
        duration_minutes=duration,
        buffer_minutes=buffer,
        allow_physical="physical" in modes,
        allow_digital="digital" in modes,
        allow_hybrid="hybrid" in modes,
        team=team,
        dossier_type=dossier_type,
        slot_step_minutes=step,
        min_notice_hours=notice_hours,
        max_days_ahead=days_ahead,
        min_room_capacity=min_capacity,
    )
    service.staff.set(list(staff))
    return service


def give_hours(
    user: User,
    location: Location | None,
    *,
    weekdays: Iterable[int] = range(5),
    start: dt.time = dt.time(9),
    end: dt.time = dt.time(12),
) -> None:
    for weekday in weekdays:
        WorkingHours.objects.create(
            user=user, weekday=weekday, start=start, end=end, location=location
        )


def starts(slots: Iterable[object]) -> list[str]:
    """The slots' start times as local "YYYY-MM-DD HH:MM" (easy to read in asserts)."""
    return [f"{s.start.astimezone(BRUSSELS):%Y-%m-%d %H:%M}" for s in slots]  # type: ignore[attr-defined]
