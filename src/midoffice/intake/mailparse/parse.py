"""The entry points and the walk over the MIME tree: raw bytes through the repairs and
the stdlib parser, then every leaf to a body or an attachment (see the package
docstring for the rule), attached messages parsed recursively."""

from __future__ import annotations

import re
from collections.abc import Iterator
from email.message import Message
from email.parser import BytesParser

from midoffice.intake.mailparse import repair as repairs
from midoffice.intake.mailparse.containers import (
    _OLE_SIGNATURE,
    _TNEF_SIGNATURE,
    _ZIP_TYPES,
    _check_zip,
    _extract_uuencoded,
    _outlook_message,
    _tnef_files,
)
from midoffice.intake.mailparse.danger import Danger, contained
from midoffice.intake.mailparse.headers import (
    _COMPAT,
    _addresses_of,
    _content_type_of,
    _decodable_headers,
    _decode_unstructured,
    _first_msgid,
    _first_readable_mailbox,
    _first_values,
    _msgid_list,
    _parse_date,
    _raw_headers,
    _reply_mailbox,
    _return_path,
    _safe_ctype,
    _simple_value,
)
from midoffice.intake.mailparse.html import html_to_text
from midoffice.intake.mailparse.model import (
    _MB,
    _RECOVERABLE,
    ParsedAttachment,
    ParsedMessage,
    ParseLimits,
    _admit_attachment,
    _Context,
    _Defects,
)
from midoffice.intake.mailparse.parts import (
    _attachment,
    _guess_type,
    _leaf_bytes,
    _name_unnamed,
    _part_info,
    _part_text,
    _PartInfo,
    _sanitize_filename,
    _subparts,
    _transfer_encoding,
)
from midoffice.intake.mailparse.repair import (
    _MAX_HEADER_SCAN,
    _MAX_MULTIPART_DEPTH,
    _cut_large_parts,
    _limit_multipart_depth,
    _repair_boundary_junk,
    _repair_header_block,
    _repair_lost_boundary,
)


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
    # Read from the module at call time: tests lower the threshold with monkeypatch.
    if depth == 0 and raw_size >= repairs.LARGE_PART_BYTES:
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
    decodable = _decodable_headers(msg, headers)

    subject = _decode_unstructured(_first_values(decodable).get("subject", ""))
    from_mailbox = _first_readable_mailbox(decodable, "from")
    from_name, from_address = from_mailbox or (None, None)
    return_path = _return_path(first.get("return-path"))
    reply_address, reply_name, reply_source = _reply_mailbox(decodable, from_mailbox, return_path)
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
        attachments = _name_unnamed(attachments)

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
        return_path=return_path,
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
        reply_address=reply_address,
        reply_name=reply_name,
        reply_source=reply_source,
    )


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
    holds: Danger | None = None
    if ctype in _ZIP_TYPES or lower_name.endswith(".zip") or content.startswith(b"PK\x03\x04"):
        holds = _check_zip(content, filename, ctx, defects)
    if nested is not None:
        holds = holds or _first_dangerous(nested.attachments, container="message")
    holds = holds or _first_dangerous(derived, container="tnef")

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
        holds=holds,
    )
    return [main, *derived]


def _first_dangerous(attachments: list[ParsedAttachment], *, container: str) -> Danger | None:
    """The verdict on a container whose files are ``attachments``: it holds the first
    dangerous one (named by the file itself, also when that is a container in turn)."""
    for attachment in attachments:
        if attachment.danger is None:
            continue
        danger, name = attachment.danger, attachment.filename or "?"
        while danger.inner is not None:
            danger, name = danger.inner, danger.inner_name
        return contained(danger, name, container=container)
    return None


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
