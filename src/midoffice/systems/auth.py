"""Authentication of specialist systems: ``Authorization: Token mds_…``, scopes, limits.

A system is not a member of staff: ``request.user`` is a :class:`SystemPrincipal` (no
roles, no teams) and ``request.auth`` its :class:`SystemToken`. Only the views of this
app take these tokens; a staff token gets 401 here and a system token 401 elsewhere.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from midoffice.core.throttling import _WindowThrottle
from midoffice.systems.models import SpecialistSystem, SystemToken
from midoffice.systems.services import system_token_for_key

KEYWORD = "Token"


class SystemPrincipal:
    """Who calls: a specialist system (what DRF keeps in ``request.user``)."""

    is_authenticated = True
    is_anonymous = False
    is_active = True

    def __init__(self, system: SpecialistSystem) -> None:
        self.system = system
        self.pk = None

    def __str__(self) -> str:
        return self.system.name


class SystemTokenAuthentication(BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[SystemPrincipal, SystemToken] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != KEYWORD.lower().encode():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("Ongeldige sleutel.")
        try:
            key = parts[1].decode("ascii")
        except UnicodeError:
            raise exceptions.AuthenticationFailed("Ongeldige sleutel.") from None
        token = system_token_for_key(key)
        if token is None:
            raise exceptions.AuthenticationFailed("Ongeldige of ingetrokken sleutel.")
        return SystemPrincipal(token.system), token

    def authenticate_header(self, request: Request) -> str:
        return KEYWORD


def request_system(request: Request) -> SpecialistSystem:
    user = request.user
    assert isinstance(user, SystemPrincipal)
    return user.system


class HasScope(BasePermission):
    """The view's ``scope`` must be among the system's scopes (403 otherwise)."""

    message = "Dit systeem heeft geen recht op deze handeling."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not isinstance(user, SystemPrincipal):
            return False
        return user.system.has_scope(view.scope)


class SystemThrottle(_WindowThrottle):
    """The ``user`` limit, counted per system (all its tokens together)."""

    scope = "user"

    def ident(self, request: Request) -> str | None:
        user = request.user
        return f"system-{user.system.pk}" if isinstance(user, SystemPrincipal) else None


# drf-spectacular registers extensions in an untyped __init_subclass__.
class SystemTokenScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = SystemTokenAuthentication
    name = "systemToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": (
                "Sleutel van een maatsysteem: `Token mds_…` (gemaakt in het beheer, één keer "
                "getoond)."
            ),
        }
