"""Channel choice: preference first, then the town's fallback order; no address, no letter."""

from __future__ import annotations

from midoffice.correspondence.channels import PostalLines, Reach, channel_choose

ADDRESS = PostalLines("Kastanjedreef", "14", "2640", "Leemdonk")
FALLBACK = ["ebox", "email", "paper"]


def test_the_preferred_channel_wins_when_it_is_usable():
    reach = Reach(
        name="Emma", preferred="ebox", ebox_consent=True, insz="85073003328", email="e@x.be"
    )
    choice = channel_choose(reach=reach, fallback=FALLBACK)
    assert choice.channel == "ebox"
    assert "voorkeurskanaal" in choice.reason


def test_ebox_without_consent_falls_back_to_email():
    reach = Reach(
        name="Emma", preferred="ebox", insz="85073003328", email="e@x.be", email_consent=True
    )
    choice = channel_choose(reach=reach, fallback=FALLBACK)
    assert choice.channel == "email"
    assert "geen toestemming voor eBox" in choice.reason


def test_ebox_needs_a_national_or_enterprise_number():
    reach = Reach(name="Emma", ebox_consent=True, address=ADDRESS)
    choice = channel_choose(reach=reach, fallback=FALLBACK)
    assert choice.channel == "paper"
    assert choice.why_not["ebox"] == "geen rijksregister- of ondernemingsnummer"


def test_email_needs_consent_or_a_preference_for_email():
    reach = Reach(name="Emma", email="e@x.be", address=ADDRESS)
    assert channel_choose(reach=reach, fallback=FALLBACK).channel == "paper"
    preferred = Reach(name="Emma", preferred="email", email="e@x.be")
    assert channel_choose(reach=preferred, fallback=FALLBACK).channel == "email"


def test_a_letter_preference_means_paper():
    reach = Reach(
        name="Emma", preferred="letter", email="e@x.be", email_consent=True, address=ADDRESS
    )
    assert channel_choose(reach=reach, fallback=FALLBACK).channel == "paper"


def test_the_town_sets_the_fallback_order():
    reach = Reach(
        name="Emma", preferred="phone", email="e@x.be", email_consent=True, address=ADDRESS
    )
    assert channel_choose(reach=reach, fallback=["paper", "email"]).channel == "paper"
    assert channel_choose(reach=reach, fallback=["email", "paper"]).channel == "email"


def test_an_incomplete_address_is_not_usable():
    reach = Reach(name="Emma", address=PostalLines("Kastanjedreef", "", "2640", "Leemdonk"))
    choice = channel_choose(reach=reach, fallback=FALLBACK)
    assert choice.channel is None
    assert "geen volledig postadres" in choice.reason


def test_no_usable_address_gives_a_clear_dutch_reason():
    choice = channel_choose(reach=Reach(name="Noor Jacobs"), fallback=FALLBACK)
    assert choice.channel is None
    assert choice.reason.startswith(
        "Deze brief kan niet vertrekken: er is geen bruikbaar adres voor Noor Jacobs"
    )
    assert "eBox: geen toestemming voor eBox" in choice.reason
    assert "e-mail: geen e-mailadres" in choice.reason
