"""Midoffice's own agenda as an ``AgendaBackend``: services, locations and free times
from the appointments app's tables (``slots``), bookings through its services.

The booking services use ``slots`` directly when this backend is configured; this class
gives other callers (a JCC-shaped client, a test of the contract) the same interface as
JCC. The external id of a booking is the appointment's id.
"""

from __future__ import annotations

import datetime as dt

from midoffice.appointments import slots
from midoffice.appointments.backends.base import (
    Booked,
    BookingDetails,
    BookingRequest,
    Client,
    LocationInfo,
    ServiceInfo,
    Slot,
    SlotTaken,
)
from midoffice.appointments.models import (
    Appointment,
    AppointmentStatus,
    Location,
    Mode,
    ParticipantKind,
    Service,
    WorkingHours,
)
from midoffice.appointments.services import appointment_book, appointment_cancel
from midoffice.core.errors import Conflict, NotFound

#: Days ``available_days`` looks at when asked for more (a JCC client asks month by month).
MAX_DAYS = 120


def _service(code: str) -> Service:
    service = Service.objects.filter(code=code, active=True).select_related("team").first()
    if service is None:
        raise NotFound("Deze dienst bestaat niet (meer).")
    return service


def _location(code: str) -> Location | None:
    if not code:
        return None
    location = Location.objects.filter(code=code, active=True).first()
    if location is None:
        raise NotFound("Deze locatie bestaat niet (meer).")
    return location


def _mode(service: Service, location: Location | None) -> str:
    """Without a mode in the question (JCC has none): at a location, physical (else
    hybrid); without one, by video (else physical)."""
    order = (
        (Mode.PHYSICAL, Mode.HYBRID, Mode.DIGITAL)
        if location is not None
        else (Mode.DIGITAL, Mode.PHYSICAL, Mode.HYBRID)
    )
    return next((str(m) for m in order if m in service.modes), "")


def _address(location: Location) -> str:
    street = f"{location.street} {location.number}".strip()
    place = f"{location.postcode} {location.municipality}".strip()
    return ", ".join(p for p in (street, place) if p)


class LocalBackend:
    """``AgendaBackend`` over Midoffice's own tables."""

    code = "local"

    def services(self) -> list[ServiceInfo]:
        return [
            ServiceInfo(code=s.code, name=s.name, duration_minutes=s.duration_minutes)
            for s in Service.objects.filter(active=True).order_by("name")
        ]

    def locations(self, service_code: str | None = None) -> list[LocationInfo]:
        locations = Location.objects.filter(active=True)
        if service_code:
            service = _service(service_code)
            staff = [u.pk for u in slots.service_staff(service)]
            ids = WorkingHours.objects.filter(user__in=staff, location__isnull=False).values(
                "location_id"
            )
            locations = locations.filter(pk__in=ids)
        return [
            LocationInfo(code=loc.code, name=loc.name, address=_address(loc))
            for loc in locations.order_by("name")
        ]

    def available_days(
        self, service_code: str, location_code: str, start: dt.date, end: dt.date
    ) -> list[dt.date]:
        service = _service(service_code)
        location = _location(location_code)
        end = min(end, start + dt.timedelta(days=MAX_DAYS - 1))
        return slots.available_days(
            service=service, mode=_mode(service, location), start=start, end=end, location=location
        )

    def available_times(self, service_code: str, location_code: str, day: dt.date) -> list[Slot]:
        service = _service(service_code)
        location = _location(location_code)
        return slots.free_slots(
            service=service,
            mode=_mode(service, location),
            start=day,
            end=day,
            location=location,
        )

    def required_client_fields(self, service_code: str) -> list[str]:
        _service(service_code)
        return ["name", "email"]

    def book(self, request: BookingRequest) -> Booked:
        service = _service(request.service_code)
        location = _location(request.location_code)
        try:
            appointment = appointment_book(
                actor=None,
                service=service,
                mode=request.mode,
                start=request.start,
                citizen_name=request.client.name,
                citizen_email=request.client.email,
                citizen_phone=request.client.phone,
                remark=request.remark,
                location=location,
            )
        except Conflict as exc:
            if exc.code == "slot_taken":
                raise SlotTaken(exc.message) from exc
            raise
        return Booked(
            external_id=str(appointment.pk),
            start=appointment.start,
            end=appointment.end,
            location_code=appointment.location.code if appointment.location else "",
        )

    def _appointment(self, external_id: str) -> Appointment:
        found = (
            Appointment.objects.filter(pk=int(external_id)).select_related("service", "location")
            if external_id.isdigit()
            else Appointment.objects.none()
        ).first()
        if found is None:
            raise NotFound("Deze afspraak werd niet gevonden.")
        return found

    def cancel(self, external_id: str) -> None:
        appointment = self._appointment(external_id)
        if appointment.status != AppointmentStatus.CANCELLED:
            appointment_cancel(actor=None, appointment=appointment)

    def details(self, external_id: str) -> BookingDetails:
        appointment = self._appointment(external_id)
        citizen = appointment.participants.filter(kind=ParticipantKind.CITIZEN).first()
        return BookingDetails(
            external_id=str(appointment.pk),
            service_code=appointment.service.code,
            location_code=appointment.location.code if appointment.location else "",
            start=appointment.start,
            end=appointment.end,
            client=Client(
                name=citizen.name if citizen else "", email=citizen.email if citizen else ""
            ),
            cancelled=appointment.status == AppointmentStatus.CANCELLED,
        )
