"""Explicit extension points of the contact services (instead of Django signals).

Higher layers (the front-desk search index in ``dossiers``) append functions here in
``AppConfig.ready()``. The services call :func:`run_changed` inside their transaction
whenever a contact's searchable data (name, contact points) changes, so what a hook
writes commits or rolls back with the change. Hooks must not do I/O.
"""

from __future__ import annotations

from collections.abc import Callable

on_changed: list[Callable[[int], None]] = []


def run_changed(party_id: int) -> None:
    """Called by the contact services after a contact was created or its name or
    contact points changed."""
    for hook in on_changed:
        hook(party_id)
