from django.apps import AppConfig


class DossiersConfig(AppConfig):
    name = "midoffice.dossiers"
    label = "dossiers"
    verbose_name = "Dossiers"
