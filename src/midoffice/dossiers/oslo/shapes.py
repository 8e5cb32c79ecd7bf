"""The vendored OSLO SHACL shapes and the validation of a JSON-LD document against them.

The shapes are used as published, with the adjustments below removed from the graph
after parsing (each with its reason; the vendored files stay untouched). Parsing the
document is offline: its ``@context`` is inline, and a document that points at a remote
context is refused rather than fetched.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from typing import Any

from rdflib import RDF, BNode, Graph, Literal, Namespace, URIRef

from midoffice.dossiers.oslo.context import VENDOR

SH = Namespace("http://www.w3.org/ns/shacl#")

SHAPE_FILES = (
    "dossier-ap-SHACL.ttl",
    "dienst-transactiemodel-SHACL.ttl",
    "persoon-basis-SHACL.ttl",
    "adresregister-SHACL.ttl",
)

#: Why the Adresregister's mandatory fields below are not required of a register address
#: in a dossier: the Adres node is the register's object (its URI), with what Midoffice
#: copied from the register when it verified the address (street, number, box, postcode,
#: municipality). The rest lives in the register, which serves it at the same URI.
_REGISTER_HOLDS = (
    "Midoffice refers to the Adressenregister's object by its URI and copies only the "
    "parts of the address it shows and checks; the register publishes the rest at that URI."
)


@dataclass(frozen=True)
class Adjustment:
    """A ``sh:minCount 1`` dropped from one property of one shape, and why."""

    shape: str
    path: str
    reason: str


ADJUSTMENTS = (
    Adjustment(
        "https://data.vlaanderen.be/shacl/dossier-ap#ZaakShape",
        "https://data.vlaanderen.be/ns/dossier#sluitingsdatum",
        "An open case has no closing date yet; the profile's 1..1 would make every open "
        "dossier invalid. The date is sent as soon as the dossier is closed.",
    ),
    Adjustment(
        "https://data.vlaanderen.be/shacl/persoon-basis#PersoonShape",
        "https://data.vlaanderen.be/ns/persoon#heeftGeboorte",
        "Midoffice does not hold birth data and must not collect it for a question "
        "(data minimisation, GDPR art. 5(1)(c)).",
    ),
    Adjustment(
        "https://data.vlaanderen.be/shacl/persoon-basis#PersoonShape",
        "https://data.vlaanderen.be/ns/persoon#geslacht",
        "Midoffice does not hold a person's sex (data minimisation, GDPR art. 5(1)(c)).",
    ),
    Adjustment(
        "https://data.vlaanderen.be/shacl/adresregister#AdresShape",
        "http://www.w3.org/ns/prov#wasAttributedTo",
        f"Who assigned the address (isToegekendDoor). {_REGISTER_HOLDS}",
    ),
    Adjustment(
        "https://data.vlaanderen.be/shacl/adresregister#AdresShape",
        "https://data.vlaanderen.be/ns/adres#positie",
        f"The address point (positie). {_REGISTER_HOLDS}",
    ),
    Adjustment(
        "https://data.vlaanderen.be/shacl/adresregister#AdresShape",
        "https://data.vlaanderen.be/ns/adres#officieelToegekend",
        f"Whether the address was officially assigned. {_REGISTER_HOLDS}",
    ),
    Adjustment(
        "https://data.vlaanderen.be/shacl/adresregister#AdresShape",
        "https://data.vlaanderen.be/ns/adres#Adres.status",
        "The address's current status: Midoffice only knows it was in use when it was "
        f"verified, not what it is now. {_REGISTER_HOLDS}",
    ),
    Adjustment(
        "https://data.vlaanderen.be/shacl/adresregister#StraatnaamShape",
        "http://www.w3.org/ns/prov#wasAttributedTo",
        f"Who assigned the street name. {_REGISTER_HOLDS}",
    ),
    Adjustment(
        "https://data.vlaanderen.be/shacl/adresregister#StraatnaamShape",
        "https://data.vlaanderen.be/ns/adres#Straatnaam.status",
        f"The street name's current status. {_REGISTER_HOLDS}",
    ),
    Adjustment(
        "https://data.vlaanderen.be/shacl/adresregister#GemeentenaamShape",
        "https://data.vlaanderen.be/ns/adres#isAfgeleidVan",
        "The municipality (AdministratieveEenheid) the name is derived from: Midoffice keeps "
        f"the municipality's name, not its register object. {_REGISTER_HOLDS}",
    ),
)

#: A draft in the Adresregister shapes: text properties of the Adresvoorstelling are
#: published as ``sh:class rdf:langString`` where ``sh:datatype rdf:langString`` was meant
#: (a literal is never an instance of a class, so as published no street name, municipality
#: or full address could ever conform). Corrected, not dropped: the datatype is checked.
LANGSTRING = RDF.langString


def _correct_langstring_classes(shapes: Graph) -> list[str]:
    """Turn every ``sh:class rdf:langString`` into ``sh:datatype rdf:langString``; the
    paths corrected, for the test that holds the README to the shapes."""
    corrected = []
    for prop in list(shapes.subjects(SH["class"], LANGSTRING)):
        shapes.remove((prop, SH["class"], LANGSTRING))
        shapes.add((prop, SH.datatype, LANGSTRING))
        corrected.append(str(shapes.value(prop, SH.path)))
    return corrected


def _adjust(shapes: Graph) -> None:
    for adjustment in ADJUSTMENTS:
        shape = URIRef(adjustment.shape)
        found = [
            prop
            for prop in shapes.objects(shape, SH.property)
            if (prop, SH.path, URIRef(adjustment.path)) in shapes
        ]
        # A newer vendored version that moved the property must be looked at, not
        # silently validated with a stale adjustment.
        assert found, f"adjustment does not apply: {adjustment.shape} {adjustment.path}"
        for prop in found:
            shapes.remove((prop, SH.minCount, None))


@cache
def oslo_shapes() -> Graph:
    """All vendored shapes in one graph, adjusted (parsed once per process)."""
    shapes = Graph()
    for name in SHAPE_FILES:
        shapes.parse(VENDOR / name, format="turtle")
    _adjust(shapes)
    _correct_langstring_classes(shapes)
    return shapes


class RemoteContextRefused(ValueError):
    """The document names a context by URL; validation never goes to the network."""


def _check_inline(document: dict[str, Any]) -> None:
    contexts = document.get("@context")
    for context in contexts if isinstance(contexts, list) else [contexts]:
        if not isinstance(context, dict):
            raise RemoteContextRefused("the @context must be inline")


def jsonld_graph(document: dict[str, Any]) -> Graph:
    """The RDF graph of a JSON-LD document whose context is inline."""
    _check_inline(document)
    return Graph().parse(data=json.dumps(document), format="json-ld")


@dataclass(frozen=True)
class Violation:
    focus: str
    path: str
    message: str


@dataclass(frozen=True)
class ValidationReport:
    conforms: bool
    violations: tuple[Violation, ...]
    text: str


def jsonld_validate(document: dict[str, Any]) -> ValidationReport:
    """Validate ``document`` against the adjusted OSLO shapes with pySHACL (no inference,
    no network)."""
    from pyshacl import validate  # imported here: rdflib's plugins load slowly

    conforms, results, text = validate(
        jsonld_graph(document), shacl_graph=oslo_shapes(), inference="none", advanced=False
    )
    assert isinstance(results, Graph)
    violations = []
    for result in results.subjects(
        URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), SH.ValidationResult
    ):
        focus = results.value(result, SH.focusNode)
        path = results.value(result, SH.resultPath)
        message = results.value(result, SH.resultMessage)
        violations.append(
            Violation(
                focus="" if isinstance(focus, BNode) or focus is None else str(focus),
                path="" if path is None else str(path),
                message=str(message) if isinstance(message, Literal) else "",
            )
        )
    return ValidationReport(conforms=bool(conforms), violations=tuple(violations), text=str(text))
