"""``midoffice fake_csc``: the fake remote signing service (CSC API v2) on loopback.

It signs with the key of MIDOFFICE_SIGNING_P12 (the demo town certificate, made here when
it is missing) and accepts the client, credential and PIN that the csc signer is
configured with (the fake's demo values when those settings are empty).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from midoffice.integrations.signing import fake_csc
from midoffice.integrations.signing.democert import generate_demo_p12


class Command(BaseCommand):
    help = "Run the fake CSC signing service on 127.0.0.1 (what it signed: GET /)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--port", type=int, default=8089)

    def handle(self, *args: Any, **options: Any) -> None:
        p12 = Path(settings.SIGNING_P12)
        if not p12.exists() and not settings.SIGNING_TRUST_ROOT:
            generate_demo_p12(path=p12, passphrase=settings.SIGNING_P12_PASSWORD)
        server = fake_csc.FakeCscServer.from_p12(
            p12,
            settings.SIGNING_P12_PASSWORD,
            port=options["port"],
            client_id=settings.SIGNING_CSC_CLIENT_ID or fake_csc.DEMO_CLIENT_ID,
            client_secret=settings.SIGNING_CSC_CLIENT_SECRET or fake_csc.DEMO_CLIENT_SECRET,
            credential_id=settings.SIGNING_CSC_CREDENTIAL_ID or fake_csc.DEMO_CREDENTIAL_ID,
            pin=settings.SIGNING_CSC_PIN or fake_csc.DEMO_PIN,
        )
        self.stdout.write(f"fake CSC signing service on {server.url}/")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
