from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "midoffice.core"
    label = "core"
    verbose_name = "Kern"

    def ready(self) -> None:
        from midoffice.core.request_id import task_hooks_connect

        task_hooks_connect()
