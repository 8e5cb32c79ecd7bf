"""Specialist systems (maatsystemen) on the dossier through the API (issue 15, ADR 28).

Given a system with a token of its own and a scope; when it links, posts a status or a
document, or subscribes to webhooks; then the dossier shows it, the timeline says it, and
what lies outside its scope or its rights stays closed.
"""

from __future__ import annotations

import hashlib
import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from midoffice.dossiers.models import Event
from midoffice.publication.services import webhooks_emit
from midoffice.systems import services
from midoffice.systems.models import (
    ExternalRecord,
    SpecialistSystem,
    SystemCall,
    SystemDocument,
    SystemToken,
)
from tests.factories import DossierTypeFactory, TeamFactory, UserFactory, open_dossier

ALL_SCOPES = ["link", "status", "documents", "webhooks"]


def make_system(*, teams=(), dossier_types=(), scopes=ALL_SCOPES, code="omgevingsloket"):
    system = SpecialistSystem.objects.create(name="Omgevingsloket", code=code, scopes=scopes)
    system.teams.set(teams)
    system.dossier_types.set(dossier_types)
    return system


def client_for(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@pytest.fixture
def system(team):
    return make_system(teams=[team])


@pytest.fixture
def key(system):
    _, key = services.system_token_create(system=system, actor=None)
    return key


@pytest.fixture
def caller(key):
    return client_for(key)


@pytest.fixture
def dossier(dossier_type):
    return open_dossier(dossier_type=dossier_type, subject="Verbouwing Kerkstraat 1")


def link(caller, dossier, external_id="OMV_2026_001", **extra):
    return caller.post(
        f"/api/v1/dossiers/{dossier.reference}/links/",
        {"external_id": external_id, "url": "https://omv.example/OMV_2026_001", **extra},
        format="json",
    )


# --- tokens --------------------------------------------------------------------------------


def test_the_token_is_kept_only_as_its_hash(system, key):
    token = SystemToken.objects.get(system=system)
    assert key.startswith("mds_")
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key not in {token.key_hash, token.key_hint}
    assert len(token.key_hint) < len(key)


def test_a_revoked_token_gets_401_and_use_is_recorded(system, key, caller, dossier):
    assert link(caller, dossier).status_code == 201
    token = SystemToken.objects.get(system=system)
    assert token.last_used_at is not None

    services.system_token_revoke(token=token, actor=None)

    assert link(caller, dossier, "OMV_2").status_code == 401


def test_an_inactive_system_or_an_unknown_key_gets_401(system, caller, dossier):
    assert client_for("mds_nietbestaand").get("/api/v1/systems/webhooks/").status_code == 401
    system.active = False
    system.save()
    assert caller.get("/api/v1/systems/webhooks/").status_code == 401


def test_a_staff_token_does_not_open_the_system_api_nor_a_system_token_the_rest(
    key, handler, dossier
):
    from rest_framework.authtoken.models import Token

    staff = client_for(Token.objects.create(user=handler).key)
    assert link(staff, dossier).status_code == 401
    assert client_for(key).get(f"/api/v1/dossiers/{dossier.reference}/").status_code == 401


def test_a_missing_scope_is_403(team, dossier):
    system = make_system(teams=[team], scopes=["link"])
    _, key = services.system_token_create(system=system, actor=None)
    caller = client_for(key)
    record = ExternalRecord.objects.get(pk=link(caller, dossier).json()["id"])

    status = caller.post(
        f"/api/v1/dossiers/{dossier.reference}/links/{record.pk}/status/",
        {"code": "verleend", "text": "vergunning verleend"},
        format="json",
    )
    webhooks = caller.get("/api/v1/systems/webhooks/")

    assert status.status_code == 403
    assert "recht" in status.json()["detail"]
    assert webhooks.status_code == 403


def test_a_dossier_outside_the_scope_is_404_like_a_missing_one(caller, dossier):
    other_team = TeamFactory(code="burgerzaken", name="Burgerzaken")
    elsewhere = open_dossier(dossier_type=DossierTypeFactory(team=other_team))

    outside = link(caller, elsewhere)
    missing = caller.post(
        "/api/v1/dossiers/2099-999999/links/", {"external_id": "X"}, format="json"
    )

    assert outside.status_code == missing.status_code == 404
    assert outside.json() == missing.json()
    assert not ExternalRecord.objects.exists()


def test_a_dossier_type_scope_reaches_only_dossiers_that_are_not_confidential(dossier_type):
    system = make_system(dossier_types=[dossier_type])
    _, key = services.system_token_create(system=system, actor=None)
    caller = client_for(key)
    open_one = open_dossier(dossier_type=dossier_type)
    secret = open_dossier(dossier_type=dossier_type)
    secret.confidential = True
    secret.save(update_fields=["confidential"])

    assert link(caller, open_one).status_code == 201
    assert link(caller, secret).status_code == 404


# --- linking and statuses ------------------------------------------------------------------


def test_linking_is_idempotent_on_the_external_id(caller, dossier):
    first = link(caller, dossier, title="Omgevingsvergunning")
    again = link(caller, dossier, title="Omgevingsvergunning verbouwing")

    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["title"] == "Omgevingsvergunning verbouwing"
    assert ExternalRecord.objects.count() == 1
    assert Event.objects.filter(dossier=dossier, kind="system.record_linked").count() == 1


def test_bad_link_input_gets_dutch_errors_per_field(caller, dossier):
    answer = caller.post(
        f"/api/v1/dossiers/{dossier.reference}/links/",
        {"external_id": "", "url": "ftp://x"},
        format="json",
    )
    bad_url = link(caller, dossier, url="javascript:alert(1)")

    assert answer.status_code == 400
    assert "external_id" in answer.json()
    assert bad_url.status_code == 400
    assert bad_url.json()["url"] == ["Dit is geen geldig webadres (http of https)."]


def test_unlinking_removes_the_record_and_says_so_on_the_timeline(caller, dossier):
    record_id = link(caller, dossier).json()["id"]

    answer = caller.delete(f"/api/v1/dossiers/{dossier.reference}/links/{record_id}/")

    assert answer.status_code == 204
    assert not ExternalRecord.objects.exists()
    assert Event.objects.filter(dossier=dossier, kind="system.record_unlinked").exists()
    again = caller.delete(f"/api/v1/dossiers/{dossier.reference}/links/{record_id}/")
    assert again.status_code == 404


def test_a_status_update_is_kept_put_on_the_timeline_and_shown_on_the_dossier_page(
    caller, dossier, handler, client
):
    record_id = link(caller, dossier, title="Omgevingsvergunning").json()["id"]

    answer = caller.post(
        f"/api/v1/dossiers/{dossier.reference}/links/{record_id}/status/",
        {"code": "verleend", "text": "vergunning verleend"},
        format="json",
    )

    assert answer.status_code == 200
    record = ExternalRecord.objects.get(pk=record_id)
    assert (record.status_code, record.status_text) == ("verleend", "vergunning verleend")
    assert record.status_at is not None
    event = Event.objects.get(dossier=dossier, kind="system.status_received")
    assert event.summary == "Omgevingsloket: vergunning verleend"
    assert event.actor is None
    assert event.actor_label == "Omgevingsloket"
    assert event.public is False

    client.force_login(handler)
    page = client.get(f"/dossiers/{dossier.reference}/").content.decode()
    assert "Gekoppelde systemen" in page
    assert 'href="https://omv.example/OMV_2026_001"' in page
    assert "Omgevingsvergunning" in page
    assert "vergunning verleend" in page
    assert event.get_kind_display() == "Status uit een maatsysteem"  # the timeline's label


def test_a_status_on_another_systems_record_is_404(team, caller, dossier):
    other = make_system(teams=[team], code="financien")
    other_record, _ = services.record_link(system=other, dossier=dossier, external_id="F-1")

    answer = caller.post(
        f"/api/v1/dossiers/{dossier.reference}/links/{other_record.pk}/status/",
        {"code": "betaald", "text": "betaald"},
        format="json",
    )

    assert answer.status_code == 404


# --- documents -----------------------------------------------------------------------------


def upload(caller, dossier, name, data, content_type="application/octet-stream", **extra):
    return caller.post(
        f"/api/v1/dossiers/{dossier.reference}/documents/",
        {"file": SimpleUploadedFile(name, data, content_type=content_type), **extra},
        format="multipart",
    )


def test_a_document_is_stored_registered_and_on_the_timeline(caller, dossier):
    from midoffice.dossiers.documents import dossier_documents

    data = b"%PDF-1.7\n%test\n"
    answer = upload(caller, dossier, "vergunning.pdf", data, "application/pdf", title="Besluit")

    assert answer.status_code == 201, answer.json()
    document = SystemDocument.objects.get()
    assert document.file.read() == data
    assert document.sha256 == hashlib.sha256(data).hexdigest()
    assert Event.objects.get(dossier=dossier, kind="system.document_added").summary == (
        "Omgevingsloket: document Besluit"
    )
    assert [d.key for d in dossier_documents(dossier=dossier) if d.kind == "system"] == [
        f"system-{document.pk}"
    ]


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("factuur.pdf.exe", b"MZ\x90\x00" + b"\x00" * 100),
        ("script.js", b"alert(1)"),
        ("plan.pdf", b"MZ\x90\x00" + b"\x00" * 60 + b"PE\x00\x00"),
    ],
)
def test_a_dangerous_file_is_refused_and_nothing_is_stored(caller, dossier, name, data):
    answer = upload(caller, dossier, name, data)

    assert answer.status_code == 400
    assert answer.json()["file"][0].startswith(("Geweigerd", "Dit soort", "Het bestand"))
    assert not SystemDocument.objects.exists()
    assert not Event.objects.filter(kind="system.document_added").exists()


def test_a_docx_with_macros_is_refused_as_dangerous(caller, dossier):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/vbaProject.bin", b"\xd0\xcf\x11\xe0")
    answer = upload(caller, dossier, "brief.docx", buffer.getvalue())

    assert answer.status_code == 400
    assert answer.json()["code"] == "dangerous_file"
    assert answer.json()["file"][0].startswith("Geweigerd")


def test_a_document_over_the_size_limit_is_refused(caller, dossier, settings):
    settings.PORTAL_UPLOAD_MAX_MB = 1
    answer = upload(caller, dossier, "groot.pdf", b"%PDF-" + b"0" * (1024 * 1024))

    assert answer.status_code == 400
    assert "te groot" in answer.json()["file"][0]


# --- webhooks ------------------------------------------------------------------------------


def test_a_webhook_subscription_hears_only_of_dossiers_in_scope(
    caller, dossier, django_capture_on_commit_callbacks
):
    created = caller.post(
        "/api/v1/systems/webhooks/",
        {"url": "https://omv.example/hook", "event_types": ["dossier.status_changed"]},
        format="json",
    )
    elsewhere = open_dossier(
        dossier_type=DossierTypeFactory(team=TeamFactory(code="financien", name="Financiën"))
    )

    assert created.status_code == 201
    assert created.json()["secret"]
    listed = caller.get("/api/v1/systems/webhooks/").json()
    assert [s["id"] for s in listed] == [created.json()["id"]]
    assert "secret" not in listed[0]
    assert webhooks_emit(dossier=dossier, event_type="dossier.status_changed", data={}) == 1
    assert webhooks_emit(dossier=elsewhere, event_type="dossier.status_changed", data={}) == 0


def test_a_webhook_of_an_unknown_event_type_is_refused_and_unsubscribing_works(caller):
    bad = caller.post(
        "/api/v1/systems/webhooks/",
        {"url": "https://omv.example/hook", "event_types": ["dossier.iets"]},
        format="json",
    )
    good = caller.post("/api/v1/systems/webhooks/", {"url": "https://omv.example/h"}, format="json")

    assert bad.status_code == 400
    assert "event_types" in bad.json()
    gone = caller.delete(f"/api/v1/systems/webhooks/{good.json()['id']}/")
    assert gone.status_code == 204
    assert caller.get("/api/v1/systems/webhooks/").json() == []


def test_installation_wide_subscriptions_are_left_alone(dossier):
    from midoffice.publication.models import WebhookSubscription

    WebhookSubscription.objects.create(name="BI", url="https://bi.example/hook")

    assert webhooks_emit(dossier=dossier, event_type="dossier.opened", data={}) == 1


# --- audit ---------------------------------------------------------------------------------


def test_every_call_is_audited_with_the_system_as_who(system, caller, dossier):
    link(caller, dossier)
    caller.post("/api/v1/dossiers/2099-999999/links/", {"external_id": "X"}, format="json")

    calls = list(SystemCall.objects.order_by("id"))
    assert [(c.system_id, c.method, c.status_code) for c in calls] == [
        (system.pk, "POST", 201),
        (system.pk, "POST", 404),
    ]
    assert calls[0].dossier_reference == dossier.reference
    assert calls[0].path == f"/api/v1/dossiers/{dossier.reference}/links/"


def test_a_malformed_id_in_the_path_gets_the_api_json_404(caller, dossier):
    for url in [
        f"/api/v1/dossiers/{dossier.reference}/links/null,null/",
        f"/api/v1/dossiers/{dossier.reference}/links/٣/",
        "/api/v1/systems/webhooks/-1/",
    ]:
        answer = caller.delete(url)
        assert answer.status_code == 404, url
        assert answer["Content-Type"] == "application/json", url


def test_a_document_for_a_record_of_another_system_is_refused(team, caller, dossier):
    other = make_system(teams=[team], code="financien")
    other_record, _ = services.record_link(system=other, dossier=dossier, external_id="F-1")

    answer = upload(
        caller, dossier, "a.pdf", b"%PDF-1.7", "application/pdf", record=other_record.pk
    )

    assert answer.status_code == 400
    assert "record" in answer.json()
    assert not SystemDocument.objects.exists()


def test_staff_see_and_download_a_systems_document_only_on_a_dossier_they_see(
    caller, dossier, handler, client
):
    data = b"%PDF-1.7\n%besluit\n"
    document_id = upload(
        caller, dossier, "besluit.pdf", data, "application/pdf", title="Besluit"
    ).json()["id"]
    url = f"/maatsystemen/dossiers/{dossier.reference}/documenten/{document_id}/"

    client.force_login(handler)
    page = client.get(f"/dossiers/{dossier.reference}/").content.decode()
    download = client.get(url)

    assert f'href="{url}"' in page
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == data
    assert download["Content-Disposition"].startswith("attachment")
    assert download["Content-Type"] == "application/octet-stream"

    stranger = UserFactory(username="jan", teams=[TeamFactory(code="andere", name="Andere")])
    client.force_login(stranger)
    assert client.get(url).status_code == 404


def test_the_admin_makes_a_key_shown_once_and_revokes_it(system, admin_client, dossier):
    changelist = "/admin/systems/specialistsystem/"
    made = admin_client.post(
        changelist, {"action": "make_token", "_selected_action": [system.pk]}, follow=True
    )
    shown = [str(m) for m in made.context["messages"]]
    key = shown[0].split(": ", 1)[1].split(" ", 1)[0]

    assert key.startswith("mds_")
    assert link(client_for(key), dossier).status_code == 201
    assert key not in admin_client.get(f"{changelist}{system.pk}/change/").content.decode()

    admin_client.post(changelist, {"action": "revoke_tokens", "_selected_action": [system.pk]})

    assert link(client_for(key), dossier, "OMV_2").status_code == 401
