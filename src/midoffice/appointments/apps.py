from __future__ import annotations

import sys
from urllib.parse import urlsplit

from django.apps import AppConfig


class AppointmentsConfig(AppConfig):
    name = "midoffice.appointments"
    label = "appointments"
    verbose_name = "Afspraken"

    def ready(self) -> None:
        _register_fake_jcc()
        # Registers the outbox handlers (invitation mails, video cancel) and the reminder job.
        from midoffice.appointments import invitation_mail, tasks, video  # noqa: F401

        # What destroying a dossier removes here: its appointments (the archive, ADR 18).
        from midoffice.appointments.erasure import APPOINTMENTS_ERASER
        from midoffice.dossiers.erasure import eraser_register

        eraser_register("appointments", APPOINTMENTS_ERASER)


def _register_fake_jcc() -> None:
    """With the JCC WSDL on loopback (the demo's fake), `make run` starts the fake JCC."""
    from django.conf import settings

    from midoffice.core.management.commands.serve_all import EXTRA_PROCESSES

    parts = urlsplit(settings.JCC_WSDL)
    if parts.scheme != "http" or parts.hostname not in ("127.0.0.1", "localhost"):
        return
    if not parts.port:
        return
    name = "fake-jcc"
    if all(existing != name for existing, _ in EXTRA_PROCESSES):
        EXTRA_PROCESSES.append(
            (
                name,
                [sys.executable, "-m", "midoffice.manage", "fake_jcc", "--port", str(parts.port)],
            )
        )
