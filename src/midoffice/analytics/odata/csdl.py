"""``$metadata`` (CSDL XML, EDMX 4.0) and the service document, from the definitions.

One schema, ``Midoffice.Analytics``, with an entity type per set and one container. Every
property carries the same type and nullability as its value in the payload (both come
from ``entities.py``); timestamps declare ``Precision="6"`` because they are sent with
microseconds. Properties computed per row (``Dossier/ProcessingDays``) are listed as
neither filterable nor sortable with the OASIS Capabilities vocabulary, so a client that
reads those annotations does not fold a filter on them into the request.
"""

from __future__ import annotations

from lxml import etree

from midoffice.analytics.odata.edm import (
    CONTAINER,
    DATETIME_PRECISION,
    NAMESPACE,
    EdmType,
    EntitySet,
)

EDMX_NS = "http://docs.oasis-open.org/odata/ns/edmx"
EDM_NS = "http://docs.oasis-open.org/odata/ns/edm"
CAPABILITIES = "Org.OData.Capabilities.V1"
CAPABILITIES_URI = (
    "https://oasis-tcs.github.io/odata-vocabularies/vocabularies/Org.OData.Capabilities.V1.xml"
)
CORE = "Org.OData.Core.V1"
CORE_URI = "https://oasis-tcs.github.io/odata-vocabularies/vocabularies/Org.OData.Core.V1.xml"


def _sub(parent: etree._Element, tag: str, **attributes: str) -> etree._Element:
    """A child element; ``tag`` is in the EDM namespace unless it names its own."""
    qualified = tag if tag.startswith("{") else f"{{{EDM_NS}}}{tag}"
    return etree.SubElement(parent, qualified, attributes)


def _description(parent: etree._Element, text: str) -> None:
    if text:
        _sub(parent, "Annotation", Term=f"{CORE}.Description", String=text)


def _entity_type(schema: etree._Element, entity: EntitySet, sets: dict[str, EntitySet]) -> None:
    element = _sub(schema, "EntityType", Name=entity.type_name)
    key = _sub(element, "Key")
    _sub(key, "PropertyRef", Name=entity.key)
    for prop in entity.properties:
        attributes = {"Name": prop.name, "Type": str(prop.type)}
        if not prop.nullable:
            attributes["Nullable"] = "false"
        if prop.type == EdmType.DATETIME:
            attributes["Precision"] = str(DATETIME_PRECISION)
        node = _sub(element, "Property", **attributes)
        _description(node, prop.description)
    for nav in entity.navigations:
        target = sets[nav.target].qualified_type
        attributes = {"Name": nav.name}
        if nav.many:
            attributes["Type"] = f"Collection({target})"
        else:
            attributes["Type"] = target
            if not nav.nullable:
                attributes["Nullable"] = "false"
        node = _sub(element, "NavigationProperty", **attributes)
        if not nav.many and nav.foreign_key:
            _sub(node, "ReferentialConstraint", Property=nav.foreign_key, ReferencedProperty="Id")


def _restrictions(annotations: etree._Element, entity: EntitySet) -> None:
    computed = [p.name for p in entity.properties if not p.queryable]
    if not computed:
        return
    for term, member in (
        ("FilterRestrictions", "NonFilterableProperties"),
        ("SortRestrictions", "NonSortableProperties"),
    ):
        annotation = _sub(annotations, "Annotation", Term=f"{CAPABILITIES}.{term}")
        record = _sub(annotation, "Record")
        value = _sub(_sub(record, "PropertyValue", Property=member), "Collection")
        for name in computed:
            _sub(value, "PropertyPath").text = name


def metadata_document(sets: dict[str, EntitySet]) -> bytes:
    """The CSDL XML document served at ``$metadata``."""
    root = etree.Element(
        f"{{{EDMX_NS}}}Edmx", {"Version": "4.0"}, nsmap={"edmx": EDMX_NS, None: EDM_NS}
    )
    for uri, namespace, alias in (
        (CORE_URI, CORE, "Core"),
        (CAPABILITIES_URI, CAPABILITIES, "Capabilities"),
    ):
        reference = _sub(root, f"{{{EDMX_NS}}}Reference", Uri=uri)
        _sub(reference, f"{{{EDMX_NS}}}Include", Namespace=namespace, Alias=alias)
    services = _sub(root, f"{{{EDMX_NS}}}DataServices")
    schema = _sub(services, "Schema", Namespace=NAMESPACE)
    for entity in sets.values():
        _entity_type(schema, entity, sets)
    container = _sub(schema, "EntityContainer", Name=CONTAINER)
    for entity in sets.values():
        entity_set = _sub(
            container, "EntitySet", Name=entity.name, EntityType=entity.qualified_type
        )
        for nav in entity.navigations:
            _sub(entity_set, "NavigationPropertyBinding", Path=nav.name, Target=nav.target)
        _description(entity_set, entity.description)
    for entity in sets.values():
        if any(not p.queryable for p in entity.properties):
            annotations = _sub(
                schema, "Annotations", Target=f"{NAMESPACE}.{CONTAINER}/{entity.name}"
            )
            _restrictions(annotations, entity)
    body: bytes = etree.tostring(root, encoding="utf-8", xml_declaration=True)
    return body


def service_document(sets: dict[str, EntitySet], *, context: str) -> dict[str, object]:
    """The service document (OData JSON Format §5): the entity sets, by name and URL."""
    return {
        "@odata.context": context,
        "value": [
            {"name": entity.name, "kind": "EntitySet", "url": entity.name}
            for entity in sets.values()
        ],
    }
