"""``midoffice restore FILE``: fill an empty database and file storage from a backup."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from midoffice.core.backup.archive import restore_run
from midoffice.core.backup.manifest import BackupError


class Command(BaseCommand):
    help = (
        "Restore a backup archive into an empty database and an empty file storage. The "
        "whole archive is checked first; nothing is touched when it is damaged, from another "
        "version, or when the target is not empty."
    )
    # The target database is empty, so checks that read it have nothing to check.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", help="The archive written by 'midoffice backup'.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            restore_run(path=Path(options["file"]), progress=self.stdout.write)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write("restore complete")
