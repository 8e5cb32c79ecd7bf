"""Read-only tokens for the OData feed, and the audit of their use (owner: analytics-odata).

Imported at the bottom of ``analytics/models.py`` so Django finds the models. The token
itself is shown once, when it is made; only its SHA-256 is kept (it is 256 random bits,
so a fast hash is enough: there is nothing to guess from). Use is counted per token per
day (``ODataTokenUse``): one cheap ``UPDATE`` per request, a row a day, kept for the audit
(a token that was used can be revoked, not deleted). See docs/adr/0020-odata-feed.md.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

__all__ = ["ODataToken", "ODataTokenUse"]


class ODataToken(models.Model):
    """A read-only key for the OData feed (Power BI), made in the admin or by
    ``midoffice analytics token create NAME``."""

    name = models.CharField(
        "naam",
        max_length=100,
        unique=True,
        help_text="Waarvoor de sleutel dient, bv. 'Power BI dienst Financiën'.",
    )
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    key_hint = models.CharField(
        "begin van de sleutel",
        max_length=16,
        editable=False,
        help_text="Om de sleutel te herkennen; de rest wordt nergens bewaard.",
    )
    created_at = models.DateTimeField("gemaakt op", editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name="gemaakt door",
    )
    revoked_at = models.DateTimeField("ingetrokken op", null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "OData-sleutel"
        verbose_name_plural = "OData-sleutels"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class ODataTokenUse(models.Model):
    """How often a token was used on one day (the audit of the feed)."""

    token = models.ForeignKey(
        ODataToken, on_delete=models.PROTECT, related_name="uses", verbose_name="sleutel"
    )
    day = models.DateField("dag")
    requests = models.PositiveIntegerField("vragen", default=0)
    first_at = models.DateTimeField("eerste")
    last_at = models.DateTimeField("laatste")
    last_address = models.CharField("laatste adres", max_length=45, blank=True, default="")
    last_path = models.CharField("laatst gevraagd", max_length=200, blank=True, default="")

    class Meta:
        verbose_name = "gebruik van een OData-sleutel"
        verbose_name_plural = "gebruik van OData-sleutels"
        ordering = ["-day", "token"]
        constraints = [
            models.UniqueConstraint(fields=["token", "day"], name="odata_token_use_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.token_id} {self.day}: {self.requests}"
