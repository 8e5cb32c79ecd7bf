"""``midoffice backup --out FILE``: the database and every stored file in one archive."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from midoffice.core.backup.archive import backup_create
from midoffice.core.backup.manifest import BackupError


class Command(BaseCommand):
    help = (
        "Write a backup archive (tar.gz): a consistent database snapshot, every stored file "
        "and a manifest with checksums. Safe while Midoffice is in use."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--out", required=True, help="The archive to write (must not exist).")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        try:
            result = backup_create(out=Path(options["out"]))
        except BackupError as exc:
            raise CommandError(f"backup failed, no archive written: {exc}") from exc
        except OSError as exc:
            raise CommandError(f"backup failed, no archive written: {exc}") from exc
        manifest = result.manifest
        self.stdout.write(
            f"backup written: {result.path} ({result.size} bytes, "
            f"{sum(manifest.tables.values())} rows in {len(manifest.tables)} tables, "
            f"{len(manifest.files)} files, {time.monotonic() - started:.1f} s)"
        )
