"""Routing: rules, training examples and versioned topic models."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from midoffice.catalog.models import DossierType


class RoutingRule(models.Model):
    """An administrator's rule that points mail at a dossier type."""

    class Kind(models.TextChoices):
        KEYWORD = "keyword", "Trefwoord (woorddeel)"
        PHRASE = "phrase", "Zinsdeel"
        SENDER_DOMAIN = "sender_domain", "Domein van de afzender"
        SENDER_ADDRESS = "sender_address", "Adres van de afzender"

    dossier_type = models.ForeignKey(
        DossierType,
        on_delete=models.CASCADE,
        related_name="routing_rules",
        verbose_name="dossiertype",
    )
    kind = models.CharField("soort", max_length=20, choices=Kind.choices)
    pattern = models.CharField(
        "patroon", max_length=200, help_text="Hoofdletters maken niet uit; een domein zonder @."
    )
    weight = models.DecimalField(
        "gewicht",
        max_digits=3,
        decimal_places=2,
        default=0.5,
        help_text=(
            "Hoeveel de regel meetelt (0 tot 1). Een afzenderregel met gewicht 1 beslist alleen."
        ),
    )
    active = models.BooleanField("actief", default=True)

    class Meta:
        verbose_name = "routeringsregel"
        verbose_name_plural = "routeringsregels"

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.pattern} → {self.dossier_type}"


class TrainingExample(models.Model):
    """A labelled text the topic model learns from."""

    class Source(models.TextChoices):
        IMPORT = "import", "Geïmporteerd"
        CORRECTION = "correction", "Correctie door een medewerker"
        CONFIRMATION = "confirmation", "Bevestigd door een medewerker"

    subject = models.CharField(max_length=300, blank=True, default="")
    body = models.TextField(blank=True, default="")
    dossier_type = models.ForeignKey(DossierType, on_delete=models.CASCADE, related_name="+")
    source = models.CharField(max_length=16, choices=Source.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = "trainingsvoorbeeld"
        verbose_name_plural = "trainingsvoorbeelden"

    def __str__(self) -> str:
        return f"{self.subject[:60]} → {self.dossier_type_id}"


class TopicModelVersion(models.Model):
    """A trained model, stored with its metrics; only one is active at a time."""

    created_at = models.DateTimeField(auto_now_add=True)
    examples = models.PositiveIntegerField("voorbeelden")
    labels = models.JSONField(default=list)
    metrics = models.JSONField(default=dict)
    threshold = models.FloatField(
        "drempel", help_text="Gekozen met kruisvalidatie op de trainingsdata."
    )
    blob = models.BinaryField()
    sha256 = models.CharField(max_length=64)
    is_active = models.BooleanField(default=False)
    note = models.CharField(max_length=300, blank=True, default="")

    class Meta:
        verbose_name = "routeringsmodel"
        verbose_name_plural = "routeringsmodellen"
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"model {self.pk} ({self.created_at:%Y-%m-%d}, {self.examples} voorbeelden)"
