"""The archivist's page and the archive on the dossier page."""

from __future__ import annotations

import pytest
from django.test import Client

from midoffice.archive import services
from midoffice.archive.models import ArchiveTransfer
from midoffice.core import clock
from midoffice.dossiers import services as dossier_services
from midoffice.dossiers.models import ArchiveState
from tests.archive.conftest import utc
from tests.factories import UserFactory, open_dossier

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _closed(dossier_type, handler, *, year: int):
    dossier = open_dossier(dossier_type=dossier_type, subject=f"Vraag uit {year}")
    with clock.frozen_at(utc(year, 5, 4)):
        dossier_services.dossier_change_status(
            actor=handler, dossier=dossier, status_code="afgesloten", result_code="beantwoord"
        )
    dossier.refresh_from_db()
    return dossier


def test_the_archivist_sees_what_is_due_and_queues_the_transfers(keep_type, handler, archivist):
    old = [_closed(keep_type, handler, year=y) for y in (2010, 2011)]
    _closed(keep_type, handler, year=2025)
    services.archive_daily_run()
    client = _client(archivist)
    page = client.get("/archief/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'href="/archief/">Archief</a>' in html  # the menu
    assert "Informatievraag bouwen" in html
    assert "<td>2</td>" in html
    for dossier in old:
        assert dossier.reference in html
    answer = client.post("/archief/overbrengen/", {"type": keep_type.pk}, follow=True)
    assert "2 overbrengingen aangevraagd." in answer.content.decode()
    assert ArchiveTransfer.objects.filter(state=ArchiveTransfer.State.QUEUED).count() == 2


def test_only_archivists_reach_the_archive(keep_type, handler):
    assert _client(handler).get("/archief/").status_code == 403
    home = _client(handler).get("/").content.decode()
    assert 'href="/archief/"' not in home


def test_the_dossier_page_shows_the_archive_and_lets_an_archivist_block_it(
    keep_type, team, handler, archivist
):
    dossier = _closed(keep_type, handler, year=2012)
    as_handler = _client(handler).get(f"/dossiers/{dossier.reference}/").content.decode()
    assert "bewaren, over te brengen vanaf 04-05-2022" in as_handler
    assert "Reden van de archiefblokkering" not in as_handler

    client = _client(archivist)
    page = client.get(f"/dossiers/{dossier.reference}/").content.decode()
    assert "Reden van de archiefblokkering" in page
    empty = client.post(
        f"/archief/dossiers/{dossier.reference}/blokkering/", {"reason": ""}, follow=True
    )
    assert "Geef een reden" in empty.content.decode()
    done = client.post(
        f"/archief/dossiers/{dossier.reference}/blokkering/",
        {"reason": "Rechtszaak 2026/4"},
        follow=True,
    ).content.decode()
    assert "De archiefblokkering is ingesteld." in done
    assert (
        'Archiefblokkering</dt><dd><strong class="mark mark-held">geblokkeerd</strong> Rechtszaak 2026/4'
        in done
    )
    refused = client.post(
        f"/archief/dossiers/{dossier.reference}/overbrengen/", {"terug": "archief"}, follow=True
    ).content.decode()
    assert "archiefblokkering" in refused
    dossier.refresh_from_db()
    assert dossier.archive_state == ArchiveState.NONE
    lifted = client.post(
        f"/archief/dossiers/{dossier.reference}/blokkering-opheffen/",
        {"reason": "Zaak afgesloten"},
        follow=True,
    ).content.decode()
    assert "De archiefblokkering is opgeheven." in lifted


def test_a_handler_cannot_post_a_hold(keep_type, handler):
    dossier = _closed(keep_type, handler, year=2012)
    answer = _client(handler).post(
        f"/archief/dossiers/{dossier.reference}/blokkering/", {"reason": "Ik wil dat"}, follow=True
    )
    assert "Alleen een archivaris" in answer.content.decode()
    dossier.refresh_from_db()
    assert dossier.legal_hold_reason == ""


def test_an_unknown_dossier_is_404(archivist):
    assert (
        _client(archivist)
        .post("/archief/dossiers/2099-000001/blokkering/", {"reason": "x"})
        .status_code
        == 404
    )
    other = UserFactory(role="archivist")
    assert _client(other).get("/archief/?na=rommel&type=abc&actie=iets").status_code == 200
