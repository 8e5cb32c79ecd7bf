"""Both sign-in doors against a real OpenID provider in its own process (ADR 25).

The provider is django-oidc-provider 0.9 under gunicorn on loopback (``oidc_provider_site``),
not our demo fake: discovery, the authorization endpoint, PKCE, the token endpoint, the
JWKS and its key rotation are that library's. It cannot be told to mint a bad token, so
each bad token here is a genuine one that is wrong *for us*, delivered the way an attacker
would: an ID token the provider issued to another registered client (audience), one the
same keys signed for another issuer (a second tenant sharing keys, as multi-tenant
providers do), one for a nonce the attacker put in the authorization URL, one our clock
sees after its expiry. Where the token has to reach us outside the provider's token
answer, the test swaps it into that answer (a man in the middle); the provider is never
faked.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from authlib.integrations.django_client import DjangoOAuth2App
from django.test import Client
from joserfc import jwt
from joserfc.jwk import RSAKey

from midoffice.accounts.models import Role, User
from midoffice.integrations import oidc
from midoffice.parties.models import Party
from tests.factories import TeamFactory
from tests.integrations.real_oidc import PASSWORD, RealOidcProvider

pytestmark = [pytest.mark.django_db, pytest.mark.once]

HOST = "http://127.0.0.1"
CITIZEN_CALLBACK = f"{HOST}/mijn/aanmelden/oidc/terug/"
STAFF_CALLBACK = f"{HOST}/aanmelden/gemeente/terug/"
OTHER_APP_CALLBACK = "http://127.0.0.1/andere-toepassing/terug/"

SPEC = {
    "people": [
        {
            "username": "emma",
            "password": PASSWORD,
            "given_name": "Emma",
            "family_name": "De Smet",
            "email": "emma.desmet@voorbeeld.example",
        },
        {
            "username": "an",
            "password": PASSWORD,
            "given_name": "An",
            "family_name": "Claes",
            "email": "an.claes@gemeente.example",
            "groups": ["sg-midoffice-omgeving"],
        },
    ],
    "clients": [
        {
            "client_id": "midoffice-citizen",
            "client_secret": "citizen-secret",
            "redirect_uris": [CITIZEN_CALLBACK],
        },
        {
            "client_id": "midoffice-staff",
            "client_secret": "staff-secret",
            "redirect_uris": [STAFF_CALLBACK],
        },
        {
            "client_id": "other-app",
            "client_secret": "other-secret",
            "redirect_uris": [OTHER_APP_CALLBACK],
        },
    ],
}


@pytest.fixture(scope="module")
def provider(tmp_path_factory) -> Iterator[RealOidcProvider]:
    started = RealOidcProvider(tmp_path_factory.mktemp("oidc-provider"), SPEC).start()
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture(autouse=True)
def _fresh_clients() -> Iterator[None]:
    """Each test discovers the provider (and fetches its keys) afresh."""
    oidc._clients.clear()
    yield
    oidc._clients.clear()


@pytest.fixture
def citizen_door(settings, provider) -> RealOidcProvider:
    settings.OIDC_ISSUER = provider.issuer
    settings.OIDC_CLIENT_ID = "midoffice-citizen"
    settings.OIDC_CLIENT_SECRET = "citizen-secret"
    return provider


@pytest.fixture
def staff_door(settings, provider, team) -> RealOidcProvider:
    settings.STAFF_OIDC_ISSUER = provider.issuer
    settings.STAFF_OIDC_CLIENT_ID = "midoffice-staff"
    settings.STAFF_OIDC_CLIENT_SECRET = "staff-secret"
    settings.STAFF_OIDC_GROUP_MAP = json.dumps(
        {"sg-midoffice-omgeving": {"role": "handler", "teams": ["omgeving"]}}
    )
    TeamFactory(code="burgerzaken", name="Burgerzaken")
    return provider


DOORS = {
    "citizen": ("/mijn/aanmelden/oidc/?next=/mijn/", "emma", "/mijn/"),
    "staff": ("/aanmelden/gemeente/?next=/", "an", "/"),
}


def _start(client: Client, door: str) -> str:
    start = client.get(DOORS[door][0])
    assert start.status_code == 302, start.content[:300]
    return str(start["Location"])


def _come_back(client: Client, callback: str):
    return client.get(callback.removeprefix(HOST))


def _sign_in(client: Client, provider: RealOidcProvider, door: str, **change: str | None):
    authorize_url = _start(client, door)
    callback = provider.authorize(provider.browser(DOORS[door][1]), authorize_url, **change)
    return _come_back(client, callback)


def _signed_in(client: Client, door: str) -> bool:
    if door == "citizen":
        return client.get("/mijn/").status_code == 200
    return client.session.get("_auth_user_id") is not None


def _nothing_written(door: str) -> None:
    if door == "citizen":
        assert not Party.objects.filter(family_name="De Smet").exists()
    else:
        assert not User.objects.filter(username="an").exists()


def _refused(client: Client, answer, door: str, caplog, because: str) -> None:
    reasons = " ".join(str(r.exc_info[1]) for r in caplog.records if r.exc_info)
    assert because in reasons, reasons
    assert answer.status_code == 502
    assert "Aanmelden is niet gelukt" in answer.content.decode()
    assert not _signed_in(client, door)
    _nothing_written(door)


def _swap_id_token(monkeypatch, id_token: str | None = None, *, reseal=None) -> None:
    """Stand in the middle of the token answer: replace its ID token."""
    original = DjangoOAuth2App.fetch_access_token

    def fetch(self, *args: Any, **kwargs: Any):
        token = original(self, *args, **kwargs)
        token["id_token"] = id_token if id_token is not None else reseal(token["id_token"])
        return token

    monkeypatch.setattr(DjangoOAuth2App, "fetch_access_token", fetch)


# --- the good round trip -------------------------------------------------------------


def test_citizen_code_flow_with_pkce_through_our_views(citizen_door):
    client = Client(HTTP_HOST="127.0.0.1")
    authorize_url = _start(client, "citizen")
    assert authorize_url.startswith(f"{citizen_door.issuer}/authorize?")
    for part in ("code_challenge_method=S256", "code_challenge=", "state=", "nonce="):
        assert part in authorize_url
    answer = _come_back(client, citizen_door.authorize(citizen_door.browser("emma"), authorize_url))
    assert answer.status_code == 302
    assert answer["Location"] == "/mijn/"
    emma = Party.objects.get(family_name="De Smet")
    assert emma.insz == "86031412323"
    assert emma.given_name == "Emma"
    assert _signed_in(client, "citizen")


def test_staff_code_flow_with_pkce_maps_the_group(staff_door):
    client = Client(HTTP_HOST="127.0.0.1")
    answer = _sign_in(client, staff_door, "staff")
    assert answer.status_code == 302, answer.content[:500]
    an = User.objects.get(username="an")
    assert an.is_sso
    assert an.role == Role.HANDLER
    assert list(an.teams.values_list("code", flat=True)) == ["omgeving"]
    assert an.sso_subject.startswith(staff_door.issuer + "|")
    assert _signed_in(client, "staff")


@pytest.mark.parametrize("door", ["citizen", "staff"])
def test_a_verifier_that_does_not_match_the_challenge_is_refused_by_the_provider(
    door, citizen_door, staff_door, caplog
):
    """PKCE: the provider itself refuses the code for another verifier."""
    client = Client(HTTP_HOST="127.0.0.1")
    authorize_url = _start(client, door)
    session = client.session
    (key,) = [k for k in session.keys() if k.startswith("_state_")]  # noqa: SIM118
    pending = session[key]
    pending["data"]["code_verifier"] = "not-the-verifier-that-made-the-challenge-0123456789"
    session[key] = pending
    session.save()
    callback = citizen_door.authorize(citizen_door.browser(DOORS[door][1]), authorize_url)
    _refused(client, _come_back(client, callback), door, caplog, because="invalid_grant")


# --- tokens that are genuine but wrong for us --------------------------------------------


@pytest.mark.parametrize("door", ["citizen", "staff"])
def test_an_id_token_the_provider_issued_to_another_client_is_refused(
    door, citizen_door, staff_door, monkeypatch, caplog
):
    client = Client(HTTP_HOST="127.0.0.1")
    authorize_url = _start(client, door)
    browser = citizen_door.browser(DOORS[door][1])
    nonce = dict(p.split("=", 1) for p in authorize_url.split("?", 1)[1].split("&"))["nonce"]
    theirs = citizen_door.code_flow_tokens(
        browser,
        client_id="other-app",
        secret="other-secret",
        redirect_uri=OTHER_APP_CALLBACK,
        nonce=nonce,
    )
    assert (
        jwt.decode(theirs["id_token"], _any_key(theirs["id_token"], citizen_door)).claims["aud"]
        == "other-app"
    )
    _swap_id_token(monkeypatch, theirs["id_token"])
    callback = citizen_door.authorize(browser, authorize_url)
    _refused(client, _come_back(client, callback), door, caplog, because="'aud'")


@pytest.mark.parametrize("door", ["citizen", "staff"])
def test_an_id_token_of_another_issuer_with_the_same_keys_is_refused(
    door, citizen_door, staff_door, tmp_path, monkeypatch, caplog
):
    """A second tenant of a provider signs with the same keys (multi-tenant providers do):
    its token verifies, but it is not our issuer's."""
    tenant = RealOidcProvider(tmp_path).start(copy_of=citizen_door)
    try:
        client = Client(HTTP_HOST="127.0.0.1")
        authorize_url = _start(client, door)
        # The same sign-in, at the other tenant (same clients, same people, same keys).
        elsewhere = authorize_url.replace(citizen_door.issuer, tenant.issuer, 1)
        callback = tenant.authorize(tenant.browser(DOORS[door][1]), elsewhere)
        code = callback.split("code=", 1)[1].split("&", 1)[0]
        client_id, secret, redirect_uri = (
            ("midoffice-citizen", "citizen-secret", CITIZEN_CALLBACK)
            if door == "citizen"
            else ("midoffice-staff", "staff-secret", STAFF_CALLBACK)
        )
        import requests

        theirs = requests.post(
            f"{tenant.issuer}/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri,
                "code_verifier": _verifier(client),
            },
            auth=(client_id, secret),
            timeout=5,
        ).json()
        _swap_id_token(monkeypatch, theirs["id_token"])
        # Our own sign-in at our issuer, answered with the other tenant's ID token.
        ours = citizen_door.authorize(citizen_door.browser(DOORS[door][1]), authorize_url)
        _refused(client, _come_back(client, ours), door, caplog, because="'iss'")
    finally:
        tenant.stop()


@pytest.mark.parametrize("door", ["citizen", "staff"])
def test_a_nonce_put_in_the_authorization_url_by_someone_else_is_refused(
    door, citizen_door, staff_door, caplog
):
    """Injection: the provider honestly signs the nonce it was sent; it is not ours."""
    client = Client(HTTP_HOST="127.0.0.1")
    answer = _sign_in(client, citizen_door, door, nonce="a-nonce-of-the-attackers-own-sign-in")
    _refused(client, answer, door, caplog, because="'nonce'")


@pytest.mark.parametrize("door", ["citizen", "staff"])
def test_an_authorization_url_stripped_of_its_nonce_is_refused(
    door, citizen_door, staff_door, caplog
):
    """The provider then issues an ID token without a nonce (allowed for the code flow)."""
    client = Client(HTTP_HOST="127.0.0.1")
    answer = _sign_in(client, citizen_door, door, nonce=None)
    _refused(client, answer, door, caplog, because="'nonce'")


@pytest.mark.parametrize("door", ["citizen", "staff"])
def test_an_expired_id_token_is_refused(door, citizen_door, staff_door, settings, tmp_path, caplog):
    """The same provider (a copy: same keys, clients, people) whose ID tokens expired an
    hour before they are issued, as a provider with its clock an hour behind would."""
    late = RealOidcProvider(tmp_path, id_token_lifetime=-3600).start(copy_of=citizen_door)
    try:
        if door == "citizen":
            settings.OIDC_ISSUER = late.issuer
        else:
            settings.STAFF_OIDC_ISSUER = late.issuer
        client = Client(HTTP_HOST="127.0.0.1")
        _refused(client, _sign_in(client, late, door), door, caplog, because="expired")
    finally:
        late.stop()


# --- keys ----------------------------------------------------------------------------------


@pytest.mark.parametrize("door", ["citizen", "staff"])
def test_after_key_rotation_the_new_kid_is_fetched_and_accepted(door, citizen_door, staff_door):
    first = Client(HTTP_HOST="127.0.0.1")
    assert _sign_in(first, citizen_door, door).status_code == 302
    assert _signed_in(first, door)
    before = citizen_door.kids()
    citizen_door.rotate_key()
    after = citizen_door.kids()
    assert len(after) == 1
    assert after[0] not in before
    # The cached client still holds the old JWKS; the new kid makes it fetch again.
    second = Client(HTTP_HOST="127.0.0.1")
    answer = _sign_in(second, citizen_door, door)
    assert answer.status_code == 302, answer.content[:500]
    assert _signed_in(second, door)


@pytest.mark.parametrize("door", ["citizen", "staff"])
def test_a_token_with_a_kid_the_provider_does_not_publish_is_refused(
    door, citizen_door, staff_door, monkeypatch, caplog
):
    """Even after fetching the JWKS again: an unknown kid stays unknown."""
    stranger = RSAKey.generate_key(2048, parameters={"kid": "not-the-providers-key"})

    def reseal(genuine: str) -> str:
        claims = jwt.decode(genuine, _any_key(genuine, citizen_door)).claims
        return jwt.encode({"alg": "RS256", "kid": "not-the-providers-key"}, claims, stranger)

    _swap_id_token(monkeypatch, reseal=reseal)
    fetched: list[bool] = []
    original = DjangoOAuth2App.fetch_jwk_set

    def fetch_jwk_set(self, force: bool = False):
        fetched.append(force)
        return original(self, force=force)

    monkeypatch.setattr(DjangoOAuth2App, "fetch_jwk_set", fetch_jwk_set)
    client = Client(HTTP_HOST="127.0.0.1")
    answer = _sign_in(client, citizen_door, door)
    assert True in fetched  # it did look again
    _refused(client, answer, door, caplog, because="")


# --- the provider down -------------------------------------------------------------------


@pytest.mark.parametrize("door", ["citizen", "staff"])
def test_a_provider_that_is_down_at_the_start_gets_a_clear_dutch_page(door, settings):
    down = "http://127.0.0.1:9"  # discard port: nothing listens
    settings.OIDC_ISSUER = settings.STAFF_OIDC_ISSUER = down
    settings.OIDC_CLIENT_ID = settings.STAFF_OIDC_CLIENT_ID = "midoffice"
    client = Client(HTTP_HOST="127.0.0.1")
    answer = client.get(DOORS[door][0])
    assert answer.status_code == 502
    assert "niet bereikbaar" in answer.content.decode()
    assert not _signed_in(client, door)


@pytest.mark.parametrize("door", ["citizen", "staff"])
def test_a_provider_that_goes_down_between_authorization_and_token_writes_nothing(
    door, citizen_door, staff_door, settings, tmp_path, caplog
):
    own = RealOidcProvider(tmp_path).start(copy_of=citizen_door)
    try:
        if door == "citizen":
            settings.OIDC_ISSUER = own.issuer
        else:
            settings.STAFF_OIDC_ISSUER = own.issuer
        client = Client(HTTP_HOST="127.0.0.1")
        callback = own.authorize(own.browser(DOORS[door][1]), _start(client, door))
    finally:
        own.stop()
    _refused(client, _come_back(client, callback), door, caplog, because="ConnectionError")


# --- helpers ---------------------------------------------------------------------------


def _any_key(token: str, provider: RealOidcProvider):
    """The provider's published key set (to read a genuine token in the test)."""
    import requests
    from joserfc.jwk import KeySet

    return KeySet.import_key_set(requests.get(f"{provider.issuer}/jwks", timeout=5).json())


def _verifier(client: Client) -> str:
    session = client.session
    (key,) = [k for k in session.keys() if k.startswith("_state_")]  # noqa: SIM118
    return str(session[key]["data"]["code_verifier"])
