"""The OData v4 feed that Power BI reads (service root ``/odata/``).

A hand-written, read-only OData v4 service over a fixed set of entity sets
(``entities.py``): the CSDL ``$metadata`` and the JSON payload are both generated from
the same definitions, so their types cannot drift apart. ``$filter`` is parsed by the
``odata-query`` package and restricted to the exposed properties (``filtering.py``);
paging is keyset-based where the order allows it (``paging.py``); pages are streamed
(``reader.py``, ``serialise.py``). Authentication is a read-only token (``auth.py``,
``tokens.py``). Decisions: docs/adr/0020-odata-feed.md; for analysts: docs/odata.md.
"""
