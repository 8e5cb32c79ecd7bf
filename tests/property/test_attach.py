"""Keeping a property document on the dossier, and sending one along with a letter."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from midoffice.core.models import OutboxMessage
from midoffice.core.outbox import outbox_deliver
from midoffice.correspondence import services as letters
from midoffice.correspondence.models import Letter, LetterState
from midoffice.dossiers.documents import dossier_documents
from midoffice.dossiers.models import EventKind
from midoffice.integrations.magda.fake import FakeDocumentService
from midoffice.integrations.property.base import DocumentKind
from midoffice.integrations.property.fake import FakePropertySource
from midoffice.parties.services import party_set_preference
from midoffice.propertyinfo.models import KeptPropertyDocument
from tests.factories import UserFactory

from .conftest import CAPAKEY

pytestmark = pytest.mark.django_db


def _document(kind: DocumentKind):
    return next(d for d in FakePropertySource().documents(CAPAKEY) if d.kind == kind)


def _keep(client, dossier, document_id):
    url = reverse("web:dossier_property_keep", args=[dossier.reference])
    return client.post(url, {"document_id": document_id})


def _attach(client, dossier, letter, document_id):
    url = reverse("web:dossier_property_attach", args=[dossier.reference])
    return client.post(url, {"document_id": document_id, "letter": letter.pk})


def test_adding_to_the_dossier_stores_the_document_with_an_event_once(client, handler, dossier):
    plan = _document(DocumentKind.PLAN)
    client.force_login(handler)

    response = _keep(client, dossier, plan.id)
    assert response.status_code == 302
    again = _keep(client, dossier, plan.id)  # a double click
    assert again.status_code == 302

    [kept] = KeptPropertyDocument.objects.filter(dossier=dossier)
    assert (kept.document_id, kept.kind, kept.capakey) == (plan.id, "plan", CAPAKEY)
    assert kept.added_by == handler
    expected = FakePropertySource().fetch(CAPAKEY, plan.id).content
    [doc] = [d for d in dossier_documents(dossier=dossier) if d.kind == "property"]
    assert doc.read() == expected
    assert doc.sha256 == kept.sha256
    events = dossier.events.filter(kind=EventKind.LINK_ADDED)
    assert [e.summary for e in events] == [f"Vastgoedinformatie toegevoegd: {plan.title}"]
    # The kept copy is downloadable from the dossier, and the section says it is kept.
    download = client.get(
        reverse("web:dossier_property_download", args=[dossier.reference, kept.pk])
    )
    assert download.status_code == 200
    assert download.content == expected
    section = client.get(reverse("web:dossier_property", args=[dossier.reference]))
    assert "in het dossier" in section.content.decode()


def test_a_text_document_can_be_kept_on_the_dossier(client, handler, dossier):
    heritage = _document(DocumentKind.HERITAGE)
    client.force_login(handler)
    assert _keep(client, dossier, heritage.id).status_code == 302
    assert dossier.property_documents.get().media_type == "text/plain"


def test_a_colleague_without_rights_is_refused(client, dossier, letter_template, handler):
    letter = letters.letter_compose(actor=handler, dossier=dossier, template=letter_template)
    front_desk = UserFactory(front_desk=True)
    client.force_login(front_desk)
    plan = _document(DocumentKind.PLAN)
    refused = _keep(client, dossier, plan.id)
    assert refused.status_code == 403
    assert "Je mag bij dit dossier geen koppeling toevoegen." in refused.content.decode()
    assert _attach(client, dossier, letter, plan.id).status_code == 403
    assert not KeptPropertyDocument.objects.exists()
    letter.refresh_from_db()
    assert letter.attachments == []
    assert not dossier.events.filter(kind=EventKind.LINK_ADDED).exists()


def test_platform_down_while_adding_keeps_nothing(client, handler, dossier):
    FakePropertySource.outage = True
    client.force_login(handler)
    response = _keep(client, dossier, "plan-1")
    assert response.status_code == 503
    assert "antwoordt niet" in response.content.decode()
    assert not KeptPropertyDocument.objects.exists()


def test_an_unknown_document_is_a_clear_error(client, handler, dossier):
    client.force_login(handler)
    response = _keep(client, dossier, "plan-99")
    assert response.status_code == 400
    assert "bestaat niet (meer)" in response.content.decode()


def test_only_pdfs_go_with_a_letter(client, handler, dossier, letter_template):
    letter = letters.letter_compose(actor=handler, dossier=dossier, template=letter_template)
    client.force_login(handler)
    response = _attach(client, dossier, letter, _document(DocumentKind.HERITAGE).id)
    assert response.status_code == 400
    assert "Alleen PDF-documenten" in response.content.decode()
    letter.refresh_from_db()
    assert letter.attachments == []


def test_a_letter_of_another_dossier_is_refused(
    client, handler, dossier, dossier_type, citizen, letter_template
):
    from tests.factories import open_dossier

    other = open_dossier(dossier_type=dossier_type, requester=citizen, subject="Andere vraag")
    foreign = letters.letter_compose(actor=handler, dossier=other, template=letter_template)
    client.force_login(handler)
    response = _attach(client, dossier, foreign, "plan-1")
    assert response.status_code == 400
    assert "Kies een ontwerpbrief van dit dossier." in response.content.decode()
    foreign.refresh_from_db()
    assert foreign.attachments == []


def _send(client, handler, dossier, letter_template, *document_ids):
    letter = letters.letter_compose(actor=handler, dossier=dossier, template=letter_template)
    client.force_login(handler)
    for document_id in document_ids:
        assert _attach(client, dossier, letter, document_id).status_code == 302
    letter = letters.letter_submit(actor=handler, letter=Letter.objects.get(pk=letter.pk))
    assert letter.state == LetterState.QUEUED
    message = OutboxMessage.objects.get(idempotency_key=letter.outbox_key)
    assert outbox_deliver(message_id=message.pk) == "sent"
    return letter


def test_property_documents_attached_to_a_letter_leave_with_the_email(
    client, handler, dossier, letter_template
):
    permit = _document(DocumentKind.PERMIT)
    plan = _document(DocumentKind.PLAN)
    # The permit clicked twice goes along once.
    letter = _send(client, handler, dossier, letter_template, permit.id, permit.id, plan.id)

    [sent] = mail.outbox
    assert sent.to == ["emma.desmet@voorbeeld.example"]
    source = FakePropertySource()
    names = [name for name, _, _ in sent.attachments]
    assert names == [
        f"{dossier.reference}-antwoord.pdf",
        source.fetch(CAPAKEY, permit.id).filename,
        source.fetch(CAPAKEY, plan.id).filename,
    ]
    assert sent.attachments[1][1] == source.fetch(CAPAKEY, permit.id).content
    assert sent.attachments[2][1] == source.fetch(CAPAKEY, plan.id).content
    # The letter says what goes with it, and the timeline says who attached what.
    letter.refresh_from_db()
    assert len(letter.attachments) == 2
    summaries = list(
        dossier.events.filter(kind=EventKind.LETTER_CHANGED).values_list("summary", flat=True)
    )
    assert f"Vastgoedinformatie bijgevoegd bij brief: {permit.title}" in summaries
    assert f"Vastgoedinformatie bijgevoegd bij brief: {plan.title}" in summaries
    # Attaching to a letter keeps no separate copy on the dossier: it is the letter's.
    assert not KeptPropertyDocument.objects.exists()
    kinds = [d.kind for d in dossier_documents(dossier=dossier)]
    assert kinds.count("letter-attachment") == 2


def test_property_documents_attached_to_a_letter_reach_the_ebox_through_magda(
    client, handler, dossier, letter_template, settings
):
    server = FakeDocumentService()
    server.start_in_thread()
    try:
        settings.MAGDA_URL = server.url
        settings.MAGDA_TIMEOUT = 5
        party_set_preference(party=dossier.requester, channel="ebox", ebox_consent=True)
        zoning = _document(DocumentKind.ZONING)
        _send(client, handler, dossier, letter_template, zoning.id)
        [received] = server.state.delivered()
    finally:
        server.stop()
    assert received.channel == "EBOX"
    content = FakePropertySource().fetch(CAPAKEY, zoning.id)
    assert received.documents == [
        (f"{dossier.reference}-antwoord.pdf", received.documents[0][1]),
        (content.filename, len(content.content)),
    ]


def test_a_closed_dossier_takes_no_more_documents(handler, dossier):
    from midoffice.core.errors import UserError
    from midoffice.dossiers.models import Dossier
    from midoffice.propertyinfo.services import property_document_keep

    Dossier.objects.filter(pk=dossier.pk).update(is_open=False)
    dossier.refresh_from_db()
    with pytest.raises(UserError, match="afgesloten dossier"):
        property_document_keep(actor=handler, dossier=dossier, document_id="plan-1")
    assert not KeptPropertyDocument.objects.exists()
