"""The catalog: dossier types with their statuses, deadlines, results and retention.

The catalog configures, the code obeys: deadlines, statuses and retention are read from
here, never decided in ``if`` statements.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from midoffice.accounts.models import Team


class DayUnit(models.TextChoices):
    WORKING = "working", "werkdagen"
    CALENDAR = "calendar", "kalenderdagen"


class Phase(models.TextChoices):
    """What a status means to the workflow; the allowed moves are in dossiers/workflow.py.

    The labels are the names of the standard statuses (catalog.defaults): one name per
    status everywhere staff see it."""

    NEW = "new", "Ontvangen"
    IN_PROGRESS = "in_progress", "In behandeling"
    WAITING = "waiting", "Wacht op aanvullende informatie"
    ANSWERED = "answered", "Beantwoord"
    CLOSED = "closed", "Afgesloten"


class PartyRole(models.TextChoices):
    """The roles a contact can have on a dossier (ZGW's roltype, configured per type)."""

    REQUESTER = "requester", "Aanvrager"
    CO_REQUESTER = "co_requester", "Mede-aanvrager"
    ARCHITECT = "architect", "Architect"
    REPRESENTATIVE = "representative", "Vertegenwoordiger"
    NOTARY = "notary", "Notaris"
    OTHER = "other", "Andere"


# Roles a dossier type may open to the portal, beside the requester (who always sees it).
# "Other" never does: it is what a replaced requester becomes.
PORTAL_ROLE_CHOICES = [
    (role.value, role.label)
    for role in PartyRole
    if role not in (PartyRole.REQUESTER, PartyRole.OTHER)
]


def default_portal_roles() -> list[str]:
    return [PartyRole.CO_REQUESTER.value, PartyRole.REPRESENTATIVE.value]


class RetentionRule(models.Model):
    """How long a closed dossier is kept, and what happens then (selectielijst)."""

    class Action(models.TextChoices):
        KEEP = "keep", "Bewaren (overbrengen naar e-depot)"
        DESTROY = "destroy", "Vernietigen"

    class Trigger(models.TextChoices):
        CLOSED = "closed", "Afsluiten van het dossier"
        RESULT = "result", "Datum van het resultaat"
        RECEIVED = "received", "Ontvangst van de vraag"

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField("naam", max_length=200)
    action = models.CharField("archiefactie", max_length=10, choices=Action.choices)
    period_years = models.PositiveSmallIntegerField(
        "bewaartermijn (jaar)", validators=[MaxValueValidator(200)]
    )
    trigger = models.CharField(
        "start van de termijn", max_length=10, choices=Trigger.choices, default=Trigger.CLOSED
    )

    class Meta:
        verbose_name = "bewaarregel"
        verbose_name_plural = "bewaarregels"

    def __str__(self) -> str:
        return f"{self.name} ({self.period_years} j, {self.get_action_display()})"


class RetentionStart(models.TextChoices):
    """Which date of a dossier starts a rule whose trigger is "the result's date"."""

    RESULT = "", "Afsluiten met het resultaat"
    DEADLINE = "deadline", "Uiterste behandeldatum"
    RECEIVED = "received", "Ontvangst van de vraag"


class DossierType(models.Model):
    """A kind of citizen question with its team, deadlines and workflow."""

    code = models.SlugField(max_length=60, unique=True)
    name = models.CharField("naam", max_length=200)
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="dossier_types")
    description = models.TextField("omschrijving", blank=True, default="")
    example_texts = models.TextField(
        "voorbeeldteksten",
        blank=True,
        default="",
        help_text="Eén voorbeeldvraag per regel; de routering leert hiervan.",
    )
    processing_days = models.PositiveIntegerField(
        "wettelijke behandeltermijn", validators=[MinValueValidator(1), MaxValueValidator(3650)]
    )
    service_norm_days = models.PositiveIntegerField(
        "servicenorm",
        null=True,
        blank=True,
        validators=[MaxValueValidator(3650)],
        help_text="Interne streeftermijn, korter dan de wettelijke.",
    )
    day_unit = models.CharField(
        "telwijze", max_length=10, choices=DayUnit.choices, default=DayUnit.WORKING
    )
    warn_fraction = models.DecimalField(
        "waarschuwen vanaf (deel van de termijn)",
        max_digits=3,
        decimal_places=2,
        default=0.8,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
    )
    warn_days_left = models.PositiveIntegerField(
        "waarschuwen bij nog … dagen", null=True, blank=True, validators=[MaxValueValidator(3650)]
    )
    suspension_allowed = models.BooleanField("opschorten toegestaan", default=True)
    extension_allowed = models.BooleanField("verlengen toegestaan", default=False)
    extension_days = models.PositiveIntegerField(
        "verlenging (dagen)", default=0, validators=[MaxValueValidator(3650)]
    )
    retention_rule = models.ForeignKey(
        RetentionRule,
        on_delete=models.PROTECT,
        related_name="dossier_types",
        verbose_name="bewaarregel",
    )
    retention_start = models.CharField(
        "start van de bewaartermijn bij 'datum van het resultaat'",
        max_length=10,
        choices=RetentionStart.choices,
        blank=True,
        default=RetentionStart.RESULT,
        help_text=(
            "Voor bewaarregels die starten bij de datum van het resultaat: die datum is "
            "het afsluiten met dat resultaat, tenzij het type een andere datum noemt."
        ),
    )
    # Digitaal Archief Vlaanderen's model is serie → dossier → stuk: every dossier of this
    # type belongs to this series of the series register and inherits its metadata.
    archive_series_code = models.CharField(
        "archiefserie (id)",
        max_length=80,
        blank=True,
        default="",
        help_text="Het id van de serie in het serieregister van het e-depot.",
    )
    archive_series_name = models.CharField("archiefserie", max_length=200, blank=True, default="")
    confidential = models.BooleanField(
        "vertrouwelijk", default=False, help_text="Alleen zichtbaar voor het eigen team."
    )
    portal_roles = models.JSONField(
        "zichtbaar in Mijn dossiers voor",
        default=default_portal_roles,
        blank=True,
        help_text=(
            "Wie het dossier behalve de aanvrager in het burgerloket ziet (bv. een "
            "vertegenwoordiger met volmacht). Een vervangen aanvrager ziet het niet meer."
        ),
    )
    routing_threshold = models.DecimalField(
        "drempel automatische routering",
        max_digits=3,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
        help_text="Leeg: de drempel van het model (gekozen voor 97% juistheid).",
    )
    is_team_default = models.BooleanField(
        "standaardtype van het team",
        default=False,
        help_text="Vragen die de routering enkel aan dit team kan toewijzen, krijgen dit type.",
    )
    is_active = models.BooleanField("actief", default=True)

    class Meta:
        verbose_name = "dossiertype"
        verbose_name_plural = "dossiertypes"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        allowed = {value for value, _ in PORTAL_ROLE_CHOICES}
        roles = self.portal_roles
        if not isinstance(roles, list) or not all(r in allowed for r in roles):
            labels = ", ".join(label for _, label in PORTAL_ROLE_CHOICES)
            raise ValidationError({"portal_roles": f"Kies uit: {labels}."})

    def initial_status(self) -> StatusType:
        prefetched = getattr(self, "_prefetched_objects_cache", {}).get("status_types")
        status: StatusType | None
        if prefetched is not None:  # a memoised type (catalog.selectors) asks no query
            status = min(list(prefetched), key=lambda s: s.order, default=None)
        else:
            status = self.status_types.order_by("order").first()
        if status is None:
            raise StatusType.DoesNotExist(f"dossier type {self.code} has no statuses")
        return status


class StatusType(models.Model):
    """One step of a dossier type's workflow, in order."""

    dossier_type = models.ForeignKey(
        DossierType, on_delete=models.CASCADE, related_name="status_types"
    )
    order = models.PositiveSmallIntegerField("volgorde", validators=[MaxValueValidator(999)])
    code = models.SlugField(max_length=40)
    name = models.CharField("naam", max_length=120)
    phase = models.CharField("fase", max_length=16, choices=Phase.choices)
    citizen_text = models.CharField("tekst voor de burger", max_length=300, blank=True, default="")
    notify_citizen = models.BooleanField("burger informeren", default=True)
    action_needed = models.BooleanField(
        "actie nodig van de burger", default=False, help_text="DOSIS: de bal ligt bij de burger."
    )
    dosis_code = models.CharField("DOSIS-statuscode", max_length=40, blank=True, default="")
    max_days = models.PositiveIntegerField(
        "termijn voor deze status",
        null=True,
        blank=True,
        validators=[MaxValueValidator(3650)],
        help_text="Hoe lang een dossier in deze status mag blijven (telwijze van het type).",
    )

    class Meta:
        verbose_name = "status"
        verbose_name_plural = "statussen"
        ordering = ["dossier_type", "order"]
        constraints = [
            models.UniqueConstraint(fields=["dossier_type", "code"], name="status_code_per_type"),
            models.UniqueConstraint(fields=["dossier_type", "order"], name="status_order_per_type"),
        ]

    def __str__(self) -> str:
        return self.name


class ResultType(models.Model):
    """How a dossier can end (e.g. "informatie verstrekt", "vergunning geweigerd")."""

    dossier_type = models.ForeignKey(
        DossierType, on_delete=models.CASCADE, related_name="result_types"
    )
    code = models.SlugField(max_length=40)
    name = models.CharField("naam", max_length=120)
    retention_rule = models.ForeignKey(
        RetentionRule,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="result_types",
        verbose_name="bewaarregel",
        help_text="Leeg: de bewaarregel van het dossiertype (zoals een selectielijst).",
    )

    class Meta:
        verbose_name = "resultaat"
        verbose_name_plural = "resultaten"
        constraints = [
            models.UniqueConstraint(fields=["dossier_type", "code"], name="result_code_per_type")
        ]

    def __str__(self) -> str:
        return self.name


class ClosingDay(models.Model):
    """A day the town hall is closed (besides Belgian public holidays)."""

    date = models.DateField("datum", unique=True)
    reason = models.CharField("reden", max_length=120)

    class Meta:
        verbose_name = "sluitingsdag"
        verbose_name_plural = "sluitingsdagen"
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date:%d-%m-%Y} {self.reason}"
