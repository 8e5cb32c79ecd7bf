from __future__ import annotations

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
