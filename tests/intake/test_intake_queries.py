"""The intake's database work per mail: each search document is built once per mail,
and is the same as a fresh rebuild; the inbound message is saved once."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from midoffice.dossiers.models import SearchDocument
from midoffice.dossiers.search import dossier_key, party_key, search_rebuild
from midoffice.intake import services
from midoffice.intake.models import InboundMessage
from tests.intake.conftest import make_mail, receive


@pytest.fixture
def source(triage_type):
    return services.mail_source_for(kind="import")


def _documents() -> dict[int, str]:
    return dict(SearchDocument.objects.values_list("id", "body"))


def test_new_question_builds_each_search_document_once(source):
    stored = services.inbound_store(make_mail(), source=source)
    with CaptureQueriesContext(connection) as queries:
        message = services.inbound_process(inbound_id=stored.pk)
    assert message.state == InboundMessage.State.ROUTED
    sql = [q["sql"].replace('"', "") for q in queries.captured_queries]
    # the dossier document reads the dossier's events once, though dossier_open and
    # interaction_log both ask for it
    assert sum("FROM dossiers_event" in s and "summary" in s for s in sql) == 1
    assert sum(s.startswith("UPDATE intake_inboundmessage") for s in sql) == 1
    written = _documents()
    assert dossier_key(message.dossier_id) in written
    assert party_key(message.dossier.requester_id) in written
    assert "Emma Peeters" in written[party_key(message.dossier.requester_id)]
    assert "E-mail ontvangen" in written[dossier_key(message.dossier_id)]
    search_rebuild()
    assert _documents() == written


def test_reply_indexes_its_dossier_the_same_as_a_rebuild(source):
    first = services.inbound_store(make_mail(), source=source)
    opened = services.inbound_process(inbound_id=first.pk)
    reply = make_mail(subject=f"Re: vraag [{opened.dossier.reference}]")
    linked = receive(reply, source)
    assert linked.state == InboundMessage.State.LINKED
    written = _documents()
    assert "Re: vraag" in written[dossier_key(opened.dossier_id)]
    search_rebuild()
    assert _documents() == written


def test_known_sender_is_looked_up_once(source):
    """Recognition already reads the contacts owning the sender's address; the intake
    takes the requester from there instead of asking again."""
    first = receive(make_mail(subject="Eerste vraag"), source)
    stored = services.inbound_store(make_mail(subject="Tweede vraag"), source=source)
    with CaptureQueriesContext(connection) as queries:
        second = services.inbound_process(inbound_id=stored.pk)
    assert second.state == InboundMessage.State.ROUTED
    assert second.dossier.requester_id == first.dossier.requester_id
    sql = [q["sql"].replace('"', "") for q in queries.captured_queries]
    owner_lookups = [s for s in sql if "FROM parties_party" in s and "match_key" in s]
    assert len(owner_lookups) == 1


def test_first_time_sender_becomes_one_contact_looked_up_once_on_sqlite(source):
    """Recognition found no contact owning the address. On SQLite the processing
    transaction has held the write lock since before that look, so the intake creates
    the contact without asking again; on PostgreSQL it asks again under the sender lock
    (another worker may have created it meanwhile)."""
    from midoffice.parties.models import ContactPoint, Party

    stored = services.inbound_store(
        make_mail(sender="Jan Nieuw <Jan.Nieuw+gemeente@example.org>"), source=source
    )
    with CaptureQueriesContext(connection) as queries:
        message = services.inbound_process(inbound_id=stored.pk)
    assert message.state == InboundMessage.State.ROUTED
    sql = [q["sql"].replace('"', "") for q in queries.captured_queries]
    owner_lookups = [s for s in sql if "FROM parties_party" in s and "match_key" in s]
    assert len(owner_lookups) == (1 if connection.vendor == "sqlite" else 2)
    party = Party.objects.get(pk=message.dossier.requester_id)
    assert party.display_name == "Jan Nieuw"
    points = list(
        ContactPoint.objects.filter(party=party).values_list("kind", "value", "match_key")
    )
    assert points == [("email", "jan.nieuw+gemeente@example.org", "jan.nieuw@example.org")]
    # the next mail from that address (another +tag) finds the same contact
    again = receive(make_mail(sender="jan.nieuw@example.org", subject="Nog een vraag"), source)
    assert again.dossier.requester_id == party.pk
    assert Party.objects.count() == 1


@pytest.mark.parametrize(
    ("sender", "requester"),
    [
        ("Bart Twee <gedeeld@example.org>", "Bart Twee"),  # the name tells them apart
        ("Anna Een <GEDEELD+vraag@example.org>", "Anna Een"),
        ("gedeeld@example.org", "Anna Een"),  # nothing does: the oldest
        ("Bart Een <gedeeld@example.org>", "Anna Een"),  # one name each: the oldest
    ],
)
def test_a_shared_address_goes_to_one_of_its_contacts_never_a_new_one(source, sender, requester):
    """A family mailbox: two contacts own the address. The mail goes to the one its
    sender's name matches, else to the oldest; no third contact is made (before, every
    mail from such an address created another one)."""
    from midoffice.parties.models import Party
    from midoffice.parties.services import party_create

    party_create(given_name="Anna", family_name="Een", email="gedeeld@example.org")
    party_create(given_name="Bart", family_name="Twee", email="gedeeld@example.org")
    for subject in ("Eerste vraag", "Tweede vraag"):
        message = receive(make_mail(sender=sender, subject=subject), source)
        assert message.state == InboundMessage.State.ROUTED
        assert message.dossier.requester.display_name == requester
    assert Party.objects.count() == 2


def test_a_family_mailbox_goes_to_the_member_whose_name_it_carries(source):
    """Both contacts own the address and share the family name: the one sharing more of
    the sender's name wins (before: the oldest, whatever the name said)."""
    from midoffice.parties.services import party_create

    party_create(given_name="Familie", family_name="Janssens", email="gezin@example.org")
    els = party_create(given_name="Els", family_name="Janssens", email="gezin@example.org")
    message = receive(make_mail(sender="Els Janssens <gezin@example.org>"), source)
    assert message.dossier.requester_id == els.pk


def test_a_reply_from_a_shared_address_is_the_dossiers_contact(source):
    """The contact moment of a reply names the contact of that dossier owning the
    address (before: nobody, because the address has two owners)."""
    from midoffice.dossiers.models import Interaction
    from midoffice.parties.services import party_create

    party_create(given_name="Anna", family_name="Een", email="gedeeld@example.org")
    bart = party_create(given_name="Bart", family_name="Twee", email="gedeeld@example.org")
    opened = receive(make_mail(sender="Bart Twee <gedeeld@example.org>"), source)
    assert opened.dossier.requester_id == bart.pk
    reply = receive(
        make_mail(sender="gedeeld@example.org", subject=f"Re: [{opened.dossier.reference}]"), source
    )
    assert reply.state == InboundMessage.State.LINKED
    moment = Interaction.objects.get(message_ref=reply.message_id[:120])
    assert moment.party_id == bart.pk
