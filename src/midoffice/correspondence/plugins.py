"""The configured Documentendienst and signer (by name, from settings)."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from midoffice.integrations.magda import client as _magda_client  # noqa: F401 - registers
from midoffice.integrations.magda.base import DocumentService, document_services
from midoffice.integrations.signing import fake as _fake_signer  # noqa: F401 - registers
from midoffice.integrations.signing import pades as _pades  # noqa: F401 - registers
from midoffice.integrations.signing.base import Signer, signers
from midoffice.integrations.signing.democert import root_path_for


def document_service() -> DocumentService:
    cls = document_services.get(settings.MAGDA_PLUGIN)
    return cls(  # type: ignore[call-arg]  # plugins take keyword configuration
        base_url=settings.MAGDA_URL,
        timeout=float(settings.MAGDA_TIMEOUT),
        token=settings.MAGDA_TOKEN,
    )


def signer() -> Signer:
    cls = signers.get(settings.SIGNING_PLUGIN)
    return cls(  # type: ignore[call-arg]  # plugins take keyword configuration
        p12_path=settings.SIGNING_P12, passphrase=settings.SIGNING_P12_PASSWORD
    )


def trust_root_path() -> Path:
    if settings.SIGNING_TRUST_ROOT:
        return Path(settings.SIGNING_TRUST_ROOT)
    return root_path_for(Path(settings.SIGNING_P12))
