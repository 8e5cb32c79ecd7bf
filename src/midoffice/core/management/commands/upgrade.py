"""``midoffice upgrade check``: the pending migrations, and whether a rolling upgrade works.

Run it with the *new* version's code against the production database, before ``migrate``.
Exit codes (for scripts): 0 nothing pending; 1 pending and all rolling-safe (migrate while
the old version serves, then restart); 2 some need downtime (stop the processes first);
3 the database could not be read. The rules are in ``midoffice.core.upgrade``.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

from midoffice.core.upgrade import UpgradeCheck, upgrade_check


class Command(BaseCommand):
    help = "Upgrade helpers: 'check' lists pending migrations and whether they need downtime."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        check = sub.add_parser(
            "check",
            help="List pending migrations; exit 0 none, 1 all rolling-safe, 2 downtime needed.",
        )
        check.add_argument("--database", default=DEFAULT_DB_ALIAS)
        check.add_argument("--json", action="store_true", help="Print the result as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = upgrade_check(connections[options["database"]])
        except DatabaseError as exc:
            raise CommandError(f"cannot read the migration state: {exc}", returncode=3) from exc
        if options["json"]:
            self.stdout.write(json.dumps(_as_json(result), indent=1))
        else:
            self._report(result)
        if result.exit_code:
            # Exit codes carry the verdict; a normal return would always be 0.
            sys.exit(result.exit_code)

    def _report(self, result: UpgradeCheck) -> None:
        if not result.pending:
            self.stdout.write("No pending migrations.")
            return
        downtime = sum(not verdict.rolling_safe for verdict in result.verdicts)
        self.stdout.write(f"Pending migrations: {len(result.verdicts)} ({downtime} need downtime)")
        app = ""
        for verdict in result.verdicts:
            if verdict.app_label != app:
                app = verdict.app_label
                self.stdout.write(app)
            label = "rolling-safe" if verdict.rolling_safe else "downtime"
            self.stdout.write(f"  [{label:12}] {verdict.name}")
            for reason in verdict.reasons:
                self.stdout.write(f"                 - {reason}")
        if result.needs_downtime:
            self.stdout.write(
                "Verdict: needs downtime. Stop web, workers and scheduler, run migrate, "
                "then start the new version."
            )
        else:
            self.stdout.write(
                "Verdict: rolling-safe. Run migrate while the old version serves, "
                "then restart the processes one by one."
            )


def _as_json(result: UpgradeCheck) -> dict[str, Any]:
    return {
        "pending": [
            {
                "app": verdict.app_label,
                "name": verdict.name,
                "rolling_safe": verdict.rolling_safe,
                "reasons": verdict.reasons,
            }
            for verdict in result.verdicts
        ],
        "needs_downtime": result.needs_downtime,
        "exit_code": result.exit_code,
    }
