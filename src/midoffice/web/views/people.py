"""Contacts, search, the front desk, notifications and the role table."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from midoffice.accounts import permissions
from midoffice.accounts.models import Role
from midoffice.accounts.permissions import Action
from midoffice.catalog.models import DossierType
from midoffice.core.errors import NotFound, UserError
from midoffice.dossiers import search as search_module
from midoffice.dossiers import selectors
from midoffice.dossiers import services as dossier_services
from midoffice.parties.models import Party
from midoffice.web.forms import (
    FrontDeskForm,
)
from midoffice.web.views.common import is_htmx, route_types, staff_user, valid_data


@login_required
def contact_detail(request: HttpRequest, party_id: int) -> HttpResponse:
    user = staff_user(request)
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
    user = staff_user(request)
    query = request.GET.get("q", "")
    error = ""
    hits: list[search_module.SearchHit] = []
    try:
        hits = search_module.search(user=user, query=query)
    except UserError as exc:
        error = exc.message
    context = {"q": query, "hits": hits, "error": error, "searched": bool(query.strip())}
    template = "web/_search_results.html" if is_htmx(request) else "web/search.html"
    return render(request, template, context, status=400 if error else 200)


def _frontdesk_context(request: HttpRequest, party: Party | None) -> dict[str, Any]:
    return {
        "types": route_types(),
        "party": party,
        "values": request.POST if request.method == "POST" else {},
    }


@login_required
def frontdesk_register(request: HttpRequest) -> HttpResponse:
    """The front desk opens a dossier from a phone call or a counter visit."""
    user = staff_user(request)
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
        data = valid_data(form)
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
    user = staff_user(request)
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
    user = staff_user(request)
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
