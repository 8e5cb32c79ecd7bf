"""The built-in signer: a PAdES signature with the town's certificate (pyHanko)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import TypeVar

from pyhanko.keys import load_certs_from_pemder_data
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from midoffice.integrations.signing.base import (
    SignedDocument,
    Signer,
    SigningError,
    SignRequest,
)
from midoffice.integrations.signing.base import (
    signers as registry,
)

FIELD_NAME = "HandtekeningGemeente"


@registry.register("pades")
class PadesSigner(Signer):
    """Signs in-process with a PKCS#12 file (key + certificate + chain)."""

    def __init__(self, *, p12_path: str | Path, passphrase: str = "") -> None:
        self.p12_path = Path(p12_path)
        self.passphrase = passphrase

    def _load(self) -> signers.SimpleSigner:
        if not self.p12_path.is_file():
            raise SigningError(
                f"Het certificaat van de gemeente ontbreekt ({self.p12_path.name}); "
                "maak het aan met 'midoffice correspondence_demo_cert' of stel "
                "MIDOFFICE_SIGNING_P12 in."
            )
        signer = signers.SimpleSigner.load_pkcs12(  # type: ignore[no-untyped-call]  # untyped lib
            pfx_file=str(self.p12_path),
            passphrase=self.passphrase.encode() if self.passphrase else None,
        )
        if not isinstance(signer, signers.SimpleSigner) or signer.signing_cert is None:
            raise SigningError("Het certificaat van de gemeente kon niet gelezen worden.")
        return signer

    def sign(self, request: SignRequest) -> SignedDocument:
        return sign_with(request, self._load())


def sign_with(
    request: SignRequest, signer: signers.Signer, *, service_reference: str = ""
) -> SignedDocument:
    """Apply the town's PAdES signature with any pyHanko signer (local key or remote)."""
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME,
        reason=request.reason,
        location=request.location or None,
        name=request.signer_name,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
    )
    writer = IncrementalPdfFileWriter(BytesIO(request.pdf))
    out = _without_running_loop(lambda: signers.sign_pdf(writer, meta, signer=signer))
    if signer.signing_cert is None:
        raise SigningError("De ondertekendienst gaf geen certificaat terug.")
    subject = str(signer.signing_cert.subject.human_friendly)
    return SignedDocument(
        pdf=out.getvalue(),
        certificate_subject=subject,
        signed_at=dt.datetime.now(dt.UTC),
        service_reference=service_reference,
    )


@dataclass(frozen=True)
class SignatureCheck:
    intact: bool
    valid: bool
    trusted: bool
    signer: str
    covers_whole_file: bool
    summary: str

    @property
    def ok(self) -> bool:
        return self.intact and self.valid and self.trusted and self.covers_whole_file


def signature_check(*, pdf: bytes, trust_root_pem: bytes) -> SignatureCheck:
    """Validate the (last) signature with pyHanko's validator, trusting ``trust_root_pem``.

    Offline: no revocation fetching, so a self-signed demo root is enough.
    """
    reader = PdfFileReader(BytesIO(pdf))
    if not reader.embedded_signatures:
        return SignatureCheck(False, False, False, "", False, "geen handtekening")
    embedded = reader.embedded_signatures[-1]
    context = ValidationContext(
        trust_roots=list(load_certs_from_pemder_data(trust_root_pem)), allow_fetching=False
    )
    status = _without_running_loop(lambda: validate_pdf_signature(embedded, context))
    coverage = embedded.evaluate_signature_coverage()
    whole = coverage.name == "ENTIRE_FILE"
    return SignatureCheck(
        intact=status.intact,
        valid=status.valid,
        trusted=status.trusted,
        signer=status.signing_cert.subject.human_friendly,
        covers_whole_file=whole,
        summary=status.summary(),
    )


T = TypeVar("T")


def _without_running_loop(func: Callable[[], T]) -> T:
    """Run pyHanko's sync API, which calls asyncio.run(), even when a loop is running here.

    Under an ASGI server (or anything else with a running loop in this thread) the call
    goes to a short-lived worker thread instead.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return func()
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(func).result()
