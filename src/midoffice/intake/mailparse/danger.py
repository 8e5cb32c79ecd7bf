"""Which attachments are dangerous, and why (ADR 12).

Pure core: a verdict on a file's name, its declared media type and its bytes; no Django,
no database, no logging. Intake holds back every attachment with a verdict: staff can
download it only after an audited release.

"Dangerous" means: opening the file on a town's Windows desk can run code that the
reader did not choose to run. Precisely, a file is dangerous when

- its **name** ends in an extension Windows or Office runs (programs, scripts,
  installers, shortcuts, disk images that bypass the "downloaded from the internet"
  mark, Office files with macros): see ``_BY_EXTENSION``;
- its **declared type** says it is such a file (``application/x-msdownload``, ...);
- its **bytes** are a program, a shortcut, a disk image or an Office document with
  macros, whatever the name says (magic bytes; for Office the package's parts);
- it **contains** such a file: a zip archive (its central directory, never extracted),
  an attached message, an Outlook ``winmail.dat``.

HTML, SVG, PDF and plain zip files are not "dangerous" in this sense: they are never
shown inline in our origin (the web layer previews only images and PDFs, checked by
content, in a sandbox) and a browser or reader opens them in its own sandbox.

A verdict is **disguised** when the file pretends to be a harmless document: a double
extension (``factuur.pdf.exe``), a right-to-left override in the name as sent
(``factuur<RLO>fdp.exe``), white space that pushes the real extension out of sight, a
document's declared type on a program, or a program's bytes behind a document's name.
No honest sender does that; intake sends no acknowledgement for such a mail.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

__all__ = [
    "Danger",
    "DangerKind",
    "by_content",
    "by_name",
    "contained",
    "judge",
    "ooxml_macros",
]


class DangerKind(StrEnum):
    PROGRAM = "program"
    SCRIPT = "script"
    INSTALLER = "installer"
    SHORTCUT = "shortcut"
    DISK_IMAGE = "disk_image"
    MACRO_DOCUMENT = "macro_document"
    #: A zip archive, an attached message or a winmail.dat holding a dangerous file.
    CONTAINER = "container"


FoundBy = Literal["name", "type", "content", "member"]


@dataclass(frozen=True, slots=True)
class Danger:
    """Why one file is dangerous."""

    kind: DangerKind
    #: What the file is, in English (the parser's defects and reports are English).
    what_en: str
    #: What the file is, in Dutch, with its article: "een Windows-programma".
    what_nl: str
    found_by: FoundBy
    #: The extension (".exe") or declared type that gave it away; "" when found by content.
    evidence: str = ""
    #: The name or declared type pretends the file is a harmless document.
    disguised: bool = False
    #: Only ``found_by == "type"``/``"name"``: the declared type that pretends.
    misleading_type: str = ""
    #: For a container: the dangerous file inside, and its name.
    inner: Danger | None = None
    inner_name: str = ""

    @property
    def reason_en(self) -> str:
        """One line in English, as the parser has always written it."""
        if self.inner is not None:
            return f"contains {self.inner_name}: {self.inner.reason_en}"
        if self.found_by == "content":
            return f"{self.what_en} content"
        return f"{self.what_en} ({self.evidence})"

    @property
    def reason_nl(self) -> str:
        """One line in Dutch for staff, to follow "Tegengehouden: "."""
        if self.inner is not None:
            text = f"{self.what_nl} bevat {self.inner.what_nl}: {self.inner_name}"
            return text + (" (met een misleidende naam)" if self.inner.disguised else "")
        if self.found_by == "content":
            text = f"dit is {self.what_nl} (herkend aan de inhoud)"
        elif self.found_by == "type":
            text = f"dit is volgens het opgegeven bestandstype {self.what_nl} ({self.evidence})"
        else:
            text = f"dit is {self.what_nl} ({self.evidence})"
        if self.disguised and self.misleading_type:
            return f"{text} met een misleidend bestandstype ({self.misleading_type})"
        return text + (" met een misleidende naam" if self.disguised else "")


_PROGRAM, _SCRIPT, _INSTALLER = DangerKind.PROGRAM, DangerKind.SCRIPT, DangerKind.INSTALLER
_SHORTCUT, _IMAGE, _MACROS = DangerKind.SHORTCUT, DangerKind.DISK_IMAGE, DangerKind.MACRO_DOCUMENT
_PROGRAM_EN, _PROGRAM_NL = "executable program", "een Windows-programma"
_INSTALLER_NL = "een Windows-installatiepakket"
_IMAGE_NL = "een schijfkopie (kan programma's verbergen)"

#: extension -> (kind, English, Dutch). The English texts are the parser's old reasons.
_BY_EXTENSION: dict[str, tuple[DangerKind, str, str]] = {
    ".exe": (_PROGRAM, _PROGRAM_EN, _PROGRAM_NL),
    ".com": (_PROGRAM, _PROGRAM_EN, _PROGRAM_NL),
    ".pif": (_PROGRAM, _PROGRAM_EN, _PROGRAM_NL),
    ".scr": (_PROGRAM, "screen saver program", "een Windows-programma (schermbeveiliging)"),
    ".cpl": (_PROGRAM, "control panel program", "een Windows-programma (configuratiescherm)"),
    ".xll": (_PROGRAM, "Excel add-in program", "een Excel-invoegtoepassing (een programma)"),
    ".jar": (_PROGRAM, "Java archive", "een Java-programma"),
    ".jnlp": (_PROGRAM, "Java Web Start file", "een Java-programma"),
    ".bat": (_SCRIPT, "batch script", "een Windows-opdrachtbestand"),
    ".cmd": (_SCRIPT, "batch script", "een Windows-opdrachtbestand"),
    ".js": (_SCRIPT, "JavaScript script", "een script (JavaScript)"),
    ".jse": (_SCRIPT, "encoded JavaScript script", "een versleuteld script (JavaScript)"),
    ".vbs": (_SCRIPT, "VBScript script", "een script (VBScript)"),
    ".vbe": (_SCRIPT, "encoded VBScript script", "een versleuteld script (VBScript)"),
    ".wsf": (_SCRIPT, "Windows Script file", "een Windows-script"),
    ".wsh": (_SCRIPT, "Windows Script settings", "een Windows-script"),
    ".ps1": (_SCRIPT, "PowerShell script", "een script (PowerShell)"),
    ".psm1": (_SCRIPT, "PowerShell module", "een script (PowerShell)"),
    ".hta": (_SCRIPT, "HTML application", "een HTML-toepassing (een programma)"),
    ".sct": (_SCRIPT, "Windows script component", "een Windows-script"),
    ".reg": (_SCRIPT, "registry file", "een Windows-registerbestand"),
    ".chm": (_SCRIPT, "compiled HTML help", "een Windows-helpbestand (kan code uitvoeren)"),
    ".msi": (_INSTALLER, "Windows installer", _INSTALLER_NL),
    ".msp": (_INSTALLER, "Windows installer patch", _INSTALLER_NL),
    ".msix": (_INSTALLER, "Windows app package", _INSTALLER_NL),
    ".appx": (_INSTALLER, "Windows app package", _INSTALLER_NL),
    ".appinstaller": (_INSTALLER, "Windows app installer", _INSTALLER_NL),
    ".application": (_INSTALLER, "ClickOnce installer", _INSTALLER_NL),
    ".lnk": (_SHORTCUT, "Windows shortcut", "een Windows-snelkoppeling"),
    ".url": (_SHORTCUT, "internet shortcut", "een internetsnelkoppeling"),
    ".scf": (_SHORTCUT, "Windows Explorer command", "een Windows-snelkoppeling"),
    ".iso": (_IMAGE, "disk image", _IMAGE_NL),
    ".img": (_IMAGE, "disk image", _IMAGE_NL),
    ".vhd": (_IMAGE, "virtual disk", _IMAGE_NL),
    ".vhdx": (_IMAGE, "virtual disk", _IMAGE_NL),
    ".docm": (_MACROS, "macro-enabled Word document", "een Word-document met macro's"),
    ".dotm": (_MACROS, "macro-enabled Word template", "een Word-sjabloon met macro's"),
    ".xlsm": (_MACROS, "macro-enabled Excel workbook", "een Excel-werkmap met macro's"),
    ".xltm": (_MACROS, "macro-enabled Excel template", "een Excel-sjabloon met macro's"),
    ".xlsb": (_MACROS, "binary Excel workbook", "een binaire Excel-werkmap (kan macro's bevatten)"),
    ".xlam": (_MACROS, "Excel add-in with macros", "een Excel-invoegtoepassing met macro's"),
    ".pptm": (
        _MACROS,
        "macro-enabled PowerPoint presentation",
        "een PowerPoint-presentatie met macro's",
    ),
    ".potm": (_MACROS, "macro-enabled PowerPoint template", "een PowerPoint-sjabloon met macro's"),
    ".ppsm": (_MACROS, "macro-enabled PowerPoint show", "een PowerPoint-presentatie met macro's"),
    ".ppam": (
        _MACROS,
        "PowerPoint add-in with macros",
        "een PowerPoint-invoegtoepassing met macro's",
    ),
}

#: Declared types that say "program" whatever the name is.
_BY_TYPE: dict[str, tuple[DangerKind, str, str]] = {
    "application/x-msdownload": (_PROGRAM, _PROGRAM_EN, _PROGRAM_NL),
    "application/x-msdos-program": (_PROGRAM, _PROGRAM_EN, _PROGRAM_NL),
    "application/x-dosexec": (_PROGRAM, _PROGRAM_EN, _PROGRAM_NL),
    "application/vnd.microsoft.portable-executable": (_PROGRAM, _PROGRAM_EN, _PROGRAM_NL),
    "application/x-ms-installer": (_INSTALLER, "Windows installer", _INSTALLER_NL),
    "application/x-msi": (_INSTALLER, "Windows installer", _INSTALLER_NL),
    "application/java-archive": (_PROGRAM, "Java archive", "een Java-programma"),
    "application/x-sh": (_SCRIPT, "shell script", "een script (shell)"),
    "application/hta": (_SCRIPT, "HTML application", "een HTML-toepassing (een programma)"),
    "application/x-ms-shortcut": (_SHORTCUT, "Windows shortcut", "een Windows-snelkoppeling"),
    "application/vnd.ms-word.document.macroenabled.12": _BY_EXTENSION[".docm"],
    "application/vnd.ms-excel.sheet.macroenabled.12": _BY_EXTENSION[".xlsm"],
    "application/vnd.ms-powerpoint.presentation.macroenabled.12": _BY_EXTENSION[".pptm"],
}

#: Extensions of documents a citizen sends: as the next-to-last extension they disguise.
_DOCUMENT_EXTENSIONS = frozenset({
    ".pdf", ".doc", ".docx", ".xls", ".xlsx", ".ppt", ".pptx", ".odt", ".ods", ".odp", ".rtf",
    ".txt", ".csv", ".jpg", ".jpeg", ".png", ".gif", ".bmp", ".tif", ".tiff", ".webp", ".heic",
    ".mp3", ".mp4", ".mov", ".wav", ".zip", ".rar", ".7z", ".htm", ".html", ".eml", ".msg",
    ".xml", ".ics",
})  # fmt: skip
#: Declared types of documents: on a program, they pretend.
_DOCUMENT_TYPES = (
    "application/pdf",
    "image/",
    "audio/",
    "video/",
    "application/msword",
    "application/rtf",
    "application/vnd.ms-excel",
    "application/vnd.ms-powerpoint",
    "application/vnd.openxmlformats-officedocument.",
    "application/vnd.oasis.opendocument.",
)
# Bidi controls in a name make it read other than it is ("factuur<RLO>fdp.exe").
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# White space that pushes the real extension out of the visible part of a name.
_PUSHED_EXTENSION = re.compile(r"\s{3,}\.[^.\s]+$")
_EXECUTABLE_KINDS = frozenset(
    {DangerKind.PROGRAM, DangerKind.SCRIPT, DangerKind.INSTALLER, DangerKind.SHORTCUT}
)


def _extension(name: str) -> tuple[str, str]:
    """(stem, extension) as Windows sees them: trailing dots and spaces are ignored
    ("factuur.exe. " runs as an .exe). Lower case; ("", "") without an extension."""
    trimmed = name.rstrip(". ").lower()
    dot = trimmed.rfind(".")
    if dot < 0:
        return trimmed, ""
    return trimmed[:dot], trimmed[dot:]


def _misleading_name(name: str, original: str | None) -> bool:
    if original and any(ch in _BIDI for ch in original):
        return True
    if _PUSHED_EXTENSION.search(original or name):
        return True
    stem, _ = _extension(name)
    _, inner = _extension(stem.rstrip())
    return inner in _DOCUMENT_EXTENSIONS


def _pretends_document(content_type: str) -> bool:
    return content_type.lower().startswith(_DOCUMENT_TYPES)


def by_name(
    name: str | None, *, original: str | None = None, content_type: str = ""
) -> Danger | None:
    """The verdict on a file name alone (also used for the members of a zip archive)."""
    if not name:
        return None
    _, ext = _extension(name)
    entry = _BY_EXTENSION.get(ext)
    if entry is None:
        return None
    kind, what_en, what_nl = entry
    disguised = _misleading_name(name, original)
    misleading_type = ""
    if not disguised and kind in _EXECUTABLE_KINDS and _pretends_document(content_type):
        disguised, misleading_type = True, content_type.lower()
    return Danger(
        kind=kind,
        what_en=what_en,
        what_nl=what_nl,
        found_by="name",
        evidence=ext,
        disguised=disguised,
        misleading_type=misleading_type,
    )


def _by_type(name: str | None, content_type: str) -> Danger | None:
    entry = _BY_TYPE.get(content_type.lower())
    if entry is None:
        return None
    kind, what_en, what_nl = entry
    return Danger(
        kind=kind,
        what_en=what_en,
        what_nl=what_nl,
        found_by="type",
        evidence=content_type.lower(),
        disguised=_names_a_document(name),
    )


def _names_a_document(name: str | None) -> bool:
    return bool(name) and _extension(name or "")[1] in _DOCUMENT_EXTENSIONS


_LNK_HEADER = b"L\x00\x00\x00\x01\x14\x02\x00\x00\x00\x00\x00\xc0\x00\x00\x00\x00\x00\x00F"
_MACHO = frozenset(
    {b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe"}
)
_ISO_MARKS = (b"CD001", b"BEA01", b"NSR02", b"NSR03")
_OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _looks_like_pe(content: bytes) -> bool:
    if len(content) < 64 or not content.startswith(b"MZ"):
        return False
    offset = struct.unpack_from("<I", content, 0x3C)[0]
    return content[offset : offset + 4] == b"PE\x00\x00"


def _content_kind(content: bytes) -> tuple[DangerKind, str, str] | None:
    """What the bytes are, when they are something that runs (magic bytes only)."""
    head = content[:8]
    if _looks_like_pe(content):
        return DangerKind.PROGRAM, "Windows executable", _PROGRAM_NL
    if head.startswith(b"\x7fELF"):
        return DangerKind.PROGRAM, "Linux executable", "een Linux-programma"
    if head[:4] in _MACHO:
        return DangerKind.PROGRAM, "macOS executable", "een macOS-programma"
    if head[:4] == b"\xca\xfe\xba\xbe":  # a universal macOS program or a Java class
        return DangerKind.PROGRAM, "macOS or Java executable", "een programma (macOS of Java)"
    if content.startswith(_LNK_HEADER):
        return DangerKind.SHORTCUT, "Windows shortcut", "een Windows-snelkoppeling"
    if (
        any(content[at : at + 5] in _ISO_MARKS for at in (0x8001, 0x8801, 0x9001))
        or head == b"vhdxfile"
        or head == b"conectix"
        or content[-512:-504] == b"conectix"
    ):
        return DangerKind.DISK_IMAGE, "disk image", _IMAGE_NL
    return None


def by_content(content: bytes, *, name: str | None = None) -> Danger | None:
    """The verdict on the bytes: a program, a shortcut or a disk image, whatever the name.
    Disguised when the name is a document's (``factuur.pdf``)."""
    found = _content_kind(content)
    if found is None:
        return None
    kind, what_en, what_nl = found
    return Danger(
        kind=kind,
        what_en=what_en,
        what_nl=what_nl,
        found_by="content",
        disguised=_names_a_document(name),
    )


def ooxml_macros(member_names: list[str], *, name: str | None) -> Danger | None:
    """An Office Open XML package (a zip with ``[Content_Types].xml``) that carries a VBA
    project has macros, whatever its name says (a ``.docx`` cannot have them)."""
    lower = [m.lower() for m in member_names]
    if "[content_types].xml" not in lower:
        return None
    if not any(m.endswith("vbaproject.bin") for m in lower):
        return None
    _, ext = _extension(name or "")
    return Danger(
        kind=DangerKind.MACRO_DOCUMENT,
        what_en="macro-enabled Office document",
        what_nl="een Office-document met macro's",
        found_by="content",
        disguised=ext in _DOCUMENT_EXTENSIONS,
    )


def ole_macros(content: bytes, *, name: str | None) -> Danger | None:
    """A Word or Excel 97-2003 file (OLE compound file) with a VBA project."""
    if not content.startswith(_OLE_SIGNATURE):
        return None
    _, ext = _extension(name or "")
    if ext == ".msg":
        return None  # an Outlook message: its attachments are judged on their own
    try:
        import olefile  # type: ignore[import-untyped]  # no type hints; comes with extract-msg
    except ImportError:
        return None
    try:
        with olefile.OleFileIO(content) as ole:
            streams = ole.listdir(streams=True, storages=False)
    except Exception:  # noqa: BLE001 - third-party parser on hostile bytes
        return None
    if not any(path and str(path[-1]).upper() == "_VBA_PROJECT" for path in streams):
        return None
    return Danger(
        kind=DangerKind.MACRO_DOCUMENT,
        what_en="Office document with macros",
        what_nl="een Office-document met macro's",
        found_by="content",
        # An old .doc or .xls with macros is what it says; a ".pdf" is not.
        disguised=ext in _DOCUMENT_EXTENSIONS and ext not in (".doc", ".dot", ".xls", ".xlt"),
    )


def judge(
    name: str | None, content_type: str, content: bytes, *, original: str | None = None
) -> Danger | None:
    """The verdict on one file: by its name, else its declared type, else its bytes."""
    return (
        by_name(name, original=original, content_type=content_type)
        or _by_type(name, content_type)
        or by_content(content, name=name)
        or ole_macros(content, name=name)
    )


#: How a container is named in Dutch, by what holds the dangerous file.
CONTAINER_NL = {
    "zip": "dit zip-archief",
    "message": "dit doorgestuurde bericht",
    "tnef": "dit winmail.dat-bestand",
}


def contained(inner: Danger, inner_name: str, *, container: str) -> Danger:
    """The verdict on a container (``"zip"``, ``"message"``, ``"tnef"``) holding ``inner``."""
    return Danger(
        kind=DangerKind.CONTAINER,
        what_en="container",
        what_nl=CONTAINER_NL[container],
        found_by="member",
        disguised=inner.disguised,
        inner=inner,
        inner_name=inner_name,
    )
