"""The citizen's appointment pages under /mijn/afspraak/ (issue 12).

Booking needs no sign-in (a link in a mail or letter leads here); a signed-in citizen
gets her name and e-mail filled in and the appointment on her contact, and can book for
one of her dossiers ("Maak een afspraak voor dit dossier"), which answers what the
dossier's type already tells. The flow asks the questions one at a time, then the mode,
the time and the details, and books only on the last button: until then its state lives
in the session (``appointment_flow``), so nothing is ever half-written.

The manage link's pages are in ``appointment_manage``.

These views live in the portal, not in ``appointments``, because they use the portal's
signed-in citizen and its access-checked dossier selector: the portal sits above the
appointments app in the layers. What the staff pages share with them is in
``appointments.pages``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from midoffice.appointments import links, pages, questions
from midoffice.appointments import services as appointment_services
from midoffice.appointments.forms import (
    EXTRA_CLIENT_FIELDS,
    MAX_GUESTS,
    AnswerForm,
    DetailsForm,
    ModeForm,
    SlotForm,
    guest_count,
    guest_forms,
    slot_parse,
)
from midoffice.appointments.models import (
    Appointment,
    Mode,
    ParticipantKind,
    Service,
)
from midoffice.core.errors import NotFound, UserError
from midoffice.dossiers.models import Dossier
from midoffice.parties.models import ContactPoint, Party
from midoffice.places import services as places_services
from midoffice.portal import selectors as portal_selectors
from midoffice.portal.views import SESSION_PARTY, citizen_required

FLOW = "appointment_flow"
DONE = "appointment_done"
TAKEN = "appointment_taken"
# The codes of appointment_book's refusals that mean "choose another time".
TIME_GONE = frozenset({"slot_taken", "slot_unavailable", "too_soon", "too_far"})


# --- the flow's state ---------------------------------------------------------------------


@dataclass
class Flow:
    """What the citizen chose so far: JSON in the session, nothing in the database."""

    answers: dict[str, str] = field(default_factory=dict)
    dossier: str = ""  # a reference; only a signed-in citizen's own dossier
    mode: str = ""
    start: str = ""  # the radio value of the chosen time (``forms.slot_value``)
    details: dict[str, str] = field(default_factory=dict)
    # The fields the town's external agenda asks besides these (``Client.extra``).
    client: dict[str, str] = field(default_factory=dict)
    guests: list[dict[str, Any]] = field(default_factory=list)
    # The Adressenregister object picked in the address combobox (issue 15), if any.
    address_id: str = ""

    @classmethod
    def load(cls, request: HttpRequest) -> Flow:
        raw = request.session.get(FLOW)
        if not isinstance(raw, dict):
            return cls()
        try:
            return cls(**{k: raw[k] for k in cls.__dataclass_fields__ if k in raw})
        except TypeError:
            return cls()

    def save(self, request: HttpRequest) -> None:
        request.session[FLOW] = asdict(self)


@dataclass
class Step:
    """The flow as far as it holds: each page checks the steps before its own."""

    flow: Flow
    party: Party | None
    dossier: Dossier | None
    outcome: questions.Outcome | None = None

    @property
    def dossier_type(self) -> Any:
        return self.dossier.dossier_type if self.dossier is not None else None

    @property
    def service(self) -> Service:
        assert self.outcome is not None
        assert self.outcome.service is not None
        return self.outcome.service


class Resume(Exception):
    """An earlier step is missing or no longer valid: send the citizen there."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.url = reverse(f"portal:appointment-{name}")


def current_party(request: HttpRequest) -> Party | None:
    party_id = request.session.get(SESSION_PARTY)
    return Party.objects.filter(pk=party_id).first() if party_id else None


ORDER = ("questions", "service", "times", "details", "confirm")


def _step(request: HttpRequest, *, page: str) -> Step:
    """The flow for ``page``: every step before it must be done, else Resume there."""
    flow = Flow.load(request)
    party = current_party(request)
    dossier = None
    if flow.dossier:
        if party is None:
            raise Resume("start")  # signed out halfway: start again
        try:
            dossier = portal_selectors.citizen_dossier_get(party=party, reference=flow.dossier)
        except NotFound:
            raise Resume("start") from None
    step = Step(flow=flow, party=party, dossier=dossier)
    before = ORDER[: ORDER.index(page)]
    if "questions" in before:
        try:
            if questions.questions_for(flow.answers, step.dossier_type) is not None:
                raise Resume("questions")
            step.outcome = questions.decide(flow.answers, step.dossier_type)
        except UserError:
            # Answers the tree no longer knows (changed in the admin meanwhile): ask again.
            flow.answers = {}
            flow.save(request)
            raise Resume("questions") from None
        if step.outcome.service is None:
            raise Resume("info")
    if "service" in before and flow.mode not in step.outcome.modes:  # type: ignore[union-attr]
        raise Resume("service")
    if "times" in before and slot_parse(flow.start) is None:
        raise Resume("times")
    if "details" in before and not (flow.details.get("name") and flow.details.get("email")):
        raise Resume("details")
    return step


FlowView = Callable[..., HttpResponseBase]


def flow_page(view: FlowView) -> FlowView:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            return view(request, *args, **kwargs)
        except Resume as resume:
            return redirect(resume.url)

    return wrapper


def _context(step: Step) -> dict[str, Any]:
    context: dict[str, Any] = {"party": step.party, "dossier": step.dossier}
    if step.outcome is not None and step.outcome.service is not None:
        context["service"] = step.service
    if step.flow.mode:
        context["mode"] = step.flow.mode
        context["mode_label"] = Mode(step.flow.mode).label
    return context


# --- start --------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def start(request: HttpRequest) -> HttpResponse:
    """The start, from the portal home or a link in a mail or letter (no sign-in)."""
    if request.method == "POST":
        Flow().save(request)
        return redirect("portal:appointment-questions")
    return render(request, "appointments/portal/start.html", {"party": current_party(request)})


@citizen_required
def start_for_dossier(request: HttpRequest, party: Party, reference: str) -> HttpResponse:
    """ "Maak een afspraak voor dit dossier": the booking lands on the dossier."""
    # The access check comes before the method check, so a foreign dossier is a 404.
    dossier = portal_selectors.citizen_dossier_get(party=party, reference=reference)
    if request.method == "POST":
        Flow(dossier=dossier.reference).save(request)
        return redirect("portal:appointment-questions")
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "POST"])
    return render(request, "appointments/portal/start.html", {"party": party, "dossier": dossier})


# --- the questions ------------------------------------------------------------------------


def _previous_question(flow: Flow) -> None:
    if flow.answers:
        flow.answers.pop(list(flow.answers)[-1])
    flow.mode = ""


@require_http_methods(["GET", "POST"])
@flow_page
def question(request: HttpRequest) -> HttpResponse:
    """One question at a time; "Vorige vraag" takes back the last answer."""
    step = _step(request, page="questions")
    flow = step.flow
    if request.method == "POST" and request.POST.get("action") == "back":
        _previous_question(flow)
        flow.save(request)
        return redirect("portal:appointment-questions")
    try:
        current = questions.questions_for(flow.answers, step.dossier_type)
    except UserError:
        flow.answers = {}
        flow.save(request)
        current = questions.questions_for({}, step.dossier_type)
    if current is None:
        return redirect("portal:appointment-service")
    posted = request.method == "POST" and request.POST.get("question") == current.code
    form = AnswerForm(request.POST if posted else None, question=current)
    if request.method == "POST" and not posted:
        # An old tab or the browser's back button: ask the current question.
        return redirect("portal:appointment-questions")
    if posted and form.is_valid():
        flow.answers[current.code] = form.cleaned_data["answer"]
        flow.mode = ""
        flow.save(request)
        return redirect("portal:appointment-questions")
    return render(
        request,
        "appointments/portal/question.html",
        {**_context(step), "question": current, "form": form, "can_go_back": bool(flow.answers)},
        status=400 if posted else 200,
    )


@require_http_methods(["GET"])
@flow_page
def info(request: HttpRequest) -> HttpResponse:
    """Where an answer leads instead of a booking: "Dit kan je online: …"."""
    step = _step(request, page="questions")
    try:
        if questions.questions_for(step.flow.answers, step.dossier_type) is not None:
            return redirect("portal:appointment-questions")
        outcome = questions.decide(step.flow.answers, step.dossier_type)
    except UserError as exc:
        return render(
            request,
            "appointments/portal/no_outcome.html",
            {**_context(step), "error": exc.message},
            status=exc.status_code,
        )
    if outcome.info_page is None:
        return redirect("portal:appointment-service")
    return render(
        request, "appointments/portal/info.html", {**_context(step), "info": outcome.info_page}
    )


# --- the service and its mode -------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@flow_page
def service(request: HttpRequest) -> HttpResponse:
    """The service the answers lead to, its duration, and the choice of mode (when the
    service allows more than one and the rule did not fix it)."""
    step = _step(request, page="service")
    assert step.outcome is not None
    modes, flow = step.outcome.modes, step.flow
    if len(modes) == 1:
        if request.method == "POST":
            if flow.mode != modes[0]:
                flow.mode, flow.start = modes[0], ""
                flow.save(request)
            return redirect("portal:appointment-times")
        context = {**_context(step), "form": None, "mode": modes[0]}
        context["mode_label"] = Mode(modes[0]).label
        return render(request, "appointments/portal/service.html", context)
    initial = {"mode": flow.mode} if flow.mode in modes else {}
    form = ModeForm(
        request.POST if request.method == "POST" else None, modes=modes, initial=initial
    )
    if form.is_bound and form.is_valid():
        if form.cleaned_data["mode"] != flow.mode:
            flow.mode, flow.start = form.cleaned_data["mode"], ""
            flow.save(request)
        return redirect("portal:appointment-times")
    return render(
        request,
        "appointments/portal/service.html",
        {**_context(step), "form": form},
        status=400 if form.is_bound else 200,
    )


# --- the time -----------------------------------------------------------------------------


def times_context(
    request: HttpRequest,
    service: Service,
    mode: str,
    *,
    moving: Appointment | None = None,
    form: SlotForm | None = None,
) -> dict[str, Any]:
    """A week of free times per day (``?vanaf=`` pages through the weeks)."""
    free = pages.free_days(
        service=service, mode=mode, requested=request.GET.get("vanaf"), moving=moving
    )
    window, days = free.window, free.days
    shown = SlotForm(form.data if form else None, values=pages.values_of(days))
    if form is not None and form.errors:
        shown.is_valid()
        shown.errors.clear()
        shown.errors.update(form.errors)

    def at(day: Any) -> str:
        return f"{request.path}?{urlencode({'vanaf': day.isoformat()})}" if day else ""

    return {
        "form": shown,
        "days": days,
        "agenda_error": free.error,
        "window_start": window.first,
        "window_end": window.last,
        "earlier_url": at(window.earlier),
        "later_url": at(window.later),
    }


@require_http_methods(["GET", "POST"])
@flow_page
def times(request: HttpRequest) -> HttpResponse:
    step = _step(request, page="times")
    flow = step.flow
    form = None
    if request.method == "POST":
        form = pages.posted_slot(request.POST, service=step.service, mode=flow.mode)
        if form.is_valid():
            flow.start = form.cleaned_data["start"]
            flow.save(request)
            return redirect("portal:appointment-details")
    taken = request.session.pop(TAKEN, "")
    context = times_context(request, step.service, flow.mode, form=form)
    return render(
        request,
        "appointments/portal/times.html",
        {**_context(step), **context, "chosen": flow.start, "taken": taken},
        status=400 if form is not None else 409 if taken else 200,
    )


# --- the details --------------------------------------------------------------------------


def _prefill(party: Party | None) -> dict[str, str]:
    """A signed-in citizen's name, e-mail and phone."""
    if party is None:
        return {}
    points = dict(
        party.contact_points.filter(kind__in=[ContactPoint.Kind.EMAIL, ContactPoint.Kind.PHONE])
        .order_by("kind", "is_primary", "-id")  # the primary (or oldest) one wins
        .values_list("kind", "value")
    )
    return {
        "name": party.display_name,
        "email": points.get(ContactPoint.Kind.EMAIL, ""),
        "phone": points.get(ContactPoint.Kind.PHONE, ""),
    }


def _guest_rows(request: HttpRequest, count: int) -> list[dict[str, Any]]:
    return [
        {
            "name": request.POST.get(f"guest-{i}-name", ""),
            "email": request.POST.get(f"guest-{i}-email", ""),
            "remote": bool(request.POST.get(f"guest-{i}-remote")),
        }
        for i in range(count)
    ]


@require_http_methods(["GET", "POST"])
@flow_page
def details(request: HttpRequest) -> HttpResponse:
    """Name, e-mail, phone and guests. Adding or removing a guest row posts the form
    (no JavaScript) and draws it again with what was typed."""
    step = _step(request, page="details")
    flow = step.flow
    status = 200
    required = pages.client_fields_required(step.service)
    if request.method == "POST":
        action = str(request.POST.get("action", "next"))
        count = guest_count(request.POST)
        if action == "add" or action.startswith("remove-"):
            rows = _guest_rows(request, count)
            if action == "add" and len(rows) < MAX_GUESTS:
                rows.append({"name": "", "email": "", "remote": flow.mode == Mode.HYBRID})
            index = action.removeprefix("remove-")
            if action != "add" and index.isdigit() and int(index) < len(rows):
                rows.pop(int(index))
            form = DetailsForm(
                initial={k: request.POST.get(k, "") for k in DetailsForm(required=required).fields},
                required=required,
            )
            guests = guest_forms(None, count=len(rows), initial=rows)
        else:
            form = DetailsForm(request.POST, required=required)
            guests = guest_forms(request.POST, count=count)
            valid = [form.is_valid()] + [g.is_valid() for g in guests]
            if all(valid):
                flow.details = {k: str(form.cleaned_data[k]) for k in DetailsForm.base_fields}
                flow.client = form.client_extra()
                picked = str(request.POST.get("address_id", "")).strip()
                flow.address_id = picked if "address" in form.fields and picked.isdigit() else ""
                flow.guests = [
                    {
                        "name": g.cleaned_data["name"],
                        "email": g.cleaned_data["email"],
                        "remote": bool(g.cleaned_data.get("remote")),
                    }
                    for g in guests
                    if g.cleaned_data["name"] or g.cleaned_data["email"]
                ]
                flow.save(request)
                return redirect("portal:appointment-confirm")
            status = 400
    else:
        initial = {**flow.details, **flow.client} if flow.details else _prefill(step.party)
        form = DetailsForm(initial=initial, required=required)
        guests = guest_forms(None, count=len(flow.guests), initial=flow.guests)
    chosen = slot_parse(flow.start)
    return render(
        request,
        "appointments/portal/details.html",
        {
            **_context(step),
            "form": form,
            "client_fields": [form[key] for key in form.fields if key in EXTRA_CLIENT_FIELDS],
            # Issue 15: the address field is the register's autocomplete.
            "has_address_field": "address" in form.fields,
            "guests": guests,
            "can_add_guest": len(guests) < MAX_GUESTS,
            "has_errors": status == 400,
            "start": chosen.start if chosen else None,
        },
        status=status,
    )


# --- confirm and done ---------------------------------------------------------------------


def _address_line(client: dict[str, str]) -> str:
    """The agenda's address fields on one line ("Kerkstraat 12, 2640 Leemdonk"); empty
    when the agenda asks no address."""
    street = client.get("address", "").strip()
    if not street:
        return ""
    place = " ".join(p for p in (client.get("postcode", "").strip(), client.get("city", "")) if p)
    if place and place.split()[0] not in street:
        return f"{street}, {place.strip()}"
    return street


def _where_before(mode: str, location_name: str) -> str:
    if mode == Mode.DIGITAL:
        return "Online, via de videolink in je uitnodiging"
    place = location_name or "Het gemeentehuis"
    if mode == Mode.HYBRID:
        return f"{place}, in een zaal met scherm en camera, en via video"
    return f"{place} (de zaal staat in je bevestiging)"


@require_http_methods(["GET", "POST"])
@flow_page
def confirm(request: HttpRequest) -> HttpResponse:
    """The summary; its button books. A time taken meanwhile sends the citizen back to
    the times with the Dutch message."""
    step = _step(request, page="confirm")
    flow = step.flow
    chosen = slot_parse(flow.start)
    assert chosen is not None
    location = pages.chosen_location(chosen)
    place = location or pages.location_at(service=step.service, mode=flow.mode, chosen=chosen)
    context = {
        **_context(step),
        "start": chosen.start,
        "where": _where_before(flow.mode, place.name if place else ""),
        "details": flow.details,
        "client_fields": [
            (str(EXTRA_CLIENT_FIELDS[key]().label).removeprefix("Je ").capitalize(), value)
            for key, value in flow.client.items()
            if key in EXTRA_CLIENT_FIELDS
        ],
        "guests": flow.guests,
    }
    if request.method == "GET":
        return render(request, "appointments/portal/confirm.html", context)
    # Asked before the booking's transaction (ADR 26): down or slow → kept as typed.
    address = places_services.address_checked(
        text=_address_line(flow.client), address_id=flow.address_id
    )
    try:
        appointment = appointment_services.appointment_book(
            actor=None,
            service=step.service,
            mode=flow.mode,
            start=chosen.start,
            location=location,
            party=step.party,
            dossier=step.dossier,
            citizen_name=flow.details["name"],
            citizen_email=flow.details["email"],
            citizen_phone=flow.details.get("phone", ""),
            client_extra=flow.client,
            guests=[
                appointment_services.Guest(
                    name=g["name"], email=g["email"], joins_remotely=bool(g.get("remote"))
                )
                for g in flow.guests
            ],
            remark=flow.details.get("remark", ""),
            answers=questions.answers_effective(flow.answers, step.dossier_type),
            address=address,
        )
    except UserError as exc:
        if exc.code in TIME_GONE:
            flow.start = ""
            flow.save(request)
            request.session[TAKEN] = exc.message
            return redirect("portal:appointment-times")
        context["error"] = exc.message
        return render(request, "appointments/portal/confirm.html", context, status=exc.status_code)
    request.session.pop(FLOW, None)
    request.session[DONE] = appointment.pk
    return redirect("portal:appointment-done")


@require_http_methods(["GET"])
def done(request: HttpRequest) -> HttpResponse:
    """ "Je afspraak is bevestigd", with the manage link (the session knows which one)."""
    appointment = (
        Appointment.objects.select_related("service__team", "location", "room", "dossier")
        .filter(pk=request.session.get(DONE) or 0)
        .first()
    )
    if appointment is None:
        return redirect("portal:appointment-start")
    people = list(appointment.participants.all())
    citizen = next((p for p in people if p.kind == ParticipantKind.CITIZEN), None)
    return render(
        request,
        "appointments/portal/done.html",
        {
            "party": current_party(request),
            **pages.appointment_context(appointment),
            "email": citizen.email if citizen else "",
            "guest_count": sum(1 for p in people if p.kind == ParticipantKind.GUEST),
            "manage_url": reverse(
                "portal:appointment-manage", args=[links.manage_token(appointment)]
            ),
        },
    )
