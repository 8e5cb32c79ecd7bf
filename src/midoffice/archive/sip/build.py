"""Build an E-ARK SIP (CSIP/SIP 2.1) for one closed dossier, and zip it reproducibly.

The package (one folder named after its OBJID)::

    uuid-<package id>/
      METS.xml                                  root METS: header, dmdSec (EAD3),
                                                amdSec (PREMIS), fileSec, structMap
      metadata/descriptive/ead.xml              EAD3: serie → dossier → stuk
      metadata/preservation/premis.xml          PREMIS 3: the dossier, the files (fixity,
                                                size, format) and the dossier's history
      documentation/LEESMIJ.txt                 what this package is, in Dutch
      schemas/mets.xsd, xlink.xsd, xml.xsd      the schemas the METS files use
      representations/rep1/METS.xml             the representation: every document
      representations/rep1/metadata/preservation/premis.xml
      representations/rep1/data/001-….eml …     raw mails, attachments, signed letters,
                                                portal uploads

Why EAD3 for the descriptive metadata: Digitaal Archief Vlaanderen describes records as
serie → dossier → stuk, and EAD is the archival standard built for exactly such a
hierarchy (``archdesc level="series"`` → ``c level="file"`` → ``c level="item"``), with
structured dates for the mandatory opening/closing and creation dates; it is the schema
E-ARK itself names for archival description (METS ``MDTYPE="EAD"``). Dublin Core is flat:
it would need three unrelated records to say what one EAD document says.

How the METS is written follows what eark-validator 1.1.3 checks for CSIP 2.1.0 (ADR 14):
every file group carries ``csip:CONTENTINFORMATIONTYPE="OTHER"`` with its
``OTHERCONTENTINFORMATIONTYPE``, the documentation and schemas groups are present, the
``Representations`` division points to the representation's file group and holds the
``Representations/rep1`` division with its ``mptr``; the only ``CREATOR`` agent is the
software (the validator applies the software agent's rules to every ``CREATOR``), the
town is the ``ARCHIVIST`` (archival creator) and the e-depot the ``PRESERVATION`` agent.

A rebuild of the same transfer writes the same bytes: every date comes from the data or
from the transfer's request time, and the ZIP has fixed entry times and order.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import shutil
import unicodedata
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from lxml import etree

from midoffice.archive.sip.formats import PRONOM, FileFormat, identify
from midoffice.archive.sip.model import SipContext, SipDocument, SipDossier, sip_problems

METS = "http://www.loc.gov/METS/"
CSIP = "https://DILCIS.eu/XML/METS/CSIPExtensionMETS"
SIP = "https://DILCIS.eu/XML/METS/SIPExtensionMETS"
XLINK = "http://www.w3.org/1999/xlink"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
PREMIS = "http://www.loc.gov/premis/v3"
EAD = "http://ead3.archivists.org/schema/"
SIP_PROFILE = "https://earksip.dilcis.eu/profile/E-ARK-SIP.xml"
CONTENT_TYPE = "Mixed"  # mails, PDFs, photos, plans (CSIP content category vocabulary)
OTHER_CIT = "DAV-basismodel serie-dossier-stuk (EAD3, PREMIS 3)"
XML_MEDIA_TYPE = "text/xml"  # application/xml is not in the validator's IANA list
SCHEMAS = ("mets.xsd", "xlink.xsd", "xml.xsd")
REP = "rep1"
KIND_LABELS = {
    "mail": "E-mail",
    "attachment": "Bijlage",
    "letter": "Brief",
    "letter-attachment": "Bijlage bij brief",
    "attestation": "Bewijs van afgifte",
    "upload": "Document van de burger",
    "property": "Vastgoedinformatie",
    "system": "Document van een maatsysteem",
}
# Audit of reads is not the dossier's history: who opened the page stays in Midoffice.
EVENTS_LEFT_OUT = frozenset({"dossier.viewed"})


class PackageRefused(Exception):
    """The dossier cannot become a package; ``reason`` says why, in Dutch."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class PackedFile:
    path: str  # relative to the package root, POSIX
    size: int
    sha256: str
    created: dt.datetime
    format: FileFormat
    document: SipDocument | None = None

    @property
    def file_id(self) -> str:
        return "file-" + hashlib.sha1(self.path.encode()).hexdigest()[:12]  # noqa: S324 - an id


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _slug(text: str, *, limit: int = 60) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:limit].rstrip("-") or "document"


def _q(namespace: str, name: str) -> str:
    return f"{{{namespace}}}{name}"


def _sub(
    parent: etree._Element,
    namespace: str,
    name: str,
    text: str | None = None,
    *,
    attrib: Mapping[str, str] | None = None,
    **attrs: str,
) -> etree._Element:
    element = etree.SubElement(parent, _q(namespace, name), attrib={**(attrib or {}), **attrs})
    if text is not None:
        element.text = text
    return element


def _write_xml(root: etree._Element, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(
        etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    )


def _packed(root: Path, path: Path, *, created: dt.datetime, fmt: FileFormat) -> PackedFile:
    data = path.read_bytes()
    return PackedFile(
        path=path.relative_to(root).as_posix(),
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        created=created,
        format=fmt,
    )


_XML_FORMAT = FileFormat(XML_MEDIA_TYPE, "Extensible Markup Language", "1.0", "fmt/101", "xml")
_XSD_FORMAT = FileFormat(XML_MEDIA_TYPE, "XML Schema Definition", "1.0", "", "xsd")
_TEXT_FORMAT = FileFormat("text/plain", "Plain Text File", "", "x-fmt/111", "txt")


# --- data --------------------------------------------------------------------------


def _document_order(document: SipDocument) -> tuple[dt.datetime, str, bool, str]:
    """Oldest first; a mail before its attachments."""
    created = document.created or dt.datetime.min.replace(tzinfo=dt.UTC)
    return (created, document.parent_key or document.key, bool(document.parent_key), document.key)


def _write_documents(dossier: SipDossier, data_dir: Path, root: Path) -> list[PackedFile]:
    data_dir.mkdir(parents=True, exist_ok=True)
    packed = []
    for number, document in enumerate(sorted(dossier.documents, key=_document_order), start=1):
        try:
            content = document.read()
        except Exception as exc:
            raise PackageRefused(
                f"Het bestand van ‘{document.name}’ ontbreekt of is beschadigd "
                f"({type(exc).__name__})."
            ) from exc
        digest = hashlib.sha256(content).hexdigest()
        if document.sha256 and digest != document.sha256:
            raise PackageRefused(
                f"Het bestand van ‘{document.name}’ is beschadigd: het controlegetal klopt "
                "niet met wat bij de ontvangst werd bewaard."
            )
        fmt = identify(content, claimed_type=document.claimed_type, filename=document.filename)
        stem = Path(document.filename).stem if document.filename else document.name
        path = data_dir / f"{number:03d}-{_slug(stem)}.{fmt.extension or 'bin'}"
        path.write_bytes(content)
        assert document.created is not None  # sip_problems refused it otherwise
        packed.append(
            PackedFile(
                path=path.relative_to(root).as_posix(),
                size=len(content),
                sha256=digest,
                created=document.created,
                format=fmt,
                document=document,
            )
        )
    return packed


# --- EAD3 ---------------------------------------------------------------------------


def _date_text(day: dt.date) -> str:
    return f"{day:%d-%m-%Y}"


def ead_build(
    dossier: SipDossier, context: SipContext, packed: list[PackedFile], *, href_base: str
) -> etree._Element:
    """EAD3: the series, the dossier as a file, every document as an item."""
    ead = etree.Element(_q(EAD, "ead"), nsmap={None: EAD})
    control = _sub(ead, EAD, "control")
    _sub(control, EAD, "recordid", context.objid)
    filedesc = _sub(control, EAD, "filedesc")
    titlestmt = _sub(filedesc, EAD, "titlestmt")
    _sub(titlestmt, EAD, "titleproper", f"Dossier {dossier.reference}: {dossier.name}")
    _sub(control, EAD, "maintenancestatus", value="new")
    agency = _sub(control, EAD, "maintenanceagency")
    if context.archival_creator_code:
        _sub(agency, EAD, "agencycode", context.archival_creator_code)
    _sub(agency, EAD, "agencyname", context.archival_creator)
    languages = _sub(control, EAD, "languagedeclaration")
    _sub(languages, EAD, "language", "Nederlands", langcode="dut")
    _sub(languages, EAD, "script", "Latijns", scriptcode="Latn")
    history = _sub(control, EAD, "maintenancehistory")
    event = _sub(history, EAD, "maintenanceevent")
    _sub(event, EAD, "eventtype", value="created")
    _sub(event, EAD, "eventdatetime", _iso(context.created), standarddatetime=_iso(context.created))
    _sub(event, EAD, "agenttype", value="machine")
    _sub(event, EAD, "agent", f"{context.software} {context.software_version}")

    archdesc = _sub(ead, EAD, "archdesc", level="series")
    did = _sub(archdesc, EAD, "did")
    _sub(did, EAD, "unitid", dossier.series_code, localtype="serie-id")
    _sub(did, EAD, "unittitle", dossier.series_name)
    dsc = _sub(archdesc, EAD, "dsc")
    file_c = _sub(dsc, EAD, "c", level="file", id="dossier")
    file_did = _sub(file_c, EAD, "did")
    _sub(file_did, EAD, "unitid", dossier.reference, localtype="dossiernummer")
    _sub(file_did, EAD, "unittitle", dossier.name)
    assert dossier.opened is not None
    assert dossier.closed is not None
    dates = _sub(file_did, EAD, "unitdatestructured", unitdatetype="inclusive")
    span = _sub(dates, EAD, "daterange")
    _sub(span, EAD, "fromdate", _date_text(dossier.opened), standarddate=dossier.opened.isoformat())
    _sub(span, EAD, "todate", _date_text(dossier.closed), standarddate=dossier.closed.isoformat())
    _sub(file_did, EAD, "physdesc", f"{len(packed)} documenten")
    scope = _sub(file_c, EAD, "scopecontent")
    _sub(
        scope, EAD, "p", f"Dossiertype: {dossier.dossier_type_name} ({dossier.dossier_type_code})."
    )
    if dossier.result:
        _sub(scope, EAD, "p", f"Resultaat: {dossier.result}.")
    for number, item in enumerate(packed, start=1):
        document = item.document
        assert document is not None
        c = _sub(file_c, EAD, "c", level="item", id=f"stuk-{number:03d}")
        item_did = _sub(c, EAD, "did")
        _sub(item_did, EAD, "unitid", f"{dossier.reference}/{number:03d}")
        _sub(item_did, EAD, "unittitle", document.name)
        created = (
            item.created.astimezone(dt.UTC).date() if item.created.tzinfo else item.created.date()
        )
        when = _sub(item_did, EAD, "unitdatestructured", unitdatetype="inclusive")
        _sub(when, EAD, "datesingle", _date_text(created), standarddate=created.isoformat())
        _sub(
            item_did,
            EAD,
            "physdesc",
            f"{KIND_LABELS.get(document.kind, document.kind)}, {item.format.name}",
        )
        _sub(
            item_did,
            EAD,
            "dao",
            daotype="borndigital",
            href=f"{href_base}{item.path}",
            linktitle=document.name,
        )
    return ead


# --- PREMIS 3 -----------------------------------------------------------------------


def _premis_root() -> etree._Element:
    return etree.Element(
        _q(PREMIS, "premis"),
        nsmap={None: PREMIS, "xsi": XSI},
        attrib={"version": "3.0"},
    )


def _identifier(parent: etree._Element, element: str, kind: str, value: str) -> None:
    holder = _sub(parent, PREMIS, element)
    _sub(holder, PREMIS, f"{element}Type", kind)
    _sub(holder, PREMIS, f"{element}Value", value)


def _file_object(parent: etree._Element, item: PackedFile, *, path: str, belongs_to: str) -> None:
    obj = _sub(parent, PREMIS, "object", attrib={_q(XSI, "type"): "file"})
    _identifier(obj, "objectIdentifier", "local", path)
    characteristics = _sub(obj, PREMIS, "objectCharacteristics")
    _sub(characteristics, PREMIS, "compositionLevel", "0")
    fixity = _sub(characteristics, PREMIS, "fixity")
    _sub(fixity, PREMIS, "messageDigestAlgorithm", "SHA-256")
    _sub(fixity, PREMIS, "messageDigest", item.sha256)
    _sub(fixity, PREMIS, "messageDigestOriginator", "Midoffice")
    _sub(characteristics, PREMIS, "size", str(item.size))
    fmt = _sub(characteristics, PREMIS, "format")
    designation = _sub(fmt, PREMIS, "formatDesignation")
    _sub(designation, PREMIS, "formatName", item.format.name)
    if item.format.version:
        _sub(designation, PREMIS, "formatVersion", item.format.version)
    if item.format.pronom:
        registry = _sub(fmt, PREMIS, "formatRegistry")
        _sub(registry, PREMIS, "formatRegistryName", PRONOM)
        _sub(registry, PREMIS, "formatRegistryKey", item.format.pronom)
        _sub(registry, PREMIS, "formatRegistryRole", "specification")
    _sub(
        fmt,
        PREMIS,
        "formatNote",
        f"mediatype {item.format.media_type}"
        + ("" if item.format.by_content else " (zoals opgegeven; niet herkend aan de inhoud)"),
    )
    if item.document is not None and item.document.filename:
        _sub(obj, PREMIS, "originalName", item.document.filename)
    relation = _sub(obj, PREMIS, "relationship")
    _sub(relation, PREMIS, "relationshipType", "structural")
    _sub(relation, PREMIS, "relationshipSubType", "is included in")
    related = _sub(relation, PREMIS, "relatedObjectIdentifier")
    _sub(related, PREMIS, "relatedObjectIdentifierType", "local")
    _sub(related, PREMIS, "relatedObjectIdentifierValue", belongs_to)


def _representation_object(parent: etree._Element, dossier: SipDossier) -> None:
    obj = _sub(parent, PREMIS, "object", attrib={_q(XSI, "type"): "representation"})
    _identifier(obj, "objectIdentifier", "local", REP)
    relation = _sub(obj, PREMIS, "relationship")
    _sub(relation, PREMIS, "relationshipType", "structural")
    _sub(relation, PREMIS, "relationshipSubType", "represents")
    related = _sub(relation, PREMIS, "relatedObjectIdentifier")
    _sub(related, PREMIS, "relatedObjectIdentifierType", "dossiernummer")
    _sub(related, PREMIS, "relatedObjectIdentifierValue", dossier.reference)


def premis_representation(dossier: SipDossier, packed: list[PackedFile]) -> etree._Element:
    """The representation's PREMIS: the representation and its files."""
    root = _premis_root()
    _representation_object(root, dossier)
    prefix = f"representations/{REP}/"
    for item in packed:
        _file_object(root, item, path=item.path.removeprefix(prefix), belongs_to=REP)
    return root


def premis_package(
    dossier: SipDossier, context: SipContext, packed: list[PackedFile]
) -> etree._Element:
    """The package's PREMIS: the dossier, its representation and files, its history as
    events (and the packaging itself), and the agents."""
    root = _premis_root()
    entity = _sub(root, PREMIS, "object", attrib={_q(XSI, "type"): "intellectualEntity"})
    _identifier(entity, "objectIdentifier", "dossiernummer", dossier.reference)
    _identifier(entity, "objectIdentifier", "UUID", str(context.package_id))
    _sub(entity, PREMIS, "originalName", dossier.name)
    _representation_object(root, dossier)
    for item in packed:
        _file_object(root, item, path=item.path, belongs_to=REP)

    agents: dict[str, str] = {}  # label → agent id

    def agent_id(label: str) -> str:
        return agents.setdefault(label, f"agent-{len(agents) + 1}")

    software = f"{context.software} {context.software_version}"
    software_id = agent_id(software)
    for event in dossier.events:
        if event.kind in EVENTS_LEFT_OUT:
            continue
        element = _sub(root, PREMIS, "event")
        _identifier(element, "eventIdentifier", "Midoffice-gebeurtenis", str(event.event_id))
        _sub(element, PREMIS, "eventType", event.kind)
        _sub(element, PREMIS, "eventDateTime", _iso(event.at))
        detail = _sub(element, PREMIS, "eventDetailInformation")
        _sub(
            detail,
            PREMIS,
            "eventDetail",
            f"{event.label}: {event.summary}" if event.summary else event.label,
        )
        linked = _sub(element, PREMIS, "linkingAgentIdentifier")
        _sub(linked, PREMIS, "linkingAgentIdentifierType", "local")
        _sub(linked, PREMIS, "linkingAgentIdentifierValue", agent_id(event.agent or "Midoffice"))
        obj = _sub(element, PREMIS, "linkingObjectIdentifier")
        _sub(obj, PREMIS, "linkingObjectIdentifierType", "dossiernummer")
        _sub(obj, PREMIS, "linkingObjectIdentifierValue", dossier.reference)
    for number, (kind, detail_text) in enumerate(
        (
            ("message digest calculation", "SHA-256 van elk bestand berekend en gecontroleerd"),
            ("format identification", "Bestandsformaat herkend aan de inhoud (magische bytes)"),
            ("creation", f"Pakket {context.objid} gemaakt (E-ARK SIP 2.1)"),
        ),
        start=1,
    ):
        element = _sub(root, PREMIS, "event")
        _identifier(element, "eventIdentifier", "local", f"{context.objid}-{number}")
        _sub(element, PREMIS, "eventType", kind)
        _sub(element, PREMIS, "eventDateTime", _iso(context.created))
        detail = _sub(element, PREMIS, "eventDetailInformation")
        _sub(detail, PREMIS, "eventDetail", detail_text)
        outcome = _sub(element, PREMIS, "eventOutcomeInformation")
        _sub(outcome, PREMIS, "eventOutcome", "success")
        linked = _sub(element, PREMIS, "linkingAgentIdentifier")
        _sub(linked, PREMIS, "linkingAgentIdentifierType", "local")
        _sub(linked, PREMIS, "linkingAgentIdentifierValue", software_id)
        obj = _sub(element, PREMIS, "linkingObjectIdentifier")
        _sub(obj, PREMIS, "linkingObjectIdentifierType", "UUID")
        _sub(obj, PREMIS, "linkingObjectIdentifierValue", str(context.package_id))
    for label, identifier in agents.items():
        agent = _sub(root, PREMIS, "agent")
        _identifier(agent, "agentIdentifier", "local", identifier)
        _sub(agent, PREMIS, "agentName", label)
        _sub(agent, PREMIS, "agentType", "software" if identifier == software_id else "person")
        if identifier == software_id:
            _sub(agent, PREMIS, "agentVersion", context.software_version)
    return root


# --- METS ---------------------------------------------------------------------------


def _mets_root(*, objid: str, label: str) -> etree._Element:
    return etree.Element(
        _q(METS, "mets"),
        nsmap={"mets": METS, "csip": CSIP, "sip": SIP, "xlink": XLINK, "xsi": XSI},
        attrib={
            "OBJID": objid,
            "LABEL": label,
            "TYPE": CONTENT_TYPE,
            _q(CSIP, "CONTENTINFORMATIONTYPE"): "OTHER",
            _q(CSIP, "OTHERCONTENTINFORMATIONTYPE"): OTHER_CIT,
            "PROFILE": SIP_PROFILE,
            _q(XSI, "schemaLocation"): f"{METS} schemas/mets.xsd {XLINK} schemas/xlink.xsd",
        },
    )


def _mets_header(mets: etree._Element, context: SipContext, *, reference_code: str) -> None:
    created = _iso(context.created)
    header = _sub(
        mets,
        METS,
        "metsHdr",
        CREATEDATE=created,
        LASTMODDATE=created,
        RECORDSTATUS="NEW",
        attrib={_q(CSIP, "OAISPACKAGETYPE"): "SIP"},
    )
    software = _sub(header, METS, "agent", ROLE="CREATOR", TYPE="OTHER", OTHERTYPE="SOFTWARE")
    _sub(software, METS, "name", context.software)
    _sub(
        software,
        METS,
        "note",
        context.software_version,
        attrib={_q(CSIP, "NOTETYPE"): "SOFTWARE VERSION"},
    )
    creator = _sub(header, METS, "agent", ROLE="ARCHIVIST", TYPE="ORGANIZATION")
    _sub(creator, METS, "name", context.archival_creator)
    if context.archival_creator_code:
        _sub(
            creator,
            METS,
            "note",
            context.archival_creator_code,
            attrib={_q(CSIP, "NOTETYPE"): "IDENTIFICATIONCODE"},
        )
    keeper = _sub(header, METS, "agent", ROLE="PRESERVATION", TYPE="ORGANIZATION")
    _sub(keeper, METS, "name", context.preservation_agency)
    if reference_code:
        _sub(header, METS, "altRecordID", reference_code, TYPE="REFERENCECODE")


def _md_ref(
    parent: etree._Element, item: PackedFile, *, href: str, mdtype: str, version: str
) -> None:
    _sub(
        parent,
        METS,
        "mdRef",
        LOCTYPE="URL",
        MDTYPE=mdtype,
        MDTYPEVERSION=version,
        MIMETYPE=item.format.media_type,
        SIZE=str(item.size),
        CREATED=_iso(item.created),
        CHECKSUM=item.sha256,
        CHECKSUMTYPE="SHA-256",
        attrib={_q(XLINK, "type"): "simple", _q(XLINK, "href"): href},
    )


def _file_group(
    parent: etree._Element, *, group_id: str, use: str, items: list[PackedFile], base: str
) -> None:
    group = _sub(
        parent,
        METS,
        "fileGrp",
        ID=group_id,
        USE=use,
        attrib={
            _q(CSIP, "CONTENTINFORMATIONTYPE"): "OTHER",
            _q(CSIP, "OTHERCONTENTINFORMATIONTYPE"): OTHER_CIT,
        },
    )
    for item in items:
        attrs = {
            "ID": item.file_id,
            "MIMETYPE": item.format.media_type,
            "SIZE": str(item.size),
            "CREATED": _iso(item.created),
            "CHECKSUM": item.sha256,
            "CHECKSUMTYPE": "SHA-256",
            _q(SIP, "FILEFORMATNAME"): item.format.name,
        }
        if item.format.version:
            attrs[_q(SIP, "FILEFORMATVERSION")] = item.format.version
        if item.format.pronom:
            attrs[_q(SIP, "FILEFORMATREGISTRY")] = PRONOM
            attrs[_q(SIP, "FILEFORMATKEY")] = item.format.pronom
        file_element = _sub(group, METS, "file", attrib=attrs)
        _sub(
            file_element,
            METS,
            "FLocat",
            LOCTYPE="URL",
            attrib={_q(XLINK, "type"): "simple", _q(XLINK, "href"): item.path.removeprefix(base)},
        )


def mets_representation(
    dossier: SipDossier, context: SipContext, packed: list[PackedFile], premis: PackedFile
) -> etree._Element:
    base = f"representations/{REP}/"
    mets = _mets_root(
        objid=f"{context.objid}-{REP}", label=f"Dossier {dossier.reference}: documenten"
    )
    _mets_header(mets, context, reference_code="")
    amd = _sub(mets, METS, "amdSec")
    digiprov = _sub(
        amd, METS, "digiprovMD", ID="rep-premis", CREATED=_iso(context.created), STATUS="CURRENT"
    )
    _md_ref(digiprov, premis, href=premis.path.removeprefix(base), mdtype="PREMIS", version="3.0")
    file_sec = _sub(mets, METS, "fileSec", ID="rep-filesec")
    _file_group(file_sec, group_id="rep-data", use="Data", items=packed, base=base)
    struct = _sub(mets, METS, "structMap", ID="rep-structmap", TYPE="PHYSICAL", LABEL="CSIP")
    top = _sub(struct, METS, "div", ID="rep-div", LABEL=REP)
    _sub(top, METS, "div", ID="rep-div-metadata", LABEL="Metadata", ADMID="rep-premis")
    data = _sub(top, METS, "div", ID="rep-div-data", LABEL="Data")
    for item in packed:
        _sub(data, METS, "fptr", FILEID=item.file_id)
    return mets


def mets_package(
    dossier: SipDossier,
    context: SipContext,
    *,
    ead: PackedFile,
    premis: PackedFile,
    documentation: list[PackedFile],
    schemas: list[PackedFile],
    representation: PackedFile,
) -> etree._Element:
    label = f"Dossier {dossier.reference}: {dossier.name}"
    mets = _mets_root(objid=context.objid, label=label)
    _mets_header(mets, context, reference_code=f"{dossier.series_code}/{dossier.reference}")
    created = _iso(context.created)
    dmd = _sub(mets, METS, "dmdSec", ID="dmd-ead", CREATED=created, STATUS="CURRENT")
    _md_ref(dmd, ead, href=ead.path, mdtype="EAD", version="EAD3")
    amd = _sub(mets, METS, "amdSec")
    digiprov = _sub(
        amd, METS, "digiprovMD", ID="digiprov-premis", CREATED=created, STATUS="CURRENT"
    )
    _md_ref(digiprov, premis, href=premis.path, mdtype="PREMIS", version="3.0")
    file_sec = _sub(mets, METS, "fileSec", ID="filesec")
    _file_group(
        file_sec, group_id="grp-documentation", use="Documentation", items=documentation, base=""
    )
    _file_group(file_sec, group_id="grp-schemas", use="Schemas", items=schemas, base="")
    _file_group(
        file_sec,
        group_id=f"grp-{REP}",
        use=f"Representations/{REP}",
        items=[representation],
        base="",
    )
    struct = _sub(mets, METS, "structMap", ID="structmap-csip", TYPE="PHYSICAL", LABEL="CSIP")
    top = _sub(struct, METS, "div", ID="div-package", LABEL=context.objid)
    _sub(
        top,
        METS,
        "div",
        ID="div-metadata",
        LABEL="Metadata",
        ADMID="digiprov-premis",
        DMDID="dmd-ead",
    )
    docs = _sub(top, METS, "div", ID="div-documentation", LABEL="Documentation")
    _sub(docs, METS, "fptr", FILEID="grp-documentation")
    schema_div = _sub(top, METS, "div", ID="div-schemas", LABEL="Schemas")
    _sub(schema_div, METS, "fptr", FILEID="grp-schemas")
    reps = _sub(top, METS, "div", ID="div-representations", LABEL="Representations")
    _sub(reps, METS, "fptr", FILEID=f"grp-{REP}")
    rep = _sub(reps, METS, "div", ID=f"div-{REP}", LABEL=f"Representations/{REP}")
    _sub(
        rep,
        METS,
        "mptr",
        LOCTYPE="URL",
        attrib={
            _q(XLINK, "type"): "simple",
            _q(XLINK, "href"): representation.path,
            _q(XLINK, "title"): f"grp-{REP}",
        },
    )
    return mets


# --- documentation ------------------------------------------------------------------


def _readme(dossier: SipDossier, context: SipContext, packed: list[PackedFile]) -> str:
    lines = [
        f"Overdrachtspakket {context.objid}",
        "",
        f"Dossier {dossier.reference}: {dossier.name}",
        f"Dossiertype: {dossier.dossier_type_name}",
        f"Archiefserie: {dossier.series_name} ({dossier.series_code})",
        f"Archiefvormer: {context.archival_creator}",
        f"Gemaakt door {context.software} {context.software_version} op {_iso(context.created)}.",
        "",
        "Dit is een E-ARK SIP (CSIP/SIP 2.1). METS.xml beschrijft het pakket;",
        "metadata/descriptive/ead.xml beschrijft serie, dossier en stukken (EAD3);",
        "metadata/preservation/premis.xml bevat de geschiedenis van het dossier, de",
        "controlegetallen (SHA-256), groottes en formaten (PREMIS 3);",
        f"representations/{REP}/data/ bevat de {len(packed)} documenten van het dossier:",
        "de oorspronkelijke e-mails (.eml), hun bijlagen, de ondertekende brieven en",
        "wat de burger via het loket toevoegde.",
        "",
    ]
    return "\n".join(lines)


# --- the package --------------------------------------------------------------------


def _copy_schemas(root: Path, created: dt.datetime) -> list[PackedFile]:
    target = root / "schemas"
    target.mkdir(parents=True, exist_ok=True)
    source = files("eark_validator.ipxml.resources.schema")
    packed = []
    for name in SCHEMAS:
        path = target / name
        path.write_bytes(source.joinpath(name).read_bytes())
        packed.append(_packed(root, path, created=created, fmt=_XSD_FORMAT))
    return packed


def sip_build(*, dossier: SipDossier, context: SipContext, into: Path) -> Path:
    """Write the package folder under ``into`` and return it.

    Raises :class:`PackageRefused` (Dutch reason) before writing anything when the
    dossier misses a mandatory field, or when a stored file no longer matches its hash.
    """
    problems = sip_problems(dossier)
    if problems:
        raise PackageRefused(" ".join(problems))
    root = into / context.objid
    if root.exists():
        shutil.rmtree(root)
    rep_dir = root / "representations" / REP
    packed = _write_documents(dossier, rep_dir / "data", root)

    rep_premis_path = rep_dir / "metadata" / "preservation" / "premis.xml"
    _write_xml(premis_representation(dossier, packed), rep_premis_path)
    rep_premis = _packed(root, rep_premis_path, created=context.created, fmt=_XML_FORMAT)
    rep_mets_path = rep_dir / "METS.xml"
    _write_xml(mets_representation(dossier, context, packed, rep_premis), rep_mets_path)
    rep_mets = _packed(root, rep_mets_path, created=context.created, fmt=_XML_FORMAT)

    ead_path = root / "metadata" / "descriptive" / "ead.xml"
    _write_xml(ead_build(dossier, context, packed, href_base="../../"), ead_path)
    ead = _packed(root, ead_path, created=context.created, fmt=_XML_FORMAT)
    premis_path = root / "metadata" / "preservation" / "premis.xml"
    _write_xml(premis_package(dossier, context, packed), premis_path)
    premis = _packed(root, premis_path, created=context.created, fmt=_XML_FORMAT)

    readme_path = root / "documentation" / "LEESMIJ.txt"
    readme_path.parent.mkdir(parents=True, exist_ok=True)
    readme_path.write_text(_readme(dossier, context, packed), encoding="utf-8")
    documentation = [_packed(root, readme_path, created=context.created, fmt=_TEXT_FORMAT)]
    schemas = _copy_schemas(root, context.created)

    mets = mets_package(
        dossier,
        context,
        ead=ead,
        premis=premis,
        documentation=documentation,
        schemas=schemas,
        representation=rep_mets,
    )
    _write_xml(mets, root / "METS.xml")
    return root


def sip_zip(root: Path, zip_path: Path, *, when: dt.datetime) -> tuple[str, int]:
    """Zip the package folder reproducibly; returns (SHA-256, size) of the ZIP."""
    stamp = when.astimezone(dt.UTC).timetuple()[:6]
    zip_path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(zip_path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        entries = sorted(p for p in root.rglob("*") if p.is_file())
        for path in entries:
            info = zipfile.ZipInfo(
                f"{root.name}/{path.relative_to(root).as_posix()}", date_time=stamp
            )
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            with path.open("rb") as source, archive.open(info, "w") as target:
                shutil.copyfileobj(source, target, 1 << 20)
    digest = hashlib.sha256()
    with zip_path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest(), zip_path.stat().st_size
