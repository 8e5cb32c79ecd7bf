"""Showing a file from outside in the browser, safely: images and PDFs only, checked by
their bytes, in a sandbox of their own (ADR 12).

A citizen's file is shown *inline* (the browser's image viewer or PDF viewer) only when
its first bytes say it is a PNG, JPEG, GIF, WebP image or a PDF, whatever its name or
declared type say; it is then served with that real type, ``nosniff``, and a
Content-Security-Policy of its own that makes it a sandboxed document without scripts,
forms, plugins or frames. SVG and HTML are never shown inline (they can carry script);
every other file stays a download (``application/octet-stream``, ``attachment``).

The sandbox policy was checked in Chromium (tests/browser/test_portal_upload_browser.py):
its PDF viewer and its image viewer work under it. The image viewer styles its own page
inline, hence ``style-src 'unsafe-inline'`` for images only: the page around the image is
the browser's, nothing in it comes from the file.
"""

from __future__ import annotations

from django.utils.http import content_disposition_header

from midoffice.core.display import display_text

#: The media types shown inline, by what their bytes start with.
PREVIEW_TYPES = {
    "application/pdf": "PDF",
    "image/png": "PNG-afbeelding",
    "image/jpeg": "JPEG-afbeelding",
    "image/gif": "GIF-afbeelding",
    "image/webp": "WebP-afbeelding",
}
_EXTENSIONS = frozenset({".pdf", ".png", ".jpg", ".jpeg", ".gif", ".webp"})

_SANDBOX = "sandbox; default-src 'none'; img-src 'self' data:"
_CLOSED = "frame-ancestors 'none'; form-action 'none'; base-uri 'none'"
CSP_PDF = f"{_SANDBOX}; {_CLOSED}"
CSP_IMAGE = f"{_SANDBOX}; style-src 'unsafe-inline'; {_CLOSED}"

#: How many bytes :func:`sniff` needs.
SNIFF_BYTES = 16


def sniff(head: bytes) -> str | None:
    """The media type the first bytes of a file prove, among :data:`PREVIEW_TYPES`;
    None for anything else (HTML, SVG, a program, a PDF with junk before its header)."""
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def may_offer_preview(*, content_type: str, filename: str) -> bool:
    """Whether a page offers "Bekijken" for a file with this declared type and name. Only
    a hint for the link: the preview itself checks the bytes (:func:`sniff`)."""
    if content_type.lower() in PREVIEW_TYPES:
        return True
    dot = filename.rfind(".")
    return dot >= 0 and filename[dot:].lower() in _EXTENSIONS


def preview_headers(*, media_type: str, filename: str) -> dict[str, str]:
    """The headers of an inline preview of a file whose bytes are ``media_type``."""
    if media_type not in PREVIEW_TYPES:
        raise ValueError(f"{media_type} is never shown inline")
    shown = display_text(filename, "bijlage")  # no bidi override in the viewer's title
    return {
        "Content-Type": media_type,
        "Content-Disposition": content_disposition_header(False, shown) or "inline",
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": CSP_PDF if media_type == "application/pdf" else CSP_IMAGE,
        "Cache-Control": "private, no-store",
        "Cross-Origin-Resource-Policy": "same-origin",
        "Referrer-Policy": "no-referrer",
    }


def download_headers(*, filename: str, declared_type: str = "") -> dict[str, str]:
    """The headers of a download: never rendered in our origin, whatever it is."""
    shown = display_text(filename, "bijlage")  # the download bar shows it
    headers = {
        "Content-Type": "application/octet-stream",
        "Content-Disposition": content_disposition_header(True, shown) or "attachment",
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": f"{_SANDBOX}; {_CLOSED}",
        "Cache-Control": "private, no-store",
    }
    if declared_type:
        headers["X-Original-Content-Type"] = declared_type[:100]
    return headers
