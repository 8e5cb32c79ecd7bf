from __future__ import annotations

from collections.abc import Iterator

import pytest

from midoffice.correspondence.models import LetterTemplate, TemplateKind
from midoffice.dossiers.models import Dossier
from midoffice.integrations.property.fake import FakePropertySource
from midoffice.parties.services import PostalAddress, party_create
from tests.factories import open_dossier

CAPAKEY = "11002A0123/00B000"


@pytest.fixture(autouse=True)
def property_settings(settings):
    settings.PROPERTY_PLUGIN = "fake"
    settings.CHANNEL_FALLBACK = ["ebox", "email", "paper"]
    settings.MAGDA_EMAIL = False
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    return settings


@pytest.fixture(autouse=True)
def platform_up() -> Iterator[None]:
    FakePropertySource.outage = False
    yield
    FakePropertySource.outage = False


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
def dossier(dossier_type, citizen, handler) -> Dossier:
    opened = open_dossier(
        dossier_type=dossier_type, requester=citizen, subject="Mag ik mijn woning verbouwen?"
    )
    Dossier.objects.filter(pk=opened.pk).update(capakey=CAPAKEY)
    opened.refresh_from_db()
    return opened


@pytest.fixture
def letter_template(dossier_type):
    template = LetterTemplate(
        name="Antwoord verbouwen",
        dossier_type=dossier_type,
        kind=TemplateKind.LETTER,
        subject="Uw vraag – dossier {{ dossier.reference }}",
        body="Beste {{ requester.name }},\n\nIn bijlage de plannen en de vergunning.",
        requires_signature=False,
    )
    template.full_clean()
    template.save()
    return template
