from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "midoffice.catalog"
    label = "catalog"
    verbose_name = "Catalogus"
