"""The agenda behind the bookings: Midoffice's own, or a town's JCC-Afspraken.

Both implement ``AgendaBackend``. The booking services (``appointments.services``) ask
the configured backend (``MIDOFFICE_APPOINTMENTS_BACKEND``: ``local`` or ``jcc``) for
free times and book through it; Midoffice keeps its own ``Appointment`` row either way
(with the backend's id in ``external_id``), so the dossier, the portal, the invitations
and the API work the same.

Every time crossing this interface is an aware ``datetime``; a backend that speaks naive
local time (JCC) converts at its own edge, in Europe/Brussels.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Protocol


class BackendUnavailable(Exception):
    """The agenda cannot be reached now (timeout, 5xx): the caller may try again."""


class SlotTaken(Exception):
    """The chosen time was booked by someone else in the meantime."""


@dataclass(frozen=True)
class ServiceInfo:
    code: str
    name: str
    duration_minutes: int


@dataclass(frozen=True)
class LocationInfo:
    code: str
    name: str
    address: str = ""


@dataclass(frozen=True)
class Slot:
    """A free start time: who would take it and where (staff/room are local-backend ids)."""

    start: dt.datetime
    end: dt.datetime
    location_code: str = ""
    staff_id: int | None = None
    room_id: int | None = None


@dataclass(frozen=True)
class Client:
    """The citizen as the agenda needs them (JCC asks for a set of client fields)."""

    name: str
    email: str = ""
    phone: str = ""
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class BookingRequest:
    service_code: str
    location_code: str
    start: dt.datetime
    client: Client
    mode: str = "physical"
    remark: str = ""


@dataclass(frozen=True)
class Booked:
    external_id: str
    start: dt.datetime
    end: dt.datetime
    location_code: str = ""


@dataclass(frozen=True)
class BookingDetails:
    external_id: str
    service_code: str
    location_code: str
    start: dt.datetime
    end: dt.datetime
    client: Client
    cancelled: bool = False


class AgendaBackend(Protocol):
    code: str

    def services(self) -> list[ServiceInfo]: ...

    def locations(self, service_code: str | None = None) -> list[LocationInfo]: ...

    def available_days(
        self, service_code: str, location_code: str, start: dt.date, end: dt.date
    ) -> list[dt.date]: ...

    def available_times(
        self, service_code: str, location_code: str, day: dt.date
    ) -> list[Slot]: ...

    def required_client_fields(self, service_code: str) -> list[str]: ...

    def book(self, request: BookingRequest) -> Booked: ...

    def cancel(self, external_id: str) -> None: ...

    def details(self, external_id: str) -> BookingDetails: ...
