"""The large-part fast path of the parser: large leaf bodies are decoded outside the
stdlib parser, with the same result as the normal path, and in about the memory of the
decoded content. Any doubt about the structure leaves the message to the normal path.

Pure: no database (``-p no:django --noconftest`` works).
"""

from __future__ import annotations

import base64
import binascii
import os
import tracemalloc
from email.message import EmailMessage
from pathlib import Path

import pytest

from midoffice.intake.mailparse import (
    ParsedMessage,
    ParseLimits,
    model,
    parse_message,
    parse_message_id,
    repair,
)

CORPUS = Path(
    os.environ.get("MIDOFFICE_EMAIL_CORPUS_DIR")
    or Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "email-corpus"
).resolve()
SMALL = 4096  # the threshold the tests use, so that test mails stay small


def _normal(raw: bytes, monkeypatch: pytest.MonkeyPatch) -> ParsedMessage:
    with monkeypatch.context() as m:
        m.setattr(repair, "LARGE_PART_BYTES", 10**15)
        return parse_message(raw)


def _cut(raw: bytes) -> bool:
    ctx = model._Context(limits=ParseLimits())
    return repair._cut_large_parts(raw, ctx) is not None


def _mail(*attachments: tuple[bytes, str, str], nested: bool = False) -> bytes:
    msg = EmailMessage()
    msg["From"] = "Architect <architect@example.org>"
    msg["To"] = "onthaal@leemdonk.example"
    msg["Subject"] = "Plannen"
    msg["Message-ID"] = "<large@example.org>"
    msg.set_content("In bijlage de plannen.")
    msg.add_alternative("<p>In bijlage de plannen.</p>", subtype="html")
    target = msg
    if nested:
        inner = EmailMessage()
        inner.set_content("Binnenste deel")
        target = EmailMessage()
        target.make_mixed()
    for data, ctype, name in attachments:
        maintype, subtype = ctype.split("/")
        target.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    if nested:
        msg.make_mixed()
        msg.attach(target)
    return msg.as_bytes()


def _raw_part(body: bytes, cte: str, *, boundary: str = "b1", ctype_extra: str = "") -> bytes:
    return (
        b"From: a@example.org\r\nTo: b@example.org\r\nSubject: x\r\n"
        b"Message-ID: <raw@example.org>\r\nMIME-Version: 1.0\r\n"
        + f'Content-Type: multipart/mixed; boundary="{boundary}"{ctype_extra}\r\n\r\n'.encode()
        + f"--{boundary}\r\nContent-Type: text/plain\r\n\r\nTekst\r\n".encode()
        + f"--{boundary}\r\nContent-Type: application/octet-stream\r\n".encode()
        + b'Content-Disposition: attachment; filename="d.bin"\r\n'
        + f"Content-Transfer-Encoding: {cte}\r\n\r\n".encode()
        + body
        + f"\r\n--{boundary}--\r\n".encode()
    )


@pytest.fixture
def small_threshold(monkeypatch):
    monkeypatch.setattr(repair, "LARGE_PART_BYTES", SMALL)


@pytest.mark.usefixtures("small_threshold")
def test_large_base64_attachment_is_cut_out_and_decoded_the_same(monkeypatch):
    data = os.urandom(50_000)
    raw = _mail((data, "application/pdf", "plan.pdf"), (b"klein", "application/zip", "k.zip"))
    assert _cut(raw)
    fast = parse_message(raw)
    assert fast == _normal(raw, monkeypatch)
    assert [a.filename for a in fast.attachments] == ["plan.pdf", "k.zip"]
    assert fast.attachments[0].content == data
    assert fast.size == len(raw)


@pytest.mark.usefixtures("small_threshold")
def test_large_part_in_a_nested_multipart(monkeypatch):
    data = os.urandom(30_000)
    raw = _mail(
        (data, "image/png", "foto.png"), (os.urandom(9000), "application/pdf", "b.pdf"), nested=True
    )
    assert _cut(raw)
    fast = parse_message(raw)
    assert fast == _normal(raw, monkeypatch)
    assert fast.attachments[0].content == data


@pytest.mark.usefixtures("small_threshold")
@pytest.mark.parametrize("cte", ["quoted-printable", "8bit", "binary", "7bit"])
def test_other_transfer_encodings(monkeypatch, cte):
    plain = (b"regel met = teken en \xe9 accent\r\n" * 400) if cte != "7bit" else b"x" * 9000
    body = binascii.b2a_qp(plain) if cte == "quoted-printable" else plain
    raw = _raw_part(body, cte)
    assert _cut(raw)
    fast = parse_message(raw)
    assert fast == _normal(raw, monkeypatch)
    if cte != "quoted-printable":  # (QP output is compared with the normal path above)
        assert fast.attachments[0].content == plain


@pytest.mark.usefixtures("small_threshold")
@pytest.mark.parametrize(
    ("raw", "why"),
    [
        (
            _raw_part(base64.encodebytes(os.urandom(9000)), "base64", ctype_extra="; boundary*=x"),
            "RFC 2231 boundary",
        ),
        (
            _raw_part(b"data\r\n--b1x\r\n" + b"y" * 9000, "binary"),
            "a line that looks like a delimiter",
        ),
        (_raw_part(b"data\rmore" + b"y" * 9000, "binary"), "a bare CR"),
        (_raw_part(b"!!" + base64.encodebytes(os.urandom(9000)), "base64"), "not clean base64"),
        (_raw_part(base64.encodebytes(os.urandom(9000)), "x-uuencode"), "unknown encoding"),
        (_raw_part(base64.encodebytes(os.urandom(9000)), "base64")[:-8], "no closing delimiter"),
    ],
)
def test_doubt_leaves_the_message_to_the_normal_path(monkeypatch, raw, why):
    assert not _cut(raw), why
    assert parse_message(raw) == _normal(raw, monkeypatch)


def test_peak_memory_is_about_the_decoded_size():
    data = os.urandom(4 * 1024 * 1024)
    raw = _mail((data, "application/pdf", "plan.pdf"))
    tracemalloc.start()
    try:
        parsed = parse_message(raw)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert parsed.attachments[0].content == data
    # the decoded content is 0.75x the message; the normal path needed ~8x
    assert peak < 1.2 * len(raw)


@pytest.mark.skipif(not (CORPUS / "all.txt").is_file(), reason="e-mail corpus not found")
def test_corpus_parses_the_same_with_a_tiny_threshold(monkeypatch):
    files = (CORPUS / "all.txt").read_text().split()
    cut = 0
    for name in files:
        raw = (CORPUS / name).read_bytes()
        normal = _normal(raw, monkeypatch)
        with monkeypatch.context() as m:
            m.setattr(repair, "LARGE_PART_BYTES", 512)
            cut += _cut(raw)
            assert parse_message(raw) == normal, name
        assert parse_message_id(raw) == normal.message_id, name
    assert cut > 10  # the fast path was really taken on real mail
