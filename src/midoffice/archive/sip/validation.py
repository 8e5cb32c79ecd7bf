"""Validate an E-ARK SIP before it leaves: eark-validator (offline) plus our fixity check.

``eark-validator`` 1.1.3 is the reference implementation of the E-ARK CSIP/SIP rules
(structure, METS schema, Schematron). Two things about it decide how it is used here
(ADR 14):

* At import, ``eark_validator.ipxml.schematron`` builds four vocabulary tests by
  downloading ``https://earkcsip.dilcis.eu/schema/CSIPVocabulary*.xml`` with
  ``urllib.request.urlopen`` — files the package itself ships in
  ``eark_validator/ipxml/resources/vocabs``. :func:`_import_offline` imports that module
  with ``urllib.request.urlopen`` replaced by a function that serves exactly those URLs
  from the bundled copies and refuses every other URL. The module binds the name at
  import (``from urllib.request import urlopen``), so it keeps the offline function; the
  rest of the process gets the real ``urlopen`` back at once.
* It checks the package's structure and its root METS.xml, not the files' checksums or
  the representation METS. :func:`fixity_problems` does that: every file a METS file
  names exists with its SIZE and SHA-256, and every file in the package is named.

It runs on lxml 6 although it pins lxml 5.1 (installed with ``--no-deps``); the tests run
the real validator on real packages, so a break shows there.
"""

from __future__ import annotations

import hashlib
import importlib
import io
import shutil
import sys
import tempfile
import threading
import urllib.request
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path, PurePosixPath
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

from lxml import etree

METS_NS = "http://www.loc.gov/METS/"
XLINK_NS = "http://www.w3.org/1999/xlink"
VOCABULARY_HOST = "earkcsip.dilcis.eu"
VOCABULARY_PATH = "/schema/"
_import_lock = threading.Lock()


class ValidatorNetworkRefused(OSError):
    """eark-validator asked for a URL that is not one of its bundled vocabularies."""


def _bundled_vocabulary(url: str) -> io.BytesIO:
    """Serve ``https://earkcsip.dilcis.eu/schema/<name>.xml`` from the bundled copy."""
    parts = urlsplit(str(getattr(url, "full_url", url)))
    name = PurePosixPath(parts.path).name
    if (
        parts.scheme != "https"
        or parts.hostname != VOCABULARY_HOST
        or not parts.path.startswith(VOCABULARY_PATH)
        or not name.endswith(".xml")
    ):
        raise ValidatorNetworkRefused(f"eark-validator runs offline; refused {parts.geturl()}")
    resource = files("eark_validator.ipxml.resources.vocabs").joinpath(name)
    if not resource.is_file():
        raise ValidatorNetworkRefused(f"no bundled vocabulary {name}")
    return io.BytesIO(resource.read_bytes())


def _import_offline() -> ModuleType:
    """Import eark-validator's Schematron module with its vocabularies from the package."""
    name = "eark_validator.ipxml.schematron"
    with _import_lock:
        if name in sys.modules:
            return sys.modules[name]
        real = urllib.request.urlopen
        urllib.request.urlopen = _bundled_vocabulary  # type: ignore[assignment]  # see docstring
        try:
            return importlib.import_module(name)
        finally:
            urllib.request.urlopen = real


_profiles: dict[tuple[str, str], Any] = {}
_validate_lock = threading.Lock()


def _validator() -> Any:
    """The package validator, imported offline (the first call pays the import, ~1 s).

    eark-validator compiles its sixteen Schematron rule sets for every package it checks
    (two thirds of the time a package takes); a profile is reusable, so the compiled
    ones are kept per process. A profile keeps the last results on itself, hence one
    validation at a time per process (``_validate_lock``).
    """
    _import_offline()
    from eark_validator import packages, rules

    if not getattr(rules, "_midoffice_cached", False):
        compile_profile = rules.ValidationProfile

        def cached_profile(kind: Any, version: Any) -> Any:
            key = (str(kind), str(version))
            if key not in _profiles:
                _profiles[key] = compile_profile(kind, version)
            return _profiles[key]

        rules.ValidationProfile = cached_profile
        rules._midoffice_cached = True
    return packages


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: str  # "error" | "warning" | "info"
    message: str
    location: str = ""


@dataclass(frozen=True)
class ValidationResult:
    """What the checks found. Valid means: no error from either check."""

    findings: list[Finding] = field(default_factory=list)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]

    @property
    def valid(self) -> bool:
        return not self.errors

    def reason_nl(self, *, limit: int = 5) -> str:
        """The errors for people, in Dutch (the rule texts themselves are English)."""
        if self.valid:
            return ""
        shown = "; ".join(f"{e.rule}: {e.message}" for e in self.errors[:limit])
        more = len(self.errors) - limit
        suffix = f" (en nog {more})" if more > 0 else ""
        return f"Het pakket voldoet niet aan de E-ARK-regels: {shown}{suffix}."


def _severity(value: object) -> str:
    text = str(getattr(value, "value", value)).lower()
    if text.startswith("err"):
        return "error"
    if text.startswith("warn"):
        return "warning"
    return "info"


def eark_findings(root: Path) -> list[Finding]:
    """Run eark-validator (E-ARK CSIP/SIP 2.1.0) on an unpacked package folder."""
    packages = _validator()
    from eark_validator.specifications.specification import SpecificationVersion

    try:
        with _validate_lock:
            report = packages.PackageValidator.validate(SpecificationVersion.V2_1_0, root)
    except Exception as exc:  # noqa: BLE001 - the validator raises on what it cannot read
        return [Finding("EARK", "error", f"eark-validator could not read the package: {exc}")]
    messages: list[Any] = list(report.structure.messages if report.structure else [])
    if report.metadata is not None:
        messages += report.metadata.schema_results.messages
        messages += report.metadata.schematron_results.messages
    return [
        Finding(
            rule=str(m.rule_id or ""),
            severity=_severity(m.severity),
            message=str(m.message or "").strip(),
            location=str(m.location or "")[:300],
        )
        for m in messages
    ]


def _mets_references(mets_path: Path) -> Iterator[tuple[str, int, str, str]]:
    """(href, SIZE, CHECKSUMTYPE, CHECKSUM) of every file and mdRef a METS file names."""
    tree = etree.parse(str(mets_path), etree.XMLParser(resolve_entities=False, no_network=True))
    for element in tree.iter(f"{{{METS_NS}}}file", f"{{{METS_NS}}}mdRef"):
        if element.tag == f"{{{METS_NS}}}file":
            location = element.find(f"{{{METS_NS}}}FLocat")
            href = location.get(f"{{{XLINK_NS}}}href", "") if location is not None else ""
        else:
            href = element.get(f"{{{XLINK_NS}}}href", "")
        yield (
            href,
            int(element.get("SIZE", "-1")),
            element.get("CHECKSUMTYPE", ""),
            element.get("CHECKSUM", "").lower(),
        )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def fixity_problems(root: Path) -> list[Finding]:
    """Every file a METS names is there with its size and SHA-256; nothing is unnamed.

    The root METS names the representation METS files; those name their data.
    """
    findings: list[Finding] = []
    named: set[Path] = set()
    mets_files = [root / "METS.xml"]
    seen_mets: set[Path] = set()
    while mets_files:
        mets = mets_files.pop()
        if mets in seen_mets or not mets.is_file():
            continue
        seen_mets.add(mets)
        named.add(mets)
        base = mets.parent
        try:
            references = list(_mets_references(mets))
        except etree.XMLSyntaxError as exc:
            findings.append(Finding("FIXITY", "error", f"{mets.name} is not XML: {exc}"))
            continue
        for href, size, algorithm, checksum in references:
            target = (base / href).resolve()
            relative = (
                target.relative_to(root.resolve())
                if target.is_relative_to(root.resolve())
                else None
            )
            where = str(relative) if relative else href
            if relative is None or not target.is_file():
                findings.append(Finding("FIXITY", "error", f"{where} is missing", where))
                continue
            named.add(root / relative)
            if target.name == "METS.xml":
                mets_files.append(root / relative)
            if size != target.stat().st_size:
                findings.append(
                    Finding(
                        "FIXITY",
                        "error",
                        f"{where}: size {target.stat().st_size}, METS says {size}",
                        where,
                    )
                )
            if algorithm != "SHA-256":
                findings.append(
                    Finding("FIXITY", "error", f"{where}: checksum is not SHA-256", where)
                )
            elif _sha256(target) != checksum:
                findings.append(
                    Finding("FIXITY", "error", f"{where}: SHA-256 does not match", where)
                )
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        if path not in named:
            where = str(path.relative_to(root))
            findings.append(Finding("FIXITY", "error", f"{where} is in no METS file", where))
    return findings


CSIP_NS = "https://DILCIS.eu/XML/METS/CSIPExtensionMETS"
# eark-validator 1.1.3 checks SIP14 ("the archival creator agent's note is typed
# IDENTIFICATIONCODE") on every note of every agent with ROLE="CREATOR", as an unqualified
# NOTETYPE attribute. CSIP10-16 make that agent the software that built the package, with
# exactly one note typed csip:NOTETYPE="SOFTWARE VERSION", and the METS schema allows no
# unqualified attribute on a note: no package can satisfy all three (ADR 14). The finding
# is waived only when the software agent is written exactly as CSIP requires, and the
# rule's intent is checked instead: every note of the archival creator (ROLE="ARCHIVIST")
# is typed csip:NOTETYPE="IDENTIFICATIONCODE".
KNOWN_DEFECTS = frozenset({"SIP14"})


def _agents_as_csip_requires(root: Path) -> list[Finding] | None:
    """None when the CREATOR agents are not the CSIP software agent (no waiver); else the
    findings of the SIP14 check as the SIP specification means it."""
    tree = etree.parse(str(root / "METS.xml"), etree.XMLParser(no_network=True))
    agents = tree.findall(f"{{{METS_NS}}}metsHdr/{{{METS_NS}}}agent")
    note_type = f"{{{CSIP_NS}}}NOTETYPE"
    for agent in agents:
        if agent.get("ROLE") != "CREATOR":
            continue
        notes = agent.findall(f"{{{METS_NS}}}note")
        if (
            agent.get("TYPE") != "OTHER"
            or agent.get("OTHERTYPE") != "SOFTWARE"
            or len(notes) != 1
            or notes[0].get(note_type) != "SOFTWARE VERSION"
        ):
            return None
    findings = []
    for agent in agents:
        if agent.get("ROLE") == "ARCHIVIST":
            for note in agent.findall(f"{{{METS_NS}}}note"):
                if note.get(note_type) != "IDENTIFICATIONCODE":
                    findings.append(
                        Finding(
                            "SIP14",
                            "error",
                            "The archival creator agent's note MUST be typed "
                            "csip:NOTETYPE='IDENTIFICATIONCODE'.",
                        )
                    )
    return findings


def _waive_known_defects(root: Path, findings: list[Finding]) -> list[Finding]:
    defects = [f for f in findings if f.rule in KNOWN_DEFECTS and f.severity == "error"]
    if not defects:
        return findings
    try:
        intended = _agents_as_csip_requires(root)
    except (OSError, etree.XMLSyntaxError):
        intended = None
    if intended is None:
        return findings
    waived = [
        Finding(
            f.rule,
            "info",
            f"Waived, rule defect of eark-validator 1.1.3 (ADR 14): {f.message}",
            f.location,
        )
        for f in defects
    ]
    kept = [f for f in findings if f not in defects]
    return [*kept, *waived, *intended]


def representation_schema_findings(root: Path) -> list[Finding]:
    """eark-validator checks only the root METS; each representation's METS.xml is checked
    here against the same METS schema (its CSIP rules are the package's, not a
    representation's: a representation has no documentation or schemas of its own)."""
    _validator()
    from eark_validator.ipxml.schema import IP_SCHEMA

    findings = []
    for mets in sorted((root / "representations").glob("*/METS.xml")):
        where = str(mets.relative_to(root))
        try:
            document = etree.parse(str(mets), etree.XMLParser(no_network=True))
        except etree.XMLSyntaxError as exc:
            findings.append(Finding("XML-1", "error", f"{where} is not XML: {exc}", where))
            continue
        schema = IP_SCHEMA["csip"]
        if not schema.validate(document):
            for error in list(schema.error_log)[:5]:
                findings.append(Finding("XML-1", "error", f"{where}: {error.message}", where))
    return findings


def validate_folder(root: Path) -> ValidationResult:
    """Every check on an unpacked package (the folder that holds METS.xml)."""
    findings = _waive_known_defects(root, eark_findings(root))
    return ValidationResult(
        findings=[*findings, *representation_schema_findings(root), *fixity_problems(root)]
    )


class UnsafeArchive(ValueError):
    pass


def unpack(zip_path: Path, into: Path) -> Path:
    """Unpack a package ZIP into ``into`` and return its single root folder.

    Refuses absolute paths, ``..`` and links (a package comes from outside when it is
    checked by the fake e-depot or by someone inspecting one).
    """
    with zipfile.ZipFile(zip_path) as archive:
        for info in archive.infolist():
            parts = PurePosixPath(info.filename).parts
            if info.filename.startswith("/") or ".." in parts or (info.external_attr >> 28) == 0xA:
                raise UnsafeArchive(f"unsafe entry {info.filename!r}")
        archive.extractall(into)
    children = list(into.iterdir())
    if len(children) != 1 or not children[0].is_dir():
        raise UnsafeArchive("a package unpacks to exactly one folder")
    return children[0]


@contextmanager
def unpacked(path: Path) -> Iterator[Path]:
    """The package's root folder, whether ``path`` is that folder or a ZIP of it."""
    if path.is_dir():
        yield path
        return
    work = Path(tempfile.mkdtemp(prefix="midoffice-sip-check-"))
    try:
        yield unpack(path, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def validate_package(path: Path) -> ValidationResult:
    """Validate a package folder or ZIP; a ZIP that cannot be unpacked is invalid."""
    try:
        with unpacked(path) as root:
            return validate_folder(root)
    except (zipfile.BadZipFile, UnsafeArchive) as exc:
        return ValidationResult(findings=[Finding("CSIPSTR1", "error", str(exc))])
