"""The dossier page's property facts: register verification and same-property dossiers."""

from __future__ import annotations

from typing import Any

from django import template

from midoffice.accounts.models import User
from midoffice.dossiers.models import Dossier
from midoffice.places.selectors import dossiers_same_property

register = template.Library()


@register.inclusion_tag("web/_dossier_property.html", takes_context=True)
def dossier_property(context: template.Context, dossier: Dossier) -> dict[str, Any]:
    user = context["request"].user
    same = dossiers_same_property(user=user, dossier=dossier) if isinstance(user, User) else []
    return {"dossier": dossier, "same": same}
