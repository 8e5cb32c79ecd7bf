"""The built-in signer: a PAdES signature with the town's certificate (pyHanko)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from io import BytesIO
from pathlib import Path
from typing import Any, TypeVar

from asn1crypto.x509 import Certificate
from pyhanko.keys import load_certs_from_pemder_data
from pyhanko.pdf_utils.font.opentype import GlyphAccumulator, GlyphAccumulatorFactory
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.pdf_utils.writer import BasePdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.ades.report import AdESStatus
from pyhanko.sign.general import SigningError as PyHankoSigningError
from pyhanko.sign.timestamps.common_utils import TimestampRequestError
from pyhanko.sign.timestamps.requests_client import RequestsHTTPTimeStamper
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
from pyhanko.stamp.text import TextStampStyle
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.context import CertValidationPolicySpec
from pyhanko_certvalidator.errors import (
    PathBuildingError,
    RevokedError,
    ValidationError,
)
from pyhanko_certvalidator.fetchers.requests_fetchers import RequestsFetcherBackend
from pyhanko_certvalidator.policy_decl import (
    CertRevTrustPolicy,
    RevocationCheckingPolicy,
    RevocationCheckingRule,
)
from pyhanko_certvalidator.registry import SimpleTrustManager

from midoffice.integrations.signing.base import (
    SignedDocument,
    Signer,
    SigningError,
    SignRequest,
)
from midoffice.integrations.signing.base import (
    signers as registry,
)
from midoffice.integrations.signing.pdfa_writer import incremental_writer

FIELD_NAME = "HandtekeningGemeente"
TIMESTAMP_FIELD_NAME = "TijdstempelArchief"


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


class SigningLevel(StrEnum):
    """PAdES baseline levels (ETSI EN 319 142-1) a letter can be signed at."""

    B_B = "B-B"  # no timestamp: for development only
    B_T = "B-T"  # with a signature timestamp
    B_LT = "B-LT"  # plus the revocation data that proves the certificate was good
    B_LTA = "B-LTA"  # plus a document timestamp over all of that

    @property
    def rank(self) -> int:
        return list(SigningLevel).index(self)


@dataclass(frozen=True)
class SignatureProfile:
    """How long-lived the signature is, and where its timestamp and checks come from."""

    level: SigningLevel = SigningLevel.B_LT
    tsa_url: str = ""
    tsa_username: str = ""
    tsa_password: str = ""
    trust_root_pem: bytes = b""
    timeout: float = 10.0


def profile_from_settings() -> SignatureProfile:
    """The configured profile (MIDOFFICE_SIGNING_LEVEL, _TSA_URL, _TRUST_ROOT …)."""
    from django.conf import settings

    from midoffice.integrations.signing.democert import root_path_for

    root = Path(settings.SIGNING_TRUST_ROOT or root_path_for(Path(settings.SIGNING_P12)))
    return SignatureProfile(
        level=SigningLevel(settings.SIGNING_LEVEL),
        tsa_url=settings.SIGNING_TSA_URL,
        tsa_username=settings.SIGNING_TSA_USERNAME,
        tsa_password=settings.SIGNING_TSA_PASSWORD,
        trust_root_pem=root.read_bytes() if root.is_file() else b"",
        timeout=float(settings.SIGNING_TIMEOUT),
    )


def sign_with(
    request: SignRequest,
    signer: signers.Signer,
    *,
    service_reference: str = "",
    profile: SignatureProfile | None = None,
) -> SignedDocument:
    """Apply the town's PAdES signature with any pyHanko signer (local key or remote).

    At B-LT and B-LTA the signature gets an RFC 3161 timestamp and the OCSP responses
    and CRLs of the signer's and the TSA's certificates (fetched now) in the document
    security store; B-LTA adds a document timestamp over them. The signature is
    visible in the letter's signature box when the letter has one. Raises
    :class:`SigningError` (Dutch) when the TSA or a revocation service cannot be
    reached; nothing is returned then.
    """
    profile = profile or profile_from_settings()
    level = profile.level
    timestamper: RequestsHTTPTimeStamper | None = None
    if level.rank >= SigningLevel.B_T.rank:
        if not profile.tsa_url:
            raise SigningError(
                "Er is geen tijdstempeldienst ingesteld (MIDOFFICE_SIGNING_TSA_URL); "
                "de brief kan niet ondertekend worden."
            )
        auth = (profile.tsa_username, profile.tsa_password) if profile.tsa_username else None
        timestamper = RequestsHTTPTimeStamper(  # type: ignore[no-untyped-call]  # untyped lib
            profile.tsa_url, timeout=profile.timeout, auth=auth
        )
    context: ValidationContext | None = None
    long_term = level.rank >= SigningLevel.B_LT.rank
    if long_term:
        roots = list(load_certs_from_pemder_data(profile.trust_root_pem))
        if not roots:
            raise SigningError(
                "Het vertrouwde basiscertificaat ontbreekt (MIDOFFICE_SIGNING_TRUST_ROOT); "
                "zonder kan de handtekening niet langdurig geldig gemaakt worden."
            )
        cert = signer.signing_cert
        if cert is not None and not (cert.ocsp_urls or cert.crl_distribution_points):
            raise SigningError(
                "Het certificaat van de gemeente vermeldt geen OCSP- of CRL-adres, dus kan "
                "de handtekening niet langdurig geldig gemaakt worden (voor het "
                "democertificaat: 'midoffice correspondence_demo_cert --force')."
            )
        context = _fetching_context(roots, signer, timeout=profile.timeout)
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME,
        reason=request.reason,
        location=request.location or None,
        name=request.signer_name,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        embed_validation_info=long_term,
        validation_context=context,
        use_pades_lta=level is SigningLevel.B_LTA,
        timestamp_field_name=TIMESTAMP_FIELD_NAME if level is SigningLevel.B_LTA else None,
    )
    writer = incremental_writer(request.pdf)  # keeps the PDF/A metadata in agreement
    placement = signature_box(writer.prev)
    pdf_signer = signers.PdfSigner(
        meta,
        signer,
        timestamper=timestamper,
        stamp_style=_stamp_style() if placement else None,
        new_field_spec=fields.SigFieldSpec(
            sig_field_name=FIELD_NAME,
            on_page=placement.page if placement else 0,
            box=placement.box if placement else None,
        ),
    )
    params = {"signer": request.signer_name, "function": request.signer_function or " "}
    try:
        out = _without_running_loop(
            lambda: pdf_signer.sign_pdf(writer, appearance_text_params=params)
        )
    except (
        TimestampRequestError,
        ValidationError,
        PathBuildingError,
        PyHankoSigningError,
        OSError,
    ) as exc:
        raise _signing_failure(exc) from exc
    if signer.signing_cert is None:
        raise SigningError("De ondertekendienst gaf geen certificaat terug.")
    subject = str(signer.signing_cert.subject.human_friendly)
    return SignedDocument(
        pdf=out.getvalue(),
        certificate_subject=subject,
        signed_at=dt.datetime.now(dt.UTC),
        service_reference=service_reference,
    )


def _signing_failure(exc: BaseException) -> SigningError:
    """A clear Dutch error for what went wrong with the TSA or the revocation check."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and len(chain) < 20:
        chain.append(current)
        current = current.__cause__ or current.__context__
    if any(isinstance(e, TimestampRequestError) for e in chain):
        return SigningError(
            "De tijdstempeldienst is niet bereikbaar of weigerde; de brief is niet "
            "ondertekend. Probeer later opnieuw."
        )
    if any(isinstance(e, RevokedError) for e in chain):
        return SigningError(
            "Het certificaat van de gemeente is ingetrokken; de brief is niet ondertekend."
        )
    if any(isinstance(e, (ValidationError, PathBuildingError)) for e in chain):
        return SigningError(
            "De geldigheid van het certificaat kon niet nagegaan worden (OCSP- of "
            "CRL-dienst niet bereikbaar); de brief is niet ondertekend. Probeer later opnieuw."
        )
    return SigningError(f"De handtekening kon niet aangebracht worden ({exc}).")


def _fetching_context(
    roots: list[Certificate], signer: signers.Signer, *, timeout: float
) -> ValidationContext:
    """A context that fetches OCSP/CRL now and requires it for the signer's certificate."""
    other = list(signer.cert_registry) if signer.cert_registry is not None else []
    return ValidationContext(
        trust_roots=roots,
        other_certs=other,
        allow_fetching=True,
        revinfo_policy=_REVINFO_POLICY,
        fetcher_backend=RequestsFetcherBackend(per_request_timeout=int(timeout)),
    )


_REVINFO_POLICY = CertRevTrustPolicy(
    RevocationCheckingPolicy(
        ee_certificate_rule=RevocationCheckingRule.CRL_OR_OCSP_REQUIRED,
        intermediate_ca_cert_rule=RevocationCheckingRule.CHECK_IF_DECLARED,
    )
)


@dataclass(frozen=True)
class SignatureBox:
    page: int
    box: tuple[int, int, int, int]


SIGNATURE_ANCHOR = "handtekening"
# The box the letter template reserves for the visible signature (letter_pdf.html,
# .signature-box): the template and this size must agree.
SIGNATURE_BOX_MM = (80.0, 22.0)


def signature_box(reader: PdfFileReader) -> SignatureBox | None:
    """Where the letter reserves room for the visible signature: the page and rectangle
    of the named destination ``handtekening`` that WeasyPrint writes for the element with
    that id (its top-left corner), with the box's fixed size."""
    try:
        names = reader.root["/Names"]["/Dests"]["/Names"]
    except KeyError:
        return None
    for i in range(0, len(names) - 1, 2):
        if str(names[i]) != SIGNATURE_ANCHOR:
            continue
        dest = names[i + 1]
        page_ref = dest.raw_get(0)
        x, top = float(dest[2]), float(dest[3])
        for index in range(reader.root["/Pages"]["/Count"]):
            ref, _ = reader.find_page_for_modification(index)  # type: ignore[no-untyped-call]  # untyped lib
            if ref.idnum == page_ref.idnum:
                width, height = (mm * 72 / 25.4 for mm in SIGNATURE_BOX_MM)
                return SignatureBox(
                    page=index,
                    box=(round(x), round(top - height), round(x + width), round(top)),
                )
    return None


FONT_FILE = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


class _PdfWidthsGlyphAccumulator(GlyphAccumulator):
    """pyHanko 0.38 writes glyph widths and TJ adjustments in the font's own units, where
    PDF wants thousandths of an em (ISO 32000-1 §9.4.3, §9.7.4.3); with DejaVu Sans (2048
    units per em) every glyph would be drawn twice too far apart. Work in thousandths:
    HarfBuzz scaled to 1000 units per em and the widths scaled to match."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._font_units_per_em = self.units_per_em
        self.units_per_em = 1000
        self.hb_font.scale = (1000, 1000)

    def _get_cid_and_width(self, glyph_id: int) -> tuple[int, int]:
        if glyph_id in self._glyphs:
            return self._glyphs[glyph_id]
        cid, width = super()._get_cid_and_width(glyph_id)
        result = (cid, round(width * 1000 / self._font_units_per_em))
        self._glyphs[glyph_id] = result
        return result


@dataclass(frozen=True)
class _FontFactory(GlyphAccumulatorFactory):
    def create_font_engine(
        self, writer: BasePdfFileWriter, obj_stream: Any = None
    ) -> GlyphAccumulator:
        if obj_stream is None and writer.stream_xrefs and self.create_objstream_if_needed:
            obj_stream = writer.prepare_object_stream()  # type: ignore[no-untyped-call]  # untyped lib
        return _PdfWidthsGlyphAccumulator(
            writer=writer,
            font_handle=BytesIO(Path(self.font_file).read_bytes()),
            font_size=self.font_size,
            obj_stream=obj_stream,
        )


def _stamp_style() -> TextStampStyle:
    # An embedded font: PDF/A forbids the standard 14 fonts pyHanko uses by default.
    font = _FontFactory(str(FONT_FILE), font_size=8)
    return TextStampStyle(
        stamp_text="Digitaal ondertekend door\n%(signer)s\n%(function)s\nop %(ts)s",
        text_box_style=TextBoxStyle(font=font, font_size=8, leading=10),
        timestamp_format="%d-%m-%Y %H:%M %Z",
        border_width=1,
        border_color=(0.11, 0.31, 0.85),
        background=None,
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
