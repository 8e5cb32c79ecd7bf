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


class DosisRegistration(models.Model):
    """One status change of a dossier on its way to Mijn Burgerprofiel (DOSIS).

    Created with the outbox message, in the dossier service's transaction; the outbox
    handler records the sending, the poll of GeefResultaatRegistratie the outcome. A
    retry sends the same change again under a new question reference (``attempts``).
    """

    class State(models.TextChoices):
        QUEUED = "queued", "Wacht op verzending"
        WAITING = "waiting", "Verstuurd, wacht op DOSIS"
        ACCEPTED = "accepted", "Gepubliceerd"
        REFUSED = "refused", "Geweigerd door DOSIS"
        BLOCKED = "blocked", "Niet verstuurd (onbekende DOSIS-code)"
        GIVEN_UP = "given_up", "Geen resultaat van DOSIS"
        SUPERSEDED = "superseded", "Vervangen door een latere status"

    FLAGGED = (State.REFUSED, State.BLOCKED, State.GIVEN_UP)

    dossier = models.ForeignKey(
        "dossiers.Dossier", on_delete=models.CASCADE, related_name="dosis_registrations"
    )
    status_change = models.ForeignKey(
        "dossiers.StatusChange", on_delete=models.CASCADE, related_name="dosis_registrations"
    )
    status_code = models.CharField("DOSIS-statuscode", max_length=40)
    state = models.CharField("toestand", max_length=16, choices=State.choices, default=State.QUEUED)
    idempotency_key = models.CharField("referte van de vraag", max_length=128, unique=True)
    attempts = models.PositiveSmallIntegerField("pogingen", default=1)
    registration_id = models.CharField("DOSIS-registratie", max_length=64, blank=True, default="")
    reason_code = models.CharField("reden (code)", max_length=40, blank=True, default="")
    reason_text = models.CharField("reden", max_length=500, blank=True, default="")
    polls = models.PositiveSmallIntegerField("bevragingen", default=0)
    next_poll_at = models.DateTimeField("volgende bevraging", null=True, blank=True)
    created_at = models.DateTimeField("aangemaakt", auto_now_add=True)
    sent_at = models.DateTimeField("verstuurd", null=True, blank=True)
    resolved_at = models.DateTimeField("afgehandeld", null=True, blank=True)

    class Meta:
        verbose_name = "DOSIS-registratie"
        verbose_name_plural = "DOSIS-registraties"
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["state", "next_poll_at"], name="dosis_reg_poll_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.status_code} ({self.get_state_display()})"

    @property
    def flagged(self) -> bool:
        return self.state in self.FLAGGED


class DosisCode(models.Model):
    """A code of a DOSIS code list, as GeefCodeLijst last answered it."""

    list_name = models.CharField("codelijst", max_length=60)
    code = models.CharField("code", max_length=40)
    description = models.CharField("omschrijving", max_length=300, blank=True, default="")
    loaded_at = models.DateTimeField("geladen op")

    class Meta:
        verbose_name = "DOSIS-code"
        verbose_name_plural = "DOSIS-codelijsten"
        ordering = ["list_name", "code"]
        constraints = [
            models.UniqueConstraint(fields=["list_name", "code"], name="dosis_code_per_list"),
        ]

    def __str__(self) -> str:
        return f"{self.list_name} {self.code}"
