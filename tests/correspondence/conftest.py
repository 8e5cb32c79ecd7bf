from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from midoffice.accounts.models import Role
from midoffice.correspondence.models import LetterTemplate, TemplateKind
from midoffice.integrations.magda.fake import FakeDocumentService
from midoffice.integrations.signing.demo_pki import DemoPkiServer
from midoffice.integrations.signing.democert import generate_demo_p12, pki_files_for
from midoffice.parties.services import PostalAddress, party_create
from tests.factories import UserFactory, open_dossier

LETTER_BODY = """Beste {{ requester.name }},

Uw vraag "{{ dossier.subject }}" is behandeld. Voor een carport van minder dan 40 m² is geen vergunning nodig; één café, een façade en een coëfficiënt blijven leesbaar."""


@pytest.fixture(scope="session")
def demo_pki(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoPkiServer]:
    """The demo PKI (TSA, OCSP, CRL) on a free loopback port, for the session's certificate."""
    p12 = tmp_path_factory.mktemp("cert") / "town-signing.p12"
    server = DemoPkiServer(pki_files_for(p12))
    server.start_in_thread()
    generate_demo_p12(path=p12, pki_url=server.url)
    server.p12 = p12  # type: ignore[attr-defined]  # for the fixture below
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def demo_p12(demo_pki: DemoPkiServer) -> Path:
    return demo_pki.p12  # type: ignore[attr-defined, no-any-return]  # set above


@pytest.fixture(autouse=True)
def correspondence_settings(settings, demo_p12: Path, demo_pki: DemoPkiServer, tmp_path: Path):
    settings.SIGNING_P12 = str(demo_p12)
    settings.SIGNING_P12_PASSWORD = ""
    settings.SIGNING_TRUST_ROOT = ""
    settings.SIGNING_PLUGIN = "pades"
    # Letters are signed as in production: PAdES B-LT, from the demo PKI on loopback.
    settings.SIGNING_LEVEL = "B-LT"
    settings.SIGNING_TSA_URL = f"{demo_pki.url}/tsa"
    settings.CHANNEL_FALLBACK = ["ebox", "email", "paper"]
    settings.MAGDA_EMAIL = False
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    return settings


@pytest.fixture
def fake_magda(settings) -> Iterator[FakeDocumentService]:
    server = FakeDocumentService()
    server.start_in_thread()
    settings.MAGDA_URL = server.url
    settings.MAGDA_TIMEOUT = 5
    yield server
    server.stop()


@pytest.fixture
def signer(team):
    return UserFactory(username="lotte", first_name="Lotte", role=Role.TEAM_LEAD, teams=[team])


@pytest.fixture
def citizen(db):
    return party_create(
        given_name="Emma",
        family_name="De Smet",
        insz="85073003328",
        email="emma.desmet@voorbeeld.example",
        address=PostalAddress("Kastanjedreef", "14", "2640", "Leemdonk"),
        preferred_channel="email",
    )


@pytest.fixture
def letter_template(dossier_type):
    template = LetterTemplate(
        name="Antwoord verbouwen",
        dossier_type=dossier_type,
        kind=TemplateKind.LETTER,
        subject="Uw vraag – dossier {{ dossier.reference }}",
        body=LETTER_BODY,
    )
    template.full_clean()
    template.save()
    return template


@pytest.fixture
def dossier(dossier_type, citizen, handler):
    return open_dossier(
        dossier_type=dossier_type, requester=citizen, subject="Mag ik een carport plaatsen?"
    )
