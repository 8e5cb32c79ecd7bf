"""Issue 19, item 9: the OpenAPI schema and the API docs are for staff, as the README
says; a visitor who is not signed in gets neither."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.factories import UserFactory


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/api/schema/", "/api/docs/", "/api/docs/?script="])
def test_schema_and_docs_are_not_public(client, url):
    response = client.get(url)
    assert response.status_code in (302, 401, 403), response.status_code
    assert b"openapi" not in response.content.lower()


@pytest.mark.django_db
def test_the_docs_page_sends_a_visitor_to_sign_in_first(client):
    response = client.get("/api/docs/")
    assert response.status_code == 302
    assert response["Location"] == "/aanmelden/?next=/api/docs/"


@pytest.mark.django_db
def test_the_schema_answers_401_to_an_api_client_without_a_token():
    assert APIClient().get("/api/schema/").status_code == 401


@pytest.mark.django_db
def test_staff_get_the_schema_and_docs(client):
    client.force_login(UserFactory())
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"openapi:" in schema.content
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert "swagger-ui" in docs.content.decode()


@pytest.mark.django_db
def test_a_token_gets_the_schema():
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=UserFactory(system=True))
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api.get("/api/schema/").status_code == 200
