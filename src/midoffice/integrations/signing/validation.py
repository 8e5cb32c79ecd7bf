"""Validating a signed letter as a recipient would: PAdES B-B offline, B-LT and B-LTA as
AdES validation with revocation checking (pyHanko)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from io import BytesIO

from pyhanko.keys import load_certs_from_pemder_data
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.ades.report import AdESStatus
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.ades import (
    AdESWithTimeValidationResult,
    _dss_to_local_knowledge,
    ades_lta_validation,
    ades_with_time_validation,
)
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.sign.validation.generic_cms import extract_tst_data_iter
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.sign.validation.policy_decl import (
    PdfSignatureValidationSpec,
    RevinfoOnlineFetchingRule,
    RevocationInfoGatheringSpec,
    SignatureValidationSpec,
)
from pyhanko.sign.validation.status import PdfSignatureStatus
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.context import CertValidationPolicySpec
from pyhanko_certvalidator.fetchers.requests_fetchers import RequestsFetcherBackend
from pyhanko_certvalidator.registry import SimpleTrustManager

from midoffice.integrations.signing.pades import (
    _REVINFO_POLICY,
    SigningLevel,
    _without_running_loop,
)


@dataclass(frozen=True)
class SignatureCheck:
    intact: bool
    valid: bool
    trusted: bool
    signer: str
    covers_whole_file: bool
    summary: str
    level: str = ""
    """The PAdES baseline level the signature reaches and validates at (B-B … B-LTA)."""
    revocation_checked: bool = False

    @property
    def ok(self) -> bool:
        return self.intact and self.valid and self.trusted and self.covers_whole_file


def signature_check(
    *, pdf: bytes, trust_root_pem: bytes, allow_fetching: bool = False, timeout: float = 10.0
) -> SignatureCheck:
    """Validate the letter's signature with pyHanko's validator, trusting ``trust_root_pem``.

    A long-term signature (timestamp and revocation data) is validated as PAdES B-LT/
    B-LTA (ETSI EN 319 102-1, pyHanko's AdES validation) with revocation checking on:
    the embedded OCSP/CRL data must prove the certificate good at the timestamp's time,
    and with ``allow_fetching`` fresh data is fetched too (a later revocation does not
    invalidate it). A basic signature (B-B) is checked offline as before.
    """
    reader = PdfFileReader(BytesIO(pdf))
    regular = [sig for sig in reader.embedded_signatures if sig.sig_object_type == "/Sig"]
    if not regular:
        return SignatureCheck(False, False, False, "", False, "geen handtekening")
    embedded = regular[-1]
    roots = list(load_certs_from_pemder_data(trust_root_pem))
    coverage = embedded.evaluate_signature_coverage()
    whole = coverage.name == "ENTIRE_FILE"
    declared = _declared_level(reader, embedded)
    if declared.rank < SigningLevel.B_LT.rank:
        context = ValidationContext(trust_roots=roots, allow_fetching=False)
        status = _without_running_loop(lambda: validate_pdf_signature(embedded, context))
        return SignatureCheck(
            intact=status.intact,
            valid=status.valid,
            trusted=status.trusted,
            signer=status.signing_cert.subject.human_friendly,
            covers_whole_file=whole,
            summary=status.summary(),
            level=declared.value,
        )
    embedded.compute_integrity_info()
    spec = SignatureValidationSpec(
        cert_validation_policy=CertValidationPolicySpec(
            trust_manager=SimpleTrustManager.build(trust_roots=roots),
            revinfo_policy=_REVINFO_POLICY,
        ),
        revinfo_gathering_policy=RevocationInfoGatheringSpec(
            online_fetching_rule=(
                RevinfoOnlineFetchingRule.ALWAYS_FETCH
                if allow_fetching
                else RevinfoOnlineFetchingRule.LOCAL_ONLY
            ),
            fetcher_backend=RequestsFetcherBackend(per_request_timeout=int(timeout)),
        ),
        # The OCSP responses, CRLs and certificates in the document security store.
        # (pyHanko's B-LTA validation reads them itself; this helper is internal to it.)
        local_knowledge=_dss_to_local_knowledge(reader),
    )
    result: AdESWithTimeValidationResult
    if declared is SigningLevel.B_LTA:
        # ETSI EN 319 102-1 §5.6.3: the document timestamp chain proves existence.
        result = _without_running_loop(
            lambda: asyncio.run(ades_lta_validation(embedded, PdfSignatureValidationSpec(spec)))
        )
    else:
        # §5.5 (validation with time): the signature timestamp is the best signature
        # time; the embedded revocation data must show the certificate good then.
        result = _without_running_loop(
            lambda: asyncio.run(
                ades_with_time_validation(
                    embedded.signed_data,
                    spec,
                    raw_digest=embedded.compute_digest(),
                    extra_status_kwargs=embedded.summarise_integrity_info(),
                    status_cls=PdfSignatureStatus,
                )
            )
        )
    ades_status = result.api_status
    passed = result.ades_subindic.status is AdESStatus.PASSED
    signer = ades_status.signing_cert.subject.human_friendly if ades_status is not None else ""
    # After a long-term signature come the DSS update (and a document timestamp): the
    # difference analysis must find nothing else in them.
    whole = whole or bool(
        ades_status is not None
        and coverage.name == "ENTIRE_REVISION"
        and ades_status.modification_level is not None
        and ades_status.modification_level.name == "LTA_UPDATES"
    )
    summary = result.ades_subindic.standard_name + (
        f": {result.failure_msg}" if result.failure_msg else ""
    )
    return SignatureCheck(
        intact=bool(ades_status and ades_status.intact),
        valid=bool(ades_status and ades_status.valid) and passed,
        trusted=passed,
        signer=signer,
        covers_whole_file=whole,
        summary=summary,
        level=declared.value if passed else "",
        revocation_checked=passed,
    )


def _declared_level(reader: PdfFileReader, embedded: EmbeddedPdfSignature) -> SigningLevel:
    """The level the file's structure claims: a signature timestamp (B-T), revocation
    data in the DSS (B-LT), a document timestamp after the signature (B-LTA)."""
    if next(extract_tst_data_iter(embedded.signer_info, signed=False), None) is None:
        return SigningLevel.B_B
    dss = DocumentSecurityStore.read_dss(reader) if "/DSS" in reader.root else None
    if dss is None or not (dss.ocsps or dss.crls):
        return SigningLevel.B_T
    later = reader.embedded_signatures[reader.embedded_signatures.index(embedded) + 1 :]
    if any(sig.sig_object_type == "/DocTimeStamp" for sig in later):
        return SigningLevel.B_LTA
    return SigningLevel.B_LT
