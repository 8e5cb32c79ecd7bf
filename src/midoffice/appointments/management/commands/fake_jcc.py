"""``midoffice fake_jcc``: the fake JCC-Afspraken (GGS2 SOAP) for the demo (loopback only)."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand

from midoffice.appointments.fake_jcc import FakeJccServer


class Command(BaseCommand):
    help = "Serve a fake JCC-Afspraken (GGS2 SOAP, with its WSDL) on 127.0.0.1."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--port",
            type=int,
            default=urlsplit(settings.JCC_WSDL).port or 8086,
            help="Port on 127.0.0.1 (default: the port of MIDOFFICE_JCC_WSDL, else 8086).",
        )
        parser.add_argument(
            "--store",
            default=str(Path(settings.DATA_DIR) / "fake-jcc.json"),
            help="JSON file that keeps the bookings across restarts.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        server = FakeJccServer(port=options["port"], store_path=Path(options["store"]))
        self.stdout.write(f"fake JCC-Afspraken on {server.url}/ (WSDL: {server.wsdl_url})")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            server.stop()
