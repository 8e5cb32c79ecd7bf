"""Analytics models: pre-aggregated facts behind the dashboards (owner: analytics-dash).

Note to analytics-odata: keep your token model in its own module and add at the bottom of
this file one line of the form
    from midoffice.analytics.token_models import *  # noqa: F403
(so Django finds it), instead of editing the classes here.

How these tables are kept (ADR 19): ``analytics.aggregates`` refreshes them from the event
stream. One *fact* row per dossier (:class:`DossierFact`) and per sent letter
(:class:`LetterFact`) holds what the dashboards count about it; the *day* tables sum those
facts per day, team, dossier type and channel, so a page adds up a few hundred rows
instead of scanning a million dossiers. Every day row is a pure function of the fact
rows, and every fact row a pure function of its dossier: refreshing only what changed
gives the same tables as a full rebuild.

The facts point at dossiers, letters, teams and types without a database constraint and
``DO_NOTHING`` on delete: when the archive destroys a dossier its anonymous fact (dates,
team, type, channel, outcome) stays, so last year's figures do not change because last
year's dossiers were destroyed on schedule.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from midoffice.accounts.models import Team
from midoffice.catalog.models import DossierType
from midoffice.correspondence.models import Letter
from midoffice.dossiers.models import Dossier

# The Django permission that shows the dashboards of every team (management). Granted to
# a user or a group; a superuser does not get it implicitly (analytics.access).
VIEW_ALL_TEAMS_PERMISSION = "analytics.view_all_teams"


def _loose(to: type[models.Model], **kwargs: object) -> models.ForeignKey[models.Model]:
    """A reference without a database constraint that survives the row it points at."""
    return models.ForeignKey(
        to,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        **kwargs,  # type: ignore[arg-type]  # ForeignKey's keyword arguments
    )


class RefreshState(models.Model):
    """Where the incremental refresh stands: one row (id 1), locked by each run."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_event_id = models.BigIntegerField(
        default=0, help_text="Het laatste event dat de vorige verversing zag."
    )
    previous_event_id = models.BigIntegerField(
        default=0, help_text="Het laatste event dat de verversing daarvoor zag."
    )
    last_started_at = models.DateTimeField(null=True, blank=True)
    refreshed_at = models.DateTimeField("laatst ververst", null=True, blank=True)
    rebuilt_at = models.DateTimeField("laatst volledig herberekend", null=True, blank=True)
    calendar_key = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        verbose_name = "stand van de analyse"
        verbose_name_plural = "stand van de analyse"
        permissions = [("view_all_teams", "Kan de analyses van alle teams bekijken")]

    def __str__(self) -> str:
        return f"ververst {self.refreshed_at:%Y-%m-%d %H:%M}" if self.refreshed_at else "nooit"


class WorkingDay(models.Model):
    """The town's calendar as a table: the cumulative working-day ordinal of each date.

    Working days in ``(a, b]`` are ``ordinal(b) - ordinal(a)``
    (``dossiers.deadlines.working_day_calendar_table``), so processing times are computed
    in SQL for every dossier at once. Rebuilt when the closing days change.
    """

    day = models.DateField(primary_key=True)
    ordinal = models.IntegerField()

    def __str__(self) -> str:
        return f"{self.day}: {self.ordinal}"


class DossierFact(models.Model):
    """What the dashboards count about one dossier, as it stands (current team and type)."""

    dossier = models.OneToOneField(
        Dossier,
        primary_key=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    team = _loose(Team)
    dossier_type = _loose(DossierType)
    channel = models.CharField(max_length=16)
    received_on = models.DateField()
    closed_on = models.DateField(null=True, blank=True)
    deadline = models.DateField(null=True, blank=True)
    # Closed on or before its deadline; None while open or when it had no deadline.
    on_time = models.BooleanField(null=True, blank=True)
    # Working days from receipt to closing (the day of receipt does not count).
    processing_days = models.IntegerField(null=True, blank=True)
    triaged = models.BooleanField(default=False, help_text="Geopend in het type triage.")
    routed_from_triage = models.BooleanField(
        default=False, help_text="Door een medewerker vanuit triage doorgestuurd."
    )
    corrected = models.BooleanField(
        default=False,
        help_text="Door een medewerker naar een ander type doorgestuurd (niet vanuit triage).",
    )

    class Meta:
        indexes = [
            models.Index(fields=["received_on"], name="fact_received_idx"),
            models.Index(fields=["closed_on"], name="fact_closed_idx"),
        ]

    def __str__(self) -> str:
        return f"feit dossier {self.dossier_id}"


class LetterFact(models.Model):
    """One letter that left (it has a sending time), with its dossier's team and type."""

    letter = models.OneToOneField(
        Letter, primary_key=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    dossier = _loose(Dossier)
    team = _loose(Team)
    dossier_type = _loose(DossierType)
    channel = models.CharField(max_length=10)
    sent_on = models.DateField()

    class Meta:
        indexes = [
            models.Index(fields=["dossier"], name="letterfact_dossier_idx"),
            models.Index(fields=["sent_on"], name="letterfact_sent_idx"),
        ]

    def __str__(self) -> str:
        return f"feit brief {self.letter_id}"


class IntakeDay(models.Model):
    """Dossiers received on ``day`` per team, type and intake channel."""

    day = models.DateField()
    team = _loose(Team)
    dossier_type = _loose(DossierType)
    channel = models.CharField(max_length=16)
    received = models.PositiveIntegerField(default=0)
    triaged = models.PositiveIntegerField(default=0)
    routed_from_triage = models.PositiveIntegerField(default=0)
    corrected = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["day", "team"], name="intakeday_day_idx")]

    def __str__(self) -> str:
        return f"{self.day} {self.team_id}/{self.dossier_type_id}/{self.channel}: {self.received}"


class ClosureDay(models.Model):
    """Dossiers closed on ``day`` per team and type: within the legal term or not."""

    day = models.DateField()
    team = _loose(Team)
    dossier_type = _loose(DossierType)
    closed = models.PositiveIntegerField(default=0)
    on_time = models.PositiveIntegerField(default=0)
    late = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["day", "team"], name="closureday_day_idx")]

    def __str__(self) -> str:
        return f"{self.day} {self.team_id}/{self.dossier_type_id}: {self.closed}"


class ProcessingDay(models.Model):
    """Dossiers closed on ``day`` per team, type and processing time in working days.

    The processing time is a dimension, not a sum, so medians and percentiles are exact
    for any period and filter: a histogram, added up per number of working days.
    """

    day = models.DateField()
    team = _loose(Team)
    dossier_type = _loose(DossierType)
    working_days = models.IntegerField()
    closed = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["day", "team"], name="processingday_day_idx")]

    def __str__(self) -> str:
        return f"{self.day} {self.team_id}/{self.dossier_type_id}: {self.working_days} d"


class LetterDay(models.Model):
    """Letters sent on ``day`` per team, type and delivery channel."""

    day = models.DateField()
    team = _loose(Team)
    dossier_type = _loose(DossierType)
    channel = models.CharField(max_length=10)
    sent = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["day", "team"], name="letterday_day_idx")]

    def __str__(self) -> str:
        return f"{self.day} {self.team_id}/{self.channel}: {self.sent}"


class OpenTotal(models.Model):
    """All dossiers ever received and closed per team and type: the day tables summed.

    Open at the end of a past day is this total minus what came in and went out after
    that day, so the trend reads only the days since the period's start, not every day
    of the town's history. Rewritten from the day tables at the end of every refresh.
    """

    team = _loose(Team)
    dossier_type = _loose(DossierType)
    received = models.PositiveIntegerField(default=0)
    closed = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.team_id}/{self.dossier_type_id}: {self.received} − {self.closed}"


class WorkloadSnapshot(models.Model):
    """Open dossiers at the last refresh of ``day`` per team, type and assignee.

    Who had a dossier on a past day is not in the event table for every change (a
    rerouted dossier can lose its assignee), so the trend per employee is this daily
    snapshot: history starts when the refresh first ran and is never rewritten.
    """

    day = models.DateField()
    team = _loose(Team)
    dossier_type = _loose(DossierType)
    assignee = _loose(settings.AUTH_USER_MODEL, null=True, blank=True)  # type: ignore[arg-type]
    open = models.PositiveIntegerField(default=0)
    overdue = models.PositiveIntegerField(default=0)
    at_risk = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["day", "team"], name="workload_day_idx")]

    def __str__(self) -> str:
        return f"{self.day} {self.team_id}/{self.assignee_id}: {self.open}"


# The OData feed's read-only tokens and their audit (owner: analytics-odata).
from midoffice.analytics.token_models import *  # noqa: E402, F403
