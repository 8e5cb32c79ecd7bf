"""Reads of appointments: agendas (per member of staff, room or location), the front
desk's list of today, a dossier's and a citizen's appointments, and the access-checked
way to one appointment.

Who sees an appointment (staff): with a dossier, whoever sees the dossier
(``dossiers.selectors.dossier_visible_q``); without one, the member of staff who takes
it, the service's team, and the roles that see every team. An agenda shows every
appointment of the person or room (a slot that is taken is taken); whether the viewer may
open it is the ``visible`` annotation when a viewer is given.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Case, Prefetch, Q, QuerySet, Value, When
from django.db.models.expressions import Expression

from midoffice.accounts.models import Role, User
from midoffice.accounts.permissions import user_team_ids
from midoffice.appointments.models import (
    Appointment,
    AppointmentStatus,
    Location,
    Participant,
    Room,
    Service,
)
from midoffice.appointments.slots import local_day, town_zone
from midoffice.catalog.models import DossierType
from midoffice.core import clock
from midoffice.core.errors import NotFound
from midoffice.dossiers.models import Dossier
from midoffice.dossiers.selectors import dossier_visible_q
from midoffice.dossiers.visibility import dossier_visible_through
from midoffice.parties.models import Party


def appointment_visible_q(user: User) -> Q:
    """The condition an appointment must meet for ``user`` (staff) to see it."""
    if not user.is_active:
        return Q(pk__in=[])
    if user.role == Role.SYSTEM or user.is_superuser:
        return Q()
    with_dossier = Q(dossier__in=Dossier.objects.filter(dossier_visible_q(user)).values("pk"))
    without = Q(dossier__isnull=True)
    if not user.sees_all_teams:
        without &= Q(staff_id=user.pk) | Q(service__team_id__in=user_team_ids(user))
    return with_dossier | without


def _with_details(queryset: QuerySet[Appointment]) -> QuerySet[Appointment]:
    return queryset.select_related(
        "service", "staff", "room", "location", "dossier", "party"
    ).prefetch_related(Prefetch("participants", queryset=Participant.objects.order_by("id")))


def between_q(first: dt.date, last: dt.date) -> Q:
    """Starting on one of the local days ``first`` to ``last`` (both included)."""
    zone = town_zone()
    begin = dt.datetime.fromtimestamp(local_day(first, zone).start, dt.UTC)
    end = dt.datetime.fromtimestamp(local_day(last, zone).end, dt.UTC)
    return Q(start__gte=begin, start__lt=end)


def _agenda(
    condition: Q,
    *,
    first: dt.date,
    last: dt.date | None,
    viewer: User | None,
    include_cancelled: bool,
) -> QuerySet[Appointment]:
    queryset = Appointment.objects.filter(condition, between_q(first, last or first))
    if not include_cancelled:
        queryset = queryset.exclude(status=AppointmentStatus.CANCELLED)
    if viewer is not None:
        condition = _visible_joined_q(viewer)
        visible: Expression = (
            Value(True)
            if not condition
            else Value(False)
            if not viewer.is_active
            # A Case, not the bare condition: on the joined dossier it may be NULL.
            else Case(When(condition, then=Value(True)), default=Value(False))
        )
        queryset = queryset.annotate(visible=visible)
    return _with_details(queryset).order_by("start", "id")


def week_start(day: dt.date) -> dt.date:
    """The Monday of ``day``'s week."""
    return day - dt.timedelta(days=day.weekday())


def agenda_for_staff(
    *,
    staff: User,
    first: dt.date,
    last: dt.date | None = None,
    viewer: User | None = None,
    include_cancelled: bool = False,
) -> QuerySet[Appointment]:
    """The member of staff's appointments from ``first`` to ``last`` (local days, both
    included; one day when ``last`` is None), in time order, service, room and
    participants loaded. With ``viewer``: each has ``visible`` (may they open it)."""
    return _agenda(
        Q(staff=staff),
        first=first,
        last=last,
        viewer=viewer,
        include_cancelled=include_cancelled,
    )


def agenda_for_room(
    *,
    room: Room,
    first: dt.date,
    last: dt.date | None = None,
    viewer: User | None = None,
    include_cancelled: bool = False,
) -> QuerySet[Appointment]:
    """The room's appointments from ``first`` to ``last`` (as ``agenda_for_staff``)."""
    return _agenda(
        Q(room=room),
        first=first,
        last=last,
        viewer=viewer,
        include_cancelled=include_cancelled,
    )


def agenda_for_location(
    *,
    location: Location,
    first: dt.date,
    last: dt.date | None = None,
    viewer: User | None = None,
    include_cancelled: bool = False,
) -> QuerySet[Appointment]:
    """Every appointment at the location (in one of its rooms) from ``first`` to ``last``."""
    return _agenda(
        Q(location=location),
        first=first,
        last=last,
        viewer=viewer,
        include_cancelled=include_cancelled,
    )


def today_at_location(*, location: Location, viewer: User | None = None) -> QuerySet[Appointment]:
    """The front desk's list: today's appointments at the location, cancelled ones left
    out, in time order (booked, arrived and not come alike)."""
    return agenda_for_location(location=location, first=clock.today(), viewer=viewer)


def appointments_on_dossier_page(*, dossier: Dossier, limit: int) -> list[Appointment]:
    """The newest ``limit`` appointments of a dossier (cancelled ones too), with only what
    the staff dossier page shows of each: start, service, mode, room and status. That page
    is the busiest of the workbench; the caller found the dossier through an
    access-checked selector."""
    return list(
        Appointment.objects.filter(dossier=dossier)
        .select_related("service", "room")
        .only("id", "start", "mode", "status", "service__name", "room__name")
        .order_by("-start", "-id")[:limit]
    )


def appointments_for_party(*, party: Party, upcoming_only: bool = False) -> QuerySet[Appointment]:
    """The citizen's own appointments (the portal): the ones booked for them, or on one
    of the dossiers they requested; the coming ones first, then the past ones."""
    queryset = Appointment.objects.filter(Q(party=party) | Q(dossier__requester=party))
    if upcoming_only:
        queryset = queryset.filter(end__gte=clock.now(), status=AppointmentStatus.BOOKED)
    return _with_details(queryset).order_by("-start", "-id")


def appointment_for_party(*, party: Party, appointment_id: int) -> Appointment:
    """One of the citizen's own appointments; NotFound for any other (or none)."""
    found = appointments_for_party(party=party).filter(pk=appointment_id).first()
    if found is None:
        raise NotFound("Deze afspraak werd niet gevonden.")
    return found


def _visible_joined_q(user: User) -> Q:
    """``appointment_visible_q`` with the dossier's part checked on the joined dossier
    rather than as ``dossier_id IN (…)``: a list or agenda is read in its (…, start, id)
    index order and checks each appointment's dossier by its primary key, instead of first
    collecting every dossier the user may see (ADR 30)."""
    if not user.is_active or user.role == Role.SYSTEM or user.is_superuser:
        return appointment_visible_q(user)
    with_dossier = dossier_visible_through(user, "dossier")
    without = Q(dossier__isnull=True)
    if not user.sees_all_teams:
        without &= Q(staff_id=user.pk) | Q(service__team_id__in=user_team_ids(user))
    return with_dossier | without


def appointment_list_visible(*, user: User) -> QuerySet[Appointment]:
    """Every appointment ``user`` may see (the API's list, before its filters)."""
    return Appointment.objects.filter(_visible_joined_q(user))


def appointment_get_for_user(*, user: User, appointment_id: int) -> Appointment:
    """The appointment if ``user`` may see it; NotFound otherwise (missing and forbidden
    answer alike, so ids cannot be probed)."""
    found = _with_details(appointment_list_visible(user=user)).filter(pk=appointment_id).first()
    if found is None:
        raise NotFound("Deze afspraak werd niet gevonden.")
    return found


def services_for_dossier_type(*, dossier_type: DossierType | None) -> QuerySet[Service]:
    """The active services offered for dossiers of this type (by name)."""
    if dossier_type is None:
        return Service.objects.none()
    return Service.objects.filter(active=True, dossier_types=dossier_type).order_by("name")


def services_bookable() -> QuerySet[Service]:
    """Every active service, by name."""
    return Service.objects.filter(active=True).select_related("team").order_by("name")
