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

The package, by concern (only what this module exports is public):
:mod:`~.model` the dataclasses and the parse context; :mod:`~.parse` the entry points and
the walk over the MIME tree; :mod:`~.repair` byte-level repairs and the large-part fast
path; :mod:`~.headers` header decoding; :mod:`~.text` charsets; :mod:`~.parts` MIME
leaves and attachments; :mod:`~.containers` zip, TNEF, Outlook .msg and uuencode;
:mod:`~.html` HTML to text and HTML sanitising.
"""

from __future__ import annotations

from midoffice.intake.mailparse.html import html_to_text, sanitize_html
from midoffice.intake.mailparse.model import (
    AttachmentOrigin,
    ParsedAttachment,
    ParsedMessage,
    ParseLimits,
    Rejection,
    ReplySource,
)
from midoffice.intake.mailparse.parse import parse_message, parse_message_id

__all__ = [
    "AttachmentOrigin",
    "ParseLimits",
    "ParsedAttachment",
    "ParsedMessage",
    "Rejection",
    "ReplySource",
    "html_to_text",
    "parse_message",
    "parse_message_id",
    "sanitize_html",
]
