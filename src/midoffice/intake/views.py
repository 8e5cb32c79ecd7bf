"""Intake pages: the citizen's one-click contact preference, and the staff page with
caught outgoing mail and quarantined messages."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from midoffice.accounts.models import User
from midoffice.accounts.permissions import MESSAGES, Action, may
from midoffice.core.errors import UserError
from midoffice.intake import selectors, services
from midoffice.intake.acknowledgement import preference_token_read
from midoffice.parties.models import Channel, Consent, Party
from midoffice.parties.services import party_set_preference

# How the page says each choice ("we contact you …").
PREFERENCE_PHRASES = {
    Channel.EMAIL: "per e-mail",
    Channel.PHONE: "telefonisch",
    Channel.LETTER: "met een brief op papier",
    Channel.EBOX: "in je eBox",
}


@require_http_methods(["GET", "POST"])
def preference(request: HttpRequest, token: str) -> HttpResponse:
    """The link in the acknowledgement. GET shows the choice and a button; only the POST
    (with its CSRF token) stores it. Mail security scanners open every link in a mail:
    on a GET that changed something they would leave the last link's choice (eBox)."""
    try:
        choice = preference_token_read(token)
        party = Party.objects.get(pk=choice.party_id)
        if choice.channel not in Channel.values:
            raise signing.BadSignature("unknown channel")
    except signing.SignatureExpired:
        return render(request, "intake/preference.html", {"error": "expired"}, status=410)
    except (signing.BadSignature, Party.DoesNotExist):
        return render(request, "intake/preference.html", {"error": "invalid"}, status=400)
    context: dict[str, object] = {
        "channel": choice.channel,
        "phrase": PREFERENCE_PHRASES[Channel(choice.channel)],
        "dossier_url": reverse("portal:dossier", args=[choice.reference])
        if choice.reference
        else reverse("portal:home"),
        "reference": choice.reference,
    }
    if request.method == "POST":
        try:
            party_set_preference(
                party=party,
                channel=choice.channel,
                email_consent=True if choice.channel == Channel.EMAIL else None,
                source=Consent.Source.LINK,
            )
        except UserError:
            return render(request, "intake/preference.html", {"error": "invalid"}, status=400)
        context["done"] = True
    return render(request, "intake/preference.html", context)


def _mail_administrator(request: HttpRequest) -> None:
    user = request.user
    assert isinstance(user, User)
    if not may(user, Action.MANAGE_MAIL):
        raise PermissionDenied(MESSAGES[Action.MANAGE_MAIL])


@login_required
def staff_mail(request: HttpRequest) -> HttpResponse:
    """Held attachments, quarantined incoming mail and caught outgoing mail
    (administrators only; handlers see the held attachments on their dossier pages)."""
    _mail_administrator(request)
    return render(
        request,
        "intake/staff_mail.html",
        {
            "caught": selectors.caught_mail_list(),
            "quarantined": selectors.inbound_quarantined(),
            "held": selectors.attachments_held(),
        },
    )


@login_required
@require_POST
def staff_retry(request: HttpRequest, inbound_id: int) -> HttpResponse:
    _mail_administrator(request)
    try:
        message = services.inbound_retry(inbound_id=inbound_id)
    except UserError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Bericht #{message.pk}: {message.get_state_display()}.")
    return redirect("intake:staff-mail")
