"""``midoffice fake_dosis``: the fake DOSIS server for the demo (loopback only)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from midoffice.integrations.dosis.fake_server import FakeDosisServer


class Command(BaseCommand):
    help = (
        "Serve a fake DOSIS (RegistreerDossier, GeefResultaatRegistratie, GeefCodeLijst) "
        "on 127.0.0.1."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--port", type=int, default=8082)
        parser.add_argument(
            "--store",
            default=str(Path(settings.DATA_DIR) / "fake-dosis.json"),
            help="JSON file that keeps what was received across restarts.",
        )
        parser.add_argument(
            "--pending-polls",
            type=int,
            default=1,
            help="How many result questions a registration answers 'in verwerking' first.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        server = FakeDosisServer(
            port=options["port"],
            store_path=Path(options["store"]),
            pending_polls=options["pending_polls"],
        )
        self.stdout.write(f"fake DOSIS on {server.url}/ (what it received: {server.url}/)")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            server.stop()
