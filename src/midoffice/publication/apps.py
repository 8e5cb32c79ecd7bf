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
        from midoffice.core.schedule import PeriodicJob, register
        from midoffice.dossiers import hooks
        from midoffice.publication import checks, services  # noqa: F401 - checks register

        register(
            PeriodicJob(
                name="dosis-results-poll",
                task="midoffice.publication.tasks.dosis_poll_task",
                cron="*/5 * * * *",
                description="Ask DOSIS (GeefResultaatRegistratie) for the outcome of the "
                "registrations that are due; resend transient refusals, flag the rest.",
            )
        )
        register(
            PeriodicJob(
                name="dosis-code-lists-refresh",
                task="midoffice.publication.tasks.dosis_code_lists_refresh_task",
                cron="23 4 * * 1",
                description="Reload the DOSIS code lists (GeefCodeLijst) every Monday.",
            )
        )

        # The catalog's status form refuses a code outside the DOSIS code lists (ADR 24).
        from midoffice.catalog.admin import status_code_check_register

        status_code_check_register(services.dosis_code_problem_in_admin)

        # A citizen's contacts linked (ADR 29): register the dossiers now reachable.
        from midoffice.parties import linking

        if services.dosis_backfill not in linking.on_linked:
            linking.on_linked.append(services.dosis_backfill)

        if services.publish_opened not in hooks.on_opened:
            hooks.on_opened.append(services.publish_opened)
            hooks.on_status_changed.append(services.publish_status_changed)
        # A client certificate that cannot work stops every process here, naming the
        # variable, instead of failing at the first registration (ADR 22d).
        if settings.DOSIS_ENDPOINT:
            from midoffice.integrations.dosis.client import check_configuration

            check_configuration(endpoint=settings.DOSIS_ENDPOINT)
        if settings.FAKE_DOSIS and all(name != "fake-dosis" for name, _ in EXTRA_PROCESSES):
            me = [sys.executable, "-m", "midoffice.manage"]
            EXTRA_PROCESSES.append(("fake-dosis", [*me, "fake_dosis", "--port", "8082"]))
