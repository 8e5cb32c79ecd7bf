"""The citizen login's protocol checks, now Authlib's (ADR 25), against the fake provider.

Each test tampers with one thing the relying party must check and shows the sign-in is
refused and nobody is signed in.
"""

from __future__ import annotations

import time

import pytest
from django.test import Client

from midoffice.parties.models import Party
from tests.portal.test_signin import _choose_citizen

pytestmark = pytest.mark.django_db

HOST = "http://127.0.0.1"


def _sign_in(client: Client, index: int = 0):
    """Start, pick a demo citizen at the fake provider, come back: the callback's answer."""
    start = client.get("/mijn/aanmelden/oidc/?next=/mijn/")
    assert start.status_code == 302
    callback = _choose_citizen(start["Location"], index=index)
    return client.get(callback.removeprefix(HOST))


def _refused(client: Client, answer, caplog=None, because: str = "") -> None:
    if caplog is not None:
        reasons = " ".join(str(r.exc_info[1]) for r in caplog.records if r.exc_info)
        assert because in reasons
    assert answer.status_code in (400, 502)
    assert "niet gelukt" in answer.content.decode() or "verlopen" in answer.content.decode()
    assert client.get("/mijn/").status_code == 302  # still not signed in


def test_the_authorization_request_carries_pkce_state_and_nonce(fake_oidc):
    start = Client(HTTP_HOST="127.0.0.1").get("/mijn/aanmelden/oidc/")
    location = start["Location"]
    for part in ("code_challenge=", "code_challenge_method=S256", "state=", "nonce="):
        assert part in location


def test_a_good_sign_in_then_works(fake_oidc, emma_dossier, caplog):
    client = Client(HTTP_HOST="127.0.0.1")
    assert _sign_in(client)["Location"] == "/mijn/"
    assert "Renovatie van ons huis" in client.get("/mijn/").content.decode()


def test_a_wrong_pkce_verifier_is_refused_by_the_provider(fake_oidc, emma_dossier, caplog):
    client = Client(HTTP_HOST="127.0.0.1")
    start = client.get("/mijn/aanmelden/oidc/")
    callback = _choose_citizen(start["Location"], index=0)
    session = client.session
    # SessionBase has keys() but no __iter__.
    (key,) = [k for k in session.keys() if k.startswith("_state_citizen_")]  # noqa: SIM118
    pending = session[key]
    pending["data"]["code_verifier"] = "not-the-verifier-that-made-the-challenge-0123456789"
    session[key] = pending
    session.save()
    _refused(client, client.get(callback.removeprefix(HOST)), caplog, because="PKCE")


def test_a_nonce_mismatch_is_refused(fake_oidc, emma_dossier, caplog):
    fake_oidc.id_token_overrides = {"nonce": "a-nonce-of-another-sign-in"}
    client = Client(HTTP_HOST="127.0.0.1")
    _refused(client, _sign_in(client), caplog, because="'nonce'")


def test_an_id_token_without_nonce_is_refused(fake_oidc, emma_dossier, caplog):
    fake_oidc.id_token_overrides = {"nonce": ""}
    client = Client(HTTP_HOST="127.0.0.1")
    _refused(client, _sign_in(client), caplog, because="'nonce'")


def test_an_expired_id_token_is_refused(fake_oidc, emma_dossier, caplog):
    now = int(time.time())
    fake_oidc.id_token_overrides = {"iat": now - 7200, "exp": now - 3600}
    client = Client(HTTP_HOST="127.0.0.1")
    _refused(client, _sign_in(client), caplog, because="ExpiredTokenError")


def test_an_id_token_signed_with_another_key_is_refused(fake_oidc, emma_dossier, caplog):
    fake_oidc.stranger_key = True
    client = Client(HTTP_HOST="127.0.0.1")
    _refused(client, _sign_in(client), caplog, because="BadSignatureError")


def test_an_id_token_for_another_client_is_refused(fake_oidc, emma_dossier, caplog):
    fake_oidc.id_token_overrides = {"aud": "another-client"}
    client = Client(HTTP_HOST="127.0.0.1")
    _refused(client, _sign_in(client), caplog, because="'aud'")


def test_an_id_token_for_another_client_is_refused_even_if_it_names_us_as_azp(
    fake_oidc, emma_dossier, caplog
):
    fake_oidc.id_token_overrides = {"aud": "another-client", "azp": fake_oidc.client_id}
    client = Client(HTTP_HOST="127.0.0.1")
    _refused(client, _sign_in(client), caplog, because="'aud'")


def test_an_id_token_from_another_issuer_is_refused(fake_oidc, emma_dossier, caplog):
    fake_oidc.id_token_overrides = {"iss": "http://127.0.0.1:1/impostor"}
    client = Client(HTTP_HOST="127.0.0.1")
    _refused(client, _sign_in(client), caplog, because="'iss'")
    assert not Party.objects.filter(family_name="Peeters").exists()


def test_a_rotated_provider_key_is_fetched_again(fake_oidc, emma_dossier, caplog):
    first = Client(HTTP_HOST="127.0.0.1")
    assert _sign_in(first).status_code == 302  # the JWKS is now cached
    fake_oidc.rotate_key()
    second = Client(HTTP_HOST="127.0.0.1")
    assert _sign_in(second)["Location"] == "/mijn/"
    assert second.get("/mijn/").status_code == 200


def test_the_claim_mapping_stays_configurable(fake_oidc, settings, db):
    settings.OIDC_RRN_CLAIM = "insz"
    fake_oidc.id_token_overrides = {"insz": fake_oidc.claims(_milan())["rrn"], "rrn": None}
    client = Client(HTTP_HOST="127.0.0.1")
    assert _sign_in(client, index=3).status_code == 302
    assert Party.objects.filter(family_name="Peeters", insz=_milan().rrn).count() == 1


def _milan():
    from midoffice.integrations.fake_oidc.citizens import DEMO_CITIZENS

    return DEMO_CITIZENS[3]
