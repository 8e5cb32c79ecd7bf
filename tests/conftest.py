from __future__ import annotations

import os

import pytest
from rest_framework.test import APIClient

from tests.factories import DossierTypeFactory, TeamFactory, UserFactory


@pytest.fixture
def team(db):
    return TeamFactory(code="omgeving", name="Omgeving")


@pytest.fixture
def dossier_type(team):
    return DossierTypeFactory(team=team, code="info-verbouwen", name="Informatievraag verbouwen")


@pytest.fixture
def handler(team):
    return UserFactory(username="sofie", teams=[team])


@pytest.fixture
def api(handler) -> APIClient:
    client = APIClient()
    client.force_authenticate(handler)
    return client


@pytest.fixture(autouse=True)
def _fresh_memo():
    """Memoised configuration reads (core.memo) never cross a test: a rolled-back test's
    dossier types or rules must not be seen by the next one."""
    from midoffice.core.memo import memo_clear_all

    memo_clear_all()
    yield
    memo_clear_all()


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hashing():
    """Tests make hundreds of staff users: hash their passwords with a fast hasher (the
    product keeps Django's default, PBKDF2 with 1,000,000 iterations)."""
    from django.test.utils import override_settings

    fast = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
    fast.enable()
    yield
    fast.disable()


def pytest_collection_modifyitems(config, items):
    """``make test`` runs the suite twice, on SQLite and then on PostgreSQL; tests marked
    ``once`` (slow, and what they prove does not depend on the database) run in the
    PostgreSQL leg only, so the whole run stays within its time budget."""
    if os.environ.get("MIDOFFICE_TEST_ONCE_ELSEWHERE") != "1":
        return
    skip = pytest.mark.skip(reason="marked once: runs in the PostgreSQL leg of make test")
    for item in items:
        if item.get_closest_marker("once"):
            item.add_marker(skip)


@pytest.fixture(autouse=True, scope="session")
def _signing_without_timestamp_authority(tmp_path_factory):
    """Letters are signed PAdES B-B in tests that are not about signatures: no timestamp
    or OCSP round trips (tests/correspondence runs a demo PKI and signs B-LT, ADR 22a).

    Processes the suite starts in production mode (MIDOFFICE_DEBUG=false) find a trust
    root and a timestamp authority configured, as production start-up requires."""
    import os

    from django.test.utils import override_settings

    from midoffice.integrations.signing.democert import generate_demo_p12, root_path_for

    p12 = generate_demo_p12(path=tmp_path_factory.mktemp("trust") / "suite.p12")
    os.environ.setdefault("MIDOFFICE_SIGNING_TRUST_ROOT", str(root_path_for(p12)))
    # Configured, not reached: port 9 (discard) on loopback answers nothing.
    os.environ.setdefault("MIDOFFICE_SIGNING_TSA_URL", "http://127.0.0.1:9/tsa")
    basic = override_settings(SIGNING_LEVEL="B-B")
    basic.enable()
    yield
    basic.disable()
