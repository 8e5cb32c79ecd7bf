"""Real-world mail that the e-mail corpus did not cover (issue 18): encoded words holding
raw 8-bit bytes, several or unusable From headers, the old ``addr (Name)`` form, and
parts without a name. The whole messages are ``tests/data/mail/parser-*.eml``.

Pure: no database (``pytest tests/intake/test_mailparse_realworld.py -p no:django
--noconftest`` works).
"""

from __future__ import annotations

import email
from email import policy
from pathlib import Path

import pytest

from midoffice.intake.mailparse import ParsedMessage, parse_message

MAIL_DIR = Path(__file__).resolve().parents[1] / "data" / "mail"
CRLF = b"\r\n"


def load(name: str) -> ParsedMessage:
    return parse_message((MAIL_DIR / name).read_bytes())


def raw_mail(headers: list[bytes], body: bytes = b"Hallo.\r\n") -> bytes:
    """A message from literal header lines (so tests can write broken ones)."""
    return CRLF.join(headers) + CRLF + CRLF + body


def test_every_parser_message_parses_without_failure():
    files = sorted(MAIL_DIR.glob("parser-*.eml"))
    assert len(files) >= 8
    for path in files:
        parsed = parse_message(path.read_bytes())
        assert not any(d.startswith("parser failure") for d in parsed.defects), path.name
        assert parsed.rejection is None, path.name


# --------------------------------------------------------------------------------------
# 1. Encoded words holding raw 8-bit bytes
# --------------------------------------------------------------------------------------


def test_raw_latin1_bytes_in_encoded_words_are_read_in_the_declared_charset():
    """``=?iso-8859-1?Q?Fr<0xF6>sche?=`` showed as "FrÃ¶sche"; clients show "Frösche"."""
    parsed = load("parser-raw-8bit-encoded-word.eml")

    assert parsed.subject == "Frösche in de vijver aan de Kerkstraße"
    assert parsed.from_name == "Jörg Müller"
    assert parsed.from_address == "joerg.mueller@example.org"
    [attachment] = parsed.attachments
    assert attachment.filename == "Frösche vijver.pdf"
    assert attachment.original_filename == "Frösche vijver.pdf"


def test_raw_bytes_in_encoded_words_decode_like_the_stdlib():
    raw = (MAIL_DIR / "parser-raw-8bit-encoded-word.eml").read_bytes()
    stdlib = email.message_from_bytes(raw, policy=policy.default)

    parsed = parse_message(raw)

    assert parsed.subject == str(stdlib["subject"])
    assert parsed.from_name == stdlib["from"].addresses[0].display_name


def test_raw_utf8_bytes_in_utf8_encoded_words():
    """A Q word and a B word (whose text is no base64 at all, but the raw UTF-8 text)."""
    parsed = load("parser-raw-utf8-encoded-word.eml")

    assert parsed.from_name == "Renée De Smet"
    assert parsed.subject == "Vraag over de Frösche-vijver"


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        (b"=?iso-8859-2?Q?\xb9koda?=", "škoda"),
        (b"=?windows-1252?q?prijs_5_\x80?=", "prijs 5 €"),
        (b"=?koi8-r?Q?\xf0\xd2\xc9\xd7\xc5\xd4?=", "Привет"),
        (b"=?iso-8859-1?Q?caf\xe9?= =?iso-8859-1?Q?_cr=E8me?=", "café crème"),
        (b"=?iso-8859-1?B?caf\xe9?=", "café"),
    ],
)
def test_raw_bytes_are_decoded_in_each_declared_charset(word, expected):
    parsed = parse_message(raw_mail([b"From: a@example.org", b"Subject: " + word]))

    assert parsed.subject == expected


def test_raw_bytes_in_an_encoded_word_inside_a_name_comment():
    parsed = parse_message(
        raw_mail([b"From: joerg@example.org (=?iso-8859-1?Q?J\xf6rg_M\xfcller?=)"])
    )

    assert parsed.from_name == "Jörg Müller"


def test_raw_bytes_in_an_encoded_word_of_a_content_type_name():
    raw = raw_mail(
        [
            b"From: a@example.org",
            b'Content-Type: multipart/mixed; boundary="b"',
        ],
        b"--b\r\nContent-Type: text/plain\r\n\r\nTekst\r\n"
        b'--b\r\nContent-Type: application/pdf; name="=?iso-8859-1?Q?r\xe9sum\xe9.pdf?="\r\n'
        b"\r\n%PDF-1.4\r\n--b--\r\n",
    )

    [attachment] = parse_message(raw).attachments

    assert attachment.filename == "résumé.pdf"


def test_the_header_list_keeps_the_value_as_received():
    """Only decoding is repaired: ``headers`` does not show a rewritten encoded word."""
    parsed = load("parser-raw-8bit-encoded-word.eml")

    subject = parsed.header("Subject")
    assert subject is not None
    assert subject.startswith("=?iso-8859-1?Q?Fr")
    assert "=F6" not in subject


# --------------------------------------------------------------------------------------
# 2. Several From headers, the first unreadable
# --------------------------------------------------------------------------------------


def test_the_first_readable_from_is_used():
    parsed = load("parser-several-from-first-unreadable.eml")

    assert parsed.from_address == "marc.smith@example.org"
    assert parsed.from_name == "Marc Smith"
    assert parsed.reply_address == "marc.smith@example.org"
    assert parsed.reply_source == "from"


@pytest.mark.parametrize(
    "junk",
    [
        b"webformulier",
        b"Webformulier meldingen",
        b'"Webformulier" <>',
        b"<>",
        b"undisclosed-recipients:;",
        b"@",
        b"marc@",
        b"=?utf-8?q?=E2=80=8B?=",
        b"\xff\xfe",
    ],
)
def test_an_unreadable_first_from_is_passed_over(junk):
    parsed = parse_message(raw_mail([b"From: " + junk, b"From: Marc <marc@example.org>"]))

    assert parsed.from_address == "marc@example.org"
    assert parsed.from_name == "Marc"


def test_of_two_readable_from_headers_the_first_wins():
    parsed = parse_message(
        raw_mail([b"From: Eerste <een@example.org>", b"From: Tweede <twee@example.org>"])
    )

    assert (parsed.from_name, parsed.from_address) == ("Eerste", "een@example.org")


def test_an_unreadable_first_mailbox_in_one_from_is_passed_over():
    parsed = parse_message(raw_mail([b"From: webformulier, Marc <marc@example.org>"]))

    assert parsed.from_address == "marc@example.org"


# --------------------------------------------------------------------------------------
# 3. The old comment form ``addr@example.org (Marc Smith)``
# --------------------------------------------------------------------------------------


def test_the_display_name_is_taken_from_the_comment():
    parsed = load("parser-from-comment-name.eml")

    assert parsed.from_address == "marc.smith@example.org"
    assert parsed.from_name == "Marc Smith"
    assert parsed.reply_name == "Marc Smith"


@pytest.mark.parametrize(
    ("value", "name"),
    [
        (b"marc@example.org (Marc Smith)", "Marc Smith"),
        (b"<marc@example.org> (Marc Smith)", "Marc Smith"),
        (b"marc@example.org   (  Marc\r\n  Smith )", "Marc Smith"),
        (b"marc@example.org (=?utf-8?q?Marc_Sm=C3=AFth?=)", "Marc Smïth"),
        (b"marc@example.org (Marc \\(Bouw\\) Smith)", "Marc (Bouw) Smith"),
        (b'"Marc Smith" <marc@example.org> (Bouwdienst)', "Marc Smith"),
        (b"Marc Smith <marc@example.org> (Bouwdienst)", "Marc Smith"),
        (b"marc@example.org ()", None),
        (b"marc@example.org", None),
    ],
)
def test_comment_names_and_phrase_names(value, name):
    parsed = parse_message(raw_mail([b"From: " + value]))

    assert parsed.from_address == "marc@example.org"
    assert parsed.from_name == name


@pytest.mark.parametrize("header", [b"Reply-To", b"Sender"])
def test_comment_names_for_reply_to_and_sender(header):
    parsed = parse_message(raw_mail([header + b": helpdesk@example.org (Helpdesk Leemdonk)"]))

    assert parsed.reply_address == "helpdesk@example.org"
    assert parsed.reply_name == "Helpdesk Leemdonk"


# --------------------------------------------------------------------------------------
# 4. No usable sender: the address to answer
# --------------------------------------------------------------------------------------


def test_no_from_address_falls_back_to_reply_to():
    parsed = load("parser-no-from-reply-to.eml")

    assert parsed.from_address is None
    assert parsed.from_name is None
    assert parsed.reply_address == "emma.peeters@example.org"
    assert parsed.reply_name == "Emma Peeters"
    assert parsed.reply_source == "reply-to"


def test_no_from_at_all_falls_back_to_the_return_path():
    parsed = load("parser-no-from-return-path.eml")

    assert parsed.from_address is None
    assert parsed.reply_address == "scanner@copier.example.org"
    assert parsed.reply_name is None
    assert parsed.reply_source == "return-path"


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (
            [b"From: Marc <marc@example.org>", b"Reply-To: Team <team@example.org>"],
            ("marc@example.org", "Marc", "from"),
        ),
        (
            [b"Sender: Secretariaat <secretariaat@example.org>", b"Return-Path: <b@x.example>"],
            ("secretariaat@example.org", "Secretariaat", "sender"),
        ),
        (
            [b"From: webformulier", b"Reply-To: <>", b"Sender: <s@example.org>"],
            ("s@example.org", None, "sender"),
        ),
        (
            [b'From: "Formulier" <>', b"Reply-To: nobody", b"Return-Path: <rp@example.org>"],
            ("rp@example.org", None, "return-path"),
        ),
        (
            [b'From: "Formulier" <>', b"Return-Path: <>"],
            (None, None, None),
        ),
        ([b"Subject: niemand"], (None, None, None)),
    ],
)
def test_the_reply_address_order(headers, expected):
    parsed = parse_message(raw_mail(headers))

    assert (parsed.reply_address, parsed.reply_name, parsed.reply_source) == expected


def test_the_null_sender_is_still_reported_as_the_return_path():
    parsed = load("parser-unnamed-bounce.eml")

    assert parsed.return_path == ""
    assert parsed.reply_source == "from"
    assert parsed.reply_address == "mailer-daemon@mx.example.net"


def test_an_empty_message_has_no_reply_address():
    parsed = parse_message(b"")

    assert (parsed.reply_address, parsed.reply_name, parsed.reply_source) == (None, None, None)


# --------------------------------------------------------------------------------------
# 5. Parts without a name
# --------------------------------------------------------------------------------------


def test_bounce_parts_get_dutch_names():
    parsed = load("parser-unnamed-bounce.eml")

    assert [(a.content_type, a.filename) for a in parsed.attachments] == [
        ("message/delivery-status", "afleverstatus.txt"),
        ("message/rfc822", "bericht.eml"),
    ]
    assert [a.original_filename for a in parsed.attachments] == [None, None]


def test_unnamed_parts_get_names_by_media_type_that_do_not_collide():
    parsed = load("parser-unnamed-parts.eml")

    assert [a.filename for a in parsed.attachments] == [
        "bijlage-1.pdf",
        "bijlage-2.png",
        "bericht.eml",
        "bericht-2.eml",
        "bijlage-6.bin",  # the sender's own name: kept
        "bijlage-6-2.bin",
    ]
    assert [a.original_filename for a in parsed.attachments] == [
        None,
        None,
        None,
        None,
        "bijlage-6.bin",
        None,
    ]
    assert parsed.attachments[1].is_inline
    assert parsed.attachments[2].nested is not None
    assert parsed.attachments[2].nested.subject == "Plannen versie 1"


@pytest.mark.parametrize(
    ("content_type", "name"),
    [
        ("application/pdf", "bijlage-1.pdf"),
        ("image/png", "bijlage-1.png"),
        ("image/jpeg", "bijlage-1.jpg"),
        ("text/plain", "bijlage-1.txt"),
        ("text/html", "bijlage-1.html"),
        ("text/x-vcard-ish", "bijlage-1.txt"),
        ("application/octet-stream", "bijlage-1.bin"),
        ("application/msword", "bijlage-1.doc"),
        ("application/x-no-such-type", "bijlage-1.bin"),
        ("message/global", "bericht.eml"),
        ("message/global-delivery-status", "afleverstatus.txt"),
    ],
)
def test_generated_extension_by_media_type(content_type, name):
    raw = raw_mail(
        [b"From: a@example.org", b'Content-Type: multipart/mixed; boundary="b"'],
        b"--b\r\nContent-Type: text/plain\r\n\r\nTekst\r\n"
        + f"--b\r\nContent-Type: {content_type}\r\n".encode()
        + b"Content-Disposition: attachment\r\n\r\nInhoud\r\n--b--\r\n",
    )

    [attachment] = parse_message(raw).attachments

    assert attachment.filename == name
    assert attachment.original_filename is None


def test_a_generated_name_does_not_take_a_name_the_sender_gave_later():
    raw = raw_mail(
        [b"From: a@example.org", b'Content-Type: multipart/mixed; boundary="b"'],
        b"--b\r\nContent-Type: text/plain\r\n\r\nTekst\r\n"
        b"--b\r\nContent-Type: message/rfc822\r\n\r\nSubject: een\r\n\r\nx\r\n"
        b'--b\r\nContent-Type: message/rfc822; name="bericht.eml"\r\n\r\nSubject: twee\r\n\r\nx\r\n'
        b"--b--\r\n",
    )

    names = [a.filename for a in parse_message(raw).attachments]

    assert names == ["bericht-2.eml", "bericht.eml"]


def test_unnamed_parts_of_an_attached_message_are_named_within_it():
    raw = (MAIL_DIR / "parser-unnamed-bounce.eml").read_bytes()
    outer = raw_mail(
        [b"From: a@example.org", b'Content-Type: multipart/mixed; boundary="x"'],
        b"--x\r\nContent-Type: text/plain\r\n\r\nDoorgestuurd\r\n"
        b"--x\r\nContent-Type: message/rfc822\r\n\r\n" + raw + b"\r\n--x--\r\n",
    )

    [forwarded] = parse_message(outer).attachments

    assert forwarded.filename == "bericht.eml"
    assert forwarded.nested is not None
    assert [a.filename for a in forwarded.nested.attachments] == [
        "afleverstatus.txt",
        "bericht.eml",
    ]
