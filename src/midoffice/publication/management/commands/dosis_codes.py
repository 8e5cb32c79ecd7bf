"""Load the DOSIS code lists (GeefCodeLijst) and check the catalog's status mapping."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from midoffice.integrations.dosis.base import DosisRejected, DosisUnavailable
from midoffice.publication import services


class Command(BaseCommand):
    help = "Load the DOSIS code lists with GeefCodeLijst, then check the catalog's mapping."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--check-only",
            action="store_true",
            help="Do not ask DOSIS; only check the mapping against the lists loaded before.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["check_only"]:
            if not settings.DOSIS_ENDPOINT:
                raise CommandError("MIDOFFICE_DOSIS_ENDPOINT is empty: there is no DOSIS to ask.")
            try:
                counts = services.dosis_code_lists_load()
            except (DosisUnavailable, DosisRejected, services.CodeListEmpty) as exc:
                raise CommandError(f"code lists not loaded (the old ones stay): {exc}") from exc
            for name, count in counts.items():
                self.stdout.write(f"{name}: {count} codes")
        problems = services.dosis_mapping_problems()
        for problem in problems:
            self.stderr.write(str(problem))
        if problems:
            raise CommandError(f"{len(problems)} status(es) map to an unknown DOSIS code")
        self.stdout.write("DOSIS status mapping: OK")
