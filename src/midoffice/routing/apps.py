from django.apps import AppConfig


class RoutingConfig(AppConfig):
    name = "midoffice.routing"
    label = "routing"
    verbose_name = "Herkenning en routering"

    def ready(self) -> None:
        from midoffice.core.schedule import PeriodicJob, register

        register(
            PeriodicJob(
                name="classifier-retrain",
                task="midoffice.routing.tasks.classifier_retrain_task",
                cron="30 2 * * *",
                description="Retrain the routing model on the corrections of the day.",
            )
        )
