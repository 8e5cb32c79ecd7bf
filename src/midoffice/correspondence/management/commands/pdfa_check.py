"""``midoffice pdfa_check FILE``: check a letter (or any PDF) against our PDF/A-2b rules."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from midoffice.correspondence.pdfa import pdfa_check


class Command(BaseCommand):
    help = (
        "Check a PDF against Midoffice's PDF/A-2b rules (ADR 22b): metadata, output intent, "
        "fonts, actions, annotations, forms, transparency, signatures. Not a full validator."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", type=Path, help="The PDF to check.")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"Bestand {path} bestaat niet.")
        report = pdfa_check(path.read_bytes())
        if options["verbosity"] >= 2:
            for check in report.checks:
                mark = "ok" if check.ok else "FOUT"
                self.stdout.write(f"{mark:4} {check.name} ({check.clause}): {check.covers}")
        if not report.ok:
            raise CommandError(report.summary())
        self.stdout.write(report.summary())
