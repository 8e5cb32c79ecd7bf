"""The demo town's register addresses (issue 15): after ``demo_data`` two demo dossiers
share a verified address and parcel, so the dossier page shows the property information
and the "same property" links in ``make run`` without typing; loading twice changes
nothing."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.urls import reverse

from midoffice.accounts.models import User
from midoffice.dossiers.models import AddressVerification, Dossier
from midoffice.places.demo import load_demo_addresses
from midoffice.places.selectors import dossiers_same_property

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def test_demo_dossiers_share_a_verified_register_address_and_parcel(client, settings):
    settings.PROPERTY_PLUGIN = "fake"  # as ``make run`` (DEBUG without a platform)
    call_command("demo_data")
    verified = list(
        Dossier.objects.filter(address_verification=AddressVerification.VERIFIED).order_by("id")
    )
    assert len(verified) >= 3
    house = [d for d in verified if d.address_uri.endswith("/3000112")]
    assert len(house) == 2
    for dossier in house:
        assert (dossier.location_street, dossier.location_number) == ("Kerkstraat", "12")
        assert dossier.capakey == "11099A0123/00B000"
        assert dossier.capakey_verified
    sofie = User.objects.get(username="sofie")
    same = dossiers_same_property(user=sofie, dossier=house[0])
    assert [s.reference for s in same] == [house[1].reference]
    # The dossier page shows the link and the parcel's property information.
    client.force_login(sofie)
    page = client.get(f"/dossiers/{house[0].reference}/").content.decode()
    assert house[1].reference in page
    assert "11099A0123/00B000" in page
    assert "Vastgoedinformatie" in page
    documents = client.get(reverse("web:dossier_property", args=[house[0].reference]))
    assert documents.status_code == 200
    assert "11099A0123/00B000" in documents.content.decode()
    assert load_demo_addresses() == {"addresses": 0}  # idempotent
