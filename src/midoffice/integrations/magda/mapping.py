"""Every path, header, field name and status code of the Document Service API, in one place.

Built from the public description (OpenAPI "Document Service API", base /api/v1); the
details that are not public are our best reading and are corrected HERE after onboarding.
Both the REST client and the fake server use these functions, so they cannot drift apart.
"""

from __future__ import annotations

import base64
import io
import json
import zipfile
from typing import Any

from midoffice.integrations.magda.base import (
    Channel,
    DeliveryState,
    DeliveryStatus,
    Document,
    OutgoingDocumentMessage,
    Recipient,
)

API_PREFIX = "/api/v1"
PATH_SEND_EBOX = "/messages"
PATH_UPLOAD = "/files/upload/{channel}"  # EMAIL or PAPER
PATH_STATUS = "/messages/status/{channel}"  # POST {"messageIds": [...]}
PATH_MESSAGE = "/messages/{message_id}"
PATH_BPOST_STATUS = "/messages/{message_id}/bpost-status"
PATH_BPOST_ATTESTATION = "/messages/{message_id}/bpost-attestation"

HEADER_CORRELATION = "x-correlation-id"
HEADER_IDEMPOTENCY = "Idempotency-Key"

MAX_STATUS_IDS = 500
MAX_PAPER_DOCUMENTS = 6
MAX_PAPER_BYTES = 30 * 1024 * 1024
ZIP_DESCRIPTION_NAME = "message.json"

# Field names (JSON). Left: our name; right: the service's name.
F = {
    "message_id": "messageId",
    "message_ids": "messageIds",
    "statuses": "statuses",
    "status": "status",
    "status_detail": "statusDescription",
    "channel": "channel",
    "recipient": "recipient",
    "ssin": "ssin",
    "enterprise_number": "enterpriseNumber",
    "name": "name",
    "email": "emailAddress",
    "address": "address",
    "street": "street",
    "house_number": "houseNumber",
    "box": "box",
    "postcode": "postalCode",
    "municipality": "municipality",
    "country": "countryCode",
    "subject": "subject",
    "body": "body",
    "documents": "documents",
    "file_name": "fileName",
    "media_type": "mediaType",
    "content": "content",
    "sender_reference": "senderReference",
    "registered": "registeredMail",
    "duplex": "duplex",
    "receipt": "acknowledgementOfReceipt",
}

# The service's status codes → our delivery states.
STATUS_MAP: dict[str, DeliveryState] = {
    "ACCEPTED": DeliveryState.ACCEPTED,
    "PENDING": DeliveryState.ACCEPTED,
    "PROCESSING": DeliveryState.ACCEPTED,
    "SENT": DeliveryState.SENT,
    "PRINTED": DeliveryState.SENT,
    "HANDED_OVER": DeliveryState.SENT,
    "DELIVERED": DeliveryState.DELIVERED,
    "READ": DeliveryState.DELIVERED,
    "RECEIVED": DeliveryState.DELIVERED,
    "REJECTED": DeliveryState.FAILED,
    "FAILED": DeliveryState.FAILED,
    "UNDELIVERABLE": DeliveryState.FAILED,
    "RETURNED": DeliveryState.FAILED,
}


def path(template: str, **params: str) -> str:
    return API_PREFIX + template.format(**params)


def _recipient(recipient: Recipient) -> dict[str, Any]:
    data: dict[str, Any] = {F["name"]: recipient.name}
    if recipient.insz:
        data[F["ssin"]] = recipient.insz
    if recipient.kbo:
        data[F["enterprise_number"]] = recipient.kbo
    if recipient.email:
        data[F["email"]] = recipient.email
    if recipient.street:
        data[F["address"]] = {
            F["street"]: recipient.street,
            F["house_number"]: recipient.house_number,
            F["box"]: recipient.box,
            F["postcode"]: recipient.postcode,
            F["municipality"]: recipient.municipality,
            F["country"]: recipient.country,
        }
    return data


def _description(message: OutgoingDocumentMessage) -> dict[str, Any]:
    data: dict[str, Any] = {
        F["channel"]: message.channel.value,
        F["recipient"]: _recipient(message.recipient),
        F["subject"]: message.subject,
        F["body"]: message.body,
        F["sender_reference"]: message.sender_reference,
    }
    if message.channel == Channel.PAPER:
        data[F["registered"]] = message.registered
        data[F["receipt"]] = message.registered
        data[F["duplex"]] = True
    return data


def ebox_body(message: OutgoingDocumentMessage) -> bytes:
    """JSON body of ``POST /messages`` (eBox): documents inline, base64."""
    data = _description(message)
    data[F["documents"]] = [
        {
            F["file_name"]: doc.filename,
            F["media_type"]: doc.media_type,
            F["content"]: base64.b64encode(doc.content).decode("ascii"),
        }
        for doc in message.documents
    ]
    return json.dumps(data).encode()


def upload_zip(message: OutgoingDocumentMessage) -> bytes:
    """Body of ``POST /files/upload/{EMAIL|PAPER}``: a ZIP of the JSON description + PDFs."""
    data = _description(message)
    data[F["documents"]] = [
        {F["file_name"]: doc.filename, F["media_type"]: doc.media_type} for doc in message.documents
    ]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(ZIP_DESCRIPTION_NAME, json.dumps(data))
        for doc in message.documents:
            archive.writestr(doc.filename, doc.content)
    return buffer.getvalue()


def parse_message_id(answer: dict[str, Any]) -> str:
    return str(answer[F["message_id"]])


def status_request(message_ids: list[str]) -> bytes:
    return json.dumps({F["message_ids"]: message_ids}).encode()


def parse_status(item: dict[str, Any]) -> DeliveryStatus:
    raw = str(item.get(F["status"], "")).upper()
    return DeliveryStatus(
        message_id=str(item.get(F["message_id"], "")),
        state=STATUS_MAP.get(raw, DeliveryState.UNKNOWN),
        raw_status=raw,
        detail=str(item.get(F["status_detail"], "")),
    )


def parse_statuses(answer: dict[str, Any]) -> list[DeliveryStatus]:
    return [parse_status(item) for item in answer.get(F["statuses"], [])]


# What the fake server reads back (the service side of the same shapes).
def read_ebox_body(raw: bytes) -> tuple[dict[str, Any], list[Document]]:
    data = json.loads(raw)
    docs = [
        Document(
            filename=d[F["file_name"]],
            content=base64.b64decode(d[F["content"]]),
            media_type=d.get(F["media_type"], "application/pdf"),
        )
        for d in data.get(F["documents"], [])
    ]
    return data, docs


def read_upload_zip(raw: bytes) -> tuple[dict[str, Any], list[Document]]:
    with zipfile.ZipFile(io.BytesIO(raw)) as archive:
        data = json.loads(archive.read(ZIP_DESCRIPTION_NAME))
        docs = [
            Document(filename=d[F["file_name"]], content=archive.read(d[F["file_name"]]))
            for d in data.get(F["documents"], [])
        ]
    return data, docs
