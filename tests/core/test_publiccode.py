"""Public code a town may adopt (issue 17): the licence, publiccode.yml, the changelog.

``publiccode.yml`` is checked against the standard's published JSON schema (vendored in
tests/data/publiccode/, where its README names the source) and against the rules that the
standard's official parser, italia/publiccode-parser-go, adds to the schema; the
``RULE`` comments name them. ``LICENSE`` must be the EUPL-1.2 text, byte for byte.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
import re
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema  # type: ignore[import-untyped]  # no stubs installed
import pytest
import yaml
from django.conf.locale import LANG_INFO

ROOT = Path(__file__).resolve().parents[2]
PUBLICCODE = ROOT / "publiccode.yml"
SCHEMA = ROOT / "tests" / "data" / "publiccode" / "publiccode.schema.json"
# JSON Schema Store's publiccode.json for the standard's version 0.5.0 (see its README).
SCHEMA_SHA256 = "6ab77458399fbece39c25f27a640dba955e5a309ee9bf7c039b37e0bdaf44f8e"
# The English EUPL v1.2 in the European Commission's plain-text layout: the same bytes as
# the English text in Open Zaak's and the Objects API's LICENSE.md, so that tools which
# recognise a licence by its text recognise this one.
EUPL_1_2_SHA256 = "57fb42fbcd0b037ce528ed8f72f1ec095d67bc6825ecf1448ff39be1fe68a4b4"

# The outside services Midoffice connects to, as publiccode.yml names them, and the words
# under which README.md or docs/ describe each one: the file states only what exists.
SERVICES = {
    "MAGDA Documentendienst": "MAGDA Documentendienst",
    "DOSIS": "DOSIS",
    "ACM/IDM": "ACM/IDM",
    "Digitaal Archief Vlaanderen e-depot": "Digitaal Archief Vlaanderen",
    "JCC-Afspraken": "JCC-Afspraken",
    "Microsoft 365": "Microsoft 365",
}
# The Flemish ones, which both long descriptions name too.
FLEMISH_SERVICES = [
    "MAGDA Documentendienst",
    "DOSIS",
    "Mijn Burgerprofiel",
    "ACM/IDM",
    "Digitaal Archief Vlaanderen",
    "JCC-Afspraken",
]

# A BCP 47 tag: language, then optional script, region and variants. The language must be
# one Django knows, which is stricter than BCP 47's registry but enough for this file.
LANGUAGE_TAG = re.compile(
    r"^(?P<language>[a-z]{2,3})(-[A-Z][a-z]{3})?(-([A-Z]{2}|[0-9]{3}))?"
    r"(-([a-z0-9]{5,8}|[0-9][a-z0-9]{3}))*$"
)

# Keys the parser accepts with a "DEPRECATED" warning, and what replaces them (None: drop
# it); the file stays free of warnings.
DEPRECATED: dict[tuple[str, ...], str | None] = {
    ("legal", "repoOwner"): "organisation.name",
    ("legal", "authorsFile"): None,
    ("inputTypes",): None,
    ("outputTypes",): None,
    ("monochromeLogo",): "logo",
    ("it",): "IT",
}


class _Yaml12Loader(yaml.SafeLoader):
    """Reads YAML as the official parser does (YAML 1.2): ``yes``, ``no``, ``on`` and
    ``off`` are strings, not booleans, and a date is a string, not a ``datetime.date``."""


_Yaml12Loader.yaml_implicit_resolvers = {
    first: [
        (tag, pattern)
        for tag, pattern in resolvers
        if tag not in {"tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp"}
    ]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def load_publiccode(text: str) -> Any:
    return yaml.load(text, Loader=_Yaml12Loader)  # noqa: S506 - a SafeLoader subclass


def _load(path: Path) -> Any:
    return load_publiccode(path.read_text(encoding="utf-8"))


def _is_language_tag(value: object) -> bool:
    match = LANGUAGE_TAG.match(str(value))
    return match is not None and match["language"] in LANG_INFO


def _is_http_url(value: object) -> bool:
    # RULE url_url / url_http_url: an absolute http(s) URL with a host. The schema's
    # "uri" format is not checked by jsonschema without an extra package, so it is here.
    if not isinstance(value, str):
        return False
    parts = urlsplit(value)
    return parts.scheme in {"http", "https"} and bool(parts.hostname)


def _file_in_repo(value: str, root: Path, suffixes: set[str]) -> str | None:
    """A problem with a path the parser resolves against the repository, or None."""
    if _is_http_url(value):
        return None
    if Path(value).suffix.lower() not in suffixes:
        return f"{value}: must end in one of {sorted(suffixes)}"
    if not (root / value).is_file():
        return f"{value}: no such file in the repository"
    return None


def _schema_problem(error: jsonschema.ValidationError) -> str:
    path = [str(part) for part in error.absolute_path]
    missing = re.fullmatch(r"'(.+)' is a required property", error.message)
    if error.validator == "required" and missing:
        return f"{'.'.join([*path, missing[1]])}: required"
    return f"{'.'.join(path) or '(top)'}: {error.message}"


def publiccode_problems(document: Any, *, root: Path = ROOT) -> list[str]:
    """Every way ``document`` (a parsed publiccode.yml) breaks the standard; [] if none."""
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema.Draft7Validator(
        schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER
    )
    problems = [_schema_problem(error) for error in validator.iter_errors(document)]
    if not isinstance(document, dict):
        return problems

    for key in ("url", "landingURL", "roadmap"):
        if key in document and not _is_http_url(document[key]):
            problems.append(f"{key}: not an http(s) URL")
    based_on = document.get("isBasedOn")
    for origin in [based_on] if isinstance(based_on, str) else based_on or []:
        if not _is_http_url(origin):
            problems.append(f"isBasedOn: {origin!r} is not an http(s) URL")
    # The standard: releaseDate is mandatory once the software has a version number.
    if document.get("softwareVersion") and not document.get("releaseDate"):
        problems.append("releaseDate: required with softwareVersion")

    logo = document.get("logo")
    if isinstance(logo, str):
        # RULE validLogo: SVG or PNG, and the file exists.
        problem = _file_in_repo(logo, root, {".svg", ".svgz", ".png"})
        if problem:
            problems.append(f"logo: {problem}")

    descriptions = document.get("description")
    if isinstance(descriptions, dict):
        if not descriptions:
            problems.append("description: at least one language")  # RULE gt=0
        for language, description in descriptions.items():
            where = f"description.{language}"
            if not _is_language_tag(language):
                problems.append(f"{where}: not a BCP 47 language tag")  # RULE bcp47_keys
            if not isinstance(description, dict):
                continue
            # RULE DescV0: longDescription required (150 to 10,000 characters, which the
            # schema checks when it is there) and at least one feature.
            if "longDescription" not in description:
                problems.append(f"{where}.longDescription: required")
            if not description.get("features"):
                problems.append(f"{where}.features: at least one")
            if "genericName" in description:
                problems.append(f"{where}.genericName: deprecated, drop it")
            for key in ("documentation", "apiDocumentation"):
                if key in description and not _is_http_url(description[key]):
                    problems.append(f"{where}.{key}: not an http(s) URL")
            for shot in description.get("screenshots") or []:
                # RULE isImageFile: PNG or JPEG, and the file exists.
                problem = _file_in_repo(str(shot), root, {".png", ".jpg"})
                if problem:
                    problems.append(f"{where}.screenshots: {problem}")

    maintenance = document.get("maintenance")
    if isinstance(maintenance, dict):
        kind = maintenance.get("type")
        # RULE required_if / excluded_unless: contractors exactly for a contract;
        # contacts for internal and community maintenance.
        if kind == "contract" and not maintenance.get("contractors"):
            problems.append("maintenance.contractors: required for type contract")
        if kind != "contract" and "contractors" in maintenance:
            problems.append("maintenance.contractors: only for type contract")
        if kind in {"internal", "community"} and not maintenance.get("contacts"):
            problems.append(f"maintenance.contacts: required for type {kind}")
        for contractor in maintenance.get("contractors") or []:
            if "website" in contractor and not _is_http_url(contractor["website"]):
                problems.append("maintenance.contractors.website: not an http(s) URL")

    localisation = document.get("localisation")
    if isinstance(localisation, dict):
        languages = localisation.get("availableLanguages") or []
        if not languages:
            problems.append("localisation.availableLanguages: at least one")
        for language in languages:
            if not _is_language_tag(language):  # RULE bcp47_strict_language_tag
                problems.append(f"localisation.availableLanguages: {language!r} is not BCP 47")

    for keys, instead in DEPRECATED.items():
        node: Any = document
        for key in keys:
            node = node.get(key) if isinstance(node, dict) else None
        if node is not None:
            advice = f"use {instead}" if instead else "drop it"
            problems.append(f"{'.'.join(keys)}: deprecated, {advice}")

    # The parser reads dependency versions as strings: an unquoted 3.10 would be 3.1.
    depends_on = document.get("dependsOn")
    if isinstance(depends_on, dict):
        for group, dependencies in depends_on.items():
            for dependency in dependencies or []:
                for key in ("version", "versionMin", "versionMax"):
                    if key in dependency and not isinstance(dependency[key], str):
                        problems.append(
                            f"dependsOn.{group}.{dependency.get('name')}.{key}: quote it"
                        )
    return problems


@pytest.fixture(scope="module")
def publiccode() -> dict[str, Any]:
    document = _load(PUBLICCODE)
    assert isinstance(document, dict)
    return document


@pytest.fixture(scope="module")
def pyproject() -> dict[str, Any]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_the_vendored_schema_is_the_published_one() -> None:
    assert hashlib.sha256(SCHEMA.read_bytes()).hexdigest() == SCHEMA_SHA256


def test_publiccode_meets_the_standard(publiccode: dict[str, Any]) -> None:
    assert publiccode_problems(publiccode) == []


def test_publiccode_agrees_with_the_project(
    publiccode: dict[str, Any], pyproject: dict[str, Any]
) -> None:
    project = pyproject["project"]
    assert publiccode["name"] == "Midoffice"
    assert publiccode["legal"]["license"] == project["license"] == "EUPL-1.2"
    assert publiccode["softwareVersion"] == project["version"]
    # The version's release date is the one its changelog entry carries.
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    heading = f"## [{publiccode['softwareVersion']}] - {publiccode['releaseDate']}"
    assert heading in changelog.splitlines()
    assert set(publiccode["description"]) == {"nl", "en"}
    assert publiccode["localisation"]["availableLanguages"] == ["nl"]
    assert publiccode["intendedAudience"]["countries"] == ["BE"]


def test_publiccode_names_the_services_that_exist(publiccode: dict[str, Any]) -> None:
    named = {dependency["name"] for dependency in publiccode["dependsOn"]["proprietary"]}
    assert named == set(SERVICES)
    documented = "\n".join(
        path.read_text(encoding="utf-8")
        for path in [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    )
    undocumented = [name for name, words in SERVICES.items() if words not in documented]
    assert undocumented == []
    for language in ("nl", "en"):
        text = publiccode["description"][language]["longDescription"]
        assert [name for name in FLEMISH_SERVICES if name not in text] == [], language


def _broken(change: str) -> dict[str, Any]:
    if change == "yes for a boolean":
        text = PUBLICCODE.read_text(encoding="utf-8")
        assert "localisationReady: false\n" in text
        changed = load_publiccode(
            text.replace("localisationReady: false\n", "localisationReady: no\n")
        )
        assert isinstance(changed, dict)
        return changed
    document: dict[str, Any] = copy.deepcopy(_load(PUBLICCODE))
    if change == "no legal":
        del document["legal"]
    elif change == "not a date":
        document["releaseDate"] = "04/12/2026"
    elif change == "no date":
        del document["releaseDate"]
    elif change == "short long description":
        document["description"]["en"]["longDescription"] = "Too short."
    elif change == "no long description":
        del document["description"]["nl"]["longDescription"]
    elif change == "long short description":
        document["description"]["nl"]["shortDescription"] = "x" * 151
    elif change == "no features":
        document["description"]["en"]["features"] = []
    elif change == "language name":
        document["description"]["Dutch"] = document["description"].pop("nl")
    elif change == "unknown language":
        document["localisation"]["availableLanguages"] = ["xxx"]
    elif change == "lowercase country":
        document["intendedAudience"]["countries"] = ["be"]
    elif change == "unknown category":
        document["categories"].append("town-hall")
    elif change == "contract without contractors":
        document["maintenance"] = {"type": "contract"}
    elif change == "internal without contacts":
        document["maintenance"] = {"type": "internal"}
    elif change == "repo owner":
        document["legal"]["repoOwner"] = "Leemdonk"
    elif change == "url not http":
        document["url"] = "git.example.org/midoffice"
    elif change == "missing screenshot":
        document["description"]["nl"]["screenshots"] = ["docs/screenshots/none.png"]
    elif change == "logo as jpeg":
        document["logo"] = "docs/screenshots/workbench-dossier.jpg"
    elif change == "numeric version":
        document["dependsOn"]["open"][0]["versionMin"] = 3.11
    elif change == "misspelt key":
        document["maintainance"] = document.pop("maintenance")
    elif change == "bad version of the standard":
        document["publiccodeYmlVersion"] = "1"
    else:  # pragma: no cover - a misspelt case name
        raise AssertionError(change)
    return document


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ("no legal", "legal"),
        ("not a date", "releaseDate"),
        ("yes for a boolean", "localisation.localisationReady"),
        ("no date", "releaseDate"),
        ("short long description", "description.en.longDescription"),
        ("no long description", "description.nl.longDescription"),
        ("long short description", "description.nl.shortDescription"),
        ("no features", "description.en.features"),
        ("language name", "description.Dutch"),
        ("unknown language", "localisation.availableLanguages"),
        ("lowercase country", "intendedAudience.countries"),
        ("unknown category", "categories"),
        ("contract without contractors", "maintenance.contractors"),
        ("internal without contacts", "maintenance.contacts"),
        ("repo owner", "legal.repoOwner"),
        ("url not http", "url"),
        ("missing screenshot", "description.nl.screenshots"),
        ("logo as jpeg", "logo"),
        ("numeric version", "dependsOn.open.Python.versionMin"),
        ("misspelt key", "maintenance"),
        ("bad version of the standard", "publiccodeYmlVersion"),
    ],
)
def test_a_broken_publiccode_is_refused_by_name(change: str, key: str) -> None:
    problems = publiccode_problems(_broken(change))
    assert any(problem.startswith(key) for problem in problems), problems


def test_licence_is_the_eupl_1_2_text() -> None:
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    lines = text.splitlines()
    assert lines[:2] == [
        "EUROPEAN UNION PUBLIC LICENCE v. 1.2",
        "EUPL © the European Union 2007, 2016",
    ]
    articles = [
        "Definitions",
        "Scope of the rights granted by the Licence",
        "Communication of the Source Code",
        "Limitations on copyright",
        "Obligations of the Licensee",
        "Chain of Authorship",
        "Disclaimer of Warranty",
        "Disclaimer of Liability",
        "Additional agreements",
        "Acceptance of the Licence",
        "Information to the public",
        "Termination of the Licence",
        "Miscellaneous",
        "Jurisdiction",
        "Applicable Law",
    ]
    headings = [line for line in lines if re.match(r"^\d{1,2}\.\S", line)]
    assert headings == [f"{number}.{title}" for number, title in enumerate(articles, 1)]
    for clause in ("Attribution right:", "Copyleft clause:", "Compatibility clause:"):
        assert clause in text
    appendix = "\n".join(lines[[line.strip() for line in lines].index("Appendix") :])
    for licence in (
        "GNU General Public License (GPL) v. 2, v. 3",
        "GNU Affero General Public License (AGPL) v. 3",
        "Open Software License (OSL) v. 2.1, v. 3.0",
        "Eclipse Public License (EPL) v. 1.0",
        "CeCILL v. 2.0, v. 2.1",
        "Mozilla Public Licence (MPL) v. 2",
        "GNU Lesser General Public Licence (LGPL) v. 2.1, v. 3",
        (
            "Creative Commons Attribution-ShareAlike v. 3.0 Unported (CC BY-SA 3.0) for works "
            "other than software"
        ),
        "European Union Public Licence (EUPL) v. 1.1, v. 1.2",
        (
            "Québec Free and Open-Source Licence — Reciprocity (LiLiQ-R) or Strong Reciprocity "
            "(LiLiQ-R+)."
        ),
    ):
        assert f"— {licence}" in appendix
    assert lines[-1] == (
        "All other changes or additions to this Appendix require the production of a new "
        "EUPL version."
    )
    # Nothing added, left out or reworded anywhere else either.
    assert hashlib.sha256(text.encode("utf-8")).hexdigest() == EUPL_1_2_SHA256


def test_the_package_carries_the_licence_file(pyproject: dict[str, Any]) -> None:
    assert pyproject["project"]["license"] == "EUPL-1.2"
    assert pyproject["project"]["license-files"] == ["LICENSE"]


def test_changelog_keeps_a_changelog() -> None:
    lines = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8").splitlines()
    versions = [line for line in lines if line.startswith("## ")]
    assert versions[0] == "## [Unreleased]"
    released = []
    for heading in versions[1:]:
        match = re.fullmatch(r"## \[(\d+)\.(\d+)\.(\d+)\] - (\d{4}-\d{2}-\d{2})", heading)
        assert match, heading
        dt.date.fromisoformat(match[4])
        released.append((tuple(int(part) for part in match.groups()[:3]), match[4]))
    assert released == sorted(released, reverse=True), "newest version first"
    kinds = {line for line in lines if line.startswith("### ")}
    allowed = {"Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"}
    assert kinds <= {f"### {kind}" for kind in allowed}


def test_security_policy_names_a_private_channel_and_what_it_promises() -> None:
    text = (ROOT / "SECURITY.md").read_text(encoding="utf-8")
    for section in (
        "## How to report a vulnerability",
        "## What is in scope",
        "## What you can expect",
        "## Supported versions",
    ):
        assert section in text.splitlines()
    assert "**Report a vulnerability**" in text
    assert not re.search(r"[\w.+-]+@[\w-]+\.[\w.]+", text), "no mail address to keep up"


def test_readme_links_the_public_code_files() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in ("LICENSE", "SECURITY.md", "CHANGELOG.md", "publiccode.yml"):
        assert f"]({name})" in readme
        assert (ROOT / name).is_file()
