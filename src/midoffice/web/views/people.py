"""Contacts, search, the front desk, notifications and the role table."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from midoffice.accounts import permissions
from midoffice.accounts.models import Role, User
from midoffice.accounts.permissions import Action
from midoffice.catalog.models import DossierType
from midoffice.core import clock
from midoffice.core.errors import NotFound, UserError
from midoffice.dossiers import notices, selectors
from midoffice.dossiers import search as search_module
from midoffice.dossiers import services as dossier_services
from midoffice.parties import linking
from midoffice.parties import selectors as party_selectors
from midoffice.parties import services as party_services
from midoffice.parties.linking import party_links
from midoffice.parties.models import Channel, ConsentChannel, Party
from midoffice.places import services as places_services
from midoffice.web.forms import (
    STAFF_CONSENT_SOURCES,
    AddressForm,
    ConsentForm,
    ContactDetailsForm,
    ContactPointForm,
    EmailForm,
    FrontDeskForm,
    PhoneForm,
)
from midoffice.web.views.common import is_htmx, route_types, staff_user, valid_data


def _party_or_404(party_id: int) -> Party:
    try:
        return selectors.party_get(party_id=party_id)
    except NotFound:
        raise Http404("Contact niet gevonden.") from None


def _contact_context(party: Party) -> dict[str, Any]:
    """What the contact page and its edit page show of the contact."""
    return {
        "party": party,
        "points": party.contact_points.order_by("kind", "-is_primary", "id"),
        "consents": party_selectors.consent_current(party=party),
    }


@login_required
def contact_detail(request: HttpRequest, party_id: int) -> HttpResponse:
    user = staff_user(request)
    party = _party_or_404(party_id)
    notices.party_record_view(actor=user, party=party)
    return render(
        request,
        "web/contact.html",
        {
            **_contact_context(party),
            "dossiers": selectors.party_dossiers(user=user, party=party)[:100],
            "interactions": selectors.party_interactions(user=user, party=party),
            "changes": party_selectors.party_changes(party=party),
            "can_edit": permissions.may(user, Action.REGISTER_CONTACT),
            "links": party_links(party),  # ADR 29: linked citizen contacts
        },
    )


# Issue 20 #2: the contact edit page. One page, one small form per change; each posts its
# ``form`` name and is one service call (checked, audited, all or nothing).
EDIT_ANCHORS = {
    "details": "naam",
    "address": "adressen",
    "phone": "telefoon",
    "email": "email",
    "primary": "",
    "remove": "",
    "consent": "toestemming",
    "insz": "rijksregisternummer",
}


def _contact_change(user: User, party: Party, form: str, data: QueryDict) -> str:
    """Do the change one form of the edit page asks for; returns what was done (Dutch)."""
    if form == "details":
        values = valid_data(ContactDetailsForm(data))
        party_services.party_update_details(actor=user, party=party, **values)
        return "De gegevens zijn bewaard."
    if form == "address":
        values = valid_data(AddressForm(data))
        primary = values.pop("primary")
        point = party_services.party_add_address(
            actor=user, party=party, address=party_services.PostalAddress(**values), primary=primary
        )
        return f"Adres toegevoegd: {point.value}."
    if form == "phone":
        values = valid_data(PhoneForm(data))
        point = party_services.party_add_phone(
            actor=user, party=party, phone=values["phone"], primary=values["primary"]
        )
        return f"Telefoonnummer toegevoegd: {point.value}."
    if form == "email":
        values = valid_data(EmailForm(data))
        point = party_services.party_add_email(
            actor=user, party=party, email=values["email"], primary=values["primary"]
        )
        return f"E-mailadres toegevoegd: {point.value}."
    if form in ("primary", "remove"):
        point_id = valid_data(ContactPointForm(data))["point"]
        if form == "primary":
            point = party_services.party_contact_point_make_primary(
                actor=user, party=party, point_id=point_id
            )
            return f"{point.value} is nu de voorkeur."
        party_services.party_contact_point_remove(actor=user, party=party, point_id=point_id)
        return "Het contactgegeven is verwijderd."
    if form == "consent":
        values = valid_data(ConsentForm(data))
        consent = party_services.party_record_consent(
            actor=user,
            party=party,
            channel=values["channel"],
            granted=values["granted"] == "yes",
            given_on=values["given_on"],
            source=values["source"],
            note=values["note"],
        )
        verdict = "akkoord" if consent.granted else "geweigerd"
        return f"Toestemming {consent.get_channel_display()} geregistreerd: {verdict}."
    if form == "insz":
        # ADR 29: a national number staff checked reaches DOSIS like a link does.
        linking.national_number_record(
            actor=user, party=party, insz=data.get("insz", ""), proof=data.get("proof", "")
        )
        return "Het rijksregisternummer is bewaard."
    raise UserError("Onbekende wijziging.")


@login_required
@require_http_methods(["GET", "POST"])
def contact_edit(request: HttpRequest, party_id: int) -> HttpResponse:
    """Edit a contact: names and preferred channel, addresses, phone numbers, e-mail
    addresses and consents — for the roles that register contacts."""
    user = staff_user(request)
    party = _party_or_404(party_id)
    if not permissions.may(user, Action.REGISTER_CONTACT):
        raise PermissionDenied(permissions.MESSAGES[Action.REGISTER_CONTACT])
    context: dict[str, Any] = {
        "identity_proofs": linking.STAFF_PROOFS.items(),
        "consent_sources": STAFF_CONSENT_SOURCES,
        "consent_channels": ConsentChannel.choices,
        "channels": Channel.choices,
        "today": clock.today(),
    }
    if request.method == "POST":
        form = request.POST.get("form", "")
        try:
            done = _contact_change(user, party, form, request.POST)
        except UserError as exc:
            party = _party_or_404(party_id)  # as it is now: nothing was written
            context.update(
                _contact_context(party),
                history=party_selectors.consent_history(party=party),
                error=exc.message,
                error_form=form,
                values=request.POST,
            )
            return render(request, "web/contact_edit.html", context, status=exc.status_code)
        messages.success(request, done)
        anchor = EDIT_ANCHORS.get(form, "")
        url = reverse("web:contact_edit", args=[party.pk])
        return redirect(f"{url}#{anchor}" if anchor else url)
    notices.party_record_view(actor=user, party=party)
    context.update(
        _contact_context(party),
        history=party_selectors.consent_history(party=party),
        values={},
    )
    return render(request, "web/contact_edit.html", context)


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
        location: dossier_services.Location | None = None
        check = None
        if data["address"].strip() or data["address_id"]:
            # Asked before the transaction (ADR 26): down or slow → saved as typed.
            location, check = places_services.address_for_new_dossier(
                text=data["address"], address_id=data["address_id"]
            )
        with transaction.atomic():
            dossier = dossier_services.dossier_open_from_contact(
                actor=user,
                dossier_type=dossier_type,
                subject=data["subject"],
                channel=data["channel"],
                summary=data["summary"],
                party=party,
                new_contact=new_contact,
                location=location,
            )
            if check is not None:
                places_services.address_check_store(dossier, check)
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
        count = notices.notification_mark_read(user=user)
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
            "signing_officer": permissions.is_signing_officer(user),
            "signing_permission": "Kan brieven ondertekenen",
        },
    )
