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

        # A client certificate or OAuth2 setting that cannot work stops every process here,
        # naming the variable, instead of failing at the first letter (ADR 22d).
        if settings.MAGDA_PLUGIN == "rest":
            from midoffice.integrations.magda.client import check_configuration

            check_configuration(url=settings.MAGDA_URL, token=settings.MAGDA_TOKEN)

        # Production cannot start without what signing a letter needs (ADR 22a).
        from django.core import checks

        from midoffice.correspondence.checks import check_signing

        checks.register(check_signing)

        # In development the demo PKI (timestamps, OCSP, CRL for the demo certificate)
        # runs on the default TSA address, so letters are signed PAdES B-LT there too.
        tsa = urlsplit(settings.SIGNING_TSA_URL)
        if (
            settings.DEBUG
            and tsa.hostname in ("127.0.0.1", "localhost")
            and tsa.port
            and all(existing != "demo-pki" for existing, _ in EXTRA_PROCESSES)
        ):
            demo_pki = [sys.executable, "-m", "midoffice.manage", "demo_pki"]
            EXTRA_PROCESSES.append(("demo-pki", [*demo_pki, "--port", str(tsa.port)]))

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

        # The csc signer without a service URL in development: `make run` starts the fake
        # remote signing service (its address is set in settings, FAKE_CSC).
        if settings.FAKE_CSC:
            name = "fake-csc"
            port = str(urlsplit(settings.SIGNING_CSC_URL).port)
            if all(existing != name for existing, _ in EXTRA_PROCESSES):
                me = [sys.executable, "-m", "midoffice.manage"]
                EXTRA_PROCESSES.append((name, [*me, "fake_csc", "--port", port]))
