"""Vastgoedinformatie on the dossier page: the parcel's documents from the property
platform (loaded by htmx after the page, so a slow platform never slows the page), and
the actions that keep one on the dossier or attach one to a draft letter (ADR 27)."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from midoffice.accounts import permissions
from midoffice.accounts.models import User
from midoffice.accounts.permissions import Action
from midoffice.core.errors import UserError
from midoffice.core.preview import download_headers
from midoffice.correspondence.models import Letter, LetterState
from midoffice.dossiers import notices
from midoffice.dossiers.models import Dossier
from midoffice.propertyinfo.models import KeptPropertyDocument
from midoffice.propertyinfo.selectors import property_listing
from midoffice.propertyinfo.services import (
    property_document_attach_to_letter,
    property_document_keep,
)
from midoffice.propertyinfo.storage import property_file_read
from midoffice.web.views.common import dossier_or_404, staff_user, valid_data
from midoffice.web.views.dossier import _action


class DocumentForm(forms.Form):
    document_id = forms.RegexField(
        regex=r"^[A-Za-z0-9._:-]{1,200}$",
        error_messages={"required": "Kies een document.", "invalid": "Onbekend document."},
    )


class LetterDocumentForm(DocumentForm):
    letter = forms.IntegerField(
        min_value=1,
        error_messages={
            "required": "Kies een ontwerpbrief.",
            "invalid": "Kies een ontwerpbrief.",
            "min_value": "Kies een ontwerpbrief.",
        },
    )


@login_required
@require_GET
def dossier_property_documents(request: HttpRequest, reference: str) -> HttpResponse:
    """The section's content: the platform's documents about the dossier's parcel."""
    user = staff_user(request)
    dossier = dossier_or_404(user, reference)
    allowed = permissions.allowed_actions(user, dossier)
    listing = property_listing(dossier=dossier)
    kept = list(KeptPropertyDocument.objects.filter(dossier=dossier).order_by("added_at", "id"))
    return render(
        request,
        "web/_property_documents.html",
        {
            "dossier": dossier,
            "listing": listing,
            "kept": kept,
            "can_keep": Action.LINK in allowed and dossier.is_open,
            "can_attach": Action.WRITE_LETTER in allowed and bool(listing.draft_letters),
        },
    )


@login_required
@require_POST
def dossier_property_keep(request: HttpRequest, reference: str) -> HttpResponse:
    def do(user: User, dossier: Dossier) -> str:
        data = valid_data(DocumentForm(request.POST))
        outcome = property_document_keep(
            actor=user, dossier=dossier, document_id=data["document_id"]
        )
        if not outcome.done:
            return f"'{outcome.title}' zat al in het dossier."
        return f"'{outcome.title}' is toegevoegd aan het dossier."

    return _action(request, reference, do)


@login_required
@require_POST
def dossier_property_attach(request: HttpRequest, reference: str) -> HttpResponse:
    def do(user: User, dossier: Dossier) -> str:
        data = valid_data(LetterDocumentForm(request.POST))
        letter = Letter.objects.filter(
            dossier=dossier, pk=data["letter"], state=LetterState.DRAFT
        ).first()
        if letter is None:
            raise UserError("Kies een ontwerpbrief van dit dossier.", field="letter")
        outcome = property_document_attach_to_letter(
            actor=user, letter=letter, document_id=data["document_id"]
        )
        if not outcome.done:
            return f"'{outcome.title}' zat al bij de brief '{letter.subject}'."
        return f"'{outcome.title}' gaat mee met de brief '{letter.subject}'."

    return _action(request, reference, do)


@login_required
@require_GET
def dossier_property_download(request: HttpRequest, reference: str, kept_id: int) -> HttpResponse:
    """Download a property document the dossier keeps."""
    user = staff_user(request)
    dossier = dossier_or_404(user, reference)
    kept = KeptPropertyDocument.objects.filter(dossier=dossier, pk=kept_id).first()
    if kept is None:
        raise Http404("Document niet gevonden.")
    try:
        data = property_file_read(name=kept.storage_name, sha256=kept.sha256)
    except OSError:
        raise Http404("Document niet gevonden.") from None
    notices.dossier_record_view(actor=user, dossier=dossier)
    return HttpResponse(
        data, headers=download_headers(filename=kept.filename, declared_type=kept.media_type)
    )
