"""The Documentendienst plugin interface: dataclasses in, dataclasses out."""

from __future__ import annotations

import abc
from dataclasses import dataclass
from enum import StrEnum

from midoffice.core.plugins import Registry


class Channel(StrEnum):
    EBOX = "EBOX"
    PAPER = "PAPER"
    EMAIL = "EMAIL"


class DeliveryState(StrEnum):
    ACCEPTED = "accepted"
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"
    UNKNOWN = "unknown"


class MagdaUnavailable(Exception):
    """Temporary: the service is down, overloaded or did not answer in time. Retry."""


class MagdaRefused(Exception):
    """Permanent: the service refused the request (bad recipient, too large, …)."""


@dataclass(frozen=True)
class Document:
    filename: str
    content: bytes
    media_type: str = "application/pdf"


@dataclass(frozen=True)
class Recipient:
    name: str
    insz: str = ""
    kbo: str = ""
    email: str = ""
    street: str = ""
    house_number: str = ""
    box: str = ""
    postcode: str = ""
    municipality: str = ""
    country: str = "BE"


@dataclass(frozen=True)
class OutgoingDocumentMessage:
    channel: Channel
    recipient: Recipient
    subject: str
    body: str
    documents: tuple[Document, ...]
    sender_reference: str
    registered: bool = False


@dataclass(frozen=True)
class SendReceipt:
    message_id: str
    channel: Channel
    state: DeliveryState


@dataclass(frozen=True)
class DeliveryStatus:
    message_id: str
    state: DeliveryState
    raw_status: str
    detail: str = ""


class DocumentService(abc.ABC):
    """What Midoffice needs from the Documentendienst."""

    @abc.abstractmethod
    def send(
        self, message: OutgoingDocumentMessage, *, idempotency_key: str, correlation_id: str
    ) -> SendReceipt:
        """Hand over one message. The same ``idempotency_key`` never delivers twice."""

    @abc.abstractmethod
    def statuses(
        self, *, channel: Channel, message_ids: list[str], correlation_id: str
    ) -> list[DeliveryStatus]:
        """The delivery status of up to 500 messages of one channel."""

    @abc.abstractmethod
    def bpost_attestation(self, *, message_id: str, correlation_id: str) -> bytes | None:
        """bpost's proof of dispatch/receipt (PDF) for a paper message, if there is one."""


document_services: Registry[DocumentService] = Registry("magda")
