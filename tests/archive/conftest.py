from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from midoffice.accounts.models import Role
from midoffice.catalog.models import RetentionRule
from midoffice.integrations.edepot.fake_server import FakeEdepot
from midoffice.integrations.signing.democert import generate_demo_p12
from tests.factories import DossierTypeFactory, RetentionRuleFactory, UserFactory


@pytest.fixture(scope="session")
def demo_p12(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate_demo_p12(path=tmp_path_factory.mktemp("cert") / "town-signing.p12")


@pytest.fixture(autouse=True)
def archive_settings(settings, tmp_path: Path, demo_p12: Path):
    """Files, packages and the drop folder in a fresh folder per test; letters signed
    with the demo certificate; mail caught in memory."""
    settings.DATA_DIR = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "files")},
        },
    }
    settings.SIGNING_P12 = str(demo_p12)
    settings.SIGNING_P12_PASSWORD = ""
    settings.SIGNING_TRUST_ROOT = ""
    settings.SIGNING_PLUGIN = "pades"
    settings.CHANNEL_FALLBACK = ["ebox", "email", "paper"]
    settings.MAGDA_EMAIL = False
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.EDEPOT_PLUGIN = "folder"
    settings.EDEPOT_FOLDER = str(tmp_path / "edepot-out")
    settings.ARCHIVE_AUTO_TRANSFER = False
    return settings


@pytest.fixture
def fake_edepot(settings) -> Iterator[FakeEdepot]:
    server = FakeEdepot()
    server.start_in_thread()
    settings.EDEPOT_PLUGIN = "http"
    settings.EDEPOT_URL = server.url
    settings.EDEPOT_TIMEOUT = 10
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def archivist(db):
    return UserFactory(username="arne", first_name="Arne", role=Role.ARCHIVIST)


@pytest.fixture
def keep_rule(db):
    return RetentionRuleFactory(
        code="bewaren-10j", name="Bewaren", action=RetentionRule.Action.KEEP, period_years=10
    )


@pytest.fixture
def keep_type(team, keep_rule):
    return DossierTypeFactory(
        team=team,
        code="info-bouwen",
        name="Informatievraag bouwen",
        retention_rule=keep_rule,
        archive_series_code="LEEMDONK-OMG-001",
        archive_series_name="Informatievragen over bouwen",
    )


def utc(year: int, month: int, day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=dt.UTC)


@pytest.fixture
def signer(team):
    return UserFactory(username="lotte", first_name="Lotte", role=Role.TEAM_LEAD, teams=[team])


@pytest.fixture
def citizen(db):
    from midoffice.parties.services import PostalAddress, party_create

    return party_create(
        given_name="Emma",
        family_name="De Smet",
        email="emma.desmet@voorbeeld.example",
        address=PostalAddress("Kastanjedreef", "14", "2640", "Leemdonk"),
        preferred_channel="email",
    )


@pytest.fixture
def letter_template(db):
    from midoffice.correspondence.models import LetterTemplate, TemplateKind

    return LetterTemplate.objects.create(
        name="Antwoord",
        kind=TemplateKind.LETTER,
        subject="Je vraag – dossier {{ dossier.reference }}",
        body='Beste {{ requester.name }},\n\nJe vraag "{{ dossier.subject }}" is beantwoord.',
    )


def make_closed_dossier(
    *, dossier_type, citizen, handler, signer, letter_template, closed: dt.datetime, upload=True
):
    """A dossier as it really happens: the citizen's mail with a photo and a plan, a signed
    letter that left by e-mail, a file added in the portal, closed with a result."""
    from midoffice.core import clock
    from midoffice.dossiers.services import dossier_open
    from midoffice.web import demo_archive as demo

    received = closed - dt.timedelta(days=40)
    with clock.frozen_at(received):
        dossier = dossier_open(
            actor=None,
            dossier_type=dossier_type,
            subject="Mogen we de zolder ombouwen tot slaapkamer?",
            requester=citizen,
            received_at=received,
        )
    demo.mail_in(
        dossier,
        party=citizen,
        email="emma.desmet@voorbeeld.example",
        body="Beste,\n\nMogen we de zolder ombouwen?\n\nEmma",
        when=received + dt.timedelta(minutes=3),
        attachments=[
            ("voorgevel.jpg", "image/jpeg", demo.photo_jpeg()),
            ("plan.pdf", "application/pdf", demo.plan_pdf("Plan 1978")),
        ],
    )
    demo.letter_out(
        dossier,
        author=handler,
        signer=signer,
        template=letter_template,
        when=closed - dt.timedelta(days=2),
    )
    if upload:
        demo.upload_in(
            dossier,
            party=citizen,
            text="Nog een foto.",
            name="achterkant.jpg",
            data=demo.photo_jpeg(colour=(1, 2, 3)),
            media_type="image/jpeg",
            when=closed - dt.timedelta(days=1),
        )
    return demo.close(dossier, result="beantwoord", when=closed)


@pytest.fixture
def due_dossier(keep_type, citizen, handler, signer, letter_template):
    """Closed in 2012 with the type's "keep 10 years": due for transfer since 2022."""
    return make_closed_dossier(
        dossier_type=keep_type,
        citizen=citizen,
        handler=handler,
        signer=signer,
        letter_template=letter_template,
        closed=utc(2012, 3, 1, 15),
    )
