"""What the appointment pages of the portal and the workbench share: free times laid out
per day for a radio list, the window of weeks shown, and where an appointment takes place.

No requests and no sessions here: the views (``portal.appointment_views`` for citizens,
``appointments.views_staff`` for staff) call these and render the result.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from midoffice.appointments import slots
from midoffice.appointments.backends import backend_code, get_backend
from midoffice.appointments.backends.base import AgendaBackend, BackendUnavailable, Slot
from midoffice.appointments.forms import ChosenSlot, SlotForm, slot_parse, slot_value
from midoffice.appointments.models import Appointment, Location, Mode, Service
from midoffice.appointments.services import AGENDA_UNAVAILABLE
from midoffice.core import clock
from midoffice.core.errors import UserError

#: How many days one page of free times shows (a week: a phone scrolls through it).
WINDOW_DAYS = 7


@dataclass(frozen=True)
class TimeChoice:
    start: dt.datetime  # local (Europe/Brussels)
    value: str  # what the radio button posts
    where: str = ""


@dataclass(frozen=True)
class Day:
    date: dt.date
    slots: list[TimeChoice]


@dataclass(frozen=True)
class Window:
    """The days a page of free times shows, and the links to the weeks around it."""

    first: dt.date
    last: dt.date
    earlier: dt.date | None
    later: dt.date | None


def window_for(value: str | None, *, today: dt.date | None = None, max_days: int = 56) -> Window:
    """The week starting at ``value`` (``YYYY-MM-DD`` from the query string), kept
    between today and the booking horizon; anything unreadable means "from today"."""
    today = today or clock.today()
    horizon = today + dt.timedelta(days=max(max_days, 1))
    try:
        first = dt.date.fromisoformat(value) if value else today
    except ValueError:
        first = today
    first = min(max(first, today), horizon)
    last = min(first + dt.timedelta(days=WINDOW_DAYS - 1), horizon)
    earlier = max(first - dt.timedelta(days=WINDOW_DAYS), today) if first > today else None
    later = last + dt.timedelta(days=1) if last < horizon else None
    return Window(first=first, last=last, earlier=earlier, later=later)


def days_of(
    slots: Iterable[Slot], *, locations: dict[str, str] | None = None, keep_location: bool = False
) -> list[Day]:
    """Free times grouped per local day, in order. A time is offered once per location
    (the booking service picks the member of staff and the room again at the end); the
    location is named only when the times span more than one, and travels with the time
    then (or always, ``keep_location``: an external agenda books at a location)."""
    found = sorted(slots, key=lambda s: (s.start, s.location_code))
    several = len({s.location_code for s in found}) > 1
    named = several or keep_location
    by_day: dict[dt.date, list[TimeChoice]] = {}
    seen: set[tuple[dt.datetime, str]] = set()
    for slot in found:
        code = slot.location_code if named else ""
        if (slot.start, code) in seen:
            continue
        seen.add((slot.start, code))
        local = timezone.localtime(slot.start)
        where = (locations or {}).get(code, code) if code and several else ""
        by_day.setdefault(local.date(), []).append(
            TimeChoice(start=local, value=slot_value(local, code), where=where)
        )
    return [Day(date=day, slots=times) for day, times in sorted(by_day.items())]


def values_of(days: Sequence[Day]) -> list[str]:
    return [choice.value for day in days for choice in day.slots]


def location_names() -> dict[str, str]:
    return dict(Location.objects.filter(active=True).values_list("code", "name"))


# --- free times: Midoffice's own agenda (``slots``) or the town's external one (JCC) --------


def _earliest(service: Service, *, staff_booking: bool) -> dt.datetime:
    notice = 0 if staff_booking else service.min_notice_hours
    return clock.now() + dt.timedelta(hours=notice)


def _horizon(service: Service) -> dt.date:
    return clock.today() + dt.timedelta(days=service.max_days_ahead)


@contextmanager
def _agenda_reachable() -> Iterator[None]:
    """Questions to the external agenda; "not reachable" becomes a Dutch UserError."""
    try:
        yield
    except BackendUnavailable:
        raise UserError(AGENDA_UNAVAILABLE, code="agenda_unavailable") from None


def _external_codes(
    agenda: AgendaBackend, service: Service, location: Location | None
) -> list[str]:
    if location is not None:
        return [location.code]
    return [info.code for info in agenda.locations(service.code)]


def find_free(
    *,
    service: Service,
    mode: str,
    first: dt.date,
    last: dt.date,
    moving: Appointment | None = None,
    staff_booking: bool = False,
    location: Location | None = None,
) -> list[Slot]:
    """The free times from ``first`` to ``last`` in the configured agenda: Midoffice's
    own (``slots.free_slots``), or the external one (JCC: its days, then its times per
    day and location), kept inside the service's booking window."""
    if backend_code() == "local":
        return slots.free_slots(
            service=service,
            mode=mode,
            start=first,
            end=last,
            exclude=moving,
            location=location,
            apply_notice=not staff_booking,
        )
    earliest = _earliest(service, staff_booking=staff_booking)
    first, last = max(first, clock.localdate(earliest)), min(last, _horizon(service))
    found: list[Slot] = []
    if first > last:
        return found
    agenda = get_backend()
    with _agenda_reachable():
        for code in _external_codes(agenda, service, location):
            for day in agenda.available_days(service.code, code, first, last):
                times = agenda.available_times(service.code, code, day)
                found.extend(s for s in times if s.start >= earliest)
    return found


def _first_free_day(
    *, service: Service, mode: str, first: dt.date, moving: Appointment | None, staff_booking: bool
) -> dt.date | None:
    last = _horizon(service)
    if backend_code() == "local":
        found = find_free(
            service=service,
            mode=mode,
            first=first,
            last=last,
            moving=moving,
            staff_booking=staff_booking,
        )
        return clock.localdate(found[0].start) if found else None
    agenda = get_backend()
    with _agenda_reachable():
        days = [
            day
            for code in _external_codes(agenda, service, None)
            for day in agenda.available_days(service.code, code, first, last)
        ]
    return min(days) if days else None


def client_fields_required(service: Service) -> list[str]:
    """The client fields the town's external agenda asks for this service (name and
    e-mail are always asked). Midoffice's own agenda asks nothing more; an agenda that
    cannot be reached asks nothing now: the booking says what is missing."""
    if backend_code() == "local":
        return []
    try:
        return [
            key
            for key in get_backend().required_client_fields(service.code)
            if key not in ("name", "email")
        ]
    except BackendUnavailable:
        return []


@dataclass(frozen=True)
class FreeTimes:
    window: Window
    days: list[Day]
    error: str = ""  # the external agenda cannot be reached


def free_days(
    *,
    service: Service,
    mode: str,
    requested: str | None,
    moving: Appointment | None = None,
    staff_booking: bool = False,
) -> FreeTimes:
    """The free times of the week asked for (``?vanaf=``), per day. Without a week asked
    for and nothing free in the first one, the week of the first free time (so nobody
    pages through empty weeks). ``moving``: leave that appointment's own time out of the
    busy ones; ``staff_booking``: without the minimum notice."""
    window = window_for(requested, max_days=service.max_days_ahead)

    def find(first: dt.date, last: dt.date) -> list[Slot]:
        return find_free(
            service=service,
            mode=mode,
            first=first,
            last=last,
            moving=moving,
            staff_booking=staff_booking,
        )

    try:
        found = find(window.first, window.last)
        if not found and not requested and window.later is not None:
            day = _first_free_day(
                service=service,
                mode=mode,
                first=window.later,
                moving=moving,
                staff_booking=staff_booking,
            )
            if day is not None:
                window = window_for(day.isoformat(), max_days=service.max_days_ahead)
                found = find(window.first, window.last)
    except UserError as exc:
        return FreeTimes(window=window, days=[], error=exc.message)
    days = days_of(found, locations=location_names(), keep_location=backend_code() != "local")
    return FreeTimes(window=window, days=days)


def posted_slot(
    data: Mapping[str, Any],
    *,
    service: Service,
    mode: str,
    moving: Appointment | None = None,
    staff_booking: bool = False,
) -> SlotForm:
    """The posted time, valid only while it is still free (checked for that one time,
    not the whole window: the list a citizen saw may be minutes old)."""
    value = str(data.get("start", ""))
    chosen = slot_parse(value)
    values: list[str] = []
    error = ""
    if chosen is not None:
        location = chosen_location(chosen)
        if location is not None or not chosen.location_code:
            day = clock.localdate(chosen.start)
            try:
                free = find_free(
                    service=service,
                    mode=mode,
                    first=day,
                    last=day,
                    moving=moving,
                    staff_booking=staff_booking,
                    location=location,
                )
            except UserError as exc:
                free, error = [], exc.message
            if any(s.start == chosen.start for s in free):
                values = [value]
    form = SlotForm(data, values=values)
    if error:
        form.fields["start"].error_messages["invalid_choice"] = error
    return form


def chosen_location(chosen: ChosenSlot) -> Location | None:
    """The location the citizen picked (only asked when the times span several)."""
    if not chosen.location_code:
        return None
    return Location.objects.filter(code=chosen.location_code, active=True).first()


def location_at(*, service: Service, mode: str, chosen: ChosenSlot) -> Location | None:
    """Where the chosen time would take place, as far as known before booking."""
    if mode == Mode.DIGITAL:
        return None
    if chosen.location_code or backend_code() != "local":
        return chosen_location(chosen)
    found = slots.slot_at(service=service, mode=mode, start=chosen.start)
    if found is None or not found.location_code:
        return None
    return Location.objects.filter(code=found.location_code).first()


def place_text(appointment: Appointment) -> str:
    """Where the appointment takes place, in words for the citizen."""
    place = ""
    if appointment.location_id:
        location = appointment.location
        assert location is not None
        address = " ".join(p for p in (location.street, location.number) if p)
        town = " ".join(p for p in (location.postcode, location.municipality) if p)
        place = ", ".join(p for p in (location.name, address, town) if p)
        if appointment.room_id and appointment.room is not None:
            place = f"{appointment.room.name}, {place}"
    if appointment.mode == Mode.DIGITAL:
        return "Online, via de videolink in je uitnodiging"
    if appointment.mode == Mode.HYBRID:
        return f"{place} en via video" if place else "Via video"
    return place


def appointment_context(appointment: Appointment) -> dict[str, Any]:
    """What the citizen's pages show of a booked appointment (done, manage, move, cancel)."""
    return {
        "appointment": appointment,
        "service": appointment.service,
        "start": appointment.start,
        "mode": appointment.mode,
        "mode_label": appointment.get_mode_display(),
        "where": place_text(appointment),
        "dossier": appointment.dossier,
    }
