"""Start-up checks for signing letters: in production a letter must be signable and its
signature verifiable, so a missing trust root or timestamp authority stops the process
(Django's system checks run before every management command: migrate, db_worker,
scheduler, runserver) instead of surfacing at the first letter (ADR 22a)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error


def signing_configuration_problems() -> list[CheckMessage]:
    """What is missing to sign letters at the configured level; nothing in development."""
    if settings.DEBUG:
        return []
    from midoffice.correspondence.plugins import trust_root_path

    problems: list[CheckMessage] = []
    root = trust_root_path()
    if not Path(root).is_file():
        problems.append(
            Error(
                f"The trust root for letter signatures ({root}) does not exist.",
                hint="Set MIDOFFICE_SIGNING_TRUST_ROOT to the PEM file of the root that "
                "issued the town's signing certificate.",
                id="correspondence.E001",
            )
        )
    if settings.SIGNING_LEVEL == "B-B":
        problems.append(
            Error(
                "MIDOFFICE_SIGNING_LEVEL=B-B (no timestamp) is for development only.",
                hint="Use B-LT (the default) or B-LTA.",
                id="correspondence.E002",
            )
        )
    elif not settings.SIGNING_TSA_URL:
        problems.append(
            Error(
                f"MIDOFFICE_SIGNING_LEVEL={settings.SIGNING_LEVEL} needs a timestamp authority.",
                hint="Set MIDOFFICE_SIGNING_TSA_URL to the town's RFC 3161 timestamp service.",
                id="correspondence.E003",
            )
        )
    return problems


def check_signing(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    return signing_configuration_problems()
