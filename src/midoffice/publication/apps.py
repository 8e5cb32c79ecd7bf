import sys

from django.apps import AppConfig
from django.conf import settings


class PublicationConfig(AppConfig):
    """Publishes dossier progress: DOSIS (Mijn Burgerprofiel) and outgoing webhooks."""

    name = "midoffice.publication"
    label = "publication"
    verbose_name = "Publicatie (DOSIS, webhooks)"

    def ready(self) -> None:
        from midoffice.core.management.commands.serve_all import EXTRA_PROCESSES
        from midoffice.dossiers import hooks
        from midoffice.publication import services

        if services.publish_opened not in hooks.on_opened:
            hooks.on_opened.append(services.publish_opened)
            hooks.on_status_changed.append(services.publish_status_changed)
        if settings.FAKE_DOSIS and all(name != "fake-dosis" for name, _ in EXTRA_PROCESSES):
            me = [sys.executable, "-m", "midoffice.manage"]
            EXTRA_PROCESSES.append(("fake-dosis", [*me, "fake_dosis", "--port", "8082"]))
        # A client certificate that cannot work stops every process here, naming the
        # variable, instead of failing at the first registration (ADR 22d).
        if settings.DOSIS_ENDPOINT:
            from midoffice.integrations.dosis.client import check_configuration

            check_configuration(endpoint=settings.DOSIS_ENDPOINT)
