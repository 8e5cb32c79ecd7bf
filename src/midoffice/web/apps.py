from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "midoffice.web"
    label = "web"
    verbose_name = "Werkplek"
