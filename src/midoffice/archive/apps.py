from __future__ import annotations

from django.apps import AppConfig


class ArchiveConfig(AppConfig):
    name = "midoffice.archive"
    label = "archive"
    verbose_name = "Archief"
