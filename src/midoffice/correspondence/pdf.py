"""Letters to PDF: HTML/CSS with the town's letterhead, rendered by WeasyPrint as PDF/A-2b."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from django.template.loader import render_to_string

# WeasyPrint reports every layout step at INFO; the log is not the place for that.
logging.getLogger("weasyprint").setLevel(logging.WARNING)
logging.getLogger("fontTools").setLevel(logging.WARNING)


@dataclass(frozen=True)
class LetterLayout:
    town_name: str
    town_address: str
    reference: str
    subject: str
    body: str
    recipient_name: str
    recipient_lines: list[str]
    date: dt.date
    handler_name: str
    handler_team: str
    attachments: list[str]
    draft: bool = False
    # Who signs: the signer once signed; empty while the letter waits for a signature
    # (the block then says a signature follows); the handler when none is needed.
    signer_name: str = ""
    signer_function: str = ""
    awaiting_signature: bool = False


def paragraphs(text: str) -> list[list[str]]:
    """Blank lines separate paragraphs; single newlines stay line breaks."""
    blocks = [block.strip("\n") for block in text.replace("\r\n", "\n").split("\n\n")]
    return [block.split("\n") for block in blocks if block.strip()]


def letter_html(layout: LetterLayout) -> str:
    return render_to_string(
        "correspondence/letter_pdf.html",
        {"l": layout, "paragraphs": paragraphs(layout.body)},
    )


def letter_pdf(layout: LetterLayout) -> bytes:
    """The letter as PDF/A-2b with the DejaVu fonts embedded (subsets).

    The document information and the XMP metadata say the same (title, author, subject,
    producer, dates: the template's ``<head>``); ``correspondence.pdfa`` checks it.
    """
    import weasyprint  # heavy import, only where PDFs are made

    document = weasyprint.HTML(string=letter_html(layout))
    pdf = document.write_pdf(pdf_variant="pdf/a-2b", finisher=_metadata_uncompressed)
    assert pdf is not None  # write_pdf returns bytes when no target is given
    return bytes(pdf)


def _metadata_uncompressed(document: object, pdf: Any) -> None:
    """Write the XMP packet without a filter (WeasyPrint compresses it).

    PDF/A-1 forbids a filter on the metadata stream and some PDF/A-2 validators apply
    that rule too; a plain packet is also what tools that scan a file for XMP find.
    """
    reference: bytes = pdf.catalog["Metadata"]  # pydyf's b"N 0 R"
    pdf.objects[int(reference.split()[0])].compress = False
