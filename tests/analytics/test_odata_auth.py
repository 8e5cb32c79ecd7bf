"""Who may read the OData feed: read-only tokens (Basic password, api_key, Bearer), 401
for a missing, wrong or revoked one, the audit of every use, the limits, the command and
the admin that make tokens."""

from __future__ import annotations

import base64
import hashlib
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from midoffice.analytics.odata.tokens import odata_token_create, odata_token_revoke
from midoffice.analytics.token_models import ODataToken, ODataTokenUse
from midoffice.core.errors import UserError
from tests.analytics.odata_support import basic, new_key
from tests.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

PATHS = ["/odata/", "/odata/$metadata", "/odata/Dossiers", "/odata/Dossiers/$count"]


def _error(response) -> dict:
    return json.loads(response.content)["error"]


@pytest.mark.parametrize("path", PATHS)
def test_no_token_is_a_401_with_a_basic_challenge(client, path):
    response = client.get(path)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith('Basic realm="Midoffice OData"')
    assert response["OData-Version"] == "4.0"
    assert _error(response)["code"] == "Unauthorized"
    assert "OData-sleutel" in _error(response)["message"]


@pytest.mark.parametrize(
    "credentials",
    [
        basic("mdo_not-a-real-token"),
        {"HTTP_AUTHORIZATION": "Basic !!!not-base64"},
        {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(b"no-colon").decode()},
        {"HTTP_AUTHORIZATION": "Bearer mdo_wrong"},
        {"HTTP_AUTHORIZATION": "Token mdo_wrong"},
    ],
)
def test_a_wrong_token_is_a_401(client, credentials):
    new_key()
    response = client.get("/odata/", **credentials)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Basic ")


def test_the_token_is_the_basic_password_with_any_user_name(client):
    key = new_key()
    for user in ("powerbi", "", "x@y.example"):
        assert client.get("/odata/", **basic(key, user=user)).status_code == 200


def test_the_token_as_api_key_and_as_bearer(client):
    key = new_key()
    assert client.get("/odata/Teams", {"api_key": key}).status_code == 200
    assert client.get("/odata/Teams", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 200
    assert client.get("/odata/Teams", {"api_key": key + "x"}).status_code == 401


def test_the_next_link_does_not_repeat_the_api_key(client, settings):
    settings.ODATA_PAGE_SIZE = 1
    TeamFactory(code="omgeving")
    TeamFactory(code="burgerzaken")
    key = new_key()
    page = json.loads(b"".join(client.get("/odata/Teams", {"api_key": key}).streaming_content))
    assert "api_key" not in page["@odata.nextLink"]
    assert key not in page["@odata.nextLink"]


def test_a_revoked_token_stops_working_at_once(client):
    token, key = odata_token_create(name="Power BI", actor=None)
    assert client.get("/odata/", **basic(key)).status_code == 200
    odata_token_revoke(token=token, actor=None)
    assert client.get("/odata/", **basic(key)).status_code == 401


def test_a_session_is_not_a_credential(client):
    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    assert client.get("/odata/").status_code == 401


def test_only_the_hash_of_the_key_is_stored():
    token, key = odata_token_create(name="Power BI", actor=None)
    assert key.startswith("mdo_")
    assert len(key) >= 40
    stored = ODataToken.objects.get(pk=token.pk)
    assert stored.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key not in {str(v) for v in ODataToken.objects.values().get(pk=token.pk).values()}
    assert stored.key_hint == key[:10]


def test_names_are_unique_and_not_empty():
    odata_token_create(name="Power BI", actor=None)
    with pytest.raises(UserError, match="al een sleutel"):
        odata_token_create(name=" Power BI ", actor=None)
    with pytest.raises(UserError, match="naam"):
        odata_token_create(name="  ", actor=None)


def test_every_use_is_counted_per_token_per_day(client):
    key = new_key("Power BI")
    other = new_key("Excel")
    for _ in range(3):
        client.get("/odata/Teams", **basic(key))
    client.get("/odata/", {"api_key": other})
    client.get("/odata/", **basic("mdo_wrong"))  # refused: counted nowhere
    uses = {u.token.name: u for u in ODataTokenUse.objects.select_related("token")}
    assert uses["Power BI"].requests == 3
    assert uses["Power BI"].last_path == "/odata/Teams"
    assert uses["Power BI"].last_address == "127.0.0.1"
    assert uses["Excel"].requests == 1
    assert ODataTokenUse.objects.count() == 2


def test_a_token_is_limited_per_period(client, settings):
    settings.ODATA_RATE = "2/min"
    key = new_key()
    assert client.get("/odata/", **basic(key)).status_code == 200
    assert client.get("/odata/", **basic(key)).status_code == 200
    response = client.get("/odata/", **basic(key))
    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1
    assert _error(response)["code"] == "TooManyRequests"
    # Another token has its own limit.
    assert client.get("/odata/", **basic(new_key("Excel"))).status_code == 200


def test_guessing_tokens_is_limited_per_address(client, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "2/min", "user": None},
    }
    assert client.get("/odata/", **basic("mdo_guess1")).status_code == 401
    assert client.get("/odata/", **basic("mdo_guess2")).status_code == 401
    assert client.get("/odata/", **basic("mdo_guess3")).status_code == 429


# ------------------------------------------------------------------------- command


def test_command_creates_a_token_and_prints_it_once():
    out, err = io.StringIO(), io.StringIO()
    call_command("analytics", "token", "create", "Power BI Financiën", stdout=out, stderr=err)
    key = out.getvalue().strip()
    assert key.startswith("mdo_")
    assert "niet meer getoond" in err.getvalue()
    assert Client().get("/odata/", **basic(key)).status_code == 200
    listing = io.StringIO()
    call_command("analytics", "token", "list", stdout=listing)
    assert "Power BI Financiën" in listing.getvalue()
    assert key not in listing.getvalue()
    assert key[:10] in listing.getvalue()


def test_command_revokes_and_refuses_a_taken_name():
    out = io.StringIO()
    call_command("analytics", "token", "create", "Power BI", stdout=out, stderr=io.StringIO())
    with pytest.raises(CommandError, match="al een sleutel"):
        call_command("analytics", "token", "create", "Power BI", stdout=io.StringIO())
    call_command("analytics", "token", "revoke", "Power BI", stdout=io.StringIO())
    assert Client().get("/odata/", **basic(out.getvalue().strip())).status_code == 401
    with pytest.raises(CommandError, match="geen OData-sleutel"):
        call_command("analytics", "token", "revoke", "Onbekend", stdout=io.StringIO())


# --------------------------------------------------------------------------- admin


def test_admin_makes_a_token_and_shows_the_key_once(client):
    admin_user = UserFactory(admin=True)
    client.force_login(admin_user)
    assert client.get("/admin/analytics/odatatoken/").status_code == 200
    assert client.get("/admin/analytics/odatatoken/add/").status_code == 200
    response = client.post("/admin/analytics/odatatoken/add/", {"name": "Power BI"})
    assert response.status_code == 200
    page = response.content.decode()
    token = ODataToken.objects.get(name="Power BI")
    assert token.created_by == admin_user
    start = page.index('value="mdo_') + len('value="')
    key = page[start : page.index('"', start)]
    assert hashlib.sha256(key.encode()).hexdigest() == token.key_hash
    assert "no-store" in response["Cache-Control"]
    # Not stored anywhere it could be shown again: the change page has only the hint.
    change = client.get(f"/admin/analytics/odatatoken/{token.pk}/change/").content.decode()
    assert key not in change
    assert token.key_hint in change
    assert Client().get("/odata/", **basic(key)).status_code == 200


def test_admin_revokes_and_does_not_delete(client):
    admin_user = UserFactory(admin=True)
    client.force_login(admin_user)
    token, key = odata_token_create(name="Power BI", actor=None)
    response = client.post(
        "/admin/analytics/odatatoken/",
        {"action": "revoke", "_selected_action": [token.pk]},
        follow=True,
    )
    assert response.status_code == 200
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert client.get(f"/admin/analytics/odatatoken/{token.pk}/delete/").status_code == 403
    assert Client().get("/odata/", **basic(key)).status_code == 401
