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
