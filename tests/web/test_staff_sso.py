"""Staff single sign-on with the town's identity provider (the fake, on a free port).

Group → role and teams from MIDOFFICE_STAFF_OIDC_GROUP_MAP, applied at every sign-in;
unmapped people are refused; local password sign-in stays for break-glass accounts.
"""

from __future__ import annotations

import dataclasses
import json
import re
import urllib.error
import urllib.parse
import urllib.request

import pytest
from django.test import Client

from midoffice.accounts import sso
from midoffice.accounts.models import Role, User
from midoffice.integrations.fake_oidc.server import FakeOidcProvider
from tests.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

HOST = "http://127.0.0.1"
AN, JEF, ELS = 0, 1, 2  # the fake's demo staff: handler, team lead, no Midoffice group


@pytest.fixture
def idp(settings, team):
    TeamFactory(code="burgerzaken", name="Burgerzaken")
    provider = FakeOidcProvider(client_id="portal-test", client_secret="test-secret").start()
    settings.STAFF_OIDC_ISSUER = provider.issuer
    settings.STAFF_OIDC_CLIENT_ID = provider.staff_client_id
    settings.STAFF_OIDC_CLIENT_SECRET = provider.staff_client_secret
    settings.STAFF_OIDC_GROUP_MAP = json.dumps(
        {
            "sg-midoffice-omgeving": {"role": "handler", "teams": ["omgeving"]},
            "sg-midoffice-teamleads": {"role": "team_lead", "teams": ["burgerzaken"]},
        }
    )
    yield provider
    provider.stop()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _choose_staff(authorize_url: str, index: int) -> str:
    """Play the staff member at the fake provider; return where it sends the browser."""
    params = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(authorize_url).query))
    with urllib.request.urlopen(authorize_url, timeout=5) as page:  # noqa: S310 - loopback fake
        assert "Kies een fictieve medewerker" in page.read().decode()
    data = urllib.parse.urlencode({**params, "staff": str(index)}).encode()
    opener = urllib.request.build_opener(_NoRedirect)
    base = authorize_url.split("?", 1)[0]
    request = urllib.request.Request(base, data=data, method="POST")  # noqa: S310 - loopback fake
    with pytest.raises(urllib.error.HTTPError) as answer:
        opener.open(request, timeout=5)
    assert answer.value.code == 302
    return str(answer.value.headers["Location"])


def _sso_sign_in(client: Client, index: int, next_path: str = ""):
    start = client.get("/aanmelden/gemeente/" + (f"?next={next_path}" if next_path else ""))
    assert start.status_code == 302
    assert start["Location"].startswith(f"{HOST}:")
    assert "code_challenge_method=S256" in start["Location"]
    callback = _choose_staff(start["Location"], index)
    assert callback.startswith(f"{HOST}/aanmelden/gemeente/terug/?")
    return client.get(callback.removeprefix(HOST))


def _set_groups(idp: FakeOidcProvider, index: int, *groups: str) -> None:
    idp.staff[index] = dataclasses.replace(idp.staff[index], groups=groups)


def test_the_sign_in_page_offers_the_towns_account_only_when_configured(settings, idp):
    assert (
        "Aanmelden met je account van de gemeente" in Client().get("/aanmelden/").content.decode()
    )
    settings.STAFF_OIDC_ISSUER = ""
    assert "account van de gemeente" not in Client().get("/aanmelden/").content.decode()
    assert Client().get("/aanmelden/gemeente/").status_code == 404


def test_first_sign_in_makes_an_sso_user_with_the_mapped_role_and_teams(idp):
    client = Client(HTTP_HOST="127.0.0.1")
    answer = _sso_sign_in(client, AN, next_path="/zoeken/")
    assert answer.status_code == 302
    assert answer["Location"] == "/zoeken/"
    user = User.objects.get(username="an.peeters")
    assert user.is_sso
    assert user.is_active
    assert not user.is_superuser
    assert not user.is_staff
    assert user.sso_subject == f"{idp.issuer}|staff-an.peeters"
    assert user.role == Role.HANDLER
    assert [t.code for t in user.teams.all()] == ["omgeving"]
    assert (user.first_name, user.last_name, user.email) == (
        "An",
        "Peeters",
        "an.peeters@leemdonk.example",
    )
    assert not user.has_usable_password()  # the town's identity provider owns it
    assert client.get("/").status_code == 200


def test_the_strongest_role_and_all_teams_of_several_groups(idp):
    _sso_sign_in(Client(HTTP_HOST="127.0.0.1"), JEF)
    jef = User.objects.get(username="jef.maes")
    assert jef.role == Role.TEAM_LEAD
    assert sorted(t.code for t in jef.teams.all()) == ["burgerzaken", "omgeving"]


def test_each_sign_in_applies_the_groups_again(idp):
    _sso_sign_in(Client(HTTP_HOST="127.0.0.1"), AN)
    _set_groups(idp, AN, "sg-midoffice-teamleads")
    assert _sso_sign_in(Client(HTTP_HOST="127.0.0.1"), AN).status_code == 302
    an = User.objects.get(username="an.peeters")
    assert an.role == Role.TEAM_LEAD
    assert [t.code for t in an.teams.all()] == ["burgerzaken"]
    assert User.objects.filter(username="an.peeters").count() == 1


def test_somebody_in_no_mapped_group_is_refused_and_gets_no_account(idp):
    client = Client(HTTP_HOST="127.0.0.1")
    answer = _sso_sign_in(client, ELS)
    assert answer.status_code == 403
    assert "geeft geen toegang tot Midoffice" in answer.content.decode()
    assert not User.objects.filter(username="els.wouters").exists()
    assert client.get("/")["Location"].startswith("/aanmelden/")


def test_removed_from_the_group_loses_access_at_the_next_sign_in(idp):
    earlier = Client(HTTP_HOST="127.0.0.1")
    _sso_sign_in(earlier, AN)
    assert earlier.get("/").status_code == 200
    _set_groups(idp, AN)  # removed from every Midoffice group
    answer = _sso_sign_in(Client(HTTP_HOST="127.0.0.1"), AN)
    assert answer.status_code == 403
    assert not User.objects.get(username="an.peeters").is_active
    # The session of the earlier sign-in ends too.
    assert earlier.get("/").status_code == 302


def test_a_forged_state_is_refused(idp):
    client = Client(HTTP_HOST="127.0.0.1")
    start = client.get("/aanmelden/gemeente/")
    callback = re.sub(r"state=[^&]+", "state=forged", _choose_staff(start["Location"], AN))
    answer = client.get(callback.removeprefix(HOST))
    assert answer.status_code == 400
    assert "verlopen of onvolledig" in answer.content.decode()
    assert not User.objects.filter(username="an.peeters").exists()


def test_a_wrong_group_map_is_our_fault_and_says_so(settings, idp):
    settings.STAFF_OIDC_GROUP_MAP = '{"sg-midoffice-omgeving": {"role": "keizer"}}'
    answer = _sso_sign_in(Client(HTTP_HOST="127.0.0.1"), AN)
    assert answer.status_code == 500
    assert "niet goed ingesteld" in answer.content.decode()
    assert not User.objects.filter(username="an.peeters").exists()


def test_break_glass_local_password_sign_in_still_works(idp):
    UserFactory(username="noodaccount", is_superuser=True, is_staff=True)
    client = Client()
    answer = client.post(
        "/aanmelden/", {"username": "noodaccount", "password": "geheim-wachtwoord-1"}
    )
    assert answer.status_code == 302
    assert client.get("/").status_code == 200


def test_sso_never_takes_over_a_break_glass_account(idp):
    UserFactory(username="an.peeters", is_superuser=True)
    answer = _sso_sign_in(Client(HTTP_HOST="127.0.0.1"), AN)
    assert answer.status_code == 403
    assert not User.objects.get(username="an.peeters").is_sso


def test_an_sso_user_cannot_use_a_local_password(idp):
    _sso_sign_in(Client(HTTP_HOST="127.0.0.1"), AN)
    client = Client()
    answer = client.post("/aanmelden/", {"username": "an.peeters", "password": "geheim"})
    assert answer.status_code == 200  # the form again: no password sign-in
    assert "_auth_user_id" not in client.session


def test_the_admin_shows_which_accounts_come_from_sso(idp, admin_client):
    _sso_sign_in(Client(HTTP_HOST="127.0.0.1"), AN)
    UserFactory(username="lokale.medewerker")
    page = admin_client.get("/admin/accounts/user/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "column-sso" in html
    assert "is_sso__exact" in html  # the filter
    only_sso = admin_client.get("/admin/accounts/user/?is_sso__exact=1").content.decode()
    assert "an.peeters" in only_sso
    assert "lokale.medewerker" not in only_sso


def test_group_map_grants_are_pure():
    mapping = sso.group_map_parse(
        '{"a": {"role": "front_desk", "teams": ["x"]}, "b": {"role": "administrator"}}'
    )
    grant = sso.grant_for_groups(["b", "a", "unknown"], mapping)
    assert grant == sso.Grant(role=Role.ADMINISTRATOR, teams=frozenset({"x"}))
    assert sso.grant_for_groups(["unknown"], mapping) is None
    with pytest.raises(sso.SsoConfigError):
        sso.group_map_parse('{"a": {"role": "system"}}')
    with pytest.raises(sso.SsoConfigError):
        sso.group_map_parse("not json")
