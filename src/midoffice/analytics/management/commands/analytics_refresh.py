"""``midoffice analytics_refresh [--full]``: update the dashboards' tables now."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from midoffice.analytics.aggregates import analytics_refresh


class Command(BaseCommand):
    help = (
        "Update the dashboards' tables from the events since the last run "
        "(what the scheduler does every five minutes); --full recomputes everything."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--full", action="store_true", help="Recompute everything.")

    def handle(self, *args: Any, **options: Any) -> None:
        result = analytics_refresh(full=options["full"])
        kind = "volledig" if result.full else "incrementeel"
        self.stdout.write(
            f"Analyse ververst ({kind}, {result.reason}): {result.dossiers} dossiers, "
            f"{result.letters} brieven, {result.day_rows} dagrijen, "
            f"{result.snapshot_rows} rijen werklast, {result.seconds:.2f} s."
        )
