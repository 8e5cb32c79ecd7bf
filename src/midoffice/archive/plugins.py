"""The configured e-depot target (by name, from settings)."""

from __future__ import annotations

from django.conf import settings

from midoffice.integrations.edepot import client as _http  # noqa: F401 - registers "http"
from midoffice.integrations.edepot import folder as _folder  # noqa: F401 - registers "folder"
from midoffice.integrations.edepot.base import EdepotTarget, edepot_targets


def edepot_target() -> EdepotTarget:
    cls = edepot_targets.get(settings.EDEPOT_PLUGIN)
    return cls(  # type: ignore[call-arg]  # plugins take keyword configuration
        base_url=settings.EDEPOT_URL,
        token=settings.EDEPOT_TOKEN,
        timeout=float(settings.EDEPOT_TIMEOUT),
        folder=settings.EDEPOT_FOLDER,
    )
