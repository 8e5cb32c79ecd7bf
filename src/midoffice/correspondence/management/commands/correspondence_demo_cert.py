"""``midoffice correspondence_demo_cert``: write a self-signed demo signing certificate."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from midoffice.integrations.signing.democert import generate_demo_p12, root_path_for


class Command(BaseCommand):
    help = "Write the demo PKCS#12 (MIDOFFICE_SIGNING_P12) and its root certificate."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--force", action="store_true", help="Replace an existing file.")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(settings.SIGNING_P12)
        if path.exists() and not options["force"]:
            self.stdout.write(f"{path} exists; use --force to replace it")
            return
        generate_demo_p12(path=path, passphrase=settings.SIGNING_P12_PASSWORD)
        self.stdout.write(f"wrote {path} and {root_path_for(path)}")
