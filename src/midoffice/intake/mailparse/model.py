"""The parser's data: the public frozen dataclasses it returns, and the context and
defect list shared while one message (and everything attached to it) is parsed."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from datetime import datetime
from email.errors import MessageError
from typing import Literal

from midoffice.intake.mailparse.danger import Danger

AttachmentOrigin = Literal["mime", "tnef", "uuencode", "msg"]
#: The header :attr:`ParsedMessage.reply_address` was taken from.
ReplySource = Literal["from", "reply-to", "sender", "return-path"]

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
    #: ``danger.reason_en``: why the file is dangerous, in English (None: it is not).
    dangerous_reason: str | None = None
    #: The name as the sender wrote it (RFC 2231/2047 decoded, NULs removed); for
    #: display and audit only, never as a path.
    original_filename: str | None = None
    #: Why the file is dangerous (:mod:`~.danger`): its own verdict, else that of a
    #: dangerous file inside it (a zip member, an attached message's attachment).
    danger: Danger | None = None


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
    #: The first readable mailbox (a plausible addr-spec) of the From headers, in order:
    #: a first From that is junk or no address is passed over. None when there is none
    #: (no From, ``From: "Name" <>``); then :attr:`reply_address` may still have one.
    from_address: str | None
    #: Its display name, or the comment of the old form ``addr (Marc Smith)``.
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
    #: The address to answer, also when From has none: the first readable mailbox of
    #: From, else of Reply-To, else of Sender, else the Return-Path (never the null
    #: sender ``<>``); None when the message names no readable address at all.
    reply_address: str | None = None
    #: The display name that came with :attr:`reply_address` (None for Return-Path).
    reply_name: str | None = None
    #: Which header :attr:`reply_address` came from; None when there is none.
    reply_source: ReplySource | None = None

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
