from __future__ import annotations

import sys
from urllib.parse import urlsplit

from django.apps import AppConfig


class CorrespondenceConfig(AppConfig):
    name = "midoffice.correspondence"
    label = "correspondence"
    verbose_name = "Uitgaande correspondentie"

    def ready(self) -> None:
        from django.conf import settings

        from midoffice.core.management.commands.serve_all import EXTRA_PROCESSES

        # Registers the outbox handlers and the status poll.
        from midoffice.correspondence import delivery, tasks  # noqa: F401

        # The dossier's signed letters, for whoever needs all its documents (the archive).
        from midoffice.correspondence.documents import correspondence_documents
        from midoffice.dossiers.documents import document_source_register

        document_source_register("correspondence", correspondence_documents)

        # What destroying a dossier removes here: its letters (the archive, ADR 18).
        from midoffice.correspondence.erasure import CORRESPONDENCE_ERASER
        from midoffice.dossiers.erasure import eraser_register

        eraser_register("correspondence", CORRESPONDENCE_ERASER)

        # With the default (loopback) Documentendienst address, `make run` starts the fake.
        parts = urlsplit(settings.MAGDA_URL)
        if parts.hostname in ("127.0.0.1", "localhost") and parts.port:
            name = "fake-magda"
            if all(existing != name for existing, _ in EXTRA_PROCESSES):
                EXTRA_PROCESSES.append(
                    (
                        name,
                        [
                            sys.executable,
                            "-m",
                            "midoffice.manage",
                            "fake_magda",
                            "--port",
                            str(parts.port),
                        ],
                    )
                )
