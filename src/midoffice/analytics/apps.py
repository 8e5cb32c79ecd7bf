from __future__ import annotations

from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "midoffice.analytics"
    label = "analytics"
    verbose_name = "Analyse en rapportering"

    def ready(self) -> None:
        # Registers the periodic refresh of the dashboards' tables with core.schedule.
        from midoffice.analytics import tasks  # noqa: F401

        # Open and overdue dossiers per team in /metrics (core.metrics, ADR 21b).
        from midoffice.analytics.metrics import workload_metrics
        from midoffice.core.metrics import metrics_source_register

        metrics_source_register("dossiers", workload_metrics)
