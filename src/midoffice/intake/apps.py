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

        # The dossier's raw mails and attachments, for whoever needs all its documents.
        from midoffice.dossiers.documents import document_source_register
        from midoffice.intake import acknowledgement, tasks  # noqa: F401
        from midoffice.intake.documents import intake_documents
        from midoffice.intake.warmup import pipeline_warm_up

        document_source_register("intake", intake_documents)

        # What destroying a dossier removes here: its mails (the archive, ADR 18).
        from midoffice.dossiers.erasure import eraser_register
        from midoffice.intake.erasure import INTAKE_ERASER

        eraser_register("intake", INTAKE_ERASER)

        # A worker loads what a mail needs before its first one (core.warmup).
        register_worker_warm_up("intake", pipeline_warm_up)

        # Each mailbox's last successful poll in /readyz, its mails in /metrics (ADR 21b).
        from midoffice.core.health import health_check_register
        from midoffice.core.metrics import metrics_source_register
        from midoffice.intake.health import MAILBOX_CHECK, STORAGE_BACKLOG_CHECK
        from midoffice.intake.metrics import inbound_metrics

        health_check_register(MAILBOX_CHECK)
        # Mails waiting in the database for the storage (ADR 21g): degraded, not down.
        health_check_register(STORAGE_BACKLOG_CHECK)
        metrics_source_register("intake", inbound_metrics)

        listener = (
            "smtp-listener",
            [sys.executable, "-m", "midoffice.manage", "intake", "listen", "--port", "2525"],
        )
        if listener not in serve_all.EXTRA_PROCESSES:
            serve_all.EXTRA_PROCESSES.append(listener)
