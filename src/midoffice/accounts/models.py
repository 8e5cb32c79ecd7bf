"""Staff users, their role and the teams they belong to."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models


class Team(models.Model):
    """A team (dienst) of the town that handles dossiers, e.g. "Omgeving"."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField("naam", max_length=120)
    email = models.EmailField("e-mailadres", blank=True, default="")
    auto_assign = models.CharField(
        "automatisch toewijzen",
        max_length=16,
        choices=[("", "Nee"), ("round_robin", "Beurtrol"), ("least_loaded", "Minst belast")],
        blank=True,
        default="",
    )

    class Meta:
        verbose_name = "team"
        verbose_name_plural = "teams"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    FRONT_DESK = "front_desk", "Onthaal"
    HANDLER = "handler", "Dossierbehandelaar"
    TEAM_LEAD = "team_lead", "Teamverantwoordelijke"
    ARCHIVIST = "archivist", "Archivaris"
    ADMINISTRATOR = "administrator", "Beheerder"
    SYSTEM = "system", "Koppeling (systeem)"


class User(AbstractUser):
    """A member of staff (or a system account used through the API)."""

    role = models.CharField("rol", max_length=20, choices=Role.choices, default=Role.HANDLER)
    teams = models.ManyToManyField(Team, related_name="members", blank=True, verbose_name="teams")
    is_absent = models.BooleanField(
        "afwezig", default=False, help_text="Krijgt geen dossiers automatisch toegewezen."
    )
    # Accounts made by the staff single sign-on (accounts.sso): the town's identity
    # provider owns their password, groups, role and teams.
    is_sso = models.BooleanField(
        "via SSO",
        default=False,
        help_text="Aangemaakt via het account van de gemeente; rol en teams komen uit de groepen.",
    )
    sso_subject = models.CharField(
        "SSO-identificatie",
        max_length=255,
        blank=True,
        default="",
        help_text="Issuer en sub van het account bij de identiteitsprovider van de gemeente.",
    )

    class Meta:
        verbose_name = "medewerker"
        verbose_name_plural = "medewerkers"

    @property
    def sees_all_teams(self) -> bool:
        return self.role in (Role.FRONT_DESK, Role.ADMINISTRATOR, Role.SYSTEM, Role.ARCHIVIST)
