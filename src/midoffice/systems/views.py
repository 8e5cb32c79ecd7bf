"""Staff pages of specialist systems: the download of a document a system added.

The dossier comes through the staff door first (``dossier_get_for_user``): a document of
a dossier the user cannot see, or of another dossier, is "not found". Served as a
download only (``core.preview.download_headers``), and audited as a view of the dossier.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponseBase
from django.views.decorators.http import require_GET

from midoffice.accounts.models import User
from midoffice.core.errors import NotFound
from midoffice.core.preview import download_headers
from midoffice.core.storage import stored_file_open
from midoffice.dossiers import notices
from midoffice.dossiers.selectors import dossier_get_for_user
from midoffice.systems.models import SystemDocument


@login_required
@require_GET
def system_document_download(
    request: HttpRequest, reference: str, document_id: int
) -> HttpResponseBase:
    user = request.user
    if not isinstance(user, User):
        raise Http404("Document niet gevonden.")
    try:
        dossier = dossier_get_for_user(user=user, reference=reference)
        document = SystemDocument.objects.get(dossier=dossier, pk=document_id)
        handle = stored_file_open(document.file.name)
    except (NotFound, SystemDocument.DoesNotExist, OSError):
        raise Http404("Document niet gevonden.") from None
    notices.dossier_record_view(actor=user, dossier=dossier)
    response = FileResponse(handle)
    for name, value in download_headers(filename=document.name).items():
        response[name] = value
    return response
