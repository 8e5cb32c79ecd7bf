"""Issue 20 #7: what counts as a dangerous attachment, and when it is disguised.

Pure: the verdict of ``mailparse.danger`` on names, declared types and bytes, and what
the parser makes of containers (zip archives, attached messages). No database.
"""

from __future__ import annotations

import struct
from email.message import EmailMessage

import pytest

from midoffice.intake.mailparse import parse_message
from midoffice.intake.mailparse.danger import DangerKind, judge
from tests.intake.samples import pe_program, zip_of

RLO = "\u202e"


FREE, END, FATSECT, NOSTREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF


def _ole_entry(name: str, kind: int, child: int = NOSTREAM) -> bytes:
    fields = "<64sHBBIII16sIQQIQ"
    if not name:
        return struct.pack(fields, b"", 0, 0, 0, NOSTREAM, NOSTREAM, NOSTREAM, b"", 0, 0, 0, 0, 0)
    raw = (name + "\0").encode("utf-16-le")
    return struct.pack(
        fields, raw, len(raw), kind, 1, NOSTREAM, NOSTREAM, child, b"", 0, 0, 0, END, 0
    )


def _ole_file(stream: str) -> bytes:
    """The smallest compound file (Word/Excel 97-2003) with one empty stream."""
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(16)
    header += struct.pack(
        "<HHHHH6sIIIIIIIII", 0x3E, 3, 0xFFFE, 9, 6, bytes(6), 0, 1, 1, 0, 4096, END, 0, END, 0
    )
    header += struct.pack("<109I", 0, *([FREE] * 108))
    fat = struct.pack("<128I", FATSECT, END, *([FREE] * 126))
    directory = _ole_entry("Root Entry", 5, child=1) + _ole_entry(stream, 2)
    return header + fat + directory + _ole_entry("", 0) * 2


# --- by name -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kind", "dutch"),
    [
        ("factuur.exe", DangerKind.PROGRAM, "dit is een Windows-programma (.exe)"),
        ("SETUP.EXE", DangerKind.PROGRAM, "dit is een Windows-programma (.exe)"),
        ("run.exe. ", DangerKind.PROGRAM, "dit is een Windows-programma (.exe)"),
        ("scherm.scr", DangerKind.PROGRAM, "dit is een Windows-programma (schermbeveiliging) (.scr)"),
        ("oud.com", DangerKind.PROGRAM, "dit is een Windows-programma (.com)"),
        ("start.bat", DangerKind.SCRIPT, "dit is een Windows-opdrachtbestand (.bat)"),
        ("start.cmd", DangerKind.SCRIPT, "dit is een Windows-opdrachtbestand (.cmd)"),
        ("factuur.js", DangerKind.SCRIPT, "dit is een script (JavaScript) (.js)"),
        ("factuur.vbs", DangerKind.SCRIPT, "dit is een script (VBScript) (.vbs)"),
        ("install.ps1", DangerKind.SCRIPT, "dit is een script (PowerShell) (.ps1)"),
        ("app.hta", DangerKind.SCRIPT, "dit is een HTML-toepassing (een programma) (.hta)"),
        ("pakket.msi", DangerKind.INSTALLER, "dit is een Windows-installatiepakket (.msi)"),
        ("tool.jar", DangerKind.PROGRAM, "dit is een Java-programma (.jar)"),
        ("plan.lnk", DangerKind.SHORTCUT, "dit is een Windows-snelkoppeling (.lnk)"),
        ("plannen.iso", DangerKind.DISK_IMAGE, "dit is een schijfkopie (kan programma's verbergen) (.iso)"),
        ("plannen.img", DangerKind.DISK_IMAGE, "dit is een schijfkopie (kan programma's verbergen) (.img)"),
        ("brief.docm", DangerKind.MACRO_DOCUMENT, "dit is een Word-document met macro's (.docm)"),
        ("begroting.xlsm", DangerKind.MACRO_DOCUMENT, "dit is een Excel-werkmap met macro's (.xlsm)"),
    ],
)  # fmt: skip
def test_programs_scripts_installers_shortcuts_images_and_macros_by_name(name, kind, dutch):
    danger = judge(name, "application/octet-stream", b"x")
    assert danger is not None
    assert danger.kind == kind
    assert danger.reason_nl == dutch
    assert not danger.disguised


@pytest.mark.parametrize(
    ("name", "original", "ctype", "dutch"),
    [
        # The case: a Windows program with a PDF's name.
        (
            "factuur.pdf.exe",
            None,
            "application/octet-stream",
            "dit is een Windows-programma (.exe) met een misleidende naam",
        ),
        (
            "foto.JPG.scr",
            None,
            "application/octet-stream",
            "dit is een Windows-programma (schermbeveiliging) (.scr) met een misleidende naam",
        ),
        (
            "factuur.pdf         .exe",
            None,
            "application/octet-stream",
            "dit is een Windows-programma (.exe) met een misleidende naam",
        ),
        # The cleaned name has no override left; the name as sent had one.
        (
            "factuurfdp.exe",
            f"factuur{RLO}fdp.exe",
            "application/octet-stream",
            "dit is een Windows-programma (.exe) met een misleidende naam",
        ),
        (
            "factuur.exe",
            None,
            "application/pdf",
            "dit is een Windows-programma (.exe) met een misleidend bestandstype (application/pdf)",
        ),
        (
            "offerte.docx.docm",
            None,
            "application/octet-stream",
            "dit is een Word-document met macro's (.docm) met een misleidende naam",
        ),
    ],
)
def test_disguises_are_named(name, original, ctype, dutch):
    danger = judge(name, ctype, b"x", original=original)
    assert danger is not None
    assert danger.disguised
    assert danger.reason_nl == dutch


def test_an_honest_double_extension_or_script_type_is_no_disguise():
    assert not judge("backup.2024.exe", "application/octet-stream", b"x").disguised
    # Mailers often call a script text/plain: that is not pretending to be a document.
    assert not judge("install.ps1", "text/plain", b"x").disguised


@pytest.mark.parametrize(
    ("name", "ctype", "content"),
    [
        ("plan.pdf", "application/pdf", b"%PDF-1.7 plan"),
        ("foto.jpg.png", "image/png", b"\x89PNG\r\n\x1a\n"),
        ("brief.docx", "application/octet-stream", b"PK\x03\x04"),
        ("pagina.html", "text/html", b"<html>"),
        ("tekening.svg", "image/svg+xml", b"<svg/>"),
        ("archief.zip", "application/zip", b"PK\x05\x06" + bytes(18)),
        ("notities.txt", "text/plain", b"MZ, dat zijn mijn initialen"),
        ("bericht.exe.txt", "text/plain", b"tekst"),
    ],
)
def test_documents_are_not_dangerous(name, ctype, content):
    assert judge(name, ctype, content) is None


# --- by declared type and by content -------------------------------------------------------


def test_a_program_by_its_declared_type():
    danger = judge("bijlage.bin", "application/x-msdownload", b"x")
    assert danger is not None
    assert danger.reason_nl == (
        "dit is volgens het opgegeven bestandstype een Windows-programma (application/x-msdownload)"
    )


@pytest.mark.parametrize(
    ("content", "what"),
    [
        (pe_program(), "een Windows-programma"),
        (b"\x7fELF\x02\x01\x01" + bytes(60), "een Linux-programma"),
        (b"\xcf\xfa\xed\xfe" + bytes(60), "een macOS-programma"),
        (
            b"L\x00\x00\x00\x01\x14\x02\x00\x00\x00\x00\x00\xc0\x00\x00\x00\x00\x00\x00F"
            + bytes(60),
            "een Windows-snelkoppeling",
        ),
        (bytes(0x8001) + b"CD001" + bytes(100), "een schijfkopie (kan programma's verbergen)"),
    ],
)
def test_programs_by_their_bytes_behind_a_documents_name(content, what):
    danger = judge("factuur.pdf", "application/pdf", content)
    assert danger is not None
    assert danger.found_by == "content"
    assert danger.disguised
    assert danger.reason_nl == f"dit is {what} (herkend aan de inhoud) met een misleidende naam"


def test_an_unnamed_program_is_dangerous_but_not_disguised():
    danger = judge(None, "application/octet-stream", pe_program())
    assert danger is not None
    assert not danger.disguised


def test_macros_inside_an_office_package_whatever_its_name():
    package = zip_of({"[Content_Types].xml": b"<Types/>", "word/vbaProject.bin": b"vba"})
    parsed = parse_message(_mail(("offerte.docx", "application/octet-stream", package)))
    danger = parsed.attachments[0].danger
    assert danger is not None
    assert danger.kind == DangerKind.MACRO_DOCUMENT
    assert danger.reason_nl == (
        "dit is een Office-document met macro's (herkend aan de inhoud) met een misleidende naam"
    )
    plain = zip_of({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w/>"})
    assert (
        parse_message(_mail(("brief.docx", "application/octet-stream", plain)))
        .attachments[0]
        .danger
        is None
    )


def test_macros_in_an_old_word_or_excel_file():
    danger = judge("begroting.xls", "application/vnd.ms-excel", _ole_file("_VBA_PROJECT"))
    assert danger is not None
    assert danger.kind == DangerKind.MACRO_DOCUMENT
    assert not danger.disguised  # an old .xls with macros is what it says
    assert judge("begroting.xls", "application/vnd.ms-excel", _ole_file("Workbook")) is None
    assert judge("factuur.pdf", "application/pdf", _ole_file("_VBA_PROJECT")).disguised


# --- containers ------------------------------------------------------------------------------


def _mail(*attachments: tuple[str, str, bytes]) -> bytes:
    msg = EmailMessage()
    msg["Subject"], msg["From"], msg["To"] = "Stukken", "emma@voorbeeld.example", "onthaal@x.be"
    msg.set_content("Zie bijlagen.")
    for name, ctype, data in attachments:
        maintype, subtype = ctype.split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg.as_bytes()


def test_a_zip_with_a_program_inside_is_dangerous_itself():
    archive = zip_of({"plan.pdf": b"%PDF-1.4", "setup.exe": pe_program()})
    parsed = parse_message(_mail(("stukken.zip", "application/zip", archive)))
    danger = parsed.attachments[0].danger
    assert danger is not None
    assert danger.kind == DangerKind.CONTAINER
    assert danger.reason_nl == "dit zip-archief bevat een Windows-programma: setup.exe"
    assert not danger.disguised
    # Listed once, as before (the parser's English report).
    assert parsed.dangerous_attachments == [
        "stukken.zip: contains setup.exe: executable program (.exe)"
    ]


def test_a_zip_with_a_disguised_program_is_disguised():
    archive = zip_of({"factuur.pdf.exe": pe_program()})
    danger = parse_message(_mail(("factuur.zip", "application/zip", archive))).attachments[0].danger
    assert danger is not None
    assert danger.disguised
    assert danger.reason_nl == (
        "dit zip-archief bevat een Windows-programma: factuur.pdf.exe (met een misleidende naam)"
    )


def test_a_forwarded_message_with_a_program_is_dangerous_itself():
    inner = _mail(("factuur.pdf.exe", "application/octet-stream", pe_program()))
    outer = EmailMessage()
    outer["Subject"], outer["From"], outer["To"] = "Fwd", "emma@voorbeeld.example", "x@x.be"
    outer.set_content("Doorgestuurd.")
    outer.add_attachment(inner, maintype="message", subtype="rfc822", filename="factuur.eml")
    parsed = parse_message(outer.as_bytes())
    danger = parsed.attachments[0].danger
    assert danger is not None
    assert danger.reason_nl == (
        "dit doorgestuurde bericht bevat een Windows-programma: factuur.pdf.exe "
        "(met een misleidende naam)"
    )
