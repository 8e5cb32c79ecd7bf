"""Staff pages: compose an answer from the dossier, edit and preview it, the signature folder."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from midoffice.accounts.models import User
from midoffice.accounts.permissions import Action, may
from midoffice.core.errors import NotFound, UserError
from midoffice.correspondence import selectors, services
from midoffice.correspondence.models import DeliveryChannel, Letter, LetterState, TemplateKind
from midoffice.correspondence.storage import file_read
from midoffice.dossiers.selectors import dossier_get_for_user


def _staff(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _letter(request: HttpRequest, letter_id: int) -> Letter:
    try:
        return selectors.letter_get_for_user(user=_staff(request), letter_id=letter_id)
    except NotFound:
        raise Http404("Brief niet gevonden.") from None


@login_required
def compose(request: HttpRequest, reference: str) -> HttpResponse:
    """The dossier's "answer" action: pick a template; a draft is made from it."""
    user = _staff(request)
    try:
        dossier = dossier_get_for_user(user=user, reference=reference)
    except NotFound:
        raise Http404("Dossier niet gevonden.") from None
    templates = selectors.templates_for(dossier_type=dossier.dossier_type, kind=TemplateKind.LETTER)
    if request.method == "POST":
        template = templates.filter(pk=request.POST.get("template") or 0).first()
        if template is None:
            messages.error(request, "Kies een sjabloon.")
        else:
            try:
                letter = services.letter_compose(actor=user, dossier=dossier, template=template)
            except UserError as exc:
                messages.error(request, exc.message)
            else:
                return redirect("correspondence:letter", letter_id=letter.pk)
    letters = selectors.letters_for_dossier(dossier_id=dossier.pk)
    return render(
        request,
        "correspondence/compose.html",
        {
            "dossier": dossier,
            "templates": templates,
            "letters": letters,
            "can_write": may(user, Action.WRITE_LETTER, dossier),
        },
    )


@login_required
def letter_detail(request: HttpRequest, letter_id: int) -> HttpResponse:
    """Edit a draft (text, attachments), see the PDF, submit it; or follow its delivery."""
    user = _staff(request)
    letter = _letter(request, letter_id)
    if request.method == "POST":
        action = request.POST.get("action", "save")
        try:
            if action in ("save", "submit"):
                letter = services.letter_update(
                    actor=user,
                    letter=letter,
                    subject=request.POST.get("subject", ""),
                    body=request.POST.get("body", ""),
                )
            if action == "attach":
                upload = request.FILES.get("attachment")
                if upload is None:
                    raise UserError("Kies een PDF-bestand.", field="attachment")
                if upload.size and upload.size > services.MAX_ATTACHMENT_BYTES:
                    raise UserError("Een bijlage mag hoogstens 10 MB groot zijn.")
                services.letter_attach(
                    actor=user, letter=letter, filename=upload.name or "", content=upload.read()
                )
                messages.success(request, "Bijlage toegevoegd.")
            elif action == "submit":
                letter = services.letter_submit(actor=user, letter=letter)
                if letter.state == LetterState.TO_SIGN:
                    messages.success(request, "De brief staat in de handtekenmap.")
                else:
                    messages.success(request, "De brief wordt verstuurd.")
            elif action == "save":
                messages.success(request, "Tekst bewaard.")
        except UserError as exc:
            messages.error(request, exc.message)
        return redirect("correspondence:letter", letter_id=letter.pk)
    choice = services.letter_choose_channel(letter=letter)
    events = letter.dossier.events.filter(data__letter=letter.pk).order_by("at", "id")
    return render(
        request,
        "correspondence/letter.html",
        {
            "letter": letter,
            "choice": choice,
            "choice_label": DeliveryChannel(choice.channel).label if choice.channel else "",
            "events": events,
            "can_sign": selectors.user_can_sign(user=user, letter=letter),
            "can_write": may(user, Action.WRITE_LETTER, letter.dossier),
        },
    )


@login_required
def letter_pdf(request: HttpRequest, letter_id: int) -> HttpResponse:
    """The PDF: a live preview for a draft, else exactly the stored (signed) file."""
    letter = _letter(request, letter_id)
    data = services.letter_preview_pdf(letter=letter)
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'inline; filename="{letter.dossier.reference}-brief-{letter.pk}.pdf"'
    )
    return response


@login_required
def attestation_pdf(request: HttpRequest, letter_id: int) -> HttpResponse:
    letter = _letter(request, letter_id)
    if not letter.attestation_name:
        raise Http404("Geen afleverbewijs.")
    data = file_read(name=letter.attestation_name, sha256=letter.attestation_sha256)
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="afleverbewijs-{letter.pk}.pdf"'
    return response


@login_required
def signature_folder(request: HttpRequest) -> HttpResponse:
    letters = selectors.signature_folder(user=_staff(request))
    return render(request, "correspondence/signature_folder.html", {"letters": letters})


@login_required
@require_POST
def sign(request: HttpRequest, letter_id: int) -> HttpResponse:
    letter = _letter(request, letter_id)
    try:
        services.letter_sign(actor=_staff(request), letter=letter)
        messages.success(request, f"Brief voor {letter.dossier.reference} ondertekend.")
    except UserError as exc:
        messages.error(request, exc.message)
    return redirect("correspondence:signature_folder")


@login_required
@require_POST
def refuse(request: HttpRequest, letter_id: int) -> HttpResponse:
    letter = _letter(request, letter_id)
    try:
        services.letter_refuse(
            actor=_staff(request), letter=letter, reason=request.POST.get("reason", "")
        )
        messages.success(request, "Brief teruggestuurd naar de behandelaar.")
    except UserError as exc:
        messages.error(request, exc.message)
    return redirect("correspondence:signature_folder")
