"""``{% load appointments %}``: the explanation of a mode, and the appointments that the
staff dossier page and the portal (home, dossier) show beside their own content."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django import template
from django.urls import reverse
from django.utils import timezone

from midoffice.accounts.models import User
from midoffice.accounts.permissions import Action, may
from midoffice.appointments import links, selectors
from midoffice.appointments.forms import MODE_HELP
from midoffice.appointments.models import Appointment, AppointmentStatus
from midoffice.core import clock
from midoffice.dossiers.models import Dossier
from midoffice.parties.models import Party

register = template.Library()

#: A dossier or a citizen with more appointments than this shows the newest ones.
SHOWN = 20


@register.filter
def mode_help(mode: str) -> str:
    """How a mode works, in plain Dutch (physical, digital, hybrid)."""
    return MODE_HELP.get(str(mode), "")


@dataclass(frozen=True)
class StaffRow:
    appointment: Appointment
    local_start: dt.datetime


@dataclass(frozen=True)
class DossierAppointments:
    rows: list[StaffRow]
    may_book: bool


@register.simple_tag
def dossier_appointments(
    dossier: Dossier, user: User, known_empty: bool = False
) -> DossierAppointments:
    """The dossier's appointments for the staff dossier page (the page found the dossier
    through the access-checked selector), and whether the user may book one. The page
    says when it knows there are none (``web.dossier_sections``)."""
    found = (
        [] if known_empty else selectors.appointments_on_dossier_page(dossier=dossier, limit=SHOWN)
    )
    return DossierAppointments(
        rows=[StaffRow(appointment=a, local_start=timezone.localtime(a.start)) for a in found],
        may_book=may(user, Action.BOOK_APPOINTMENT, dossier),
    )


@dataclass(frozen=True)
class CitizenRow:
    appointment: Appointment
    manage_url: str


@register.simple_tag
def citizen_appointments(party: Party, dossier: Dossier | None = None) -> list[CitizenRow]:
    """The citizen's own appointments (on one dossier when given: the portal found it
    through its access-checked selector), each with its manage link while it can still
    be moved or cancelled."""
    if party is None:
        return []
    found = selectors.appointments_for_party(party=party)
    if dossier is not None:
        found = found.filter(dossier=dossier)
    now = clock.now()
    return [
        CitizenRow(
            appointment=a,
            manage_url=reverse("portal:appointment-manage", args=[links.manage_token(a)])
            if a.status == AppointmentStatus.BOOKED and a.start > now
            else "",
        )
        for a in found[:SHOWN]
    ]
