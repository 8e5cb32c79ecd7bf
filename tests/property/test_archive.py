"""Kept property documents are documents of the dossier: in the SIP, gone with the dossier."""

from __future__ import annotations

import uuid

import pytest
from django.core.files.storage import default_storage
from django.db import transaction

from midoffice.archive.destruction_erase import dossier_erase
from midoffice.archive.sip.build import sip_build
from midoffice.archive.sip.collect import sip_context, sip_dossier_collect
from midoffice.archive.sip.validation import validate_folder
from midoffice.core import clock
from midoffice.dossiers.models import Dossier
from midoffice.propertyinfo.models import KeptPropertyDocument
from midoffice.propertyinfo.services import property_document_keep
from tests.factories import open_dossier

from .conftest import CAPAKEY

pytestmark = pytest.mark.django_db


def test_kept_documents_go_into_the_sip_and_it_validates(handler, dossier, tmp_path):
    property_document_keep(actor=handler, dossier=dossier, document_id="plan-1")
    property_document_keep(actor=handler, dossier=dossier, document_id="heritage-toets")
    # What packaging needs and is not about property information: closed, in a series.
    Dossier.objects.filter(pk=dossier.pk).update(closed_at=clock.now(), is_open=False)
    type(dossier.dossier_type).objects.filter(pk=dossier.dossier_type_id).update(
        archive_series_code="LEEMDONK-OMG-001", archive_series_name="Omgeving"
    )
    dossier.refresh_from_db()
    context = sip_context(package_id=uuid.uuid4(), created=clock.now())
    root = sip_build(dossier=sip_dossier_collect(dossier=dossier), context=context, into=tmp_path)
    names = sorted(p.name for p in (root / "representations/rep1/data").iterdir())
    assert any(n.endswith("bouwplan.pdf") for n in names), names
    assert any(n.endswith("erfgoed.txt") for n in names), names
    report = validate_folder(root)
    assert report.valid, report
    # The package's description names them in Dutch, as it names mails and letters.
    descriptions = "".join(p.read_text() for p in root.rglob("*.xml"))
    assert "Vastgoedinformatie, " in descriptions


def test_erasing_a_dossier_removes_its_copies_but_not_a_file_another_dossier_keeps(
    handler, dossier, dossier_type, citizen
):
    neighbour = open_dossier(dossier_type=dossier_type, requester=citizen, subject="Zelfde huis")
    Dossier.objects.filter(pk=neighbour.pk).update(capakey=CAPAKEY)
    neighbour.refresh_from_db()
    property_document_keep(actor=handler, dossier=dossier, document_id="plan-1")
    property_document_keep(actor=handler, dossier=neighbour, document_id="plan-1")
    name = KeptPropertyDocument.objects.filter(dossier=dossier).get().storage_name

    with transaction.atomic():
        erased = dossier_erase(Dossier.objects.select_for_update().get(pk=dossier.pk))
    assert erased.counts["property_documents"] == 1
    assert name not in erased.files  # the neighbour keeps the same bytes
    assert KeptPropertyDocument.objects.filter(dossier_id=dossier.pk).count() == 0

    with transaction.atomic():
        erased = dossier_erase(Dossier.objects.select_for_update().get(pk=neighbour.pk))
    assert name in erased.files
    assert default_storage.exists(name)  # the caller deletes the files after commit
