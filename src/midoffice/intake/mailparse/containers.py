"""Files inside other files: zip archives (checked on their central directory, never
extracted), Outlook's TNEF ``winmail.dat``, attached Outlook ``.msg`` messages, and
uuencoded ``begin 644 name`` blocks in a plain-text body."""

from __future__ import annotations

import binascii
import io
import re
import struct
import zipfile
from datetime import UTC, datetime

from midoffice.intake.mailparse.danger import Danger, by_name, contained, ooxml_macros
from midoffice.intake.mailparse.headers import (
    _first_msgid,
    _parse_address_header,
    _readable_address,
)
from midoffice.intake.mailparse.html import html_to_text
from midoffice.intake.mailparse.model import (
    _RECOVERABLE,
    ParsedAttachment,
    ParsedMessage,
    _admit_attachment,
    _Context,
    _Defects,
)
from midoffice.intake.mailparse.parts import (
    _attachment,
    _guess_type,
    _name_unnamed,
    _sanitize_filename,
)
from midoffice.intake.mailparse.text import _clean_text, _decode_guess, _normalise_ws

_ZIP_ERRORS: tuple[type[Exception], ...] = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    NotImplementedError,
    *_RECOVERABLE,
)


_TNEF_SIGNATURE = b"\x78\x9f\x3e\x22"
_OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


# ---- zip archives ---------------------------------------------------------------------

_ZIP_TYPES = frozenset({"application/zip", "application/x-zip-compressed", "application/x-zip"})
_MAX_ZIP_ENTRIES_LISTED = 5


def _check_zip(
    content: bytes, filename: str | None, ctx: _Context, defects: _Defects
) -> Danger | None:
    """Zip bomb and dangerous-member check on the central directory only.

    Returns the verdict on the archive itself (listed in ``ctx.dangerous`` here): an
    Office package carrying macros, else one that contains the first dangerous member.
    """
    label = filename or "zip-bijlage"
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            infos = archive.infolist()
    except _ZIP_ERRORS:
        defects.add("zip attachment could not be read")
        return None
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
    macros = ooxml_macros([info.filename for info in infos], name=filename)
    if macros is not None:
        ctx.dangerous.append(f"{filename or 'zip attachment'}: {macros.reason_en}")
        return macros
    listed = 0
    first: Danger | None = None
    for info in infos:
        found = by_name(info.filename)
        if found and listed < _MAX_ZIP_ENTRIES_LISTED:
            member = _sanitize_filename(info.filename) or "?"
            ctx.dangerous.append(
                f"{filename or 'zip attachment'}: contains {member}: {found.reason_en}"
            )
            first = first or contained(found, member, container="zip")
            listed += 1
    return first


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
        sender = [
            pair
            for pair in _parse_address_header(_str_or_none(_safe_attr(outlook, "sender")))
            if _readable_address(pair[1])
        ]
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
            attachments=_name_unnamed(attachments),
            leaf_count=0,
            unread_leaf_count=0,
            defects=msg_defects.result(),
            size=len(content),
            reply_address=sender[0][1] if sender else None,
            reply_name=sender[0][0] if sender else None,
            reply_source="from" if sender else None,
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
