"""The front desk's registration form picks the address from the Adressenregister too."""

from __future__ import annotations

import pytest

from midoffice.dossiers.models import AddressVerification, Dossier
from tests.factories import DossierTypeFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(client):
    client.force_login(UserFactory(front_desk=True))
    return client


@pytest.fixture
def other_team_type():
    # The front desk registers for any team, also one it is not in.
    return DossierTypeFactory(team=TeamFactory(code="omgeving"), code="verbouwen")


def register_call(client, dossier_type, **extra):
    return client.post(
        "/onthaal/registreren/",
        {
            "channel": "counter",
            "dossier_type": str(dossier_type.pk),
            "subject": "Vraag over een carport",
            "summary": "Wil weten of een carport vergunningsplichtig is.",
            "given_name": "Mira",
            "family_name": "Peeters",
            **extra,
        },
    )


def test_form_has_the_combobox(register, desk):
    html = desk.get("/onthaal/registreren/").content.decode()
    assert 'role="combobox"' in html
    assert 'aria-controls="address-options"' in html
    assert 'hx-get="/onthaal/adres/suggesties/"' in html
    assert "web/combobox.js" in html
    assert "data-combobox" in html


def test_suggestions_for_the_front_desk(register, desk):
    answer = desk.get(
        "/onthaal/adres/suggesties/", {"address": "Kastanje"}, headers={"HX-Request": "true"}
    )
    assert answer.status_code == 200
    assert 'data-id="3000201"' in answer.content.decode()


def test_suggestions_need_the_right_to_register(register, client):
    client.force_login(UserFactory(admin=True))
    answer = client.get("/onthaal/adres/suggesties/", {"address": "Kastanje"})
    assert answer.status_code == 403
    assert register.state.requests == []


def test_picked_address_is_stored_verified(register, desk, other_team_type):
    answer = register_call(
        desk,
        other_team_type,
        address="Kastanjedreef 12, 2640 Leemdonk",
        address_id="3000201",
    )
    assert answer.status_code == 302
    dossier = Dossier.objects.get(subject="Vraag over een carport")
    assert dossier.address_verification == AddressVerification.VERIFIED
    assert dossier.address_uri == "https://data.vlaanderen.be/id/adres/3000201"
    assert (dossier.location_street, dossier.location_number) == ("Kastanjedreef", "12")
    assert dossier.location_postcode == "2640"


def test_typed_address_is_matched_on_submit(register, desk, other_team_type):
    answer = register_call(desk, other_team_type, address="kastanjedreef 12")
    assert answer.status_code == 302
    dossier = Dossier.objects.get(subject="Vraag over een carport")
    assert dossier.address_verification == AddressVerification.VERIFIED
    assert dossier.location_street == "Kastanjedreef"


def test_register_down_saves_as_typed_unverified(register, desk, other_team_type):
    register.state.down = True
    answer = register_call(desk, other_team_type, address="Kastanjedreef 12")
    assert answer.status_code == 302
    dossier = Dossier.objects.get(subject="Vraag over een carport")
    assert dossier.address_verification == AddressVerification.UNVERIFIED
    assert dossier.address_uri == ""
    assert (dossier.location_street, dossier.location_number) == ("Kastanjedreef", "12")


def test_no_address_leaves_the_dossier_without(register, desk, other_team_type):
    assert register_call(desk, other_team_type).status_code == 302
    dossier = Dossier.objects.get(subject="Vraag over een carport")
    assert dossier.address_verification == AddressVerification.NONE
    assert register.state.requests == []


def test_refused_form_writes_nothing_and_keeps_the_address(register, desk, other_team_type):
    answer = register_call(desk, other_team_type, address="Kastanjedreef 12", summary="")
    assert answer.status_code == 400
    assert not Dossier.objects.filter(subject="Vraag over een carport").exists()
    assert 'value="Kastanjedreef 12"' in answer.content.decode()


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("Kastanjedreef", "Geef minstens de straat en het huisnummer op."),
        ("Kastanjedreef 123456789012345678901", "Dit adres is te lang."),
    ],
)
def test_an_incomplete_address_is_refused_in_dutch(register, desk, other_team_type, typed, message):
    answer = register_call(desk, other_team_type, address=typed)
    assert answer.status_code == 400
    assert message in answer.content.decode()
    assert not Dossier.objects.filter(subject="Vraag over een carport").exists()
    assert register.state.requests == []  # refused before the register is asked
