"""The sign-in backend: Django's ``ModelBackend``, which also reads, with the signed-in
user on every request, whether anything was granted to them in the admin.

Every staff page asks what the admin granted (``permissions.granted_permissions``: the
menu's signature folder and analysis items). Nearly every colleague was granted nothing
- no permission of their own, no group - yet the question cost a query of its own on
every page, 0.7 ms of the worker's CPU and 0.6 ms of PostgreSQL's (issue 24). Two
``EXISTS`` on the user's row answer "nothing" with the user itself; only a user with a
permission or a group has them read.
"""

from __future__ import annotations

import functools
from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.db.models import Exists, OuterRef, QuerySet

from midoffice.accounts import permissions
from midoffice.accounts.models import User


@functools.cache
def _users_with_grant_flags() -> QuerySet[User]:
    """Built once per process; ``filter`` copies it (building the subqueries is most of
    the cost of asking)."""
    return User._default_manager.annotate(
        midoffice_own_grants=Exists(
            User.user_permissions.through.objects.filter(user_id=OuterRef("pk"))
        ),
        midoffice_in_groups=Exists(User.groups.through.objects.filter(user_id=OuterRef("pk"))),
    )


class StaffBackend(ModelBackend):
    def get_user(self, user_id: Any) -> User | None:
        user = _users_with_grant_flags().filter(pk=user_id).first()
        if user is None or not self.user_can_authenticate(user):
            return None
        if not (user.midoffice_own_grants or user.midoffice_in_groups):  # type: ignore[attr-defined]
            permissions.granted_nothing(user)
        return user
