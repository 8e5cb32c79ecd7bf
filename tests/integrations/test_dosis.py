"""The DOSIS client against the fake server that speaks the same SOAP shapes."""

from __future__ import annotations

import datetime as dt
import json
import urllib.request

import pytest

from midoffice.integrations.dosis import xml
from midoffice.integrations.dosis.base import (
    Agent,
    DosisRejected,
    DosisUnavailable,
    DossierRegistration,
)
from midoffice.integrations.dosis.client import MagdaDosisClient
from midoffice.integrations.dosis.fake_server import FakeDosisServer

AT = dt.datetime(2026, 3, 2, 10, 30, tzinfo=dt.UTC)


def registration(**changes: object) -> DossierRegistration:
    values: dict[str, object] = {
        "dossier_id": "MIDOFFICE-2026-000001",
        "reference": "2026-000001",
        "type_code": "info-verbouwen",
        "type_name": "Informatievraag verbouwen",
        "title": "Wat mogen we doen bij de renovatie? <&>",
        "status_code": "WACHT_OP_BURGER",
        "status_text": "We wachten op je plannen.",
        "action_needed": True,
        "action_text": "Bezorg ons je plannen.",
        "agents": (Agent(kind="rrn", id="86031412323"), Agent(kind="kbo", id="0403170701")),
        "entity": "LEEMDONK",
        "source": "MIDOFFICE",
        "url": "http://127.0.0.1:8000/mijn/dossiers/2026-000001",
        "timestamp": AT,
        "contact": "Omgeving",
    }
    values.update(changes)
    return DossierRegistration(**values)  # type: ignore[arg-type]


@pytest.fixture
def fake():
    server = FakeDosisServer().start()
    yield server
    server.stop()


def test_register_request_survives_a_round_trip_through_xml():
    body = xml.build_register_request(registration(), sender="LEEMDONK", reference="k1", at=AT)
    parsed = xml.parse_register_request(body)
    assert parsed.reference == "k1"
    assert parsed.sender == "LEEMDONK"
    assert parsed.registration == registration()


def test_payload_round_trip_for_the_outbox():
    original = registration()
    assert (
        DossierRegistration.from_payload(json.loads(json.dumps(original.to_payload()))) == original
    )


def test_parser_refuses_dtds():
    with pytest.raises(xml.MalformedMessage):
        xml.parse_register_request(b'<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>')


def test_client_registers_once_per_idempotency_key(fake):
    client = MagdaDosisClient(endpoint=fake.url, sender="LEEMDONK")
    first = client.register(registration(), idempotency_key="dosis:2026-000001:1")
    again = client.register(registration(), idempotency_key="dosis:2026-000001:1")
    assert first.accepted
    assert first.registration_id == again.registration_id
    assert len(fake.state.received) == 1
    assert fake.state.received[0]["status_code"] == "WACHT_OP_BURGER"
    assert fake.state.received[0]["action_needed"] is True


def test_client_reads_the_result_of_a_registration(fake):
    fake.state.pending_polls = 1
    client = MagdaDosisClient(endpoint=fake.url, sender="LEEMDONK")
    receipt = client.register(registration(), idempotency_key="k-result")
    # DOSIS processes asynchronously: first "in verwerking", then the outcome.
    assert client.result(registration_id=receipt.registration_id).state == "IN_VERWERKING"
    assert client.result(registration_id=receipt.registration_id).state == "VERWERKT"
    unknown = client.result(registration_id="DOSIS-999999")
    assert unknown.state == "FOUT"
    assert unknown.errors


def test_down_is_temporary_and_refusal_is_permanent(fake):
    client = MagdaDosisClient(endpoint=fake.url, sender="LEEMDONK")
    fake.state.down = True
    with pytest.raises(DosisUnavailable):
        client.register(registration(), idempotency_key="k-down")
    fake.state.down = False
    with pytest.raises(DosisRejected):
        client.register(registration(agents=()), idempotency_key="k-no-agents")
    assert fake.state.received == []


def test_nothing_listening_is_temporary():
    client = MagdaDosisClient(endpoint="http://127.0.0.1:9", sender="LEEMDONK", timeout=2)
    with pytest.raises(DosisUnavailable):
        client.register(registration(), idempotency_key="k-closed")


def test_fake_shows_what_it_received_and_keeps_it_in_a_file(tmp_path):
    store = tmp_path / "dosis.json"
    server = FakeDosisServer(store_path=store).start()
    try:
        MagdaDosisClient(endpoint=server.url, sender="LEEMDONK").register(
            registration(), idempotency_key="k-page"
        )
        with urllib.request.urlopen(f"{server.url}/", timeout=5) as page:  # noqa: S310 - loopback fake
            html = page.read().decode()
        assert "2026-000001" in html
        assert "86031412323" not in html  # national numbers are masked on the page
    finally:
        server.stop()
    assert json.loads(store.read_text())[0]["question_reference"] == "k-page"
    assert FakeDosisServer(store_path=store).state.by_reference == {"k-page": "DOSIS-000001"}


def test_client_reads_a_refusal_with_dosis_reason_code(fake):
    from midoffice.integrations.dosis.fake_server import Refusal

    fake.state.pending_polls = 0
    fake.state.refusals.append(Refusal(code="30020", text="Onbekende status.", times=1))
    client = MagdaDosisClient(endpoint=fake.url, sender="LEEMDONK")
    refused = client.register(registration(), idempotency_key="k-refused")
    accepted = client.register(registration(), idempotency_key="k-accepted")
    result = client.result(registration_id=refused.registration_id)
    assert (result.state, result.accepted, result.pending) == ("FOUT", False, False)
    assert [(r.code, r.text) for r in result.reasons] == [("30020", "Onbekende status.")]
    assert client.result(registration_id=accepted.registration_id).accepted


def test_client_loads_a_code_list_and_an_unknown_list_is_refused(fake):
    client = MagdaDosisClient(endpoint=fake.url, sender="LEEMDONK")
    codes = client.code_list(name="DossierStatus")
    assert ("ACTIE_NODIG", "Actie nodig") in [(c.code, c.description) for c in codes]
    with pytest.raises(DosisRejected, match="Onbekende codelijst Bestaatniet"):
        client.code_list(name="Bestaatniet")
    fake.state.down = True
    with pytest.raises(DosisUnavailable):
        client.code_list(name="DossierStatus")


def test_the_code_list_messages_round_trip():
    from midoffice.integrations.dosis.base import CodeListEntry

    request = xml.build_code_list_request(name="DossierStatus", sender="X", reference="r", at=AT)
    assert xml.parse_code_list_request(request) == "DossierStatus"
    answer = xml.build_code_list_response(
        reference="r",
        name="DossierStatus",
        entries=(CodeListEntry("ONTVANGEN", "Ontvangen <&>"),),
        errors=(),
        at=AT,
    )
    assert xml.parse_code_list_response(answer) == (
        (CodeListEntry("ONTVANGEN", "Ontvangen <&>"),),
        (),
    )
