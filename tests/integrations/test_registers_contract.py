"""Contract tests of the register client against the fake Basisregisters v2 (loopback)."""

from __future__ import annotations

import time

import pytest

from midoffice.integrations.registers.client import (
    AddressGone,
    RegisterClient,
    RegisterRefused,
    RegisterUnavailable,
)
from midoffice.integrations.registers.fake_server import FakeRegisterServer

KEY = "sleutel-123"


@pytest.fixture
def fake():
    server = FakeRegisterServer(api_key=KEY, page_size=2).start()
    try:
        yield server
    finally:
        server.stop()


def client_for(fake, **overrides) -> RegisterClient:
    options = {"address_url": fake.url, "api_key": KEY, "timeout": 2.0, **overrides}
    return RegisterClient(**options)


def test_address_detail_found(fake):
    found = client_for(fake).address("3000112")
    assert found is not None
    assert (found.street, found.number, found.postcode, found.municipality) == (
        "Kerkstraat",
        "12",
        "2640",
        "Leemdonk",
    )
    assert found.uri == "https://data.vlaanderen.be/id/adres/3000112"
    assert found.full == "Kerkstraat 12, 2640 Leemdonk"
    assert found.in_use


def test_search_follows_volgende_over_pages(fake):
    found = client_for(fake).search_addresses(street="Kerkstraat", limit=10)
    assert [a.number for a in found] == ["1", "2", "3", "10", "12", "14"]
    assert all(a.street == "Kerkstraat" and a.postcode == "2640" for a in found)
    pages = [p for p in fake.state.requests if p.startswith("/v2/adressen?")]
    assert len(pages) == 3  # 2 + 2 + 2, the last page has no "volgende"


def test_search_stops_at_the_limit(fake):
    found = client_for(fake).search_addresses(street="Kerkstraat", limit=3)
    assert len(found) == 3
    assert len(fake.state.requests) == 2


def test_search_reads_box_numbers(fake):
    found = client_for(fake).search_addresses(street="Molenveldstraat", number="3")
    assert [(a.street, a.number, a.box) for a in found] == [
        ("Molenveldstraat", "3", "1"),
        ("Molenveldstraat", "3", "2"),
    ]


def test_volgende_to_another_host_is_not_followed(fake):
    """The API key goes only to the configured base URL: a "volgende" link elsewhere
    (here 127.0.0.1 while we configured localhost) ends the listing."""
    other = client_for(fake, address_url=f"http://localhost:{fake.port}")
    assert len(other.search_addresses(street="Kerkstraat", limit=10)) == 2


def test_unknown_address_is_none_and_removed_is_gone(fake):
    client = client_for(fake)
    assert client.address("1234567") is None
    with pytest.raises(AddressGone):
        client.address("3000999")
    assert client.search_addresses(street="Nergensstraat") == []


def test_missing_key_401_and_wrong_key_403_are_refused(fake):
    with pytest.raises(RegisterRefused, match="401"):
        client_for(fake, api_key="").address("3000112")
    with pytest.raises(RegisterRefused, match="403"):
        client_for(fake, api_key="fout").search_addresses(street="Kerkstraat")


def test_timeout_is_unavailable_within_the_timeout(fake):
    fake.state.delay = 1.5
    started = time.monotonic()
    with pytest.raises(RegisterUnavailable):
        client_for(fake, timeout=0.3).address("3000112")
    assert time.monotonic() - started < 1.2


def test_server_error_and_no_server_are_unavailable(fake):
    fake.state.down = True
    with pytest.raises(RegisterUnavailable, match="503"):
        client_for(fake).search_addresses(street="Kerkstraat")
    unused = FakeRegisterServer()  # a port that was free, closed again: nobody answers
    unused.httpd.server_close()
    with pytest.raises(RegisterUnavailable):
        RegisterClient(address_url=unused.url, timeout=0.5).address("3000112")


def test_parcels_by_capakey_and_by_address(fake):
    client = client_for(fake)
    parcel = client.parcel("11099B0456/00A002")
    assert parcel is not None
    assert parcel.uri == "https://data.vlaanderen.be/id/perceel/11099B0456-00A002"
    assert parcel.address_ids == ("3000301", "3000302")
    assert [p.capakey for p in client.parcels_of_address("3000112")] == ["11099A0123/00B000"]
    assert client.parcel("11099Z9999/00A000") is None


# --- the register's text search (adressen/zoeken, issue 15) ------------------------------


def test_text_search_matches_what_was_typed_so_far(fake):
    from midoffice.integrations.registers.client import RegisterSuggestion

    found = client_for(fake).suggest_addresses("kerkstr 1", limit=3)
    assert found == [
        RegisterSuggestion(
            object_id="3000101",
            uri="https://data.vlaanderen.be/id/adres/3000101",
            full="Kerkstraat 1, 2640 Leemdonk",
        ),
        RegisterSuggestion(
            object_id="3000110",
            uri="https://data.vlaanderen.be/id/adres/3000110",
            full="Kerkstraat 10, 2640 Leemdonk",
        ),
        RegisterSuggestion(
            object_id="3000112",
            uri="https://data.vlaanderen.be/id/adres/3000112",
            full="Kerkstraat 12, 2640 Leemdonk",
        ),
    ]
    asked = fake.state.requests[-1]
    assert asked.startswith("/v2/adressen/zoeken?q=kerkstr+1&")
    assert "resultaatType=adressen" in asked
    assert "status=inGebruik" in asked
    # Only addresses in use: the historic Heibloemdreef 90 is not offered.
    assert [s.full for s in client_for(fake).suggest_addresses("heibloem")] == [
        "Heibloemdreef 88, 2640 Leemdonk"
    ]


def test_text_search_missing_is_unsupported_not_down(fake):
    from midoffice.integrations.registers.client import SearchUnsupported

    fake.state.search_enabled = False
    with pytest.raises(SearchUnsupported):
        client_for(fake).suggest_addresses("kerkstr")


def test_text_search_faults_are_the_registers(fake):
    with pytest.raises(RegisterRefused):
        client_for(fake, api_key="fout").suggest_addresses("kerkstr")
    fake.state.down = True
    with pytest.raises(RegisterUnavailable):
        client_for(fake).suggest_addresses("kerkstr")


def test_list_filter_matches_whole_street_names_only(fake):
    # As the real register: the list filter is no autocomplete.
    assert client_for(fake).search_addresses(street="Kerkstr") == []
    assert len(client_for(fake).search_addresses(street="kerkstraat", limit=10)) == 6
