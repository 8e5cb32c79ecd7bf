"""Staff pages about one appointment: see it, mark arrived / not come, move, cancel,
and book on the citizen's behalf from the dossier.

Thin: reads through ``appointments.selectors`` (one door per appointment: missing and
forbidden are both a 404), writes through ``appointments.services``, which check the
role table; a UserError becomes a Dutch message.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from midoffice.accounts.models import User
from midoffice.accounts.permissions import Action, may
from midoffice.appointments import pages, selectors, services
from midoffice.appointments.forms import (
    MAX_GUESTS,
    SlotForm,
    StaffCitizenForm,
    StaffServiceForm,
    guest_count,
    guest_forms,
)
from midoffice.appointments.models import (
    Appointment,
    AppointmentStatus,
    Mode,
    ParticipantKind,
    Service,
)
from midoffice.core import clock
from midoffice.core.errors import NotFound, UserError
from midoffice.dossiers.models import Dossier
from midoffice.dossiers.selectors import dossier_get_for_user
from midoffice.parties.models import ContactPoint


def _staff(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


# --- one appointment ----------------------------------------------------------------------


def _appointment_or_404(user: User, appointment_id: int) -> Appointment:
    """The appointment if the user may see it; 404 alike for missing and forbidden."""
    try:
        return selectors.appointment_get_for_user(user=user, appointment_id=appointment_id)
    except NotFound:
        raise Http404("Afspraak niet gevonden.") from None


def _back(request: HttpRequest, appointment: Appointment) -> HttpResponse:
    """Back to the page the button was on (the front desk's list), else the appointment."""
    target = str(request.POST.get("next", ""))
    if target.startswith("/agenda/") and "//" not in target:
        return redirect(target)
    return redirect("appointments:appointment", appointment_id=appointment.pk)


def _citizen_name(appointment: Appointment) -> str:
    for participant in appointment.participants.all():
        if participant.kind == ParticipantKind.CITIZEN:
            return participant.name
    return "De burger"


@login_required
@require_http_methods(["GET"])
def appointment_detail(request: HttpRequest, appointment_id: int) -> HttpResponse:
    user = _staff(request)
    appointment = _appointment_or_404(user, appointment_id)
    booked = appointment.status == AppointmentStatus.BOOKED
    return render(
        request,
        "appointments/staff/appointment.html",
        {
            "appointment": appointment,
            "participants": sorted(appointment.participants.all(), key=lambda p: p.kind),
            "local_start": timezone.localtime(appointment.start),
            "local_end": timezone.localtime(appointment.end),
            "can_book": booked
            and appointment.start > clock.now()
            and may(user, Action.BOOK_APPOINTMENT, appointment.dossier),
            "can_record": appointment.status != AppointmentStatus.CANCELLED
            and clock.localdate(appointment.start) <= clock.today()
            and may(user, Action.RECORD_ATTENDANCE, appointment.dossier),
        },
    )


@login_required
@require_POST
def appointment_arrived(request: HttpRequest, appointment_id: int) -> HttpResponse:
    user = _staff(request)
    appointment = _appointment_or_404(user, appointment_id)
    try:
        services.appointment_mark_arrived(actor=user, appointment=appointment)
    except UserError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{_citizen_name(appointment)} is aangemeld.")
    return _back(request, appointment)


@login_required
@require_POST
def appointment_no_show(request: HttpRequest, appointment_id: int) -> HttpResponse:
    user = _staff(request)
    appointment = _appointment_or_404(user, appointment_id)
    try:
        services.appointment_mark_no_show(actor=user, appointment=appointment)
    except UserError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{_citizen_name(appointment)}: genoteerd als niet gekomen.")
    return _back(request, appointment)


@login_required
@require_POST
def appointment_cancel(request: HttpRequest, appointment_id: int) -> HttpResponse:
    user = _staff(request)
    appointment = _appointment_or_404(user, appointment_id)
    try:
        services.appointment_cancel(
            actor=user, appointment=appointment, reason=str(request.POST.get("reason", ""))
        )
    except UserError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "De afspraak is geannuleerd. De deelnemers krijgen bericht.")
    return _back(request, appointment)


def _slots(
    request: HttpRequest,
    service: Service,
    mode: str,
    *,
    moving: Appointment | None = None,
    form: SlotForm | None = None,
) -> dict[str, Any]:
    """A week of free times (staff book without the minimum notice)."""
    free = pages.free_days(
        service=service,
        mode=mode,
        requested=request.GET.get("vanaf"),
        moving=moving,
        staff_booking=True,
    )
    window, days = free.window, free.days
    query = request.GET.copy()

    def at(day: dt.date | None) -> str:
        if day is None:
            return ""
        query["vanaf"] = day.isoformat()
        return f"{request.path}?{query.urlencode()}"

    return {
        "days": days,
        "agenda_error": free.error,
        "slot_error": form.errors.get("start") if form is not None else None,
        "chosen": form.data.get("start", "") if form is not None else "",
        "window_start": window.first,
        "window_end": window.last,
        "earlier_url": at(window.earlier),
        "later_url": at(window.later),
    }


@login_required
@require_http_methods(["GET", "POST"])
def appointment_reschedule(request: HttpRequest, appointment_id: int) -> HttpResponse:
    """GET lists other free times; the POST moves the appointment."""
    user = _staff(request)
    appointment = _appointment_or_404(user, appointment_id)
    error, status, form = "", 200, None
    if request.method == "POST":
        form = pages.posted_slot(
            request.POST,
            service=appointment.service,
            mode=appointment.mode,
            moving=appointment,
            staff_booking=True,
        )
        if form.is_valid():
            try:
                services.appointment_reschedule(
                    actor=user, appointment=appointment, start=form.chosen().start
                )
            except UserError as exc:
                error, status, form = exc.message, exc.status_code, None
            else:
                messages.success(
                    request,
                    "De afspraak is verplaatst. De deelnemers krijgen een nieuwe uitnodiging.",
                )
                return redirect("appointments:appointment", appointment_id=appointment.pk)
        else:
            status = 400
    return render(
        request,
        "appointments/staff/reschedule.html",
        {
            "appointment": appointment,
            "local_start": timezone.localtime(appointment.start),
            "error": error,
            **_slots(request, appointment.service, appointment.mode, moving=appointment, form=form),
        },
        status=status,
    )


# --- booking for a dossier ----------------------------------------------------------------


def _service_choices(dossier: Dossier) -> list[Any]:
    """The services offered for the dossier's type first, then every other one."""
    offered = list(selectors.services_for_dossier_type(dossier_type=dossier.dossier_type))
    rest = [s for s in selectors.services_bookable() if s not in offered]

    def label(s: Service) -> str:
        return f"{s.name} ({s.duration_minutes} min.)"

    groups: list[Any] = []
    if offered:
        groups.append(("Voor dit soort dossier", [(s.code, label(s)) for s in offered]))
    if rest:
        groups.append(("Andere diensten", [(s.code, label(s)) for s in rest]))
    return groups


@login_required
@require_http_methods(["GET", "POST"])
def book_for_dossier(request: HttpRequest, reference: str) -> HttpResponse:
    """A handler books on the citizen's behalf: the service and mode first (a GET form),
    then a time, the citizen and the guests; the POST books."""
    user = _staff(request)
    try:
        dossier = dossier_get_for_user(user=user, reference=reference)
    except NotFound:
        raise Http404("Dossier niet gevonden.") from None
    picked = "dienst" in request.GET
    pick = StaffServiceForm(
        request.GET if picked else None,
        service_choices=_service_choices(dossier),
        initial={"wijze": Mode.PHYSICAL},
    )
    context: dict[str, Any] = {
        "dossier": dossier,
        "pick": pick,
        "may_book": may(user, Action.BOOK_APPOINTMENT, dossier) and dossier.is_open,
    }
    service: Service | None = None
    if picked and pick.is_valid():
        service = Service.objects.filter(code=pick.cleaned_data["dienst"], active=True).first()
        mode = str(pick.cleaned_data["wijze"])
        if service is not None and mode not in service.modes:
            allowed = ", ".join(str(Mode(m).label).lower() for m in service.modes)
            pick.add_error("wijze", f"{service.name} kan alleen {allowed}.")
            service = None
    if service is None or not context["may_book"]:
        return render(
            request,
            "appointments/staff/book.html",
            context,
            status=400 if picked and pick.errors else 200,
        )
    requester = dossier.requester
    status, form = 200, None
    if request.method == "POST":
        action = str(request.POST.get("action", "book"))
        count = guest_count(request.POST)
        required = pages.client_fields_required(service)
        citizen = StaffCitizenForm(request.POST, required=required)
        if action == "add":
            rows = [
                {
                    "name": request.POST.get(f"guest-{i}-name", ""),
                    "email": request.POST.get(f"guest-{i}-email", ""),
                    "remote": bool(request.POST.get(f"guest-{i}-remote")),
                }
                for i in range(count)
            ]
            rows.append({"name": "", "email": "", "remote": mode == Mode.HYBRID})
            citizen = StaffCitizenForm(
                initial={k: request.POST.get(k, "") for k in citizen.fields}, required=required
            )
            guests = guest_forms(None, count=min(len(rows), MAX_GUESTS), initial=rows)
            context["chosen"] = request.POST.get("start", "")
        else:
            form = pages.posted_slot(request.POST, service=service, mode=mode, staff_booking=True)
            guests = guest_forms(request.POST, count=count)
            valid = [form.is_valid(), citizen.is_valid()] + [g.is_valid() for g in guests]
            if all(valid):
                chosen = form.chosen()
                try:
                    appointment = services.appointment_book(
                        actor=user,
                        service=service,
                        mode=mode,
                        start=chosen.start,
                        location=pages.chosen_location(chosen),
                        party=requester,
                        dossier=dossier,
                        citizen_name=citizen.cleaned_data["name"],
                        citizen_email=citizen.cleaned_data["email"],
                        citizen_phone=citizen.cleaned_data.get("phone", ""),
                        client_extra=citizen.client_extra(),
                        guests=[
                            services.Guest(
                                name=g.cleaned_data["name"],
                                email=g.cleaned_data["email"],
                                joins_remotely=bool(g.cleaned_data.get("remote")),
                            )
                            for g in guests
                            if g.cleaned_data["name"] or g.cleaned_data["email"]
                        ],
                        remark=citizen.cleaned_data["remark"],
                    )
                except UserError as exc:
                    context["error"], status, form = exc.message, exc.status_code, None
                else:
                    local = timezone.localtime(appointment.start)
                    messages.success(
                        request,
                        f"Afspraak gemaakt: {service.name} op {local:%d-%m-%Y} om {local:%H:%M}.",
                    )
                    return redirect("web:dossier", reference=dossier.reference)
            else:
                status = 400
    else:
        required = pages.client_fields_required(service)
        initial = {
            "name": requester.display_name if requester else "",
            "email": (requester.primary_email or "") if requester else "",
        }
        if requester is not None and "phone" in required:
            initial["phone"] = (
                requester.contact_points.filter(kind=ContactPoint.Kind.PHONE)
                .order_by("-is_primary", "id")
                .values_list("value", flat=True)
                .first()
            ) or ""
        citizen = StaffCitizenForm(initial=initial, required=required)
        guests = []
    slots_context = _slots(request, service, mode, form=form)
    if "chosen" in context:
        slots_context["chosen"] = context["chosen"]
    context.update(
        {
            **slots_context,
            "service": service,
            "mode": mode,
            "mode_label": Mode(mode).label,
            "citizen": citizen,
            "guests": guests,
            "can_add_guest": len(guests) < MAX_GUESTS,
        }
    )
    return render(request, "appointments/staff/book.html", context, status=status)
