"""The dossier page asks once which of its sections have rows (``web.dossier_sections``,
issue 24): an empty section shows its empty state without reading its table, and a
section with rows reads and shows them as before."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from midoffice.dossiers.models import ExternalLink
from midoffice.web.dossier_sections import empty_sections
from tests.factories import open_dossier

pytestmark = pytest.mark.django_db

SECTION_TABLES = (
    "intake_inboundmessage",
    "portal_followupquestion",
    "correspondence_letter",
    "dossiers_externallink",
    "publication_dosisregistration",
    "appointments_appointment",
    "systems_externalrecord",
    "systems_systemdocument",
    "catalog_statustype",
    "catalog_resulttype",
)


@pytest.fixture
def signed_in(client, handler):
    client.force_login(handler)
    return client


def _page(client, reference: str) -> tuple[str, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(f"/dossiers/{reference}/")
    assert response.status_code == 200
    return response.content.decode(), [q["sql"] for q in captured.captured_queries]


def test_empty_sections_are_not_read_one_by_one(signed_in, dossier_type):
    dossier = open_dossier(dossier_type=dossier_type)
    _page(signed_in, dossier.reference)  # a first view reads the catalog into memory
    html, queries = _page(signed_in, dossier.reference)
    probes = [q for q in queries if "probe_mails" in q]
    assert len(probes) == 1
    others = [q for q in queries if q not in probes]
    for table in SECTION_TABLES:
        assert not [q for q in others if table in q], f"{table} read outside the probe"
    # The sections still show, empty; the status form offers the type's next statuses.
    assert "Afspraken" in html
    assert 'id="status-new"' in html
    assert "In behandeling" in html


def test_a_section_with_rows_is_read_and_shown(signed_in, dossier_type):
    dossier = open_dossier(dossier_type=dossier_type)
    assert empty_sections(dossier)["links"] is True
    ExternalLink.objects.create(
        dossier=dossier, system="Omgevingsloket", external_id="OMV_2026_0042"
    )
    assert "links" not in empty_sections(dossier)
    html, _ = _page(signed_in, dossier.reference)
    assert "Omgevingsloket OMV_2026_0042" in html


def test_the_probe_names_every_section_and_lets_all_look_for_a_vanished_dossier(dossier_type):
    """A dossier deleted since the page found it lets every section look."""
    dossier = open_dossier(dossier_type=dossier_type)
    assert set(empty_sections(dossier)) == {
        "mails",
        "questions",
        "questions_opened",
        "letters",
        "links",
        "dosis",
        "appointments",
        "records",
        "documents",
    }
    dossier.pk = 0
    assert empty_sections(dossier) == {}
