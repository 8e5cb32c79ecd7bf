from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "midoffice.core"
    label = "core"
    verbose_name = "Kern"
