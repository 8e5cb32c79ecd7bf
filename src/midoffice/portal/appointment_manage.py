"""The manage link of an appointment (/mijn/afspraak/beheer/<token>/, issue 12).

The token (``appointments.links``: signed, valid until the appointment starts) opens the
appointment without a sign-in. Opening it changes nothing — mail scanners open every
link — so "Verplaatsen" and "Annuleren" lead to pages whose buttons POST (with CSRF).
A link we did not make answers 400, one whose appointment has begun 410, both with the
Dutch page that says so.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from midoffice.appointments import links, pages
from midoffice.appointments import services as appointment_services
from midoffice.appointments.forms import CancelForm
from midoffice.appointments.models import Appointment, AppointmentStatus, ParticipantKind
from midoffice.core import clock
from midoffice.core.errors import UserError
from midoffice.portal.appointment_views import current_party, times_context

TokenView = Callable[[HttpRequest, str, Appointment], HttpResponse]


def by_token(view: TokenView) -> Callable[[HttpRequest, str], HttpResponse]:
    """The appointment of a manage link, or the Dutch "this link does not work" page
    (400 for a link we did not make, 410 once the appointment has begun)."""

    @wraps(view)
    def wrapper(request: HttpRequest, token: str) -> HttpResponse:
        try:
            appointment = links.appointment_for_token(token)
        except UserError as exc:
            return render(
                request,
                "appointments/portal/link_invalid.html",
                {"party": current_party(request), "error": exc.message},
                status=exc.status_code,
            )
        return view(request, token, appointment)

    return wrapper


def _changeable(appointment: Appointment) -> bool:
    return appointment.status == AppointmentStatus.BOOKED and appointment.start > clock.now()


def _not_changeable(request: HttpRequest, token: str, appointment: Appointment) -> HttpResponse:
    messages.error(
        request,
        "Deze afspraak is geannuleerd."
        if appointment.status == AppointmentStatus.CANCELLED
        else "Deze afspraak kan je niet meer wijzigen.",
    )
    return redirect("portal:appointment-manage", token=token)


@require_http_methods(["GET", "HEAD"])
@by_token
def manage(request: HttpRequest, token: str, appointment: Appointment) -> HttpResponse:
    """Shows the appointment and the way to move or cancel it; changes nothing."""
    return render(
        request,
        "appointments/portal/manage.html",
        {
            "party": current_party(request),
            "token": token,
            **pages.appointment_context(appointment),
            "guests": [
                p for p in appointment.participants.all() if p.kind == ParticipantKind.GUEST
            ],
            "can_change": _changeable(appointment),
        },
    )


@require_http_methods(["GET", "POST"])
@by_token
def reschedule(request: HttpRequest, token: str, appointment: Appointment) -> HttpResponse:
    """GET lists other free times; the POST moves the appointment."""
    if not _changeable(appointment):
        return _not_changeable(request, token, appointment)
    form, taken, status = None, "", 200
    if request.method == "POST":
        form = pages.posted_slot(
            request.POST, service=appointment.service, mode=appointment.mode, moving=appointment
        )
        if form.is_valid():
            chosen = form.chosen()
            try:
                appointment_services.appointment_reschedule(
                    actor=None, appointment=appointment, start=chosen.start
                )
            except UserError as exc:
                form, taken, status = None, exc.message, exc.status_code
            else:
                messages.success(
                    request, "Je afspraak is verplaatst. Iedereen krijgt een nieuwe uitnodiging."
                )
                return redirect("portal:appointment-manage", token=token)
        else:
            status = 400
    context = times_context(
        request, appointment.service, appointment.mode, moving=appointment, form=form
    )
    return render(
        request,
        "appointments/portal/reschedule.html",
        {
            "party": current_party(request),
            "token": token,
            **pages.appointment_context(appointment),
            **context,
            "taken": taken,
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@by_token
def cancel(request: HttpRequest, token: str, appointment: Appointment) -> HttpResponse:
    """GET asks "are you sure?"; the POST cancels."""
    if not _changeable(appointment):
        return _not_changeable(request, token, appointment)
    form = CancelForm(request.POST if request.method == "POST" else None)
    error, status = "", 200
    if request.method == "POST":
        if form.is_valid():
            try:
                appointment_services.appointment_cancel(
                    actor=None, appointment=appointment, reason=form.cleaned_data["reason"]
                )
            except UserError as exc:
                error, status = exc.message, exc.status_code
            else:
                messages.success(
                    request, "Je afspraak is geannuleerd. Wie je uitnodigde, krijgt bericht."
                )
                return redirect("portal:appointment-manage", token=token)
        else:
            status = 400
    return render(
        request,
        "appointments/portal/cancel.html",
        {
            "party": current_party(request),
            "token": token,
            **pages.appointment_context(appointment),
            "form": form,
            "error": error,
        },
        status=status,
    )
