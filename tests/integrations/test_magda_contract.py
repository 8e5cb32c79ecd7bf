"""Contract: the REST client against the fake Documentendienst (same shapes, loopback)."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator

import pytest

from midoffice.integrations.magda.base import (
    Channel,
    DeliveryState,
    Document,
    MagdaRefused,
    MagdaUnavailable,
    OutgoingDocumentMessage,
    Recipient,
)
from midoffice.integrations.magda.client import RestDocumentService
from midoffice.integrations.magda.fake import FakeDocumentService

PDF = b"%PDF-1.7\n% een brief\n"


@pytest.fixture
def fake() -> Iterator[FakeDocumentService]:
    server = FakeDocumentService()
    server.start_in_thread()
    yield server
    server.stop()


def _message(channel: Channel, documents: int = 1) -> OutgoingDocumentMessage:
    return OutgoingDocumentMessage(
        channel=channel,
        recipient=Recipient(
            name="Emma De Smet",
            insz="85073003328",
            street="Kastanjedreef",
            house_number="14",
            postcode="2640",
            municipality="Leemdonk",
        ),
        subject="[2026-000001] Uw vraag",
        body="Zie bijlage.",
        documents=tuple(Document(f"brief-{n}.pdf", PDF) for n in range(documents)),
        sender_reference="2026-000001",
        registered=channel == Channel.PAPER,
    )


def test_ebox_send_status_and_idempotency(fake):
    client = RestDocumentService(base_url=fake.url, timeout=5)
    first = client.send(_message(Channel.EBOX), idempotency_key="k1", correlation_id="c1")
    again = client.send(_message(Channel.EBOX), idempotency_key="k1", correlation_id="c1")
    assert first.message_id == again.message_id
    assert len(fake.state.delivered()) == 1
    assert fake.state.send_requests == [("k1", "c1"), ("k1", "c1")]
    [status] = client.statuses(
        channel=Channel.EBOX, message_ids=[first.message_id], correlation_id="c"
    )
    assert status.state == DeliveryState.DELIVERED
    assert client.message(message_id=first.message_id, correlation_id="c")["status"] == "DELIVERED"


def test_paper_upload_is_a_zip_and_has_a_bpost_attestation(fake):
    client = RestDocumentService(base_url=fake.url, timeout=5)
    receipt = client.send(
        _message(Channel.PAPER, documents=2), idempotency_key="p1", correlation_id="c"
    )
    [received] = fake.state.delivered()
    assert received.channel == "PAPER"
    assert [name for name, _ in received.documents] == ["brief-0.pdf", "brief-1.pdf"]
    assert client.bpost_attestation(message_id=receipt.message_id, correlation_id="c") is None
    assert client.bpost_status(message_id=receipt.message_id, correlation_id="c").state == (
        DeliveryState.DELIVERED
    )
    attestation = client.bpost_attestation(message_id=receipt.message_id, correlation_id="c")
    assert attestation is not None
    assert attestation.startswith(b"%PDF")


def test_email_upload_channel(fake):
    client = RestDocumentService(base_url=fake.url, timeout=5)
    client.send(_message(Channel.EMAIL), idempotency_key="e1", correlation_id="c")
    assert fake.state.delivered()[0].channel == "EMAIL"


def test_down_is_temporary_and_bad_input_is_permanent(fake):
    client = RestDocumentService(base_url=fake.url, timeout=5)
    fake.state.mode = "down"
    with pytest.raises(MagdaUnavailable):
        client.send(_message(Channel.EBOX), idempotency_key="d1", correlation_id="c")
    fake.state.mode = "up"
    bad = OutgoingDocumentMessage(
        **{**_message(Channel.EBOX).__dict__, "documents": (Document("x.pdf", b"no pdf"),)}
    )
    with pytest.raises(MagdaRefused):
        client.send(bad, idempotency_key="d2", correlation_id="c")
    with pytest.raises(MagdaRefused):
        client.send(_message(Channel.PAPER, documents=7), idempotency_key="d3", correlation_id="c")
    assert fake.state.delivered() == []


def test_a_timeout_after_acceptance_is_temporary(fake):
    fake.state.mode, fake.state.delay = "slow", 5
    client = RestDocumentService(base_url=fake.url, timeout=0.3)
    with pytest.raises(MagdaUnavailable):
        client.send(_message(Channel.EBOX), idempotency_key="t1", correlation_id="c")
    assert len(fake.state.delivered()) == 1


def test_nothing_answers_is_temporary():
    server = FakeDocumentService()
    url = server.url
    server.server_close()  # the port is closed: connection refused
    with pytest.raises(MagdaUnavailable):
        RestDocumentService(base_url=url, timeout=2).send(
            _message(Channel.EBOX), idempotency_key="n1", correlation_id="c"
        )


def test_the_fake_shows_what_it_received(fake):
    RestDocumentService(base_url=fake.url, timeout=5).send(
        _message(Channel.EBOX), idempotency_key="<script>", correlation_id="c"
    )
    with urllib.request.urlopen(fake.url + "/", timeout=5) as response:  # noqa: S310
        page = response.read().decode()
    assert "Nep-Documentendienst" in page
    assert "2026-000001" in page
    assert "brief-0.pdf" in page
    assert "&lt;script&gt;" in page
    assert "<script>" not in page


def test_the_fake_listens_on_loopback_only():
    with pytest.raises(ValueError, match="loopback"):
        FakeDocumentService(host="0.0.0.0")  # noqa: S104
