"""Fictional demo citizens with checksum-valid (but invented) national numbers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


def make_rrn(birth: dt.date, serial: int) -> str:
    """A rijksregisternummer for ``birth`` and a 3-digit serial, with its check digits."""
    body = f"{birth:%y%m%d}{serial:03d}"
    base = int(("2" if birth.year >= 2000 else "") + body)
    return f"{body}{97 - base % 97:02d}"


@dataclass(frozen=True)
class DemoCitizen:
    given_name: str
    family_name: str
    rrn: str
    email: str

    @property
    def sub(self) -> str:
        return f"demo-{self.rrn[-5:]}"


# The first three match the demo contacts of Leemdonk (web/demo.py).
DEMO_CITIZENS = (
    DemoCitizen(
        "Emma", "De Smet", make_rrn(dt.date(1986, 3, 14), 123), "emma.desmet@voorbeeld.example"
    ),
    DemoCitizen(
        "Lucas", "Van den Broeck", make_rrn(dt.date(1979, 7, 2), 45), "lucas.vdb@voorbeeld.example"
    ),
    DemoCitizen(
        "Noor", "Jacobs", make_rrn(dt.date(2001, 11, 23), 210), "noor.jacobs@voorbeeld.example"
    ),
    DemoCitizen(
        "Milan", "Peeters", make_rrn(dt.date(1994, 1, 30), 77), "milan.peeters@voorbeeld.example"
    ),
)


def demo_rrn(given_name: str, family_name: str) -> str | None:
    """The demo national number of a demo contact, if it is one."""
    for citizen in DEMO_CITIZENS:
        if (citizen.given_name, citizen.family_name) == (given_name, family_name):
            return citizen.rrn
    return None
