"""The dossier's address: register suggestions for the autocomplete, and setting it.

The suggestions are an htmx fragment (the options of an ARIA combobox); without
JavaScript the same form is a plain text field that is matched on submit.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from midoffice.accounts import permissions
from midoffice.accounts.models import User
from midoffice.accounts.permissions import Action
from midoffice.dossiers.models import AddressVerification, Dossier
from midoffice.integrations.registers.client import RegisterError
from midoffice.places.selectors import address_suggestions
from midoffice.places.services import dossier_set_address
from midoffice.web.views.common import dossier_or_404, staff_user, valid_data
from midoffice.web.views.dossier import _action

MAX_TYPED = 200


class AddressForm(forms.Form):
    address = forms.CharField(
        max_length=MAX_TYPED,
        error_messages={
            "required": "Geef een adres op, bv. Kerkstraat 12.",
            "max_length": "Dit adres is te lang.",
        },
    )
    address_id = forms.RegexField(regex=r"^\d{1,20}$", required=False)


@login_required
@require_GET
def dossier_address_suggest(request: HttpRequest, reference: str) -> HttpResponse:
    """The register's addresses for what was typed so far (options of the combobox)."""
    user = staff_user(request)
    dossier = dossier_or_404(user, reference)
    if Action.SET_LOCATION not in permissions.allowed_actions(user, dossier):
        return HttpResponse(status=403)
    return _suggestions(request)


@login_required
@require_GET
def frontdesk_address_suggest(request: HttpRequest) -> HttpResponse:
    """The register's addresses for the front desk's registration form (no dossier yet)."""
    user = staff_user(request)
    if not permissions.may(user, Action.REGISTER):
        return HttpResponse(status=403)
    return _suggestions(request)


def _suggestions(request: HttpRequest) -> HttpResponse:
    typed = request.GET.get("address", "")[:MAX_TYPED]
    error = ""
    try:
        found = address_suggestions(text=typed)
    except RegisterError:
        found, error = [], "Het adressenregister antwoordt niet. Typ het volledige adres: "
        error += "het wordt later gecontroleerd."
    return render(
        request,
        "web/_address_options.html",
        {"found": found, "error": error, "typed": typed},
    )


@login_required
@require_POST
def dossier_address_set(request: HttpRequest, reference: str) -> HttpResponse:
    def do(user: User, dossier: Dossier) -> str:
        data = valid_data(AddressForm(request.POST))
        saved = dossier_set_address(
            actor=user, dossier=dossier, text=data["address"], address_id=data["address_id"]
        )
        line = f"{saved.location_street} {saved.location_number}".strip()
        if saved.address_verification == AddressVerification.VERIFIED:
            return f"De locatie is nu {line} (geverifieerd in het adressenregister)."
        if saved.address_verification == AddressVerification.NOT_FOUND:
            return (
                f"De locatie is nu {line}, maar dit adres staat niet in het adressenregister. "
                "Kijk het na."
            )
        return (
            f"De locatie is nu {line}. Het adressenregister antwoordde niet: het adres wordt "
            "later gecontroleerd."
        )

    return _action(request, reference, do)
