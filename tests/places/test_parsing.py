from __future__ import annotations

import pytest

from midoffice.places.parsing import TypedAddress, parse_address_line, split_number


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Kerkstraat 12", TypedAddress("Kerkstraat", "12")),
        ("  kerk ", TypedAddress("kerk")),
        ("Kerkstraat 12a bus 3", TypedAddress("Kerkstraat", "12A", "3")),
        (
            "Molenveldstraat 3/2, 2640 Leemdonk",
            TypedAddress("Molenveldstraat", "3", "2", "2640", "Leemdonk"),
        ),
        ("Straat van 1830 5", TypedAddress("Straat van 1830", "5")),
    ],
)
def test_parse_address_line(text, expected):
    assert parse_address_line(text) == expected


def test_split_number():
    assert split_number("3 bus 2") == ("3", "2")
    assert split_number("12") == ("12", "")
