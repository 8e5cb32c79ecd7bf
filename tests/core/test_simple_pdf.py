"""The one hand-written one-page PDF (``core.simple_pdf``) that the property fake, the
bpost fake and the demo archive all use: readable, its text escaped, its xref right."""

from __future__ import annotations

import io
import re

from pyhanko.pdf_utils.reader import PdfFileReader

from midoffice.core.simple_pdf import one_page_pdf
from midoffice.integrations.magda import fake as magda_fake
from midoffice.integrations.property import fake as property_fake
from midoffice.web import demo_archive


def _page_text(pdf: bytes) -> bytes:
    reader = PdfFileReader(io.BytesIO(pdf), strict=True)
    assert int(reader.root["/Pages"]["/Count"]) == 1
    page = reader.root["/Pages"]["/Kids"][0]
    return bytes(page["/Contents"].data)


def test_a_strict_reader_opens_it_and_finds_the_escaped_lines():
    pdf = one_page_pdf(["Plan (1978) \\ kelder", "Straße"], size=14)
    assert pdf.startswith(b"%PDF-1.4\n")
    assert pdf.endswith(b"%%EOF\n")
    text = _page_text(pdf)
    assert b"/F1 14 Tf" in text
    assert b"(Plan \\(1978\\) \\\\ kelder) '" in text
    assert b"(Stra\xdfe) '" in text  # WinAnsi
    # The xref offsets point at the objects.
    start = int(re.search(rb"startxref\n(\d+)", pdf).group(1))  # type: ignore[union-attr]
    assert pdf[start:].startswith(b"xref")


def test_the_three_samples_are_the_same_helper():
    assert _page_text(property_fake.simple_pdf(["Perceel 11099A0123/00B000"])).count(b"'") == 1
    assert b"(Plan - Tuinhuis) '" in _page_text(demo_archive.plan_pdf("Plan - Tuinhuis"))

    class Message:
        message_id = "M-1"

    assert b"(bpost attest \\(demo\\) M-1 afgeleverd) '" in _page_text(
        magda_fake.attestation_pdf(Message())  # type: ignore[arg-type]
    )
