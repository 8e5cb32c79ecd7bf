"""Destruction lists: which due dossiers are destroyed, who agreed, and what stays of them.

A list follows the workflow towns know from Open Archiefbeheer (ADR 18): a record manager
(an archivist) proposes it, a named reviewer accepts it or asks for changes, a named
archivist gives the final approval, and a task destroys its dossiers one by one. The
list, its items and its steps are kept for good: together with the report PDF they are
the record of what was destroyed. They hold no personal data of citizens: an item keeps
the dossier's reference, type, series, result and dates, never its subject or parties.

Imported at the bottom of ``archive.models`` so that Django finds the models.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from midoffice.dossiers.models import AppendOnlyModel, Dossier

__all__ = [
    "DestructionItem",
    "DestructionItemStatus",
    "DestructionList",
    "DestructionListState",
    "DestructionReview",
    "DestructionRunState",
    "DestructionStep",
    "DestructionStepKind",
]


class DestructionListState(models.TextChoices):
    NEW = "new", "Nieuw"
    READY_TO_REVIEW = "ready_to_review", "Klaar voor beoordeling"
    CHANGES_REQUESTED = "changes_requested", "Wijzigingen gevraagd"
    INTERNALLY_REVIEWED = "internally_reviewed", "Intern beoordeeld"
    READY_FOR_ARCHIVIST = "ready_for_archivist", "Klaar voor de archivaris"
    READY_TO_DELETE = "ready_to_delete", "Klaar om te vernietigen"
    DELETED = "deleted", "Vernietigd"


class DestructionList(models.Model):
    """A list of due "destroy" dossiers that goes through review before it is destroyed."""

    name = models.CharField("naam", max_length=200)
    state = models.CharField(
        "toestand",
        max_length=20,
        choices=DestructionListState.choices,
        default=DestructionListState.NEW,
        db_index=True,
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="opgesteld door",
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="beoordelaar",
    )
    archivist = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="archivaris (eindgoedkeuring)",
    )
    created_at = models.DateTimeField("opgesteld op")
    state_changed_at = models.DateTimeField("toestand gewijzigd op")
    # The run: planned at the final approval; a runner holds the lease while it works, so
    # a second runner (the periodic sweep) leaves it alone until the lease runs out.
    planned_for = models.DateTimeField("vernietigen vanaf", null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    run_started_at = models.DateTimeField("vernietiging gestart", null=True, blank=True)
    run_finished_at = models.DateTimeField("vernietiging afgerond", null=True, blank=True)
    # The destruction report (a PDF through the storage API, content-addressed).
    report_name = models.CharField(max_length=200, blank=True, default="")
    report_sha256 = models.CharField(max_length=64, blank=True, default="")
    report_size = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = "vernietigingslijst"
        verbose_name_plural = "vernietigingslijsten"
        ordering = ["-created_at", "-id"]
        indexes = [
            # The periodic sweep looks for approved lists whose time has come.
            models.Index(
                fields=["planned_for"],
                name="destruction_list_planned_idx",
                condition=Q(state="ready_to_delete"),
            )
        ]

    def __str__(self) -> str:
        return self.name


class DestructionItemStatus(models.TextChoices):
    LISTED = "listed", "Op de lijst"
    REMOVED = "removed", "Van de lijst gehaald"
    DESTROYED = "destroyed", "Vernietigd"
    SKIPPED = "skipped", "Niet vernietigd"


class DestructionReview(models.TextChoices):
    NONE = "", "Akkoord"
    EXCLUDED = "excluded", "Bewaren voorgesteld"
    RETAINED = "retained", "Toch vernietigen (opsteller)"


class DestructionRunState(models.TextChoices):
    PENDING = "", "Nog te doen"
    FILES = "files", "Gegevens gewist, bestanden nog te wissen"
    DONE = "done", "Afgerond"


class DestructionItem(models.Model):
    """One dossier on a list, and after the run the report's row for it.

    The dossier's reference, type, series, result and dates are copied when it is listed:
    they are what stays after destruction (the foreign key becomes empty then).
    """

    destruction_list = models.ForeignKey(
        DestructionList,
        on_delete=models.PROTECT,
        related_name="items",
        verbose_name="lijst",
        db_index=False,  # indexed with the orders of its lists (Meta)
    )
    dossier = models.ForeignKey(
        Dossier, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(
        max_length=10, choices=DestructionItemStatus.choices, default=DestructionItemStatus.LISTED
    )
    # What stays: no subject, no parties, no addresses.
    reference = models.CharField("dossiernummer", max_length=11)
    dossier_type_code = models.CharField("type (code)", max_length=60)
    dossier_type_name = models.CharField("type", max_length=200)
    series_code = models.CharField("serie (id)", max_length=80, blank=True, default="")
    series_name = models.CharField("serie", max_length=200, blank=True, default="")
    result_code = models.CharField("resultaat (code)", max_length=40, blank=True, default="")
    result_name = models.CharField("resultaat", max_length=120, blank=True, default="")
    opened_on = models.DateField("geopend")
    closed_on = models.DateField("afgesloten", null=True, blank=True)
    archive_date = models.DateField("archiefactiedatum")
    # The review: a reviewer (or the archivist) proposes to keep the dossier longer, with
    # a reason and a new archive date; the record manager agrees (the item leaves the
    # list, the dossier's date moves) or keeps it on the list (``retained``).
    review = models.CharField(
        max_length=10, choices=DestructionReview.choices, blank=True, default=""
    )
    review_reason = models.TextField("reden", blank=True, default="")
    review_archive_date = models.DateField("bewaren tot", null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The run, per item: rows go in one transaction (then ``files``), the files after it.
    run_state = models.CharField(
        max_length=6, choices=DestructionRunState.choices, blank=True, default=""
    )
    pending_files = models.JSONField(default=list, blank=True)
    removed = models.JSONField("gewist", default=dict, blank=True)
    destroyed_at = models.DateTimeField("vernietigd op", null=True, blank=True)
    skip_reason = models.CharField("waarom niet vernietigd", max_length=300, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True, default="")

    class Meta:
        verbose_name = "dossier op een vernietigingslijst"
        verbose_name_plural = "dossiers op vernietigingslijsten"
        ordering = ["destruction_list", "reference", "id"]
        constraints = [
            # A dossier is on at most one active list.
            models.UniqueConstraint(
                fields=["dossier"],
                condition=Q(status="listed"),
                name="destruction_item_one_active_list",
            )
        ]
        # A list's dossiers: by reference on its page, by id in the API (ADR 30).
        indexes = [
            models.Index(fields=["destruction_list", "status"], name="destruction_item_list_idx"),
            models.Index(
                fields=["destruction_list", "reference", "id"], name="destruction_item_ref_idx"
            ),
            models.Index(fields=["destruction_list", "id"], name="destruction_item_id_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} ({self.get_status_display()})"


class DestructionStepKind(models.TextChoices):
    CREATED = "created", "Lijst opgesteld"
    ITEMS_ADDED = "items_added", "Dossiers toegevoegd"
    ITEM_REMOVED = "item_removed", "Dossier van de lijst gehaald"
    RENAMED = "renamed", "Naam gewijzigd"
    REVIEWER_SET = "reviewer_set", "Beoordelaar aangeduid"
    SUBMITTED = "submitted", "Ter beoordeling aangeboden"
    ITEM_EXCLUDED = "item_excluded", "Bewaren voorgesteld"
    ITEM_INCLUDED = "item_included", "Voorstel tot bewaren ingetrokken"
    ACCEPTED = "accepted", "Goedgekeurd door de beoordelaar"
    CHANGES_REQUESTED = "changes_requested", "Wijzigingen gevraagd"
    ITEM_KEPT = "item_kept", "Bewaren: van de lijst gehaald"
    ITEM_RETAINED = "item_retained", "Toch op de lijst gehouden"
    MARKED_FINAL = "marked_final", "Klaargezet voor de archivaris"
    APPROVED = "approved", "Definitief goedgekeurd"
    REASSIGNED = "reassigned", "Opnieuw toegewezen"
    ABORTED = "aborted", "Proces afgebroken"
    COMMENT = "comment", "Opmerking"
    RUN_STARTED = "run_started", "Vernietiging gestart"
    ITEM_SKIPPED = "item_skipped", "Dossier niet vernietigd"
    RUN_FINISHED = "run_finished", "Vernietiging afgerond"


class DestructionStep(AppendOnlyModel):
    """One step in a list's history: who, when, what, with the comment (append-only).

    Every comment is a step, and every step is shown to everyone who sees the list.
    """

    destruction_list = models.ForeignKey(
        DestructionList,
        on_delete=models.PROTECT,
        related_name="steps",
        db_index=False,  # destruction_step_idx leads with it
    )
    kind = models.CharField(max_length=20, choices=DestructionStepKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    actor_label = models.CharField(max_length=150, blank=True, default="")
    at = models.DateTimeField()
    comment = models.TextField(blank=True, default="")
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = "stap van een vernietigingslijst"
        verbose_name_plural = "stappen van vernietigingslijsten"
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["destruction_list", "at", "id"], name="destruction_step_idx")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.actor_label})"
