"""Staff pages under /agenda/: the agenda per person, room and location (day and week)
and the front desk's list of today (one appointment and booking: ``views_staff_booking``).

Thin like every workbench view: reads through ``appointments.selectors``. An agenda shows
every appointment of the person or room — a time that is taken is taken — but of one the
viewer may not open (another team's dossier) only "bezet".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from midoffice.accounts.models import Role, User
from midoffice.accounts.permissions import Action, may
from midoffice.appointments import selectors
from midoffice.appointments.forms import (
    AgendaPickForm,
)
from midoffice.appointments.models import (
    Appointment,
    Location,
    ParticipantKind,
    Room,
    WorkingHours,
)
from midoffice.core import clock

DAY, WEEK = "dag", "week"


def _staff(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


# --- what an agenda shows -----------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One appointment as the viewer may see it: ``visible`` False shows only "bezet"."""

    appointment: Appointment
    visible: bool
    local_start: dt.datetime
    local_end: dt.datetime

    @property
    def citizen(self) -> str:
        for participant in self.appointment.participants.all():  # prefetched
            if participant.kind == ParticipantKind.CITIZEN:
                return participant.name
        party = self.appointment.party
        return party.display_name if party is not None else ""


def _rows(appointments: Iterable[Appointment]) -> list[Row]:
    """Rows from a selector asked with ``viewer=``: each appointment carries ``visible``."""
    return [
        Row(
            appointment=a,
            visible=bool(getattr(a, "visible", False)),
            local_start=timezone.localtime(a.start),
            local_end=timezone.localtime(a.end),
        )
        for a in appointments
    ]


KINDS = {"medewerker": "staff", "zaal": "room", "locatie": "location"}


@dataclass(frozen=True)
class Subject:
    """Whose agenda: a member of staff, a room or a location."""

    kind: str  # medewerker, zaal, locatie
    key: str
    title: str = ""

    @property
    def choice(self) -> str:
        return f"{self.kind}:{self.key}"

    def url(self, day: dt.date, view: str) -> str:
        base = reverse(f"appointments:agenda-{KINDS[self.kind]}", args=[self.key])
        return f"{base}?{urlencode({'datum': day.isoformat(), 'weergave': view})}"


def _agenda_choices() -> list[Any]:
    """The picker's list: who takes appointments, the rooms, the locations."""
    people = (
        User.objects.filter(
            is_active=True,
            pk__in=WorkingHours.objects.values("user_id"),
        )
        .order_by("first_name", "last_name", "id")
        .only("pk", "first_name", "last_name", "username")
    )
    rooms = Room.objects.filter(active=True).select_related("location")
    locations = Location.objects.filter(active=True)
    return [
        ("Medewerkers", [(f"medewerker:{u.pk}", u.get_full_name() or u.username) for u in people]),
        ("Zalen", [(f"zaal:{r.pk}", f"{r.name} ({r.location.name})") for r in rooms]),
        ("Locaties", [(f"locatie:{loc.code}", loc.name) for loc in locations]),
    ]


def _day_and_view(request: HttpRequest) -> tuple[dt.date, str]:
    try:
        day = dt.date.fromisoformat(request.GET.get("datum", ""))
    except ValueError:
        day = clock.today()
    return day, WEEK if request.GET.get("weergave") == WEEK else DAY


@dataclass(frozen=True)
class WeekDay:
    date: dt.date
    url: str


@dataclass(frozen=True)
class WeekLine:
    hour: int
    cells: list[list[Row]]


def _week_grid(
    rows: Sequence[Row], first: dt.date, subject: Subject
) -> tuple[list[WeekDay], list[WeekLine]]:
    """Days as columns (a weekend day only when something is booked on it), hours as
    rows (8 to 17, widened to what is booked); each cell the appointments that start in
    that hour."""
    days = [first + dt.timedelta(days=i) for i in range(7)]
    busy = {r.local_start.date() for r in rows}
    days = [d for d in days if d.weekday() < 5 or d in busy]
    hours = [r.local_start.hour for r in rows]
    lines = [
        WeekLine(
            hour=hour,
            cells=[
                [r for r in rows if r.local_start.date() == d and r.local_start.hour == hour]
                for d in days
            ],
        )
        for hour in range(min([8, *hours]), max([17, *hours]) + 1)
    ]
    return [WeekDay(date=d, url=subject.url(d, DAY)) for d in days], lines


AgendaQuery = Callable[[dt.date, dt.date, User], QuerySet[Appointment]]


def _agenda(request: HttpRequest, subject: Subject, query: AgendaQuery) -> HttpResponse:
    user = _staff(request)
    day, view = _day_and_view(request)
    first = selectors.week_start(day) if view == WEEK else day
    last = first + dt.timedelta(days=6 if view == WEEK else 0)
    rows = _rows(query(first, last, user))
    step = dt.timedelta(days=7 if view == WEEK else 1)
    picker = AgendaPickForm(
        initial={"agenda": subject.choice, "datum": day, "weergave": view},
        agenda_choices=_agenda_choices(),
    )
    context: dict[str, Any] = {
        "subject": subject,
        "day": day,
        "view": view,
        "first": first,
        "last": last,
        "rows": rows,
        "picker": picker,
        "previous_url": subject.url(day - step, view),
        "next_url": subject.url(day + step, view),
        "today_url": subject.url(clock.today(), view),
        "other_view_url": subject.url(day, DAY if view == WEEK else WEEK),
        "today": clock.today(),
    }
    if view == WEEK:
        context["week_days"], context["week_lines"] = _week_grid(rows, first, subject)
    return render(request, "appointments/staff/agenda.html", context)


@login_required
@require_http_methods(["GET"])
def agenda_index(request: HttpRequest) -> HttpResponse:
    """The picker (a plain GET form) lands here; without a choice: my own agenda, or the
    front desk's list of today for the front desk."""
    user = _staff(request)
    if not request.GET:
        if user.role == Role.FRONT_DESK:
            return redirect("appointments:frontdesk")
        return redirect("appointments:agenda-staff", key=str(user.pk))
    form = AgendaPickForm(request.GET, agenda_choices=_agenda_choices())
    if form.is_valid():
        kind, _, key = str(form.cleaned_data["agenda"] or f"medewerker:{user.pk}").partition(":")
        day = form.cleaned_data["datum"] or clock.today()
        return redirect(Subject(kind=kind, key=key).url(day, form.cleaned_data["weergave"] or DAY))
    return render(request, "appointments/staff/agenda_pick.html", {"picker": form}, status=400)


@login_required
@require_http_methods(["GET"])
def agenda_staff(request: HttpRequest, key: str) -> HttpResponse:
    person = User.objects.filter(pk=int(key) if key.isdigit() else 0).first()
    if person is None:
        raise Http404("Medewerker niet gevonden.")
    name = person.get_full_name() or person.username
    return _agenda(
        request,
        Subject(kind="medewerker", key=key, title=f"Agenda van {name}"),
        lambda first, last, viewer: selectors.agenda_for_staff(
            staff=person, first=first, last=last, viewer=viewer, include_cancelled=True
        ),
    )


@login_required
@require_http_methods(["GET"])
def agenda_room(request: HttpRequest, key: str) -> HttpResponse:
    room = (
        Room.objects.select_related("location").filter(pk=int(key) if key.isdigit() else 0).first()
    )
    if room is None:
        raise Http404("Zaal niet gevonden.")
    return _agenda(
        request,
        Subject(kind="zaal", key=key, title=f"Agenda van {room.name} ({room.location.name})"),
        lambda first, last, viewer: selectors.agenda_for_room(
            room=room, first=first, last=last, viewer=viewer, include_cancelled=True
        ),
    )


@login_required
@require_http_methods(["GET"])
def agenda_location(request: HttpRequest, key: str) -> HttpResponse:
    location = Location.objects.filter(code=key).first()
    if location is None:
        raise Http404("Locatie niet gevonden.")
    return _agenda(
        request,
        Subject(kind="locatie", key=key, title=f"Agenda van {location.name}"),
        lambda first, last, viewer: selectors.agenda_for_location(
            location=location, first=first, last=last, viewer=viewer, include_cancelled=True
        ),
    )


# --- the front desk -----------------------------------------------------------------------


@login_required
@require_http_methods(["GET"])
def frontdesk(request: HttpRequest) -> HttpResponse:
    """Today's appointments at a location; the front desk marks who came."""
    user = _staff(request)
    locations = list(Location.objects.filter(active=True))
    code = request.GET.get("locatie") or (locations[0].code if locations else "")
    location = next((loc for loc in locations if loc.code == code), None)
    rows = _rows(selectors.today_at_location(location=location, viewer=user)) if location else []
    return render(
        request,
        "appointments/staff/frontdesk.html",
        {
            "locations": locations,
            "location": location,
            "rows": rows,
            "today": clock.today(),
            "now": clock.now(),
            "may_record": may(user, Action.RECORD_ATTENDANCE),
        },
    )
