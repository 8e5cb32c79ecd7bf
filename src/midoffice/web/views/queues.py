"""My work, team queues and triage."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from midoffice.accounts import permissions
from midoffice.accounts.models import Team
from midoffice.accounts.permissions import Action
from midoffice.catalog.models import DossierType, Phase
from midoffice.core import clock
from midoffice.core.errors import UserError
from midoffice.correspondence.selectors import signature_folder
from midoffice.dossiers import selectors
from midoffice.dossiers.models import Dossier
from midoffice.dossiers.selectors import QueueFilters
from midoffice.routing import services as routing_services
from midoffice.web.forms import (
    QueueFilterForm,
    RerouteForm,
    first_error,
)
from midoffice.web.views.common import dossier_or_404, is_htmx, route_types, staff_user


def _queue(
    request: HttpRequest,
    *,
    title: str,
    team: Team | None,
    mine: bool,
    template_extra: dict[str, Any],
) -> HttpResponse:
    user = staff_user(request)
    today = clock.today()
    if team is not None:
        type_choices = selectors.team_type_choices([team.pk])
        assignee_choices = [
            (str(pk), f"{first} {last}".strip() or username)
            for pk, first, last, username in team.members.filter(is_active=True)
            .order_by("first_name", "last_name")
            .values_list("pk", "first_name", "last_name", "username")
        ]
    else:
        type_choices = selectors.team_type_choices(selectors.user_team_ids(user))
        assignee_choices = [(str(user.pk), user.get_full_name() or user.username)]
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
        "unread_count": page.counts["unread"],
        "next_url": next_url,
        "filter_base": base_params.urlencode(),
        "active_phase": filters.phase,
        "deep": bool(cursor),
        "error": error,
        "team": team,
        **template_extra,
    }
    template = "web/_queue_results.html" if is_htmx(request) else "web/queue.html"
    return render(request, template, context, status=status)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """My work: the open dossiers assigned to me, what waits unassigned in my teams, and
    for who may sign, the letters waiting in the signature folder."""
    user = staff_user(request)
    extra: dict[str, Any] = {}
    if not is_htmx(request):
        today = clock.today()
        calendar = selectors.town_calendar()
        waiting = selectors.dossier_unassigned_in_teams(user=user, limit=10)
        extra["unassigned"] = [
            (d, selectors.deadline_mark(d, today=today, calendar=calendar)) for d in waiting
        ]
        if permissions.scope_for(user, Action.SIGN_LETTER) is not None:
            letters = signature_folder(user=user)
            extra["may_sign"] = True
            extra["to_sign"] = list(letters[:10])
            extra["to_sign_count"] = letters.count()
    return _queue(request, title="Mijn werk", team=None, mine=True, template_extra=extra)


@login_required
def team_queue(request: HttpRequest, code: str) -> HttpResponse:
    team = selectors.team_by_code(code)
    if team is None:
        raise Http404("Team niet gevonden.")
    return _queue(request, title=f"Wachtrij {team.name}", team=team, mine=False, template_extra={})


# --- Triage ------------------------------------------------------------------------------


@login_required
def triage(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    dossiers = _with_suggestions(list(selectors.dossier_triage_queue(user=user)))
    for dossier in dossiers:
        dossier.may_route = permissions.may(user, Action.ROUTE, dossier)  # type: ignore[attr-defined]  # display only
    return render(request, "web/triage.html", {"dossiers": dossiers, "route_types": route_types()})


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
    user = staff_user(request)
    dossier = dossier_or_404(user, reference)
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
            {"dossiers": dossiers, "route_types": route_types(), "error": exc.message},
            status=exc.status_code,
        )
    messages.success(
        request,
        f"{dossier.reference} is doorgestuurd naar {dossier_type.name} ({dossier_type.team.name}).",
    )
    return redirect("web:triage")
