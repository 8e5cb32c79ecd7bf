"""The real DOSIS client: MAGDA SOAP over HTTP(S).

Production MAGDA needs mutual TLS with the town's certificate: ``MIDOFFICE_DOSIS_CLIENT_*``
and ``MIDOFFICE_DOSIS_CA_BUNDLE`` (ADR 22d), through the one HTTP client.
"""

from __future__ import annotations

import logging
import uuid

from midoffice.core import clock
from midoffice.integrations import transport
from midoffice.integrations.dosis import schema, xml
from midoffice.integrations.dosis.base import (
    CodeListEntry,
    DosisPlugin,
    DosisRejected,
    DosisUnavailable,
    DossierRegistration,
    RegistrationReceipt,
    RegistrationResult,
    dosis_plugins,
)
from midoffice.integrations.http import HttpUnavailable, TlsFailure, http_request

logger = logging.getLogger(__name__)


@dosis_plugins.register("magda")
class MagdaDosisClient(DosisPlugin):
    """Speaks ``Dossier.RegistreerDossier``, ``Dossier.GeefResultaatRegistratie`` and
    ``Dossier.GeefCodeLijst`` 02.00.

    ``tls`` defaults to the ``MIDOFFICE_DOSIS_CLIENT_*`` and ``_CA_BUNDLE`` settings.
    """

    def __init__(
        self,
        *,
        endpoint: str,
        sender: str,
        timeout: float = 10.0,
        tls: transport.TlsConfig | None = None,
    ) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.sender = sender
        self.timeout = timeout
        self.tls = tls if tls is not None else transport.tls_from_settings("DOSIS")

    def _post(self, service: str, body: bytes) -> bytes:
        spec = schema.SERVICES[service]
        try:
            context = transport.tls_context(self.tls)
        except transport.TransportConfigError as exc:
            # A certificate file replaced by a broken one while running.
            raise DosisUnavailable(f"DOSIS TLS configuration: {exc}") from exc
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
                tls=context,
            )
        except TlsFailure as exc:
            raise DosisUnavailable(transport.explain(exc, self.tls)) from exc
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

    def code_list(self, *, name: str) -> tuple[CodeListEntry, ...]:
        body = xml.build_code_list_request(
            name=name, sender=self.sender, reference=uuid.uuid4().hex, at=clock.now()
        )
        try:
            entries, reasons = xml.parse_code_list_response(self._post("codelist", body))
        except xml.MalformedMessage as exc:
            raise DosisUnavailable(f"unreadable DOSIS answer: {exc}") from exc
        if reasons:
            raise DosisRejected("; ".join(str(reason) for reason in reasons))
        return entries


def check_configuration(*, endpoint: str) -> None:
    """The start-up check of the ``MIDOFFICE_DOSIS_CLIENT_*`` settings (ADR 22d): raises
    :class:`~midoffice.integrations.transport.TransportConfigError` naming the variable.
    """
    transport.check_service(
        tls=transport.tls_from_settings("DOSIS"),
        url=endpoint,
        url_setting="MIDOFFICE_DOSIS_ENDPOINT",
    )
