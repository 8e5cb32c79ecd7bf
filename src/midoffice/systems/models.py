"""Specialist systems, their tokens, the records they link, their documents and the audit.

A specialist system (maatsysteem: permits, population register, finance…) keeps its own
records; the mid-office keeps a link to them on the dossier and what they last said
("linked, not replaced", DESIGN §2). See docs/adr/0028-specialist-systems.md.
"""

from __future__ import annotations

from django.db import models

from midoffice.accounts.models import Team
from midoffice.catalog.models import DossierType
from midoffice.dossiers.models import Dossier


class Scope(models.TextChoices):
    """What a system may do through the API."""

    LINK = "link", "Records koppelen"
    STATUS = "status", "Status melden"
    DOCUMENTS = "documents", "Documenten toevoegen"
    WEBHOOKS = "webhooks", "Webhooks abonneren"


class SpecialistSystem(models.Model):
    """A specialist system that may reach the dossiers of its teams or dossier types."""

    name = models.CharField(
        "naam", max_length=80, help_text="Zoals medewerkers het kennen, bv. 'Omgevingsloket'."
    )
    code = models.SlugField("code", max_length=40, unique=True)
    active = models.BooleanField(
        "actief", default=True, help_text="Een niet-actief systeem kan niets meer via de API."
    )
    scopes = models.JSONField(
        "rechten",
        default=list,
        blank=True,
        help_text='Lijst uit "link", "status", "documents", "webhooks".',
    )
    teams = models.ManyToManyField(
        Team,
        blank=True,
        related_name="+",
        verbose_name="teams",
        help_text="Het systeem bereikt de dossiers van deze teams (ook vertrouwelijke).",
    )
    dossier_types = models.ManyToManyField(
        DossierType,
        blank=True,
        related_name="+",
        verbose_name="dossiertypes",
        help_text="…en de niet-vertrouwelijke dossiers van deze types.",
    )
    created_at = models.DateTimeField("gemaakt op", auto_now_add=True)

    class Meta:
        verbose_name = "maatsysteem"
        verbose_name_plural = "maatsystemen"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def has_scope(self, scope: str) -> bool:
        return scope in (self.scopes or [])


class SystemToken(models.Model):
    """An API key of one system; only its SHA-256 is kept (shown once, when made)."""

    system = models.ForeignKey(
        SpecialistSystem, on_delete=models.CASCADE, related_name="tokens", verbose_name="systeem"
    )
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    key_hint = models.CharField("begin van de sleutel", max_length=16, editable=False)
    created_at = models.DateTimeField("gemaakt op", editable=False)
    revoked_at = models.DateTimeField("ingetrokken op", null=True, blank=True, editable=False)
    last_used_at = models.DateTimeField("laatst gebruikt", null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "sleutel van een maatsysteem"
        verbose_name_plural = "sleutels van maatsystemen"
        ordering = ["system", "-created_at"]

    def __str__(self) -> str:
        return f"{self.system} ({self.key_hint}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class ExternalRecord(models.Model):
    """A record of a specialist system linked to a dossier, with the last status it sent."""

    system = models.ForeignKey(
        SpecialistSystem, on_delete=models.PROTECT, related_name="records", verbose_name="systeem"
    )
    dossier = models.ForeignKey(
        Dossier, on_delete=models.CASCADE, related_name="system_records", verbose_name="dossier"
    )
    external_id = models.CharField("kenmerk", max_length=120)
    url = models.URLField("adres", max_length=500, blank=True, default="")
    title = models.CharField("titel", max_length=200, blank=True, default="")
    status_code = models.CharField("laatste status (code)", max_length=60, blank=True, default="")
    status_text = models.CharField("laatste status", max_length=200, blank=True, default="")
    status_at = models.DateTimeField("status gemeld op", null=True, blank=True)
    created_at = models.DateTimeField("gekoppeld op", auto_now_add=True)
    updated_at = models.DateTimeField("bijgewerkt op", auto_now=True)

    class Meta:
        verbose_name = "gekoppeld record"
        verbose_name_plural = "gekoppelde records"
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["system", "external_id", "dossier"], name="external_record_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.system} {self.external_id}"


class SystemDocument(models.Model):
    """A document a specialist system added to a dossier (checked type and size)."""

    system = models.ForeignKey(
        SpecialistSystem, on_delete=models.PROTECT, related_name="documents", verbose_name="systeem"
    )
    dossier = models.ForeignKey(
        Dossier, on_delete=models.CASCADE, related_name="system_documents", verbose_name="dossier"
    )
    record = models.ForeignKey(
        ExternalRecord,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="documents",
        verbose_name="record",
    )
    file = models.FileField(upload_to="systems/%Y/%m/")
    name = models.CharField("bestandsnaam", max_length=200)
    title = models.CharField("titel", max_length=200, blank=True, default="")
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = "document van een maatsysteem"
        verbose_name_plural = "documenten van maatsystemen"
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.name


class SystemWebhook(models.Model):
    """A webhook subscription that belongs to a system: it hears only of its dossiers."""

    system = models.ForeignKey(
        SpecialistSystem, on_delete=models.CASCADE, related_name="webhooks", verbose_name="systeem"
    )
    subscription = models.OneToOneField(
        "publication.WebhookSubscription",
        on_delete=models.CASCADE,
        related_name="specialist_system",
        verbose_name="abonnement",
    )

    class Meta:
        verbose_name = "webhook van een maatsysteem"
        verbose_name_plural = "webhooks van maatsystemen"

    def __str__(self) -> str:
        return f"{self.system}: {self.subscription_id}"


class SystemCall(models.Model):
    """The audit of every API call a system made (or tried with a valid key)."""

    system = models.ForeignKey(
        SpecialistSystem, on_delete=models.PROTECT, related_name="calls", verbose_name="systeem"
    )
    at = models.DateTimeField("tijdstip", db_index=True)
    method = models.CharField("methode", max_length=10)
    path = models.CharField("pad", max_length=300)
    status_code = models.PositiveSmallIntegerField("antwoord")
    dossier_reference = models.CharField("dossier", max_length=11, blank=True, default="")
    address = models.CharField("adres", max_length=45, blank=True, default="")

    class Meta:
        verbose_name = "API-oproep van een maatsysteem"
        verbose_name_plural = "API-oproepen van maatsystemen"
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.system_id} {self.method} {self.path} {self.status_code}"
