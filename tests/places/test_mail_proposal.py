"""An address recognised in the citizen's mail, applied as the dossier's location, is
matched against the Adressenregister (issue 15)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from midoffice.accounts.models import Role
from midoffice.dossiers.models import AddressVerification
from midoffice.intake import services as intake
from tests.factories import UserFactory
from tests.intake.conftest import make_mail, receive

pytestmark = pytest.mark.django_db

SIGNED = """Beste,

Mogen we onze garage ombouwen tot keuken?

Met vriendelijke groeten,
Emma Peeters
kerkstraat 12, 2640 Leemdonk
"""


@pytest.fixture
def mailed(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "files")},
        },
    }
    return receive(make_mail(body=SIGNED), intake.mail_source_for(kind="import")).dossier


def test_mail_address_applied_as_location_is_verified_in_the_register(register, client, mailed):
    client.force_login(UserFactory(role=Role.HANDLER, teams=[mailed.team]))
    answer = client.post(
        reverse("web:dossier_found", args=[mailed.reference]),
        {"key": "address:kerkstraat|12|2640", "target": "location"},
        follow=True,
    )
    assert "gekend in het adressenregister" in answer.content.decode()
    mailed.refresh_from_db()
    assert mailed.location_street == "Kerkstraat"  # the register's spelling
    assert mailed.address_verification == AddressVerification.VERIFIED
    assert mailed.address_uri == "https://data.vlaanderen.be/id/adres/3000112"
    assert mailed.capakey == "11099A0123/00B000"
