"""What the API refuses (issue 19, items 6 and 9): implausible dates, text longer than the
model holds, values of the wrong type, and control characters in one-line text."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from midoffice.dossiers.models import Dossier
from midoffice.parties.models import ContactPoint, Party

pytestmark = pytest.mark.django_db

DOSSIERS = "/api/v1/dossiers/"
PARTIES = "/api/v1/parties/"


def open_one(api, **fields):
    return api.post(
        DOSSIERS, {"dossier_type": "info-verbouwen", "subject": "Verbouwing", **fields}, "json"
    )


# --- received_at ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "received_at",
    [
        "0001-01-01T00:00:00Z",
        "0684-05-09T10:57:33-01:30",  # once gave 684-000001 and an offset of +00:17:30
        "1999-12-31T22:59:59Z",  # 23:59:59 in Brussels
        "2100-01-01T00:00:00Z",
    ],
)
def test_an_implausible_received_at_is_refused_in_dutch(api, dossier_type, received_at):
    response = open_one(api, received_at=received_at)

    assert response.status_code == 400, response.content
    [message] = response.json()["received_at"]
    assert "2000" in message or "toekomst" in message
    assert not Dossier.objects.exists()


def test_received_at_from_2000_up_to_a_little_clock_skew_is_taken(api, dossier_type):
    first = open_one(api, received_at="2000-01-01T00:00:00+01:00")
    skewed = open_one(api, received_at=(timezone.now() + dt.timedelta(minutes=2)).isoformat())
    ahead = open_one(api, received_at=(timezone.now() + dt.timedelta(minutes=10)).isoformat())

    assert first.status_code == 201, first.content
    assert first.json()["reference"] == "2000-000001"
    assert first.json()["received_at"] == "2000-01-01T00:00:00+01:00"
    assert api.get(f"{DOSSIERS}2000-000001/").status_code == 200
    assert skewed.status_code == 201, skewed.content
    assert ahead.status_code == 400
    assert "toekomst" in ahead.json()["received_at"][0]


# --- lengths and types ---------------------------------------------------------------------

LOCATION_FIELDS = [
    "location_street",
    "location_number",
    "location_postcode",
    "location_municipality",
    "capakey",
]


@pytest.mark.parametrize("field", [*LOCATION_FIELDS, "subject"])
def test_text_longer_than_the_model_holds_is_refused(api, dossier_type, field):
    limit = Dossier._meta.get_field(field).max_length

    too_long = open_one(api, **{field: "7" * (limit + 1)})
    just_fits = open_one(api, **{field: "7" * limit})

    assert too_long.status_code == 400
    assert str(limit) in too_long.json()[field][0]  # "… niet meer dan 20 karakters …"
    assert just_fits.status_code == 201, just_fits.content
    assert len(getattr(Dossier.objects.get(), field)) == limit


def test_five_thousand_characters_of_capakey_are_not_stored(api, dossier_type):
    response = open_one(api, capakey="1" * 5000, location_street="s" * 5000)

    assert response.status_code == 400
    assert set(response.json()) == {"capakey", "location_street"}
    assert not Dossier.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("capakey", 12345),
        ("subject", 1.5),
        ("location_street", True),
        ("requester", "1"),
        ("description", ["een", "lijst"]),
    ],
)
def test_a_value_of_the_wrong_json_type_is_refused(api, dossier_type, field, value):
    response = open_one(api, **{field: value})

    assert response.status_code == 400
    assert field in response.json()


def test_free_text_has_a_limit_too(api, dossier_type):
    response = open_one(api, description="x" * 20_001)

    assert response.status_code == 400
    assert "20000" in response.json()["description"][0]


def test_a_status_reason_keeps_its_line_breaks_but_not_other_control_characters(api, dossier_type):
    reference = open_one(api).json()["reference"]
    url = f"{DOSSIERS}{reference}/status/"

    refused = api.post(url, {"status": "in-behandeling", "reason": "ok\x1b[2J"}, "json")
    taken = api.post(url, {"status": "in-behandeling", "reason": "Eerste regel\nTweede"}, "json")

    assert refused.status_code == 400
    assert "stuurtekens" in refused.json()["reason"][0]
    assert taken.status_code == 200, taken.content


# --- control characters in one-line text (item 9) -----------------------------------------


@pytest.mark.parametrize(
    "name", ["De Smet\r\nBcc: iedereen@voorbeeld.example", "De\nSmet", "De\tSmet", "De\x00Smet"]
)
def test_a_family_name_with_a_line_break_or_control_character_is_refused(api, name):
    response = api.post(PARTIES, {"given_name": "Emma", "family_name": name}, "json")

    assert response.status_code == 400
    assert response.json()["family_name"] == [
        "Gebruik één regel tekst, zonder regeleinden, tabs of andere stuurtekens."
    ]
    assert not Party.objects.exists()


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        (PARTIES, {"given_name": "Em\rma", "family_name": "Peeters"}, "given_name"),
        (
            PARTIES,
            {"kind": "organisation", "organisation_name": "Bouw\u2028NV"},
            "organisation_name",
        ),
        (DOSSIERS, {"dossier_type": "info-verbouwen", "subject": "Dak\nlekt"}, "subject"),
        (
            DOSSIERS,
            {"dossier_type": "info-verbouwen", "subject": "Dak", "location_street": "Kerk\x85"},
            "location_street",
        ),
    ],
)
def test_every_one_line_field_refuses_control_characters(api, dossier_type, path, body, field):
    response = api.post(path, body, "json")

    assert response.status_code == 400
    assert "stuurtekens" in response.json()[field][0]


def test_an_address_line_refuses_control_characters_and_too_long_an_address(api):
    base = {"house_number": "1", "postcode": "2640", "municipality": "Leemdonk"}

    broken = api.post(
        PARTIES, {"family_name": "Peeters", "address": {**base, "street": "Kerk\nstraat"}}, "json"
    )
    longest = {
        "street": "s" * 200,
        "house_number": "1" * 20,
        "box": "b" * 20,
        "postcode": "2640",
        "municipality": "m" * 120,
    }
    too_long = api.post(PARTIES, {"family_name": "Peeters", "address": longest}, "json")

    assert broken.status_code == 400
    assert "street" in broken.json()["address"]
    # Every line fits, but the one-line form (the contact point's value) would not.
    assert too_long.status_code == 400
    assert too_long.json()["address"] == {"non_field_errors": ["Dit adres is te lang."]}
    assert not ContactPoint.objects.exists()


def test_a_contact_known_only_by_a_long_e_mail_address_gets_a_name_that_fits(api):
    email = "a" * 64 + "@" + "b" * 60 + "." + "c" * 60 + "." + "d" * 60 + ".example"
    assert len(email) > Party._meta.get_field("display_name").max_length

    response = api.post(PARTIES, {"email": email}, "json")

    assert response.status_code == 201, response.content
    assert len(response.json()["display_name"]) == Party._meta.get_field("display_name").max_length
