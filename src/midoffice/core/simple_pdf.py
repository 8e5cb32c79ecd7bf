"""A one-page PDF written by hand (no engine): the sample documents of the fakes and the
demo (property documents, bpost attestations, old plans). Small and valid enough for
every reader, for the letters' attachment check and for the archive's format checks."""

from __future__ import annotations

from collections.abc import Sequence


def _pdf_string(line: str) -> bytes:
    """``line`` as a PDF literal string in WinAnsi (Latin-1; what it lacks becomes ?)."""
    text = line.encode("latin-1", "replace")
    return b"(" + text.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def one_page_pdf(lines: Sequence[str], *, size: int = 12) -> bytes:
    """A PDF 1.4 of one A4 page with ``lines`` of Helvetica text at ``size`` points."""
    leading = size + 4
    stream = f"BT /F1 {size} Tf 72 770 Td {leading} TL".encode()
    for line in lines:
        stream += b" " + _pdf_string(line) + b" '"
    stream += b" ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        (
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
            b"/Resources << /Font << /F1 5 0 R >> >> >>"
        ),
        b"<< /Length " + str(len(stream)).encode() + b" >>stream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += (
        f"trailer << /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return bytes(out)
