from __future__ import annotations

from django.conf import settings
from django.db import models

from midoffice.dossiers.models import Dossier


class KeptPropertyDocument(models.Model):
    """A copy of a property platform's document, kept on a dossier.

    The bytes are stored content-addressed (``storage_name``, ``sha256``); the platform's
    identifier makes adding the same document twice a no-op.
    """

    dossier = models.ForeignKey(
        Dossier, on_delete=models.CASCADE, related_name="property_documents"
    )
    capakey = models.CharField("perceel (CaPaKey)", max_length=20)
    document_id = models.CharField(max_length=200)
    kind = models.CharField("soort", max_length=20)
    title = models.CharField("titel", max_length=300)
    document_date = models.DateField("datum", null=True, blank=True)
    source = models.CharField("bron", max_length=200)
    filename = models.CharField("bestandsnaam", max_length=200)
    media_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    storage_name = models.CharField(max_length=200)
    sha256 = models.CharField(max_length=64)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    added_at = models.DateTimeField()

    class Meta:
        verbose_name = "vastgoeddocument"
        verbose_name_plural = "vastgoeddocumenten"
        ordering = ["added_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["dossier", "capakey", "document_id"],
                name="property_document_once_per_dossier",
            )
        ]

    def __str__(self) -> str:
        return f"{self.dossier_id}: {self.title}"
