"""``midoffice fake_oidc``: a fake citizen login (OIDC) with demo citizens, loopback only."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from midoffice.integrations.fake_oidc.server import FakeOidcProvider


class Command(BaseCommand):
    help = "Serve a fake OpenID Connect provider with fictional citizens on 127.0.0.1."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--port", type=int, default=8081)

    def handle(self, *args: Any, **options: Any) -> None:
        provider = FakeOidcProvider(
            port=options["port"],
            client_id=settings.OIDC_CLIENT_ID or "midoffice-demo",
            client_secret=settings.OIDC_CLIENT_SECRET or "demo-secret",
        )
        self.stdout.write(f"fake OIDC provider on {provider.issuer}")
        try:
            provider.serve_forever()
        except KeyboardInterrupt:
            provider.stop()
