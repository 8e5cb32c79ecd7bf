"""Explicit extension points of the dossier services (instead of Django signals).

Higher layers (publication, portal) append functions here in ``AppConfig.ready()``; the
services call :func:`run_opened` and :func:`run_status_changed` at the end of their
transaction, so whatever a hook writes (e.g. an outbox message) commits or rolls back
together with the change. Hooks must not do I/O: they enqueue, and the outbox delivers.
"""

from __future__ import annotations

from collections.abc import Callable

from midoffice.dossiers.models import Dossier, StatusChange

on_opened: list[Callable[[Dossier, StatusChange], None]] = []
on_status_changed: list[Callable[[Dossier, StatusChange], None]] = []


def run_opened(dossier: Dossier, change: StatusChange) -> None:
    """Called by ``dossier_open`` inside its transaction, after the opening event, with
    the first status change."""
    for hook in on_opened:
        hook(dossier, change)


def run_status_changed(dossier: Dossier, change: StatusChange) -> None:
    """Called by ``dossier_change_status`` inside its transaction, after the event."""
    for hook in on_status_changed:
        hook(dossier, change)
