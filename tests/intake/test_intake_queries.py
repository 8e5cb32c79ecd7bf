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
from tests.intake.conftest import make_mail


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
    linked = services.inbound_process(inbound_id=services.inbound_store(reply, source=source).pk)
    assert linked.state == InboundMessage.State.LINKED
    written = _documents()
    assert "Re: vraag" in written[dossier_key(opened.dossier_id)]
    search_rebuild()
    assert _documents() == written


def test_known_sender_is_looked_up_once(source):
    """Recognition already reads the contacts owning the sender's address; the intake
    takes the requester from there instead of asking again."""
    first = services.inbound_process(
        inbound_id=services.inbound_store(make_mail(subject="Eerste vraag"), source=source).pk
    )
    stored = services.inbound_store(make_mail(subject="Tweede vraag"), source=source)
    with CaptureQueriesContext(connection) as queries:
        second = services.inbound_process(inbound_id=stored.pk)
    assert second.state == InboundMessage.State.ROUTED
    assert second.dossier.requester_id == first.dossier.requester_id
    sql = [q["sql"].replace('"', "") for q in queries.captured_queries]
    owner_lookups = [s for s in sql if "FROM parties_party" in s and "match_key" in s]
    assert len(owner_lookups) == 1
