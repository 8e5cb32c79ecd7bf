"""The workbench menu's entry for destruction lists (``{% load destruction_menu %}``)."""

from __future__ import annotations

from django import template

from midoffice.accounts.models import User
from midoffice.accounts.permissions import Action, may
from midoffice.archive.destruction_selectors import (
    destruction_lists_visible,
    destruction_lists_waiting_for,
)

register = template.Library()


@register.simple_tag
def destruction_lists_menu(user: User) -> int | None:
    """How many lists wait for the user to act; None when the menu shows no entry.

    Archivists always have the entry; a team lead only once a list names them."""
    if not user.is_authenticated:
        return None
    if not (may(user, Action.PROPOSE_DESTRUCTION) or may(user, Action.APPROVE_DESTRUCTION)):
        if not may(user, Action.REVIEW_DESTRUCTION):
            return None
        if not destruction_lists_visible(user=user).exists():
            return None
    return destruction_lists_waiting_for(user=user)
