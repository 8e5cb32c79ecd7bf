from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CatalogConfig(AppConfig):
    name = "midoffice.catalog"
    label = "catalog"
    verbose_name = "Catalogus"

    def ready(self) -> None:
        from midoffice.catalog.defaults import on_post_migrate

        # After every ``migrate`` (and a test's flush): the triage type intake needs.
        post_migrate.connect(on_post_migrate, sender=self, dispatch_uid="catalog-minimum")
