from django.apps import AppConfig


class PartiesConfig(AppConfig):
    name = "midoffice.parties"
    label = "parties"
    verbose_name = "Contacten"
