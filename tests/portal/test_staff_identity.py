"""Staff establish a citizen's identity themselves (issue 16, ADR 29): a national number
typed on a contact after checking the identity card, and a link between two contacts made
at the counter. Both reach DOSIS like a citizen's own link; contested cases are refused."""

from __future__ import annotations

import pytest
from django.test import Client

from midoffice.core import outbox
from midoffice.core.errors import Forbidden, UserError
from midoffice.core.models import OutboxMessage
from midoffice.dossiers import services as dossier_services
from midoffice.integrations.fake_oidc.citizens import DEMO_CITIZENS
from midoffice.parties import linking
from midoffice.parties.models import Party, PartyChange, PartyLink
from midoffice.parties.services import party_create
from midoffice.publication.models import DosisRegistration
from tests.factories import UserFactory, open_dossier

pytestmark = pytest.mark.django_db

EMMA, LUCAS = DEMO_CITIZENS[0], DEMO_CITIZENS[1]
MAILED = "emma.desmet@voorbeeld.example"


@pytest.fixture
def mailed(db):
    return party_create(given_name="Emma", family_name="De Smet", email=MAILED)


@pytest.fixture
def desk(team):
    return UserFactory(username="loket", first_name="Lien", role="front_desk", teams=[team])


def _staff(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _dosis_sent(fake_dosis) -> list[tuple[str, str, list]]:
    outbox.outbox_sweep()
    return [(r["reference"], r["status_code"], r["agents"]) for r in fake_dosis.state.received]


RRN = [{"kind": "rrn", "id": EMMA.rrn}]


# --- 3. a national number typed by staff -------------------------------------------------


def test_a_national_number_typed_by_staff_backfills_dosis_once_in_order(
    fake_dosis, dossier_type, mailed, desk
):
    first = open_dossier(dossier_type=dossier_type, requester=mailed, subject="Eerste")
    dossier_services.dossier_change_status(actor=None, dossier=first, status_code="in-behandeling")
    second = open_dossier(dossier_type=dossier_type, requester=mailed, subject="Tweede")
    assert not OutboxMessage.objects.filter(topic="dosis.register").exists()  # no INSZ yet

    answer = _staff(desk).post(
        f"/contacten/{mailed.pk}/wijzigen/",
        {"form": "insz", "insz": "86.03.14-123.23", "proof": "id_card"},
    )
    assert answer.status_code == 302
    mailed.refresh_from_db()
    assert mailed.insz == EMMA.rrn
    change = PartyChange.objects.filter(party=mailed).latest("pk")
    assert "860314-***-**" in change.summary
    assert "Identiteitskaart" in change.summary
    assert EMMA.rrn not in change.summary
    assert EMMA.rrn not in str(change.data)

    # The same number again: nothing new, nothing twice.
    _staff(desk).post(
        f"/contacten/{mailed.pk}/wijzigen/",
        {"form": "insz", "insz": EMMA.rrn, "proof": "id_card"},
    )
    assert DosisRegistration.objects.count() == 2
    dossier_services.dossier_change_status(actor=None, dossier=second, status_code="in-behandeling")
    got = _dosis_sent(fake_dosis)
    assert [g for g in got if g[0] == second.reference] == [
        (second.reference, "ONTVANGEN", RRN),
        (second.reference, "IN-BEHANDELING", RRN),
    ]
    assert [g for g in got if g[0] == first.reference] == [(first.reference, "IN-BEHANDELING", RRN)]


def test_the_contact_edit_page_asks_the_national_number_and_how_it_was_checked(mailed, desk):
    page = _staff(desk).get(f"/contacten/{mailed.pk}/wijzigen/").content.decode()
    assert 'id="rr-insz"' in page
    assert "Identiteitskaart getoond aan het loket" in page


@pytest.mark.parametrize(
    ("typed", "proof", "message"),
    [
        ("12345678901", "id_card", "geen geldig rijksregisternummer"),
        (EMMA.rrn, "", "Kies hoe je de identiteit"),
        (LUCAS.rrn, "id_card", "Er bestaat al een contact met dit rijksregisternummer"),
    ],
)
def test_a_national_number_is_refused_with_a_clear_message(
    mailed, desk, typed, proof, message, settings
):
    settings.DOSIS_ENDPOINT = ""
    party_create(given_name="Lucas", family_name="Van den Broeck", insz=LUCAS.rrn)
    answer = _staff(desk).post(
        f"/contacten/{mailed.pk}/wijzigen/", {"form": "insz", "insz": typed, "proof": proof}
    )
    assert answer.status_code == 400
    assert message in answer.content.decode()
    mailed.refresh_from_db()
    assert mailed.insz is None


def test_a_national_number_is_not_changed_and_not_given_to_an_organisation(desk):
    emma = party_create(given_name="Emma", family_name="De Smet", insz=EMMA.rrn)
    with pytest.raises(UserError, match="al een ander rijksregisternummer"):
        linking.national_number_record(actor=desk, party=emma, insz=LUCAS.rrn, proof="id_card")
    firm = party_create(kind="organisation", organisation_name="Bakkerij Leemdonk")
    with pytest.raises(UserError, match="organisatie"):
        linking.national_number_record(actor=desk, party=firm, insz=LUCAS.rrn, proof="id_card")


def test_a_national_number_needs_the_contact_right(mailed):
    archivist = UserFactory(role="archivist")
    with pytest.raises(Forbidden):
        linking.national_number_record(
            actor=archivist, party=mailed, insz=EMMA.rrn, proof="id_card"
        )
    answer = _staff(archivist).post(
        f"/contacten/{mailed.pk}/wijzigen/", {"form": "insz", "insz": EMMA.rrn, "proof": "id_card"}
    )
    assert answer.status_code == 403
    mailed.refresh_from_db()
    assert mailed.insz is None


# --- 4. a link made by staff --------------------------------------------------------------


def test_staff_link_at_the_counter_is_proven_audited_backfilled_and_undoable(
    fake_dosis, dossier_type, mailed, desk
):
    emma = party_create(given_name="Emma", family_name="De Smet", insz=EMMA.rrn)
    dossier = open_dossier(dossier_type=dossier_type, requester=mailed, subject="Mailvraag")
    staff = _staff(desk)

    found = staff.get(f"/contacten/{mailed.pk}/koppelen/", {"q": "De Smet"}).content.decode()
    assert f'value="{emma.pk}"' in found
    assert f'value="{mailed.pk}"' not in found  # not itself
    answer = staff.post(
        f"/contacten/{mailed.pk}/koppelen/", {"other": emma.pk, "proof": "id_card", "q": "x"}
    )
    assert answer.status_code == 302
    link = PartyLink.objects.get()
    # The contact with the national number is canonical, whichever page it started from.
    assert (link.canonical, link.linked, link.state) == (emma, mailed, PartyLink.State.ACTIVE)
    assert link.proof == "id_card"
    assert link.decided_by == desk
    for party in (emma, mailed):
        assert PartyChange.objects.filter(party=party, summary__startswith="Gekoppeld").exists()
    assert Party.objects.filter(pk=mailed.pk, insz__isnull=True).exists()  # nothing merged
    assert _dosis_sent(fake_dosis) == [(dossier.reference, "ONTVANGEN", RRN)]
    page = staff.get(f"/contacten/{mailed.pk}/").content.decode()
    assert "Identiteitskaart getoond aan het loket" in page

    linking.link_undo(actor=desk, link_id=link.pk)
    assert PartyLink.objects.get().state == PartyLink.State.UNDONE


def test_staff_link_refuses_the_contested_cases(desk, mailed, settings):
    settings.DOSIS_ENDPOINT = ""
    emma = party_create(given_name="Emma", family_name="De Smet", insz=EMMA.rrn)
    lucas = party_create(given_name="Lucas", family_name="Van den Broeck", insz=LUCAS.rrn)
    firm = party_create(kind="organisation", organisation_name="Bakkerij Leemdonk")
    nobody = party_create(given_name="Zonder", family_name="Nummer", email="z@voorbeeld.example")
    cases = [
        (emma, lucas, "twee verschillende personen"),
        (emma, firm, "organisatie"),
        (mailed, nobody, "Geen van beide contacten heeft een rijksregisternummer"),
        (emma, emma, "niet aan zichzelf"),
        (emma, mailed, "Kies hoe je de identiteit"),
    ]
    for party, other, message in cases:
        proof = "" if "identiteit" in message else "id_card"
        with pytest.raises(UserError, match=message):
            linking.staff_link(actor=desk, party=party, other=other, proof=proof)
    linking.staff_link(actor=desk, party=emma, other=mailed, proof="eid_read")
    with pytest.raises(UserError, match="al gekoppeld"):
        linking.staff_link(actor=desk, party=mailed, other=emma, proof="id_card")
    noor = party_create(given_name="Noor", family_name="Jacobs", insz=DEMO_CITIZENS[2].rrn)
    with pytest.raises(UserError, match="al aan een ander contact gekoppeld"):
        linking.staff_link(actor=desk, party=noor, other=mailed, proof="id_card")
    assert PartyLink.objects.count() == 1


def test_staff_link_view_says_why_it_refuses(desk, settings):
    settings.DOSIS_ENDPOINT = ""
    emma = party_create(given_name="Emma", family_name="De Smet", insz=EMMA.rrn)
    lucas = party_create(given_name="Lucas", family_name="Van den Broeck", insz=LUCAS.rrn)
    answer = _staff(desk).post(
        f"/contacten/{emma.pk}/koppelen/", {"other": lucas.pk, "proof": "id_card", "q": "Lucas"}
    )
    assert answer.status_code == 400
    assert "twee verschillende personen" in answer.content.decode()
    assert not PartyLink.objects.exists()


def test_staff_link_needs_the_contact_right(mailed, settings):
    settings.DOSIS_ENDPOINT = ""
    emma = party_create(given_name="Emma", family_name="De Smet", insz=EMMA.rrn)
    archivist = UserFactory(role="archivist")
    with pytest.raises(Forbidden):
        linking.staff_link(actor=archivist, party=emma, other=mailed, proof="id_card")
    staff = _staff(archivist)
    assert staff.get(f"/contacten/{emma.pk}/koppelen/").status_code == 403
    answer = staff.post(f"/contacten/{emma.pk}/koppelen/", {"other": mailed.pk, "proof": "id_card"})
    assert answer.status_code == 403
    assert not PartyLink.objects.exists()
