"""Templates and outgoing letters (OutgoingMessage / Letter in DESIGN §5)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from midoffice.catalog.models import DossierType
from midoffice.correspondence.templating import template_check
from midoffice.dossiers.models import Dossier
from midoffice.parties.models import Party


class TemplateKind(models.TextChoices):
    LETTER = "letter", "Brief (PDF)"
    EMAIL = "email", "Begeleidende e-mail"


class LetterTemplate(models.Model):
    """A Dutch text template per dossier type and channel, edited in the admin."""

    name = models.CharField("naam", max_length=200)
    dossier_type = models.ForeignKey(
        DossierType,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="letter_templates",
        verbose_name="dossiertype",
        help_text="Leeg: bruikbaar voor elk dossiertype.",
    )
    kind = models.CharField("soort", max_length=10, choices=TemplateKind.choices)
    subject = models.CharField(
        "onderwerp", max_length=300, help_text="Django-sjabloontaal, bv. {{ dossier.subject }}."
    )
    body = models.TextField(
        "tekst",
        help_text=(
            "Django-sjabloontaal. Beschikbaar: dossier (reference, subject, type, received, "
            "deadline, status, location, capakey), requester (name, given_name, family_name, "
            "address_lines), town (name, address), today, handler (name, email, team). "
            "Een lege regel begint een nieuwe alinea."
        ),
    )
    requires_signature = models.BooleanField(
        "handtekening nodig",
        default=True,
        help_text="Brieven uit dit sjabloon gaan eerst naar de handtekenmap.",
    )
    is_active = models.BooleanField("actief", default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "sjabloon"
        verbose_name_plural = "sjablonen"
        ordering = ["dossier_type__name", "kind", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"

    def clean(self) -> None:
        """Refuse a template that does not compile or render against the sample data."""
        problems = template_check(subject=self.subject or "", body=self.body or "")
        if problems:
            errors: dict[str, list[str]] = {}
            for problem in problems:
                errors.setdefault(problem.field, []).append(str(problem))
            raise ValidationError(errors)


class LetterState(models.TextChoices):
    DRAFT = "draft", "Ontwerp"
    TO_SIGN = "to_sign", "Ter ondertekening"
    SIGNED = "signed", "Ondertekend"
    QUEUED = "queued", "Klaar voor verzending"
    SENT = "sent", "Verstuurd"
    DELIVERED = "delivered", "Afgeleverd"
    FAILED = "failed", "Mislukt"


class DeliveryChannel(models.TextChoices):
    EBOX = "ebox", "eBox"
    EMAIL = "email", "E-mail"
    PAPER = "paper", "Post (bpost)"


class Letter(models.Model):
    """One answer that leaves from a dossier: its text, PDF, signature and delivery.

    The signed PDF is stored content-addressed and never changed; ``signed_sha256`` is the
    hash of exactly the bytes that left.
    """

    dossier = models.ForeignKey(Dossier, on_delete=models.PROTECT, related_name="letters")
    template = models.ForeignKey(
        LetterTemplate, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recipient = models.ForeignKey(
        Party, on_delete=models.PROTECT, null=True, blank=True, related_name="letters"
    )
    subject = models.CharField("onderwerp", max_length=300)
    body = models.TextField("tekst")
    state = models.CharField(
        max_length=16, choices=LetterState.choices, default=LetterState.DRAFT, db_index=True
    )
    requires_signature = models.BooleanField(default=True)
    channel = models.CharField(
        "kanaal", max_length=10, choices=DeliveryChannel.choices, blank=True, default=""
    )
    channel_reason = models.CharField(max_length=300, blank=True, default="")
    recipient_snapshot = models.JSONField(default=dict, blank=True)
    attachments = models.JSONField(default=list, blank=True)
    pdf_name = models.CharField(max_length=200, blank=True, default="")
    pdf_sha256 = models.CharField(max_length=64, blank=True, default="")
    signed_pdf_name = models.CharField(max_length=200, blank=True, default="")
    signed_sha256 = models.CharField(max_length=64, blank=True, default="")
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    signature_subject = models.CharField(max_length=300, blank=True, default="")
    refusal_reason = models.TextField(blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    correlation_id = models.UUIDField(default=uuid.uuid4, editable=False, unique=True)
    outbox_key = models.CharField(max_length=128, blank=True, default="")
    external_id = models.CharField(max_length=200, blank=True, default="")
    email_message_id = models.CharField(max_length=250, blank=True, default="")
    delivery_status = models.CharField(max_length=60, blank=True, default="")
    attestation_name = models.CharField(max_length=200, blank=True, default="")
    attestation_sha256 = models.CharField(max_length=64, blank=True, default="")
    failure_reason = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "brief"
        verbose_name_plural = "brieven"
        ordering = ["-created_at", "-id"]
        permissions = [("sign_letter", "Kan brieven ondertekenen")]
        indexes = [models.Index(fields=["state", "channel"], name="letter_state_channel_idx")]

    def __str__(self) -> str:
        return f"{self.dossier_id}: {self.subject} ({self.state})"

    @property
    def final_pdf(self) -> tuple[str, str]:
        """(storage name, hash) of the PDF that leaves: the signed one if it is signed."""
        if self.signed_pdf_name:
            return self.signed_pdf_name, self.signed_sha256
        return self.pdf_name, self.pdf_sha256
