"""``midoffice demo_pki``: the demo PKI service (TSA, OCSP, CRL) on loopback, for development."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from midoffice.integrations.signing.demo_pki import DemoPkiServer
from midoffice.integrations.signing.democert import pki_files_for


class Command(BaseCommand):
    help = (
        "Run the demo timestamp authority, OCSP responder and CRL for the demo signing "
        "certificate (MIDOFFICE_SIGNING_P12) on 127.0.0.1."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--port", type=int, default=8088)

    def handle(self, *args: Any, **options: Any) -> None:
        files = pki_files_for(Path(settings.SIGNING_P12))
        server = DemoPkiServer(files, port=options["port"])
        self.stdout.write(f"demo PKI on {server.url}/ (tsa, ocsp, crl) from {files.folder}")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server.server_close()
