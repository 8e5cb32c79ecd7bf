"""MIME leaves: their parameters, their transfer-decoded bytes and text, and the
attachment made from them (safe file name, type guessed from a name, danger checks, a
Dutch name for a part the sender did not name)."""

from __future__ import annotations

import binascii
import dataclasses
import functools
import hashlib
import io
import mimetypes
import re
import unicodedata
from dataclasses import dataclass
from email.generator import BytesGenerator
from email.message import Message

from midoffice.intake.mailparse.danger import Danger, judge
from midoffice.intake.mailparse.headers import (
    _COMPAT,
    _disposition,
    _first_msgid,
    _header_params,
    _part_header,
    _safe_ctype,
)
from midoffice.intake.mailparse.model import (
    _RECOVERABLE,
    AttachmentOrigin,
    ParsedAttachment,
    ParsedMessage,
    _Context,
    _Defects,
)
from midoffice.intake.mailparse.text import _clean_text, _decode_body


@dataclass(frozen=True, slots=True)
class _PartInfo:
    ctype: str
    disposition: str | None
    filename: str | None
    charset: str | None
    content_id: str | None


def _part_info(part: Message, ctype: str) -> _PartInfo:
    disposition_params = _header_params(part, "content-disposition")
    type_params = _header_params(part, "content-type")
    filename = None
    for candidate in (disposition_params.get("filename"), type_params.get("name")):
        if candidate is not None and candidate.strip():
            filename = candidate
            break
    charset = (type_params.get("charset") or "").strip().strip("\"'").lower() or None
    content_id_raw = _part_header(part, "content-id")
    return _PartInfo(
        ctype=ctype,
        disposition=_disposition(part),
        filename=filename,
        charset=charset,
        content_id=_first_msgid(content_id_raw) if content_id_raw else None,
    )


def _transfer_encoding(part: Message) -> str:
    return (_part_header(part, "content-transfer-encoding") or "").strip().lower()


def _subparts(part: Message) -> list[Message] | None:
    """The parsed sub-parts, or None for a part with a body. (Plain ``get_payload()``
    is avoided on purpose: for 8-bit text it decodes with the declared charset and
    raises on a charset such as ``"utf\\0"`` or an RFC 2231 tuple.)"""
    if not part.is_multipart():
        return None
    payload = part.get_payload()
    return [p for p in payload if isinstance(p, Message)] if isinstance(payload, list) else []


def _leaf_bytes(part: Message, defects: _Defects) -> bytes:
    """The transfer-decoded content of a leaf."""
    subs = _subparts(part)
    if subs is not None:
        data = _serialise_message_payload(part, subs, defects)
        # The stdlib parses a message/* part as a message even when it is base64 or
        # quoted-printable encoded (RFC 2046 forbids that; senders do it anyway).
        encoding = _transfer_encoding(part)
        try:
            if encoding == "base64":
                return binascii.a2b_base64(data)
            if encoding == "quoted-printable":
                return binascii.a2b_qp(data)
        except (binascii.Error, ValueError):
            defects.add("encoded attached message could not be decoded: kept raw")
        return data
    decoded: object = None
    try:
        decoded = part.get_payload(decode=True)
    except _RECOVERABLE:
        defects.add("content transfer encoding could not be decoded: kept raw")
    if isinstance(decoded, bytes):
        return decoded
    try:
        payload = part.get_payload()
    except _RECOVERABLE:
        return b""
    return payload.encode("utf-8", "surrogateescape") if isinstance(payload, str) else b""


def _serialise_message_payload(part: Message, payload: list[Message], defects: _Defects) -> bytes:
    """The stdlib parses message/* parts into sub-messages; give back their bytes."""
    try:
        ctype = _safe_ctype(part)
        if ctype in ("message/rfc822", "message/global") and len(payload) == 1:
            return _flatten(payload[0])
        whole = _flatten(part)
        cut = whole.find(b"\n\n")
        return whole[cut + 2 :] if cut >= 0 else b""
    except _RECOVERABLE:
        defects.add("attached message could not be serialised")
        return b""


class _FlatteningGenerator(BytesGenerator):
    """The stdlib generator, minus the header folding machinery for the plain case.

    With ``max_line_length=0`` compat32 writes an ASCII, one-line header value as it
    is, but only after building and encoding an ``email.header.Header`` for it — a
    fifth of the parse time of a mail with an attached message. Such values are
    written directly; everything else (folded, 8-bit, surrogate-escaped) goes through
    the policy as before. The bytes are the same (checked on every part of the corpus
    and by a test)."""

    def _write_headers(self, msg: Message) -> None:
        for name, value in msg.raw_items():
            if isinstance(value, str) and value.isascii() and not _LINE_BREAKS.search(value):
                self._fp.write(f"{name}: {value}{self._NL}".encode("ascii"))  # type: ignore[attr-defined]
            else:
                self._fp.write(self.policy.fold_binary(name, value))  # type: ignore[attr-defined,union-attr]
        self.write(self._NL)  # type: ignore[attr-defined]


_FLATTEN_POLICY = _COMPAT.clone(max_line_length=0)
# What str.splitlines() (and so email.header) treats as a line break, within ASCII.
_LINE_BREAKS = re.compile("[\n\r\x0b\x0c\x1c\x1d\x1e]")


def _flatten(msg: Message) -> bytes:
    buffer = io.BytesIO()
    _FlatteningGenerator(buffer, mangle_from_=False, policy=_FLATTEN_POLICY).flatten(msg)
    return buffer.getvalue()


def _part_text(part: Message, info: _PartInfo, defects: _Defects, what: str) -> str:
    data = _leaf_bytes(part, defects)
    return _decode_body(data, info.charset, defects, what)


def _attachment(
    *,
    filename: str | None,
    content_type: str,
    content: bytes,
    is_inline: bool,
    content_id: str | None,
    origin: AttachmentOrigin,
    ctx: _Context,
    defects: _Defects,
    nested: ParsedMessage | None = None,
    charset: str | None = None,
    original_filename: str | None = None,
    holds: Danger | None = None,
) -> ParsedAttachment:
    """One attachment with its danger verdict (``danger.judge``). ``holds``: the verdict
    of a dangerous file inside it (a zip member, an attached message's attachment),
    which the caller has already listed in ``ctx.dangerous``."""
    danger = judge(filename, content_type, content, original=original_filename)
    if danger:
        ctx.dangerous.append(f"{filename or 'unnamed attachment'}: {danger.reason_en}")
    else:
        danger = holds
    return ParsedAttachment(
        filename=filename,
        content_type=content_type,
        content=content,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        is_inline=is_inline,
        content_id=content_id,
        nested=nested,
        origin=origin,
        charset=charset,
        dangerous_reason=danger.reason_en if danger else None,
        danger=danger,
        original_filename=original_filename if original_filename is not None else filename,
    )


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _sanitize_filename(name: str | None) -> str | None:
    """The last path component, without control or bidi-format characters."""
    if name is None:
        return None
    name = _clean_text(name)
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _CONTROL.sub("", name)
    name = "".join(ch for ch in name if unicodedata.category(ch) != "Cf")
    name = name.strip()
    if name in ("", ".", ".."):
        return None
    if len(name) > 255:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 250 - len(ext)] + dot + ext) if dot and len(ext) < 20 else name[:255]
    return name


_GUESS_TYPES = {
    ".pdf": "application/pdf",
    ".txt": "text/plain",
    ".gif": "image/gif",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".zip": "application/zip",
    ".doc": "application/msword",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xls": "application/vnd.ms-excel",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".htm": "text/html",
    ".html": "text/html",
    ".msg": "application/vnd.ms-outlook",
    ".eml": "message/rfc822",
}


def _guess_type(name: str | None) -> str:
    if name and "." in name:
        return _GUESS_TYPES.get("." + name.rsplit(".", 1)[-1].lower(), "application/octet-stream")
    return "application/octet-stream"


# ---- names for parts the sender did not name -------------------------------------------

#: Generated names by media type (no number: a message rarely has two of these).
_GENERATED_NAMES = {
    "message/rfc822": "bericht.eml",
    "message/global": "bericht.eml",
    "message/delivery-status": "afleverstatus.txt",
    "message/global-delivery-status": "afleverstatus.txt",
}
#: Where the stdlib's table has no or an odd first choice ("application/xml" -> .xsl).
_PREFERRED_EXTENSIONS = {
    "application/pdf": ".pdf",
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/jpg": ".jpg",
    "image/pjpeg": ".jpg",
    "text/plain": ".txt",
    "text/html": ".html",
    "text/calendar": ".ics",
    "application/xml": ".xml",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": ".pptx",
    "application/octet-stream": ".bin",
}


@functools.cache
def _mime_types() -> mimetypes.MimeTypes:
    # An instance of its own knows only the stdlib's built-in table (the module-level
    # functions also read the machine's /etc/mime.types): the same name on every server.
    return mimetypes.MimeTypes()


def _extension_for(content_type: str) -> str:
    preferred = _PREFERRED_EXTENSIONS.get(content_type)
    if preferred:
        return preferred
    guessed = _mime_types().guess_extension(content_type, strict=False)
    if guessed:
        return guessed
    if content_type.startswith(("text/", "message/", "multipart/")):  # readable as text
        return ".txt"
    return ".bin"


def _generated_name(attachment: ParsedAttachment, position: int) -> str:
    """A Dutch name for an unnamed attachment: ``bericht.eml`` for an attached message,
    ``afleverstatus.txt`` for a delivery status, else ``bijlage-N.ext`` (N its 1-based
    position, the extension by media type)."""
    content_type = attachment.content_type
    return _GENERATED_NAMES.get(content_type) or (
        f"bijlage-{position}{_extension_for(content_type)}"
    )


def _name_unnamed(attachments: list[ParsedAttachment]) -> list[ParsedAttachment]:
    """``attachments`` with a generated :attr:`~ParsedAttachment.filename` for each one
    the sender did not name (a bounce's delivery status, an attached message, inline
    binary parts). ``original_filename`` is left as it was (None: the sender named
    nothing). A generated name never repeats a name already in the message
    (``bericht-2.eml``)."""
    if all(a.filename for a in attachments):
        return attachments
    taken = {a.filename.lower() for a in attachments if a.filename}
    named: list[ParsedAttachment] = []
    for position, attachment in enumerate(attachments, start=1):
        if attachment.filename:
            named.append(attachment)
            continue
        stem, dot, ext = _generated_name(attachment, position).rpartition(".")
        name = f"{stem}{dot}{ext}"
        copy = 2
        while name.lower() in taken:
            name = f"{stem}-{copy}{dot}{ext}"
            copy += 1
        taken.add(name.lower())
        named.append(dataclasses.replace(attachment, filename=name))
    return named
