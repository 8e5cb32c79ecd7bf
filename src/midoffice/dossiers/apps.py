from django.apps import AppConfig


class DossiersConfig(AppConfig):
    name = "midoffice.dossiers"
    label = "dossiers"
    verbose_name = "Dossiers"

    def ready(self) -> None:
        # Registers the periodic deadline scan and digest with core.schedule.
        from midoffice.dossiers import tasks  # noqa: F401
