"""OSLO: every dossier as JSON-LD, validated against the vendored SHACL shapes (ADR 23).

``vendor/`` holds the OSLO artefacts as published (see its README); ``context`` composes
the JSON-LD context Midoffice serves; ``document`` builds a dossier's document; ``shapes``
loads the shapes (with the few documented adjustments) and validates with pySHACL.
"""
