from __future__ import annotations

from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "midoffice.analytics"
    label = "analytics"
    verbose_name = "Analyse en rapportering"

    def ready(self) -> None:
        # Registers the periodic refresh of the dashboards' tables with core.schedule.
        from midoffice.analytics import tasks  # noqa: F401
