"""Issue 20 #1: a citizen who wrote by e-mail is answered by e-mail, without a consent step.

The rule (``correspondence.channels``): an address the citizen wrote from may be answered
by e-mail; an explicit refusal still wins; eBox keeps needing its own consent; paper is
always possible with an address.
"""

from __future__ import annotations

import datetime as dt

from midoffice.correspondence.channels import (
    EmailPoint,
    PostalLines,
    Reach,
    channel_choose,
    email_pick,
)

ADDRESS = PostalLines("Kastanjedreef", "14", "2640", "Leemdonk")
FALLBACK = ["ebox", "email", "paper"]
WROTE = dt.datetime(2026, 2, 2, 9, 0, tzinfo=dt.UTC)


def test_an_address_the_citizen_wrote_from_is_answered_by_email_without_consent():
    reach = Reach(name="Emma", email="emma@example.org", email_written_from=True)
    choice = channel_choose(reach=reach, fallback=FALLBACK)
    assert choice.channel == "email"
    assert "de burger schreef ons zelf van dit adres" in choice.reason
    assert "geen apart akkoord" in choice.reason


def test_an_address_the_citizen_did_not_write_from_still_needs_an_agreement():
    reach = Reach(name="Emma", email="emma@example.org", address=ADDRESS)
    choice = channel_choose(reach=reach, fallback=FALLBACK)
    assert choice.channel == "paper"
    assert choice.why_not["email"] == (
        "geen akkoord voor e-mail en de burger schreef ons niet van dit adres"
    )
    nothing = channel_choose(reach=Reach(name="Emma", email="e@x.be"), fallback=FALLBACK)
    assert nothing.channel is None
    assert "e-mail: geen akkoord voor e-mail" in nothing.reason


def test_an_explicit_refusal_wins_over_having_written_and_over_a_preference():
    for reach in (
        Reach(
            name="Emma",
            email="emma@example.org",
            email_written_from=True,
            refused=frozenset({"email"}),
            address=ADDRESS,
        ),
        Reach(
            name="Emma",
            preferred="email",
            email="emma@example.org",
            refused=frozenset({"email"}),
            address=ADDRESS,
        ),
    ):
        choice = channel_choose(reach=reach, fallback=FALLBACK)
        assert choice.channel == "paper"
        assert choice.why_not["email"] == "de burger weigerde e-mail"


def test_ebox_keeps_needing_its_own_consent_even_when_the_citizen_wrote_by_email():
    reach = Reach(
        name="Emma",
        preferred="ebox",
        insz="85073003328",
        email="emma@example.org",
        email_written_from=True,
    )
    choice = channel_choose(reach=reach, fallback=FALLBACK)
    assert choice.channel == "email"
    assert choice.why_not["ebox"] == "geen toestemming voor eBox"
    refused = Reach(name="Emma", insz="85073003328", refused=frozenset({"ebox"}), address=ADDRESS)
    assert channel_choose(reach=refused, fallback=FALLBACK).why_not["ebox"] == (
        "de burger weigerde eBox"
    )


def test_paper_is_always_possible_with_an_address():
    reach = Reach(name="Emma", refused=frozenset({"email", "ebox"}), address=ADDRESS)
    assert channel_choose(reach=reach, fallback=["email", "ebox", "paper"]).channel == "paper"


def test_with_consent_the_reason_does_not_talk_about_writing():
    reach = Reach(name="Emma", email="e@x.be", email_consent=True, email_written_from=True)
    choice = channel_choose(reach=reach, fallback=FALLBACK)
    assert choice.channel == "email"
    assert choice.reason == "geen voorkeur opgegeven; terugvalkanaal e-mail"


def test_the_address_an_answer_goes_to():
    primary = EmailPoint("nieuw@example.org", primary=True)
    used = EmailPoint("emma@example.org", last_inbound_at=WROTE)
    older = EmailPoint("oud@example.org", last_inbound_at=WROTE - dt.timedelta(days=30))
    # With an agreement: the primary address, whoever wrote from where.
    assert email_pick([primary, used], agreed=True) == ("nieuw@example.org", False)
    # Without: only an address the citizen wrote from, the most recent one.
    assert email_pick([primary, older, used], agreed=False) == ("emma@example.org", True)
    # The primary one when they wrote from it.
    assert email_pick([used, primary], agreed=False) == ("emma@example.org", True)
    # None written from, no agreement: the primary (the rule then says why not).
    assert email_pick([primary], agreed=False) == ("nieuw@example.org", False)
    assert email_pick([], agreed=True) == ("", False)
