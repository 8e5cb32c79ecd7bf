"""Issue 20 #1: the intake remembers the address a citizen wrote from, and an answer goes
back there by e-mail without a consent step (unless the citizen refused e-mail)."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
from django.apps import apps

from midoffice.correspondence.models import Letter
from midoffice.correspondence.services import letter_choose_channel
from midoffice.intake import services
from midoffice.parties.models import Consent, ContactPoint, Party
from midoffice.parties.services import party_add_email, party_record_consent
from tests.factories import UserFactory
from tests.intake.conftest import make_mail, receive


@pytest.fixture
def source(triage_type, settings):
    settings.CHANNEL_FALLBACK = ["ebox", "email", "paper"]
    return services.mail_source_for(kind="import")


def _letter(dossier) -> Letter:
    return Letter.objects.create(
        dossier=dossier, recipient=dossier.requester, subject="Antwoord", body="Beste, …"
    )


def test_a_citizen_who_wrote_by_email_is_answered_by_email(source):
    message = receive(make_mail(), source)
    emma = message.dossier.requester
    point = emma.contact_points.get(kind=ContactPoint.Kind.EMAIL)
    assert point.last_inbound_at == message.created_at
    assert not emma.email_consent
    assert emma.preferred_channel == ""

    choice = letter_choose_channel(letter=_letter(message.dossier))
    assert choice.channel == "email"
    assert "de burger schreef ons zelf van dit adres" in choice.reason


def test_a_reply_from_another_address_of_the_contact_counts_too(source):
    message = receive(make_mail(), source)
    emma = message.dossier.requester
    work = party_add_email(party=emma, email="emma@werk.example", primary=True)
    # The primary address was never written from: the answer goes where she wrote from.
    assert letter_choose_channel(letter=_letter(message.dossier)).channel == "email"
    from midoffice.correspondence.selectors import party_reach

    assert party_reach(party=emma).email == "emma.peeters@example.org"
    ref = message.dossier.reference
    receive(make_mail(subject=f"Re: [{ref}] vraag", sender="Emma <emma@werk.example>"), source)
    work.refresh_from_db()
    assert work.last_inbound_at is not None
    assert party_reach(party=emma).email == "emma@werk.example"


def test_a_refusal_recorded_by_staff_stops_email(source, team):
    message = receive(make_mail(), source)
    emma = message.dossier.requester
    party_record_consent(
        actor=UserFactory(teams=[team]),
        party=emma,
        channel="email",
        granted=False,
        given_on=dt.date(2026, 2, 3),
        source=Consent.Source.PHONE,
    )
    choice = letter_choose_channel(letter=_letter(message.dossier))
    assert choice.channel is None
    assert "e-mail: de burger weigerde e-mail" in choice.reason


def test_a_transport_address_is_not_taken_for_the_citizens_own(source):
    # No From: the intake answers the Return-Path (the acknowledgement goes there), but
    # that is the mail system's address, not one the citizen wrote from.
    raw = make_mail(headers={"Return-Path": "<bounces@formulier.example>"})
    raw = raw.replace(b"From: Emma Peeters <emma.peeters@example.org>\n", b"")
    message = receive(raw, source)
    requester = message.dossier.requester
    assert requester.contact_points.get().value == "bounces@formulier.example"
    assert requester.contact_points.get().last_inbound_at is None


def test_the_migration_marks_the_addresses_of_mail_received_before(source):
    first = receive(make_mail(), source)
    receive(make_mail(sender="Jan <jan@example.org>", subject="Andere vraag"), source)
    ContactPoint.objects.update(last_inbound_at=None)
    migration = importlib.import_module(
        "midoffice.parties.migrations.0003_backfill_last_inbound_from_received_mail"
    )
    migration.backfill(apps, None)
    emma = Party.objects.get(pk=first.dossier.requester_id)
    assert emma.contact_points.get().last_inbound_at == first.created_at
    assert ContactPoint.objects.filter(last_inbound_at__isnull=False).count() == 2
