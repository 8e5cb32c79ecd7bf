"""Reading an address typed on one line (pure, no database, no network)."""

from __future__ import annotations

import re
from dataclasses import dataclass

# "Kerkstraat 12", "Kerkstraat 12A bus 3", "Kerkstraat 12/3, 2640 Leemdonk"
_LINE = re.compile(
    r"^\s*(?P<street>.*?[^\d\s,][^,]*?)\s+(?P<number>\d+[A-Za-z]?)"
    r"(?:\s*(?:bus|/)\s*(?P<box>[\w.-]+))?\s*"
    r"(?:,\s*(?P<postcode>[1-9]\d{3})?\s*(?P<municipality>[^\d,][^,]*)?)?\s*$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class TypedAddress:
    street: str
    number: str = ""
    box: str = ""
    postcode: str = ""
    municipality: str = ""

    @property
    def number_with_box(self) -> str:
        return f"{self.number} bus {self.box}" if self.box else self.number


def parse_address_line(text: str) -> TypedAddress:
    """Street, number, box, postcode and municipality from one line; what cannot be read
    as a number stays in the street (the autocomplete then searches by street alone)."""
    line = " ".join(text.split())
    match = _LINE.match(line)
    if not match:
        return TypedAddress(street=line.strip(" ,"))
    return TypedAddress(
        street=match["street"].strip(" ,"),
        number=match["number"].upper(),
        box=match["box"] or "",
        postcode=match["postcode"] or "",
        municipality=(match["municipality"] or "").strip(),
    )


def split_number(number: str) -> tuple[str, str]:
    """("3", "2") from "3 bus 2" as stored in the dossier's number field."""
    head, _, box = number.partition(" bus ")
    return head.strip(), box.strip()
