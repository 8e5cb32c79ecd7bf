"""The mails of a dossier on its page: text or sanitised HTML, attachments downloadable
only through the dossier; and linking the dossier to another contact."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from midoffice.intake import services as intake
from midoffice.parties.services import party_create
from tests.factories import TeamFactory, UserFactory, triage_type


def _mail() -> bytes:
    msg = EmailMessage()
    msg["Subject"], msg["From"], msg["To"] = (
        "Renovatie",
        "Emma <emma@voorbeeld.example>",
        "onthaal@leemdonk.example",
    )
    msg["Message-ID"] = "<renovatie-1@voorbeeld.example>"
    msg.set_content("Mogen we verbouwen?")
    msg.add_alternative(
        '<p onclick="steal()">Mogen we <b>verbouwen</b>?<script>alert(1)</script>'
        '<img src="https://tracker.example/pixel.gif"></p>',
        subtype="html",
    )
    msg.add_attachment(
        b"%PDF-1.4 plan", maintype="application", subtype="pdf", filename="oud plan.pdf"
    )
    return msg.as_bytes()


@pytest.fixture
def mailed(db, tmp_path, settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    team = TeamFactory(code="onthaal")
    triage_type(team=team)
    message = intake.inbound_store(
        _mail(), source=intake.mail_source_for(kind="import"), enqueue=False
    )
    message = intake.inbound_process(inbound_id=message.pk)
    return message.dossier, UserFactory(teams=[team])


def test_the_mail_shows_sanitised_and_its_attachment_downloads(client, mailed):
    dossier, staff = mailed
    client.force_login(staff)
    page = client.get(f"/dossiers/{dossier.reference}/").content.decode()
    assert "<b>verbouwen</b>" in page
    assert "onclick" not in page
    assert "alert(1)" not in page
    assert "tracker.example" not in page
    attachment = dossier.inbound_messages.get().attachments.get()
    response = client.get(f"/dossiers/{dossier.reference}/bijlagen/{attachment.pk}/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert "attachment" in response["Content-Disposition"]
    assert b"".join(response) == b"%PDF-1.4 plan"


def test_an_attachment_is_not_found_through_another_dossier_or_for_outsiders(client, mailed):
    dossier, staff = mailed
    attachment = dossier.inbound_messages.get().attachments.get()
    client.force_login(UserFactory())  # not in the team
    assert client.get(f"/dossiers/{dossier.reference}/bijlagen/{attachment.pk}/").status_code == 404
    client.force_login(staff)
    assert (
        client.get(f"/dossiers/{dossier.reference}/bijlagen/{attachment.pk + 999}/").status_code
        == 404
    )


def test_link_the_dossier_to_another_contact_in_one_action(client, mailed):
    dossier, staff = mailed
    right = party_create(
        given_name="Emma", family_name="Peeters", email="emma.peeters@voorbeeld.example"
    )
    client.force_login(staff)
    url = f"/dossiers/{dossier.reference}/aanvrager/"
    response = client.post(url, {"contact": "Emma.Peeters@voorbeeld.example"})
    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.requester == right
    assert dossier.parties.filter(role="other").count() == 1
    response = client.post(url, {"contact": "niemand@nergens.example"})
    assert response.status_code == 400
    assert "Geen contact gevonden" in response.content.decode()
