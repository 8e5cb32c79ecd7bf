"""Recognition inside intake: routed when sure, triage with suggestions when not, and
the triage decision teaches the model."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import pytest
from django.http import HttpRequest
from django.test import Client

from midoffice.accounts.models import User
from midoffice.dossiers.models import Dossier
from midoffice.intake import services as intake
from midoffice.routing import services
from midoffice.routing.models import TrainingExample
from midoffice.web.demo import DEMO_PASSWORD, load_demo_data

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "classification"


def _mail(
    subject: str, body: str, sender: str = "Koppel Janssens <koppel@voorbeeld.example>"
) -> bytes:
    msg = EmailMessage()
    msg["Subject"], msg["From"], msg["To"] = subject, sender, "onthaal@leemdonk.example"
    msg["Message-ID"] = make_msgid(domain="voorbeeld.example")
    msg.set_content(body)
    return msg.as_bytes()


@pytest.fixture
def town(db, tmp_path, settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    load_demo_data()
    services.training_examples_import(path=SHARED / "train.jsonl")
    services.classifier_train(note="test")


def _receive(raw: bytes) -> Dossier:
    source = intake.mail_source_for(kind="import")
    message = intake.inbound_store(raw, source=source, enqueue=False)
    message = intake.inbound_process(inbound_id=message.pk)
    assert message.dossier is not None
    return message.dossier


def test_the_renovation_mail_of_the_journey_is_routed_to_omgeving(town):
    dossier = _receive(
        _mail(
            "Verbouwing van ons huis",
            "Goeiedag, wij hebben een huis gekocht in de Kastanjedreef 14 en willen het renoveren. "
            "Wat mogen we doen zonder omgevingsvergunning? In bijlage een foto en een oud plan.",
        )
    )
    assert dossier.dossier_type.code == "info-verbouwen"
    assert dossier.team.code == "omgeving"
    recognition = dossier.inbound_messages.get().recognition
    assert recognition["confidence"] >= recognition["threshold"]
    assert recognition["entities"]["addresses"][0]["street"] == "Kastanjedreef"


def test_an_unclear_mail_waits_in_triage_and_the_decision_becomes_a_label(town):
    dossier = _receive(_mail("?", "Goeiedag, zie bijlage. Groetjes"))
    assert dossier.dossier_type.code == "triage"
    staff = User.objects.get(username="onthaal")
    client = Client()
    # A sign-in through authenticate() needs a request: the lockout (django-axes) counts
    # failures per user name and address.
    assert client.login(request=HttpRequest(), username=staff.username, password=DEMO_PASSWORD)
    page = client.get("/triage/").content.decode()
    assert dossier.reference in page
    assert "Voorstel van de herkenning" in page
    from midoffice.catalog.models import DossierType

    target = DossierType.objects.get(code="vraag-burgerzaken")
    before = TrainingExample.objects.filter(source=TrainingExample.Source.CORRECTION).count()
    response = client.post(f"/triage/{dossier.reference}/doorsturen/", {"dossier_type": target.pk})
    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.dossier_type == target
    assert (
        TrainingExample.objects.filter(source=TrainingExample.Source.CORRECTION).count()
        == before + 1
    )
