"""``midoffice fake_registers``: the fake address and parcel registers (loopback only)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from midoffice.integrations.registers.fake_server import FakeRegisterServer


class Command(BaseCommand):
    help = "Serve fake Adressenregister and Perceelregister v2 (Leemdonk) on 127.0.0.1."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--port", type=int, default=8090)
        parser.add_argument("--api-key", default="", help="Require this x-api-key.")

    def handle(self, *args: Any, **options: Any) -> None:
        server = FakeRegisterServer(port=options["port"], api_key=options["api_key"])
        self.stdout.write(f"fake registers on {server.url}/v2/adressen")
        self.stdout.flush()
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            server.stop()
