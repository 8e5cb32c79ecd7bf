"""Issue 19, item 1: every door that takes a password shares one brute-force limit.

The workbench sign-in (/aanmelden/) and the admin login (/admin/login/) both count towards
a lockout by user name and, separately, by client address (django-axes), with a cool-off.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.test import Client

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "geheim-wachtwoord-1"
ADMIN_LOGIN = "/admin/login/?next=/admin/"
WORKBENCH_LOGIN = "/aanmelden/"


@pytest.fixture
def administrator():
    return UserFactory(username="beheerder", admin=True)


def _sign_in(client: Client, url: str, username: str, password: str):
    return client.post(url, {"username": username, "password": password})


def _signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def _cool_off_passes() -> None:
    """Sixteen minutes go by: move every recorded failure back in time."""
    for attempt in AccessAttempt.objects.all():
        AccessAttempt.objects.filter(pk=attempt.pk).update(
            attempt_time=attempt.attempt_time - timedelta(minutes=16)
        )


def test_25_wrong_admin_passwords_then_the_right_one_is_refused(client, administrator):
    for _ in range(25):
        _sign_in(client, ADMIN_LOGIN, "beheerder", "raden-123")
    response = _sign_in(client, ADMIN_LOGIN, "beheerder", PASSWORD)
    assert response.status_code == 429
    assert not _signed_in(client)
    assert "Te veel mislukte aanmeldpogingen" in response.content.decode()
    # The admin's own page, with its own form, tells it in Dutch.
    assert 'name="password"' in response.content.decode()


def test_admin_failures_count_for_the_workbench(client, administrator):
    for _ in range(5):
        _sign_in(client, ADMIN_LOGIN, "beheerder", "raden-123")
    response = _sign_in(Client(), WORKBENCH_LOGIN, "beheerder", PASSWORD)
    assert response.status_code == 429
    assert "Te veel mislukte aanmeldpogingen" in response.content.decode()


def test_workbench_failures_count_for_the_admin(client, administrator):
    for _ in range(5):
        _sign_in(client, WORKBENCH_LOGIN, "beheerder", "raden-123")
    other = Client()
    response = _sign_in(other, ADMIN_LOGIN, "beheerder", PASSWORD)
    assert response.status_code == 429
    assert not _signed_in(other)


def test_four_failures_do_not_lock(client, administrator):
    for _ in range(4):
        assert _sign_in(client, WORKBENCH_LOGIN, "beheerder", "raden-123").status_code == 200
    assert _sign_in(client, WORKBENCH_LOGIN, "beheerder", PASSWORD).status_code == 302
    assert _signed_in(client)


def test_the_right_password_works_after_the_cool_off(client, administrator):
    for _ in range(6):
        _sign_in(client, ADMIN_LOGIN, "beheerder", "raden-123")
    assert _sign_in(client, ADMIN_LOGIN, "beheerder", PASSWORD).status_code == 429
    _cool_off_passes()
    response = _sign_in(client, ADMIN_LOGIN, "beheerder", PASSWORD)
    assert response.status_code == 302
    assert _signed_in(client)


def test_the_limit_applies_per_address_too(client):
    """Twenty failures from one address, one per user name, lock that address, also for
    a user name that never failed; another address is not affected."""
    UserFactory(username="sofie")
    for n in range(20):
        _sign_in(client, WORKBENCH_LOGIN, f"gok{n}", "raden-123")
    response = _sign_in(client, WORKBENCH_LOGIN, "sofie", PASSWORD)
    assert response.status_code == 429
    elsewhere = Client(REMOTE_ADDR="192.0.2.7")
    assert _sign_in(elsewhere, WORKBENCH_LOGIN, "sofie", PASSWORD).status_code == 302


def test_nineteen_failures_from_one_address_do_not_lock_it(client):
    UserFactory(username="sofie")
    for n in range(19):
        _sign_in(client, WORKBENCH_LOGIN, f"gok{n}", "raden-123")
    assert _sign_in(client, WORKBENCH_LOGIN, "sofie", PASSWORD).status_code == 302


def test_another_address_does_not_escape_the_user_name_lockout(administrator):
    for n in range(5):
        _sign_in(Client(REMOTE_ADDR=f"198.51.100.{n}"), ADMIN_LOGIN, "beheerder", "raden-123")
    assert _sign_in(Client(), ADMIN_LOGIN, "beheerder", PASSWORD).status_code == 429


def test_x_forwarded_for_is_ignored_without_a_proxy(client):
    """A client that makes up X-Forwarded-For does not get a fresh address each time."""
    UserFactory(username="sofie")
    for n in range(20):
        client.post(
            WORKBENCH_LOGIN,
            {"username": f"gok{n}", "password": "raden-123"},
            HTTP_X_FORWARDED_FOR=f"203.0.113.{n}",
        )
    response = _sign_in(client, WORKBENCH_LOGIN, "sofie", PASSWORD)
    assert response.status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"127.0.0.1"}


def test_behind_the_proxy_the_address_is_the_one_the_proxy_appended(settings, administrator):
    """Behind the proxy every request comes from the proxy's address; the client is the
    right-most X-Forwarded-For entry. What the client wrote further left is not trusted."""
    settings.BEHIND_TLS_PROXY = True
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    for n in range(20):
        Client(**proxy).post(
            WORKBENCH_LOGIN,
            {"username": f"gok{n}", "password": "raden-123"},
            HTTP_X_FORWARDED_FOR=f"203.0.113.{n}, 198.51.100.9",
        )
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"198.51.100.9"}
    locked = Client(**proxy).post(
        WORKBENCH_LOGIN,
        {"username": "beheerder", "password": PASSWORD},
        HTTP_X_FORWARDED_FOR="198.51.100.9",
    )
    assert locked.status_code == 429
    # Another citizen behind the same proxy is not locked out by the first one.
    other = Client(**proxy).post(
        WORKBENCH_LOGIN,
        {"username": "beheerder", "password": PASSWORD},
        HTTP_X_FORWARDED_FOR="198.51.100.10",
    )
    assert other.status_code == 302


def test_a_lockout_is_logged_and_visible_in_the_admin(client, administrator, caplog):
    with caplog.at_level(logging.WARNING, logger="midoffice.accounts.lockout"):
        for _ in range(6):
            _sign_in(client, ADMIN_LOGIN, "beheerder", "raden-123")
    locked = [r for r in caplog.records if getattr(r, "event", "") == "signin.locked_out"]
    assert locked
    assert locked[0].user_id == administrator.pk
    assert "beheerder" not in locked[0].getMessage()
    watcher = Client()
    watcher.force_login(UserFactory(admin=True))
    page = watcher.get("/admin/axes/accessattempt/").content.decode()
    assert "beheerder" in page


def test_force_login_is_not_counted(client, administrator):
    client.force_login(administrator)
    assert client.get("/admin/").status_code == 200
    assert not AccessAttempt.objects.exists()
