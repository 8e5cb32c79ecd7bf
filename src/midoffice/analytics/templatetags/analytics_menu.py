"""The workbench menu's "Analyse" item: only for who may see the dashboards."""

from __future__ import annotations

from django import template

from midoffice.accounts.models import User
from midoffice.analytics.access import may_view_analytics

register = template.Library()


@register.simple_tag
def may_analyse(user: User) -> bool:
    return bool(user.is_authenticated) and may_view_analytics(user)
