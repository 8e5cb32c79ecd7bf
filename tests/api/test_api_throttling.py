"""API rate limits (issue 19, item 8): per token, and per client address for requests
without a valid token; counted in the database, so every worker and host shares them.

The counters are rows in the test's transaction, so one test's requests never count in
another's; the limits are the product's defaults unless a test sets them (``rate_limits``).
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import threading

import pytest
from django.db import connections
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from midoffice.core import clock
from midoffice.core.models import ApiRateWindow
from midoffice.core.throttling import rate_window_hit, rate_windows_prune
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/dossiers/"
T0 = dt.datetime(2026, 3, 2, 9, 0, 0, tzinfo=dt.UTC)


@pytest.fixture
def now(monkeypatch):
    """The clock the limits read, frozen at T0; ``now.move(seconds)`` moves it on."""

    class Clock:
        at = T0

        def move(self, seconds: int) -> None:
            self.at += dt.timedelta(seconds=seconds)

    frozen = Clock()
    monkeypatch.setattr(clock, "now", lambda: frozen.at)
    return frozen


def token_client(user=None) -> APIClient:
    client = APIClient()
    token = Token.objects.create(user=user or UserFactory())
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def test_the_61st_anonymous_request_in_a_minute_gets_429_with_retry_after(rate_limits, now):
    rate_limits(anon="60/min")
    anonymous = APIClient()

    answers = [anonymous.get(URL).status_code for _ in range(60)]
    now.move(15)
    refused = anonymous.get(URL)

    assert answers == [401] * 60
    assert refused.status_code == 429
    assert refused["Retry-After"] == "45"
    assert refused.json()["detail"] == "Te veel verzoeken. Probeer het over 45 seconden opnieuw."
    now.move(45)  # a new window
    assert anonymous.get(URL).status_code == 401


def test_the_default_anonymous_limit_is_sixty_a_minute(now):
    anonymous = APIClient()

    answers = [anonymous.get(URL).status_code for _ in range(61)]

    assert answers == [401] * 60 + [429]


def test_guessing_tokens_counts_against_the_address(rate_limits, now):
    rate_limits(anon="3/min")
    guesser = APIClient()

    answers = []
    for guess in range(4):
        guesser.credentials(HTTP_AUTHORIZATION=f"Token {guess:040d}")
        answers.append(guesser.get(URL).status_code)

    assert answers == [401, 401, 401, 429]


def test_each_client_address_has_its_own_count_and_cannot_choose_another(rate_limits, now):
    rate_limits(anon="2/min")
    here, there = APIClient(REMOTE_ADDR="192.0.2.7"), APIClient(REMOTE_ADDR="198.51.100.9")

    # Not behind a proxy: X-Forwarded-For is the client's own words and changes nothing.
    mine = [here.get(URL, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code for n in range(3)]

    assert mine == [401, 401, 429]
    assert there.get(URL).status_code == 401


def test_a_token_has_its_own_limit_apart_from_the_address_and_other_tokens(rate_limits, now):
    rate_limits(anon="2/min", user="3/min")
    anonymous, alice, bob = APIClient(), token_client(), token_client()

    assert [anonymous.get(URL).status_code for _ in range(3)] == [401, 401, 429]
    assert [alice.get(URL).status_code for _ in range(4)] == [200, 200, 200, 429]
    refused = alice.get(URL)
    assert refused["Retry-After"] == "60"
    assert bob.get(URL).status_code == 200  # same address, another token
    now.move(60)
    assert alice.get(URL).status_code == 200


def test_the_user_limit_holds_for_every_operation_of_a_token(rate_limits, now):
    rate_limits(user="2/min")
    client = token_client()

    answers = [
        client.get(URL).status_code,
        client.get("/api/v1/catalog/dossier-types/").status_code,
        client.get("/api/v1/parties/", {"q": "x"}).status_code,
    ]

    assert answers == [200, 200, 429]


def test_no_rate_means_no_limit_and_no_counting(rate_limits, now):
    rate_limits(anon=None, user=None)
    anonymous, client = APIClient(), token_client()

    assert {anonymous.get(URL).status_code for _ in range(70)} == {401}
    assert client.get(URL).status_code == 200
    assert not ApiRateWindow.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_counting_is_one_atomic_statement_shared_by_all_connections():
    """Workers and hosts count in the same rows: 16 connections at once, no count lost."""
    counts: list[int] = []
    start = threading.Barrier(16)

    def hit() -> None:
        try:
            start.wait()
            counts.append(rate_window_hit(bucket="user:42", period=60)[0])
        finally:
            connections.close_all()

    threads = [threading.Thread(target=hit) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(counts) == list(range(1, 17))
    assert ApiRateWindow.objects.get(bucket="user:42").hits == 16


def test_windows_no_limit_needs_any_more_are_pruned(now):
    rate_window_hit(bucket="anon:192.0.2.1", period=60)
    now.move(2 * 86400)
    rate_window_hit(bucket="anon:192.0.2.2", period=60)

    assert rate_windows_prune() == 1
    assert list(ApiRateWindow.objects.values_list("bucket", flat=True)) == ["anon:192.0.2.2"]


def test_a_malformed_rate_is_a_clear_start_up_error(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", "import midoffice.settings"],
        env={
            "PATH": "/usr/bin:/bin",
            "MIDOFFICE_DATA_DIR": str(tmp_path),
            "MIDOFFICE_DEBUG": "true",
            "MIDOFFICE_API_RATE_ANON": "sixty",
        },
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode != 0
    assert "MIDOFFICE_API_RATE_ANON must look like 60/min" in result.stderr
