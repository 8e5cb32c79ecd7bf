"""``midoffice archive <subcommand>``: the archive from the command line.

The subcommands live in ``archive.cli`` (a registry: the destruction part adds its own).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from midoffice.archive.cli import SUBCOMMANDS


class Command(BaseCommand):
    help = "Archive: E-ARK packages, the daily run, transfers to the e-depot."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        for name, subcommand in SUBCOMMANDS.items():
            subcommand.add_arguments(sub.add_parser(name, help=subcommand.help))

    def handle(self, *args: Any, **options: Any) -> None:
        code = SUBCOMMANDS[options["action"]].handle(self, options)
        if code:
            raise SystemExit(code)
