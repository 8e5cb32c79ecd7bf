"""Archive records: transfers to the e-depot and the daily "what is due" runs.

Owned by archive-core. The destruction part (colleague "archive-destroy") keeps its models
in ``archive/models_destruction.py`` (or a name of its choosing) and imports them here, at
the **bottom** of this file, with one line:

    from midoffice.archive.models_destruction import *  # noqa: E402, F403

so Django finds every model of the app in ``archive.models``. Please add only that line
here; ask archive-core for anything else in this file. The dossier fields the archive uses
(``archive_action``, ``archive_date``, ``legal_hold_reason``, ``archive_state`` with the
value ``destroyed`` for you) live on ``dossiers.Dossier``; the due dossiers come from
``archive.selectors.archive_due_dossiers`` (no hold, closed, date reached, not archived).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from midoffice.dossiers.models import Dossier


class ArchiveTransfer(models.Model):
    """One transfer of a dossier to the e-depot, and afterwards the minimal record of it.

    The row is written (with its outbox message) when the transfer is requested; the
    package is built, validated and submitted by the outbox handler; the receipt of the
    e-depot is kept here and only then is the dossier marked transferred. After that the
    row is what Midoffice remembers: reference, series, where it went, the receipt.
    """

    class State(models.TextChoices):
        QUEUED = "queued", "In de wachtrij"
        PACKAGED = "packaged", "Pakket gemaakt en gevalideerd"
        SUBMITTED = "submitted", "Aangeboden aan het e-depot"
        TRANSFERRED = "transferred", "Overgebracht"
        REFUSED = "refused", "Geweigerd"
        CANCELLED = "cancelled", "Geannuleerd"

    ACTIVE_STATES = (State.QUEUED, State.PACKAGED, State.SUBMITTED, State.TRANSFERRED)

    dossier = models.ForeignKey(
        Dossier,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="archive_transfers",
    )
    # What stays when the dossier is gone from Midoffice one day.
    reference = models.CharField("dossiernummer", max_length=11, db_index=True)
    series_code = models.CharField("serie (id)", max_length=80, blank=True, default="")
    series_name = models.CharField("serie", max_length=200, blank=True, default="")
    package_id = models.UUIDField(
        "pakket-id (OBJID)", default=uuid.uuid4, unique=True, editable=False
    )
    state = models.CharField("toestand", max_length=12, choices=State.choices, default=State.QUEUED)
    target = models.CharField("bestemming", max_length=40, blank=True, default="")
    location = models.CharField(
        "waar het pakket naartoe ging", max_length=500, blank=True, default=""
    )
    submission_id = models.CharField("kenmerk bij het e-depot", max_length=200, blank=True)
    package_name = models.CharField("pakketbestand", max_length=300, blank=True, default="")
    package_sha256 = models.CharField(max_length=64, blank=True, default="")
    package_size = models.PositiveBigIntegerField(null=True, blank=True)
    receipt = models.JSONField("ontvangstbewijs", default=dict, blank=True)
    reason = models.TextField("reden", blank=True, default="")
    outbox_key = models.CharField(max_length=128, blank=True, default="")
    # Who is packaging it now: a worker killed while packaging leaves a lease that runs
    # out, and the sweep hands the transfer to another worker.
    lease_until = models.DateTimeField(null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField("aangevraagd")
    transferred_at = models.DateTimeField("overgebracht", null=True, blank=True)

    class Meta:
        verbose_name = "overbrenging"
        verbose_name_plural = "overbrengingen"
        ordering = ["-created_at", "-id"]
        constraints = [
            # A dossier is transferred once: at most one transfer that is not refused or
            # cancelled.
            models.UniqueConstraint(
                fields=["dossier"],
                condition=Q(state__in=["queued", "packaged", "submitted", "transferred"]),
                name="archive_transfer_once_per_dossier",
            )
        ]
        # Newest first, all or in one state (the archive page, the API): read backwards
        # along one of these (ADR 30).
        indexes = [
            models.Index(fields=["created_at", "id"], name="archive_transfer_list_idx"),
            models.Index(fields=["state", "created_at", "id"], name="archive_transfer_state_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} ({self.get_state_display()})"


class ArchiveRun(models.Model):
    """One run of the daily "what is due" job: the counts per action and type.

    The archivist's page reads the counts of the last run (a count over a million closed
    dossiers is the job's work, not a page view's).
    """

    day = models.DateField("dag", db_index=True)
    ran_at = models.DateTimeField("uitgevoerd")
    due_total = models.PositiveIntegerField("totaal te doen", default=0)
    counts = models.JSONField("per actie en type", default=list, blank=True)
    queued = models.PositiveIntegerField("overbrengingen aangevraagd", default=0)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "archiefrun"
        verbose_name_plural = "archiefruns"
        ordering = ["-ran_at", "-id"]

    def __str__(self) -> str:
        return f"{self.day}: {self.due_total}"


from midoffice.archive.destruction_models import *  # noqa: E402, F403
