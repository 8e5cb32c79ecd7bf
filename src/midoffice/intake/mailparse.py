"""Robust parsing of raw e-mail into plain, frozen dataclasses.

This is the pure core of mail intake: no Django, no database, no network, no logging.
:func:`parse_message` turns the raw bytes of any message (broken, hostile or empty) into
a :class:`ParsedMessage` and never raises. The MIME tree comes from the stdlib
:mod:`email` parser with a ``compat32`` policy (headers stay raw, nothing is decoded
behind our back); header values are decoded here (linear RFC 2047 decoder, regex fast
paths for plain addresses, the ``policy.default`` header registry for the rest, the old
``email.utils`` functions as fallback). Before the stdlib sees the bytes, targeted
repairs handle what real mail gets wrong: obsolete ``Name :`` header syntax, text after a
boundary delimiter, a boundary folded inside its quotes, a missing or wrong boundary
parameter, and MIME nesting so deep that the stdlib becomes quadratic or overflows.

Which parts are bodies and which are attachments follows one rule (the same as RFC 8621
§4.1.4 / JMAP, and the e-mail corpus the tests use as an oracle): take every leaf of the
top-level MIME tree, where a ``message/rfc822`` part is one leaf; the first non-attachment
``text/plain`` leaf and the first non-attachment ``text/html`` leaf are the bodies; every
other leaf is an attachment, in MIME order. Files recovered from *inside* a part carry
their own ``origin``: ``"tnef"`` for the contents of an Outlook ``winmail.dat``, listed
right after it (the winmail.dat itself is kept, so nothing of the original is lost);
``"uuencode"`` for ``begin 644 name`` blocks cut out of the plain-text body, listed last.
:attr:`ParsedMessage.mime_attachments` is therefore always exactly the rule above.
Attached messages are parsed into :attr:`ParsedAttachment.nested`: message/rfc822 parts
recursively, Outlook ``.msg`` files through extract_msg (their files get origin ``"msg"``).
"""

from __future__ import annotations

import binascii
import codecs
import hashlib
import html as html_module
import io
import itertools
import re
import secrets
import struct
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy as email_policy
from email.errors import MessageError
from email.generator import BytesGenerator
from email.message import Message
from email.parser import BytesParser
from email.policy import Compat32
from email.utils import collapse_rfc2231_value, getaddresses, parsedate_to_datetime
from html.parser import HTMLParser
from typing import Any, Literal

import nh3

__all__ = [
    "AttachmentOrigin",
    "ParseLimits",
    "ParsedAttachment",
    "ParsedMessage",
    "Rejection",
    "html_to_text",
    "parse_message",
    "parse_message_id",
    "sanitize_html",
]

AttachmentOrigin = Literal["mime", "tnef", "uuencode", "msg"]

_MB = 1024 * 1024

# What stdlib parsing code raises on hostile input (seen in practice or in its bug
# tracker). Caught per field or per part, so that one bad part does not spoil the rest.
_RECOVERABLE: tuple[type[Exception], ...] = (
    ValueError,
    TypeError,
    LookupError,
    AttributeError,
    AssertionError,
    RecursionError,
    OverflowError,
    EOFError,
    OSError,
    MessageError,
    struct.error,
)
_ZIP_ERRORS: tuple[type[Exception], ...] = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    NotImplementedError,
    *_RECOVERABLE,
)


# --------------------------------------------------------------------------------------
# Public dataclasses
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ParseLimits:
    """Resource limits for one message. A violated limit never raises: it sets
    :attr:`ParsedMessage.rejection`."""

    max_total_bytes: int = 50 * _MB
    max_attachments: int = 100
    #: How deep attached messages (message/rfc822, Outlook .msg) are parsed; the
    #: top-level message is depth 0.
    max_depth: int = 5
    #: Zip bomb check on the central directory of .zip attachments (nothing is extracted).
    max_zip_uncompressed_bytes: int = 200 * _MB
    max_zip_ratio: float = 100.0
    #: The ratio check only applies from this declared uncompressed size on, so that a
    #: small, very repetitive file (a few kB of zeros) is not called a bomb.
    zip_ratio_min_bytes: int = 1 * _MB


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why a message is refused: a stable English code and a Dutch message for people."""

    code: str
    message_nl: str


@dataclass(frozen=True, slots=True)
class ParsedAttachment:
    """One attachment (see the module docstring for what counts as one)."""

    #: Safe to use as a file name: last path component, no control/bidi characters.
    filename: str | None
    content_type: str
    content: bytes = field(repr=False)
    size: int
    sha256: str
    is_inline: bool
    content_id: str | None
    nested: ParsedMessage | None = None
    origin: AttachmentOrigin = "mime"
    charset: str | None = None
    dangerous_reason: str | None = None
    #: The name as the sender wrote it (RFC 2231/2047 decoded, NULs removed); for
    #: display and audit only, never as a path.
    original_filename: str | None = None


@dataclass(frozen=True, slots=True)
class ParsedMessage:
    """Everything intake needs from one message. Text is ``str`` without NUL characters
    or lone surrogates, so it can be stored as is. Addresses are lowercased addr-specs;
    message ids are without angle brackets."""

    message_id: str | None
    #: The first id of In-Reply-To.
    in_reply_to: str | None
    references: list[str]
    #: RFC 2047-decoded, white space collapsed; "" when absent.
    subject: str
    #: The first mailbox of the first From header.
    from_address: str | None
    from_name: str | None
    to_addresses: list[str]
    cc_addresses: list[str]
    reply_to: list[str]
    #: Always timezone-aware (a date without zone is taken as UTC).
    date: datetime | None
    auto_submitted: str | None
    precedence: str | None
    x_auto_response_suppress: str | None
    list_id: str | None
    #: The envelope sender; "" for the null sender ``<>`` (bounces), None when absent.
    return_path: str | None
    #: Lowercased ``type/subtype`` of the top-level message, and its parameters.
    content_type: str
    content_type_params: dict[str, str]
    #: Every top-level header as (name, value), unfolded, in order; values are not
    #: RFC 2047-decoded (the dedicated fields above are).
    headers: list[tuple[str, str]]
    #: The first non-attachment text/plain leaf, decoded (uuencoded blocks cut out);
    #: when there is none, text derived from the HTML body; else "".
    text_body: str
    #: The first non-attachment text/html leaf, decoded but NOT sanitised.
    html_body: str | None
    #: A text/plain leaf was taken as the body (``text_body`` is not derived from HTML).
    plain_body_present: bool
    #: A non-attachment text/html leaf exists (the corpus's ``html_body_present``).
    html_body_present: bool
    #: MIME attachments in MIME order, each followed by the files derived from it.
    attachments: list[ParsedAttachment]
    #: Leaves of the top-level MIME tree (a message/rfc822 part is one leaf). Every leaf
    #: is a body, a MIME attachment, or counted in ``unread_leaf_count``.
    leaf_count: int
    #: Leaves not read because ``max_attachments`` was reached (then ``rejection`` is set).
    unread_leaf_count: int
    #: What was repaired or ignored, in plain English; never contains addresses.
    defects: list[str]
    #: Size of the raw message in bytes.
    size: int
    #: Set when a :class:`ParseLimits` limit was violated (first violation wins).
    rejection: Rejection | None = None
    #: "name: reason" for every dangerous attachment, also inside attached messages
    #: and zip archives.
    dangerous_attachments: list[str] = field(default_factory=list)

    @property
    def mime_attachments(self) -> list[ParsedAttachment]:
        """The attachments exactly as the MIME rule defines them (no derived files)."""
        return [a for a in self.attachments if a.origin == "mime"]

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (case-insensitive), or None."""
        wanted = name.lower()
        for key, value in self.headers:
            if key.lower() == wanted:
                return value
        return None

    def header_all(self, name: str) -> list[str]:
        """Every value of header ``name`` (case-insensitive), in order."""
        wanted = name.lower()
        return [value for key, value in self.headers if key.lower() == wanted]


# --------------------------------------------------------------------------------------
# Parse context (shared by a message and everything nested in it)
# --------------------------------------------------------------------------------------


@dataclass
class _Context:
    limits: ParseLimits
    attachment_count: int = 0
    rejection: Rejection | None = None
    dangerous: list[str] = field(default_factory=list)
    #: Decoded bodies of large parts, by the placeholder the stdlib saw instead.
    large_parts: dict[bytes, bytes] = field(default_factory=dict)

    def reject(self, code: str, message_nl: str) -> None:
        if self.rejection is None:
            self.rejection = Rejection(code=code, message_nl=message_nl)


_MAX_DEFECTS = 50
_MAX_MULTIPART_DEPTH = 24  # legit mail nests ~2 levels per forwarded message


class _Defects:
    """Collects human-readable notes, deduplicated and capped."""

    def __init__(self) -> None:
        self.items: list[str] = []
        self._seen: set[str] = set()
        self._dropped = 0

    def add(self, note: str) -> None:
        if note in self._seen:
            return
        if len(self.items) >= _MAX_DEFECTS:
            self._dropped += 1
            return
        self._seen.add(note)
        self.items.append(note)

    def result(self) -> list[str]:
        if self._dropped:
            return [*self.items, f"{self._dropped} further defects not listed"]
        return list(self.items)


# --------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------


class _UnfoldingCompat32(Compat32):
    """compat32, except that header values are unfolded when read: a boundary folded
    inside its quotes (``boundary="simple\r\n boundary"``) must still match."""

    def header_fetch_parse(self, name: str, value: str) -> Any:
        return super().header_fetch_parse(name, _unfold(value))


_COMPAT = _UnfoldingCompat32()
_HEADER_REGISTRY = email_policy.default.header_factory


def parse_message(raw: bytes, *, limits: ParseLimits | None = None) -> ParsedMessage:
    """Parse the raw bytes of one e-mail message.

    Promises: never raises on any input (empty, header-only, NUL bytes, bare CR, 8-bit
    text without charset, broken boundaries, unknown charsets, RFC 2047/2231 words);
    every leaf of the MIME tree ends up as a body or an attachment; what had to be
    repaired or ignored is described in :attr:`ParsedMessage.defects`; a violated
    :class:`ParseLimits` limit sets :attr:`ParsedMessage.rejection` instead of raising.
    Linear in the size of the input.
    """
    ctx = _Context(limits=limits or ParseLimits())
    try:
        data = bytes(raw)
    except (TypeError, ValueError):
        data = b""
    try:
        parsed = _parse_bytes(data, ctx, depth=0)
    except Exception as exc:  # noqa: BLE001 - last resort: a parser bug must not take intake down
        parsed = _empty_message(len(data), [f"parser failure ({type(exc).__name__})"])
    return _with_context(parsed, ctx)


def parse_message_id(raw: bytes) -> str | None:
    """The Message-ID exactly as :func:`parse_message` reads it, from the header block
    only and without building the rest (intake's dedupe key, read before storing)."""
    try:
        defects = _Defects()
        head = _repair_header_block(bytes(raw[:_MAX_HEADER_SCAN]), defects)
        msg = _stdlib_parse(head, defects, headers_only=True)
        return _first_msgid(_first_values(_raw_headers(msg)).get("message-id"))
    except Exception:  # noqa: BLE001 - never raises, like parse_message
        return None


def _with_context(parsed: ParsedMessage, ctx: _Context) -> ParsedMessage:
    return ParsedMessage(
        **{name: getattr(parsed, name) for name in _MESSAGE_FIELDS if name not in _CTX_FIELDS},
        rejection=ctx.rejection,
        dangerous_attachments=list(ctx.dangerous),
    )


_MESSAGE_FIELDS = tuple(ParsedMessage.__dataclass_fields__)
_CTX_FIELDS = frozenset({"rejection", "dangerous_attachments"})


def _empty_message(size: int, defects: list[str]) -> ParsedMessage:
    return ParsedMessage(
        message_id=None,
        in_reply_to=None,
        references=[],
        subject="",
        from_address=None,
        from_name=None,
        to_addresses=[],
        cc_addresses=[],
        reply_to=[],
        date=None,
        auto_submitted=None,
        precedence=None,
        x_auto_response_suppress=None,
        list_id=None,
        return_path=None,
        content_type="text/plain",
        content_type_params={},
        headers=[],
        text_body="",
        html_body=None,
        plain_body_present=False,
        html_body_present=False,
        attachments=[],
        leaf_count=0,
        unread_leaf_count=0,
        defects=defects,
        size=size,
    )


def _parse_bytes(raw: bytes, ctx: _Context, depth: int) -> ParsedMessage:
    defects = _Defects()
    limits = ctx.limits
    if len(raw) > limits.max_total_bytes:
        ctx.reject(
            "too_large",
            f"Het bericht is groter dan {_human_size(limits.max_total_bytes)}.",
        )
        defects.add("message larger than the size limit: only the headers were read")
        head = raw[: min(len(raw), _MB)]
        msg = _stdlib_parse(head, defects, headers_only=True)
        return _build(msg, raw_size=len(raw), ctx=ctx, depth=depth, defects=defects, body=False)

    raw_size = len(raw)
    if depth == 0 and raw_size >= LARGE_PART_BYTES:
        raw = _cut_large_parts(raw, ctx) or raw
    repaired = _limit_multipart_depth(_repair_header_block(raw, defects), defects)
    msg = _stdlib_parse(repaired, defects, headers_only=False)
    for repair in (_repair_boundary_junk, _repair_lost_boundary):
        again = repair(repaired, msg, defects)
        if again is not repaired:
            repaired = again
            msg = _stdlib_parse(repaired, defects, headers_only=False)
    return _build(msg, raw_size=raw_size, ctx=ctx, depth=depth, defects=defects, body=True)


def _stdlib_parse(raw: bytes, defects: _Defects, *, headers_only: bool) -> Message:
    try:
        return BytesParser(policy=_COMPAT).parsebytes(raw, headersonly=headers_only)
    except RecursionError:
        defects.add("MIME structure nested too deeply: kept as one text part")
    except _RECOVERABLE as exc:
        defects.add(f"stdlib parser failed ({type(exc).__name__}): kept as one text part")
    # Fall back to the header block plus the rest as an opaque body.
    try:
        msg = BytesParser(policy=_COMPAT).parsebytes(raw, headersonly=True)
        if msg.get_content_maintype() == "multipart":
            del msg["Content-Type"]
            msg["Content-Type"] = "text/plain"
        return msg
    except _RECOVERABLE:
        fallback = Message(policy=_COMPAT)
        fallback.set_payload(raw.decode("ascii", "surrogateescape"))
        return fallback


def _human_size(n: int) -> str:
    if n >= _MB and n % _MB == 0:
        return f"{n // _MB} MB"
    if n >= _MB:
        return f"{n / _MB:.1f} MB".replace(".", ",")
    return f"{n} bytes"


# --------------------------------------------------------------------------------------
# Large parts: decoded outside the stdlib parser
# --------------------------------------------------------------------------------------
#
# The stdlib parser keeps a part's body as a str (one copy of the encoded bytes, four
# bytes per character for 8-bit data), joins it from lines (another), and decoding it
# makes more. For a mail with a 25 MB attachment that is ~9x the message in memory. So a
# light byte-level scan first finds leaf parts with a large body, decodes them here
# straight from the raw bytes (one allocation, the decoded size), and hands the stdlib
# the message with a short placeholder in their place; the attachment built from the
# placeholder gets the decoded content back. Whenever the scan is not sure it sees the
# structure exactly as the stdlib will (RFC 2231 boundaries, duplicate Content-Type
# headers, bare CRs, a body that is not clean base64, text or message parts), that part
# is simply left to the normal path.

#: Parts whose encoded body is at least this large take the fast path.
LARGE_PART_BYTES = 1 * _MB
_MAX_LARGE_SCAN_DEPTH = 8
_LARGE_CTES = frozenset({"base64", "quoted-printable", "7bit", "8bit", "binary", ""})
_PART_HEADER_LINE = re.compile(rb"[\x21-\x39\x3b-\x7e]+:|[ \t]")
_CT_NAME = re.compile(rb"content-type[ \t]*:", re.IGNORECASE)
_CTE_NAME = re.compile(rb"content-transfer-encoding[ \t]*:", re.IGNORECASE)
_SCAN_CTYPE = re.compile(rb"[ \t]*([!#-'*+.0-9A-Z^-~-]+/[!#-'*+.0-9A-Z^-~-]+)", re.IGNORECASE)
_SCAN_BOUNDARY = re.compile(
    rb';[ \t]*boundary[ \t]*=[ \t]*(?:"([^"\\\r\n]{1,200})"|([^;\s"]{1,200}))', re.IGNORECASE
)
_RFC2231_BOUNDARY = re.compile(rb"boundary\*", re.IGNORECASE)
_NOT_BASE64 = re.compile(rb"[^A-Za-z0-9+/=\r\n]|\r(?!\n)")
_BARE_CR = re.compile(rb"\r(?!\n)")
_DASH_LINE_START = re.compile(rb"^--", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class _LargePart:
    start: int
    end: int
    encoding: str


def _scan_header_block(raw: bytes, start: int, limit: int) -> tuple[int, list[bytes]] | None:
    """(offset of the body, unfolded header lines) of the block at ``start``; None when
    a line is not clearly a header (the stdlib would read it differently)."""
    headers: list[bytes] = []
    pos = start
    while pos < limit:
        nl = raw.find(b"\n", pos, limit)
        if nl < 0:
            return None
        line = raw[pos:nl]
        if line.endswith(b"\r"):
            line = line[:-1]
        if not line:
            return nl + 1, headers
        if b"\r" in line or not _PART_HEADER_LINE.match(line):
            return None
        if line[:1] in (b" ", b"\t"):
            if not headers:
                return None
            headers[-1] += line
        else:
            headers.append(line)
        pos = nl + 1
        if len(headers) > 200:
            return None
    return None


def _scan_field(headers: list[bytes], name: re.Pattern[bytes]) -> tuple[bool, bytes]:
    """(unique, value) of the ``name`` header: not unique when repeated; b"" when absent."""
    found = [h[m.end() :] for h in headers if (m := name.match(h))]
    return len(found) <= 1, found[0] if found else b""


def _scan_large_parts(
    raw: bytes, start: int, end: int, boundaries: tuple[bytes, ...], depth: int
) -> list[_LargePart] | None:
    """Large leaf bodies inside the entity at ``raw[start:end]``; None on any doubt."""
    scanned = _scan_header_block(raw, start, min(end, start + _MAX_HEADER_SCAN))
    if scanned is None:
        return None
    body, headers = scanned
    ctype_unique, ctype_value = _scan_field(headers, _CT_NAME)
    cte_unique, cte_value = _scan_field(headers, _CTE_NAME)
    if not (ctype_unique and cte_unique):
        return None
    ctype_match = _SCAN_CTYPE.match(ctype_value)
    ctype = ctype_match.group(1).lower() if ctype_match else b"text/plain"
    if ctype.startswith(b"multipart/"):
        if depth >= _MAX_LARGE_SCAN_DEPTH or _RFC2231_BOUNDARY.search(ctype_value):
            return None
        found = _SCAN_BOUNDARY.search(ctype_value)
        if found is None:
            return None
        boundary = (found.group(1) or found.group(2) or b"").rstrip(b" \t")
        if not boundary:
            return None
        return _scan_multipart(raw, body, end, (*boundaries, boundary), depth)
    encoding = cte_value.strip().lower().decode("ascii", "replace")
    if (
        end - body < LARGE_PART_BYTES
        or encoding not in _LARGE_CTES
        or ctype.startswith((b"text/", b"message/", b"multipart/"))
    ):
        return []
    return [_LargePart(body, end, encoding)]


def _scan_multipart(
    raw: bytes, body: int, end: int, boundaries: tuple[bytes, ...], depth: int
) -> list[_LargePart] | None:
    boundary = boundaries[-1]
    delimiter = re.compile(rb"^--" + re.escape(boundary) + rb"(--)?[ \t]*\r?$", re.MULTILINE)
    starts: list[int] = []  # where each part's entity starts
    ends: list[int] = []  # where the EOL before each delimiter starts
    closed = False
    for m in delimiter.finditer(raw, body, end):
        eol = m.start()
        if eol > body:
            eol -= 2 if raw[eol - 2 : eol] == b"\r\n" else 1
        ends.append(eol)
        starts.append(m.end() + 1)
        if m.group(1):
            closed = True
            break
    if not closed or len(starts) < 2:
        return None  # no closing delimiter: let the stdlib and the repairs decide
    found: list[_LargePart] = []
    for part_start, part_end in zip(starts[:-1], ends[1:], strict=True):
        parts = _scan_large_parts(raw, part_start, part_end, boundaries, depth + 1)
        if parts is None:
            return None
        found.extend(parts)
    return found


def _decode_large_part(raw: bytes, part: _LargePart) -> bytes | None:
    """The transfer-decoded body, as the stdlib would decode it; None on any doubt."""
    view = memoryview(raw)[part.start : part.end]
    try:
        # No line of the body may look like a delimiter the stdlib watches for.
        if _DASH_LINE_START.search(raw, part.start, part.end):
            return None
        if part.encoding == "base64":
            if _NOT_BASE64.search(raw, part.start, part.end):
                return None
            return binascii.a2b_base64(view, strict_mode=False)
        if _BARE_CR.search(raw, part.start, part.end):
            return None
        if part.encoding == "quoted-printable":
            return binascii.a2b_qp(view)
        return bytes(view)
    except (binascii.Error, ValueError):
        return None
    finally:
        view.release()


def _cut_large_parts(raw: bytes, ctx: _Context) -> bytes | None:
    """``raw`` with large leaf bodies replaced by placeholders whose decoded content is
    registered in ``ctx.large_parts``; None when there is nothing to cut (or doubt)."""
    parts = _scan_large_parts(raw, 0, len(raw), (), 0)
    if not parts:
        return None
    token = secrets.token_hex(16)  # unguessable: no real part can decode to a marker
    chunks: list[bytes] = []
    copied = 0
    for number, part in enumerate(parts):
        content = _decode_large_part(raw, part)
        if content is None:
            continue
        marker = f"midoffice-large-part-{token}-{number}".encode()
        ctx.large_parts[marker] = content
        placeholder = (
            binascii.b2a_base64(marker, newline=False) if part.encoding == "base64" else marker
        )
        chunks.append(raw[copied : part.start])
        chunks.append(placeholder)
        copied = part.end
    if not chunks:
        return None
    chunks.append(raw[copied:])
    return b"".join(chunks)


# --------------------------------------------------------------------------------------
# Raw repairs before the stdlib sees the bytes
# --------------------------------------------------------------------------------------

_EOL = re.compile(rb"\r\n|\r|\n")
_HEADER_LINE = re.compile(rb"[\x21-\x39\x3b-\x7e]+:")
_OBS_HEADER_LINE = re.compile(rb"([\x21-\x39\x3b-\x7e]+)[ \t]+:")
_MAX_HEADER_SCAN = 4 * _MB


def _repair_header_block(raw: bytes, defects: _Defects) -> bytes:
    """Rewrite RFC 5322 obs-syntax ``Name :`` (white space before the colon) in the
    top-level header block. The stdlib does not recognise such a line as a header and
    would start the body there, losing every header after it."""
    pos = 0
    end = min(len(raw), _MAX_HEADER_SCAN)
    chunks: list[bytes] = []
    copied = 0
    first = True
    while pos < end:
        m = _EOL.search(raw, pos)
        line_end = m.start() if m else len(raw)
        next_pos = m.end() if m else len(raw)
        line = raw[pos:line_end]
        if not line:
            break
        if line[:1] in (b" ", b"\t"):
            pass
        elif first and line.startswith(b"From ") and not _OBS_HEADER_LINE.match(line):
            pass  # an mbox "From " separator line
        elif _HEADER_LINE.match(line):
            pass
        else:
            obs = _OBS_HEADER_LINE.match(line)
            if obs is None:
                break
            chunks.append(raw[copied:pos])
            chunks.append(obs.group(1) + b":")
            copied = pos + obs.end()
            defects.add("white space before a header colon (obsolete syntax) repaired")
        first = False
        pos = next_pos
    if not chunks:
        return raw
    chunks.append(raw[copied:])
    return b"".join(chunks)


_STRUCTURE_TOKEN = re.compile(
    rb'^--([^\r\n]*)|(boundary)[ \t]*=[ \t]*(?:"([^"\r\n]{1,200})"|([^;\s"]{1,200}))',
    re.MULTILINE | re.IGNORECASE,
)


_BOUNDARY_WORD = re.compile(rb"boundary", re.IGNORECASE)


def _limit_multipart_depth(raw: bytes, defects: _Defects) -> bytes:
    """Disable the boundaries of multiparts nested deeper than the limit, so that the
    stdlib keeps them as text parts.

    The stdlib checks every line against the boundary of every enclosing multipart and
    recurses per level, so a hostile "MIME bomb" (hundreds of nested multiparts in
    front of megabytes of lines) costs depth × lines and can exhaust the stack. One
    linear scan follows declarations and delimiter lines to estimate the depth."""
    # Nesting needs a declared boundary per level: with no more declarations than the
    # limit, no multipart can be too deep (the common case; a quick literal scan).
    declarations_seen = _BOUNDARY_WORD.finditer(raw)
    if next(itertools.islice(declarations_seen, _MAX_MULTIPART_DEPTH, None), None) is None:
        return raw
    pending: set[bytes] = set()
    stack: list[bytes] = []
    on_stack: set[bytes] = set()  # same boundary declared twice: the stack holds it once
    too_deep: set[bytes] = set()
    declarations: list[tuple[int, int, bytes]] = []
    for m in _STRUCTURE_TOKEN.finditer(raw):
        if m.group(2) is not None:
            boundary = (m.group(3) or m.group(4) or b"").rstrip()
            if boundary:
                pending.add(boundary)
                declarations.append((m.start(2), m.end(2), boundary))
            continue
        line = m.group(1).rstrip(b" \t\r")
        closing = line.endswith(b"--") and (line[:-2] in pending or line[:-2] in on_stack)
        token = line[:-2] if closing else line
        if token in on_stack:
            while stack and stack[-1] != token:
                on_stack.discard(stack.pop())
            if closing and stack:
                on_stack.discard(stack.pop())
        elif token in pending and not closing:
            pending.discard(token)
            stack.append(token)
            on_stack.add(token)
            if len(stack) > _MAX_MULTIPART_DEPTH:
                too_deep.add(token)
    if not too_deep:
        return raw
    defects.add(
        f"multipart nesting deeper than {_MAX_MULTIPART_DEPTH} levels: inner parts kept as text"
    )
    chunks: list[bytes] = []
    copied = 0
    for start, end, boundary in declarations:
        if boundary in too_deep:
            chunks.append(raw[copied:start])
            chunks.append(b"x-disabled-boundary")
            copied = end
    chunks.append(raw[copied:])
    return b"".join(chunks)


_DASH_LINE = re.compile(rb"^--([^\r\n]+)", re.MULTILINE)
_BLANKS = re.compile(rb"[ \t]+")


def _repair_boundary_junk(raw: bytes, msg: Message, defects: _Defects) -> bytes:
    """Accept ``--boundary junk`` as a delimiter line, as RFC 2046 §5.1.1 asks ("it is
    sufficient that the boundary appear in its entirety following the CRLF"); the stdlib
    only accepts trailing white space. One pass over the lines that start with ``--``."""
    boundaries: set[bytes] = set()
    try:
        for part in msg.walk():
            if part.get_content_maintype() != "multipart":
                continue
            boundary = part.get_boundary()
            if boundary:
                boundaries.add(str(boundary).encode("utf-8", "surrogateescape"))
    except _RECOVERABLE:
        return raw
    if not boundaries:
        return raw
    longest = max(len(b) for b in boundaries) + 2
    chunks: list[bytes] = []
    copied = 0
    for line in _DASH_LINE.finditer(raw):
        rest = line.group(1)
        stripped = rest.rstrip(b" \t\r")
        if stripped in boundaries or (stripped[-2:] == b"--" and stripped[:-2] in boundaries):
            continue  # already a valid delimiter
        for blank in _BLANKS.finditer(rest, 0, longest + 1):
            head = rest[: blank.start()]
            closing = False
            if head not in boundaries:
                if head[-2:] != b"--" or head[:-2] not in boundaries:
                    continue
                head, closing = head[:-2], True
            junk = rest[blank.end() :].strip()
            closing = closing or junk == b"--"
            chunks.append(raw[copied : line.start()])
            chunks.append(b"--" + head + (b"--" if closing else b""))
            copied = line.end()
            break
    if not chunks:
        return raw
    chunks.append(raw[copied:])
    defects.add("text after a boundary delimiter ignored")
    return b"".join(chunks)


_DELIMITER_LINE = re.compile(rb"^--([!-~]{1,200}?)(--)?[ \t]*\r?$", re.MULTILINE)
_CONTENT_TYPE_FIELD = re.compile(
    rb"^content-type[ \t]*:([^\r\n]*(?:(?:\r\n|\r|\n)[ \t][^\r\n]*)*)", re.IGNORECASE | re.MULTILINE
)
_BOUNDARY_PARAM = re.compile(rb';?[ \t]*boundary[ \t]*=[ \t]*(?:"[^"]*"|[^;\s]*)', re.IGNORECASE)


def _repair_lost_boundary(raw: bytes, msg: Message, defects: _Defects) -> bytes:
    """A top-level multipart whose boundary is missing or wrong (so the stdlib kept the
    whole body as text) gets the boundary that its delimiter lines actually use, when
    the body shows one unambiguously (a ``--token`` line and a ``--token--`` close, or
    two ``--token`` lines)."""
    try:
        if msg.get_content_maintype() != "multipart" or msg.is_multipart():
            return raw
    except _RECOVERABLE:
        return raw
    body_start = _header_end(raw)
    counts: dict[bytes, list[int]] = {}
    for m in _DELIMITER_LINE.finditer(raw, body_start):
        token = m.group(1)
        if not token.strip(b"-"):
            continue  # a line of dashes, not a delimiter
        seen = counts.setdefault(token, [0, 0])
        seen[1 if m.group(2) else 0] += 1
    best: bytes | None = None
    best_score = 0
    for token, (opens, closes) in counts.items():
        if opens and (closes or opens >= 2) and opens + closes > best_score:
            best, best_score = token, opens + closes
    if best is None:
        return raw
    field = _CONTENT_TYPE_FIELD.search(raw, 0, body_start)
    if field is None:
        return raw
    value = _BOUNDARY_PARAM.sub(b"", re.sub(rb"(?:\r\n|\r|\n)", b"", field.group(1)))
    value = value.rstrip(b"; \t") + b'; boundary="' + best + b'"'
    defects.add("missing or wrong multipart boundary recovered from the delimiter lines")
    return raw[: field.start()] + b"Content-Type:" + value + raw[field.end() :]


def _header_end(raw: bytes) -> int:
    """Offset just after the blank line that ends the top-level header block."""
    pos = 0
    end = min(len(raw), _MAX_HEADER_SCAN)
    while pos < end:
        m = _EOL.search(raw, pos)
        if m is None:
            return len(raw)
        if m.start() == pos:
            return m.end()
        pos = m.end()
    return len(raw)


# --------------------------------------------------------------------------------------
# Building the ParsedMessage
# --------------------------------------------------------------------------------------


def _build(
    msg: Message,
    *,
    raw_size: int,
    ctx: _Context,
    depth: int,
    defects: _Defects,
    body: bool,
) -> ParsedMessage:
    headers = _raw_headers(msg)
    first = _first_values(headers)

    subject = _decode_unstructured(first.get("subject", ""))
    from_pairs = _parse_address_header(first.get("from"))
    from_name, from_address = from_pairs[0] if from_pairs else (None, None)
    content_type, ctype_params = _content_type_of(msg)
    date = _parse_date(first.get("date"), defects)

    text_body = ""
    html_body: str | None = None
    plain_present = False
    html_present = False
    attachments: list[ParsedAttachment] = []
    leaf_count = 0
    unread = 0

    if body:
        _collect_defects(msg, defects)
        leaves = list(_iter_leaves(msg))
        leaf_count = len(leaves)
        for part, ctype, is_fallback_multipart in leaves:
            info = _part_info(part, ctype)
            is_attachment_disp = info.disposition == "attachment"
            if (
                not is_attachment_disp
                and not plain_present
                and (ctype == "text/plain" or is_fallback_multipart)
            ):
                plain_present = True
                text_body = _part_text(part, info, defects, "text body")
                continue
            if not is_attachment_disp and not html_present and ctype == "text/html":
                html_present = True
                html_body = _part_text(part, info, defects, "HTML body")
                continue
            if not _admit_attachment(ctx, defects):
                unread += 1
                continue
            attachments.extend(_make_attachments(part, info, ctx, depth, defects))

        if plain_present and text_body:
            text_body, uu_files = _extract_uuencoded(text_body, defects)
            for uu_name, uu_data in uu_files:
                if not _admit_attachment(ctx, defects):
                    break
                attachments.append(
                    _attachment(
                        filename=_sanitize_filename(uu_name),
                        content_type=_guess_type(uu_name),
                        content=uu_data,
                        is_inline=False,
                        content_id=None,
                        origin="uuencode",
                        ctx=ctx,
                        defects=defects,
                    )
                )
        if not plain_present and html_body:
            text_body = html_to_text(html_body)

    return ParsedMessage(
        message_id=_first_msgid(first.get("message-id")),
        in_reply_to=_first_msgid(first.get("in-reply-to")),
        references=_msgid_list(first.get("references")),
        subject=subject,
        from_address=from_address,
        from_name=from_name,
        to_addresses=_addresses_of(headers, "to"),
        cc_addresses=_addresses_of(headers, "cc"),
        reply_to=_addresses_of(headers, "reply-to"),
        date=date,
        auto_submitted=_simple_value(first.get("auto-submitted")),
        precedence=_simple_value(first.get("precedence")),
        x_auto_response_suppress=_simple_value(first.get("x-auto-response-suppress")),
        list_id=_simple_value(first.get("list-id")),
        return_path=_return_path(first.get("return-path")),
        content_type=content_type,
        content_type_params=ctype_params,
        headers=headers,
        text_body=text_body,
        html_body=html_body,
        plain_body_present=plain_present,
        html_body_present=html_present,
        attachments=attachments,
        leaf_count=leaf_count,
        unread_leaf_count=unread,
        defects=defects.result(),
        size=raw_size,
    )


def _admit_attachment(ctx: _Context, defects: _Defects) -> bool:
    if ctx.attachment_count >= ctx.limits.max_attachments:
        ctx.reject(
            "too_many_attachments",
            f"Het bericht bevat meer dan {ctx.limits.max_attachments} bijlagen.",
        )
        defects.add("attachments beyond the limit were not read")
        return False
    ctx.attachment_count += 1
    return True


def _iter_leaves(msg: Message) -> Iterator[tuple[Message, str, bool]]:
    """Yield (part, content type, is a multipart that fell back to text) for every leaf,
    in MIME order, without recursion (hostile nesting must not exhaust the stack)."""
    stack: list[tuple[Iterator[Message], int]] = []
    current: Iterator[Message] = iter([msg])
    level = 0
    while True:
        part = next(current, None)
        if part is None:
            if not stack:
                return
            current, level = stack.pop()
            continue
        ctype = _safe_ctype(part)
        subparts = _subparts(part)
        if ctype.startswith("multipart/"):
            if subparts is not None and level < _MAX_MULTIPART_DEPTH:
                stack.append((current, level))
                current = iter(subparts)
                level += 1
                continue
            yield part, ctype, True
            continue
        yield part, ctype, False


def _collect_defects(msg: Message, defects: _Defects) -> None:
    try:
        for index, part in enumerate(msg.walk()):
            where = "message" if index == 0 else f"part {index}"
            for defect in getattr(part, "defects", []):
                defects.add(f"{where}: {_defect_text(defect)}")
    except _RECOVERABLE:
        defects.add("MIME structure could not be walked completely")


def _defect_text(defect: object) -> str:
    name = type(defect).__name__
    words = re.sub(r"(?<!^)(?=[A-Z])", " ", name.removesuffix("Defect")).lower()
    return words or name


# --------------------------------------------------------------------------------------
# Headers
# --------------------------------------------------------------------------------------


def _raw_headers(msg: Message) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    try:
        items = list(msg.raw_items())
    except _RECOVERABLE:
        return out
    for name, value in items:
        clean_name = _clean_text(str(name)).strip()
        clean_value = _unfold(_clean_text(str(value)))
        out.append((clean_name, clean_value))
    return out


def _first_values(headers: list[tuple[str, str]]) -> dict[str, str]:
    first: dict[str, str] = {}
    for name, value in headers:
        first.setdefault(name.lower(), value)
    return first


_FOLD = re.compile(r"\r\n|\r|\n")


def _unfold(value: str) -> str:
    return _FOLD.sub("", value)


_SURROGATES = re.compile("[\ud800-\udfff]")


def _clean_text(value: str) -> str:
    """Turn surrogate-escaped bytes into real characters (UTF-8, else Windows-1252) and
    drop NUL characters, which databases refuse."""
    if _SURROGATES.search(value):
        try:
            data = value.encode("utf-8", "surrogateescape")
            value = _decode_guess(data)
        except UnicodeError:
            value = _SURROGATES.sub("\ufffd", value)
        # Lone surrogates that were not escapes of bytes.
        value = _SURROGATES.sub("\ufffd", value)
    if "\x00" in value:
        value = value.replace("\x00", "")
    return value


def _cp1252_fallback(error: UnicodeError) -> tuple[str, int]:
    """Codec error handler: bytes that are not UTF-8 are read as Windows-1252."""
    if not isinstance(error, UnicodeDecodeError):
        raise error
    bad = error.object[error.start : error.end]
    return bad.decode("cp1252", "replace"), error.end


_GUESS_ERRORS = "midoffice-cp1252-fallback"
codecs.register_error(_GUESS_ERRORS, _cp1252_fallback)


def _decode_guess(data: bytes) -> str:
    """Bytes of unknown charset: UTF-8 where they are valid UTF-8, Windows-1252 for the
    rest (the two charsets of nearly all undeclared 8-bit mail here)."""
    return data.decode("utf-8", _GUESS_ERRORS)


def _normalise_ws(value: str) -> str:
    return " ".join(value.split())


_ENCODED_WORD = re.compile(r"=\?([^?\s*]+)(?:\*[^?\s]*)?\?([bBqQ])\?([^?]*)\?=")


def _decode_unstructured(value: str) -> str:
    """Decode RFC 2047 encoded words in an unstructured header value and normalise
    white space."""
    if not value:
        return ""
    return _normalise_ws(_clean_text(_decode_rfc2047(value)))


def _decode_rfc2047(value: str) -> str:
    """Linear RFC 2047 decoder (the stdlib's is quadratic on long headers).

    White space between adjacent encoded words is dropped (RFC 2047 §6.2), and adjacent
    words in the same charset are decoded together so that a multi-byte character split
    over two words survives. Unknown charsets are guessed (UTF-8, else Windows-1252).
    Lenient: encoded words glued to text are decoded too."""
    if "=?" not in value:
        return value
    out: list[str] = []
    pending_charset: str | None = None
    pending: list[bytes] = []
    pos = 0

    def flush() -> None:
        nonlocal pending_charset
        if pending:
            out.append(_decode_bytes(b"".join(pending), pending_charset))
            pending.clear()
        pending_charset = None

    for m in _ENCODED_WORD.finditer(value):
        between = value[pos : m.start()]
        data = _decode_word(m.group(2), m.group(3))
        if data is None:
            continue  # not decodable: leave the text as it is
        charset = m.group(1).lower()
        if between and (not pending or between.strip()):
            flush()
            out.append(between)
        if pending and charset != pending_charset:
            flush()
        pending_charset = charset
        pending.append(data)
        pos = m.end()
    flush()
    out.append(value[pos:])
    return "".join(out)


def _decode_word(encoding: str, text: str) -> bytes | None:
    try:
        if encoding in "qQ":
            return binascii.a2b_qp(text.encode("utf-8", "surrogateescape"), header=True)
        compact = "".join(text.split())
        compact += "=" * (-len(compact) % 4)
        return binascii.a2b_base64(compact.encode("ascii", "ignore"))
    except (binascii.Error, ValueError):
        return None


def _decode_bytes(data: bytes, charset: str | None) -> str:
    codec = _codec_for(charset)
    if codec:
        try:
            return data.decode(codec)
        except (ValueError, LookupError, TypeError):
            pass
    return _decode_guess(data)


_ADDRESS_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|\([^()]*\)|<[^<>]*>|[,;:]|[^",;:(<]+|.', re.DOTALL)
_MAX_REGISTRY_MAILBOX = 2000


def _split_mailboxes(value: str) -> list[str]:
    """Split an address list into mailboxes at top-level commas; group names
    (``team: a@x, b@y;``) are dropped. Linear, respects quotes, comments and <...>."""
    chunks: list[str] = []
    current: list[str] = []
    for piece in _ADDRESS_TOKENS.findall(value):
        if piece in (",", ";"):
            chunks.append("".join(current))
            current = []
        elif piece == ":":
            current = []  # what came before was a group name
        else:
            current.append(piece)
    chunks.append("".join(current))
    return [chunk.strip() for chunk in chunks if chunk.strip()]


def _parse_address_header(value: str | None) -> list[tuple[str | None, str]]:
    """Mailboxes of one address header as (display name or None, lowercased addr-spec);
    groups are flattened, entries without an address are skipped."""
    if not value or not value.strip():
        return []
    pairs: list[tuple[str | None, str]] = []
    for chunk in _split_mailboxes(value):
        pairs.extend(_parse_mailbox(chunk))
    return pairs


_ADDR_SPEC = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?"
_BARE_MAILBOX = re.compile(rf"\s*<?\s*({_ADDR_SPEC})\s*>?\s*")
_NAMED_MAILBOX = re.compile(
    rf'\s*(?:"((?:[^"\\\r\n]|\\.)*)"|([^"<>(),;:@\\]*?))\s*<\s*({_ADDR_SPEC})\s*>\s*'
)


def _parse_mailbox(chunk: str) -> list[tuple[str | None, str]]:
    """One mailbox: plain forms by regex (fast: a To with 20,000 addresses is real),
    anything else through the stdlib's RFC 5322 parser, then its lenient fallback."""
    if len(chunk) > _MAX_REGISTRY_MAILBOX:
        return _parse_mailbox_leniently(chunk)
    # Collapsed white space keeps the regexes below free of ambiguous runs (linear).
    chunk = " ".join(chunk.split())
    bare = _BARE_MAILBOX.fullmatch(chunk)
    if bare:
        return [(None, bare.group(1).lower())]
    named = _NAMED_MAILBOX.fullmatch(chunk)
    if named:
        quoted, plain, addr = named.groups()
        name = _QUOTED_PAIR.sub(r"\1", quoted) if quoted is not None else plain
        name = _normalise_ws(_clean_text(_decode_rfc2047(name or "")))
        return [(name or None, addr.lower())]
    pairs: list[tuple[str | None, str]] = []
    try:
        header = _HEADER_REGISTRY("to", chunk)
        for address in header.addresses:
            addr = _clean_text(address.addr_spec).strip()
            if "@" in addr and not addr.startswith('"'):
                addr = "".join(addr.split())  # obs-syntax: "jdoe@machine. example"
            name = _normalise_ws(_clean_text(address.display_name or ""))
            if _plausible_address(addr):
                pairs.append((name or None, addr.lower()))
    except _RECOVERABLE:
        pairs = []
    return pairs or _parse_mailbox_leniently(chunk)


def _parse_mailbox_leniently(chunk: str) -> list[tuple[str | None, str]]:
    pairs: list[tuple[str | None, str]] = []
    try:
        for name, addr in getaddresses([chunk]):
            if "@" in addr and _plausible_address(addr.strip()):
                decoded = _decode_unstructured(name) if name else ""
                pairs.append((decoded or None, addr.strip().lower()))
    except _RECOVERABLE:
        return []
    return pairs


def _plausible_address(addr: str) -> bool:
    """An addr-spec worth keeping: not empty, not the null sender, no white space."""
    return bool(addr) and addr != "<>" and not any(ch.isspace() for ch in addr)


def _addresses_of(headers: list[tuple[str, str]], name: str) -> list[str]:
    out: list[str] = []
    for key, value in headers:
        if key.lower() == name:
            out.extend(addr for _, addr in _parse_address_header(value))
    return out


_MSGID = re.compile(r"<([^<>]*)>")


def _first_msgid(value: str | None) -> str | None:
    ids = _msgid_list(value)
    return ids[0] if ids else None


def _msgid_list(value: str | None) -> list[str]:
    if not value:
        return []
    found = ["".join(m.group(1).split()) for m in _MSGID.finditer(value)]
    found = [f for f in found if f]
    if found:
        return found
    return [token.strip("<>") for token in value.split() if token.strip("<>")]


def _simple_value(value: str | None) -> str | None:
    if value is None:
        return None
    cleaned = _normalise_ws(value)
    return cleaned or None


def _return_path(value: str | None) -> str | None:
    if value is None:
        return None
    cleaned = value.strip()
    if cleaned in ("<>", ""):
        return "" if cleaned == "<>" else None
    pairs = _parse_address_header(cleaned)
    if pairs:
        return pairs[0][1]
    return cleaned.strip("<>").strip().lower() or None


def _parse_date(value: str | None, defects: _Defects) -> datetime | None:
    if not value or not value.strip():
        return None
    try:
        parsed = parsedate_to_datetime(value.strip())
    except _RECOVERABLE:
        defects.add("unreadable Date header ignored")
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def _content_type_of(msg: Message) -> tuple[str, dict[str, str]]:
    return _safe_ctype(msg), _header_params(msg, "content-type")


def _safe_ctype(part: Message) -> str:
    try:
        ctype = part.get_content_type()
    except _RECOVERABLE:
        return "text/plain"
    return _clean_text(str(ctype)).lower()


def _part_header(part: Message, name: str) -> str | None:
    wanted = name.lower()
    try:
        for key, value in part.raw_items():
            if str(key).lower() == wanted:
                return _unfold(_clean_text(str(value)))
    except _RECOVERABLE:
        return None
    return None


def _disposition(part: Message) -> str | None:
    raw = _part_header(part, "content-disposition")
    if raw is None:
        return None
    token = raw.split(";", 1)[0].strip().lower()
    return token or None


_PARAM_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|;|[^";]+|"')
_QUOTED_PAIR = re.compile(r"\\(.)")
_MAX_PARAM_HEADER = 16 * 1024


def _simple_params(value: str) -> dict[str, str] | None:
    """Split ``type; a=b; c="d;e"`` into parameters (linear, quotes respected).

    Returns None when RFC 2231 syntax (``name*=``) is present: that needs the full
    parser. Later duplicates do not override earlier ones."""
    segments: list[str] = []
    current: list[str] = []
    for piece in _PARAM_TOKENS.findall(value):
        if piece == ";":
            segments.append("".join(current))
            current = []
        else:
            current.append(piece)
    segments.append("".join(current))
    params: dict[str, str] = {}
    for segment in segments[1:]:
        key, eq, raw_value = segment.partition("=")
        key = key.strip().lower()
        if not eq or not key:
            continue
        if "*" in key:
            return None
        raw_value = raw_value.strip()
        if len(raw_value) >= 2 and raw_value[0] == raw_value[-1] == '"':
            raw_value = _QUOTED_PAIR.sub(r"\1", raw_value[1:-1])
        params.setdefault(key, raw_value)
    return params


def _header_params(part: Message, header: str) -> dict[str, str]:
    """All parameters of a structured MIME header, RFC 2231 and RFC 2047 decoded."""
    raw = _part_header(part, header)
    if raw is None:
        return {}
    raw = raw[:_MAX_PARAM_HEADER]
    params = _simple_params(raw)
    if params is None:
        try:
            parsed = _HEADER_REGISTRY(header, raw)
            params = {str(k).lower(): str(v) for k, v in parsed.params.items()}
        except _RECOVERABLE:
            params = None
    if params is None:
        params = {}
        try:
            for key, value in (part.get_params(header=header) or [])[1:]:
                params.setdefault(str(key).lower(), collapse_rfc2231_value(value))
        except _RECOVERABLE:
            params = {}
    decoded: dict[str, str] = {}
    for key, value in params.items():
        value = _clean_text(value)
        if "=?" in value:
            value = _clean_text(_decode_rfc2047(value))
        decoded[key] = value
    return decoded


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


# Labels that are no charset at all, or that Python does not know.
_CHARSET_ALIASES: dict[str, str | None] = {
    "x-unknown": None,
    "unknown": None,
    "unknown-8bit": None,
    "x-user-defined": "cp1252",
    "iso-8859-8-i": "iso8859-8",
    "iso-8859-6-i": "iso8859-6",
    "iso-8859-6-e": "iso8859-6",
    "x-sjis": "cp932",
}
# Read a charset as the superset that mail clients actually write (as browsers do,
# WHATWG Encoding): "ISO-8859-1" mail is full of Windows-1252 quotes and euro signs.
_CHARSET_SUPERSETS = {
    "iso8859-1": "cp1252",
    "iso8859-9": "cp1254",
    "tis-620": "cp874",
    "iso8859-11": "cp874",
    "euc_kr": "cp949",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "shift_jis": "cp932",
}
# Codecs that are not text charsets for mail, or are slow on hostile input.
_REFUSED_CODECS = frozenset({"punycode", "idna", "raw-unicode-escape", "unicode-escape"})


def _codec_for(charset: str | None) -> str | None:
    """The Python codec for a MIME charset label, or None when it is unknown or unsafe."""
    if not charset:
        return None
    name = str(charset).strip().strip("\"'").lower()
    if name in _CHARSET_ALIASES:
        return _CHARSET_ALIASES[name]
    for candidate in (
        name,
        name.removeprefix("x-"),
        name.replace("windows-", "cp"),
        name.replace("cp-", "cp"),
    ):
        try:
            info = codecs.lookup(candidate)
        except (LookupError, ValueError, TypeError):
            continue
        if info.name in _REFUSED_CODECS or not getattr(info, "_is_text_encoding", True):
            return None
        return _CHARSET_SUPERSETS.get(info.name, info.name)
    return None


def _decode_body(data: bytes, charset: str | None, defects: _Defects, what: str) -> str:
    codec = _codec_for(charset)
    text: str | None = None
    if codec:
        try:
            text = data.decode(codec)
        except (ValueError, LookupError, TypeError):  # UnicodeDecodeError is a ValueError
            defects.add(f"{what}: bytes do not match the declared charset: guessed")
    elif charset:
        defects.add(f"{what}: unknown charset: guessed")
    if text is None:
        text = _decode_guess(data)
    if "\x00" in text:
        text = text.replace("\x00", "")
        defects.add(f"{what}: NUL characters removed")
    return _SURROGATES.sub("\ufffd", text.removeprefix("\ufeff"))


# --------------------------------------------------------------------------------------
# Attachments
# --------------------------------------------------------------------------------------

_TNEF_SIGNATURE = b"\x78\x9f\x3e\x22"
_OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _make_attachments(
    part: Message,
    info: _PartInfo,
    ctx: _Context,
    depth: int,
    defects: _Defects,
) -> list[ParsedAttachment]:
    """The attachment for one leaf, followed by the files derived from it (TNEF)."""
    ctype = info.ctype
    filename = _sanitize_filename(info.filename)
    content = _leaf_bytes(part, defects)
    if ctx.large_parts and len(content) < 100:
        content = ctx.large_parts.pop(content, content)
    nested: ParsedMessage | None = None
    derived: list[ParsedAttachment] = []
    lower_name = (filename or "").lower()

    if ctype in ("message/rfc822", "message/global"):
        nested = _nested_message(part, content, ctx, depth, defects)
    elif (
        lower_name.endswith(".msg") or ctype == "application/vnd.ms-outlook"
    ) and content.startswith(_OLE_SIGNATURE):
        nested = _outlook_message(content, ctx, depth, defects)
    if (
        ctype == "application/ms-tnef"
        or lower_name == "winmail.dat"
        or content.startswith(_TNEF_SIGNATURE)
    ):
        derived = _tnef_files(content, ctx, defects)
    if ctype in _ZIP_TYPES or lower_name.endswith(".zip") or content.startswith(b"PK\x03\x04"):
        _check_zip(content, filename, ctx, defects)

    main = _attachment(
        filename=filename,
        content_type=ctype,
        content=content,
        # Inline: said so, or an undisposed part that HTML can reference by Content-ID.
        is_inline=info.disposition == "inline"
        or (info.disposition is None and info.content_id is not None),
        content_id=info.content_id,
        origin="mime",
        ctx=ctx,
        defects=defects,
        nested=nested,
        charset=info.charset if ctype.startswith("text/") else None,
        original_filename=info.filename,
    )
    return [main, *derived]


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
) -> ParsedAttachment:
    reason = _danger(filename, content_type, content)
    if reason:
        ctx.dangerous.append(f"{filename or 'unnamed attachment'}: {reason}")
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
        dangerous_reason=reason,
        original_filename=original_filename if original_filename is not None else filename,
    )


def _nested_message(
    part: Message, content: bytes, ctx: _Context, depth: int, defects: _Defects
) -> ParsedMessage | None:
    """Parse an attached message. The stdlib has already parsed it as part of the outer
    message; that tree is reused unless it shows defects that a fresh parse of its bytes
    (with our repairs) might fix."""
    if depth + 1 > ctx.limits.max_depth:
        ctx.reject(
            "too_deeply_nested",
            "Het bericht bevat te diep geneste doorgestuurde berichten "
            f"(meer dan {ctx.limits.max_depth} niveaus).",
        )
        defects.add("attached message nested beyond the depth limit: not parsed")
        return None
    try:
        subs = _subparts(part)
        reusable = _transfer_encoding(part) not in ("base64", "quoted-printable")
        inner = subs[0] if subs is not None and len(subs) == 1 else None
        if (
            reusable
            and isinstance(inner, Message)
            and not any(getattr(p, "defects", None) for p in inner.walk())
        ):
            return _build(
                inner,
                raw_size=len(content),
                ctx=ctx,
                depth=depth + 1,
                defects=_Defects(),
                body=True,
            )
        return _parse_bytes(content, ctx, depth + 1)
    except Exception as exc:  # noqa: BLE001 - one broken attached message must not lose the outer one
        defects.add(f"attached message could not be parsed ({type(exc).__name__})")
        return None


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


# ---- dangerous types ------------------------------------------------------------------

_DANGEROUS_EXTENSIONS = {
    ".exe": "executable program",
    ".bat": "batch script",
    ".cmd": "batch script",
    ".com": "executable program",
    ".scr": "screen saver program",
    ".pif": "executable program",
    ".js": "JavaScript script",
    ".jse": "encoded JavaScript script",
    ".vbs": "VBScript script",
    ".vbe": "encoded VBScript script",
    ".wsf": "Windows Script file",
    ".hta": "HTML application",
    ".ps1": "PowerShell script",
    ".msi": "Windows installer",
    ".jar": "Java archive",
    ".cpl": "control panel program",
    ".lnk": "Windows shortcut",
    ".docm": "macro-enabled Word document",
    ".dotm": "macro-enabled Word template",
    ".xlsm": "macro-enabled Excel workbook",
    ".xltm": "macro-enabled Excel template",
    ".xlam": "Excel add-in with macros",
    ".pptm": "macro-enabled PowerPoint presentation",
}
_DANGEROUS_TYPES = {
    "application/x-msdownload": "executable program",
    "application/x-msdos-program": "executable program",
    "application/x-ms-installer": "Windows installer",
    "application/x-msi": "Windows installer",
    "application/java-archive": "Java archive",
    "application/x-sh": "shell script",
    "application/vnd.ms-word.document.macroenabled.12": "macro-enabled Word document",
    "application/vnd.ms-excel.sheet.macroenabled.12": "macro-enabled Excel workbook",
}


def _dangerous_extension(name: str | None) -> str | None:
    if not name:
        return None
    # Windows ignores trailing dots and spaces: "factuur.exe. " runs as an .exe.
    trimmed = name.rstrip(". ").lower()
    dot = trimmed.rfind(".")
    if dot < 0:
        return None
    ext = trimmed[dot:]
    description = _DANGEROUS_EXTENSIONS.get(ext)
    return f"{description} ({ext})" if description else None


def _danger(name: str | None, content_type: str, content: bytes) -> str | None:
    by_name = _dangerous_extension(name)
    if by_name:
        return by_name
    by_type = _DANGEROUS_TYPES.get(content_type)
    if by_type:
        return f"{by_type} ({content_type})"
    if _looks_like_pe(content):
        return "Windows executable content"
    return None


def _looks_like_pe(content: bytes) -> bool:
    if len(content) < 64 or not content.startswith(b"MZ"):
        return False
    offset = struct.unpack_from("<I", content, 0x3C)[0]
    return content[offset : offset + 4] == b"PE\x00\x00"


# ---- zip archives ---------------------------------------------------------------------

_ZIP_TYPES = frozenset({"application/zip", "application/x-zip-compressed", "application/x-zip"})
_MAX_ZIP_ENTRIES_LISTED = 5


def _check_zip(content: bytes, filename: str | None, ctx: _Context, defects: _Defects) -> None:
    """Zip bomb and dangerous-member check on the central directory only."""
    label = filename or "zip-bijlage"
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            infos = archive.infolist()
    except _ZIP_ERRORS:
        defects.add("zip attachment could not be read")
        return
    total = sum(max(0, info.file_size) for info in infos)
    compressed = max(1, len(content))
    ratio = total / compressed
    limits = ctx.limits
    if total > limits.max_zip_uncompressed_bytes or (
        total >= limits.zip_ratio_min_bytes and ratio > limits.max_zip_ratio
    ):
        ctx.reject(
            "zip_bomb",
            f"De bijlage '{label}' pakt uit tot een verdacht grote hoeveelheid gegevens "
            "(mogelijke zipbom).",
        )
        defects.add("zip attachment exceeds the decompression limits")
    listed = 0
    for info in infos:
        reason = _dangerous_extension(info.filename)
        if reason and listed < _MAX_ZIP_ENTRIES_LISTED:
            member = _sanitize_filename(info.filename) or "?"
            ctx.dangerous.append(f"{filename or 'zip attachment'}: contains {member}: {reason}")
            listed += 1


# ---- TNEF (winmail.dat) -----------------------------------------------------------------


_TNEF_MAX_RECORDS = 20_000
_TNEF_KEEP_MESSAGE_RECORDS = frozenset({0x9006, 0x9007})  # attTnefVersion, attOemCodepage
_TNEF_ATTACHMENT_START = 0x9002  # attAttachRendData opens each attachment
_TNEF_ATTACHMENT_MAPI = 0x9005  # attAttachment: the attachment's MAPI properties
# Per attachment only rendering, title, data and MAPI properties are needed; dates and
# the preview metafile are left out (an invalid date makes tnefparse raise).
_TNEF_KEEP_ATTACHMENT_RECORDS = frozenset({0x9002, 0x8010, 0x800F, 0x9005})
# A harmless record at the end of each stream: tnefparse skips a final record of 12 bytes.
_TNEF_PADDING = struct.pack("<BHHI", 1, 0, 0, 2) + b"\x00\x00" + struct.pack("<H", 0)
_MAPI_FIXED_SIZES = {0x0002: 2, 0x000B: 2, 0x0003: 4, 0x0004: 4, 0x000A: 4, 0x0005: 8}
_MAPI_FIXED_SIZES |= {0x0006: 8, 0x0007: 8, 0x0014: 8, 0x0040: 8, 0x0048: 16}
_MAPI_VARIABLE = frozenset({0x001E, 0x001F, 0x000D, 0x0102, 0x0000})
_MAPI_ATTACH_DATA_OBJ = 0x3701
_TNEF_EMBEDDED_MESSAGE = b"\x07\x03\x02\x00\x00\x00\x00\x00\xc0\x00\x00\x00\x00\x00\x00\x46"


def _tnef_streams(content: bytes, defects: _Defects) -> list[bytes] | None:
    """Split a TNEF stream into one small, checked stream per attachment.

    tnefparse copies the rest of the stream for every record (quadratic on many small
    records) and trusts the counts inside MAPI property blocks (a four-byte count of
    4 billion makes it loop for hours). So the records are walked here first, without
    copying: only the code page and each attachment's records are kept, a MAPI block
    whose counts do not fit its size (or that embeds a whole message) is dropped, and
    each attachment becomes its own short stream. None when this is not TNEF."""
    n = len(content)
    if n < 6 or not content.startswith(_TNEF_SIGNATURE):
        return None
    prologue: list[bytes] = []
    groups: list[list[bytes]] = []
    offset = 6
    records = 0
    while offset + 12 < n:  # the loop condition of tnefparse itself
        records += 1
        if records > _TNEF_MAX_RECORDS:
            defects.add("winmail.dat has too many records: kept as is")
            return None
        level = content[offset]
        (name,) = struct.unpack_from("<H", content, offset + 1)
        (declared,) = struct.unpack_from("<I", content, offset + 5)
        length = min(n - offset, declared + 11)
        record = content[offset : offset + length]
        offset += length
        if level == 1 and name in _TNEF_KEEP_MESSAGE_RECORDS:
            prologue.append(record)
        elif level == 2 and name in _TNEF_KEEP_ATTACHMENT_RECORDS:
            if name == _TNEF_ATTACHMENT_START:
                groups.append([])
            if not groups:
                continue
            if name == _TNEF_ATTACHMENT_MAPI and not _mapi_block_is_sane(record[9:-2]):
                defects.add("winmail.dat: unreadable attachment properties skipped")
                continue
            groups[-1].append(record)
    head = content[:6] + b"".join(prologue)
    return [head + b"".join(group) + _TNEF_PADDING for group in groups]


def _mapi_block_is_sane(block: bytes) -> bool:
    """Whether tnefparse can decode this MAPI property block in time linear in its size
    (it follows the same layout as tnefparse's ``decode_mapi``)."""
    n = len(block)
    if n < 4:
        return True
    (count,) = struct.unpack_from("<I", block, 0)
    if count > n // 4:
        return False
    offset = 4
    try:
        for _ in range(count):
            kind, name = struct.unpack_from("<HH", block, offset)
            offset += 4
            if name >= 0x8000:  # named property: GUID, then an id or a name
                (name_kind,) = struct.unpack_from("<I", block, offset + 16)
                offset += 20
                if name_kind == 0:
                    offset += 4
                else:
                    (name_length,) = struct.unpack_from("<I", block, offset)
                    offset += 4 + name_length + (-name_length % 4)
            multi = bool(kind & 0x1000)
            values = 0
            if multi:
                kind ^= 0x1000
                (values,) = struct.unpack_from("<I", block, offset)
                offset += 4
            rounds = values or 1  # tnefparse: range(num_mv_properties or 1)
            if kind in _MAPI_FIXED_SIZES:
                size = _MAPI_FIXED_SIZES[kind]
                if rounds * size > n - offset:
                    return False  # tnefparse would spin on empty slices
                offset += rounds * size + (2 if rounds % 2 and size == 2 else 0)
            elif kind in _MAPI_VARIABLE:
                # Every item costs at least four bytes or ends the block with an error,
                # so these loops are bounded by the size of the block.
                for _ in range(rounds):
                    entries = 1
                    if not (multi and values):  # tnefparse reads a count unless multi
                        (entries,) = struct.unpack_from("<I", block, offset)
                        offset += 4
                    for _ in range(entries):
                        if name == _MAPI_ATTACH_DATA_OBJ and kind == 0x000D:
                            embedded = block[offset + 4 : offset + 20]
                            if embedded == _TNEF_EMBEDDED_MESSAGE:
                                return False  # it would be parsed as TNEF, unchecked
                        (item_length,) = struct.unpack_from("<I", block, offset)
                        offset += 4 + item_length + (-item_length % 4)
            else:
                return True  # tnefparse stops at an unknown type: nothing more is read
            if offset > n:
                return True  # tnefparse stops at the end of the data
    except struct.error:
        return True  # tnefparse stops there as well
    return True


def _tnef_files(content: bytes, ctx: _Context, defects: _Defects) -> list[ParsedAttachment]:
    """Files inside a TNEF winmail.dat (the winmail.dat itself is kept by the caller)."""
    streams = _tnef_streams(content, defects)
    if not streams:
        return []
    try:
        from tnefparse import TNEF  # local import: only needed for Outlook's winmail.dat
    except ImportError:
        defects.add("TNEF support is not installed: winmail.dat kept as is")
        return []
    found: list[tuple[str | None, bytes]] = []
    for stream in streams:
        try:
            tnef = TNEF(stream, do_checksum=False)
            for item in tnef.attachments:
                data = item.data if isinstance(item.data, bytes) else b""
                long_name = item.long_filename()
                name: str | None = long_name if isinstance(long_name, str) else None
                if isinstance(long_name, bytes):
                    name = _decode_guess(long_name)
                found.append((name.strip("\x00") if name else None, data))
        except Exception as exc:  # noqa: BLE001 - third-party parser on hostile bytes
            defects.add(f"winmail.dat attachment could not be read ({type(exc).__name__})")
    out: list[ParsedAttachment] = []
    for name, data in found:
        if not _admit_attachment(ctx, defects):
            break
        clean = _sanitize_filename(name)
        out.append(
            _attachment(
                filename=clean,
                content_type=_guess_type(clean),
                content=data,
                is_inline=False,
                content_id=None,
                origin="tnef",
                ctx=ctx,
                defects=defects,
            )
        )
    if out:
        defects.add(f"{len(out)} file(s) extracted from winmail.dat")
    return out


# ---- Outlook .msg -----------------------------------------------------------------------


def _outlook_message(
    content: bytes, ctx: _Context, depth: int, defects: _Defects
) -> ParsedMessage | None:
    """A ParsedMessage from an attached Outlook .msg (subject, people, bodies, files)."""
    if depth + 1 > ctx.limits.max_depth:
        ctx.reject(
            "too_deeply_nested",
            "Het bericht bevat te diep geneste doorgestuurde berichten "
            f"(meer dan {ctx.limits.max_depth} niveaus).",
        )
        defects.add("attached Outlook message nested beyond the depth limit: not parsed")
        return None
    try:
        import extract_msg
    except ImportError:
        defects.add("Outlook .msg support is not installed: kept as is")
        return None
    msg_defects = _Defects()
    try:
        outlook = extract_msg.openMsg(content, strict=False, delayAttachments=True)
    except Exception as exc:  # noqa: BLE001 - third-party parser on hostile bytes
        defects.add(f"Outlook .msg could not be read ({type(exc).__name__})")
        return None
    try:
        subject = _normalise_ws(_clean_text(_str_or_empty(_safe_attr(outlook, "subject"))))
        sender = _parse_address_header(_str_or_none(_safe_attr(outlook, "sender")))
        body = _clean_text(_str_or_empty(_safe_attr(outlook, "body")))
        html_raw = _safe_attr(outlook, "htmlBody")
        html: str | None = None
        if isinstance(html_raw, bytes) and html_raw:
            html = _clean_text(_decode_guess(html_raw))
        date_value = _safe_attr(outlook, "date")
        date = date_value if isinstance(date_value, datetime) else None
        if date is not None and date.tzinfo is None:
            date = date.replace(tzinfo=UTC)
        attachments: list[ParsedAttachment] = []
        outlook_attachments = _safe_attr(outlook, "attachments")
        if not isinstance(outlook_attachments, list | tuple):
            outlook_attachments = []
        for att in outlook_attachments:
            data = _safe_attr(att, "data")
            if not isinstance(data, bytes):
                msg_defects.add("embedded item in .msg not extracted")
                continue
            if not _admit_attachment(ctx, msg_defects):
                break
            name = _sanitize_filename(
                _str_or_none(_safe_attr(att, "longFilename"))
                or _str_or_none(_safe_attr(att, "shortFilename"))
            )
            attachments.append(
                _attachment(
                    filename=name,
                    content_type=_str_or_none(_safe_attr(att, "mimetype")) or _guess_type(name),
                    content=data,
                    is_inline=False,
                    content_id=None,
                    origin="msg",
                    ctx=ctx,
                    defects=msg_defects,
                )
            )
        message_id = _first_msgid(_str_or_none(_safe_attr(outlook, "messageId")))
        parsed = ParsedMessage(
            message_id=message_id,
            in_reply_to=_first_msgid(_str_or_none(_safe_attr(outlook, "inReplyTo"))),
            references=[],
            subject=subject,
            from_address=sender[0][1] if sender else None,
            from_name=sender[0][0] if sender else None,
            to_addresses=[
                a for _, a in _parse_address_header(_str_or_none(_safe_attr(outlook, "to")))
            ],
            cc_addresses=[
                a for _, a in _parse_address_header(_str_or_none(_safe_attr(outlook, "cc")))
            ],
            reply_to=[],
            date=date,
            auto_submitted=None,
            precedence=None,
            x_auto_response_suppress=None,
            list_id=None,
            return_path=None,
            content_type="application/vnd.ms-outlook",
            content_type_params={},
            headers=[],
            text_body=body if body else (html_to_text(html) if html else ""),
            html_body=html,
            plain_body_present=bool(body),
            html_body_present=html is not None,
            attachments=attachments,
            leaf_count=0,
            unread_leaf_count=0,
            defects=msg_defects.result(),
            size=len(content),
        )
    except Exception as exc:  # noqa: BLE001 - third-party parser on hostile bytes
        defects.add(f"Outlook .msg could not be read completely ({type(exc).__name__})")
        parsed = None
    finally:
        try:
            outlook.close()
        except Exception:  # noqa: BLE001 - third-party parser on hostile bytes
            defects.add("Outlook .msg could not be closed cleanly")
    return parsed


def _safe_attr(obj: object, name: str) -> object:
    try:
        return getattr(obj, name)
    except Exception:  # noqa: BLE001 - third-party properties may raise anything
        return None


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _str_or_empty(value: object) -> str:
    return value if isinstance(value, str) else ""


# ---- uuencode -----------------------------------------------------------------------------

_UU_BEGIN = re.compile(r"^begin [0-7]{3,4}(?:[ \t]([^\r\n]*))?\r?$", re.MULTILINE)
_UU_MAX_LINE = 100


def _extract_uuencoded(text: str, defects: _Defects) -> tuple[str, list[tuple[str | None, bytes]]]:
    """Cut ``begin 644 name`` ... ``end`` blocks out of a plain-text body and decode them."""
    if "begin " not in text:
        return text, []
    files: list[tuple[str | None, bytes]] = []
    kept: list[str] = []
    pos = 0
    search_from = 0
    while True:
        m = _UU_BEGIN.search(text, search_from)
        if m is None:
            break
        decoded = _decode_uu_block(text, m.end())
        if decoded is None:
            search_from = m.end()
            continue
        data, block_end = decoded
        name = (m.group(1) or "").strip() or None
        files.append((name, data))
        kept.append(text[pos : m.start()])
        pos = block_end
        search_from = block_end
    if not files:
        return text, []
    kept.append(text[pos:])
    defects.add(f"{len(files)} uuencoded file(s) extracted from the text body")
    return "".join(kept), files


def _decode_uu_block(text: str, start: int) -> tuple[bytes, int] | None:
    """Decode the lines after a begin line; None when it is not a complete uu block."""
    chunks: list[bytes] = []
    pos = start
    n = len(text)
    if pos < n and text[pos] == "\r":
        pos += 1
    if pos < n and text[pos] == "\n":
        pos += 1
    while pos < n:
        eol = text.find("\n", pos)
        line_end = n if eol < 0 else eol
        line = text[pos:line_end].rstrip("\r")
        next_pos = n if eol < 0 else eol + 1
        stripped = line.rstrip()
        if stripped == "end":
            return b"".join(chunks), next_pos
        if len(stripped) > _UU_MAX_LINE:
            return None
        if stripped in ("", "`"):
            pos = next_pos
            continue
        try:
            raw = stripped.encode("ascii")
        except UnicodeEncodeError:
            return None
        try:
            chunks.append(binascii.a2b_uu(raw))
        except binascii.Error:
            # Some encoders pad lines differently; decode the length the line announces.
            length = (((raw[0] - 32) & 63) * 4 + 5) // 3
            try:
                chunks.append(binascii.a2b_uu(raw[:length]))
            except binascii.Error:
                return None
        pos = next_pos
    return None


# --------------------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------------------

_BLOCK_TAGS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "center",
        "dd",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "tbody",
        "tfoot",
        "thead",
        "tr",
        "ul",
    ]
)
_SKIP_TAGS = frozenset({"script", "style", "title", "template", "head"})
_CELL_TAGS = frozenset({"td", "th"})
_WS = re.compile(r"[ \t\r\n\f\v]+")
_NEWLINE = "\n"


_BREAK = "\ue000"  # private-use marker for "line break here", set by the pre-pass
_PARSER_TAGS = _SKIP_TAGS | {"pre"}
_ALT = re.compile(r"""\salt\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.IGNORECASE)


class _TextExtractor(HTMLParser):
    """Text of the pre-processed markup: HTMLParser handles entities and the raw-text
    elements (script, style…); block structure arrives as ``_BREAK`` markers."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self._skip: list[str] = []
        self._pre = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "pre":
            self._pre += 1
            self.out.append(_NEWLINE)
        elif tag in _SKIP_TAGS and tag != "head":
            self._skip.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        return  # <script/>, <pre/>: nothing to open

    def handle_endtag(self, tag: str) -> None:
        if tag == "pre":
            self._pre = max(0, self._pre - 1)
            self.out.append(_NEWLINE)
        elif tag in self._skip:
            while self._skip and self._skip.pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if self._pre:
            text = data.replace("\r\n", "\n").replace("\r", "\n")
        else:
            text = _WS.sub(" ", data.replace("\xa0", " "))
        self.out.append(text.replace(_BREAK, _NEWLINE))


_TAG_NAME = re.compile(r"</?([a-zA-Z][a-zA-Z0-9:_-]*)")


def _tag_text(name: str, closing: bool, tag: str) -> str | None:
    """What a tag contributes to the text, or None when the parser must see it."""
    if name in _PARSER_TAGS:
        return None
    if name == "br" or name in _BLOCK_TAGS:
        return _BREAK + "- " if name == "li" and not closing else _BREAK
    if name in _CELL_TAGS:
        return " "
    if name == "img" and not closing:
        alt = _ALT.search(tag)
        if alt:
            text = next(g for g in alt.groups() if g is not None)
            return " " + text.replace("<", "&lt;") + " "
    return ""


def _guard_markup(html: str) -> str:
    """Linear pre-pass in front of HTMLParser.

    CPython's HTMLParser rescans the rest of the input for every unfinished construct
    (``<a<a<a…``, ``<!--<!--…``, ``</</…``), which is quadratic, and costs several
    microseconds per tag. Here every ``<`` either starts a tag that closes with ``>``
    before the next ``<``, or becomes ``&lt;``; comments, declarations and processing
    instructions are dropped; block tags become line-break markers and inline tags
    vanish, so only script/style/title/template/head/pre reach the parser. Each
    character is looked at a bounded number of times.
    """
    html = html.replace(_BREAK, "")
    out: list[str] = []
    n = len(html)
    pos = 0
    next_gt = -2  # cached position of the next ">" at or after the cursor (-1: none left)
    next_lt = -2  # cached position of the next "<" after the cursor (-1: none left)
    while pos < n:
        lt = html.find("<", pos)
        if lt < 0:
            out.append(html[pos:])
            break
        out.append(html[pos:lt])
        if html.startswith("<!--", lt):
            close = html.find("-->", lt + 4)
            if close < 0:
                break  # an unclosed comment runs to the end of the document
            pos = close + 3
            continue
        following = html[lt + 1 : lt + 2]
        if not (following.isalpha() or following in ("/", "!", "?")):
            out.append("&lt;")
            pos = lt + 1
            continue
        if next_gt != -1 and next_gt < lt:
            next_gt = html.find(">", lt)
        if next_gt < 0:
            out.append("&lt;")
            pos = lt + 1
            continue
        if next_lt != -1 and next_lt <= lt:
            next_lt = html.find("<", lt + 1)
        if 0 <= next_lt < next_gt:
            out.append("&lt;")  # "<a<b>": the first "<" does not start a tag
            pos = lt + 1
            continue
        tag = html[lt : next_gt + 1]
        pos = next_gt + 1
        name = _TAG_NAME.match(tag)
        if following in ("!", "?") or name is None:
            continue  # declarations, processing instructions, bogus "</ x>": no text
        contribution = _tag_text(name.group(1).lower(), following == "/", tag)
        if contribution is not None:
            out.append(contribution)
            continue
        if tag.count('"') % 2 or tag.count("'") % 2:
            tag = name.group(0) + ">"  # an unbalanced quote would make the parser rescan
        out.append(tag)
    return "".join(out)


_BLANK_RUN = re.compile(r"\n{3,}")


def html_to_text(html: str) -> str:
    """Readable plain text from HTML, for reading and classifying (not for display as
    HTML). Drops script/style/title, keeps line breaks for block elements and ``<br>``,
    decodes entities, collapses white space. Never raises; linear in the input size."""
    try:
        extractor = _TextExtractor()
        extractor.feed(_guard_markup(html))
        extractor.close()
        text = "".join(extractor.out)
    except _RECOVERABLE:
        text = _WS.sub(" ", re.sub(r"<[^<>]*>", " ", html))
    lines = [line.strip(" \t") for line in text.split("\n")]
    joined = "\n".join(lines)
    return _SURROGATES.sub("\ufffd", _BLANK_RUN.sub("\n\n", joined).strip()).replace("\x00", "")


_SANITIZE_TAGS = frozenset(
    [
        "a",
        "abbr",
        "b",
        "blockquote",
        "br",
        "caption",
        "center",
        "cite",
        "code",
        "col",
        "colgroup",
        "dd",
        "del",
        "div",
        "dl",
        "dt",
        "em",
        "font",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "i",
        "img",
        "ins",
        "li",
        "ol",
        "p",
        "pre",
        "q",
        "s",
        "small",
        "span",
        "strike",
        "strong",
        "sub",
        "sup",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "tt",
        "u",
        "ul",
    ]
)
_SANITIZE_ATTRIBUTES = {
    "*": {"title", "dir", "lang"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan", "align", "valign"},
    "th": {"colspan", "rowspan", "align", "valign"},
    "table": {"summary"},
    "ol": {"start"},
    "font": {"color"},
}
_SANITIZE_DROP_CONTENT = frozenset(
    {"script", "style", "title", "template", "iframe", "object", "embed", "svg", "math"}
)
_SANITIZE_SCHEMES = frozenset({"http", "https", "mailto", "tel", "cid"})


def _sanitize_attribute(tag: str, attribute: str, value: str) -> str | None:
    if tag == "img" and attribute == "src":
        # Remote images are trackers: only keep images carried in the message itself.
        return value if value.strip().lower().startswith("cid:") else None
    return value


_TAG_OPEN = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)")
_NO_NESTING = frozenset(
    [
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
        "p",
        "li",
        "dt",
        "dd",
        "tr",
        "td",
        "th",
        "option",
        "optgroup",
        "thead",
        "tbody",
        "tfoot",
        "colgroup",
        "caption",
        "rb",
        "rt",
        "rp",
    ]
)
_MAX_SANITIZE_DEPTH = 1000


def _nesting_estimate(html: str) -> int:
    """Upper estimate of element nesting (linear scan; implied-end elements ignored)."""
    depth = 0
    deepest = 0
    for m in _TAG_OPEN.finditer(html):
        if m.group(2).lower() in _NO_NESTING:
            continue
        if m.group(1):
            depth = max(0, depth - 1)
        else:
            depth += 1
            deepest = max(deepest, depth)
    return deepest


def _text_as_html(text: str) -> str:
    escaped = html_module.escape(text)
    return "<p>" + escaped.replace("\n", "<br>\n") + "</p>"


def sanitize_html(html: str) -> str:
    """HTML that is safe to show staff: a small tag subset, no scripts, styles, forms,
    frames or event handlers; links get ``rel="noopener noreferrer"``; images keep only
    ``cid:`` sources (remote and data images are dropped). Never raises; linear (markup
    nested more than 1000 deep, which the HTML tree builder handles in quadratic time,
    is shown as its escaped text instead)."""
    try:
        if _nesting_estimate(html) > _MAX_SANITIZE_DEPTH:
            return _text_as_html(html_to_text(html))
        return nh3.clean(
            html,
            tags=set(_SANITIZE_TAGS),
            clean_content_tags=set(_SANITIZE_DROP_CONTENT),
            attributes={k: set(v) for k, v in _SANITIZE_ATTRIBUTES.items()},
            attribute_filter=_sanitize_attribute,
            url_schemes=set(_SANITIZE_SCHEMES),
            link_rel="noopener noreferrer",
            strip_comments=True,
        )
    except _RECOVERABLE:
        return _text_as_html(html_to_text(html))
