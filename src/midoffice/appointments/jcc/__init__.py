"""What Midoffice knows of JCC-Afspraken's GGS2 SOAP service, in one place.

JCC's documentation is not public. ``ggs2.wsdl`` describes the operations the adapter
(``appointments.backends.jcc``) calls, ``mapping.MAPPING`` is the one table of names
(operations, parameters, answer fields, client fields, status codes) that the adapter
reads, and ``local_time`` is the time-zone edge: JCC speaks naive Brussels wall-clock
time. See ``docs/adr/0017-jcc-afspraken-adapter.md``.
"""

from __future__ import annotations

from pathlib import Path

WSDL_PATH = Path(__file__).with_name("ggs2.wsdl")
"""Midoffice's own subset WSDL of GGS2; the fake JCC serves it."""
