"""Small template helpers for the portal."""

from __future__ import annotations

from django import template
from django.conf import settings

from midoffice.dossiers.models import Dossier

register = template.Library()


@register.simple_tag
def town_name() -> str:
    return str(getattr(settings, "TOWN_NAME", "De gemeente"))


@register.filter
def citizen_status(dossier: Dossier) -> str:
    """The dossier type's citizen-facing text for the current status."""
    return dossier.status.citizen_text or dossier.status.name


@register.filter
def filesize(size: int) -> str:
    if size < 1024 * 1024:
        return f"{max(size // 1024, 1)} kB"
    return f"{size / 1024 / 1024:.1f} MB".replace(".", ",")
