"""The staff workbench: queues, triage, the dossier page, contacts, front-desk search.

Views are thin: they read through the access-checked selectors, write through the
services, and turn a UserError into the same page with a clear Dutch message (4xx).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST

from midoffice.accounts import permissions
from midoffice.accounts.forms import StaffAuthenticationForm
from midoffice.accounts.models import Role, Team, User
from midoffice.accounts.permissions import Action
from midoffice.catalog.models import DossierType, Phase
from midoffice.core import clock
from midoffice.core.display import display_text
from midoffice.core.errors import NotFound, UserError
from midoffice.dossiers import search as search_module
from midoffice.dossiers import selectors, workflow
from midoffice.dossiers import services as dossier_services
from midoffice.dossiers.models import Dossier, Interaction
from midoffice.dossiers.selectors import QueueFilters
from midoffice.parties.models import Party
from midoffice.parties.selectors import party_search
from midoffice.routing import services as routing_services
from midoffice.web.forms import (
    AssignForm,
    FrontDeskForm,
    InteractionForm,
    LinkForm,
    NoteForm,
    QueueFilterForm,
    ReasonForm,
    RerouteForm,
    StatusForm,
    first_error,
)


class StaffLoginView(auth_views.LoginView):
    """Sign-in; failures count towards the one lockout all password doors share
    (django-axes, accounts.lockout)."""

    template_name = "web/login.html"
    authentication_form = StaffAuthenticationForm
    redirect_authenticated_user = True


class StaffLogoutView(auth_views.LogoutView):
    pass


def _is_htmx(request: HttpRequest) -> bool:
    """True for a request made by htmx (django_htmx's middleware sets ``request.htmx``)."""
    return bool(getattr(request, "htmx", False))


def _staff(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


# --- Queues ------------------------------------------------------------------------------


def _queue(
    request: HttpRequest,
    *,
    title: str,
    team: Team | None,
    mine: bool,
    template_extra: dict[str, Any],
) -> HttpResponse:
    user = _staff(request)
    today = clock.today()
    if team is not None:
        type_choices = [
            (str(t.pk), t.name) for t in DossierType.objects.filter(team=team).order_by("name")
        ]
        members = list(team.members.filter(is_active=True).order_by("first_name", "last_name"))
    else:
        team_ids = selectors.user_team_ids(user)
        type_choices = [
            (str(t.pk), t.name)
            for t in DossierType.objects.filter(team_id__in=team_ids).order_by("name")
        ]
        members = [user]
    assignee_choices = [(str(m.pk), m.get_full_name() or m.username) for m in members]
    form = QueueFilterForm(
        request.GET or None, type_choices=type_choices, assignee_choices=assignee_choices
    )
    error = ""
    filters = QueueFilters()
    cursor = None
    if request.GET and form.is_valid():
        data = form.cleaned_data
        filters = QueueFilters(
            phase=data["status"] or "",
            dossier_type_id=data["type"],
            assignee=data["assignee"],
            overdue=bool(data["overdue"]),
            at_risk=bool(data["at_risk"]),
        )
        cursor = data["after"] or None
    elif request.GET:
        error = first_error(form)
    status = 200
    try:
        page = selectors.dossier_queue_page(
            user=user,
            today=today,
            team_id=team.pk if team else None,
            assignee_id=user.pk if mine else None,
            filters=filters,
            cursor=cursor,
        )
    except UserError as exc:
        error, status = exc.message, exc.status_code
        page = selectors.dossier_queue_page(
            user=user,
            today=today,
            team_id=team.pk if team else None,
            assignee_id=user.pk if mine else None,
            filters=filters,
        )
    if error and status == 200:
        status = 400
    calendar = selectors.town_calendar()
    rows = [(d, selectors.deadline_mark(d, today=today, calendar=calendar)) for d in page.rows]
    params = request.GET.copy()
    params.pop("after", None)
    next_url = ""
    if page.next_cursor:
        params["after"] = page.next_cursor
        next_url = f"?{params.urlencode()}"
    phase_labels = dict(Phase.choices)
    counts = [(phase, phase_labels[phase], page.counts[phase]) for phase in selectors.QUEUE_PHASES]
    base_params = request.GET.copy()
    base_params.pop("after", None)
    base_params.pop("status", None)
    context = {
        "title": title,
        "form": form,
        "rows": rows,
        "counts": counts,
        "total": page.counts["all"],
        "overdue_count": page.counts["overdue"],
        "at_risk_count": page.counts["at_risk"],
        "next_url": next_url,
        "filter_base": base_params.urlencode(),
        "active_phase": filters.phase,
        "deep": bool(cursor),
        "error": error,
        "team": team,
        **template_extra,
    }
    template = "web/_queue_results.html" if _is_htmx(request) else "web/queue.html"
    return render(request, template, context, status=status)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """My work: the open dossiers assigned to me, and what waits unassigned in my teams."""
    user = _staff(request)
    extra: dict[str, Any] = {}
    if not _is_htmx(request):
        team_ids = selectors.user_team_ids(user)
        today = clock.today()
        calendar = selectors.town_calendar()
        waiting = (
            selectors.dossier_queue(user=user)
            .filter(team_id__in=team_ids, assignee__isnull=True)
            .select_related("status", "dossier_type", "team", "requester")[:10]
        )
        extra["unassigned"] = [
            (d, selectors.deadline_mark(d, today=today, calendar=calendar)) for d in waiting
        ]
    return _queue(request, title="Mijn werk", team=None, mine=True, template_extra=extra)


@login_required
def team_queue(request: HttpRequest, code: str) -> HttpResponse:
    team = Team.objects.filter(code=code).first()
    if team is None:
        raise Http404("Team niet gevonden.")
    return _queue(request, title=f"Wachtrij {team.name}", team=team, mine=False, template_extra={})


# --- Triage ------------------------------------------------------------------------------


def _route_types() -> list[DossierType]:
    return list(
        DossierType.objects.filter(is_active=True)
        .exclude(code=selectors.TRIAGE_TYPE_CODE)
        .select_related("team")
        .order_by("name")
    )


@login_required
def triage(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    dossiers = _with_suggestions(list(selectors.dossier_triage_queue(user=user)))
    for dossier in dossiers:
        dossier.may_route = permissions.may(user, Action.ROUTE, dossier)  # type: ignore[attr-defined]  # display only
    return render(request, "web/triage.html", {"dossiers": dossiers, "route_types": _route_types()})


def _with_suggestions(dossiers: list[Dossier]) -> list[Dossier]:
    """Attach what recognition suggested for the mail behind each dossier, and why."""
    from midoffice.intake.models import InboundMessage

    names = dict(DossierType.objects.values_list("code", "name"))
    ids = dict(DossierType.objects.values_list("code", "pk"))
    found: dict[int, dict[str, Any]] = {}
    for dossier_id, recognition in InboundMessage.objects.filter(dossier__in=dossiers).values_list(
        "dossier_id", "recognition"
    ):
        found.setdefault(dossier_id, recognition or {})
    for dossier in dossiers:
        recognition = found.get(dossier.pk, {})
        suggestions = [
            {"name": names[code], "pk": ids[code], "percent": round(float(p) * 100)}
            for code, p in recognition.get("suggestions", [])
            if code in names
        ]
        dossier.routing_suggestions = suggestions  # type: ignore[attr-defined]  # display only
        dossier.routing_reasons = recognition.get("reasons", [])[:3]  # type: ignore[attr-defined]
    return dossiers


@login_required
@require_POST
def triage_route(request: HttpRequest, reference: str) -> HttpResponse:
    user = _staff(request)
    dossier = _dossier_or_404(user, reference)
    form = RerouteForm(request.POST)
    try:
        if not form.is_valid():
            raise UserError(first_error(form))
        dossier_type = DossierType.objects.filter(pk=form.cleaned_data["dossier_type"]).first()
        if dossier_type is None:
            raise UserError("Kies een bestaand dossiertype.", field="dossier_type")
        routing_services.dossier_route_from_triage(
            actor=user, dossier=dossier, dossier_type=dossier_type
        )
    except UserError as exc:
        dossiers = _with_suggestions(list(selectors.dossier_triage_queue(user=user)))
        return render(
            request,
            "web/triage.html",
            {"dossiers": dossiers, "route_types": _route_types(), "error": exc.message},
            status=exc.status_code,
        )
    messages.success(
        request,
        f"{dossier.reference} is doorgestuurd naar {dossier_type.name} ({dossier_type.team.name}).",
    )
    return redirect("web:triage")


# --- The dossier page --------------------------------------------------------------------


def _dossier_or_404(user: User, reference: str) -> Dossier:
    try:
        return selectors.dossier_get_for_user(user=user, reference=reference)
    except NotFound:
        raise Http404("Dossier niet gevonden.") from None


def _assignable(dossier: Dossier) -> list[User]:
    """The colleagues the dossier may be given to (the rule of ``dossier_assign``)."""
    members = dossier.team.members.filter(is_active=True).order_by("first_name")
    return [m for m in members if permissions.may_handle(m, team_id=dossier.team_id)]


def _dossier_context(user: User, dossier: Dossier) -> dict[str, Any]:
    from midoffice.intake.selectors import dossier_mail

    today = clock.today()
    can = {action.value: True for action in permissions.allowed_actions(user, dossier)}
    allowed = workflow.allowed_phases(dossier.phase)
    if not can.get(Action.CLOSE):
        allowed = allowed - {Phase.CLOSED}
    statuses = [
        s
        for s in dossier.dossier_type.status_types.order_by("order")
        if s.phase in allowed and s.pk != dossier.status_id
    ]
    parties = dossier.parties.select_related("party").order_by("role", "id")
    return {
        "dossier": dossier,
        "mark": selectors.deadline_mark(dossier, today=today, calendar=selectors.town_calendar()),
        "events": selectors.dossier_timeline(dossier=dossier),
        "parties": parties,
        "links": dossier.external_links.order_by("id"),
        "statuses": statuses,
        "results": dossier.dossier_type.result_types.order_by("name")
        if can.get(Action.CLOSE)
        else [],
        "members": _assignable(dossier),
        "can": can,
        "can_extend": can.get(Action.EXTEND, False)
        and dossier.is_open
        and dossier.dossier_type.extension_allowed
        and dossier.dossier_type.extension_days > 0
        and not dossier.extended,
        "can_take": can.get(Action.TAKE, False)
        and dossier.is_open
        and dossier.assignee_id != user.pk,
        "channels": [("phone", "Telefoon"), ("counter", "Loket")],
        "directions": Interaction.Direction.choices,
        "mails": dossier_mail(dossier_id=dossier.pk),
        "today": today,
    }


@login_required
def dossier_detail(request: HttpRequest, reference: str) -> HttpResponse:
    user = _staff(request)
    dossier = _dossier_or_404(user, reference)
    dossier_services.dossier_record_view(actor=user, dossier=dossier)
    return render(request, "web/dossier.html", _dossier_context(user, dossier))


def _action(
    request: HttpRequest, reference: str, do: Callable[[User, Dossier], str]
) -> HttpResponse:
    """Run one dossier action; on bad input show the page again with a clear message."""
    user = _staff(request)
    dossier = _dossier_or_404(user, reference)
    try:
        done = do(user, dossier)
    except UserError as exc:
        dossier = _dossier_or_404(user, reference)
        context = _dossier_context(user, dossier)
        context["error"] = exc.message
        return render(request, "web/dossier.html", context, status=exc.status_code)
    messages.success(request, done)
    return redirect("web:dossier", reference=reference)


def _valid(form: forms.Form) -> dict[str, Any]:
    if not form.is_valid():
        raise UserError(first_error(form))
    return form.cleaned_data


@login_required
@require_POST
def dossier_take(request: HttpRequest, reference: str) -> HttpResponse:
    def do(user: User, dossier: Dossier) -> str:
        dossier_services.dossier_take(actor=user, dossier=dossier)
        return "Je behandelt dit dossier nu."

    return _action(request, reference, do)


@login_required
@require_POST
def dossier_assign(request: HttpRequest, reference: str) -> HttpResponse:
    def do(user: User, dossier: Dossier) -> str:
        member_ids = [m.pk for m in _assignable(dossier)]
        data = _valid(AssignForm(request.POST, member_ids=member_ids))
        assignee = User.objects.get(pk=data["assignee"]) if data["assignee"] else None
        dossier_services.dossier_assign(actor=user, dossier=dossier, assignee=assignee)
        if assignee is None:
            return "Het dossier is niet meer toegewezen."
        return f"Toegewezen aan {assignee.get_full_name() or assignee.username}."

    return _action(request, reference, do)


@login_required
@require_POST
def dossier_status(request: HttpRequest, reference: str) -> HttpResponse:
    def do(user: User, dossier: Dossier) -> str:
        data = _valid(StatusForm(request.POST))
        dossier = dossier_services.dossier_change_status(
            actor=user,
            dossier=dossier,
            status_code=data["status"],
            reason=data["reason"].strip(),
            result_code=data["result"] or None,
        )
        return f"De status is nu “{dossier.status.name}”."

    return _action(request, reference, do)


@login_required
@require_POST
def dossier_extend(request: HttpRequest, reference: str) -> HttpResponse:
    def do(user: User, dossier: Dossier) -> str:
        data = _valid(ReasonForm(request.POST))
        dossier = dossier_services.dossier_extend(
            actor=user, dossier=dossier, reason=data["reason"]
        )
        return f"De termijn is verlengd tot {dossier.deadline:%d-%m-%Y}."

    return _action(request, reference, do)


@login_required
@require_POST
def dossier_note(request: HttpRequest, reference: str) -> HttpResponse:
    def do(user: User, dossier: Dossier) -> str:
        data = _valid(NoteForm(request.POST))
        dossier_services.dossier_add_note(actor=user, dossier=dossier, text=data["text"])
        return "De notitie is toegevoegd."

    return _action(request, reference, do)


@login_required
@require_POST
def dossier_interaction(request: HttpRequest, reference: str) -> HttpResponse:
    def do(user: User, dossier: Dossier) -> str:
        data = _valid(InteractionForm(request.POST))
        interaction = dossier_services.interaction_log(
            actor=user,
            dossier=dossier,
            party=dossier.requester,
            channel=data["channel"],
            direction=data["direction"],
            summary=data["summary"],
        )
        return f"{interaction.get_channel_display()}contact geregistreerd."

    return _action(request, reference, do)


@login_required
@require_POST
def dossier_link(request: HttpRequest, reference: str) -> HttpResponse:
    def do(user: User, dossier: Dossier) -> str:
        data = _valid(LinkForm(request.POST))
        link = dossier_services.dossier_link_add(
            actor=user,
            dossier=dossier,
            system=data["system"],
            external_id=data["external_id"],
            url=data["url"] or "",
        )
        return f"Koppeling met {link.system} toegevoegd."

    return _action(request, reference, do)


@login_required
@require_POST
def dossier_requester(request: HttpRequest, reference: str) -> HttpResponse:
    """Link the dossier to another (existing) contact, found by an exact identifier."""

    def do(user: User, dossier: Dossier) -> str:
        query = request.POST.get("contact", "").strip()
        if not query:
            raise UserError("Geef het e-mailadres, telefoonnummer of rijksregisternummer op.")
        matches = list(party_search(query=query, limit=2))
        if not matches:
            raise UserError("Geen contact gevonden met dit gegeven.", field="contact")
        if len(matches) > 1:
            raise UserError(
                "Meer dan één contact past; geef een preciezer gegeven op.", field="contact"
            )
        dossier_services.dossier_requester_set(actor=user, dossier=dossier, party=matches[0])
        return f"{matches[0].display_name} is nu de aanvrager."

    return _action(request, reference, do)


@login_required
def dossier_attachment(request: HttpRequest, reference: str, attachment_id: int) -> HttpResponse:
    """Download an attachment of a mail on a dossier the user may see (else not found)."""
    from midoffice.intake.models import Attachment
    from midoffice.intake.selectors import dossier_attachment as attachment_read

    user = _staff(request)
    dossier = _dossier_or_404(user, reference)
    try:
        filename, content_type, data = attachment_read(
            dossier_id=dossier.pk, attachment_id=attachment_id
        )
    except (Attachment.DoesNotExist, OSError):
        raise Http404("Bijlage niet gevonden.") from None
    dossier_services.dossier_record_view(actor=user, dossier=dossier)
    # Always a download, never rendered in our origin: mail attachments are untrusted.
    response = HttpResponse(data, content_type="application/octet-stream")
    # The browser shows this name in its download bar: no bidi override (core.display).
    shown = display_text(filename, "bijlage")
    response["Content-Disposition"] = content_disposition_header(True, shown) or "attachment"
    response["X-Original-Content-Type"] = content_type[:100]
    return response


# --- Contacts, search, front desk, notifications -----------------------------------------


@login_required
def contact_detail(request: HttpRequest, party_id: int) -> HttpResponse:
    user = _staff(request)
    try:
        party = selectors.party_get(party_id=party_id)
    except NotFound:
        raise Http404("Contact niet gevonden.") from None
    dossier_services.party_record_view(actor=user, party=party)
    return render(
        request,
        "web/contact.html",
        {
            "party": party,
            "points": party.contact_points.order_by("kind", "-is_primary", "id"),
            "dossiers": selectors.party_dossiers(user=user, party=party)[:100],
            "interactions": selectors.party_interactions(user=user, party=party),
        },
    )


@login_required
def search(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    query = request.GET.get("q", "")
    error = ""
    hits: list[search_module.SearchHit] = []
    try:
        hits = search_module.search(user=user, query=query)
    except UserError as exc:
        error = exc.message
    context = {"q": query, "hits": hits, "error": error, "searched": bool(query.strip())}
    template = "web/_search_results.html" if _is_htmx(request) else "web/search.html"
    return render(request, template, context, status=400 if error else 200)


def _frontdesk_context(request: HttpRequest, party: Party | None) -> dict[str, Any]:
    return {
        "types": _route_types(),
        "party": party,
        "values": request.POST if request.method == "POST" else {},
    }


@login_required
def frontdesk_register(request: HttpRequest) -> HttpResponse:
    """The front desk opens a dossier from a phone call or a counter visit."""
    user = _staff(request)
    if not permissions.may(user, Action.REGISTER):
        raise PermissionDenied(permissions.MESSAGES[Action.REGISTER])
    party: Party | None = None
    party_param = request.POST.get("party") or request.GET.get("party")
    if party_param:
        if not party_param.isdigit():
            raise Http404("Contact niet gevonden.")
        try:
            party = selectors.party_get(party_id=int(party_param))
        except NotFound:
            raise Http404("Contact niet gevonden.") from None
    if request.method != "POST":
        return render(request, "web/frontdesk.html", _frontdesk_context(request, party))
    form = FrontDeskForm(request.POST)
    try:
        data = _valid(form)
        dossier_type = (
            DossierType.objects.filter(pk=data["dossier_type"], is_active=True)
            .exclude(code=selectors.TRIAGE_TYPE_CODE)
            .first()
        )
        if dossier_type is None:
            raise UserError("Kies een bestaand dossiertype.", field="dossier_type")
        new_contact = None
        if party is None:
            new_contact = dossier_services.NewContact(
                given_name=data["given_name"],
                family_name=data["family_name"],
                email=data["email"],
                phone=data["phone"],
            )
        dossier = dossier_services.dossier_open_from_contact(
            actor=user,
            dossier_type=dossier_type,
            subject=data["subject"],
            channel=data["channel"],
            summary=data["summary"],
            party=party,
            new_contact=new_contact,
        )
    except UserError as exc:
        context = _frontdesk_context(request, party)
        context["error"] = exc.message
        return render(request, "web/frontdesk.html", context, status=exc.status_code)
    messages.success(request, f"Dossier {dossier.reference} is geopend.")
    return redirect("web:dossier", reference=dossier.reference)


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    if request.method == "POST":
        count = dossier_services.notification_mark_read(user=user)
        messages.success(request, f"{count} melding(en) gelezen.")
        return redirect("web:notifications")
    return render(
        request, "web/notifications.html", {"items": selectors.notification_list(user=user)}
    )


@login_required
def permissions_table(request: HttpRequest) -> HttpResponse:
    """The role model as a table: what each role may change (accounts.permissions)."""
    user = _staff(request)
    roles = list(Role)
    return render(
        request,
        "web/permissions.html",
        {
            "roles": roles,
            "rows": permissions.table(roles),
            "signing_officer": user.has_perm(permissions.SIGNING_OFFICER_PERMISSION),
            "signing_permission": "Kan brieven ondertekenen",
        },
    )
