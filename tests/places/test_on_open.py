"""A dossier that arrives with an address or a CaPaKey (mail, API, portal) is matched
against the registers by a task after commit."""

from __future__ import annotations

import pytest
from django_tasks_db.models import DBTaskResult

from midoffice.dossiers.models import AddressVerification
from midoffice.dossiers.services import Location
from midoffice.places.services import address_verify_pending, dossier_address_verify
from tests.factories import open_dossier

pytestmark = pytest.mark.django_db


def opened_checks() -> int:
    return DBTaskResult.objects.filter(task_path__endswith="address_opened_check_task").count()


def test_address_of_a_new_dossier_is_checked_after_commit(
    register, dossier_type, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        dossier = open_dossier(
            dossier_type=dossier_type,
            location=Location(street="kerkstraat", number="14", postcode="2640"),
        )
    assert opened_checks() == 1
    assert register.state.requests == []  # nothing asked while opening
    assert dossier_address_verify(dossier_id=dossier.pk, opened=True) == "verified"
    dossier.refresh_from_db()
    assert dossier.location_street == "Kerkstraat"
    assert dossier.address_uri.endswith("/3000114")
    assert dossier.capakey == "11099A0124/00C000"
    assert dossier.capakey_verified


def test_register_down_at_open_leaves_it_for_the_sweep(register, dossier_type):
    dossier = open_dossier(
        dossier_type=dossier_type, location=Location(street="Dorpsstraat", number="7")
    )
    register.state.down = True
    assert dossier_address_verify(dossier_id=dossier.pk, opened=True) == "unverified"
    dossier.refresh_from_db()
    assert dossier.address_verification == AddressVerification.UNVERIFIED
    register.state.down = False
    assert address_verify_pending() == 1
    dossier.refresh_from_db()
    assert dossier.address_verification == AddressVerification.VERIFIED


def test_parcel_only_dossier_gets_its_capakey_checked(register, dossier_type):
    known = open_dossier(dossier_type=dossier_type, location=Location(capakey="11099C0077/00D000"))
    unknown = open_dossier(
        dossier_type=dossier_type, location=Location(capakey="11099Z0001/00A000")
    )
    dossier_address_verify(dossier_id=known.pk, opened=True)
    dossier_address_verify(dossier_id=unknown.pk, opened=True)
    known.refresh_from_db()
    unknown.refresh_from_db()
    assert known.capakey_verified
    assert not unknown.capakey_verified
    assert known.address_verification == AddressVerification.NONE  # no address to verify


def test_no_register_configured_no_task(settings, dossier_type, django_capture_on_commit_callbacks):
    settings.ADDRESS_REGISTER_URL = ""
    with django_capture_on_commit_callbacks(execute=True):
        open_dossier(dossier_type=dossier_type, location=Location(street="Kerkstraat", number="1"))
    assert opened_checks() == 0
