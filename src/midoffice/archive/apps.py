from __future__ import annotations

import sys
from urllib.parse import urlsplit

from django.apps import AppConfig


class ArchiveConfig(AppConfig):
    name = "midoffice.archive"
    label = "archive"
    verbose_name = "Archief"

    def ready(self) -> None:
        from django.conf import settings

        # Destruction lists (archive-destroy): the run task and its periodic sweep.
        from midoffice.archive import (  # noqa: F401 - registers jobs and handler
            destruction_tasks,
            tasks,
            transfer,
        )
        from midoffice.core.management.commands.serve_all import EXTRA_PROCESSES

        # With the default (loopback) e-depot address, `make run` starts the fake e-depot.
        parts = urlsplit(settings.EDEPOT_URL)
        if (
            settings.EDEPOT_PLUGIN == "http"
            and parts.hostname in ("127.0.0.1", "localhost")
            and parts.port
        ):
            name = "fake-edepot"
            if all(existing != name for existing, _ in EXTRA_PROCESSES):
                EXTRA_PROCESSES.append(
                    (
                        name,
                        [
                            sys.executable,
                            "-m",
                            "midoffice.manage",
                            "fake_edepot",
                            "--port",
                            str(parts.port),
                        ],
                    )
                )
