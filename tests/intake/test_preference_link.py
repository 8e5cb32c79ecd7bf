"""Issue 20 #6: the preference links in the acknowledgement are scanner-safe.

Mail security scanners open every link of a mail with a GET. A GET therefore only shows
the choice and a button; the POST (with its CSRF token) stores it. The page is the
portal's, with the town's name and a way on to the dossier.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from midoffice.core.models import OutboxMessage
from midoffice.intake import services
from midoffice.intake.acknowledgement import preference_token
from midoffice.parties.models import Consent, Party, PartyChange
from tests.intake.conftest import make_mail, receive


@pytest.fixture
def source(triage_type, settings):
    settings.TOWN_NAME = "Gemeente Leemdonk"
    return services.mail_source_for(kind="import")


@pytest.fixture
def mailed(source):
    """A citizen's question, acknowledged: the four links as they are in the mail."""
    message = receive(make_mail(), source)
    text = OutboxMessage.objects.get().payload["text"]
    paths = re.findall(r"https?://[^\s/]+(/intake/voorkeur/[^\s\"<]+)", text)
    assert len(paths) == 4
    return message, paths


def test_a_scanner_opening_every_link_changes_nothing(mailed):
    message, paths = mailed
    scanner = Client()
    for path in paths:
        response = scanner.get(path)
        assert response.status_code == 200
        assert "Bevestig mijn keuze" in response.content.decode()
    emma = Party.objects.get(pk=message.dossier.requester_id)
    assert emma.preferred_channel == ""
    assert not emma.ebox_consent
    assert not Consent.objects.exists()
    assert not PartyChange.objects.exists()


def test_the_button_stores_the_choice_with_its_csrf_token(mailed):
    message, paths = mailed
    ebox = next(p for p in paths if "eBox" in _page(Client(), p))
    citizen = Client(enforce_csrf_checks=True)
    page = citizen.get(ebox)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
    assert citizen.post(ebox).status_code == 403  # a bare POST, no token: refused
    answer = citizen.post(ebox, {"csrfmiddlewaretoken": token.group(1)})
    assert answer.status_code == 200
    body = answer.content.decode()
    assert "Bedankt voor je keuze" in body
    assert "in je eBox" in body
    emma = Party.objects.get(pk=message.dossier.requester_id)
    assert emma.preferred_channel == "ebox"
    assert emma.ebox_consent is True
    consent = Consent.objects.get(party=emma)
    assert (consent.channel, consent.granted, consent.source) == ("ebox", True, "link")


def test_the_page_is_the_portals_with_the_town_and_the_dossier(mailed):
    message, paths = mailed
    reference = message.dossier.reference
    body = _page(Client(), paths[0])
    assert "<title>Hoe wil je dat we contact met je opnemen? – Gemeente Leemdonk</title>" in body
    assert "portal/portal." in body  # the portal's style sheet
    assert "<script" not in body  # strict CSP: nothing inline
    done = Client().post(paths[0]).content.decode()
    dossier_url = reverse("portal:dossier", args=[reference])
    assert f'href="{dossier_url}"' in done
    assert f"Bekijk je dossier {reference}" in done


def test_an_old_link_without_a_dossier_leads_to_the_dossier_list(source):
    message = receive(make_mail(), source)
    token = preference_token(party=message.dossier.requester, channel="letter")
    done = Client().post(reverse("intake:preference", args=[token])).content.decode()
    assert f'href="{reverse("portal:home")}"' in done
    assert "Bekijk je dossiers" in done


def test_a_tampered_or_expired_link_answers_a_clear_dutch_page(mailed, monkeypatch):
    message, paths = mailed
    client = Client()
    for method in (client.get, client.post):
        broken = method(paths[0][:-3] + "xx/")
        assert broken.status_code == 400
        assert "Deze link werkt niet" in broken.content.decode()
    import midoffice.intake.acknowledgement as ack

    monkeypatch.setattr(ack, "PREFERENCE_MAX_AGE", ack.dt.timedelta(seconds=-1))
    for method in (client.get, client.post):
        expired = method(paths[0])
        assert expired.status_code == 410
        assert "Deze link is verlopen" in expired.content.decode()
    assert Party.objects.get(pk=message.dossier.requester_id).preferred_channel == ""


def _page(client: Client, path: str) -> str:
    return client.get(path).content.decode()
