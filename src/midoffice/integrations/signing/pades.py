"""The built-in signer: a PAdES signature with the town's certificate (pyHanko)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TypeVar

from asn1crypto.x509 import Certificate
from pyhanko.keys import load_certs_from_pemder_data
from pyhanko.sign import fields, signers
from pyhanko.sign.general import SigningError as PyHankoSigningError
from pyhanko.sign.timestamps.common_utils import TimestampRequestError
from pyhanko.sign.timestamps.requests_client import RequestsHTTPTimeStamper
from pyhanko_certvalidator import ValidationContext
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

from midoffice.integrations.signing.appearance import signature_box, stamp_style
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
        stamp_style=stamp_style() if placement else None,
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
