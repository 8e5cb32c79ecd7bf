"""E-ARK SIPs: what goes in, validated offline, refused before packaging, tampering found."""

from __future__ import annotations

import hashlib
import socket
import subprocess
import sys
import uuid
import zipfile
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from lxml import etree

from midoffice.archive.sip import validation
from midoffice.archive.sip.build import PackageRefused, sip_build
from midoffice.archive.sip.collect import sip_context, sip_dossier_collect
from midoffice.archive.sip.formats import identify
from midoffice.archive.sip.validation import validate_folder, validate_package
from midoffice.archive.transfer import package_build
from midoffice.catalog.models import DossierType
from midoffice.core import clock
from tests.archive.conftest import utc

METS = "{http://www.loc.gov/METS/}"
PREMIS = "{http://www.loc.gov/premis/v3}"
EAD = "{http://ead3.archivists.org/schema/}"


def _build(dossier, into: Path) -> Path:
    context = sip_context(package_id=uuid.uuid4(), created=utc(2026, 6, 1))
    return sip_build(dossier=sip_dossier_collect(dossier=dossier), context=context, into=into)


@pytest.mark.django_db
def test_every_document_goes_in_with_its_media_type_and_the_metadata_dav_needs(
    due_dossier, tmp_path
):
    root = _build(due_dossier, tmp_path)
    data = sorted(p.name for p in (root / "representations/rep1/data").iterdir())
    assert data[0].startswith("001-e-mail-2012-000001-mogen-we")
    assert data[0].endswith(".eml")
    assert [name.split("-", 1)[1] for name in data[1:]] == [
        "voorgevel.jpg",
        "plan.pdf",
        # Named by the letter's id: on PostgreSQL ids are not reused after a rolled-back test.
        f"{due_dossier.reference}-brief-{due_dossier.letters.get().pk}.pdf",
        "achterkant.jpg",
    ]
    raw = (root / "representations/rep1/data" / data[0]).read_bytes()
    assert message_from_bytes(raw, policy=policy.default)["From"].addresses[0].username == (
        "emma.desmet"
    )
    mets = etree.parse(str(root / "representations/rep1/METS.xml"))
    types = [f.get("MIMETYPE") for f in mets.iter(f"{METS}file")]
    assert types == [
        "message/rfc822",
        "image/jpeg",
        "application/pdf",
        "application/pdf",
        "image/jpeg",
    ]
    signed = (root / "representations/rep1/data" / data[3]).read_bytes()
    assert b"/ByteRange" in signed  # the PAdES-signed letter, as it left

    ead = etree.parse(str(root / "metadata/descriptive/ead.xml"))
    archdesc = ead.find(f"{EAD}archdesc")
    assert archdesc.get("level") == "series"
    assert archdesc.findtext(f"{EAD}did/{EAD}unitid") == "LEEMDONK-OMG-001"
    dossier = archdesc.find(f"{EAD}dsc/{EAD}c")
    assert dossier.findtext(f"{EAD}did/{EAD}unittitle") == due_dossier.subject
    span = dossier.find(f"{EAD}did/{EAD}unitdatestructured/{EAD}daterange")
    assert span.find(f"{EAD}fromdate").get("standarddate") == "2012-01-21"
    assert span.find(f"{EAD}todate").get("standarddate") == "2012-03-01"
    items = dossier.findall(f"{EAD}c")
    assert len(items) == 5
    assert all(i.findtext(f"{EAD}did/{EAD}unittitle") for i in items)
    assert all(
        i.find(f"{EAD}did/{EAD}unitdatestructured/{EAD}datesingle").get("standarddate")
        for i in items
    )

    premis = etree.parse(str(root / "metadata/preservation/premis.xml"))
    files = [
        o
        for o in premis.iter(f"{PREMIS}object")
        if o.get("{http://www.w3.org/2001/XMLSchema-instance}type") == "file"
    ]
    for obj in files:
        path = root / obj.findtext(f"{PREMIS}objectIdentifier/{PREMIS}objectIdentifierValue")
        digest = obj.findtext(f"{PREMIS}objectCharacteristics/{PREMIS}fixity/{PREMIS}messageDigest")
        assert digest == hashlib.sha256(path.read_bytes()).hexdigest()
        assert (
            int(obj.findtext(f"{PREMIS}objectCharacteristics/{PREMIS}size")) == path.stat().st_size
        )
        assert (
            obj.find(f"{PREMIS}objectCharacteristics/{PREMIS}format/{PREMIS}formatDesignation")
            is not None
        )
    event_types = [e.findtext(f"{PREMIS}eventType") for e in premis.iter(f"{PREMIS}event")]
    assert {"dossier.opened", "message.received", "letter.changed", "dossier.closed"} <= set(
        event_types
    )
    assert "dossier.viewed" not in event_types

    result = validate_folder(root)
    assert result.errors == []
    assert result.warnings == []


@pytest.mark.django_db
def test_a_dossier_without_series_is_refused_before_anything_is_written(due_dossier, tmp_path):
    DossierType.objects.filter(pk=due_dossier.dossier_type_id).update(archive_series_code="")
    due_dossier.refresh_from_db()
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(PackageRefused) as refused:
        _build(due_dossier, out)
    assert "hoort bij geen archiefserie" in refused.value.reason
    assert list(out.iterdir()) == []


@pytest.mark.django_db
def test_a_stored_file_that_changed_is_refused(due_dossier, tmp_path, settings):
    files = Path(settings.STORAGES["default"]["OPTIONS"]["location"])
    for pdf in (files / "correspondence").rglob("*.pdf"):  # the draft and the signed letter
        pdf.write_bytes(pdf.read_bytes() + b"% tampered\n")
    with pytest.raises(PackageRefused, match="beschadigd"):
        _build(due_dossier, tmp_path)


@pytest.fixture
def built(due_dossier, tmp_path):
    with clock.frozen_at(utc(2026, 6, 1)):
        return package_build(
            dossier=due_dossier,
            package_id=uuid.uuid4(),
            created=utc(2026, 6, 1),
            work=tmp_path / "work",
        )


@pytest.mark.django_db
def test_a_rebuild_of_the_same_transfer_is_the_same_bytes(due_dossier, tmp_path):
    package_id = uuid.uuid4()
    first = package_build(
        dossier=due_dossier, package_id=package_id, created=utc(2026, 6, 1), work=tmp_path / "a"
    )
    second = package_build(
        dossier=due_dossier, package_id=package_id, created=utc(2026, 6, 1), work=tmp_path / "b"
    )
    assert first.sha256 == second.sha256


def _tampered(zip_path: Path, target: Path, change) -> Path:  # type: ignore[no-untyped-def]
    with zipfile.ZipFile(zip_path) as source, zipfile.ZipFile(target, "w") as out:
        for info in source.infolist():
            out.writestr(info, change(info.filename, source.read(info)))
    return target


@pytest.mark.django_db
def test_a_tampered_package_fails(built, tmp_path):
    assert validate_package(built.zip_path).errors == []

    def swap_a_byte(name: str, data: bytes) -> bytes:
        return data.replace(b"Emma", b"Anna", 1) if name.endswith(".eml") else data

    changed = validate_package(_tampered(built.zip_path, tmp_path / "content.zip", swap_a_byte))
    assert [e.rule for e in changed.errors] == ["FIXITY"]
    assert "SHA-256 does not match" in changed.errors[0].message

    def drop_the_profile(name: str, data: bytes) -> bytes:
        if name.count("/") == 1 and name.endswith("METS.xml"):
            return data.replace(b' PROFILE="https://earksip.dilcis.eu/profile/E-ARK-SIP.xml"', b"")
        return data

    broken = validate_package(_tampered(built.zip_path, tmp_path / "mets.zip", drop_the_profile))
    rules = {e.rule for e in broken.errors}
    assert {"CSIP6", "SIP2"} <= rules  # eark-validator's own rules found it
    assert "Het pakket voldoet niet aan de E-ARK-regels" in broken.reason_nl()


def test_sip14_of_eark_validator_cannot_be_met_which_is_why_it_is_waived(tmp_path):
    """CSIP15/16 want one note typed csip:NOTETYPE on the software (CREATOR) agent; the
    validator's SIP14 wants an unqualified NOTETYPE on it; the METS schema forbids that."""
    mets = (
        '<mets:mets xmlns:mets="http://www.loc.gov/METS/" '
        'xmlns:csip="https://DILCIS.eu/XML/METS/CSIPExtensionMETS" OBJID="x" PROFILE="p">'
        '<mets:metsHdr CREATEDATE="2026-01-01T00:00:00Z" csip:OAISPACKAGETYPE="SIP">'
        '<mets:agent ROLE="CREATOR" TYPE="OTHER" OTHERTYPE="SOFTWARE"><mets:name>M</mets:name>'
        '<mets:note csip:NOTETYPE="SOFTWARE VERSION" NOTETYPE="IDENTIFICATIONCODE">1</mets:note>'
        "</mets:agent></mets:metsHdr>"
        "<mets:structMap><mets:div/></mets:structMap></mets:mets>"
    )
    validation._validator()
    from eark_validator.ipxml.schema import IP_SCHEMA

    document = etree.fromstring(mets.encode())
    assert not IP_SCHEMA["csip"].validate(etree.ElementTree(document))
    assert "NOTETYPE" in str(IP_SCHEMA["csip"].error_log.last_error)


def test_formats_are_identified_by_their_bytes():
    assert identify(b"%PDF-1.7\n...", claimed_type="image/png").pronom == "fmt/276"
    assert (
        identify(b"\x89PNG\r\n\x1a\n....", claimed_type="application/pdf").media_type == "image/png"
    )
    mail = b"Received: x\r\nFrom: a@b.example\r\nDate: Mon, 1 Jan 2024 10:00:00 +0100\r\n\r\nhi"
    assert identify(mail).media_type == "message/rfc822"
    assert identify(b"gewoon tekst").media_type == "text/plain"
    unknown = identify(b"\x00\x01\x02", claimed_type="application/x-foo", filename="a.foo")
    assert (unknown.media_type, unknown.by_content, unknown.extension) == (
        "application/x-foo",
        False,
        "foo",
    )


OFFLINE_CHECK = """
import socket, sys
def refuse(*args, **kwargs):
    raise OSError("network used")
socket.socket.connect = refuse
socket.create_connection = refuse
socket.getaddrinfo = refuse
from pathlib import Path
from midoffice.archive.sip.validation import validate_package
result = validate_package(Path(sys.argv[1]))
print("errors", len(result.errors))
"""


def test_eark_validator_runs_fully_offline_in_a_fresh_process(built):
    """A fresh interpreter (nothing imported yet) with every socket connection refused:
    importing eark-validator (which downloads four vocabularies at import) and validating
    a package still work, from the copies the package ships."""
    done = subprocess.run(
        [sys.executable, "-c", OFFLINE_CHECK, str(built.zip_path)],
        capture_output=True,
        text=True,
        timeout=120,
        env={"DJANGO_SETTINGS_MODULE": "midoffice.settings", "PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "errors 0"


def test_without_the_offline_import_eark_validator_would_go_online(monkeypatch):
    """Proof that the test above tests something: the module, imported plainly with
    sockets refused, fails on its vocabulary download."""
    import importlib

    def refuse(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise OSError("network used")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    saved = {
        k: v for k, v in sys.modules.items() if k.startswith("eark_validator.ipxml.schematron")
    }
    for key in saved:
        monkeypatch.delitem(sys.modules, key)
    with pytest.raises(OSError, match="network used"):
        importlib.import_module("eark_validator.ipxml.schematron")
    for key in [k for k in sys.modules if k.startswith("eark_validator.ipxml.schematron")]:
        monkeypatch.delitem(sys.modules, key)
    for key, module in saved.items():
        monkeypatch.setitem(sys.modules, key, module)
