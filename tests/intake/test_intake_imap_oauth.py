"""IMAP with OAuth2 (XOAUTH2, as Microsoft 365 requires): Midoffice fetches the access
token from the token endpoint, caches it, refreshes it before it expires or when the
server refuses it, and polling keeps importing mail exactly once.

The token endpoint is a tiny fake provider on loopback; the end-to-end tests run a real
Dovecot whose ``oauth2`` passdb asks that same provider (introspection) which tokens are
valid, so a token the provider revoked is refused by the IMAP server itself.
"""

from __future__ import annotations

import imaplib
import json
import secrets
import threading
import urllib.parse
import uuid
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from midoffice.core import clock
from midoffice.intake import imap, oauth
from midoffice.intake.admin import MailSourceForm
from midoffice.intake.models import InboundMessage, MailSource
from tests.factories import UserFactory
from tests.intake.conftest import IMAP_USER, free_port, make_mail, running_dovecot

TENANT_TOKEN_PATH = "/tenant-x/oauth2/v2.0/token"
CLIENT_ID = "11111111-2222-3333-4444-555555555555"
CLIENT_SECRET = "app-geheim~123"
SCOPE = "https://outlook.office365.com/.default"


class FakeProvider:
    """A token endpoint (client_credentials and refresh_token grants) and an introspection
    endpoint (what Dovecot asks), sharing one set of valid access tokens."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(self))
        self.port = int(self.httpd.server_address[1])
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def reset(self) -> None:
        with self.lock:
            self.token_requests: list[dict[str, str]] = []
            self.content_types: list[str] = []
            self.introspected: list[tuple[str, bool]] = []
            self.valid: set[str] = set()
            self.expires_in: Any = 3600
            self.rotate_refresh_token = False
            self.refused: tuple[int, bytes, str] | None = None  # status, body, content type
            self.username = IMAP_USER
            self.issued: list[str] = []

    @property
    def token_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{TENANT_TOKEN_PATH}"

    @property
    def introspection_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/introspect"

    def issue(self) -> str:
        token = f"at-{secrets.token_urlsafe(16)}"
        with self.lock:
            self.valid.add(token)
            self.issued.append(token)
        return token

    def revoke(self, token: str) -> None:
        with self.lock:
            self.valid.discard(token)

    def refused_logins(self) -> int:
        return sum(1 for _token, active in self.introspected if not active)

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _make_handler(provider: FakeProvider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _answer(self, status: int, body: bytes, ctype: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            form = {k: v[0] for k, v in urllib.parse.parse_qs(raw.decode()).items()}
            if self.path == TENANT_TOKEN_PATH:
                self._token(form)
            elif self.path == "/introspect":
                self._introspect(form)
            else:
                self._answer(404, b'{"error":"not_found"}')

        def _token(self, form: dict[str, str]) -> None:
            with provider.lock:
                provider.token_requests.append(form)
                provider.content_types.append(self.headers.get("Content-Type", ""))
                refused = provider.refused
            if refused:
                self._answer(*refused)
                return
            payload: dict[str, Any] = {
                "token_type": "Bearer",
                "access_token": provider.issue(),
                "expires_in": provider.expires_in,
            }
            if form.get("grant_type") == "refresh_token" and provider.rotate_refresh_token:
                payload["refresh_token"] = f"rt-{secrets.token_urlsafe(8)}"
            self._answer(200, json.dumps(payload).encode())

        def _introspect(self, form: dict[str, str]) -> None:
            token = form.get("token", "")
            with provider.lock:
                active = token in provider.valid
                provider.introspected.append((token, active))
            payload: dict[str, Any] = {"active": active}
            if active:
                payload["username"] = provider.username
            self._answer(200, json.dumps(payload).encode())

    return Handler


@pytest.fixture(scope="session")
def oauth_provider_server():
    provider = FakeProvider()
    yield provider
    provider.stop()


@pytest.fixture
def provider(oauth_provider_server):
    oauth_provider_server.reset()
    return oauth_provider_server


def oauth_source(provider: FakeProvider, **overrides: Any) -> MailSource:
    values: dict[str, Any] = {
        "name": f"Onthaal {uuid.uuid4().hex[:8]}",
        "kind": MailSource.Kind.IMAP,
        "host": "127.0.0.1",
        "port": 1,
        "security": MailSource.Security.NONE,
        "username": IMAP_USER,
        "oauth2_token_url": provider.token_url,
        "oauth2_client_id": CLIENT_ID,
        "oauth2_client_secret": CLIENT_SECRET,
        "oauth2_scope": SCOPE,
    }
    values.update(overrides)
    return MailSource.objects.create(**values)


# --- access_token_for ---------------------------------------------------------------


def test_first_call_fetches_with_client_credentials_and_stores_the_token(db, provider):
    source = oauth_source(provider)
    before = clock.now()

    token = oauth.access_token_for(source)

    assert token == provider.issued[-1]
    assert provider.token_requests == [
        {
            "grant_type": "client_credentials",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "scope": SCOPE,
        }
    ]
    assert provider.content_types == ["application/x-www-form-urlencoded"]
    source.refresh_from_db()
    assert source.oauth2_access_token == token
    expires_at = source.oauth2_access_token_expires_at
    assert expires_at is not None
    assert before + timedelta(seconds=3600) <= expires_at <= clock.now() + timedelta(seconds=3600)


def test_cached_token_is_reused_while_it_has_more_than_five_minutes(db, provider):
    source = oauth_source(
        provider,
        oauth2_access_token="cached-token",
        oauth2_access_token_expires_at=clock.now() + timedelta(minutes=6),
    )
    assert oauth.access_token_for(source) == "cached-token"
    assert provider.token_requests == []


def test_token_expiring_within_five_minutes_is_refreshed(db, provider):
    source = oauth_source(
        provider,
        oauth2_access_token="old-token",
        oauth2_access_token_expires_at=clock.now() + timedelta(minutes=4),
    )
    token = oauth.access_token_for(source)
    assert token != "old-token"
    assert len(provider.token_requests) == 1
    source.refresh_from_db()
    assert source.oauth2_access_token == token


def test_cached_token_is_refreshed_once_time_moves_on(db, provider, monkeypatch):
    source = oauth_source(provider)
    first = oauth.access_token_for(source)
    assert oauth.access_token_for(source) == first  # cached

    later = clock.now() + timedelta(minutes=56)  # 4 minutes left of the hour
    monkeypatch.setattr(clock, "now", lambda: later)
    second = oauth.access_token_for(source)

    assert second != first
    assert len(provider.token_requests) == 2
    source.refresh_from_db()
    assert source.oauth2_access_token == second
    assert source.oauth2_access_token_expires_at == later + timedelta(seconds=3600)


def test_force_fetches_a_new_token_even_when_the_cached_one_is_valid(db, provider):
    source = oauth_source(
        provider,
        oauth2_access_token="cached-token",
        oauth2_access_token_expires_at=clock.now() + timedelta(minutes=50),
    )
    assert oauth.access_token_for(source, force=True) != "cached-token"
    assert len(provider.token_requests) == 1


def test_refresh_token_grant_when_a_refresh_token_is_configured(db, provider):
    source = oauth_source(provider, oauth2_refresh_token="rt-original")
    oauth.access_token_for(source)
    assert provider.token_requests == [
        {
            "grant_type": "refresh_token",
            "refresh_token": "rt-original",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "scope": SCOPE,
        }
    ]


def test_refresh_token_grant_without_client_secret_sends_none(db, provider):
    source = oauth_source(provider, oauth2_refresh_token="rt-original", oauth2_client_secret="")
    oauth.access_token_for(source)
    assert "client_secret" not in provider.token_requests[0]
    assert provider.token_requests[0]["grant_type"] == "refresh_token"


def test_rotated_refresh_token_is_stored_and_used_next_time(db, provider):
    provider.rotate_refresh_token = True
    source = oauth_source(provider, oauth2_refresh_token="rt-original")

    oauth.access_token_for(source)
    source.refresh_from_db()
    rotated = source.oauth2_refresh_token
    assert rotated.startswith("rt-")
    assert rotated != "rt-original"

    oauth.access_token_for(source, force=True)
    assert provider.token_requests[1]["refresh_token"] == rotated


def test_refresh_token_is_kept_when_the_provider_does_not_rotate_it(db, provider):
    source = oauth_source(provider, oauth2_refresh_token="rt-original")
    oauth.access_token_for(source)
    source.refresh_from_db()
    assert source.oauth2_refresh_token == "rt-original"


def test_expires_in_as_string_is_understood(db, provider):
    provider.expires_in = "1800"
    source = oauth_source(provider)
    before = clock.now()
    oauth.access_token_for(source)
    source.refresh_from_db()
    expires_at = source.oauth2_access_token_expires_at
    assert expires_at is not None
    assert before + timedelta(seconds=1800) <= expires_at <= clock.now() + timedelta(seconds=1800)


def test_storing_the_token_does_not_overwrite_other_columns(db, provider):
    """The poller holds a row loaded earlier; an administrator changed the folder since."""
    source = oauth_source(provider)
    MailSource.objects.filter(pk=source.pk).update(folder="Nieuwe-map", name="Hernoemd")
    oauth.access_token_for(source)
    source.refresh_from_db()
    assert (source.folder, source.name) == ("Nieuwe-map", "Hernoemd")
    assert source.oauth2_access_token


def test_token_another_worker_fetched_meanwhile_is_used(db, provider):
    stale = oauth_source(
        provider,
        oauth2_access_token="old-token",
        oauth2_access_token_expires_at=clock.now() + timedelta(minutes=1),
    )
    MailSource.objects.filter(pk=stale.pk).update(
        oauth2_access_token="fetched-by-the-other-worker",
        oauth2_access_token_expires_at=clock.now() + timedelta(minutes=59),
    )
    assert oauth.access_token_for(stale) == "fetched-by-the-other-worker"
    assert provider.token_requests == []


def test_refresh_token_rotated_by_another_worker_is_the_one_sent(db, provider):
    stale = oauth_source(provider, oauth2_refresh_token="rt-old")
    MailSource.objects.filter(pk=stale.pk).update(oauth2_refresh_token="rt-rotated")
    oauth.access_token_for(stale)
    assert provider.token_requests[0]["refresh_token"] == "rt-rotated"


def test_provider_error_raises_with_the_providers_description(db, provider):
    provider.refused = (
        401,
        json.dumps(
            {
                "error": "invalid_client",
                "error_description": "AADSTS7000215: Invalid client secret provided.",
            }
        ).encode(),
        "application/json",
    )
    source = oauth_source(
        provider,
        oauth2_access_token="old-token",
        oauth2_access_token_expires_at=clock.now() + timedelta(minutes=1),
    )
    with pytest.raises(oauth.OAuthTokenError) as caught:
        oauth.access_token_for(source)
    message = str(caught.value)
    assert message.startswith("OAuth2-token ophalen mislukt")
    assert "invalid_client" in message
    assert "AADSTS7000215: Invalid client secret provided." in message
    assert CLIENT_SECRET not in message
    source.refresh_from_db()
    assert source.oauth2_access_token == "old-token"  # nothing stored


def test_provider_error_ends_up_in_last_error_of_the_mailbox(db, files_dir, provider):
    provider.refused = (
        400,
        json.dumps(
            {
                "error": "invalid_scope",
                "error_description": "AADSTS70011: The provided scope is not valid.",
            }
        ).encode(),
        "application/json",
    )
    source = oauth_source(provider)
    assert imap.mailbox_poll_all() == 0
    source.refresh_from_db()
    assert "OAuth2-token ophalen mislukt" in source.last_error
    assert "AADSTS70011: The provided scope is not valid." in source.last_error


def test_non_json_server_error_is_reported_with_its_status(db, provider):
    provider.refused = (503, b"<html>Service Unavailable</html>", "text/html")
    source = oauth_source(provider)
    with pytest.raises(oauth.OAuthTokenError, match="HTTP 503"):
        oauth.access_token_for(source)


def test_answer_without_access_token_is_an_error(db, provider):
    provider.refused = (200, b'{"token_type":"Bearer"}', "application/json")
    source = oauth_source(provider)
    with pytest.raises(oauth.OAuthTokenError, match="access_token"):
        oauth.access_token_for(source)


def test_token_endpoint_down_raises_and_the_poll_records_it(db, files_dir, provider):
    source = oauth_source(provider, oauth2_token_url=f"http://127.0.0.1:{free_port()}/token")
    with pytest.raises(oauth.OAuthTokenError, match="onbereikbaar"):
        oauth.access_token_for(source)
    assert imap.mailbox_poll_all() == 0
    source.refresh_from_db()
    assert "onbereikbaar" in source.last_error
    assert source.last_polled_at is None


def test_source_without_client_configuration_has_no_token(db, provider):
    source = MailSource.objects.create(name="Wachtwoord", username="x", password="y")
    assert not source.has_oauth2_client
    with pytest.raises(oauth.OAuthTokenError):
        oauth.access_token_for(source)


# --- validation and the admin ------------------------------------------------------


def _form_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "Onthaal M365",
        "kind": "imap",
        "active": "on",
        "host": "outlook.office365.com",
        "port": "993",
        "security": "ssl",
        "folder": "INBOX",
        "processed_folder": "",
        "username": "onthaal@leemdonk.example",
        "password": "",
        "oauth2_token": "",
        "oauth2_token_url": "https://login.microsoftonline.com/tenant-x/oauth2/v2.0/token",
        "oauth2_client_id": CLIENT_ID,
        "oauth2_client_secret": CLIENT_SECRET,
        "oauth2_scope": SCOPE,
        "oauth2_refresh_token": "",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://login.microsoftonline.com/tenant-x/oauth2/v2.0/token", True),
        ("http://127.0.0.1:8080/token", True),
        ("http://localhost:8080/token", True),
        ("http://login.microsoftonline.com/tenant-x/oauth2/v2.0/token", False),
        ("ftp://login.microsoftonline.com/token", False),
        ("login.microsoftonline.com/token", False),
    ],
)
def test_token_endpoint_must_be_https_except_on_loopback(db, url, ok):
    form = MailSourceForm(data=_form_data(oauth2_token_url=url))
    assert form.is_valid() is ok, form.errors
    if not ok:
        assert "oauth2_token_url" in form.errors


def test_insecure_endpoint_error_is_dutch(db):
    form = MailSourceForm(data=_form_data(oauth2_token_url="http://login.example/token"))
    assert not form.is_valid()
    assert "moet met https:// beginnen" in form.errors["oauth2_token_url"][0]


def test_client_credentials_need_client_id_and_secret(db):
    form = MailSourceForm(data=_form_data(oauth2_client_id="", oauth2_client_secret=""))
    assert not form.is_valid()
    assert "client-id" in form.errors["oauth2_client_id"][0]
    assert "clientgeheim" in form.errors["oauth2_client_secret"][0]


def test_refresh_token_may_replace_the_client_secret(db):
    form = MailSourceForm(
        data=_form_data(oauth2_client_secret="", oauth2_refresh_token="rt-original")
    )
    assert form.is_valid(), form.errors


def test_client_fields_without_token_endpoint_are_refused(db):
    form = MailSourceForm(data=_form_data(oauth2_token_url=""))
    assert not form.is_valid()
    assert "tokenadres" in form.errors["oauth2_token_url"][0]


def test_admin_never_shows_secrets_back(db, client, provider):
    source = oauth_source(
        provider,
        password="imap-wachtwoord-geheim",
        oauth2_refresh_token="rt-zeer-geheim",
        oauth2_access_token="at-zeer-geheim",
        oauth2_access_token_expires_at=clock.now() + timedelta(minutes=30),
    )
    client.force_login(UserFactory(admin=True))
    listing = client.get("/admin/intake/mailsource/").content.decode()
    change = client.get(f"/admin/intake/mailsource/{source.pk}/change/").content.decode()
    assert source.name in listing
    assert "OAuth2 (vernieuwingstoken)" in listing
    for secret in (CLIENT_SECRET, "imap-wachtwoord-geheim", "rt-zeer-geheim", "at-zeer-geheim"):
        assert secret not in listing
        assert secret not in change
    assert "OAuth2-tokenadres" in change
    assert "aanwezig" in change  # the cached token's state, not the token


def test_admin_blank_secret_keeps_it_and_clearing_removes_it(db, client, provider):
    source = oauth_source(provider, password="imap-wachtwoord-geheim")
    url = f"/admin/intake/mailsource/{source.pk}/change/"
    client.force_login(UserFactory(admin=True))
    data = _form_data(
        name=source.name,
        oauth2_token_url=provider.token_url,
        oauth2_client_secret="",
        host="127.0.0.1",
        port="1",
        security="none",
        username=IMAP_USER,
    )

    answer = client.post(url, data)
    assert answer.status_code == 302, answer.content.decode()[:2000]
    source.refresh_from_db()
    assert source.oauth2_client_secret == CLIENT_SECRET
    assert source.password == "imap-wachtwoord-geheim"

    answer = client.post(url, {**data, "clear_secrets": ["password"]})
    assert answer.status_code == 302
    source.refresh_from_db()
    assert source.password == ""
    assert source.oauth2_client_secret == CLIENT_SECRET


def test_blank_secret_is_not_reported_as_changed(db, provider):
    source = oauth_source(provider, password="imap-wachtwoord-geheim")
    data = _form_data(
        name=source.name, oauth2_token_url=provider.token_url, oauth2_client_secret=""
    )
    form = MailSourceForm(data=data, instance=source)
    assert form.is_valid(), form.errors
    assert not {"password", "oauth2_client_secret"} & set(form.changed_data)
    rendered = str(form)
    assert "imap-wachtwoord-geheim" not in rendered
    assert CLIENT_SECRET not in rendered


def test_admin_change_of_client_configuration_drops_the_cached_token(db, provider):
    source = oauth_source(
        provider,
        oauth2_access_token="at-old-config",
        oauth2_access_token_expires_at=clock.now() + timedelta(minutes=30),
    )
    same = _form_data(
        name=source.name, oauth2_token_url=provider.token_url, oauth2_client_secret=""
    )
    form = MailSourceForm(data=same, instance=source)
    assert form.is_valid(), form.errors
    form.save()
    source.refresh_from_db()
    assert source.oauth2_access_token == "at-old-config"  # unchanged configuration

    form = MailSourceForm(data={**same, "oauth2_client_secret": "nieuw-geheim"}, instance=source)
    assert form.is_valid(), form.errors
    form.save()
    source.refresh_from_db()
    assert source.oauth2_client_secret == "nieuw-geheim"
    assert source.oauth2_access_token == ""
    assert source.oauth2_access_token_expires_at is None


def test_admin_action_fetches_a_token_and_reports_the_providers_error(db, client, provider):
    source = oauth_source(provider)
    client.force_login(UserFactory(admin=True))
    answer = client.post(
        "/admin/intake/mailsource/",
        {"action": "fetch_oauth2_token", "_selected_action": [source.pk]},
        follow=True,
    )
    assert "token opgehaald" in answer.content.decode()
    source.refresh_from_db()
    assert source.oauth2_access_token == provider.issued[-1]

    provider.refused = (401, b'{"error":"invalid_client","error_description":"AADSTS7000215"}', "")
    answer = client.post(
        "/admin/intake/mailsource/",
        {"action": "fetch_oauth2_token", "_selected_action": [source.pk]},
        follow=True,
    )
    assert "AADSTS7000215" in answer.content.decode()


# --- end to end against a real Dovecot ----------------------------------------------

# Only OAuth2 logins. Tests only: answer a refused login at once, and do not slow down
# the next logins from 127.0.0.1 (Dovecot's per-address auth penalty, disabled as its
# documentation shows).
OAUTH_AUTH = """\
auth_mechanisms = xoauth2 oauthbearer
auth_failure_delay = 0
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
passdb {{
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = {base}/dovecot-oauth2.conf.ext
}}
"""

# Every login asks the provider (RFC 7662 style POST token=...); the token is valid only
# while the provider says "active": true.
DOVECOT_OAUTH2_EXT = """\
introspection_mode = post
introspection_url = {introspection_url}
force_introspection = yes
username_attribute = username
active_attribute = active
active_value = true
"""


@pytest.fixture(scope="session")
def dovecot_oauth(oauth_provider_server):
    """A second real Dovecot (own config and port) whose only passdb is ``oauth2``."""
    ext = DOVECOT_OAUTH2_EXT.format(introspection_url=oauth_provider_server.introspection_url)
    with running_dovecot(
        auth=OAUTH_AUTH,
        files={"dovecot-oauth2.conf.ext": ext},
        prefix="midoffice-dovecot-oauth-",
    ) as port:
        yield {"host": "127.0.0.1", "port": port, "user": IMAP_USER}


def _xoauth2_client(dovecot: dict[str, Any], token: str) -> imaplib.IMAP4:
    client = imaplib.IMAP4(dovecot["host"], dovecot["port"])
    client.authenticate("XOAUTH2", lambda _: f"user={dovecot['user']}\1auth=Bearer {token}\1\1")
    return client


@pytest.fixture
def oauth_mailbox(dovecot_oauth, provider, triage_type):
    """A fresh folder in the OAuth-only Dovecot, filled by a helper client that logs in
    with its own token, and a MailSource with OAuth2 client configuration."""
    folder = f"T{uuid.uuid4().hex[:10]}"
    client = _xoauth2_client(dovecot_oauth, provider.issue())
    client.create(folder)
    source = oauth_source(
        provider, host=dovecot_oauth["host"], port=dovecot_oauth["port"], folder=folder
    )
    provider.reset()  # count only what Midoffice does from here on

    def append(raw: bytes) -> None:
        client.append(folder, None, None, raw)

    def unseen() -> int:
        client.select(folder)
        return len(client.uid("SEARCH", "UNSEEN")[1][0].split())

    yield source, append, unseen
    client.logout()


@pytest.mark.imap
def test_dovecot_refuses_a_token_the_provider_does_not_know(dovecot_oauth, provider):
    """The fixture really checks tokens; otherwise the tests below prove nothing."""
    with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
        _xoauth2_client(dovecot_oauth, "at-made-up")
    _xoauth2_client(dovecot_oauth, provider.issue()).logout()


@pytest.mark.imap
def test_poll_logs_in_with_a_token_from_the_token_endpoint(oauth_mailbox, provider):
    source, append, unseen = oauth_mailbox
    for n in range(2):
        append(make_mail(subject=f"Vraag {n}"))

    assert imap.mailbox_poll(source=source) == 2

    assert len(provider.token_requests) == 1
    assert provider.token_requests[0]["grant_type"] == "client_credentials"
    token = provider.issued[-1]
    assert provider.introspected == [(token, True)]  # Dovecot checked exactly that token
    assert InboundMessage.objects.filter(source=source).count() == 2
    assert unseen() == 0
    source.refresh_from_db()
    assert source.oauth2_access_token == token
    assert source.last_error == ""

    assert imap.mailbox_poll(source=source) == 0  # cached token, no new request
    assert len(provider.token_requests) == 1


@pytest.mark.imap
def test_revoked_token_is_refreshed_once_and_new_mail_still_imported(oauth_mailbox, provider):
    source, append, unseen = oauth_mailbox
    for mid in ("vraag-0@example.org", "vraag-1@example.org"):
        append(make_mail(message_id=f"<{mid}>"))
    assert imap.mailbox_poll(source=source) == 2
    first = provider.issued[-1]

    provider.revoke(first)  # revoked early: our cache still thinks it has an hour
    append(make_mail(message_id="<na-intrekking@example.org>"))
    source.refresh_from_db()

    assert imap.mailbox_poll(source=source) == 1

    assert len(provider.token_requests) == 2  # one forced refresh, no more
    second = provider.issued[-1]
    assert second != first
    assert provider.introspected[-2:] == [(first, False), (second, True)]
    source.refresh_from_db()
    assert source.oauth2_access_token == second
    assert source.last_error == ""
    stored = InboundMessage.objects.filter(source=source).values_list("message_id", flat=True)
    assert sorted(stored) == [  # each exactly once
        "na-intrekking@example.org",
        "vraag-0@example.org",
        "vraag-1@example.org",
    ]
    assert unseen() == 0
    assert imap.mailbox_poll(source=source) == 0


@pytest.mark.imap
def test_expiring_token_is_refreshed_before_login(oauth_mailbox, provider):
    source, append, unseen = oauth_mailbox
    append(make_mail(subject="Voor"))
    assert imap.mailbox_poll(source=source) == 1
    first = provider.issued[-1]

    # Fifty-six minutes on: the cached token has four minutes left and the provider is
    # about to let it lapse. (The stored expiry moves back rather than the clock forward:
    # the poll compares its own start time with the rows' creation times.)
    source.refresh_from_db()
    assert source.oauth2_access_token == first
    MailSource.objects.filter(pk=source.pk).update(
        oauth2_access_token_expires_at=clock.now() + timedelta(minutes=4)
    )
    provider.revoke(first)
    append(make_mail(subject="Na"))
    source.refresh_from_db()

    assert imap.mailbox_poll(source=source) == 1

    assert len(provider.token_requests) == 2
    assert provider.refused_logins() == 0  # refreshed up front, not after a refusal
    assert InboundMessage.objects.filter(source=source).count() == 2
    assert unseen() == 0


@pytest.mark.imap
def test_token_refused_twice_fails_the_poll_and_records_it(oauth_mailbox, provider):
    source, append, _unseen = oauth_mailbox
    append(make_mail())
    provider.username = "iemand-anders"  # tokens valid, but for another mailbox
    source.oauth2_access_token = "at-cached"
    source.oauth2_access_token_expires_at = clock.now() + timedelta(minutes=30)
    source.save()

    assert imap.mailbox_poll_all() == 0

    assert len(provider.token_requests) == 1  # exactly one retry with a fresh token
    source.refresh_from_db()
    assert source.last_error.startswith("OAuth2LoginRefused: IMAP-aanmelding met OAuth2-token")
    assert "AUTHENTICATIONFAILED" in source.last_error  # Dovecot's own words
    assert InboundMessage.objects.filter(source=source).count() == 0


@pytest.mark.imap
def test_freshly_fetched_token_refused_is_not_retried(oauth_mailbox, provider):
    source, append, _unseen = oauth_mailbox
    append(make_mail())
    provider.username = "iemand-anders"

    assert imap.mailbox_poll_all() == 0

    assert len(provider.token_requests) == 1
    assert provider.refused_logins() == 0  # the token was valid, the mailbox was not
    source.refresh_from_db()
    assert "IMAP-aanmelding met OAuth2-token geweigerd" in source.last_error


@pytest.mark.imap
def test_pasted_token_still_works(oauth_mailbox, provider):
    """Backwards compatible: no client configuration, a token pasted by hand."""
    source, append, unseen = oauth_mailbox
    append(make_mail())
    source.oauth2_token_url = ""
    source.oauth2_client_id = ""
    source.oauth2_client_secret = ""
    source.oauth2_token = provider.issue()
    source.save()

    assert imap.mailbox_poll(source=source) == 1

    assert provider.token_requests == []
    assert unseen() == 0
