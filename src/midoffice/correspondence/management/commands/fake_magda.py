"""``midoffice fake_magda``: the fake Documentendienst on loopback (demo and manual tests)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from midoffice.integrations.magda.fake import FakeDocumentService


class Command(BaseCommand):
    help = "Run the fake MAGDA Documentendienst on 127.0.0.1 (what it received: GET /)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--port", type=int, default=8083)

    def handle(self, *args: Any, **options: Any) -> None:
        server = FakeDocumentService(port=options["port"])
        self.stdout.write(f"fake Documentendienst on {server.url}/")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
