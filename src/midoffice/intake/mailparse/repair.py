"""Repairs at the byte level, around the stdlib parser: large leaf bodies cut out before
it runs (memory), obsolete header syntax, MIME nesting too deep for it, and, after a
first parse, junk after boundary delimiters and a missing or wrong boundary parameter."""

from __future__ import annotations

import binascii
import itertools
import re
import secrets
from dataclasses import dataclass
from email.message import Message

from midoffice.intake.mailparse.model import _MB, _RECOVERABLE, _Context, _Defects

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


_MAX_MULTIPART_DEPTH = 24  # legit mail nests ~2 levels per forwarded message


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
