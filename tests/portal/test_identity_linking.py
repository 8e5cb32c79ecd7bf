"""One citizen, one identity (issue 16, ADR 29): the mailed contact and the government
login are linked only when one portal session proved both; contested cases go to staff."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from midoffice.core import outbox
from midoffice.core.errors import UserError
from midoffice.core.models import OutboxMessage
from midoffice.dossiers import services as dossier_services
from midoffice.integrations.fake_oidc.citizens import DEMO_CITIZENS
from midoffice.parties import linking
from midoffice.parties.models import Party, PartyChange, PartyLink
from midoffice.parties.services import party_create
from midoffice.portal import services
from midoffice.portal.models import EmailLinkCode
from midoffice.publication.models import DosisRegistration
from tests.factories import UserFactory, open_dossier
from tests.portal.test_signin import _choose_citizen

pytestmark = pytest.mark.django_db

EMMA = DEMO_CITIZENS[0]
MAILED = "emma.desmet@voorbeeld.example"


@pytest.fixture
def mailed(db):
    """Emma as the intake knows her: a name and the address she wrote from."""
    return party_create(given_name="Emma", family_name="De Smet", email=MAILED)


@pytest.fixture
def mailed_dossier(mailed, dossier_type, settings):
    settings.DOSIS_ENDPOINT = ""
    return open_dossier(dossier_type=dossier_type, requester=mailed, subject="Mijn mailvraag")


@pytest.fixture
def rrn_party(db):
    return party_create(given_name="Emma", family_name="De Smet", insz=EMMA.rrn)


def _oidc_session(client: Client, party: Party) -> None:
    """The state the government login leaves (the real sign-in is tested end to end below)."""
    session = client.session
    session["portal_party"] = party.pk
    session["portal_via"] = "oidc"
    session["portal_proven_rrn"] = party.pk
    session.save()


def _send_code(client, email, capture):
    with capture(execute=True):
        answer = client.post("/mijn/koppelen/", {"action": "send", "email": email})
    code = re.search(r"is: (\d{6})", mail.outbox[-1].body)
    return answer, (code.group(1) if code else "")


def _link_from_mail() -> str:
    return re.search(r"https?://[^/\s]+(/mijn/aanmelden/link/\S+)", mail.outbox[-1].body).group(1)


# --- linking in one session -------------------------------------------------------------


def test_mailed_link_then_government_login_links_and_shows_the_mailed_dossier(
    fake_oidc, mailed_dossier, django_capture_on_commit_callbacks
):
    client = Client(HTTP_HOST="127.0.0.1")
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/mijn/aanmelden/", {"email": MAILED})
    assert client.post(_link_from_mail()).status_code == 302
    start = client.get("/mijn/aanmelden/oidc/?next=/mijn/")
    callback = _choose_citizen(start["Location"], index=0)
    assert client.get(callback.removeprefix("http://127.0.0.1")).status_code == 302
    page = client.get("/mijn/").content.decode()
    assert "Mijn mailvraag" in page
    assert "Je e-mailadres is gekoppeld" in page
    canonical = Party.objects.get(insz=EMMA.rrn)
    link = PartyLink.objects.get()
    assert (link.canonical, link.linked, link.state, link.proof) == (
        canonical,
        mailed_dossier.requester,
        PartyLink.State.ACTIVE,
        "link",
    )
    # Audited on both contacts.
    assert PartyChange.objects.filter(party=canonical, summary__startswith="Gekoppeld").exists()
    assert PartyChange.objects.filter(party=link.linked, summary__startswith="Gekoppeld").exists()


def test_government_login_alone_does_not_link(fake_oidc, mailed_dossier):
    client = Client(HTTP_HOST="127.0.0.1")
    start = client.get("/mijn/aanmelden/oidc/?next=/mijn/")
    client.get(_choose_citizen(start["Location"], index=0).removeprefix("http://127.0.0.1"))
    page = client.get("/mijn/").content.decode()
    assert "Mijn mailvraag" not in page  # same name, unproven address: no link
    assert "Koppel je e-mailadres" in page
    assert not PartyLink.objects.exists()


def test_an_old_link_proof_in_the_session_does_not_link(
    fake_oidc, mailed_dossier, django_capture_on_commit_callbacks, settings
):
    client = Client(HTTP_HOST="127.0.0.1")
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/mijn/aanmelden/", {"email": MAILED})
    client.post(_link_from_mail())
    session = client.session
    session["portal_proven_email"]["at"] = time.time() - settings.PORTAL_LINK_MINUTES * 60 - 1
    session.save()
    start = client.get("/mijn/aanmelden/oidc/?next=/mijn/")
    client.get(_choose_citizen(start["Location"], index=0).removeprefix("http://127.0.0.1"))
    assert not PartyLink.objects.exists()


def test_government_login_then_mailed_link_links_and_keeps_the_session(
    client, mailed_dossier, rrn_party, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/mijn/aanmelden/", {"email": MAILED})
    _oidc_session(client, rrn_party)
    assert client.post(_link_from_mail()).status_code == 302
    assert client.session["portal_party"] == rrn_party.pk
    assert "Mijn mailvraag" in client.get("/mijn/").content.decode()
    assert PartyLink.objects.get().state == PartyLink.State.ACTIVE


def test_code_links_the_address(
    client, mailed_dossier, rrn_party, django_capture_on_commit_callbacks
):
    _oidc_session(client, rrn_party)
    assert "Mijn mailvraag" not in client.get("/mijn/").content.decode()
    answer, code = _send_code(
        client, "Emma.DeSmet@voorbeeld.example", django_capture_on_commit_callbacks
    )
    assert answer.status_code == 200
    assert mail.outbox[-1].to == ["emma.desmet@voorbeeld.example"]
    assert code
    assert client.post("/mijn/koppelen/", {"action": "verify", "code": code}).status_code == 302
    assert "Mijn mailvraag" in client.get("/mijn/").content.decode()
    link = PartyLink.objects.get()
    assert (link.state, link.proof) == (PartyLink.State.ACTIVE, "code")
    # Proving the same again changes nothing (idempotent).
    _, code = _send_code(client, MAILED, django_capture_on_commit_callbacks)
    client.post("/mijn/koppelen/", {"action": "verify", "code": code})
    assert PartyLink.objects.count() == 1


def test_wrong_code_counts_and_voids_after_five(
    client, mailed_dossier, rrn_party, django_capture_on_commit_callbacks
):
    _oidc_session(client, rrn_party)
    _, code = _send_code(client, MAILED, django_capture_on_commit_callbacks)
    wrong = "000000" if code != "000000" else "111111"
    answer = client.post("/mijn/koppelen/", {"action": "verify", "code": wrong})
    assert answer.status_code == 400
    assert "Deze code klopt niet. Je kan het nog 4 keer proberen." in answer.content.decode()
    assert EmailLinkCode.objects.get().attempts == 1  # the count survived the error
    for _ in range(4):
        client.post("/mijn/koppelen/", {"action": "verify", "code": wrong})
    answer = client.post("/mijn/koppelen/", {"action": "verify", "code": code})
    assert answer.status_code == 400
    assert "niet (meer) geldig" in answer.content.decode()
    assert not PartyLink.objects.exists()


def test_expired_code_is_refused(
    client, mailed_dossier, rrn_party, django_capture_on_commit_callbacks
):
    _oidc_session(client, rrn_party)
    _, code = _send_code(client, MAILED, django_capture_on_commit_callbacks)
    EmailLinkCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    answer = client.post("/mijn/koppelen/", {"action": "verify", "code": code})
    assert answer.status_code == 400
    assert not PartyLink.objects.exists()


def test_codes_are_rate_limited(
    client, mailed_dossier, rrn_party, settings, django_capture_on_commit_callbacks
):
    settings.PORTAL_LINKS_PER_HOUR = 2
    _oidc_session(client, rrn_party)
    for _ in range(2):
        assert _send_code(client, MAILED, django_capture_on_commit_callbacks)[0].status_code == 200
    sent = len(mail.outbox)
    answer = client.post("/mijn/koppelen/", {"action": "send", "email": MAILED})
    assert answer.status_code == 429
    assert "Probeer het over een uur opnieuw" in answer.content.decode()
    assert len(mail.outbox) == sent


def test_link_page_needs_the_government_login(client, mailed, django_capture_on_commit_callbacks):
    session = client.session
    session["portal_party"] = mailed.pk
    session["portal_via"] = "link"
    session.save()
    answer = client.post("/mijn/koppelen/", {"action": "send", "email": MAILED})
    assert answer.status_code == 302
    assert answer["Location"].startswith("/mijn/aanmelden/")
    assert not EmailLinkCode.objects.exists()
    with pytest.raises(UserError):
        services.link_code_request(party=mailed, email=MAILED, client_address="1.2.3.4")


def test_the_mailed_side_alone_does_not_see_the_national_number_dossiers(
    client, mailed_dossier, rrn_party, dossier_type
):
    open_dossier(dossier_type=dossier_type, requester=rrn_party, subject="Via eID gestart")
    services.identity_link_outcome(party=rrn_party, email=MAILED, proof="code")
    session = client.session
    session["portal_party"] = mailed_dossier.requester_id
    session["portal_via"] = "link"
    session.save()
    page = client.get("/mijn/").content.decode()
    assert "Mijn mailvraag" in page
    assert "Via eID gestart" not in page


# --- contested cases --------------------------------------------------------------------


def test_address_of_a_contact_with_another_national_number_goes_to_staff(
    client, rrn_party, dossier_type, settings
):
    settings.DOSIS_ENDPOINT = ""
    other = party_create(
        given_name="Lucas", family_name="Peeters", insz=DEMO_CITIZENS[1].rrn, email=MAILED
    )
    open_dossier(dossier_type=dossier_type, requester=other, subject="Van Lucas")
    _oidc_session(client, rrn_party)
    message = services.identity_link_outcome(party=rrn_party, email=MAILED, proof="code")
    assert "Een medewerker van de gemeente kijkt na" in message
    link = PartyLink.objects.get()
    assert (link.state, link.reason) == (PartyLink.State.PENDING, PartyLink.Reason.OTHER_RRN)
    assert "Van Lucas" not in client.get("/mijn/").content.decode()


def test_family_mailbox_goes_to_staff_for_each_contact(client, rrn_party, dossier_type, settings):
    settings.DOSIS_ENDPOINT = ""
    mum = party_create(given_name="An", family_name="Peeters", email="gezin@voorbeeld.example")
    dad = party_create(given_name="Jan", family_name="Peeters", email="gezin@voorbeeld.example")
    open_dossier(dossier_type=dossier_type, requester=dad, subject="Van Jan")
    services.identity_link_outcome(party=rrn_party, email="gezin@voorbeeld.example", proof="code")
    links = PartyLink.objects.order_by("linked_id")
    assert [(x.linked, x.state, x.reason) for x in links] == [
        (mum, PartyLink.State.PENDING, PartyLink.Reason.SHARED),
        (dad, PartyLink.State.PENDING, PartyLink.Reason.SHARED),
    ]
    _oidc_session(client, rrn_party)
    assert "Van Jan" not in client.get("/mijn/").content.decode()


def test_staff_approve_refuse_and_undo(client, rrn_party, dossier_type, settings):
    settings.DOSIS_ENDPOINT = ""
    mum = party_create(given_name="An", family_name="Peeters", email="gezin@voorbeeld.example")
    dad = party_create(given_name="Jan", family_name="Peeters", email="gezin@voorbeeld.example")
    open_dossier(dossier_type=dossier_type, requester=mum, subject="Van An")
    open_dossier(dossier_type=dossier_type, requester=dad, subject="Van Jan")
    services.identity_link_outcome(party=rrn_party, email="gezin@voorbeeld.example", proof="code")
    to_mum = PartyLink.objects.get(linked=mum)
    to_dad = PartyLink.objects.get(linked=dad)

    staff = Client()
    staff.force_login(UserFactory())
    listing = staff.get("/koppelingen/").content.decode()
    assert "An Peeters" in listing
    assert "Jan Peeters" in listing
    assert "Goedkeuren" in staff.get(f"/contacten/{mum.pk}/").content.decode()
    staff.post(f"/koppelingen/{to_mum.pk}/", {"action": "approve", "party": mum.pk})
    staff.post(f"/koppelingen/{to_dad.pk}/", {"action": "refuse", "party": dad.pk})
    to_mum.refresh_from_db()
    to_dad.refresh_from_db()
    assert to_mum.state == PartyLink.State.ACTIVE
    assert to_mum.decided_by is not None
    assert to_dad.state == PartyLink.State.REFUSED

    _oidc_session(client, rrn_party)
    page = client.get("/mijn/").content.decode()
    assert "Van An" in page
    assert "Van Jan" not in page
    # A refusal stands: proving the address again asks nobody again.
    message = services.identity_link_outcome(
        party=rrn_party, email="gezin@voorbeeld.example", proof="code"
    )
    assert PartyLink.objects.count() == 2
    assert "gekoppeld" in message

    contact = staff.get(f"/contacten/{rrn_party.pk}/").content.decode()
    assert "Ontkoppelen" in contact
    staff.post(f"/koppelingen/{to_mum.pk}/", {"action": "undo", "party": rrn_party.pk})
    to_mum.refresh_from_db()
    assert to_mum.state == PartyLink.State.UNDONE
    assert to_mum.undone_by is not None
    assert "Van An" not in client.get("/mijn/").content.decode()
    assert PartyChange.objects.filter(party=mum, summary__startswith="Ontkoppeld").exists()
    # Undoing twice is a clear error, not a crash.
    again = staff.post(f"/koppelingen/{to_mum.pk}/", {"action": "undo"}, follow=True)
    assert "vonden we niet" in again.content.decode()


def test_staff_without_the_contact_right_cannot_decide(rrn_party):
    party_create(given_name="An", family_name="Peeters", email="gezin@voorbeeld.example")
    party_create(given_name="Jan", family_name="Peeters", email="gezin@voorbeeld.example")
    services.identity_link_outcome(party=rrn_party, email="gezin@voorbeeld.example", proof="code")
    link = PartyLink.objects.first()
    staff = Client()
    staff.force_login(UserFactory(role="archivist"))
    staff.post(f"/koppelingen/{link.pk}/", {"action": "approve"})
    link.refresh_from_db()
    assert link.state == PartyLink.State.PENDING


# --- DOSIS backfill ----------------------------------------------------------------------


def test_linking_backfills_dosis_in_order_once(fake_dosis, dossier_type, rrn_party):
    mailed = party_create(given_name="Emma", family_name="De Smet", email=MAILED)
    first = open_dossier(dossier_type=dossier_type, requester=mailed, subject="Eerste")
    dossier_services.dossier_change_status(actor=None, dossier=first, status_code="in-behandeling")
    second = open_dossier(dossier_type=dossier_type, requester=mailed, subject="Tweede")
    closed = open_dossier(dossier_type=dossier_type, requester=mailed, subject="Gesloten")
    type(closed).objects.filter(pk=closed.pk).update(is_open=False)
    assert not OutboxMessage.objects.filter(topic="dosis.register").exists()  # no INSZ yet

    services.identity_link_outcome(party=rrn_party, email=MAILED, proof="code")
    rows = DosisRegistration.objects.order_by("dossier_id")
    assert [(r.dossier.reference, r.status_code) for r in rows] == [
        (first.reference, "IN-BEHANDELING"),
        (second.reference, "ONTVANGEN"),
    ]
    messages = OutboxMessage.objects.filter(topic="dosis.register").order_by("pk")
    assert [m.ordering_key for m in messages] == [
        f"dosis:{first.reference}",
        f"dosis:{second.reference}",
    ]
    # Linking (or backfilling) again registers nothing new.
    services.identity_link_outcome(party=rrn_party, email=MAILED, proof="link")
    from midoffice.publication.services import dosis_backfill

    assert dosis_backfill(rrn_party) == 0
    assert DosisRegistration.objects.count() == 2

    # Later changes follow, in order after the backfill, with the national number.
    dossier_services.dossier_change_status(actor=None, dossier=second, status_code="in-behandeling")
    outbox.outbox_sweep()
    got = [(r["reference"], r["status_code"], r["agents"]) for r in fake_dosis.state.received]
    rrn = [{"kind": "rrn", "id": EMMA.rrn}]
    assert [g for g in got if g[0] == second.reference] == [
        (second.reference, "ONTVANGEN", rrn),
        (second.reference, "IN-BEHANDELING", rrn),
    ]
    assert (first.reference, "IN-BEHANDELING", rrn) in got


def test_undo_stops_later_registrations_under_the_national_number(
    fake_dosis, dossier_type, rrn_party
):
    mailed = party_create(given_name="Emma", family_name="De Smet", email=MAILED)
    dossier = open_dossier(dossier_type=dossier_type, requester=mailed, subject="Eerste")
    services.identity_link_outcome(party=rrn_party, email=MAILED, proof="code")
    link = PartyLink.objects.get()
    linking.link_undo(actor=UserFactory(), link_id=link.pk)
    before = DosisRegistration.objects.count()
    dossier_services.dossier_change_status(
        actor=None, dossier=dossier, status_code="in-behandeling"
    )
    assert DosisRegistration.objects.count() == before


# --- the invitation ---------------------------------------------------------------------


def test_portal_dossier_invites_the_government_login_only_without_national_number(
    client, mailed_dossier, rrn_party, fake_oidc
):
    session = client.session
    session["portal_party"] = mailed_dossier.requester_id
    session.save()
    url = f"/mijn/dossiers/{mailed_dossier.reference}"
    invite = "om dit dossier ook in Mijn Burgerprofiel te volgen"
    assert invite in client.get(url).content.decode()
    services.identity_link_outcome(party=rrn_party, email=MAILED, proof="code")
    assert invite not in client.get(url).content.decode()


def test_acknowledgement_invites_the_government_login_only_without_national_number(
    mailed_dossier, rrn_party
):
    from django.template.loader import render_to_string

    from midoffice.intake.acknowledgement import acknowledgement_context

    invite = "om dit dossier ook in Mijn Burgerprofiel te volgen"
    mailed = mailed_dossier.requester

    def rendered() -> tuple[str, str]:
        context = acknowledgement_context(dossier=mailed_dossier, party=mailed, to_name="Emma")
        return (
            render_to_string("intake/ack_default.txt", context),
            render_to_string("intake/ack_default.html", context),
        )

    promise = "(ook in Mijn Burgerprofiel)"  # only true once the national number is known
    assert all(invite in text and promise not in text for text in rendered())
    services.identity_link_outcome(party=rrn_party, email=MAILED, proof="code")
    assert not any(invite in text for text in rendered())
    assert all(promise in text for text in rendered())
    context = acknowledgement_context(dossier=mailed_dossier, party=rrn_party, to_name="Emma")
    assert invite not in render_to_string("intake/ack_default.txt", context)
