"""Unit tests of the pure mail parser and kind classifier (no database, no Django).

Run on their own with ``pytest tests/intake/test_mailparse.py -p no:django --noconftest``
(``--noconftest`` because the shared conftest files import Django factories).
"""

from __future__ import annotations

import binascii
import hashlib
import io
import os
import struct
import time
import zipfile
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from midoffice.intake.mailkind import (
    MIDOFFICE_HEADER,
    MailKind,
    classify_kind,
    parse_delivery_status,
)
from midoffice.intake.mailparse import (
    ParsedMessage,
    ParseLimits,
    html_to_text,
    parse_message,
    sanitize_html,
)

CRLF = b"\r\n"


def raw_mail(headers: list[str], body: bytes | str = b"Hallo.\r\n") -> bytes:
    """A message from literal header lines (so tests can write broken ones)."""
    if isinstance(body, str):
        body = body.encode()
    return CRLF.join(h.encode("utf-8", "surrogateescape") for h in headers) + CRLF + CRLF + body


def mail(
    *,
    subject: str = "Vraag over mijn verbouwing",
    sender: str = "Emma Peeters <Emma.Peeters@Example.org>",
    to: str = "onthaal@leemdonk.example",
    body: str = "Beste, mogen we onze garage ombouwen tot keuken?\n",
    headers: dict[str, str] | None = None,
) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = sender
    msg["To"] = to
    msg["Message-ID"] = "<vraag-1@example.org>"
    msg["Date"] = "Mon, 02 Feb 2026 10:00:00 +0100"
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    return msg


def assert_clean_text(parsed: ParsedMessage) -> None:
    """Everything textual can be stored: encodable as UTF-8, no NUL characters."""
    for text in (parsed.subject, parsed.text_body, parsed.html_body or "", *parsed.defects):
        text.encode("utf-8")
        assert "\x00" not in text


# --------------------------------------------------------------------------------------
# Headers
# --------------------------------------------------------------------------------------


def test_basic_fields_are_decoded_and_normalised():
    raw = mail(
        headers={
            "Cc": "Jan <JAN@example.org>, piet@example.org",
            "Reply-To": "antwoord@example.org",
            "In-Reply-To": "<eerder@example.org>",
            "References": "<a@example.org> <eerder@example.org>",
            "Auto-Submitted": "no",
            "List-Id": "Nieuws <nieuws.example.org>",
        }
    ).as_bytes()

    parsed = parse_message(raw)

    assert parsed.subject == "Vraag over mijn verbouwing"
    assert parsed.from_address == "emma.peeters@example.org"
    assert parsed.from_name == "Emma Peeters"
    assert parsed.to_addresses == ["onthaal@leemdonk.example"]
    assert parsed.cc_addresses == ["jan@example.org", "piet@example.org"]
    assert parsed.reply_to == ["antwoord@example.org"]
    assert parsed.message_id == "vraag-1@example.org"
    assert parsed.in_reply_to == "eerder@example.org"
    assert parsed.references == ["a@example.org", "eerder@example.org"]
    assert parsed.date == datetime(2026, 2, 2, 9, 0, tzinfo=UTC)
    assert parsed.auto_submitted == "no"
    assert parsed.list_id == "Nieuws <nieuws.example.org>"
    assert parsed.content_type == "text/plain"
    assert parsed.plain_body_present
    assert not parsed.html_body_present
    assert "garage ombouwen" in parsed.text_body
    assert parsed.size == len(raw)
    assert parsed.rejection is None


def test_encoded_words_in_subject_and_display_name():
    raw = raw_mail(
        [
            "From: =?iso-8859-1?q?Andr=E9_De_Smet?= <andre@example.be>",
            # A UTF-8 character split over two encoded words, and white space between
            # encoded words that must disappear (RFC 2047 §6.2).
            "Subject: =?utf-8?q?Aanvraag_caf=C3?= =?utf-8?q?=A9terras?=",
            " =?UTF-8?B?4oCTIGdvZWRrZXVyaW5n?= en meer",
        ]
    )

    parsed = parse_message(raw)

    assert parsed.from_name == "André De Smet"
    assert parsed.subject == "Aanvraag caféterras– goedkeuring en meer"


def test_unknown_charset_in_encoded_word_is_guessed_not_fatal():
    raw = raw_mail(
        ["From: a@example.org", "Subject: =?x-unknown?q?Gem=C3=A9ente?= =?x-foo?b?aGk=?="]
    )

    parsed = parse_message(raw)

    assert parsed.subject == "Geméentehi"
    assert_clean_text(parsed)


def test_eight_bit_headers_without_charset_become_text():
    raw = (
        b"From: J\xf6rg M\xfcller <joerg@example.de>\r\n"
        b"Subject: Gr\xc3\xbc\xc3\x9fe \xe2\x80\x93 caf\xe9\r\n\r\nhi\r\n"
    )

    parsed = parse_message(raw)

    assert parsed.from_name == "Jörg Müller"
    # Valid UTF-8 stays UTF-8, the stray Latin-1 byte is read as Windows-1252.
    assert parsed.subject == "Grüße – café"


def test_obsolete_header_syntax_is_repaired():
    raw = raw_mail(["Subject : Spatie voor de dubbele punt", "From  : Jan <jan@example.org>"])

    parsed = parse_message(raw)

    assert parsed.subject == "Spatie voor de dubbele punt"
    assert parsed.from_address == "jan@example.org"
    assert any("obsolete syntax" in d for d in parsed.defects)


def test_address_groups_comments_and_garbage():
    raw = raw_mail(
        [
            "From: bob@example.org (Bob de Bouwer)",
            'To: Team: "Doe, John" <John@Example.org>, mary@example.org;, undisclosed:;',
            "Cc: not an address, <>",
        ]
    )

    parsed = parse_message(raw)

    assert parsed.from_address == "bob@example.org"
    assert parsed.to_addresses == ["john@example.org", "mary@example.org"]
    assert parsed.cc_addresses == []


def test_dates():
    naive = parse_message(raw_mail(["Date: Mon, 2 Feb 2026 10:00:00 -0000"]))
    broken = parse_message(raw_mail(["Date: gisteren rond de middag"]))

    assert naive.date == datetime(2026, 2, 2, 10, 0, tzinfo=UTC)
    assert broken.date is None
    assert "unreadable Date header ignored" in broken.defects


def test_null_return_path_is_kept_apart_from_missing():
    assert parse_message(raw_mail(["Return-Path: <>"])).return_path == ""
    assert parse_message(raw_mail(["Return-Path: <Bounce@Example.org>"])).return_path == (
        "bounce@example.org"
    )
    assert parse_message(raw_mail(["Subject: x"])).return_path is None


# --------------------------------------------------------------------------------------
# Degenerate input
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"Subject: alleen een kop", id="header-only"),
        pytest.param(b"Subject: nul\r\n\r\nA\x00B\x00\r\n", id="nul-bytes"),
        pytest.param(b"Subject: cr\rFrom: a@example.org\r\rtekst\rmet CR\r", id="lone-cr"),
        pytest.param(b"\xff\xfe\x00garbage\x80\x81", id="binary"),
        pytest.param(b"Content-Type: multipart/mixed\r\n\r\n--x\r\n", id="multipart-no-boundary"),
        pytest.param(
            b'Content-Type: multipart/mixed; boundary="x"\r\n\r\n--x\r\nContent-Type: text/plain;'
            b" charset=X-UNKNOWN\r\nContent-Transfer-Encoding: base64\r\n\r\n!!notbase64\r\n",
            id="unknown-charset-bad-base64-no-close",
        ),
        pytest.param(b"Subject: " + b"=?utf-8?q?a?= " * 5000, id="many-encoded-words"),
        pytest.param(b"To: " + b"a@b, " * 20000, id="many-addresses"),
    ],
)
def test_degenerate_input_never_raises(raw):
    parsed = parse_message(raw)

    assert parsed.size == len(raw)
    assert parsed.leaf_count == (
        parsed.plain_body_present
        + parsed.html_body_present
        + len(parsed.mime_attachments)
        + parsed.unread_leaf_count
    )
    assert_clean_text(parsed)


def test_nul_bytes_and_eight_bit_body_without_charset():
    parsed = parse_message(b"Subject: x\r\n\r\nCaf\xe9 A\x00B\r\n")

    assert parsed.text_body == "Café AB\r\n"
    assert "text body: NUL characters removed" in parsed.defects


def test_declared_charset_that_lies_falls_back():
    raw = raw_mail(
        ["Content-Type: text/plain; charset=us-ascii", "Subject: x"],
        "Ge\u00efnteresseerd in \u20ac 5\r\n".encode(),
    )

    parsed = parse_message(raw)

    assert parsed.text_body.startswith("Geïnteresseerd in € 5")
    assert any("declared charset" in d for d in parsed.defects)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=3000))
def test_random_bytes_never_raise(raw):
    parsed = parse_message(raw)

    assert parsed.size == len(raw)
    assert_clean_text(parsed)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                b"Content-Type: multipart/mixed; boundary=b\r\n",
                b"Content-Type: message/rfc822\r\n",
                b"Content-Transfer-Encoding: base64\r\n",
                b"Content-Disposition: attachment; filename*=utf-8''%E2%82%AC.txt\r\n",
                b"\r\n",
                b"--b\r\n",
                b"--b--\r\n",
                b"=?utf-8?q?x?=\r\n",
                b"begin 644 x.bin\r\n",
                b"end\r\n",
                b"\x00\xff\r",
                b"Subject: hoi\r\n",
            ]
        ),
        max_size=40,
    )
)
def test_random_mime_shapes_never_raise(lines):
    raw = b"".join(lines)

    parsed = parse_message(raw)

    assert parsed.leaf_count == (
        parsed.plain_body_present
        + parsed.html_body_present
        + len(parsed.mime_attachments)
        + parsed.unread_leaf_count
    )


# --------------------------------------------------------------------------------------
# Structure and attachments
# --------------------------------------------------------------------------------------


def test_bodies_and_attachments_follow_the_leaf_rule():
    msg = mail(body="Platte tekst\n")
    msg.add_alternative("<p>HTML <b>tekst</b></p>", subtype="html")
    msg.add_attachment(b"%PDF-1.4 data", maintype="application", subtype="pdf", filename="a.pdf")
    msg.add_attachment(b"tweede", maintype="text", subtype="plain", filename="notities.txt")

    parsed = parse_message(msg.as_bytes())

    assert parsed.plain_body_present
    assert parsed.html_body_present
    assert parsed.text_body == "Platte tekst\n"
    assert parsed.html_body is not None
    assert "<b>tekst</b>" in parsed.html_body
    assert [(a.filename, a.content_type) for a in parsed.attachments] == [
        ("a.pdf", "application/pdf"),
        ("notities.txt", "text/plain"),
    ]
    pdf = parsed.attachments[0]
    assert pdf.content == b"%PDF-1.4 data"
    assert pdf.size == 13
    assert pdf.sha256 == hashlib.sha256(b"%PDF-1.4 data").hexdigest()
    assert parsed.leaf_count == 4


def test_html_only_mail_gets_a_text_body():
    msg = mail()
    msg.set_content(
        "<html><body><p>Beste,</p><p>mijn adres is gewijzigd.</p></body></html>", subtype="html"
    )

    parsed = parse_message(msg.as_bytes())

    assert not parsed.plain_body_present
    assert parsed.html_body_present
    assert parsed.text_body == "Beste,\n\nmijn adres is gewijzigd."


def test_inline_image_in_related_is_an_attachment_with_content_id():
    msg = mail()
    msg.add_alternative('<p><img src="cid:logo@x"></p>', subtype="html")
    html_part = msg.get_payload()[1]
    html_part.add_related(b"\x89PNG...", maintype="image", subtype="png", cid="<logo@x>")

    parsed = parse_message(msg.as_bytes())

    assert parsed.html_body_present
    (image,) = parsed.attachments
    assert image.content_id == "logo@x"
    assert image.content_type == "image/png"
    assert image.is_inline


def test_rfc2231_and_encoded_filenames():
    raw = b"".join(
        [
            b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n',
            b"--b\r\nContent-Type: text/plain\r\n\r\nZie bijlagen.\r\n",
            b"--b\r\nContent-Type: application/pdf\r\n",
            b"Content-Disposition: attachment; filename*=utf-8''Verslag%20%C3%A9t%C3%A9.pdf\r\n",
            b"\r\nJVBERi0=\r\n",
            b"--b\r\nContent-Type: application/pdf\r\n",
            b"Content-Disposition: attachment;\r\n filename*0*=iso-8859-1''Lange%20naam%20;\r\n",
            b' filename*1*=caf%E9;\r\n filename*2=".pdf"\r\n\r\nx\r\n',
            b"--b\r\nContent-Type: application/octet-stream;\r\n",
            b' name="=?utf-8?q?Gem=C3=ABente_plan.docx?="\r\n\r\nx\r\n',
            b"--b\r\nContent-Type: image/png\r\n",
            b'Content-Disposition: attachment; filename="../../etc/evil.png"\r\n',
            b"\r\nx\r\n",
            b"--b--\r\n",
        ]
    )

    parsed = parse_message(raw)

    assert [a.filename for a in parsed.attachments] == [
        "Verslag été.pdf",
        "Lange naam café.pdf",
        "Gemëente plan.docx",
        "evil.png",
    ]
    assert parsed.attachments[3].original_filename == "../../etc/evil.png"


def test_filenames_lose_paths_control_and_bidi_characters():
    msg = mail()
    msg.add_attachment(
        b"MZ", maintype="application", subtype="octet-stream", filename="../../etc/fac\u202etxt.exe"
    )
    msg.add_attachment(b"x", maintype="text", subtype="plain", filename="a\tb\x07c.txt")

    parsed = parse_message(msg.as_bytes())

    names = [a.filename for a in parsed.attachments]
    assert names == ["factxt.exe", "abc.txt"]
    assert parsed.attachments[0].original_filename == "../../etc/fac\u202etxt.exe"


def test_uuencoded_files_in_a_plain_body_become_attachments():
    data = bytes(range(256)) * 3
    lines = [binascii.b2a_uu(data[i : i + 45]) for i in range(0, len(data), 45)]
    body = (
        b"Hierbij het plan.\r\n\r\nbegin 644 plan.bin\r\n"
        + b"".join(line.rstrip(b"\n") + b"\r\n" for line in lines)
        + b"`\r\nend\r\n\r\nGroeten\r\n"
    )

    parsed = parse_message(raw_mail(["Subject: uu"], body))

    assert len(parsed.mime_attachments) == 0
    (file,) = parsed.attachments
    assert file.origin == "uuencode"
    assert file.filename == "plan.bin"
    assert file.content == data
    assert "begin 644" not in parsed.text_body
    assert "Hierbij het plan." in parsed.text_body
    assert "Groeten" in parsed.text_body


def test_incomplete_uuencode_stays_text():
    body = b"begin 644 half.bin\r\nM86)C\r\n(geen end-regel)\r\n"

    parsed = parse_message(raw_mail(["Subject: uu"], body))

    assert parsed.attachments == []
    assert "begin 644 half.bin" in parsed.text_body


def _tnef_object(level: int, name: int, kind: int, data: bytes) -> bytes:
    return (
        struct.pack("<BHHI", level, name, kind, len(data))
        + data
        + struct.pack("<H", sum(data) & 0xFFFF)
    )


def _mapi_long_filename(name: str) -> bytes:
    """A MAPI property block with PR_ATTACH_LONG_FILENAME (0x3707, PT_UNICODE)."""
    value = name.encode("utf-16-le") + b"\x00\x00"
    value += b"\x00" * (-len(value) % 4)
    return struct.pack("<IHHII", 1, 0x001F, 0x3707, 1, len(value)) + value


def build_tnef(
    files: list[tuple[str, bytes]], *, long_names: dict[str, str] | None = None
) -> bytes:
    """A minimal TNEF stream as Outlook writes it (signature, version, code page, and per
    attachment: rendering, title, data, MAPI properties), following MS-OXTNEF."""
    blob = struct.pack("<IH", 0x223E9F78, 0x0001)
    blob += _tnef_object(1, 0x9006, 0x0008, struct.pack("<I", 0x10000))  # attTnefVersion
    blob += _tnef_object(1, 0x9007, 0x0006, struct.pack("<II", 1252, 0))  # attOemCodepage
    blob += _tnef_object(1, 0x9003, 0x0006, struct.pack("<I", 0xFFFFFFFF))  # hostile count
    for name, data in files:
        blob += _tnef_object(2, 0x9002, 0x0006, b"\x01\x00\xff\xff\xff\xff" + b"\x00" * 8)
        blob += _tnef_object(2, 0x8010, 0x0001, name.encode() + b"\x00")  # attAttachTitle
        blob += _tnef_object(2, 0x8013, 0x0003, b"\x00" * 14)  # an invalid modification date
        blob += _tnef_object(2, 0x800F, 0x0006, data)  # attAttachData
        if long_names and name in long_names:
            blob += _tnef_object(2, 0x9005, 0x0006, _mapi_long_filename(long_names[name]))
    return blob


def test_tnef_winmail_dat_is_kept_and_expanded():
    tnef = build_tnef(
        [("verslag.txt", b"Inhoud van het verslag.\n"), ("foto.jpg", b"\xff\xd8jpeg")]
    )
    msg = mail()
    msg.add_attachment(tnef, maintype="application", subtype="ms-tnef", filename="winmail.dat")

    parsed = parse_message(msg.as_bytes())

    assert [(a.filename, a.origin) for a in parsed.attachments] == [
        ("winmail.dat", "mime"),
        ("verslag.txt", "tnef"),
        ("foto.jpg", "tnef"),
    ]
    assert parsed.attachments[1].content == b"Inhoud van het verslag.\n"
    assert parsed.attachments[1].content_type == "text/plain"
    assert len(parsed.mime_attachments) == 1


def test_tnef_long_file_names_come_from_the_mapi_properties():
    tnef = build_tnef(
        [("VERSLA~1.DOC", b"doc"), ("x.txt", b"x")],
        long_names={"VERSLA~1.DOC": "Verslag gemeenteraad januari.doc"},
    )
    msg = mail()
    msg.add_attachment(tnef, maintype="application", subtype="ms-tnef", filename="winmail.dat")

    parsed = parse_message(msg.as_bytes())

    assert [a.filename for a in parsed.attachments] == [
        "winmail.dat",
        "Verslag gemeenteraad januari.doc",
        "x.txt",
    ]


def test_hostile_tnef_counts_do_not_hang():
    # A MAPI block claiming 4 billion properties, and one with 4 billion short values:
    # tnefparse would loop for hours on either.
    hostile = [
        struct.pack("<I", 0xFFFFFFFF),
        struct.pack("<IHHI", 1, 0x1002, 0x0E07, 0xFFFFFFFF),
    ]
    for block in hostile:
        blob = build_tnef([("a.txt", b"inhoud")])
        blob += _tnef_object(2, 0x9005, 0x0006, block)
        msg = mail()
        msg.add_attachment(blob, maintype="application", subtype="ms-tnef", filename="winmail.dat")

        parsed = parse_message(msg.as_bytes())

        assert [a.filename for a in parsed.attachments] == ["winmail.dat", "a.txt"]
        assert "winmail.dat: unreadable attachment properties skipped" in parsed.defects


def test_tnef_with_very_many_records_is_kept_as_is():
    blob = build_tnef([]) + _tnef_object(1, 0x0000, 0x0000, b"xx") * 30_000
    msg = mail()
    msg.add_attachment(blob, maintype="application", subtype="ms-tnef", filename="winmail.dat")

    parsed = parse_message(msg.as_bytes())

    assert [a.filename for a in parsed.attachments] == ["winmail.dat"]
    assert "winmail.dat has too many records: kept as is" in parsed.defects


def test_broken_tnef_is_kept_as_is():
    msg = mail()
    msg.add_attachment(
        b"\x78\x9f\x3e\x22\x01\x00\xff\xff",
        maintype="application",
        subtype="ms-tnef",
        filename="winmail.dat",
    )

    parsed = parse_message(msg.as_bytes())

    assert [a.filename for a in parsed.attachments] == ["winmail.dat"]


def build_outlook_msg() -> bytes:
    """A minimal Outlook .msg (an OLE compound file with MAPI property streams)."""
    from extract_msg.ole_writer import OleWriter

    def utf16(text: str) -> bytes:
        return text.encode("utf-16-le")

    writer = OleWriter()
    writer.addEntry("__properties_version1.0", b"\x00" * 32)
    writer.addEntry("__substg1.0_001A001F", utf16("IPM.Note"))
    writer.addEntry("__substg1.0_0037001F", utf16("Vraag over bouwvergunning"))
    writer.addEntry("__substg1.0_1000001F", utf16("Beste,\r\nIk heb een vraag.\r\n"))
    writer.addEntry("__substg1.0_0C1A001F", utf16("Jan Burger"))
    writer.addEntry("__substg1.0_5D01001F", utf16("Jan.Burger@example.org"))
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def test_attached_outlook_msg_is_read():
    msg = mail()
    msg.add_attachment(
        build_outlook_msg(), maintype="application", subtype="vnd.ms-outlook", filename="vraag.msg"
    )

    parsed = parse_message(msg.as_bytes())

    (attachment,) = parsed.attachments
    assert attachment.filename == "vraag.msg"
    nested = attachment.nested
    assert nested is not None
    assert nested.subject == "Vraag over bouwvergunning"
    assert nested.from_address == "jan.burger@example.org"
    assert nested.from_name == "Jan Burger"
    assert "Ik heb een vraag." in nested.text_body


def test_broken_outlook_msg_does_not_crash():
    msg = mail()
    garbage = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + os.urandom(3000)
    msg.add_attachment(
        garbage, maintype="application", subtype="vnd.ms-outlook", filename="kapot.msg"
    )

    parsed = parse_message(msg.as_bytes())

    (attachment,) = parsed.attachments
    assert attachment.nested is None
    assert attachment.content == garbage
    assert any(".msg" in d for d in parsed.defects)


def test_nested_rfc822_is_parsed_recursively():
    inner = mail(subject="Doorgestuurd: oorspronkelijke vraag", sender="burger@example.org")
    inner.add_attachment(b"x", maintype="application", subtype="pdf", filename="bijlage.pdf")
    outer = mail(subject="Fwd: vraag")
    outer.add_attachment(inner)

    parsed = parse_message(outer.as_bytes())

    (forwarded,) = parsed.attachments
    assert forwarded.content_type == "message/rfc822"
    assert forwarded.nested is not None
    assert forwarded.nested.subject == "Doorgestuurd: oorspronkelijke vraag"
    assert forwarded.nested.from_address == "burger@example.org"
    assert [a.filename for a in forwarded.nested.attachments] == ["bijlage.pdf"]
    assert b"Subject: Doorgestuurd" in forwarded.content


def test_nesting_beyond_the_depth_limit_is_rejected():
    message = mail(subject="niveau 0")
    for level in range(1, 4):
        outer = mail(subject=f"niveau {level}")
        outer.add_attachment(message)
        message = outer

    allowed = parse_message(message.as_bytes(), limits=ParseLimits(max_depth=3))
    too_deep = parse_message(message.as_bytes(), limits=ParseLimits(max_depth=2))

    assert allowed.rejection is None
    assert too_deep.rejection is not None
    assert too_deep.rejection.code == "too_deeply_nested"
    assert "niveaus" in too_deep.rejection.message_nl


def test_base64_encoded_rfc822_is_decoded_then_parsed():
    inner = b"From: binnen@example.org\r\nSubject: verpakt\r\n\r\ninhoud\r\n"
    raw = raw_mail(
        ['Content-Type: multipart/mixed; boundary="b"'],
        b"--b\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + binascii.b2a_base64(inner)
        + b"--b--\r\n",
    )

    parsed = parse_message(raw)

    (attached,) = parsed.attachments
    assert attached.nested is not None
    assert attached.nested.subject == "verpakt"


def test_mime_nesting_bomb_is_cut_off_and_kept_as_text():
    depth = 400
    raw = b"Subject: diep\r\n" + b"".join(
        b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (i, i)
        for i in range(depth)
    )
    raw += b"Content-Type: text/plain\r\n\r\nhallo\r\n"
    raw += b"".join(b"--b%d--\r\n" % i for i in reversed(range(depth)))

    parsed = parse_message(raw)

    assert parsed.leaf_count == 1
    assert "hallo" in parsed.text_body  # nothing lost: the inner parts are kept as text
    assert any("nesting deeper" in d for d in parsed.defects)


# --------------------------------------------------------------------------------------
# Broken boundaries
# --------------------------------------------------------------------------------------


def test_folded_boundary_parameter():
    raw = raw_mail(
        ['Content-Type: multipart/mixed; boundary="simpel', ' grens"'],
        b"--simpel grens\r\n\r\neen\r\n--simpel grens\r\nContent-Type: image/gif\r\n\r\nGIF\r\n"
        b"--simpel grens--\r\n",
    )

    parsed = parse_message(raw)

    assert parsed.text_body.strip() == "een"
    assert [a.content_type for a in parsed.attachments] == ["image/gif"]


def test_junk_after_a_boundary_is_ignored():
    raw = raw_mail(
        ['Content-Type: multipart/mixed; boundary="grens"'],
        b"--grens dit hoort er niet bij\r\nContent-Type: text/plain\r\n\r\neerste deel\r\n"
        b"--grens-- ook dit niet\r\nepiloog\r\n",
    )

    parsed = parse_message(raw)

    assert parsed.text_body.strip() == "eerste deel"
    assert "text after a boundary delimiter ignored" in parsed.defects


def test_missing_boundary_parameter_is_recovered_from_the_body():
    raw = raw_mail(
        ["Content-Type: multipart/mixed"],
        b"--abc123\r\nContent-Type: text/plain\r\n\r\ntekst\r\n"
        b"--abc123\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment;"
        b' filename="a.pdf"\r\n\r\nPDF\r\n--abc123--\r\n',
    )

    parsed = parse_message(raw)

    assert parsed.text_body.strip() == "tekst"
    assert [a.filename for a in parsed.attachments] == ["a.pdf"]
    assert any("boundary recovered" in d for d in parsed.defects)


# --------------------------------------------------------------------------------------
# Limits and dangerous content
# --------------------------------------------------------------------------------------


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _with_attachment(data: bytes, filename: str, ctype: str = "application/zip") -> bytes:
    msg = mail()
    maintype, subtype = ctype.split("/")
    msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return msg.as_bytes()


def test_zip_bomb_by_ratio_is_rejected_without_extracting():
    bomb = _zip({"nullen.bin": b"\x00" * (4 * 1024 * 1024)})
    assert len(bomb) < 40_000  # ratio far above 100

    parsed = parse_message(_with_attachment(bomb, "rapport.zip"))

    assert parsed.rejection is not None
    assert parsed.rejection.code == "zip_bomb"
    assert "rapport.zip" in parsed.rejection.message_nl
    assert parsed.attachments[0].content == bomb  # kept as is, never extracted


def test_zip_bomb_by_total_size_is_rejected():
    archive = _zip({f"deel{i}.txt": os.urandom(300_000) for i in range(4)})
    limits = ParseLimits(max_zip_uncompressed_bytes=1_000_000)

    parsed = parse_message(_with_attachment(archive, "groot.zip"), limits=limits)

    assert parsed.rejection is not None
    assert parsed.rejection.code == "zip_bomb"


def test_ordinary_zip_passes_and_dangerous_members_are_flagged():
    archive = _zip({"plan.pdf": os.urandom(5000), "setup.exe": b"MZ" + os.urandom(100)})

    parsed = parse_message(_with_attachment(archive, "stukken.zip"))

    assert parsed.rejection is None
    assert parsed.dangerous_attachments == [
        "stukken.zip: contains setup.exe: executable program (.exe)"
    ]


def test_small_repetitive_zip_is_not_a_bomb():
    archive = _zip({"nullen.txt": b"0" * 50_000})

    assert parse_message(_with_attachment(archive, "klein.zip")).rejection is None


@pytest.mark.parametrize(
    ("filename", "ctype", "content", "reason"),
    [
        ("factuur.exe", "application/octet-stream", b"x", "executable program (.exe)"),
        ("factuur.pdf.exe", "application/pdf", b"x", "executable program (.exe)"),
        ("run.exe. ", "application/octet-stream", b"x", "executable program (.exe)"),
        ("script.JS", "text/javascript", b"x", "JavaScript script (.js)"),
        ("install.ps1", "text/plain", b"x", "PowerShell script (.ps1)"),
        ("pakket.msi", "application/octet-stream", b"x", "Windows installer (.msi)"),
        ("tool.jar", "application/octet-stream", b"x", "Java archive (.jar)"),
        (
            "begroting.xlsm",
            "application/octet-stream",
            b"x",
            "macro-enabled Excel workbook (.xlsm)",
        ),
        ("brief.docm", "application/octet-stream", b"x", "macro-enabled Word document (.docm)"),
        ("start.bat", "application/octet-stream", b"x", "batch script (.bat)"),
        ("x.scr", "application/octet-stream", b"x", "screen saver program (.scr)"),
        ("x.vbs", "application/octet-stream", b"x", "VBScript script (.vbs)"),
        ("x.cmd", "application/octet-stream", b"x", "batch script (.cmd)"),
        ("x.com", "application/octet-stream", b"x", "executable program (.com)"),
    ],
)
def test_dangerous_attachment_types_are_flagged(filename, ctype, content, reason):
    parsed = parse_message(_with_attachment(content, filename, ctype))

    assert parsed.attachments[0].dangerous_reason == reason
    assert parsed.dangerous_attachments == [f"{filename.strip()}: {reason}"]


def test_executable_disguised_as_pdf_is_flagged():
    pe = bytearray(256)
    pe[0:2] = b"MZ"
    pe[0x3C:0x40] = struct.pack("<I", 0x80)
    pe[0x80:0x84] = b"PE\x00\x00"

    parsed = parse_message(_with_attachment(bytes(pe), "factuur.pdf", "application/pdf"))

    assert parsed.attachments[0].dangerous_reason == "Windows executable content"


def test_harmless_attachments_are_not_flagged():
    parsed = parse_message(_with_attachment(b"%PDF-1.7", "plan.pdf", "application/pdf"))

    assert parsed.dangerous_attachments == []
    assert parsed.attachments[0].dangerous_reason is None


def test_message_over_the_size_limit_is_rejected_but_headers_are_read():
    raw = mail(subject="Groot bericht", body="x" * 5000).as_bytes()

    parsed = parse_message(raw, limits=ParseLimits(max_total_bytes=1000))

    assert parsed.rejection is not None
    assert parsed.rejection.code == "too_large"
    assert parsed.rejection.message_nl == "Het bericht is groter dan 1000 bytes."
    assert parsed.subject == "Groot bericht"
    assert parsed.from_address == "emma.peeters@example.org"
    assert parsed.text_body == ""
    assert parsed.size == len(raw)


def test_too_many_attachments_is_rejected_and_counted():
    msg = mail()
    for i in range(4):
        msg.add_attachment(b"x", maintype="application", subtype="pdf", filename=f"{i}.pdf")

    parsed = parse_message(msg.as_bytes(), limits=ParseLimits(max_attachments=3))

    assert parsed.rejection is not None
    assert parsed.rejection.code == "too_many_attachments"
    assert parsed.rejection.message_nl == "Het bericht bevat meer dan 3 bijlagen."
    assert len(parsed.attachments) == 3
    assert parsed.unread_leaf_count == 1
    assert parsed.leaf_count == 1 + 3 + 1


def test_default_limits():
    limits = ParseLimits()

    assert limits.max_total_bytes == 50 * 1024 * 1024
    assert limits.max_attachments == 100
    assert limits.max_depth == 5
    assert limits.max_zip_uncompressed_bytes == 200 * 1024 * 1024
    assert limits.max_zip_ratio == 100


# --------------------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------------------


def test_html_to_text():
    html = (
        "<html><head><title>Titel</title><style>p { color: red }</style></head><body>"
        "<p>Beste&nbsp;dienst,</p><p>ik woon in de <b>Kerkstraat</b> &amp; zoek&#8230;<br>"
        "een vergunning</p><script>alert('x<y')</script><ul><li>een<li>twee</ul>"
        "<table><tr><td>a</td><td>b</td></tr></table><!-- verborgen --> 3 &lt; 4</body></html>"
    )

    assert html_to_text(html) == (
        "Beste dienst,\n\nik woon in de Kerkstraat & zoek…\neen vergunning\n\n- een\n- twee\n\na b\n\n3 < 4"
    )


@pytest.mark.parametrize(
    "html",
    [
        "<a" * 100_000,
        "<!--" * 100_000,
        "</" * 100_000,
        "<?" * 100_000,
        "<![CDATA[" * 50_000,
        '<a href="x>' * 50_000,
        "<div>" * 100_000,
        "&" * 200_000,
        "<script>" + "</scrip" * 50_000,
    ],
    ids=["lt-a", "comments", "end-tags", "pi", "cdata", "quotes", "nesting", "amp", "script"],
)
def test_hostile_html_is_handled(html):
    # These shapes make CPython's HTMLParser (quadratic) or html5ever (deep nesting)
    # take tens of seconds without the linear guards; here they must simply finish.
    text = html_to_text(html)
    clean = sanitize_html(html)

    assert isinstance(text, str)
    assert "<script" not in clean


def test_sanitize_html_removes_active_content_and_trackers():
    html = (
        '<div onclick="steel()" style="background:url(https://t.example/p.gif)">Hallo'
        "<script>alert(1)</script><style>body{}</style>"
        '<a href="https://gemeente.example/info" onmouseover="x()">info</a>'
        '<a href="javascript:alert(1)">klik</a>'
        '<img src="https://tracker.example/pixel.gif" alt="pixel">'
        '<img src="cid:logo@gemeente" alt="logo">'
        '<img src="data:image/png;base64,AAAA">'
        '<iframe src="https://x.example"></iframe><form><input name="q"></form></div>'
    )

    clean = sanitize_html(html)

    assert "<script" not in clean
    assert "alert" not in clean
    assert "onclick" not in clean
    assert "onmouseover" not in clean
    assert "style" not in clean
    assert "tracker.example" not in clean
    assert "data:image" not in clean
    assert "iframe" not in clean
    assert "<input" not in clean
    assert "javascript:" not in clean
    assert '<img src="cid:logo@gemeente" alt="logo">' in clean
    assert '<a href="https://gemeente.example/info" rel="noopener noreferrer">info</a>' in clean


# --------------------------------------------------------------------------------------
# Performance shapes (no timing assertions: the results must be right, and the time is
# printed for ``pytest -s``)
# --------------------------------------------------------------------------------------


def test_pathological_mail_parses_correctly():
    links = "".join(
        f'<a href="https://example.org/pagina/{i}">link {i}</a><br>\n' for i in range(20_000)
    )
    html = "<html><body><p>Begin</p>" + links + " \t\n" * 700_000 + "<p>Einde</p></body></html>"
    msg = mail(subject="Heel veel links")
    msg.set_content(" " * 500_000 + "platte tekst\n" + "\n" * 200_000)
    msg.add_alternative(html, subtype="html")
    raw = msg.as_bytes()
    assert len(raw) > 3_000_000

    started = time.perf_counter()
    parsed = parse_message(raw)
    text = html_to_text(parsed.html_body or "")
    clean = sanitize_html(parsed.html_body or "")
    elapsed = time.perf_counter() - started

    report = (
        f"pathological mail of {len(raw) / 1e6:.1f} MB: parse + text + sanitise {elapsed:.3f} s"
    )
    print(f"\n{report}")  # noqa: T201 - shown with pytest -s; timing is never asserted
    assert parsed.subject == "Heel veel links"
    assert parsed.plain_body_present
    assert parsed.html_body_present
    assert "platte tekst" in parsed.text_body
    assert text.startswith("Begin\nlink 0\nlink 1\n")
    assert text.endswith("link 19999\n\nEinde")
    assert clean.count('rel="noopener noreferrer"') == 20_000


# --------------------------------------------------------------------------------------
# Kind and loop protection
# --------------------------------------------------------------------------------------


def build_bounce(*, status: str = "5.1.1", action: str = "failed") -> bytes:
    """A bounce as Postfix sends it: multipart/report with a human part, the DSN and the
    headers of the original message."""
    original_headers = (
        b"From: onthaal@leemdonk.example\r\nTo: Burger <verkeerd@example.org>\r\n"
        b"Subject: Uw aanvraag\r\nMessage-ID: <antwoord-42@leemdonk.example>\r\n\r\n"
    )
    return raw_mail(
        [
            "Return-Path: <>",
            "From: MAILER-DAEMON@mail.leemdonk.example (Mail Delivery System)",
            "To: onthaal@leemdonk.example",
            "Subject: Undelivered Mail Returned to Sender",
            "Auto-Submitted: auto-replied",
            "MIME-Version: 1.0",
            'Content-Type: multipart/report; report-type=delivery-status; boundary="dsn"',
        ],
        b"--dsn\r\nContent-Type: text/plain\r\n\r\nI'm sorry to have to inform you that your "
        b"message could not be delivered.\r\n\r\n"
        b"--dsn\r\nContent-Type: message/delivery-status\r\n\r\n"
        b"Reporting-MTA: dns; mail.leemdonk.example\r\nArrival-Date: Mon, 2 Feb 2026 10:00:00 +0100\r\n\r\n"
        b"Final-Recipient: rfc822; Verkeerd@example.org\r\nOriginal-Recipient: rfc822;verkeerd@example.org\r\n"
        b"Action: " + action.encode() + b"\r\nStatus: " + status.encode() + b"\r\n"
        b"Remote-MTA: dns; mx.example.org\r\n"
        b"Diagnostic-Code: smtp; 550 " + status.encode() + b" <verkeerd@example.org>:\r\n"
        b"    Recipient address rejected: User unknown\r\n\r\n"
        b"--dsn\r\nContent-Type: text/rfc822-headers\r\n\r\n" + original_headers + b"--dsn--\r\n",
    )


def test_bounce_is_recognised_and_its_dsn_parsed():
    parsed = parse_message(build_bounce())

    verdict = classify_kind(parsed, own_domains=["leemdonk.example"])

    assert verdict.kind is MailKind.BOUNCE
    assert not verdict.should_auto_reply
    assert "multipart/report; report-type=delivery-status" in verdict.reasons
    bounce = verdict.bounce
    assert bounce is not None
    assert bounce.original_message_id == "antwoord-42@leemdonk.example"
    assert bounce.failed_recipients == ["verkeerd@example.org"]
    assert bounce.action == "failed"
    assert bounce.status == "5.1.1"
    assert bounce.permanent is True
    assert bounce.reporting_mta == "mail.leemdonk.example"
    (recipient,) = bounce.recipients
    assert recipient.remote_mta == "mx.example.org"
    assert recipient.diagnostic is not None
    assert "User unknown" in recipient.diagnostic
    assert not any("@" in reason for reason in verdict.reasons)


def test_delayed_delivery_is_temporary():
    verdict = classify_kind(parse_message(build_bounce(status="4.4.1", action="delayed")))

    assert verdict.kind is MailKind.BOUNCE
    assert verdict.bounce is not None
    assert verdict.bounce.permanent is False
    assert verdict.bounce.failed_recipients == []
    assert verdict.bounce.action == "delayed"


def test_bounce_with_the_original_message_attached():
    original = mail(subject="Uw aanvraag", sender="onthaal@leemdonk.example")
    original.replace_header("Message-ID", "<antwoord-7@leemdonk.example>")
    report = EmailMessage()
    report["From"] = "postmaster@example.org"
    report["Subject"] = "Delivery Status Notification (Failure)"
    report.set_content("Delivery failed.")
    report.add_attachment(original)

    verdict = classify_kind(parse_message(report.as_bytes()))

    assert verdict.kind is MailKind.BOUNCE
    assert verdict.bounce is not None
    assert verdict.bounce.original_message_id == "antwoord-7@leemdonk.example"


def test_delivery_status_parser_tolerates_missing_blank_lines_and_folding():
    per_message, recipients = parse_delivery_status(
        b"Reporting-MTA: dns; mx\nFinal-Recipient: rfc822; a@example.org\nAction: failed\n"
        b"Status: 5.2.2 (mailbox full)\nFinal-Recipient: rfc822;b@example.org\nAction: delayed\n"
        b"Status: 4.4.7\nDiagnostic-Code: smtp; 451 try\n  again later\n"
    )

    assert [(r.recipient, r.action, r.status, r.permanent) for r in recipients] == [
        ("a@example.org", "failed", "5.2.2", True),
        ("b@example.org", "delayed", "4.4.7", False),
    ]
    assert recipients[1].diagnostic == "451 try again later"
    assert per_message == {"reporting-mta": "dns; mx"}


@pytest.mark.parametrize(
    ("headers", "subject"),
    [
        ({"Auto-Submitted": "auto-replied"}, "Re: uw vraag"),
        ({"X-Autoreply": "yes"}, "Re: uw vraag"),
        ({"X-Autorespond": "Out of office"}, "uw vraag"),
        ({}, "Automatisch antwoord: Vraag over mijn verbouwing"),
        ({}, "Out of Office: Vraag"),
        ({}, "Afwezig"),
        ({}, "Afwezig: tot 12 februari"),
        ({}, "Absence: de retour le 3"),
        ({}, "Abwesenheitsnotiz: Anfrage"),
        ({}, "Automatic reply: question"),
    ],
)
def test_auto_replies_are_recognised(headers, subject):
    parsed = parse_message(mail(subject=subject, headers=headers).as_bytes())

    verdict = classify_kind(parsed)

    assert verdict.kind is MailKind.AUTO_REPLY
    assert not verdict.should_auto_reply


def test_a_citizen_writing_about_absence_is_normal():
    parsed = parse_message(mail(subject="Afwezigheid van mijn zoon op school").as_bytes())

    verdict = classify_kind(parsed, own_domains=["leemdonk.example"])

    assert verdict.kind is MailKind.NORMAL
    assert verdict.should_auto_reply
    assert verdict.reasons == []


@pytest.mark.parametrize(
    ("headers", "sender", "kind", "reason"),
    [
        ({"Precedence": "bulk"}, None, MailKind.BULK, "Precedence: bulk"),
        ({"Precedence": "list"}, None, MailKind.BULK, "Precedence: list"),
        ({"Precedence": "junk"}, None, MailKind.BULK, "Precedence: junk"),
        ({"List-Id": "<nieuws.example.org>"}, None, MailKind.BULK, "List-Id header"),
        (
            {"List-Unsubscribe": "<mailto:u@example.org>"},
            None,
            MailKind.BULK,
            "List-Unsubscribe header",
        ),
        (
            {"X-Auto-Response-Suppress": "All"},
            None,
            MailKind.NORMAL,
            "X-Auto-Response-Suppress: all",
        ),
        (
            {"X-Auto-Response-Suppress": "DR, OOF"},
            None,
            MailKind.NORMAL,
            "X-Auto-Response-Suppress: oof",
        ),
        (
            {"X-Auto-Response-Suppress": "AutoReply"},
            None,
            MailKind.NORMAL,
            "X-Auto-Response-Suppress: autoreply",
        ),
        ({}, "noreply@bank.example", MailKind.NORMAL, "sender is a no-reply address"),
        ({}, "no-reply@bank.example", MailKind.NORMAL, "sender is a no-reply address"),
        ({}, "info-donotreply@bank.example", MailKind.NORMAL, "sender is a no-reply address"),
        ({}, "do_not_reply@bank.example", MailKind.NORMAL, "sender is a no-reply address"),
        ({}, "postmaster@example.org", MailKind.BOUNCE, "sender is a mail system (postmaster)"),
        (
            {},
            "MAILER-DAEMON@example.org",
            MailKind.BOUNCE,
            "sender is a mail system (mailer-daemon)",
        ),
        ({}, "collega@leemdonk.example", MailKind.OWN, "sender is in one of our own domains"),
        (
            {},
            "collega@dienst.leemdonk.example",
            MailKind.OWN,
            "sender is in one of our own domains",
        ),
        ({MIDOFFICE_HEADER: "ack"}, None, MailKind.OWN, f"carries our {MIDOFFICE_HEADER} header"),
        ({"Return-Path": "<>"}, None, MailKind.NORMAL, "null return path (Return-Path: <>)"),
    ],
)
def test_loop_protection(headers, sender, kind, reason):
    msg = mail(headers=headers, sender=sender or "Emma Peeters <emma@example.org>")

    verdict = classify_kind(parse_message(msg.as_bytes()), own_domains=["leemdonk.example"])

    assert verdict.kind is kind
    assert not verdict.should_auto_reply
    assert reason in verdict.reasons


def test_missing_sender_gets_no_automatic_reply():
    verdict = classify_kind(parse_message(raw_mail(["Subject: zonder afzender"])))

    assert verdict.kind is MailKind.NORMAL
    assert not verdict.should_auto_reply
    assert verdict.reasons == ["no sender address"]


def test_auto_submitted_no_is_an_ordinary_mail():
    parsed = parse_message(mail(headers={"Auto-Submitted": "no"}).as_bytes())

    verdict = classify_kind(parsed)

    assert verdict.kind is MailKind.NORMAL
    assert verdict.should_auto_reply


def test_a_recent_date_and_format_roundtrip():
    when = datetime.now(tz=UTC).replace(microsecond=0) - timedelta(days=1)
    parsed = parse_message(raw_mail([f"Date: {format_datetime(when)}"]))

    assert parsed.date == when


@settings(max_examples=300, deadline=None)
@given(
    values=st.lists(
        st.text(
            alphabet=st.characters(min_codepoint=9, max_codepoint=126, blacklist_characters="\n\r"),
            max_size=200,
        ).filter(lambda v: v.strip()),
        min_size=1,
        max_size=5,
    )
)
def test_attached_message_flattens_to_the_stdlib_bytes(values: list[str]) -> None:
    """Attached messages are written back to bytes by a generator that skips the header
    folding machinery for plain one-line ASCII values; it must write exactly what the
    stdlib writes (the attachment's hash depends on it)."""
    from email.generator import BytesGenerator

    from midoffice.intake.mailparse import model, parse, parts

    head = "".join(f"X-Test-{n}: {v}\r\n" for n, v in enumerate(values))
    raw = (
        head + "Subject: =?utf-8?q?caf=C3=A9?=\r\nContent-Type: text/plain\r\n\r\nbody\r\n"
    ).encode()
    msg = parse._stdlib_parse(raw, model._Defects(), headers_only=False)
    expected = io.BytesIO()
    try:
        BytesGenerator(expected, mangle_from_=False, policy=parts._FLATTEN_POLICY).flatten(msg)
    except Exception as refused:  # noqa: BLE001 - the stdlib refuses some values: so must we
        with pytest.raises(type(refused)):
            parts._flatten(msg)
        return
    assert parts._flatten(msg) == expected.getvalue()


def test_attached_message_with_folded_and_8bit_headers_flattens_like_the_stdlib() -> None:
    from email.generator import BytesGenerator

    from midoffice.intake.mailparse import model, parse, parts

    raw = (
        b"From: Ren\xc3\xa9e <renee@example.org>\r\n"
        b"Subject: a long subject\r\n folded onto a second line\r\n"
        b"X-Tab:\tvalue with\ttabs  \r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n\r\nHall\xc3\xb3\r\n"
    )
    msg = parse._stdlib_parse(raw, model._Defects(), headers_only=False)
    expected = io.BytesIO()
    BytesGenerator(expected, mangle_from_=False, policy=parts._FLATTEN_POLICY).flatten(msg)
    assert parts._flatten(msg) == expected.getvalue()
