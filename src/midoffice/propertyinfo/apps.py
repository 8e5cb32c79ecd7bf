from django.apps import AppConfig


class PropertyInfoConfig(AppConfig):
    """Vastgoedinformatie: documents about the dossier's parcel, kept or sent along."""

    name = "midoffice.propertyinfo"
    label = "propertyinfo"
    verbose_name = "Vastgoedinformatie"

    def ready(self) -> None:
        # The fake registers itself in the plugin registry when imported.
        from midoffice.dossiers.documents import document_source_register
        from midoffice.dossiers.erasure import eraser_register
        from midoffice.integrations.property import fake  # noqa: F401
        from midoffice.propertyinfo.documents import PROPERTY_ERASER, property_documents

        # The kept property documents, for whoever needs all of a dossier's documents.
        document_source_register("propertyinfo", property_documents)
        # What destroying a dossier removes here: its kept copies (ADR 18).
        eraser_register("propertyinfo", PROPERTY_ERASER)
