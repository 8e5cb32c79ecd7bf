"""Helpers every workbench view uses."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import Http404, HttpRequest

from midoffice.accounts.models import User
from midoffice.catalog.models import DossierType
from midoffice.core.errors import NotFound, UserError
from midoffice.dossiers import selectors
from midoffice.dossiers.models import Dossier
from midoffice.web.forms import first_error


def is_htmx(request: HttpRequest) -> bool:
    """True for a request made by htmx (django_htmx's middleware sets ``request.htmx``)."""
    return bool(getattr(request, "htmx", False))


def staff_user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def valid_data(form: forms.Form) -> dict[str, Any]:
    if not form.is_valid():
        raise UserError(first_error(form))
    return form.cleaned_data


def route_types() -> list[DossierType]:
    return list(
        DossierType.objects.filter(is_active=True)
        .exclude(code=selectors.TRIAGE_TYPE_CODE)
        .select_related("team")
        .order_by("name")
    )


def dossier_or_404(user: User, reference: str) -> Dossier:
    try:
        return selectors.dossier_get_for_user(user=user, reference=reference)
    except NotFound:
        raise Http404("Dossier niet gevonden.") from None
