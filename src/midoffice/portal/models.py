"""Portal records: sign-in links, follow-up questions and the files citizens add."""

from __future__ import annotations

from django.db import models

from midoffice.dossiers.models import Dossier, Interaction
from midoffice.parties.models import Party


class SignInRequest(models.Model):
    """One request for a sign-in link, kept briefly to rate-limit (hashes only)."""

    address_hash = models.CharField(max_length=64, db_index=True)
    client_hash = models.CharField(max_length=64, db_index=True)
    at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"aanvraag {self.at:%Y-%m-%d %H:%M}"


class SignInLink(models.Model):
    """A mailed sign-in link: only the SHA-256 of its token is stored; it works once."""

    party = models.ForeignKey(Party, on_delete=models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    # The address the link was mailed to: using the link proves control of it (ADR 29).
    email = models.CharField(max_length=320, blank=True, default="")

    class Meta:
        verbose_name = "aanmeldlink"
        verbose_name_plural = "aanmeldlinks"

    def __str__(self) -> str:
        return f"link voor {self.party_id} tot {self.expires_at:%Y-%m-%d %H:%M}"


class EmailLinkCode(models.Model):
    """A one-time code mailed to an address a citizen signed in with the government
    login wants to link (ADR 29). Only a keyed hash of the code is stored."""

    party = models.ForeignKey(Party, on_delete=models.CASCADE, related_name="+")
    email = models.CharField(max_length=320)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "koppelcode"
        verbose_name_plural = "koppelcodes"

    def __str__(self) -> str:
        return f"code voor {self.party_id} tot {self.expires_at:%Y-%m-%d %H:%M}"


class FollowUpQuestion(models.Model):
    """A question a citizen asked in the portal about one of their dossiers."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="portal_questions")
    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="+")
    text = models.TextField("vraag")
    created_at = models.DateTimeField()
    interaction = models.ForeignKey(
        Interaction, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    new_dossier = models.ForeignKey(
        Dossier,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Het nieuwe, gekoppelde dossier als de vraag over hetzelfde pand ging.",
    )

    class Meta:
        verbose_name = "vervolgvraag"
        verbose_name_plural = "vervolgvragen"
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"vraag bij {self.dossier_id}"


class CitizenDocument(models.Model):
    """A file a citizen added in the portal (checked type and size)."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="citizen_documents")
    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="+")
    question = models.ForeignKey(
        FollowUpQuestion,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="documents",
    )
    file = models.FileField(upload_to="portal/%Y/%m/")
    name = models.CharField("bestandsnaam", max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = "document van de burger"
        verbose_name_plural = "documenten van burgers"
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.name
