"""Header decoding: the raw header list, RFC 2047 encoded words, address lists, message
ids, dates and the parameters of MIME headers (RFC 2231)."""

from __future__ import annotations

import binascii
import re
from datetime import UTC, datetime
from email import policy as email_policy
from email.message import Message
from email.policy import Compat32
from email.utils import collapse_rfc2231_value, getaddresses, parsedate_to_datetime
from typing import Any

from midoffice.intake.mailparse.model import _RECOVERABLE, ReplySource, _Defects
from midoffice.intake.mailparse.text import (
    _clean_text,
    _codec_for,
    _decode_guess,
    _normalise_ws,
    _unfold,
)


class _UnfoldingCompat32(Compat32):
    """compat32, except that header values are unfolded when read: a boundary folded
    inside its quotes (``boundary="simple\r\n boundary"``) must still match."""

    def header_fetch_parse(self, name: str, value: str) -> Any:
        return super().header_fetch_parse(name, _unfold(value))


_COMPAT = _UnfoldingCompat32()
_HEADER_REGISTRY = email_policy.default.header_factory


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


def _decodable_headers(msg: Message, headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """``headers`` (from :func:`_raw_headers`) as RFC 2047 decoding must read them: with
    encoded words that hold raw 8-bit bytes repaired (:func:`_repair_encoded_words`).
    The same list when no value needed that (nearly always)."""
    try:
        items = list(msg.raw_items())
    except _RECOVERABLE:
        return headers
    if len(items) != len(headers):
        return headers
    decodable: list[tuple[str, str]] | None = None
    for index, (_, value) in enumerate(items):
        text = str(value)
        repaired = _repair_encoded_words(text)
        if repaired != text:
            decodable = decodable or list(headers)
            decodable[index] = (headers[index][0], _unfold(_clean_text(repaired)))
    return decodable or headers


def _first_values(headers: list[tuple[str, str]]) -> dict[str, str]:
    first: dict[str, str] = {}
    for name, value in headers:
        first.setdefault(name.lower(), value)
    return first


_ENCODED_WORD = re.compile(r"=\?([^?\s*]+)(?:\*[^?\s]*)?\?([bBqQ])\?([^?]*)\?=")
# A raw byte 0x80-0xFF of a header, as the stdlib reads header bytes (surrogateescape).
_RAW_BYTE = re.compile("[\udc80-\udcff]")
_Q_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")


def _repair_encoded_words(value: str) -> str:
    """``value`` (a header as read, raw bytes surrogate-escaped) with every encoded word
    that holds raw 8-bit bytes rewritten as a valid Q word carrying the same bytes.

    Senders write ``=?iso-8859-1?Q?Fr<F6>sche?=``: a raw byte 0xF6 where ``=F6`` belongs.
    Cleaning the header first would guess that byte as UTF-8 or Windows-1252 and then
    decode the word's text as Latin-1 again ("FrÃ¶sche"); like mail clients and the
    stdlib, the bytes of the word are read in the word's declared charset instead. A B
    word with raw bytes is no base64 at all: its text is taken as the literal bytes."""
    if "=?" not in value or not _RAW_BYTE.search(value):
        return value
    return _ENCODED_WORD.sub(_repaired_word, value)


def _repaired_word(word: re.Match[str]) -> str:
    text = word.group(3)
    if not _RAW_BYTE.search(text):
        return word.group(0)
    data = text.encode("utf-8", "surrogateescape")
    if word.group(2) in "qQ":
        # "=XX" escapes and "_" keep their meaning; only the raw bytes get escaped.
        encoded = "".join(chr(b) if b < 0x80 else f"={b:02X}" for b in data)
    else:
        encoded = "".join(chr(b) if b in _Q_SAFE else f"={b:02X}" for b in data)
    head = word.group(0)[: word.start(2) - word.start(0)]
    return f"{head}Q?{encoded}?="


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
    if len(pairs) == 1 and pairs[0][0] is None and "(" in chunk:
        # The old form "marc@example.org (Marc Smith)": the stdlib keeps no name.
        pairs = [(_comment_name(chunk), pairs[0][1])]
    return pairs or _parse_mailbox_leniently(chunk)


def _comment_name(chunk: str) -> str | None:
    """The display name of the old form ``marc@example.org (Marc Smith)``: the first
    non-empty comment outside quoted strings, quoted pairs unescaped, nested comments
    kept as text, RFC 2047 decoded. Linear in the (bounded) mailbox length."""
    depth = 0
    quoted = escaped = False
    current: list[str] = []
    for ch in chunk:
        if escaped:
            escaped = False
            if depth:
                current.append(ch)
        elif ch == "\\":
            escaped = True
        elif quoted:
            quoted = ch != '"'
        elif ch == '"' and not depth:
            quoted = True
        elif ch == "(":
            if depth:
                current.append(ch)
            depth += 1
        elif ch == ")" and depth:
            depth -= 1
            if depth:
                current.append(ch)
                continue
            name = _normalise_ws(_clean_text(_decode_rfc2047("".join(current))))
            if name:
                return name
            current = []
        elif depth:
            current.append(ch)
    return None


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


def _readable_address(addr: str) -> bool:
    """An addr-spec one could write to: a local part and a domain around the last "@"
    (not a web form's name in From, not ``marc@``)."""
    local, at, domain = addr.rpartition("@")
    return bool(at and local and domain) and _plausible_address(addr)


def _first_readable_mailbox(
    headers: list[tuple[str, str]], name: str
) -> tuple[str | None, str] | None:
    """(display name, address) of the first readable mailbox of the ``name`` headers,
    in header order: an unreadable first header (or mailbox) is passed over."""
    for key, value in headers:
        if key.lower() == name:
            for display_name, addr in _parse_address_header(value):
                if _readable_address(addr):
                    return display_name, addr
    return None


_REPLY_FALLBACKS: tuple[ReplySource, ...] = ("reply-to", "sender")


def _reply_mailbox(
    headers: list[tuple[str, str]],
    from_mailbox: tuple[str | None, str] | None,
    return_path: str | None,
) -> tuple[str | None, str | None, ReplySource | None]:
    """(address, display name, source) to answer: From, else Reply-To, else Sender,
    else the Return-Path (the null sender is no address)."""
    if from_mailbox is not None:
        return from_mailbox[1], from_mailbox[0], "from"
    for source in _REPLY_FALLBACKS:
        found = _first_readable_mailbox(headers, source)
        if found is not None:
            return found[1], found[0], source
    if return_path and _readable_address(return_path):
        return return_path, None, "return-path"
    return None, None, None


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
    """The first value of a part's header, cleaned, with encoded words that hold raw
    bytes repaired (its parameters, such as a file name, are RFC 2047-decoded)."""
    wanted = name.lower()
    try:
        for key, value in part.raw_items():
            if str(key).lower() == wanted:
                return _unfold(_clean_text(_repair_encoded_words(str(value))))
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
