"""Letters to PDF: HTML/CSS with the town's letterhead, rendered by WeasyPrint as PDF/A-2b."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

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
    """The letter as PDF/A-2b with the DejaVu fonts embedded (subsets)."""
    import weasyprint  # heavy import, only where PDFs are made

    document = weasyprint.HTML(string=letter_html(layout))
    pdf = document.write_pdf(pdf_variant="pdf/a-2b")
    assert pdf is not None  # write_pdf returns bytes when no target is given
    return bytes(pdf)
