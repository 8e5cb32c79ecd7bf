"""Subscribers of outgoing webhooks."""

from __future__ import annotations

import secrets

from django.db import models


def _new_secret() -> str:
    return secrets.token_urlsafe(32)


class WebhookSubscription(models.Model):
    """Another system that wants to hear about dossiers (CloudEvents, HMAC-signed)."""

    class EventType(models.TextChoices):
        OPENED = "dossier.opened", "Dossier geopend"
        STATUS_CHANGED = "dossier.status_changed", "Status gewijzigd"
        QUESTION_RECEIVED = "dossier.question_received", "Vervolgvraag van de burger"

    name = models.CharField("naam", max_length=120)
    url = models.URLField("adres", max_length=500)
    secret = models.CharField(
        "geheim",
        max_length=200,
        default=_new_secret,
        help_text="Gedeeld geheim voor de HMAC-SHA256-handtekening (X-Midoffice-Signature).",
    )
    event_types = models.JSONField(
        "gebeurtenissen",
        default=list,
        blank=True,
        help_text='Lijst van soorten, bv. ["dossier.opened"]. Leeg: alle gebeurtenissen.',
    )
    active = models.BooleanField("actief", default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "webhook-abonnement"
        verbose_name_plural = "webhook-abonnementen"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def wants(self, event_type: str) -> bool:
        return self.active and (not self.event_types or event_type in self.event_types)
