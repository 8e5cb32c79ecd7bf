"""Sign-in both ways: OIDC against the fake provider, and the mailed single-use link."""

from __future__ import annotations

import re
import urllib.error
import urllib.parse
import urllib.request
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from midoffice.parties.models import Party
from midoffice.portal.models import SignInLink

pytestmark = pytest.mark.django_db


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _choose_citizen(authorize_url: str, index: int) -> str:
    """Play the citizen at the fake provider: pick a demo citizen, return the redirect."""
    params = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(authorize_url).query))
    with urllib.request.urlopen(authorize_url, timeout=5) as page:  # noqa: S310 - loopback fake
        assert "Kies een fictieve burger" in page.read().decode()
    base = authorize_url.split("?", 1)[0]
    data = urllib.parse.urlencode({**params, "citizen": str(index)}).encode()
    opener = urllib.request.build_opener(_NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as answer:
        opener.open(urllib.request.Request(base, data=data, method="POST"), timeout=5)  # noqa: S310 - loopback fake
    assert answer.value.code == 302
    return answer.value.headers["Location"]


def test_oidc_sign_in_with_the_fake_provider_shows_my_dossiers(fake_oidc, emma_dossier):
    client = Client(HTTP_HOST="127.0.0.1")
    start = client.get("/mijn/aanmelden/oidc/?next=/mijn/")
    assert start.status_code == 302
    assert start["Location"].startswith(f"{fake_oidc.issuer}/authorize?")
    assert "code_challenge_method=S256" in start["Location"]
    callback = _choose_citizen(start["Location"], index=0)  # Emma
    assert callback.startswith("http://127.0.0.1/mijn/aanmelden/oidc/terug/?")
    landed = client.get(callback.removeprefix("http://127.0.0.1"))
    assert landed.status_code == 302
    assert landed["Location"] == "/mijn/"
    page = client.get("/mijn/")
    assert page.status_code == 200
    assert "Renovatie van ons huis" in page.content.decode()
    # The code works once: replaying the callback fails.
    assert client.get(callback.removeprefix("http://127.0.0.1")).status_code == 400


def test_oidc_sign_in_of_an_unknown_citizen_makes_a_contact_without_dossiers(fake_oidc, db):
    client = Client(HTTP_HOST="127.0.0.1")
    start = client.get("/mijn/aanmelden/oidc/")
    callback = _choose_citizen(start["Location"], index=3)  # Milan: no contact yet
    assert client.get(callback.removeprefix("http://127.0.0.1")).status_code == 302
    assert Party.objects.filter(family_name="Peeters", insz__isnull=False).count() == 1
    assert "geen dossiers" in client.get("/mijn/").content.decode()


def test_oidc_callback_with_a_forged_state_is_refused(fake_oidc, emma_dossier):
    client = Client(HTTP_HOST="127.0.0.1")
    start = client.get("/mijn/aanmelden/oidc/")
    callback = _choose_citizen(start["Location"], index=0)
    forged = re.sub(r"state=[^&]+", "state=forged", callback)
    assert client.get(forged.removeprefix("http://127.0.0.1")).status_code == 400
    assert client.get("/mijn/").status_code == 302  # still not signed in


def test_oidc_provider_down_is_a_clear_message(settings, db):
    settings.OIDC_ISSUER = "http://127.0.0.1:9"
    settings.OIDC_CLIENT_ID = "x"
    answer = Client().get("/mijn/aanmelden/oidc/")
    assert answer.status_code == 502
    assert "niet bereikbaar" in answer.content.decode()


def _link_from_mail() -> str:
    match = re.search(r"http://\S+/mijn/aanmelden/link/(\S+)/", mail.outbox[-1].body)
    assert match
    return f"/mijn/aanmelden/link/{match.group(1)}/"


def test_sign_in_link_is_single_use(client, emma_dossier, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post("/mijn/aanmelden/", {"email": "Emma.DeSmet@voorbeeld.example"})
    assert answer.status_code == 200
    assert "Kijk in je mailbox" in answer.content.decode()
    assert mail.outbox[-1].to == ["Emma.DeSmet@voorbeeld.example"]
    link = _link_from_mail()
    assert client.get(link).status_code == 200  # a mail scanner's GET does not use it
    assert client.post(link).status_code == 302
    assert "Renovatie van ons huis" in client.get("/mijn/").content.decode()
    assert Client().post(link).status_code == 410
    assert SignInLink.objects.get().used_at is not None


def test_sign_in_link_expires(client, emma_dossier, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/mijn/aanmelden/", {"email": "emma.desmet@voorbeeld.example"})
    SignInLink.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.post(_link_from_mail()).status_code == 410
    assert client.get("/mijn/").status_code == 302


def test_unknown_address_gets_the_same_answer_and_no_mail(client, emma_dossier):
    answer = client.post("/mijn/aanmelden/", {"email": "niemand@voorbeeld.example"})
    assert answer.status_code == 200
    assert "Kijk in je mailbox" in answer.content.decode()
    assert mail.outbox == []


def test_sign_in_links_are_rate_limited_per_address(client, emma_dossier, settings):
    settings.PORTAL_LINKS_PER_HOUR = 3
    for _ in range(3):
        assert (
            client.post("/mijn/aanmelden/", {"email": "emma.desmet@voorbeeld.example"}).status_code
            == 200
        )
    refused = client.post("/mijn/aanmelden/", {"email": "emma.desmet@voorbeeld.example"})
    assert refused.status_code == 429
    assert "Probeer het over een uur opnieuw" in refused.content.decode()
    assert SignInLink.objects.count() == 3


def test_anonymous_visitors_are_sent_to_sign_in(client, emma_dossier):
    answer = client.get(f"/mijn/dossiers/{emma_dossier.reference}")
    assert answer.status_code == 302
    assert answer["Location"].startswith("/mijn/aanmelden/?next=")


def test_the_mailed_link_brings_the_citizen_where_she_wanted_to_go(
    client, emma_dossier, django_capture_on_commit_callbacks
):
    """Issue 20 #10: the government login kept the page; the mailed link dropped it."""
    wanted = f"/mijn/dossiers/{emma_dossier.reference}"
    answer = client.get(wanted)
    assert answer.status_code == 302
    signin_page = answer["Location"]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(signin_page, {"email": "emma.desmet@voorbeeld.example", "next": wanted})
    body = mail.outbox[-1].body
    match = re.search(r"http://\S+(/mijn/aanmelden/link/\S+)", body)
    assert match
    assert "next=" in match.group(1)
    link = match.group(1)
    assert f'value="{wanted}"' in client.get(link).content.decode()
    answer = client.post(link, {"next": wanted})
    assert answer.status_code == 302
    assert answer["Location"] == wanted


def test_a_foreign_next_in_the_link_is_ignored(
    client, emma_dossier, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/mijn/aanmelden/", {"email": "emma.desmet@voorbeeld.example"})
    link = _link_from_mail()
    answer = client.post(link + "?next=https://evil.example/mijn/", {"next": "//evil.example"})
    assert answer["Location"] == "/mijn/"


def test_portal_mail_carries_a_message_id_of_the_town(
    client, emma_dossier, django_capture_on_commit_callbacks, settings
):
    settings.DEFAULT_FROM_EMAIL = "Gemeente Leemdonk <noreply@leemdonk.example>"
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/mijn/aanmelden/", {"email": "emma.desmet@voorbeeld.example"})
    message_id = mail.outbox[-1].message()["Message-ID"]
    assert message_id.endswith("@leemdonk.example>")
    assert "localhost" not in message_id
