"""PDF/A-2b for letters: a checker of the PDF/A-2b rules that matter for our letters
(ADR 22b). The signing step keeps the metadata in agreement through
``integrations.signing.pdfa_writer``.

The checker is not a full validator (veraPDF's PDF/A-2b profile has 144 rules, several
about content streams and font programs this module does not parse). It checks, by name,
the rules a letter can break through what *we* do: the metadata, the output intent,
embedded fonts, actions, annotations (the signature widget), forms, transparency and the
signatures' byte ranges, on the document as a reader sees it after every incremental
update. Each problem is reported in Dutch; each check says in English what it covers.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from io import BytesIO
from typing import Any

from lxml import etree
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader

__all__ = ["PdfaCheck", "PdfaReport", "pdfa_check"]


# --- the checker -------------------------------------------------------------------

PDFA_ID = "http://www.aiim.org/pdfa/ns/id/"
NS = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "dc": "http://purl.org/dc/elements/1.1/",
    "pdf": "http://ns.adobe.com/pdf/1.3/",
    "xmp": "http://ns.adobe.com/xap/1.0/",
    "pdfaid": PDFA_ID,
}
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

FORBIDDEN_ACTIONS = {
    "/Launch",
    "/Sound",
    "/Movie",
    "/ResetForm",
    "/ImportData",
    "/Hide",
    "/SetOCGState",
    "/Rendition",
    "/Trans",
    "/GoTo3DView",
    "/JavaScript",
}
ALLOWED_NAMED_ACTIONS = {"/NextPage", "/PrevPage", "/FirstPage", "/LastPage"}
FORBIDDEN_ANNOTATIONS = {"/3D", "/Sound", "/Screen", "/Movie"}
KNOWN_ANNOTATIONS = {
    "/Text",
    "/Link",
    "/FreeText",
    "/Line",
    "/Square",
    "/Circle",
    "/Polygon",
    "/PolyLine",
    "/Highlight",
    "/Underline",
    "/Squiggly",
    "/StrikeOut",
    "/Stamp",
    "/Caret",
    "/Ink",
    "/Popup",
    "/FileAttachment",
    "/Widget",
    "/PrinterMark",
    "/TrapNet",
    "/Watermark",
    "/Redact",
}
BLEND_MODES = {
    "/Normal",
    "/Compatible",
    "/Multiply",
    "/Screen",
    "/Overlay",
    "/Darken",
    "/Lighten",
    "/ColorDodge",
    "/ColorBurn",
    "/HardLight",
    "/SoftLight",
    "/Difference",
    "/Exclusion",
    "/Hue",
    "/Saturation",
    "/Color",
    "/Luminosity",
}
# Annotation flags (ISO 32000-1, 12.5.3).
INVISIBLE, HIDDEN, PRINT, NO_VIEW, TOGGLE_NO_VIEW = 1, 2, 4, 32, 256


@dataclass(frozen=True)
class PdfaCheck:
    """One named rule group: what it covers (English) and what is wrong (Dutch)."""

    name: str
    clause: str
    covers: str
    problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class PdfaReport:
    checks: tuple[PdfaCheck, ...]

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    def failed(self) -> list[str]:
        return [check.name for check in self.checks if not check.ok]

    def check(self, name: str) -> PdfaCheck:
        return next(check for check in self.checks if check.name == name)

    def summary(self) -> str:
        if self.ok:
            return f"PDF/A-2b: alle {len(self.checks)} controles geslaagd."
        lines = [f"PDF/A-2b: {len(self.failed())} van {len(self.checks)} controles faalden."]
        for check in self.checks:
            lines.extend(f"- {check.name}: {problem}" for problem in check.problems)
        return "\n".join(lines)


@dataclass
class _Walk:
    """Every object reachable from the catalog, sorted by what the checks look at."""

    fonts: list[generic.DictionaryObject] = field(default_factory=list)
    actions: list[generic.DictionaryObject] = field(default_factory=list)
    additional_actions: list[str] = field(default_factory=list)
    ext_gstates: list[generic.DictionaryObject] = field(default_factory=list)
    metadata_streams: int = 0
    transparency: bool = False


CHECKS: dict[str, tuple[str, str]] = {
    "bestandsstructuur": (
        "ISO 19005-2 6.1.2, 6.1.3",
        "Header %PDF-1.n plus a binary comment; trailer ID; no data after the last %%EOF.",
    ),
    "geen-versleuteling": ("ISO 19005-2 6.1.3", "No /Encrypt in the trailer."),
    "xmp-metadata": (
        "ISO 19005-2 6.6.2.1, 6.6.4",
        (
            "Catalog /Metadata is a /Metadata /XML stream without /Filter (PDF/A-1's rule, "
            "stricter than veraPDF's 2b profile), UTF-8 well-formed XMP without bytes/encoding "
            "in the packet header, pdfaid:part=2 and conformance B (or U/A) with prefix pdfaid."
        ),
    ),
    "info-xmp-overeenstemming": (
        "ISO 19005-1 6.7.3 (kept for PDF/A-2 archives)",
        (
            "Every Info entry that has an XMP equivalent (Title, Author, Subject, Keywords, "
            "Creator, Producer, CreationDate, ModDate) is present in the XMP with the same value."
        ),
    ),
    "output-intent": (
        "ISO 19005-2 6.2.3",
        (
            "An OutputIntent /GTS_PDFA1 with an embedded ICC profile (class mntr/prtr, colour "
            "space RGB/GRAY/CMYK, version < 5, /N matching); all DestOutputProfiles identical."
        ),
    ),
    "lettertypen-ingebed": (
        "ISO 19005-2 6.2.11.4.1",
        (
            "Every font dictionary reachable from the catalog (all of them, not only those used "
            "for rendering) has a FontDescriptor with FontFile, FontFile2 or FontFile3; Type3 "
            "and Type0 (checked via their descendant) excepted. Glyph coverage is not checked."
        ),
    ),
    "acties": (
        "ISO 19005-2 6.5.1, 6.5.2, 6.4.1",
        (
            "No Launch/JavaScript/… actions, only the four named page actions, no /AA on the "
            "catalog, pages, widgets or fields, no document JavaScript."
        ),
    ),
    "annotaties": (
        "ISO 19005-2 6.3.1-6.3.3",
        (
            "Known, allowed annotation types; /F with Print set and Hidden/Invisible/NoView/"
            "ToggleNoView clear; an /AP with only /N unless the Rect is empty or it is a "
            "Popup/Link; a Widget has no /A or /AA."
        ),
    ),
    "formulieren": (
        "ISO 19005-2 6.4.1, 6.4.2",
        "AcroForm without NeedAppearances true or XFA; no NeedsRendering in the catalog.",
    ),
    "transparantie": (
        "ISO 19005-2 6.2.10",
        (
            "Blend modes are the standard ones; without a PDF/A output intent, transparent "
            "content needs a page Group with /CS (checked per document, not per page)."
        ),
    ),
    "handtekeningen": (
        "ISO 19005-2 6.4.3",
        (
            "Every signature's ByteRange covers its whole revision except /Contents, and the "
            "CMS holds the signer's certificate."
        ),
    ),
}


def pdfa_check(pdf: bytes) -> PdfaReport:
    """Check ``pdf`` against the PDF/A-2b rules listed in ``CHECKS`` (the final revision)."""
    problems: dict[str, list[str]] = {name: [] for name in CHECKS}
    try:
        reader = PdfFileReader(BytesIO(pdf), strict=False)
        root = reader.root
        walk = _walk(root)
    except Exception as exc:  # noqa: BLE001 — any parse failure is the file's fault
        message = f"Het bestand is geen leesbare PDF ({type(exc).__name__}: {exc})."
        return PdfaReport(
            tuple(
                PdfaCheck(name, clause, covers, (message,))
                for name, (clause, covers) in CHECKS.items()
            )
        )
    _check_structure(pdf, reader, problems["bestandsstructuur"])
    if "/Encrypt" in reader.trailer_view:
        problems["geen-versleuteling"].append("Het bestand is versleuteld (/Encrypt).")
    xmp = _check_metadata(root, problems["xmp-metadata"])
    if xmp is not None:
        _check_info_agreement(reader, xmp, problems["info-xmp-overeenstemming"])
    has_intent = _check_output_intent(root, problems["output-intent"])
    _check_fonts(walk, problems["lettertypen-ingebed"])
    _check_actions(root, walk, problems["acties"])
    pages = list(_pages(root))
    _check_annotations(pages, problems["annotaties"])
    _check_forms(root, problems["formulieren"])
    _check_transparency(walk, pages, has_intent, problems["transparantie"])
    _check_signatures(reader, problems["handtekeningen"])
    return PdfaReport(
        tuple(
            PdfaCheck(name, clause, covers, tuple(problems[name]))
            for name, (clause, covers) in CHECKS.items()
        )
    )


# --- walking the object graph ----------------------------------------------------


def _walk(root: generic.DictionaryObject) -> _Walk:
    found = _Walk()
    seen: set[tuple[int, int]] = set()
    stack: list[tuple[str, Any]] = [("", root)]
    while stack:
        key, obj = stack.pop()
        if isinstance(obj, generic.IndirectObject):
            ident = (obj.idnum, obj.generation)
            if ident in seen:
                continue
            seen.add(ident)
            obj = obj.get_object()  # type: ignore[no-untyped-call]  # pyHanko untyped
        if isinstance(obj, generic.DictionaryObject):
            _classify(key, obj, found)
            stack.extend((str(k), v) for k, v in obj.items())
        elif isinstance(obj, generic.ArrayObject):
            stack.extend((key, item) for item in obj)
    return found


def _classify(key: str, obj: generic.DictionaryObject, found: _Walk) -> None:
    kind = obj.get("/Type")
    if kind == "/Font":
        found.fonts.append(obj)
    elif kind == "/Metadata":
        found.metadata_streams += 1
    if key in ("/A", "/OpenAction", "/Next") and "/S" in obj:
        found.actions.append(obj)
    if key == "/AA":
        found.actions.extend(
            action.get_object()
            for action in obj.values()
            if isinstance(action.get_object(), generic.DictionaryObject)
        )
    if kind == "/ExtGState" or "/BM" in obj or "/CA" in obj or "/ca" in obj:
        found.ext_gstates.append(obj)
    if obj.get("/SMask") not in (None, "/None") or any(
        isinstance(obj.get(alpha), generic.NumberObject | generic.FloatObject)
        and float(obj[alpha]) < 1
        for alpha in ("/CA", "/ca")
    ):
        found.transparency = True


def _pages(root: generic.DictionaryObject) -> Iterator[generic.DictionaryObject]:
    stack = [root["/Pages"]]
    seen: set[int] = set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if node.get("/Type") == "/Page" or "/Kids" not in node:
            yield node
        else:
            stack.extend(kid.get_object() for kid in reversed(node["/Kids"]))


# --- the checks ---------------------------------------------------------------------

HEADER = re.compile(rb"%PDF-1\.[0-7](\r\n|\r|\n)%[\x80-\xff]{4}")


def _check_structure(pdf: bytes, reader: PdfFileReader, out: list[str]) -> None:
    if not HEADER.match(pdf):
        out.append("De header is geen '%PDF-1.n' gevolgd door een binaire commentaarregel.")
    if "/ID" not in reader.trailer_view:
        out.append("De trailer heeft geen bestands-ID (/ID).")
    end = pdf.rfind(b"%%EOF")
    if end < 0 or pdf[end + 5 :] not in (b"", b"\n", b"\r\n", b"\r"):
        out.append("Na de laatste %%EOF staan nog gegevens.")


def _check_metadata(root: generic.DictionaryObject, out: list[str]) -> etree._Element | None:
    stream = root.get("/Metadata")
    stream = stream.get_object() if stream is not None else None
    if not isinstance(stream, generic.StreamObject):
        out.append("De catalogus heeft geen XMP-metadata (/Metadata).")
        return None
    if stream.get("/Type") != "/Metadata" or stream.get("/Subtype") != "/XML":
        out.append("De metadatastroom is geen /Type /Metadata /Subtype /XML.")
    if "/Filter" in stream:
        out.append("De XMP-metadata is gecomprimeerd (/Filter); PDF/A wil ze leesbaar.")
    data = stream.data
    header = re.match(rb"\s*(?:\xef\xbb\xbf)?<\?xpacket ([^?]*)\?>", data)
    if header and (b"bytes=" in header.group(1) or b"encoding=" in header.group(1)):
        out.append("De xpacket-header bevat 'bytes' of 'encoding'.")
    try:
        data.decode("utf-8")
        parser = etree.XMLParser(resolve_entities=False, no_network=True)
        tree = etree.fromstring(data, parser)
    except (UnicodeDecodeError, etree.XMLSyntaxError) as exc:
        out.append(f"De XMP-metadata is geen geldige UTF-8 XML ({exc}).")
        return None
    part = _xmp_value(tree, PDFA_ID, "part")
    conformance = _xmp_value(tree, PDFA_ID, "conformance")
    if part is None:
        out.append("De XMP-metadata mist de PDF/A-identificatie (pdfaid:part).")
    elif part.strip() != "2":
        out.append(f"De XMP-metadata zegt PDF/A-deel {part}, niet 2.")
    if conformance is not None and conformance.strip() not in ("A", "B", "U"):
        out.append(f"Het PDF/A-niveau '{conformance}' bestaat niet (A, B of U).")
    elif conformance is None and part is not None:
        out.append("De XMP-metadata mist het PDF/A-niveau (pdfaid:conformance).")
    for element in tree.iter():
        if not isinstance(element.tag, str):
            continue  # comments and processing instructions
        names = [element.tag, *element.attrib]
        if any(str(name).startswith(f"{{{PDFA_ID}}}") for name in names) and "pdfaid" not in {
            prefix for prefix, uri in element.nsmap.items() if uri == PDFA_ID
        }:
            out.append("De PDF/A-identificatie gebruikt een ander prefix dan pdfaid.")
            break
    return tree


def _xmp_nodes(tree: etree._Element, ns: str, name: str) -> Iterator[etree._Element | str]:
    tag = f"{{{ns}}}{name}"
    for description in tree.iter(f"{{{NS['rdf']}}}Description"):
        if tag in description.attrib:
            yield str(description.attrib[tag])
        yield from description.iterchildren(tag)


def _xmp_value(tree: etree._Element, ns: str, name: str) -> str | None:
    for node in _xmp_nodes(tree, ns, name):
        return node if isinstance(node, str) else (node.text or "")
    return None


def _xmp_items(tree: etree._Element, ns: str, name: str) -> list[tuple[str, str]] | None:
    """An rdf:Alt/Seq/Bag as (xml:lang, text) pairs; a simple value as one pair."""
    for node in _xmp_nodes(tree, ns, name):
        if isinstance(node, str):
            return [("", node)]
        items = node.findall(f"./*/{{{NS['rdf']}}}li")
        if not items:
            return [("", node.text or "")]
        return [(str(li.get(XML_LANG, "")), li.text or "") for li in items]
    return None


def _lang_default(items: list[tuple[str, str]]) -> str:
    return next((text for lang, text in items if lang == "x-default"), items[0][1])


def _check_info_agreement(reader: PdfFileReader, xmp: etree._Element, out: list[str]) -> None:
    info = reader.trailer_view.get("/Info")
    info = info.get_object() if info is not None else None
    if not isinstance(info, generic.DictionaryObject):
        return  # PDF/A-2 needs no Info; nothing can disagree
    texts = {
        "/Title": ("dc:title", _xmp_items(xmp, NS["dc"], "title"), True),
        "/Subject": ("dc:description", _xmp_items(xmp, NS["dc"], "description"), True),
        "/Author": ("dc:creator", _xmp_items(xmp, NS["dc"], "creator"), False),
        "/Keywords": ("pdf:Keywords", _xmp_items(xmp, NS["pdf"], "Keywords"), False),
        "/Producer": ("pdf:Producer", _xmp_items(xmp, NS["pdf"], "Producer"), False),
        "/Creator": ("xmp:CreatorTool", _xmp_items(xmp, NS["xmp"], "CreatorTool"), False),
    }
    for key, (prop, items, alternative) in texts.items():
        if key not in info:
            continue
        value = str(info[key])
        if not items:
            out.append(f"Info {key} ('{value}') ontbreekt in de XMP-metadata ({prop}).")
            continue
        if key == "/Author" and len(items) != 1:
            out.append(f"Info /Author hoort bij precies één dc:creator, niet {len(items)}.")
            continue
        xmp_value = _lang_default(items) if alternative else items[0][1]
        if xmp_value != value:
            out.append(f"Info {key} '{value}' verschilt van {prop} '{xmp_value}' in de XMP.")
    for key, prop, name in (
        ("/CreationDate", "xmp:CreateDate", "CreateDate"),
        ("/ModDate", "xmp:ModifyDate", "ModifyDate"),
    ):
        if key not in info:
            continue
        value = str(info[key])
        xmp_date = _xmp_value(xmp, NS["xmp"], name)
        if xmp_date is None:
            out.append(f"Info {key} ({value}) ontbreekt in de XMP-metadata ({prop}).")
        elif not _same_moment(_pdf_date(value), _xmp_date(xmp_date)):
            out.append(f"Info {key} {value} verschilt van {prop} {xmp_date} in de XMP.")


_PDF_DATE = re.compile(
    r"D:(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(?:(Z)|([+-])(\d{2})'?(\d{2})?'?)?"
)
_XMP_DATE = re.compile(
    r"(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?"
    r"(?:(Z)|([+-])(\d{2}):(\d{2}))?)?)?)?$"
)


def _date(groups: tuple[str | None, ...]) -> tuple[dt.datetime, bool] | None:
    year, month, day, hour, minute, second, zulu, sign, tz_hour, tz_minute = groups
    tz: dt.tzinfo | None = None
    if zulu:
        tz = dt.UTC
    elif sign:
        offset = dt.timedelta(hours=int(tz_hour or 0), minutes=int(tz_minute or 0))
        tz = dt.timezone(offset if sign == "+" else -offset)
    try:
        moment = dt.datetime(
            int(year or 0),
            int(month or 1),
            int(day or 1),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            tzinfo=tz,
        )
    except ValueError:
        return None
    return moment, tz is not None


def _pdf_date(value: str) -> tuple[dt.datetime, bool] | None:
    match = _PDF_DATE.match(value.strip())
    return _date(match.groups()) if match else None


def _xmp_date(value: str) -> tuple[dt.datetime, bool] | None:
    match = _XMP_DATE.match(value.strip())
    return _date(match.groups()) if match else None


def _same_moment(a: tuple[dt.datetime, bool] | None, b: tuple[dt.datetime, bool] | None) -> bool:
    if a is None or b is None:
        return False
    if a[1] and b[1]:
        return a[0] == b[0]
    # One side without a time zone: compare the wall-clock fields.
    return a[0].replace(tzinfo=None) == b[0].replace(tzinfo=None)


def _check_output_intent(root: generic.DictionaryObject, out: list[str]) -> bool:
    intents = root.get("/OutputIntents")
    intents = intents.get_object() if intents is not None else None
    profiles: set[tuple[int, int]] = set()
    found = False
    for entry in intents or []:
        intent = entry.get_object()
        if "/DestOutputProfile" in intent:
            ref = intent.raw_get("/DestOutputProfile")
            if isinstance(ref, generic.IndirectObject):
                profiles.add((ref.idnum, ref.generation))
        if intent.get("/S") != "/GTS_PDFA1":
            continue
        found = True
        profile = intent.get("/DestOutputProfile")
        profile = profile.get_object() if profile is not None else None
        if not isinstance(profile, generic.StreamObject):
            out.append("De PDF/A-output intent heeft geen ingebed ICC-profiel.")
            continue
        _check_icc(profile, out)
    if not found:
        out.append("De PDF/A-output intent (/GTS_PDFA1) ontbreekt.")
    if len(profiles) > 1:
        out.append("De output intents verwijzen naar verschillende ICC-profielen.")
    return found


def _check_icc(profile: generic.StreamObject, out: list[str]) -> None:
    data = profile.data
    if len(data) < 128 or data[36:40] != b"acsp":
        out.append("Het ICC-profiel van de output intent is geen geldig ICC-profiel.")
        return
    device_class, colour_space, major = data[12:16], data[16:20], data[8]
    if device_class not in (b"mntr", b"prtr"):
        out.append(f"Het ICC-profiel is van klasse {device_class!r}, niet mntr of prtr.")
    channels = {b"RGB ": 3, b"GRAY": 1, b"CMYK": 4}
    if colour_space not in channels:
        out.append(f"Het ICC-profiel heeft kleurruimte {colour_space!r}.")
    elif "/N" in profile and int(profile["/N"]) != channels[colour_space]:
        out.append("Het ICC-profiel heeft een /N die niet bij de kleurruimte past.")
    if major >= 5:
        out.append(f"Het ICC-profiel heeft versie {major}; PDF/A-2 wil een versie onder 5.")


def _check_fonts(walk: _Walk, out: list[str]) -> None:
    for font in walk.fonts:
        subtype = font.get("/Subtype")
        if subtype in ("/Type3", "/Type0"):
            continue
        name = str(font.get("/BaseFont", "?")).lstrip("/")
        descriptor = font.get("/FontDescriptor")
        descriptor = descriptor.get_object() if descriptor is not None else None
        if not isinstance(descriptor, generic.DictionaryObject) or not any(
            key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")
        ):
            out.append(f"Lettertype {name} is niet ingebed.")


def _check_actions(root: generic.DictionaryObject, walk: _Walk, out: list[str]) -> None:
    if "/AA" in root:
        out.append("De catalogus heeft extra acties (/AA).")
    names = root.get("/Names")
    if names is not None and "/JavaScript" in names.get_object():
        out.append("Het document bevat JavaScript (/Names /JavaScript).")
    for page in _pages(root):
        if "/AA" in page:
            out.append("Een pagina heeft extra acties (/AA).")
    for action in walk.actions:
        kind = action.get("/S")
        if kind in FORBIDDEN_ACTIONS:
            out.append(f"Actie {str(kind).lstrip('/')} is in PDF/A niet toegestaan.")
        elif kind == "/Named" and action.get("/N") not in ALLOWED_NAMED_ACTIONS:
            out.append(f"Benoemde actie {action.get('/N')} is in PDF/A niet toegestaan.")


def _check_annotations(pages: list[generic.DictionaryObject], out: list[str]) -> None:
    for number, page in enumerate(pages, start=1):
        for ref in page.get("/Annots") or []:
            annot = ref.get_object()
            subtype = annot.get("/Subtype")
            label = f"Annotatie {str(subtype).lstrip('/')} op pagina {number}"
            if subtype in FORBIDDEN_ANNOTATIONS or subtype not in KNOWN_ANNOTATIONS:
                out.append(f"{label}: dit type is in PDF/A niet toegestaan.")
            if subtype != "/Popup":
                flags = int(annot.get("/F", 0)) if "/F" in annot else None
                if flags is None:
                    out.append(f"{label} heeft geen vlaggen (/F).")
                elif not flags & PRINT or flags & (INVISIBLE | HIDDEN | NO_VIEW | TOGGLE_NO_VIEW):
                    out.append(f"{label} wordt niet afgedrukt of is verborgen (/F {flags}).")
            rect = [float(v) for v in annot.get("/Rect", [0, 0, 0, 0])]
            empty = len(rect) == 4 and rect[0] == rect[2] and rect[1] == rect[3]
            appearance = annot.get("/AP")
            if appearance is None:
                if not empty and subtype not in ("/Popup", "/Link"):
                    out.append(f"{label} heeft geen weergave (/AP).")
            else:
                keys = set(appearance.get_object().keys())
                if keys != {"/N"}:
                    out.append(f"{label}: de weergave mag alleen /N hebben, niet {sorted(keys)}.")
            if subtype == "/Widget" and ("/A" in annot or "/AA" in annot):
                out.append(f"{label} heeft een actie (/A of /AA).")


def _check_forms(root: generic.DictionaryObject, out: list[str]) -> None:
    if root.get("/NeedsRendering"):
        out.append("De catalogus vraagt NeedsRendering.")
    form = root.get("/AcroForm")
    if form is None:
        return
    form = form.get_object()
    if form.get("/NeedAppearances"):
        out.append("Het formulier vraagt NeedAppearances: de weergave staat niet in het bestand.")
    if "/XFA" in form:
        out.append("Het formulier bevat XFA.")
    for ref in form.get("/Fields") or []:
        if "/AA" in ref.get_object():
            out.append("Een formulierveld heeft extra acties (/AA).")


def _check_transparency(
    walk: _Walk, pages: list[generic.DictionaryObject], has_intent: bool, out: list[str]
) -> None:
    for gstate in walk.ext_gstates:
        modes = gstate.get("/BM")
        if modes is None:
            continue
        modes = modes.get_object()
        for mode in modes if isinstance(modes, generic.ArrayObject) else [modes]:
            if mode not in BLEND_MODES:
                out.append(f"Mengmodus {mode} bestaat niet in ISO 32000-1.")
    if walk.transparency and not has_intent:
        for number, page in enumerate(pages, start=1):
            group = page.get("/Group")
            if group is None or "/CS" not in group.get_object():
                out.append(
                    f"Pagina {number} heeft transparantie maar geen groep met kleurruimte "
                    "(en er is geen PDF/A-output intent)."
                )


def _check_signatures(reader: PdfFileReader, out: list[str]) -> None:
    for embedded in reader.embedded_signatures:
        name = embedded.field_name
        if embedded.evaluate_signature_coverage().name not in ("ENTIRE_REVISION", "ENTIRE_FILE"):
            out.append(f"Handtekening {name} dekt haar revisie niet volledig (/ByteRange).")
        try:
            embedded.signer_cert  # noqa: B018 — raises when the CMS lacks the certificate
        except Exception:  # noqa: BLE001
            out.append(f"Handtekening {name} bevat het certificaat van de ondertekenaar niet.")
