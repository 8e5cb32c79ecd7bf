"""``$metadata`` against the OASIS CSDL schemas, with independent tools.

* lxml's XMLSchema validates it against ``edmx.xsd``/``edm.xsd`` as shipped in the npm
  package ``odata-csdl`` (OASIS OData TC);
* that package's ``odata-csdl-xml2json`` reads it, reports any structural problem, and
  its JSON rendering must name the same sets, types and properties as our definitions.

``scripts/test-npm-deps.sh`` installs the package (``make pytest`` runs it through
``scripts/test-system-deps.sh``); this module runs it itself when the package is missing,
and skips only when npm is not installed at all.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django.test import Client
from lxml import etree

from midoffice.analytics.odata.csdl import metadata_document
from midoffice.analytics.odata.entities import entity_sets
from tests.analytics.odata_support import basic, new_key

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "odata-csdl"


def _package_dir() -> Path:
    base = Path(os.environ.get("MIDOFFICE_TEST_NPM_DIR", ROOT / ".venv" / "test-npm"))
    return base / "node_modules" / PACKAGE


@pytest.fixture(scope="session")
def csdl_package() -> Path:
    package = _package_dir()
    if not (package / "schemas" / "edmx.xsd").exists():
        if shutil.which("npm") is None or shutil.which("node") is None:
            pytest.skip(
                "npm/node are not installed, so the OASIS CSDL schemas (npm package "
                "odata-csdl) cannot be had: install Node.js and npm to run this check"
            )
        result = subprocess.run(
            ["bash", str(ROOT / "scripts" / "test-npm-deps.sh")],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if result.returncode != 0 or not (package / "schemas" / "edmx.xsd").exists():
            pytest.fail(f"could not install {PACKAGE}: {result.stdout}{result.stderr}")
    return package


@pytest.fixture(scope="session")
def edmx_schema(csdl_package: Path) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(csdl_package / "schemas" / "edmx.xsd")))


def _served_metadata() -> bytes:
    response = Client().get("/odata/$metadata", **basic(new_key()))
    assert response.status_code == 200
    content: bytes = response.content
    return content


@pytest.mark.django_db
@pytest.mark.parametrize("staff_names", [False, True])
def test_metadata_is_valid_against_the_oasis_schemas(edmx_schema, settings, staff_names):
    settings.ODATA_STAFF_NAMES = staff_names
    document = etree.fromstring(_served_metadata())
    valid = edmx_schema.validate(document)
    assert valid, "\n".join(str(e) for e in edmx_schema.error_log)
    names = [
        p.get("Name")
        for p in document.iter("{*}Property")
        if p.getparent().get("Name") == "StaffMember"
    ]
    assert ("Name" in names) is staff_names


def test_the_schema_check_is_not_vacuous(edmx_schema):
    """A document with a property that has no type is refused by the same schema."""
    document = etree.fromstring(metadata_document(entity_sets()))
    prop = next(document.iter("{http://docs.oasis-open.org/odata/ns/edm}Property"))
    del prop.attrib["Type"]
    assert not edmx_schema.validate(document)


def _xml2json(
    package: Path, xml: bytes, tmp_path: Path
) -> tuple[subprocess.CompletedProcess[str], Path]:
    source = tmp_path / "metadata.xml"
    target = tmp_path / "metadata.json"
    source.write_bytes(xml)
    result = subprocess.run(
        ["node", str(package / "lib" / "cli.js"), "--target", str(target), str(source)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return result, target


@pytest.mark.django_db
def test_odata_csdl_xml2json_reads_it_without_a_complaint(csdl_package, tmp_path):
    result, target = _xml2json(csdl_package, _served_metadata(), tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == "", result.stderr  # messages (structure problems) go to stderr
    csdl = json.loads(target.read_text())
    assert csdl["$Version"] == "4.0"
    assert csdl["$EntityContainer"] == "Midoffice.Analytics.Container"
    schema = csdl["Midoffice.Analytics"]
    container = schema["Container"]
    for entity in entity_sets().values():
        assert container[entity.name]["$Type"] == entity.qualified_type
        declared = schema[entity.type_name]
        assert declared["$Key"] == ["Id"]
        for prop in entity.properties:
            member = declared[prop.name]
            # CSDL JSON leaves out the defaults: Edm.String and Nullable=false.
            assert member.get("$Type", "Edm.String") == str(prop.type), prop.name
            assert member.get("$Nullable", False) is prop.nullable, prop.name
        for nav in entity.navigations:
            assert declared[nav.name]["$Kind"] == "NavigationProperty"
            assert declared[nav.name].get("$Collection", False) is nav.many


def test_xml2json_complains_about_a_broken_document(csdl_package, tmp_path):
    broken = metadata_document(entity_sets()).replace(b"<Key>", b"<Kee>", 1)
    result, _ = _xml2json(csdl_package, broken, tmp_path)
    assert result.returncode != 0 or result.stderr
