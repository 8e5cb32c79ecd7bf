from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "midoffice.intake"
    label = "intake"
    verbose_name = "Inkomende berichten"

    def ready(self) -> None:
        # Registers the outbox handler for "mail.send" and the periodic jobs.
        import sys

        from midoffice.core.management.commands import serve_all
        from midoffice.core.warmup import register_worker_warm_up
        from midoffice.intake import acknowledgement, tasks  # noqa: F401
        from midoffice.intake.warmup import pipeline_warm_up

        # A worker loads what a mail needs before its first one (core.warmup).
        register_worker_warm_up("intake", pipeline_warm_up)

        listener = (
            "smtp-listener",
            [sys.executable, "-m", "midoffice.manage", "intake", "listen", "--port", "2525"],
        )
        if listener not in serve_all.EXTRA_PROCESSES:
            serve_all.EXTRA_PROCESSES.append(listener)
