"""``midoffice fake_edepot``: the fake e-depot on loopback (demo and manual tests)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from midoffice.integrations.edepot.fake_server import FakeEdepot


class Command(BaseCommand):
    help = "Run the fake e-depot on 127.0.0.1 (what it received: GET /)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--port", type=int, default=8087)
        parser.add_argument(
            "--store",
            default=str(Path(settings.DATA_DIR) / "fake-edepot.json"),
            help="JSON file that keeps what it received across restarts ('' for none).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        store = Path(options["store"]) if options["store"] else None
        server = FakeEdepot(port=options["port"], store_path=store)
        self.stdout.write(f"fake e-depot on {server.url}/")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
