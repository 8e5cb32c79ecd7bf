"""The real DOSIS client: MAGDA SOAP over HTTP(S).

Production MAGDA needs mutual TLS with the town's certificate; that is the job of the
reverse proxy or of an HTTPS endpoint configured on this host, not of this module.
"""

from __future__ import annotations

import logging
import uuid

from midoffice.core import clock
from midoffice.integrations.dosis import schema, xml
from midoffice.integrations.dosis.base import (
    DosisPlugin,
    DosisRejected,
    DosisUnavailable,
    DossierRegistration,
    RegistrationReceipt,
    RegistrationResult,
    dosis_plugins,
)
from midoffice.integrations.http import HttpUnavailable, http_request

logger = logging.getLogger(__name__)


@dosis_plugins.register("magda")
class MagdaDosisClient(DosisPlugin):
    """Speaks ``Dossier.RegistreerDossier`` and ``Dossier.GeefResultaatRegistratie`` 02.00."""

    def __init__(self, *, endpoint: str, sender: str, timeout: float = 10.0) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.sender = sender
        self.timeout = timeout

    def _post(self, service: str, body: bytes) -> bytes:
        spec = schema.SERVICES[service]
        try:
            answer = http_request(
                "POST",
                f"{self.endpoint}/{spec['name']}-{spec['version'][:5]}",
                data=body,
                headers={
                    "Content-Type": "text/xml; charset=utf-8",
                    "SOAPAction": spec["soap_action"],
                },
                timeout=self.timeout,
            )
        except HttpUnavailable as exc:
            raise DosisUnavailable(str(exc)) from exc
        if answer.status >= 500 or answer.status in (408, 429):
            raise DosisUnavailable(f"DOSIS answered {answer.status}")
        if not answer.ok:
            raise DosisRejected(f"DOSIS answered {answer.status}")
        return answer.body

    def register(
        self, registration: DossierRegistration, *, idempotency_key: str
    ) -> RegistrationReceipt:
        body = xml.build_register_request(
            registration, sender=self.sender, reference=idempotency_key, at=clock.now()
        )
        try:
            receipt = xml.parse_register_response(self._post("register", body))
        except xml.MalformedMessage as exc:
            # An answer we cannot read is more likely a proxy error page than a refusal.
            raise DosisUnavailable(f"unreadable DOSIS answer: {exc}") from exc
        if not receipt.accepted:
            raise DosisRejected("; ".join(receipt.errors) or "registration not accepted")
        logger.info("dossier registered in DOSIS", extra={"registration": receipt.registration_id})
        return receipt

    def result(self, *, registration_id: str) -> RegistrationResult:
        body = xml.build_result_request(
            registration_id=registration_id,
            sender=self.sender,
            reference=uuid.uuid4().hex,
            at=clock.now(),
        )
        try:
            return xml.parse_result_response(self._post("result", body))
        except xml.MalformedMessage as exc:
            raise DosisUnavailable(f"unreadable DOSIS answer: {exc}") from exc
