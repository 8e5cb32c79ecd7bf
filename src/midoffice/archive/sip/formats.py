"""What a file is, from its bytes: media type, format name and version, PRONOM key.

A pure function over the first bytes (and, for ZIP-based office files, the member
names). The name and the type a mail or an upload *claimed* are only a fallback: the
e-depot plans its preservation by format, so the package says what the bytes are. A
PRONOM key is given only for formats whose key is certain; otherwise PREMIS carries the
format name alone.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass

PRONOM = "PRONOM"


@dataclass(frozen=True)
class FileFormat:
    media_type: str
    name: str
    version: str = ""
    pronom: str = ""  # e.g. "fmt/276"; empty when not certain
    extension: str = ""  # without the dot
    by_content: bool = True  # False: only the claimed type/name could be used


_PDF_VERSIONS = {
    "1.3": "fmt/17",
    "1.4": "fmt/18",
    "1.5": "fmt/19",
    "1.6": "fmt/20",
    "1.7": "fmt/276",
}
_PNG = FileFormat("image/png", "Portable Network Graphics", "", "", "png")
_GIF = {
    b"GIF87a": FileFormat("image/gif", "Graphics Interchange Format", "87a", "fmt/3", "gif"),
    b"GIF89a": FileFormat("image/gif", "Graphics Interchange Format", "89a", "fmt/4", "gif"),
}
_OOXML = {
    "word/": FileFormat(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "Microsoft Word for Windows",
        "2007 onwards",
        "fmt/412",
        "docx",
    ),
    "xl/": FileFormat(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "Microsoft Excel for Windows",
        "2007 onwards",
        "fmt/214",
        "xlsx",
    ),
    "ppt/": FileFormat(
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "Microsoft PowerPoint for Windows",
        "2007 onwards",
        "fmt/215",
        "pptx",
    ),
}
_ODF = {
    "application/vnd.oasis.opendocument.text": "odt",
    "application/vnd.oasis.opendocument.spreadsheet": "ods",
    "application/vnd.oasis.opendocument.presentation": "odp",
}
_HEADER_LINE = re.compile(rb"^[!-9;-~]+:[ \t]?", re.MULTILINE)
_MAIL_FIELDS = (b"from:", b"date:", b"message-id:", b"subject:", b"received:", b"to:")


def _zip_format(data: bytes) -> FileFormat:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
            if "mimetype" in names:
                declared = archive.read("mimetype").decode("ascii", "replace").strip()
                if declared in _ODF:
                    return FileFormat(declared, "OpenDocument", "", "", _ODF[declared])
            if "[Content_Types].xml" in names:
                for prefix, known in _OOXML.items():
                    if any(n.startswith(prefix) for n in names):
                        return known
    except (zipfile.BadZipFile, OSError, ValueError, KeyError, NotImplementedError):
        pass
    return FileFormat("application/zip", "ZIP Format", "", "x-fmt/263", "zip")


def _looks_like_mail(head: bytes) -> bool:
    """A header block with at least two fields every mail has, before the first blank line."""
    block = head.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    lines = [line for line in block.splitlines() if line and line[:1] not in (b" ", b"\t")]
    if not lines or not all(_HEADER_LINE.match(line) for line in lines[:5]):
        return False
    lowered = block.lower()
    return sum(1 for name in _MAIL_FIELDS if name in lowered) >= 2


def _text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut off at the end of the sample is still text.
        if exc.start < len(head) - 4:
            return False
    return True


def identify(data: bytes, *, claimed_type: str = "", filename: str = "") -> FileFormat:
    """The format of ``data``; falls back on the claimed type when the bytes say nothing."""
    head = data[:4096]
    if head.startswith(b"%PDF-"):
        version = head[5:8].decode("ascii", "replace")
        return FileFormat(
            "application/pdf", "Acrobat PDF", version, _PDF_VERSIONS.get(version, ""), "pdf"
        )
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return _PNG
    if head[:6] in _GIF:
        return _GIF[head[:6]]
    if head.startswith(b"\xff\xd8\xff"):
        return FileFormat("image/jpeg", "JPEG File Interchange Format", "", "", "jpg")
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return FileFormat("image/tiff", "Tagged Image File Format", "", "fmt/353", "tif")
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return FileFormat("image/webp", "WebP", "", "", "webp")
    if head.startswith(b"PK\x03\x04"):
        return _zip_format(data)
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return FileFormat("application/x-ole-storage", "OLE2 Compound Document", "", "", "bin")
    if _looks_like_mail(head):
        return FileFormat("message/rfc822", "Internet Message Format", "", "", "eml")
    if _text(head):
        stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
        if stripped.startswith(b"<?xml"):
            return FileFormat("text/xml", "Extensible Markup Language", "1.0", "fmt/101", "xml")
        if stripped.startswith((b"<!doctype html", b"<html")):
            return FileFormat("text/html", "Hypertext Markup Language", "", "", "html")
        return FileFormat("text/plain", "Plain Text File", "", "x-fmt/111", "txt")
    claimed = claimed_type.split(";", 1)[0].strip().lower()
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return FileFormat(
        claimed or "application/octet-stream",
        "Unidentified",
        "",
        "",
        extension if extension.isalnum() else "bin",
        by_content=False,
    )
