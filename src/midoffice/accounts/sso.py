"""Staff single sign-on: the town's identity provider's claims → a Midoffice staff user.

The protocol (code flow, PKCE, ID token checks) is integrations.oidc's; this module decides who
the signed-in person is in Midoffice. The group map (MIDOFFICE_STAFF_OIDC_GROUP_MAP, ADR
25) turns the values of the groups claim into one role and a set of teams; it is applied
again at every sign-in, so the identity provider stays the authority for SSO accounts:
somebody removed from every mapped group is refused and their account switched off.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

from midoffice.accounts.models import Role, Team, User
from midoffice.core.errors import Forbidden

logger = logging.getLogger(__name__)

# Roles SSO may hand out, weakest first: with several mapped groups the strongest wins.
# SYSTEM is for API accounts, never a person signing in.
ROLE_STRENGTH: tuple[Role, ...] = (
    Role.FRONT_DESK,
    Role.HANDLER,
    Role.ARCHIVIST,
    Role.TEAM_LEAD,
    Role.ADMINISTRATOR,
)

NO_ACCESS = (
    "Je account van de gemeente geeft geen toegang tot Midoffice. Vraag je beheerder om "
    "je aan de juiste groep toe te voegen."
)


class SsoConfigError(ImproperlyConfigured):
    """The group map is wrong: our fault, not the person's who signs in."""


@dataclass(frozen=True)
class Grant:
    role: Role
    teams: frozenset[str]


def group_map_parse(raw: str) -> dict[str, Grant]:
    """Parse and check MIDOFFICE_STAFF_OIDC_GROUP_MAP (roles only; team codes at use)."""
    try:
        data = json.loads(raw or "{}")
    except ValueError as exc:
        raise SsoConfigError(f"MIDOFFICE_STAFF_OIDC_GROUP_MAP is no valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise SsoConfigError("MIDOFFICE_STAFF_OIDC_GROUP_MAP must be a JSON object")
    mapping: dict[str, Grant] = {}
    for group, entry in data.items():
        if not isinstance(entry, dict) or entry.get("role") not in {r.value for r in ROLE_STRENGTH}:
            raise SsoConfigError(
                f"MIDOFFICE_STAFF_OIDC_GROUP_MAP[{group!r}] needs a role of "
                f"{', '.join(r.value for r in ROLE_STRENGTH)}"
            )
        teams = entry.get("teams", [])
        if not isinstance(teams, list) or not all(isinstance(t, str) for t in teams):
            raise SsoConfigError(
                f"MIDOFFICE_STAFF_OIDC_GROUP_MAP[{group!r}].teams: a list of codes"
            )
        mapping[str(group)] = Grant(role=Role(entry["role"]), teams=frozenset(teams))
    return mapping


def grant_for_groups(groups: Iterable[str], mapping: Mapping[str, Grant]) -> Grant | None:
    """The strongest role and every team of the mapped groups; ``None`` if none is mapped."""
    grants = [mapping[g] for g in groups if g in mapping]
    if not grants:
        return None
    role = max((g.role for g in grants), key=ROLE_STRENGTH.index)
    return Grant(role=role, teams=frozenset().union(*(g.teams for g in grants)))


def _groups(claims: Mapping[str, Any]) -> list[str]:
    value = claims.get(settings.STAFF_OIDC_GROUPS_CLAIM, [])
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(v) for v in value]
    return []


def staff_user_from_claims(*, claims: Mapping[str, Any], issuer: str) -> User:
    """The staff user of a verified ID token: made at first sign-in, role and teams set
    from the group map at every sign-in. Raises :class:`Forbidden` for a person whose
    groups map to nothing (no account is made; an existing SSO account is switched off)."""
    mapping = group_map_parse(settings.STAFF_OIDC_GROUP_MAP)
    username = str(claims.get(settings.STAFF_OIDC_USERNAME_CLAIM) or "").strip()
    subject = f"{issuer}|{claims.get('sub', '')}"
    if not username or not claims.get("sub"):
        raise Forbidden("Je account van de gemeente geeft geen gebruikersnaam door.")
    grant = grant_for_groups(_groups(claims), mapping)
    with transaction.atomic():
        user = (
            User.objects.select_for_update().filter(sso_subject=subject).first()
            or User.objects.select_for_update().filter(username=username).first()
        )
        if user is not None and user.is_superuser:
            # Break-glass accounts stay local: SSO never takes one over.
            raise Forbidden("Dit account kan alleen met een wachtwoord aanmelden.")
        if user is not None and user.is_sso and user.sso_subject not in ("", subject):
            raise Forbidden("Deze gebruikersnaam hoort bij een ander account van de gemeente.")
        if grant is None:
            if user is not None and user.is_sso and user.is_active:
                user.is_active = False
                user.save(update_fields=["is_active"])
                logger.info("staff SSO: account %s switched off (no mapped group)", user.pk)
        else:
            teams = list(Team.objects.filter(code__in=grant.teams))
            missing = grant.teams - {t.code for t in teams}
            if missing:
                raise SsoConfigError(
                    f"MIDOFFICE_STAFF_OIDC_GROUP_MAP names unknown teams: {sorted(missing)}"
                )
            if user is None:
                user = User(username=username)
            user.is_sso = True
            user.sso_subject = subject
            user.set_unusable_password()  # the identity provider owns the password
            user.is_active = True
            user.role = grant.role
            user.is_staff = grant.role == Role.ADMINISTRATOR  # the admin site
            user.first_name = str(claims.get("given_name") or user.first_name)[:150]
            user.last_name = str(claims.get("family_name") or user.last_name)[:150]
            user.email = str(claims.get("email") or user.email)[:254]
            user.save()
            user.teams.set(teams)
            return user
    # Outside the transaction: the switch-off above is kept, the sign-in refused.
    raise Forbidden(NO_ACCESS)
