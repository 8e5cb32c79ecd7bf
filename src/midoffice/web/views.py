"""The staff workbench (first pages: sign-in, my work, a dossier)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from midoffice.accounts.models import User
from midoffice.accounts.services import login_failure_record, login_is_throttled
from midoffice.core.errors import NotFound
from midoffice.dossiers import selectors


class ThrottledAuthenticationForm(AuthenticationForm):
    """Refuses sign-in after too many failures for a user name or an address."""

    def clean(self) -> dict[str, Any]:
        username = self.data.get("username", "")
        address = self.request.META.get("REMOTE_ADDR", "") if self.request else ""
        if login_is_throttled(username=username, address=address):
            raise ValidationError(
                "Te veel mislukte aanmeldpogingen. Probeer het over een kwartier opnieuw.",
                code="throttled",
            )
        try:
            return super().clean()
        except forms.ValidationError:
            login_failure_record(username=username, address=address)
            raise


class StaffLoginView(auth_views.LoginView):
    template_name = "web/login.html"
    authentication_form = ThrottledAuthenticationForm
    redirect_authenticated_user = True


class StaffLogoutView(auth_views.LogoutView):
    pass


def _staff(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    mine = selectors.dossier_queue(user=user, assignee_id=user.pk).select_related(
        "status", "dossier_type", "team"
    )[:50]
    team_ids = list(user.teams.values_list("id", flat=True))
    team_queue = (
        selectors.dossier_queue(user=user)
        .filter(team_id__in=team_ids, assignee__isnull=True)
        .select_related("status", "dossier_type", "team")[:50]
    )
    return render(request, "web/home.html", {"mine": mine, "team_queue": team_queue})


@login_required
def dossier_detail(request: HttpRequest, reference: str) -> HttpResponse:
    user = _staff(request)
    try:
        dossier = selectors.dossier_get_for_user(user=user, reference=reference)
    except NotFound:
        raise Http404("Dossier niet gevonden.") from None
    events = dossier.events.all()
    return render(request, "web/dossier.html", {"dossier": dossier, "events": events})
