"""Where a booking goes: a free member of staff and room in Midoffice's own agenda, or the
town's external agenda (JCC) — the part of booking and moving that finds the place.

``place_local`` locks every member of staff and room the booking could use, in a fixed
order (``locks.resources_lock``), and only then checks the slot again (ADR 15); whoever
comes second gets ``Conflict`` with code ``slot_taken``. ``place_external`` books in the
configured external agenda, which decides what is free itself.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass
from typing import Any

from midoffice.accounts.models import User
from midoffice.appointments import slots
from midoffice.appointments.backends import backend_code, get_backend
from midoffice.appointments.backends.base import (
    BackendUnavailable,
    Booked,
    BookingRequest,
    Client,
    SlotTaken,
)
from midoffice.appointments.locks import resources_lock
from midoffice.appointments.models import (
    Appointment,
    AppointmentStatus,
    Location,
    Room,
    Service,
)
from midoffice.core import clock
from midoffice.core.errors import Conflict, UserError

SLOT_TAKEN = "Dit tijdstip is net door iemand anders geboekt. Kies een ander moment."
SLOT_UNAVAILABLE = "Op dit tijdstip kan je deze afspraak niet maken. Kies een vrij moment."
AGENDA_UNAVAILABLE = "De agenda is nu niet bereikbaar. Probeer het over enkele minuten opnieuw."


@dataclass(frozen=True)
class Place:
    staff: User
    room: Room | None
    location: Location | None
    backend: str = "local"
    external_id: str = ""


def place_local(
    *,
    service: Service,
    mode: str,
    start: dt.datetime,
    staff: User | None,
    room: Room | None,
    location: Location | None,
    in_room: int,
    exclude: Appointment | None = None,
    prefer_staff_id: int | None = None,
    staff_booking: bool,
) -> Place:
    """Lock who and what could take it, then find the free staff member and room."""
    staff_ids, room_ids = slots.candidates(
        service=service, mode=mode, staff=staff, room=room, location=location, min_capacity=in_room
    )
    resources_lock(staff_ids=staff_ids, room_ids=room_ids)
    arguments: dict[str, Any] = {
        "service": service,
        "mode": mode,
        "start": start,
        "staff": staff,
        "room": room,
        "location": location,
        "exclude": exclude,
        "min_capacity": in_room,
        "apply_notice": not staff_booking,
    }
    slot = slots.slot_at(**arguments, prefer_staff_id=prefer_staff_id)
    if slot is None:
        if slots.slot_at(**arguments, include_bookings=False) is not None:
            raise Conflict(SLOT_TAKEN, code="slot_taken")
        raise UserError(SLOT_UNAVAILABLE, field="start", code="slot_unavailable")
    assert slot.staff_id is not None
    chosen_room = (
        Room.objects.select_related("location").get(pk=slot.room_id) if slot.room_id else None
    )
    return Place(
        staff=User.objects.get(pk=slot.staff_id),
        room=chosen_room,
        location=chosen_room.location if chosen_room else None,
    )


def place_external(
    *,
    service: Service,
    mode: str,
    start: dt.datetime,
    staff: User | None,
    room: Room | None,
    location: Location | None,
    client: Client,
    remark: str,
) -> Place:
    """Book in the town's external agenda (JCC); it decides what is free."""
    place = location or (room.location if room else None)
    if place is None:
        place = _default_location(service)
    person = staff or _least_booked(service, start)
    try:
        booked: Booked = get_backend().book(
            BookingRequest(
                service_code=service.code,
                location_code=place.code if place else "",
                start=start,
                client=client,
                mode=mode,
                remark=remark,
            )
        )
    except SlotTaken:
        raise Conflict(SLOT_TAKEN, code="slot_taken") from None
    except BackendUnavailable:
        raise UserError(AGENDA_UNAVAILABLE, code="agenda_unavailable") from None
    if booked.start != start:
        external_cancel(booked.external_id)
        raise UserError(SLOT_UNAVAILABLE, field="start", code="slot_unavailable")
    return Place(
        staff=person,
        room=room,
        location=place,
        backend=backend_code(),
        external_id=booked.external_id[: Appointment._meta.get_field("external_id").max_length],
    )


def _default_location(service: Service) -> Location | None:
    """Where the service's staff work (the first such location), else any location."""
    worked = (
        Location.objects.filter(
            active=True, workinghours__user__in=[u.pk for u in slots.service_staff(service)]
        )
        .order_by("name", "id")
        .first()
    )
    return worked or Location.objects.filter(active=True).order_by("name", "id").first()


def _least_booked(service: Service, start: dt.datetime) -> User:
    """Of who takes the service, the one with the fewest appointments that day."""
    people = slots.service_staff(service)
    if not people:
        raise UserError(
            "Niemand kan deze dienst opnemen: vraag het onthaal om hulp.", code="no_staff"
        )
    day = clock.localdate(start)
    counts: dict[int, int] = {}
    for staff_id in Appointment.objects.filter(
        staff__in=people, start__date=day, status=AppointmentStatus.BOOKED
    ).values_list("staff_id", flat=True):
        counts[staff_id] = counts.get(staff_id, 0) + 1
    return min(people, key=lambda u: (counts.get(u.pk, 0), u.pk))


def external_cancel(external_id: str) -> None:
    """Cancel a booking in the external agenda; unreachable is a Dutch error (try again)."""
    try:
        get_backend().cancel(external_id)
    except BackendUnavailable:
        raise UserError(AGENDA_UNAVAILABLE, code="agenda_unavailable") from None


def external_cancel_quietly(external_id: str) -> None:
    """Best effort, for a booking rolled back after the external agenda took it: JCC keeps
    the time otherwise, until someone cancels it there."""
    with contextlib.suppress(BackendUnavailable):
        get_backend().cancel(external_id)
