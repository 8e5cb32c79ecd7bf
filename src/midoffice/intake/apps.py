from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "midoffice.intake"
    label = "intake"
    verbose_name = "Inkomende berichten"

    def ready(self) -> None:
        # Registers the outbox handler for "mail.send" and the periodic jobs.
        import sys

        from midoffice.core.management.commands import serve_all
        from midoffice.intake import acknowledgement, tasks  # noqa: F401

        listener = (
            "smtp-listener",
            [sys.executable, "-m", "midoffice.manage", "intake", "listen", "--port", "2525"],
        )
        if listener not in serve_all.EXTRA_PROCESSES:
            serve_all.EXTRA_PROCESSES.append(listener)
