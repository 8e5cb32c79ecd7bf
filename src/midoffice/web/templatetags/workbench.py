"""Template helpers of the workbench (header counts)."""

from __future__ import annotations

from django import template

from midoffice.accounts import permissions
from midoffice.accounts.models import Team, User
from midoffice.correspondence.selectors import signature_folder
from midoffice.dossiers.selectors import notification_unread_count

register = template.Library()


@register.simple_tag
def unread_notifications(user: User) -> int:
    return notification_unread_count(user=user) if user.is_authenticated else 0


@register.simple_tag
def my_teams(user: User) -> list[Team]:
    if not user.is_authenticated:
        return []
    if user.sees_all_teams:
        return list(Team.objects.order_by("name"))
    return list(user.teams.order_by("name"))


@register.simple_tag
def may_do(user: User, action: str) -> bool:
    """May the signed-in user do ``action`` at all (for menu items without a dossier)?"""
    if not user.is_authenticated:
        return False
    return permissions.may(user, permissions.Action(action))


@register.simple_tag
def letters_to_sign(user: User) -> int | None:
    """How many letters wait in the user's signature folder; None for who may not sign."""
    if not user.is_authenticated:
        return None
    if permissions.scope_for(user, permissions.Action.SIGN_LETTER) is None:
        return None
    return signature_folder(user=user).count()
