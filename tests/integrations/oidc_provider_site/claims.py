"""What the test provider says about its people: names and e-mail from the Django user,
the national number (scope ``rrn``, as ACM/IDM) and the groups (the user's Django groups,
as Entra ID's ``groups`` claim) from the people registered by ``setup``."""

from __future__ import annotations

from typing import Any

from oidc_provider.lib.claims import ScopeClaims

# username -> national number: the fictional demo citizens' (checksum-valid, invented).
NATIONAL_NUMBERS = {"emma": "86031412323", "lucas": "79070204551"}


def userinfo(claims: dict[str, Any], user: Any) -> dict[str, Any]:
    claims["given_name"] = user.first_name
    claims["family_name"] = user.last_name
    claims["name"] = f"{user.first_name} {user.last_name}"
    claims["preferred_username"] = user.username
    claims["email"] = user.email
    return claims


class TownClaims(ScopeClaims):
    def scope_rrn(self) -> dict[str, Any]:
        return {"rrn": NATIONAL_NUMBERS.get(self.user.username, "")}

    def scope_profile(self) -> dict[str, Any]:
        return {"groups": sorted(self.user.groups.values_list("name", flat=True))}
