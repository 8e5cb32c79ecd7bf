"""The configured Documentendienst and signer (by name, from settings)."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from midoffice.integrations.magda import client as _magda_client  # noqa: F401 - registers
from midoffice.integrations.magda.base import DocumentService, document_services
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
    if settings.SIGNING_PLUGIN == "csc":
        return _csc_signer()
    cls = signers.get(settings.SIGNING_PLUGIN)
    return cls(  # type: ignore[call-arg]  # plugins take keyword configuration
        p12_path=settings.SIGNING_P12, passphrase=settings.SIGNING_P12_PASSWORD
    )


def _csc_signer() -> Signer:
    """The remote signing service (CSC API v2); the demo's fake when no URL is configured."""
    from midoffice.integrations.signing import fake_csc
    from midoffice.integrations.signing.csc import CscSigner

    demo = settings.FAKE_CSC  # the fake knows only its demo client and PIN
    return CscSigner(
        service_url=settings.SIGNING_CSC_URL,
        token_url=settings.SIGNING_CSC_TOKEN_URL,
        client_id=settings.SIGNING_CSC_CLIENT_ID or (fake_csc.DEMO_CLIENT_ID if demo else ""),
        client_secret=settings.SIGNING_CSC_CLIENT_SECRET
        or (fake_csc.DEMO_CLIENT_SECRET if demo else ""),
        credential_id=settings.SIGNING_CSC_CREDENTIAL_ID,
        pin=settings.SIGNING_CSC_PIN or (fake_csc.DEMO_PIN if demo else ""),
        timeout=float(settings.SIGNING_CSC_TIMEOUT),
    )


def trust_root_path() -> Path:
    if settings.SIGNING_TRUST_ROOT:
        return Path(settings.SIGNING_TRUST_ROOT)
    return root_path_for(Path(settings.SIGNING_P12))
