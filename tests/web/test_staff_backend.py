"""The sign-in backend reads, with the signed-in user, whether the admin granted them
anything (``accounts.backends.StaffBackend``, issue 24): a colleague granted nothing
costs no query for the menu's permissions, one with a permission or a group has them read
as before, and a session signed in with Django's ModelBackend stays valid."""

from __future__ import annotations

import pytest
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from midoffice.accounts.models import Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SIGN = {"content_type__app_label": "correspondence", "codename": "sign_letter"}


def _home(client) -> tuple[str, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/")
    assert response.status_code == 200
    return response.content.decode(), [q["sql"] for q in captured.captured_queries]


def test_a_colleague_granted_nothing_costs_no_permission_query(client, team):
    user = UserFactory(teams=[team])
    client.force_login(user)
    html, queries = _home(client)
    assert not [q for q in queries if "auth_permission" in q]
    assert "Handtekenmap" not in html


@pytest.mark.parametrize("through", ["user", "group"])
def test_a_permission_granted_in_the_admin_still_counts(client, team, through):
    user = UserFactory(role=Role.TEAM_LEAD, teams=[team])
    permission = Permission.objects.get(**SIGN)
    if through == "user":
        user.user_permissions.add(permission)
    else:
        group = Group.objects.create(name="Ondertekenaars")
        group.permissions.add(permission)
        user.groups.add(group)
    client.force_login(user)
    html, queries = _home(client)
    assert [q for q in queries if "auth_permission" in q]
    assert "Handtekenmap" in html


def test_a_session_signed_in_with_django_model_backend_stays_valid(client, team):
    user = UserFactory(teams=[team])
    session = client.session
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    client.cookies["sessionid"] = session.session_key
    response = client.get("/")
    assert response.status_code == 200
    assert response.wsgi_request.user == user


def test_signing_in_with_a_password_uses_the_staff_backend(client, team):
    UserFactory(username="an", teams=[team])
    response = client.post(
        "/aanmelden/", {"username": "an", "password": "geheim-wachtwoord-1"}, follow=True
    )
    assert response.status_code == 200
    assert client.session[BACKEND_SESSION_KEY] == "midoffice.accounts.backends.StaffBackend"
