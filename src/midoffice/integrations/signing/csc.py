"""Remote signing through the Cloud Signature Consortium API v2: the town's e-seal kept
by a trust service provider (ADR 22c).

The PDF never leaves Midoffice: :func:`~.pades.sign_with` builds the PAdES signature
with :class:`CscRemoteSigner`, a pyHanko signer whose one raw signature is asked of the
service. Per letter:

1. an OAuth2 access token (client credentials; cached and refreshed by
   :class:`~midoffice.integrations.transport.TokenSource`), from the token endpoint the
   service names in ``/csc/v2/info`` unless one is configured;
2. ``credentials/list`` when no credential id is configured (the one there is);
3. ``credentials/info``: the certificate chain, the key's status and algorithms, and how
   a signature is authorised (``explicit``: with the PIN from the configuration;
   ``implicit``: the service decides by itself; ``oauth2code``, a person signing in, is
   not for an unattended seal and is refused with a clear message);
4. ``credentials/authorize`` for exactly the hash to be signed (the SAD is bound to it,
   which SCAL 2 services require and SCAL 1 services accept), then
   ``signatures/signHash``. A SAD that expired in between is asked for once more.

Everything goes through the one HTTP client with the configured timeout. Every failure
is a :class:`~.base.SigningError` with a Dutch message; the letter stays unsigned.
pyHanko's own CSC client (``pyhanko.sign.signers.csc_signer``) speaks the v1 field names
(``hash``, ``hashAlgo``, ``PIN``), needs an aiohttp session bound to the event loop that
pyHanko's synchronous API creates per call, and drops the service's error answer; we keep
its data classes (:class:`CSCServiceSessionInfo`, :class:`CSCCredentialInfo`,
:class:`CSCAuthorizationInfo`) and do the HTTP here.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import datetime as dt
import json
import logging
import re
import threading
from dataclasses import dataclass, field
from typing import Any

from asn1crypto import algos, x509
from cryptography.hazmat.primitives import hashes
from pyhanko.sign import signers as pyhanko_signers
from pyhanko.sign.general import SigningError as PyhankoSigningError
from pyhanko.sign.signers.csc_signer import (
    CSCAuthorizationInfo,
    CSCCredentialInfo,
    CSCServiceSessionInfo,
)
from pyhanko_certvalidator.util import get_pyca_cryptography_hash

from midoffice.integrations import transport
from midoffice.integrations.http import HttpUnavailable, http_request
from midoffice.integrations.signing.base import (
    SignedDocument,
    Signer,
    SigningError,
    SignRequest,
)
from midoffice.integrations.signing.base import signers as registry
from midoffice.integrations.signing.pades import sign_with

logger = logging.getLogger(__name__)

API_VERSION = "v2"
RSA_ENCRYPTION = "1.2.840.113549.1.1.1"
SETTING = "MIDOFFICE_SIGNING_CSC"
SERVICE_DOWN = (
    "De ondertekendienst is nu niet bereikbaar; de brief blijft ter ondertekening. "
    "Probeer het later opnieuw."
)
_OID = re.compile(r"[0-2](\.\d+)+")
_CERT_STATUS = {"expired": "verlopen", "revoked": "ingetrokken", "suspended": "geschorst"}


@dataclass(frozen=True)
class CscSettings:
    """How Midoffice reaches the service; secrets stay out of ``repr``."""

    service_url: str  # the part before /csc/v2/
    client_id: str = ""
    client_secret: str = field(default="", repr=False)
    credential_id: str = ""
    pin: str = field(default="", repr=False)
    token_url: str = ""  # empty: the oauth2 address from /csc/v2/info
    timeout: float = 30.0


@dataclass(frozen=True)
class CscCredential:
    """A credential as ``credentials/info`` describes it."""

    credential_id: str
    info: CSCCredentialInfo
    algorithms: frozenset[str]  # dotted OIDs of the signature algorithms the key allows
    auth_mode: str  # explicit | implicit
    pin_id: str  # the id of the PIN object to send in authData (explicit)


class _ServiceError(SigningError):
    """The service answered, but not 2xx. The callers say what that means; the message
    of its own is the fallback.
    """

    def __init__(self, endpoint: str, status: int, body: bytes) -> None:
        error, description = "", ""
        try:
            data = json.loads(body)
        except ValueError:
            data = None
        if isinstance(data, dict):
            error = str(data.get("error") or "")[:64]
            description = str(data.get("error_description") or "")[:200]
        self.endpoint, self.status, self.error, self.description = (
            endpoint,
            status,
            error,
            description,
        )
        super().__init__(f"De ondertekendienst weigerde {endpoint} (HTTP {status}){self.detail}.")

    @property
    def detail(self) -> str:
        """The service's own words, for the message (they are about the request, no secret)."""
        said = self.description or self.error
        return f" (de dienst: „{said}”)" if said else ""


class _SadExpired(Exception):
    pass


_token_urls: dict[str, str] = {}
_token_urls_lock = threading.Lock()


def _object(data: dict[str, Any], name: str) -> dict[str, Any]:
    value = data.get(name)
    return value if isinstance(value, dict) else {}


def parse_credential(credential_id: str, data: dict[str, Any]) -> CscCredential:
    """Read a ``credentials/info`` answer (v2, and the v1 ``authMode``), or say in Dutch
    why this credential cannot sign a letter.
    """
    key, cert, auth = _object(data, "key"), _object(data, "cert"), _object(data, "auth")
    if key.get("status") == "disabled":
        raise SigningError(
            f"De sleutel „{credential_id}” is uitgeschakeld bij de ondertekendienst."
        )
    status = str(cert.get("status") or "valid")
    if status in _CERT_STATUS:
        raise SigningError(
            f"Het certificaat van de sleutel „{credential_id}” is {_CERT_STATUS[status]} "
            "volgens de ondertekendienst."
        )
    try:
        certificates = [
            x509.Certificate.load(base64.b64decode(item, validate=True))
            for item in cert.get("certificates") or []
        ]
        if certificates:
            certificates[0].subject  # noqa: B018 - parses lazily; fail here, not in pyHanko
    except (binascii.Error, ValueError, TypeError):
        certificates = []
    if not certificates:
        raise SigningError("De ondertekendienst gaf geen leesbaar certificaat voor de sleutel.")
    algorithms = frozenset(
        oid for oid in key.get("algo") or [] if isinstance(oid, str) and _OID.fullmatch(oid)
    )
    mode = str(auth.get("mode") or data.get("authMode") or "implicit")
    if mode == "oauth2code":
        raise SigningError(
            f"De sleutel „{credential_id}” vraagt dat een persoon zich bij de "
            "ondertekendienst aanmeldt (oauth2code). Voor het zegel van de gemeente is een "
            "sleutel nodig die met een PIN of zonder aparte machtiging tekent."
        )
    if mode not in ("explicit", "implicit"):
        raise SigningError(f"De ondertekendienst vraagt een onbekende machtiging ({mode}).")
    objects = [o for o in auth.get("objects") or [] if isinstance(o, dict)]
    one_time = [o for o in objects if o.get("generator") or o.get("id") == "OTP"]
    expression = str(auth.get("expression") or "")
    if one_time and "OR" not in expression.upper():
        raise SigningError(
            f"De sleutel „{credential_id}” vraagt bij elke handtekening een eenmalige code "
            "(OTP); Midoffice tekent onbemand en kan alleen een vaste PIN meegeven."
        )
    pins = [o for o in objects if o not in one_time]
    try:
        batch = int(data.get("multisign") or 1)
    except (TypeError, ValueError):
        batch = 1
    info = CSCCredentialInfo(
        signing_cert=certificates[0],
        chain=certificates[1:],
        supported_mechanisms=frozenset(
            algos.SignedDigestAlgorithmId(oid).native for oid in algorithms
        ),
        max_batch_size=batch,
        hash_pinning_required=str(data.get("SCAL", "1")) == "2",
        response_data=data,
    )
    return CscCredential(
        credential_id=credential_id,
        info=info,
        algorithms=algorithms,
        auth_mode=mode,
        pin_id=str(pins[0].get("id") or "PIN") if pins else "PIN",
    )


class CscClient:
    """The calls of the CSC API v2 that signing needs, over the one HTTP client."""

    def __init__(
        self, config: CscSettings, *, token_source: transport.TokenSource | None = None
    ) -> None:
        self.config = config
        self.session = CSCServiceSessionInfo(
            service_url=config.service_url.rstrip("/"),
            credential_id=config.credential_id,
            api_ver=API_VERSION,
        )
        self._token_source = token_source

    # --- transport --------------------------------------------------------------------

    def _post(self, url: str, body: dict[str, Any], token: str) -> Any:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        try:
            return http_request(
                "POST",
                url,
                data=json.dumps(body).encode(),
                headers=headers,
                timeout=self.config.timeout,
            )
        except HttpUnavailable as exc:
            logger.warning("signing service unreachable", extra={"url": url, "error": str(exc)})
            raise SigningError(SERVICE_DOWN) from exc

    def call(self, endpoint: str, body: dict[str, Any], *, authorized: bool = True) -> Any:
        """POST ``body`` to ``endpoint``; a refused token is fetched again once."""
        url = str(self.session.endpoint_url(endpoint))  # type: ignore[no-untyped-call]  # pyHanko
        source = self.token_source() if authorized else None
        for attempt in (1, 2):
            token = self._token(source) if source is not None else ""
            answer = self._post(url, body, token)
            if answer.status == 401 and source is not None and attempt == 1:
                source.invalidate(token)
                continue
            break
        if answer.status >= 500 or answer.status in (408, 429):
            logger.warning("signing service failed", extra={"url": url, "status": answer.status})
            raise SigningError(SERVICE_DOWN)
        if answer.status == 401:
            raise SigningError(
                "De ondertekendienst weigert de toegang van Midoffice; controleer "
                f"{SETTING}_CLIENT_ID en {SETTING}_CLIENT_SECRET."
            )
        if not answer.ok:
            error = _ServiceError(endpoint, answer.status, answer.body)
            logger.warning(
                "signing service refused",
                extra={"endpoint": endpoint, "status": answer.status, "error": error.error},
            )
            raise error
        try:
            data = json.loads(answer.body)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise SigningError(f"De ondertekendienst gaf een onleesbaar antwoord op {endpoint}.")
        return data

    def token_source(self) -> transport.TokenSource | None:
        """The process's token cache for this client; None without a client id."""
        if self._token_source is None and self.config.client_id:
            self._token_source = transport.token_source(
                transport.OAuthConfig(
                    prefix=SETTING,
                    token_url=self.token_url(),
                    client_id=self.config.client_id,
                    client_secret=self.config.client_secret,
                    # The CSC API's oauth2/token takes the client's id and secret as form
                    # parameters.
                    auth_method="client_secret_post",
                    timeout=self.config.timeout,
                )
            )
        return self._token_source

    def token_url(self) -> str:
        """The configured token endpoint, or ``<oauth2>/oauth2/token`` from ``info``."""
        if self.config.token_url:
            return self.config.token_url
        service = self.session.service_url
        with _token_urls_lock:
            known = _token_urls.get(service)
        if known:
            return known
        try:
            info = self.call("info", {"lang": "nl-BE"}, authorized=False)
        except _ServiceError:
            info = {}  # no info method: the token endpoint sits beside the API
        base = info.get("oauth2")
        if not isinstance(base, str) or not base.startswith(("https://", "http://")):
            base = service
        url = base.rstrip("/") + "/oauth2/token"
        with _token_urls_lock:
            _token_urls[service] = url
        return url

    @staticmethod
    def _token(source: transport.TokenSource) -> str:
        try:
            return source.token()
        except transport.TokenRefused as exc:
            logger.warning("signing service refused our client", extra={"error": str(exc)})
            raise SigningError(
                "De ondertekendienst aanvaardt de aanmelding van Midoffice niet; controleer "
                f"{SETTING}_CLIENT_ID en {SETTING}_CLIENT_SECRET."
            ) from exc
        except transport.TokenError as exc:
            logger.warning("signing service token unavailable", extra={"error": str(exc)})
            raise SigningError(SERVICE_DOWN) from exc

    # --- the API ------------------------------------------------------------------------

    def credential(self) -> CscCredential:
        """The configured credential (or the only one there is), described by the service."""
        credential_id = self.config.credential_id or self._only_credential()
        body = {
            "credentialID": credential_id,
            "certificates": "chain",
            "certInfo": True,
            "authInfo": True,
        }
        try:
            data = self.call("credentials/info", body)
        except _ServiceError as exc:
            if exc.status in (400, 404):
                raise SigningError(
                    f"De ondertekendienst kent de sleutel „{credential_id}” niet{exc.detail}; "
                    f"controleer {SETTING}_CREDENTIAL_ID."
                ) from exc
            raise self._refused("gaf de gegevens van de sleutel niet", exc) from exc
        return parse_credential(credential_id, data)

    def _only_credential(self) -> str:
        try:
            data = self.call("credentials/list", {})
        except _ServiceError as exc:
            raise self._refused("gaf geen lijst van sleutels", exc) from exc
        ids = [i for i in data.get("credentialIDs") or [] if isinstance(i, str) and i]
        if not ids:
            raise SigningError("De ondertekendienst heeft geen sleutel voor Midoffice.")
        if len(ids) > 1:
            raise SigningError(
                f"De ondertekendienst heeft meerdere sleutels ({', '.join(ids[:5])}); kies er "
                f"één met {SETTING}_CREDENTIAL_ID."
            )
        return ids[0]

    def authorize(
        self, credential: CscCredential, hashes_b64: list[str], hash_oid: str
    ) -> CSCAuthorizationInfo:
        """A SAD for exactly these hashes (``credentials/authorize``)."""
        body: dict[str, Any] = {
            "credentialID": credential.credential_id,
            "numSignatures": len(hashes_b64),
            "hashes": hashes_b64,
            "hashAlgorithmOID": hash_oid,
            "description": "Brief van de gemeente (Midoffice)",
        }
        if credential.auth_mode == "explicit":
            body["authData"] = [{"id": credential.pin_id, "value": self.config.pin}]
        try:
            data = self.call("credentials/authorize", body)
        except _ServiceError as exc:
            if exc.error == "invalid_pin" or "pin" in exc.description.lower():
                raise SigningError(
                    f"De ondertekendienst weigerde de PIN van de sleutel{exc.detail}; "
                    f"controleer {SETTING}_PIN."
                ) from exc
            raise self._refused("weigerde de machtiging om te ondertekenen", exc) from exc
        sad = data.get("SAD")
        if not isinstance(sad, str) or not sad:
            raise SigningError("De ondertekendienst gaf geen machtiging (SAD) terug.")
        try:
            lifetime = int(data.get("expiresIn", 3600))
        except (TypeError, ValueError):
            lifetime = 3600
        return CSCAuthorizationInfo(
            sad=sad, expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(seconds=lifetime)
        )

    def sign_hashes(
        self,
        credential: CscCredential,
        authorization: CSCAuthorizationInfo,
        hashes_b64: list[str],
        hash_oid: str,
        mechanism: algos.SignedDigestAlgorithm,
    ) -> list[bytes]:
        """The raw signatures of ``hashes_b64`` (``signatures/signHash``)."""
        body: dict[str, Any] = {
            "credentialID": credential.credential_id,
            "SAD": authorization.sad,
            "hashes": hashes_b64,
            "hashAlgorithmOID": hash_oid,
            "signAlgo": mechanism["algorithm"].dotted,
            "operationMode": "S",
        }
        if mechanism["parameters"].native is not None:
            body["signAlgoParams"] = base64.b64encode(mechanism["parameters"].dump()).decode()
        try:
            data = self.call("signatures/signHash", body)
        except _ServiceError as exc:
            if "expired" in exc.description.lower() or "expired" in exc.error.lower():
                raise _SadExpired from exc
            raise self._refused("weigerde te ondertekenen", exc) from exc
        signatures = data.get("signatures")
        try:
            if not isinstance(signatures, list) or len(signatures) != len(hashes_b64):
                raise ValueError("count")
            return [base64.b64decode(s, validate=True) for s in signatures]
        except (binascii.Error, ValueError, TypeError):
            raise SigningError(
                "De ondertekendienst gaf geen leesbare handtekening terug."
            ) from None

    def sign_one(
        self,
        credential: CscCredential,
        hash_b64: str,
        hash_oid: str,
        mechanism: algos.SignedDigestAlgorithm,
    ) -> bytes:
        """Authorise and sign one hash; a SAD that expired on the way is asked once more."""
        for attempt in (1, 2):
            authorization = self.authorize(credential, [hash_b64], hash_oid)
            try:
                return self.sign_hashes(credential, authorization, [hash_b64], hash_oid, mechanism)[
                    0
                ]
            except _SadExpired:
                logger.warning(
                    "signing service: SAD expired before signHash", extra={"attempt": attempt}
                )
        raise SigningError(
            "De machtiging (SAD) van de ondertekendienst was al verlopen toen Midoffice wilde "
            "ondertekenen, ook bij een tweede poging; de brief blijft ter ondertekening."
        )

    @staticmethod
    def _refused(what: str, exc: _ServiceError) -> SigningError:
        return SigningError(f"De ondertekendienst {what}{exc.detail}.")


class CscRemoteSigner(pyhanko_signers.Signer):
    """pyHanko's view of the remote key: the certificate chain from ``credentials/info``,
    and a raw signature from ``credentials/authorize`` + ``signatures/signHash``.
    """

    def __init__(self, *, client: CscClient, credential: CscCredential) -> None:
        super().__init__(
            signing_cert=credential.info.signing_cert,
            cert_registry=credential.info.as_cert_store(),
        )
        self.client = client
        self.credential = credential

    def get_signature_mechanism_for_digest(
        self, digest_algorithm: str | None
    ) -> algos.SignedDigestAlgorithm:
        mechanism = super().get_signature_mechanism_for_digest(digest_algorithm)
        allowed = self.credential.algorithms
        if mechanism["algorithm"].dotted in allowed:
            return mechanism
        # Many services list only rsaEncryption: PKCS#1 v1.5 over the hash they are told.
        if mechanism["algorithm"].native.endswith("_rsa") and RSA_ENCRYPTION in allowed:
            return algos.SignedDigestAlgorithm({"algorithm": "rsassa_pkcs1v15"})
        raise SigningError(
            "De sleutel bij de ondertekendienst kent het handtekeningalgoritme "
            f"{mechanism['algorithm'].native} niet (de dienst biedt: "
            f"{', '.join(sorted(allowed)) or 'geen'})."
        )

    async def async_sign_raw(
        self, data: bytes, digest_algorithm: str, dry_run: bool = False
    ) -> bytes:
        if dry_run:
            # Room for the signature in the PDF; pyHanko's CSC signer reserves 512 bytes.
            bits = int(self.credential.info.signing_cert.public_key.bit_size)
            return bytes(max(512, bits // 4))
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm)
        digest = hashes.Hash(get_pyca_cryptography_hash(digest_algorithm))
        digest.update(data)
        hash_b64 = base64.b64encode(digest.finalize()).decode("ascii")
        hash_oid = algos.DigestAlgorithmId(digest_algorithm).dotted
        # The one HTTP client blocks; pyHanko's loop waits in another thread meanwhile.
        return await asyncio.to_thread(
            self.client.sign_one, self.credential, hash_b64, hash_oid, mechanism
        )


@registry.register("csc")
class CscSigner(Signer):
    """Signs with the town's key at a remote signing service (CSC API v2)."""

    def __init__(
        self,
        *,
        service_url: str,
        client_id: str = "",
        client_secret: str = "",
        credential_id: str = "",
        pin: str = "",
        token_url: str = "",
        timeout: float = 30.0,
        token_source: transport.TokenSource | None = None,
    ) -> None:
        if not service_url.startswith(("https://", "http://")):
            raise SigningError(f"{SETTING}_URL moet met https:// beginnen.")
        self.client = CscClient(
            CscSettings(
                service_url=service_url,
                client_id=client_id,
                client_secret=client_secret,
                credential_id=credential_id,
                pin=pin,
                token_url=token_url,
                timeout=timeout,
            ),
            token_source=token_source,
        )

    def sign(self, request: SignRequest) -> SignedDocument:
        credential = self.client.credential()
        if credential.auth_mode == "explicit" and not self.client.config.pin:
            raise SigningError(
                f"De sleutel „{credential.credential_id}” vraagt een PIN bij elke "
                f"handtekening; stel {SETTING}_PIN in."
            )
        remote = CscRemoteSigner(client=self.client, credential=credential)
        try:
            return sign_with(request, remote, service_reference=f"csc:{credential.credential_id}")
        except PyhankoSigningError as exc:
            logger.warning("remote signature could not be applied", extra={"error": str(exc)})
            raise SigningError(
                "De handtekening van de ondertekendienst kon niet in de brief gezet worden "
                f"({exc})."
            ) from exc
