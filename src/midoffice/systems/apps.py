from django.apps import AppConfig


class SystemsConfig(AppConfig):
    name = "midoffice.systems"
    label = "systems"
    verbose_name = "Maatsystemen"

    def ready(self) -> None:
        from midoffice.dossiers.documents import document_source_register
        from midoffice.publication.services import webhook_subscription_filter_register
        from midoffice.systems.documents import system_documents
        from midoffice.systems.services import webhook_subscriptions_in_scope

        document_source_register("systems", system_documents)
        # A system's webhook subscriptions hear only about dossiers in its scope.
        webhook_subscription_filter_register(webhook_subscriptions_in_scope)
