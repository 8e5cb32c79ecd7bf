"""The files on a dossier page: the attachments of the citizen's mails and the documents
she added in the portal. Download, preview (images and PDFs, checked by their bytes, in a
sandbox: core.preview) and the audited release of a held attachment (ADR 12).

Every view finds the dossier through the access-checked door first: a file of a dossier
the user cannot see, or of another dossier, is "not found". Every read is audited as a
view of the dossier.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.files import File
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from midoffice.accounts.models import User
from midoffice.core.errors import NotFound
from midoffice.core.preview import (
    PREVIEW_TYPES,
    SNIFF_BYTES,
    download_headers,
    preview_headers,
    sniff,
)
from midoffice.core.storage import stored_file_open
from midoffice.dossiers import notices
from midoffice.dossiers.models import Dossier
from midoffice.intake import services as intake_services
from midoffice.intake.models import Attachment
from midoffice.intake.selectors import AttachmentFile
from midoffice.intake.selectors import dossier_attachment as attachment_read
from midoffice.intake.storage import blob_open
from midoffice.web.dossier_messages import dossier_document
from midoffice.web.views.common import dossier_or_404, staff_user
from midoffice.web.views.dossier import _action


def _respond(data: bytes, headers: dict[str, str]) -> HttpResponse:
    response = HttpResponse(data)
    for name, value in headers.items():
        response[name] = value
    return response


def _stream(handle: File[bytes], headers: dict[str, str]) -> FileResponse:
    """A download streamed from the storage's file: a large one is never whole in memory."""
    response = FileResponse(handle)
    for name, value in headers.items():
        response[name] = value
    return response


def _refused(
    request: HttpRequest, dossier: Dossier, *, status: int, title: str, text: str
) -> HttpResponse:
    context = {"dossier": dossier, "title": title, "text": text}
    return render(request, "web/file_refused.html", context, status=status)


def _held(request: HttpRequest, dossier: Dossier, attachment: AttachmentFile) -> HttpResponse:
    return _refused(
        request,
        dossier,
        status=403,
        title="Deze bijlage is tegengehouden",
        text=(
            f"Tegengehouden: {attachment.dangerous_reason}. Ze kan pas gedownload worden "
            "als een behandelaar of beheerder ze op de dossierpagina vrijgeeft, met een reden."
        ),
    )


def _attachment(
    user: User, reference: str, attachment_id: int, *, with_data: bool = True
) -> tuple[Dossier, AttachmentFile]:
    dossier = dossier_or_404(user, reference)
    try:
        found = attachment_read(
            dossier_id=dossier.pk, attachment_id=attachment_id, with_data=with_data
        )
    except (Attachment.DoesNotExist, OSError):
        raise Http404("Bijlage niet gevonden.") from None
    return dossier, found


@login_required
@require_GET
def dossier_attachment(
    request: HttpRequest, reference: str, attachment_id: int
) -> HttpResponseBase:
    """Download an attachment of a mail on a dossier the user may see (else not found);
    a held one only after its release."""
    user = staff_user(request)
    dossier, attachment = _attachment(user, reference, attachment_id, with_data=False)
    if attachment.held:
        return _held(request, dossier, attachment)
    try:
        handle = blob_open(attachment.stored_name)
    except OSError:
        raise Http404("Bijlage niet gevonden.") from None
    notices.dossier_record_view(actor=user, dossier=dossier)
    # Always a download, never rendered in our origin: mail attachments are untrusted.
    return _stream(
        handle,
        download_headers(filename=attachment.filename, declared_type=attachment.content_type),
    )


def _preview(
    request: HttpRequest,
    *,
    user: User,
    dossier: Dossier,
    filename: str,
    data: bytes,
    dangerous: bool,
) -> HttpResponse:
    media_type = None if dangerous else sniff(data[:SNIFF_BYTES])
    if media_type is None:
        kinds = ", ".join(sorted({label.split("-")[0] for label in PREVIEW_TYPES.values()}))
        return _refused(
            request,
            dossier,
            status=415,
            title="Dit bestand kan niet getoond worden",
            text=(
                "We tonen enkel afbeeldingen en PDF-bestanden, en enkel als de inhoud echt "
                f"zo’n bestand is ({kinds}). Download het bestand als je het toch wilt openen."
            ),
        )
    notices.dossier_record_view(actor=user, dossier=dossier)
    return _respond(data, preview_headers(media_type=media_type, filename=filename))


@login_required
@require_GET
def dossier_attachment_preview(
    request: HttpRequest, reference: str, attachment_id: int
) -> HttpResponse:
    """Show an image or PDF attachment in the browser, if its bytes are one."""
    user = staff_user(request)
    dossier, attachment = _attachment(user, reference, attachment_id)
    if attachment.held:
        return _held(request, dossier, attachment)
    return _preview(
        request,
        user=user,
        dossier=dossier,
        filename=attachment.filename,
        data=attachment.data,
        dangerous=bool(attachment.dangerous_reason),  # released or not: never inline
    )


def _document(user: User, reference: str, document_id: int) -> tuple[Dossier, str, bytes]:
    dossier = dossier_or_404(user, reference)
    try:
        document = dossier_document(dossier=dossier, document_id=document_id)
        with document.file.open("rb") as handle:
            data = handle.read()
    except (NotFound, OSError):
        raise Http404("Document niet gevonden.") from None
    return dossier, document.name, data


@login_required
@require_GET
def dossier_document_download(
    request: HttpRequest, reference: str, document_id: int
) -> HttpResponseBase:
    """Download a file the citizen added in the portal to a dossier the user may see."""
    user = staff_user(request)
    dossier = dossier_or_404(user, reference)
    try:
        document = dossier_document(dossier=dossier, document_id=document_id)
        handle = stored_file_open(document.file.name)
    except (NotFound, OSError):
        raise Http404("Document niet gevonden.") from None
    notices.dossier_record_view(actor=user, dossier=dossier)
    return _stream(handle, download_headers(filename=document.name))


@login_required
@require_GET
def dossier_document_preview(
    request: HttpRequest, reference: str, document_id: int
) -> HttpResponse:
    """Show a citizen's image or PDF in the browser, if its bytes are one."""
    user = staff_user(request)
    dossier, name, data = _document(user, reference, document_id)
    return _preview(request, user=user, dossier=dossier, filename=name, data=data, dangerous=False)


@login_required
@require_POST
def dossier_attachment_release(
    request: HttpRequest, reference: str, attachment_id: int
) -> HttpResponse:
    """Release a held attachment, with a reason (audited: intake.services)."""

    def do(user: User, dossier: Dossier) -> str:
        # The service owns the rule (a reason is required), for every door alike.
        attachment = intake_services.attachment_release(
            actor=user,
            dossier=dossier,
            attachment_id=attachment_id,
            reason=request.POST.get("reason", ""),
        )
        return (
            f"De bijlage {attachment.filename or 'bijlage'} is vrijgegeven; "
            "je reden staat op de tijdlijn."
        )

    return _action(request, reference, do)
