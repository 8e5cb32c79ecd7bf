"""Issue 19, item 9: the portal shows a citizen's dossier subject and documents without
display spoofing (core.display), and keeps what was received."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from midoffice.portal.models import CitizenDocument
from tests.factories import open_dossier
from tests.portal.conftest import sign_in

pytestmark = pytest.mark.django_db

RLO = "\u202e"


def test_subjects_show_no_override_and_an_invisible_one_a_placeholder(
    client, emma, dossier_type, settings
):
    settings.DOSIS_ENDPOINT = ""
    spoofed = open_dossier(dossier_type=dossier_type, requester=emma, subject=f"factuur{RLO}fdp")
    invisible = open_dossier(dossier_type=dossier_type, requester=emma, subject="\u200b\u2060")
    sign_in(client, emma)
    home = client.get("/mijn/").content.decode()
    assert RLO not in home
    assert "factuurfdp" in home
    assert "(geen onderwerp)" in home
    page = client.get(f"/mijn/dossiers/{invisible.reference}").content.decode()
    assert "\u200b" not in page
    assert "(geen onderwerp)" in page
    spoofed.refresh_from_db()
    assert spoofed.subject == f"factuur{RLO}fdp"  # stored as received


def test_a_document_name_and_its_download_show_no_override(
    client, emma, emma_dossier, tmp_path, settings
):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    document = CitizenDocument(
        dossier=emma_dossier,
        party=emma,
        name=f"factuur{RLO}fdp.exe",
        content_type="application/pdf",
        size=8,
        created_at=timezone.now(),
    )
    document.file.save("doc.pdf", ContentFile(b"%PDF-1.4"), save=False)
    document.save()
    sign_in(client, emma)
    page = client.get(f"/mijn/dossiers/{emma_dossier.reference}").content.decode()
    assert RLO not in page
    assert "factuurfdp.exe" in page
    download = client.get(f"/mijn/dossiers/{emma_dossier.reference}/documenten/{document.pk}")
    assert "%E2%80%AE" not in download["Content-Disposition"].upper()
    assert "factuurfdp.exe" in download["Content-Disposition"]
