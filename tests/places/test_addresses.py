"""A dossier's address against the (fake) Adressenregister: verified, not found, saved
unverified while the register is down and verified later; same-property dossiers."""

from __future__ import annotations

import pytest
from django_tasks_db.models import DBTaskResult

from midoffice.accounts.permissions import user_team_ids
from midoffice.core.errors import Forbidden, UserError
from midoffice.dossiers.models import AddressVerification, Dossier, Event
from midoffice.places.selectors import address_suggestions, dossiers_same_property
from midoffice.places.services import address_verify_pending, dossier_set_address
from tests.factories import DossierTypeFactory, TeamFactory, UserFactory, open_dossier

pytestmark = pytest.mark.django_db

KERKSTRAAT_12 = "https://data.vlaanderen.be/id/adres/3000112"


@pytest.fixture
def dossier(dossier_type):
    return open_dossier(dossier_type=dossier_type, subject="Renovatie woning")


def verify_tasks() -> int:
    return DBTaskResult.objects.filter(task_path__endswith="address_verify_task").count()


def test_typed_address_is_verified_with_uri_and_its_one_parcel(register, handler, dossier):
    dossier_set_address(actor=handler, dossier=dossier, text="kerkstraat 12")
    dossier.refresh_from_db()
    assert (dossier.location_street, dossier.location_number) == ("Kerkstraat", "12")
    assert (dossier.location_postcode, dossier.location_municipality) == ("2640", "Leemdonk")
    assert dossier.address_verification == AddressVerification.VERIFIED
    assert dossier.address_uri == KERKSTRAAT_12
    assert dossier.capakey == "11099A0123/00B000"
    assert dossier.capakey_verified


def test_picked_address_by_id_keeps_box_and_leaves_two_parcels_open(register, handler, dossier):
    dossier_set_address(actor=handler, dossier=dossier, text="Molenveld 3", address_id="3000302")
    dossier.refresh_from_db()
    assert (dossier.location_street, dossier.location_number) == ("Molenveldstraat", "3 bus 2")
    assert dossier.address_uri.endswith("/3000302")
    # The building's parcel is shared by two addresses: still exactly one parcel.
    assert dossier.capakey == "11099B0456/00A002"


def test_unknown_and_historic_addresses_are_saved_as_typed_not_found(register, handler, dossier):
    dossier_set_address(actor=handler, dossier=dossier, text="Kerkstraat 99")
    dossier.refresh_from_db()
    assert dossier.location_street == "Kerkstraat"
    assert dossier.address_verification == AddressVerification.NOT_FOUND
    assert dossier.address_uri == ""
    dossier_set_address(actor=handler, dossier=dossier, text="Heibloemdreef 90")
    dossier.refresh_from_db()
    assert dossier.address_verification == AddressVerification.NOT_FOUND  # gehistoreerd


def test_register_down_saves_unverified_and_a_task_verifies_later(
    register, handler, dossier, django_capture_on_commit_callbacks
):
    register.state.down = True
    with django_capture_on_commit_callbacks(execute=True):
        dossier_set_address(actor=handler, dossier=dossier, text="Kastanjedreef 14")
    dossier.refresh_from_db()
    assert (dossier.location_street, dossier.location_number) == ("Kastanjedreef", "14")
    assert dossier.address_verification == AddressVerification.UNVERIFIED
    assert dossier.address_uri == ""
    assert verify_tasks() == 1

    # Still down: the sweep leaves it waiting and stops asking.
    assert address_verify_pending() == 0
    dossier.refresh_from_db()
    assert dossier.address_verification == AddressVerification.UNVERIFIED

    register.state.down = False
    assert address_verify_pending() == 1
    dossier.refresh_from_db()
    assert dossier.address_verification == AddressVerification.VERIFIED
    assert dossier.address_uri.endswith("/3000202")
    assert Event.objects.filter(
        dossier=dossier, summary__startswith="Adres geverifieerd in het adressenregister"
    ).exists()
    assert address_verify_pending() == 0  # idempotent: nothing waits any more


def test_register_too_slow_or_refusing_saves_unverified(register, handler, dossier, settings):
    register.state.delay = 1.5  # the timeout is 1 second
    dossier_set_address(actor=handler, dossier=dossier, text="Dorpsstraat 7")
    dossier.refresh_from_db()
    assert dossier.address_verification == AddressVerification.UNVERIFIED
    register.state.delay = 0
    settings.ADDRESS_REGISTER_API_KEY = "verkeerd"
    dossier_set_address(actor=handler, dossier=dossier, text="Stationsstraat 21")
    dossier.refresh_from_db()
    assert dossier.address_verification == AddressVerification.UNVERIFIED
    assert dossier.location_street == "Stationsstraat"


def test_bad_input_and_no_right_are_refused_before_the_register_is_asked(
    register, handler, dossier
):
    with pytest.raises(UserError, match="straat en het huisnummer"):
        dossier_set_address(actor=handler, dossier=dossier, text="Kerkstraat")
    outsider = UserFactory(teams=[TeamFactory(code="burgerzaken")])
    with pytest.raises(Forbidden):
        dossier_set_address(actor=outsider, dossier=dossier, text="Kerkstraat 12")
    assert register.state.requests == []


def test_suggestions_match_prefix_and_are_cached(register):
    found = address_suggestions(text="kerkstr 1")
    assert [a.full for a in found] == [
        "Kerkstraat 1, 2640 Leemdonk",
        "Kerkstraat 10, 2640 Leemdonk",
        "Kerkstraat 12, 2640 Leemdonk",
        "Kerkstraat 14, 2640 Leemdonk",
    ]
    assert "/v2/adressen/zoeken?" in register.state.requests[-1]  # the register's search
    asked = len(register.state.requests)
    address_suggestions(text="Kerkstr  1")
    assert len(register.state.requests) == asked  # the same text: from the cache
    assert address_suggestions(text="ke") == []


def test_suggestions_without_the_registers_search_need_the_whole_street(register):
    # adressen/zoeken is a public beta: a register without it answers 404, and the list
    # filter matches whole street names only (as the real one does).
    register.state.search_enabled = False
    assert address_suggestions(text="kerkstr 1") == []
    found = address_suggestions(text="Kerkstraat 1")
    assert [a.full for a in found][:2] == [
        "Kerkstraat 1, 2640 Leemdonk",
        "Kerkstraat 10, 2640 Leemdonk",
    ]
    zoeken = [r for r in register.state.requests if "/zoeken?" in r]
    assert len(zoeken) == 1  # a register without the search is not asked again


def test_same_property_lists_only_visible_dossiers_in_one_query(
    handler, dossier, dossier_type, django_assert_num_queries
):
    same_address = open_dossier(dossier_type=dossier_type, subject="Dakwerken")
    same_parcel = open_dossier(dossier_type=dossier_type, subject="Kapvergunning boom")
    other_team_type = DossierTypeFactory(team=TeamFactory(code="wonen"), code="wonen-premie")
    hidden = open_dossier(dossier_type=other_team_type, subject="Renovatiepremie")
    elsewhere = open_dossier(dossier_type=dossier_type, subject="Ander huis")
    Dossier.objects.filter(pk__in=[dossier.pk, same_address.pk, hidden.pk]).update(
        address_uri=KERKSTRAAT_12
    )
    Dossier.objects.filter(pk__in=[dossier.pk, same_parcel.pk]).update(capakey="11099A0123/00B000")
    Dossier.objects.filter(pk=elsewhere.pk).update(
        address_uri="https://data.vlaanderen.be/id/adres/3000201"
    )
    dossier.refresh_from_db()
    user_team_ids(handler)  # the viewer's teams are read once per request, not per list
    with django_assert_num_queries(1):
        same = dossiers_same_property(user=handler, dossier=dossier)
    assert {(s.reference, s.by) for s in same} == {
        (same_address.reference, "adres"),
        (same_parcel.reference, "perceel"),
    }
    assert same[0].status  # the status name rides along


def test_no_identifiers_no_query(handler, dossier, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert dossiers_same_property(user=handler, dossier=dossier) == []
