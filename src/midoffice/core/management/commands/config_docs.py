"""``midoffice config_docs``: write docs/config.md from the settings code."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from midoffice.envconfig import render_markdown


class Command(BaseCommand):
    help = "Write the configuration reference (docs/config.md) from the code that reads it."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--output", default=str(Path(settings.BASE_DIR) / "docs" / "config.md"))

    def handle(self, *args: Any, **options: Any) -> None:
        Path(options["output"]).write_text(render_markdown(), encoding="utf-8")
        self.stdout.write(f"wrote {options['output']}")
