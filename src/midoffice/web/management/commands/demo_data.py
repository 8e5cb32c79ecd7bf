"""``midoffice demo_data``: load the demo town (idempotent)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from midoffice.correspondence.demo import demo_pki_while_loading
from midoffice.web.demo import load_demo_data


class Command(BaseCommand):
    help = "Load the demo data of the fictional town of Leemdonk. Running it twice adds nothing."

    def handle(self, *args: Any, **options: Any) -> None:
        # Demo letters are signed as in production (PAdES B-LT): the demo PKI must answer.
        with demo_pki_while_loading():
            added = load_demo_data()
        self.stdout.write("demo data: " + ", ".join(f"{k} +{v}" for k, v in added.items()))
