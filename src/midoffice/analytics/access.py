"""Who sees which dashboards: team leads their own teams, management every team.

There is no management role: "management" is whoever holds the Django permission
``analytics.view_all_teams``, granted to a user or (better) a group in the admin. Like
the signing officers' permission (``accounts.permissions.is_signing_officer``) it is
granted, not implied: a superuser (the IT administrator) does not read the town's
workload figures just because Django lets a superuser pass every ``has_perm``.
Everyone else gets a 403 with a Dutch reason.
"""

from __future__ import annotations

from dataclasses import dataclass

from midoffice.accounts.models import Role, User
from midoffice.accounts.permissions import granted_permissions, user_team_ids
from midoffice.analytics.models import VIEW_ALL_TEAMS_PERMISSION
from midoffice.core.errors import Forbidden

REFUSAL = "De analyses zijn er voor teamverantwoordelijken en het management."


@dataclass(frozen=True)
class Scope:
    """The teams whose figures a viewer sees: ``team_ids`` None means every team."""

    team_ids: frozenset[int] | None

    @property
    def all_teams(self) -> bool:
        return self.team_ids is None

    def includes(self, team_id: int) -> bool:
        return self.team_ids is None or team_id in self.team_ids


def may_view_all_teams(user: User) -> bool:
    """Holds ``analytics.view_all_teams``, granted to the user or one of their groups."""
    return VIEW_ALL_TEAMS_PERMISSION in granted_permissions(user)


def may_view_analytics(user: User) -> bool:
    return user.is_active and (user.role == Role.TEAM_LEAD or may_view_all_teams(user))


def analytics_scope(user: User) -> Scope:
    """The viewer's scope, or Forbidden for who may not see the dashboards at all."""
    if not user.is_authenticated or not may_view_analytics(user):
        raise Forbidden(REFUSAL, code="not_permitted")
    if may_view_all_teams(user):
        return Scope(team_ids=None)
    return Scope(team_ids=frozenset(user_team_ids(user)))
