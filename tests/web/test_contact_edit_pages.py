"""Issue 20 #2: staff edit a contact on its page, and add what the citizen's mail names
(an address, a phone number) with one click on the dossier page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from midoffice.accounts.models import Role
from midoffice.dossiers.models import Dossier, Event
from midoffice.intake import services as intake
from midoffice.parties.models import Consent, ContactPoint, Party, PartyChange
from midoffice.parties.services import PostalAddress, party_add_address, party_create
from tests.factories import UserFactory
from tests.intake.conftest import make_mail, receive

pytestmark = pytest.mark.django_db

SIGNED = """Beste,

Mogen we onze garage ombouwen tot keuken?

Met vriendelijke groeten,
Emma Peeters
Kerkstraat 12, 2640 Leemdonk
0470 12 34 56
"""


@pytest.fixture
def emma(db):
    return party_create(given_name="Emma", family_name="Peeters", email="emma@example.org")


@pytest.fixture
def desk(client):
    user = UserFactory(username="ines", first_name="Ines", role=Role.FRONT_DESK)
    client.force_login(user)
    return user


def edit(client, party, **data):
    return client.post(reverse("web:contact_edit", args=[party.pk]), data)


def text(response) -> str:
    return response.content.decode()


def test_the_contact_page_offers_the_edit_only_to_roles_that_may(client, emma):
    client.force_login(UserFactory(role=Role.HANDLER))
    assert "Contactgegevens wijzigen" in text(client.get(reverse("web:contact", args=[emma.pk])))
    client.force_login(UserFactory(role=Role.ARCHIVIST))
    assert "Contactgegevens wijzigen" not in text(
        client.get(reverse("web:contact", args=[emma.pk]))
    )
    assert client.get(reverse("web:contact_edit", args=[emma.pk])).status_code == 403
    assert edit(client, emma, form="phone", phone="0470123456").status_code == 403
    assert not emma.contact_points.filter(kind="phone").exists()


def test_a_phone_number_is_added_in_e164_and_audited(client, desk, emma):
    answer = edit(client, emma, form="phone", phone="0470 12 34 56")
    assert answer.status_code == 302
    assert emma.contact_points.get(kind="phone").value == "+32470123456"
    change = PartyChange.objects.get(party=emma)
    assert change.actor == desk
    assert change.summary == "Telefoonnummer toegevoegd: +32470123456"
    page = text(client.get(reverse("web:contact", args=[emma.pk])))
    assert "Telefoonnummer toegevoegd: +32470123456" in page  # the audit, on the contact page
    assert "(Ines" in page


def test_bad_input_answers_400_in_dutch_and_writes_nothing(client, desk, emma):
    answer = edit(client, emma, form="phone", phone="0470 12")
    assert answer.status_code == 400
    assert "Dit is geen geldig telefoonnummer." in text(answer)
    assert 'value="0470 12"' in text(answer)  # what was typed stays
    answer = edit(
        client,
        emma,
        form="address",
        street="Kerkstraat",
        house_number="12",
        postcode="264",
        municipality="Leemdonk",
    )
    assert answer.status_code == 400
    assert "Een Belgische postcode heeft vier cijfers (1000 tot 9999)." in text(answer)
    answer = edit(client, emma, form="address", street="Kerkstraat", postcode="2640")
    assert "Geef het huisnummer op." in text(answer)
    answer = edit(
        client, emma, form="consent", channel="email", granted="yes", given_on="31-02-2026"
    )
    assert answer.status_code == 400
    assert "Geef een geldige datum op (dag-maand-jaar)." in text(answer)
    assert emma.contact_points.count() == 1
    assert not PartyChange.objects.exists()
    assert not Consent.objects.exists()


def test_an_address_and_a_consent_with_date_and_source(client, desk, emma):
    edit(
        client,
        emma,
        form="address",
        street="Kerkstraat",
        house_number="12",
        box="",
        postcode="2640",
        municipality="Leemdonk",
    )
    assert emma.contact_points.get(kind="address").value == "Kerkstraat 12, 2640 Leemdonk"
    answer = edit(
        client,
        emma,
        form="consent",
        channel="ebox",
        granted="yes",
        given_on="2026-03-12",
        source="counter",
        note="",
    )
    assert answer.status_code == 302
    emma.refresh_from_db()
    assert emma.ebox_consent is True
    page = text(client.get(reverse("web:contact", args=[emma.pk])))
    assert "akkoord op 12-03-2026, mondeling aan het loket (geregistreerd door Ines" in page
    # The citizen's own channels are not for staff to claim.
    refused = edit(
        client,
        emma,
        form="consent",
        channel="email",
        granted="yes",
        given_on="2026-03-12",
        source="link",
    )
    assert refused.status_code == 400


def test_email_addresses_make_primary_and_remove(client, desk, emma):
    edit(client, emma, form="email", email="emma@werk.example")
    work = emma.contact_points.get(value="emma@werk.example")
    edit(client, emma, form="primary", point=work.pk)
    assert Party.objects.get(pk=emma.pk).primary_email == "emma@werk.example"
    edit(client, emma, form="remove", point=work.pk)
    assert not ContactPoint.objects.filter(pk=work.pk).exists()
    assert Party.objects.get(pk=emma.pk).primary_email == "emma@example.org"
    other = party_create(given_name="Jan", family_name="X", email="jan@example.org")
    answer = edit(client, emma, form="remove", point=other.contact_points.get().pk)
    assert answer.status_code == 404
    assert other.contact_points.exists()


# --- what the mail names, on the dossier page ------------------------------------------------


@pytest.fixture
def mailed(db, files_dir):
    """Emma's question arrives through the intake, signed with her address and phone."""
    source = intake.mail_source_for(kind="import")
    message = receive(make_mail(body=SIGNED), source)
    return message.dossier


@pytest.fixture
def files_dir(tmp_path, settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "files")},
        },
    }


@pytest.fixture
def handler_of(client):
    def sign_in(dossier: Dossier):
        user = UserFactory(role=Role.HANDLER, teams=[dossier.team])
        client.force_login(user)
        return user

    return sign_in


def test_the_address_and_phone_of_the_signature_are_offered_and_applied(client, mailed, handler_of):
    handler_of(mailed)
    url = reverse("web:dossier", args=[mailed.reference])
    page = text(client.get(url))
    assert "Gevonden in de e-mail" in page
    assert "Kerkstraat 12, 2640 Leemdonk" in page
    assert "Als adres van Emma Peeters toevoegen" in page
    assert "Als locatie van het dossier" in page
    assert "+32 470 12 34 56" in page
    assert "Als telefoonnummer van Emma Peeters toevoegen" in page

    found = reverse("web:dossier_found", args=[mailed.reference])
    answer = client.post(found, {"key": "address:kerkstraat|12|2640", "target": "contact"})
    assert answer.status_code == 302
    emma = Party.objects.get(pk=mailed.requester_id)
    assert emma.contact_points.get(kind="address").value == "Kerkstraat 12, 2640 Leemdonk"
    assert "uit de e-mail van de burger" in PartyChange.objects.get(party=emma).summary
    page = text(client.get(url))
    assert "Als adres van Emma Peeters toevoegen" not in page  # applied: gone
    assert "Als locatie van het dossier" in page  # the other use stays

    client.post(found, {"key": "address:kerkstraat|12|2640", "target": "location"})
    mailed.refresh_from_db()
    assert (mailed.location_street, mailed.location_number, mailed.location_postcode) == (
        "Kerkstraat",
        "12",
        "2640",
    )
    assert Event.objects.filter(dossier=mailed, summary__startswith="Locatie: Kerkstraat 12")
    client.post(found, {"key": "phone:+32470123456", "target": "contact"})
    assert emma.contact_points.get(kind="phone").value == "+32470123456"
    page = text(client.get(url))
    assert "Gevonden in de e-mail" not in page  # everything known now

    # A second click (another tab) is a clear message, not a second write.
    again = client.post(found, {"key": "phone:+32470123456", "target": "contact"})
    assert again.status_code == 409
    assert "Dit voorstel geldt niet meer" in text(again)
    assert emma.contact_points.filter(kind="phone").count() == 1


def test_only_what_the_mail_proposes_can_be_applied(client, mailed, handler_of):
    handler_of(mailed)
    found = reverse("web:dossier_found", args=[mailed.reference])
    answer = client.post(found, {"key": "address:dorpsstraat|1|1000", "target": "contact"})
    assert answer.status_code == 409
    assert not ContactPoint.objects.filter(kind="address").exists()


def test_what_is_already_known_is_not_proposed(client, mailed, handler_of):
    handler_of(mailed)
    party_add_address(
        actor=None,
        party=mailed.requester,
        address=PostalAddress("Kerkstraat", "12", "2640", "Leemdonk"),
    )
    page = text(client.get(reverse("web:dossier", args=[mailed.reference])))
    assert "Als adres van Emma Peeters toevoegen" not in page
    assert "Als locatie van het dossier" in page


def test_roles_see_only_the_buttons_they_may_use(client, mailed):
    client.force_login(UserFactory(role=Role.ARCHIVIST))
    page = text(client.get(reverse("web:dossier", args=[mailed.reference])))
    assert "Gevonden in de e-mail" not in page
    found = reverse("web:dossier_found", args=[mailed.reference])
    answer = client.post(found, {"key": "address:kerkstraat|12|2640", "target": "location"})
    assert answer.status_code == 403
    assert Dossier.objects.get(pk=mailed.pk).location_street == ""


def test_the_contact_page_title_is_the_name_and_changes_are_listed_once(client, desk, emma):
    import re

    page = text(client.get(reverse("web:contact", args=[emma.pk])))
    title = re.search(r"<title>(.*?)</title>", page, re.S)
    assert title
    assert "Emma Peeters" in title.group(1)
    assert "<" not in title.group(1)
    assert page.count('id="changes-h"') == 1
