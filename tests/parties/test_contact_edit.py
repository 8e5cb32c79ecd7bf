"""Issue 20 #2: staff edit a contact — names, addresses, phone numbers, e-mail addresses,
the preferred channel and consents with date and source; every change audited, bad input
refused with a clear Dutch message and nothing half-written."""

from __future__ import annotations

import datetime as dt

import pytest

from midoffice.accounts.models import Role
from midoffice.core.errors import Forbidden, NotFound, UserError
from midoffice.parties.models import Consent, ContactPoint, Party, PartyChange
from midoffice.parties.selectors import consent_current
from midoffice.parties.services import (
    PostalAddress,
    party_add_address,
    party_add_email,
    party_add_phone,
    party_contact_point_make_primary,
    party_contact_point_remove,
    party_create,
    party_record_consent,
    party_set_preference,
    party_update_details,
    postal_address_clean,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def emma(db):
    return party_create(given_name="Emma", family_name="Peeters", email="emma@example.org")


@pytest.fixture
def desk(db):
    return UserFactory(username="ines", first_name="Ines", last_name="Loket", role=Role.FRONT_DESK)


# --- phone numbers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "stored"),
    [
        ("0470 12 34 56", "+32470123456"),
        ("+32 3 201 23 45", "+3232012345"),
        ("0032 470/12.34.56", "+32470123456"),
        ("+31 20 123 4567", "+31201234567"),
    ],
)
def test_a_phone_number_is_stored_in_e164(emma, desk, written, stored):
    point = party_add_phone(actor=desk, party=emma, phone=written)
    assert point.value == stored
    assert point.is_primary  # the first phone number of the contact


@pytest.mark.parametrize("written", ["12345", "0470 12 34", "bel mij", "+32 470 12 34 56 78 90"])
def test_a_bad_phone_number_is_refused_in_dutch(emma, desk, written):
    with pytest.raises(UserError, match=r"^Dit is geen geldig telefoonnummer\."):
        party_add_phone(actor=desk, party=emma, phone=written)
    assert not emma.contact_points.filter(kind=ContactPoint.Kind.PHONE).exists()
    assert not PartyChange.objects.filter(party=emma).exists()


def test_the_same_phone_number_twice_is_refused(emma, desk):
    party_add_phone(actor=desk, party=emma, phone="0470 12 34 56")
    with pytest.raises(UserError, match="staat al bij dit contact"):
        party_add_phone(actor=desk, party=emma, phone="+32470123456")


# --- addresses -------------------------------------------------------------------------------


def test_an_address_is_checked_and_trimmed(emma, desk):
    point = party_add_address(
        actor=desk,
        party=emma,
        address=PostalAddress(" Kerkstraat ", "12A", " 2640 ", "Leemdonk", box="2"),
    )
    assert (point.street, point.house_number, point.box, point.postcode) == (
        "Kerkstraat",
        "12A",
        "2",
        "2640",
    )
    assert point.value == "Kerkstraat 12A bus 2, 2640 Leemdonk"
    assert point.is_primary


@pytest.mark.parametrize(
    ("address", "message", "field"),
    [
        (PostalAddress("", "12", "2640", "Leemdonk"), "Geef de straat op.", "street"),
        (PostalAddress("Kerkstraat", "", "2640", "Leemdonk"), "Geef het huisnummer op.", None),
        (PostalAddress("Kerkstraat", "twaalf", "2640", "Leemdonk"), "geen geldig huisnummer", None),
        (PostalAddress("Kerkstraat", "12", "264", "Leemdonk"), "vier cijfers", "postcode"),
        (PostalAddress("Kerkstraat", "12", "26400", "Leemdonk"), "vier cijfers", "postcode"),
        (PostalAddress("Kerkstraat", "12", "0640", "Leemdonk"), "vier cijfers", "postcode"),
        (PostalAddress("Kerkstraat", "12", "2640", " "), "Geef de gemeente op.", "municipality"),
        (PostalAddress("K" * 201, "12", "2640", "Leemdonk"), "te lang", "street"),
    ],
)
def test_a_bad_address_is_refused_with_the_field(address, message, field):
    with pytest.raises(UserError, match=message) as refused:
        postal_address_clean(address)
    if field:
        assert refused.value.field == field


def test_a_bad_address_writes_nothing(emma, desk):
    with pytest.raises(UserError):
        party_add_address(
            actor=desk, party=emma, address=PostalAddress("Kerkstraat", "12", "12", "Leemdonk")
        )
    assert not emma.contact_points.filter(kind=ContactPoint.Kind.ADDRESS).exists()
    assert not PartyChange.objects.filter(party=emma).exists()


def test_the_same_address_twice_is_refused(emma, desk):
    party_add_address(
        actor=desk, party=emma, address=PostalAddress("Kerkstraat", "12", "2640", "Leemdonk")
    )
    with pytest.raises(UserError, match=r"^Dit adres staat al bij dit contact\."):
        party_add_address(
            actor=desk, party=emma, address=PostalAddress("kerkstraat", "12", "2640", "LEEMDONK")
        )


# --- e-mail addresses, primary, removal ------------------------------------------------------


def test_email_addresses_add_make_primary_and_remove(emma, desk):
    first = emma.contact_points.get(kind=ContactPoint.Kind.EMAIL)
    work = party_add_email(actor=desk, party=emma, email=" Emma@Werk.Example ")
    assert work.value == "emma@werk.example"
    assert not work.is_primary
    party_contact_point_make_primary(actor=desk, party=emma, point_id=work.pk)
    assert emma.primary_email == "emma@werk.example"
    assert ContactPoint.objects.filter(party=emma, is_primary=True).count() == 1
    party_contact_point_remove(actor=desk, party=emma, point_id=work.pk)
    first.refresh_from_db()
    assert first.is_primary  # the remaining address took over
    with pytest.raises(UserError, match="staat al bij dit contact"):
        party_add_email(actor=desk, party=emma, email="emma+gemeente@example.org")
    with pytest.raises(UserError, match="geen geldig e-mailadres"):
        party_add_email(actor=desk, party=emma, email="emma@")


def test_a_contact_point_of_another_contact_is_not_found(emma, desk):
    other = party_create(given_name="Jan", family_name="Peeters", email="jan@example.org")
    point = other.contact_points.get()
    with pytest.raises(NotFound):
        party_contact_point_remove(actor=desk, party=emma, point_id=point.pk)
    assert ContactPoint.objects.filter(pk=point.pk).exists()


# --- names and preferred channel -------------------------------------------------------------


def test_names_and_preferred_channel(emma, desk):
    party_update_details(
        actor=desk,
        party=emma,
        given_name=" Emma\n",
        family_name="Peeters-De Smet",
        organisation_name="",
        preferred_channel="letter",
    )
    emma.refresh_from_db()
    assert emma.display_name == "Emma Peeters-De Smet"
    assert emma.preferred_channel == "letter"
    change = PartyChange.objects.get(party=emma)
    assert change.summary == "Gegevens gewijzigd: familienaam, voorkeurskanaal"
    assert change.data["family_name"] == {"before": "Peeters", "after": "Peeters-De Smet"}
    with pytest.raises(UserError, match=r"^Geef een naam op\."):
        party_update_details(
            actor=desk,
            party=emma,
            given_name="",
            family_name=" ",
            organisation_name="",
            preferred_channel="",
        )
    with pytest.raises(UserError, match=r"^Onbekend kanaal\."):
        party_update_details(
            actor=desk,
            party=emma,
            given_name="Emma",
            family_name="Peeters",
            organisation_name="",
            preferred_channel="fax",
        )
    emma.refresh_from_db()
    assert emma.display_name == "Emma Peeters-De Smet"


# --- consents --------------------------------------------------------------------------------


def test_a_consent_with_date_and_source(emma, desk):
    consent = party_record_consent(
        actor=desk,
        party=emma,
        channel="email",
        granted=True,
        given_on=dt.date(2026, 3, 12),
        source=Consent.Source.COUNTER,
        note="Vroeg het zelf",
    )
    emma.refresh_from_db()
    assert emma.email_consent is True
    assert (consent.given_on, consent.get_source_display(), consent.recorded_by) == (
        dt.date(2026, 3, 12),
        "mondeling aan het loket",
        desk,
    )
    change = PartyChange.objects.get(party=emma)
    assert change.actor == desk
    assert change.actor_label == "Ines Loket"
    assert change.summary == ("Toestemming e-mail: akkoord (12-03-2026, mondeling aan het loket)")


def test_the_newest_statement_holds(emma, desk):
    record = {"actor": desk, "party": emma, "channel": "ebox", "source": Consent.Source.PHONE}
    party_record_consent(**record, granted=True, given_on=dt.date(2026, 3, 1))
    party_record_consent(**record, granted=False, given_on=dt.date(2026, 3, 10))
    # Entered later, said earlier: it does not undo the refusal.
    party_record_consent(**record, granted=True, given_on=dt.date(2026, 2, 1))
    emma.refresh_from_db()
    assert emma.ebox_consent is False
    assert consent_current(party=emma)["ebox"].granted is False
    assert Consent.objects.filter(party=emma).count() == 3  # the history stays


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"given_on": dt.date(2099, 1, 1)}, "De datum ligt in de toekomst."),
        ({"source": "fax"}, "Kies hoe de burger het liet weten."),
        ({"channel": "phone"}, "Kies e-mail of eBox."),
        ({"note": "x" * 301}, "te lang"),
    ],
)
def test_a_bad_consent_is_refused_and_writes_nothing(emma, desk, changes, message):
    values = {
        "actor": desk,
        "party": emma,
        "channel": "email",
        "granted": True,
        "given_on": dt.date(2026, 3, 12),
        "source": Consent.Source.COUNTER,
        **changes,
    }
    with pytest.raises(UserError, match=message):
        party_record_consent(**values)
    assert not Consent.objects.exists()
    assert not PartyChange.objects.exists()
    assert Party.objects.get(pk=emma.pk).email_consent is False


def test_the_citizens_own_choice_is_recorded_with_its_source(emma):
    party_set_preference(
        party=emma, channel="email", email_consent=True, source=Consent.Source.LINK
    )
    consent = Consent.objects.get(party=emma)
    assert (consent.channel, consent.granted, consent.source) == ("email", True, "link")
    assert consent.recorded_by is None
    labels = set(PartyChange.objects.filter(party=emma).values_list("actor_label", flat=True))
    assert labels == {"Burger (e-maillink)"}
    # An unticked box from someone who never agreed to eBox is not a refusal ...
    party_set_preference(party=emma, channel="letter", email_consent=True, ebox_consent=False)
    assert not Consent.objects.filter(party=emma, channel="ebox").exists()
    # ... unticking an agreement is.
    party_set_preference(party=emma, channel="letter", email_consent=False)
    assert consent_current(party=emma)["email"].granted is False


def test_only_roles_that_register_contacts_may_edit(emma):
    archivist = UserFactory(role=Role.ARCHIVIST)
    with pytest.raises(Forbidden, match=r"^Je mag geen contacten registreren of wijzigen\."):
        party_add_phone(actor=archivist, party=emma, phone="0470 12 34 56")
    with pytest.raises(Forbidden):
        party_record_consent(
            actor=archivist,
            party=emma,
            channel="email",
            granted=True,
            given_on=dt.date(2026, 3, 12),
            source=Consent.Source.COUNTER,
        )


def test_history_rows_are_never_changed(emma, desk):
    party_add_phone(actor=desk, party=emma, phone="0470 12 34 56")
    change = PartyChange.objects.get(party=emma)
    change.summary = "iets anders"
    with pytest.raises(RuntimeError):
        change.save()
    with pytest.raises(RuntimeError):
        change.delete()
