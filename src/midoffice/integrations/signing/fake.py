"""A fake external signing service, behind the same interface as the built-in signer.

A real external service (a signing platform of the town) would receive the PDF, have an
officer sign it there, and return the signed PDF. The fake records every request, can be
told to refuse, and signs with the demo certificate so the result verifies.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path

from midoffice.integrations.signing.base import (
    SignedDocument,
    Signer,
    SigningError,
    SignRequest,
    signers,
)
from midoffice.integrations.signing.pades import PadesSigner


@dataclass
class FakeSigningLog:
    requests: list[str] = field(default_factory=list)
    refuse_with: str = ""


LOG = FakeSigningLog()


@signers.register("fake-external")
class FakeExternalSigner(Signer):
    def __init__(self, *, p12_path: str | Path, passphrase: str = "") -> None:
        self._inner = PadesSigner(p12_path=p12_path, passphrase=passphrase)

    def sign(self, request: SignRequest) -> SignedDocument:
        reference = f"fake-sign-{uuid.uuid4().hex[:12]}"
        LOG.requests.append(reference)
        if LOG.refuse_with:
            raise SigningError(f"De externe ondertekendienst weigerde: {LOG.refuse_with}")
        signed = self._inner.sign(request)
        return SignedDocument(
            pdf=signed.pdf,
            certificate_subject=signed.certificate_subject,
            signed_at=signed.signed_at,
            service_reference=reference,
        )
