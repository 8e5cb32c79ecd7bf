"""Dossiers, their parties, status history, timeline events and contact moments."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Now
from django.utils import timezone

from midoffice.accounts.models import Team
from midoffice.catalog.models import DossierType, PartyRole, Phase, ResultType, StatusType
from midoffice.parties.models import Party


class AppendOnlyError(RuntimeError):
    pass


class AppendOnlyModel(models.Model):
    """History rows are written once: never updated, never deleted."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError(f"{type(self).__name__} rows cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError(f"{type(self).__name__} rows cannot be deleted")


class ReferenceCounter(models.Model):
    """The last dossier number handed out per year (locked row; gaps are tolerated)."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class IntakeChannel(models.TextChoices):
    EMAIL = "email", "E-mail"
    PORTAL = "portal", "Portaal"
    PHONE = "phone", "Telefoon"
    COUNTER = "counter", "Loket"
    LETTER = "letter", "Brief"
    APPOINTMENT = "appointment", "Afspraak"
    API = "api", "Koppeling"


class ArchiveState(models.TextChoices):
    NONE = "", "Nog niet uitgevoerd"
    TRANSFERRING = "transferring", "Wordt overgebracht"
    TRANSFERRED = "transferred", "Overgebracht naar het e-depot"
    DESTROYED = "destroyed", "Vernietigd"


class AddressVerification(models.TextChoices):
    """Whether the dossier's address was checked against the Adressenregister (ADR 26)."""

    NONE = "", "geen adres"
    VERIFIED = "verified", "geverifieerd"
    UNVERIFIED = "unverified", "niet geverifieerd"
    NOT_FOUND = "not_found", "niet gevonden in het adressenregister"


class Dossier(models.Model):
    reference = models.CharField("dossiernummer", max_length=11, unique=True)
    # The four filter keys of the API list (team, type, status, assignee) carry no index of
    # their own: the list indexes below lead with them, which serves a look-up by key too.
    dossier_type = models.ForeignKey(
        DossierType, on_delete=models.PROTECT, verbose_name="type", db_index=False
    )
    subject = models.CharField("onderwerp", max_length=300)
    description = models.TextField("omschrijving", blank=True, default="")
    status = models.ForeignKey(
        StatusType, on_delete=models.PROTECT, verbose_name="status", db_index=False
    )
    phase = models.CharField(max_length=16, choices=Phase.choices, default=Phase.NEW)
    is_open = models.BooleanField(default=True)
    team = models.ForeignKey(Team, on_delete=models.PROTECT, verbose_name="team", db_index=False)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_dossiers",
        verbose_name="behandelaar",
        db_index=False,
    )
    confidential = models.BooleanField("vertrouwelijk", default=False)
    channel = models.CharField(
        "kanaal", max_length=16, choices=IntakeChannel.choices, default=IntakeChannel.EMAIL
    )
    requester = models.ForeignKey(
        Party,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="aanvrager",
    )
    location_street = models.CharField("straat", max_length=200, blank=True, default="")
    location_number = models.CharField("huisnummer", max_length=20, blank=True, default="")
    location_postcode = models.CharField("postcode", max_length=10, blank=True, default="")
    location_municipality = models.CharField("gemeente", max_length=120, blank=True, default="")
    capakey = models.CharField("perceel (CaPaKey)", max_length=20, blank=True, default="")
    # The registers' identifiers beside the text (places app, ADR 26): the address object's
    # URI (https://data.vlaanderen.be/id/adres/...) and whether the CaPaKey is known there.
    address_uri = models.CharField("adresobject (URI)", max_length=200, blank=True, default="")
    address_verification = models.CharField(
        "adres geverifieerd",
        max_length=12,
        choices=AddressVerification.choices,
        blank=True,
        default=AddressVerification.NONE,
    )
    capakey_verified = models.BooleanField("perceel geverifieerd", default=False)
    received_at = models.DateTimeField("ontvangen")
    opened_at = models.DateTimeField("geopend", auto_now_add=True)
    closed_at = models.DateTimeField("afgesloten", null=True, blank=True)
    deadline = models.DateField("uiterste datum", null=True, blank=True)
    deadline_base = models.DateField("oorspronkelijke uiterste datum", null=True, blank=True)
    suspended_since = models.DateField("opgeschort sinds", null=True, blank=True)
    extended = models.BooleanField("verlengd", default=False)
    warn_on = models.DateField(
        "waarschuwen vanaf",
        null=True,
        blank=True,
        help_text="Eerste dag waarop de termijn als 'in gevaar' geldt (berekend met de termijn).",
    )
    status_deadline = models.DateField(
        "uiterste datum van de status",
        null=True,
        blank=True,
        help_text="Wanneer de huidige status een eigen termijn heeft (volgens het dossiertype).",
    )
    warning_level = models.PositiveSmallIntegerField(
        default=0, help_text="0: geen, 1: waarschuwing verstuurd, 2: over tijd gemeld."
    )
    result = models.ForeignKey(
        ResultType, on_delete=models.PROTECT, null=True, blank=True, verbose_name="resultaat"
    )
    # One flag per dossier, not a read marker per user: the citizen waits for the
    # dossier's handler, so only the assignee opening the dossier clears it (a colleague
    # or team lead who looks does not), and it stays when the dossier changes hands.
    # Who cleared it and when is in the audit trail (the "viewed" event's data).
    unread_since = models.DateTimeField(
        "nieuw bericht sinds",
        null=True,
        blank=True,
        help_text="Een bericht van de burger dat de behandelaar nog niet las (e-mail, portaal).",
    )
    # Archiving (the archive app): set when the dossier closes, from the type's (or the
    # result's) retention rule; cleared when it reopens. A legal hold stops every archive
    # action until an archivist lifts it.
    archive_action = models.CharField(
        "archiefactie",
        max_length=10,
        choices=[("", "Nog niet bepaald"), ("keep", "Bewaren"), ("destroy", "Vernietigen")],
        blank=True,
        default="",
    )
    archive_date = models.DateField("archiefactiedatum", null=True, blank=True)
    legal_hold_reason = models.CharField(
        "archiefblokkering",
        max_length=300,
        blank=True,
        default="",
        help_text="Zolang hier een reden staat, wordt het dossier niet overgebracht of vernietigd.",
    )
    # Where the archive action stands: "" until it is done (the daily run finds what is
    # due among those), then transferring → transferred (e-depot) or destroyed.
    archive_state = models.CharField(
        "archieftoestand",
        max_length=12,
        choices=ArchiveState.choices,
        blank=True,
        default=ArchiveState.NONE,
    )

    # When anything in the row last changed: kept by a database trigger on every UPDATE
    # (services, ``.update()``, the deadline scan's plain SQL alike; migration 0017), so
    # systems that keep a copy ask only for what changed (``?changed_since=``, ADR 30).
    changed_at = models.DateTimeField(
        "gewijzigd", default=timezone.now, db_default=Now(), editable=False
    )

    class Meta:
        verbose_name = "dossier"
        verbose_name_plural = "dossiers"
        # Every list the API offers is read in the order of one of these indexes, so a
        # page costs the same at the top and 10,000 rows deep (ADR 30, docs/api.md):
        # open dossiers by (deadline, id), closed ones by (closed_at, id) backwards, all
        # dossiers by id backwards, changes by (changed_at, id); each also per filter key.
        indexes = [
            # The team queue and my work: open dossiers of a team (an assignee) by deadline,
            # keyset-paged. The columns after (deadline, id) are what the queue pages count
            # per state and filter on, so the counts are read from the index alone
            # (key columns, not INCLUDE: SQLite has no INCLUDE).
            models.Index(
                fields=[
                    "team",
                    "deadline",
                    "id",
                    "phase",
                    "warn_on",
                    "unread_since",
                    "assignee",
                    "dossier_type",
                ],
                name="dossier_team_queue_idx",
                condition=Q(is_open=True),
            ),
            models.Index(
                fields=[
                    "assignee",
                    "deadline",
                    "id",
                    "phase",
                    "warn_on",
                    "unread_since",
                    "dossier_type",
                ],
                name="dossier_my_work_idx",
                condition=Q(is_open=True),
            ),
            # What waits for a handler in a team (the home page): few rows, a small index.
            models.Index(
                fields=["team", "deadline", "id"],
                name="dossier_unassigned_idx",
                condition=Q(is_open=True, assignee__isnull=True),
            ),
            models.Index(
                fields=["dossier_type", "deadline", "id"],
                name="dossier_open_type_idx",
                condition=Q(is_open=True),
            ),
            models.Index(
                fields=["status", "deadline", "id"],
                name="dossier_open_status_idx",
                condition=Q(is_open=True),
            ),
            # All open dossiers by deadline: the API's open list, and the deadline scan.
            models.Index(
                fields=["deadline", "id"], name="dossier_open_list_idx", condition=Q(is_open=True)
            ),
            # Closed dossiers, most recently closed first (read backwards).
            models.Index(
                fields=["closed_at", "id"],
                name="dossier_closed_list_idx",
                condition=Q(is_open=False),
            ),
            models.Index(
                fields=["team", "closed_at", "id"],
                name="dossier_closed_team_idx",
                condition=Q(is_open=False),
            ),
            models.Index(
                fields=["dossier_type", "closed_at", "id"],
                name="dossier_closed_type_idx",
                condition=Q(is_open=False),
            ),
            models.Index(
                fields=["status", "closed_at", "id"],
                name="dossier_closed_status_idx",
                condition=Q(is_open=False),
            ),
            models.Index(
                fields=["assignee", "closed_at", "id"],
                name="dossier_closed_assignee_idx",
                condition=Q(is_open=False),
            ),
            # All dossiers, newest first, per filter key (these replace the plain
            # foreign-key indexes; the primary key serves the list without a filter).
            models.Index(fields=["team", "id"], name="dossier_team_idx"),
            models.Index(fields=["dossier_type", "id"], name="dossier_type_idx"),
            models.Index(fields=["status", "id"], name="dossier_status_idx"),
            models.Index(fields=["assignee", "id"], name="dossier_assignee_idx"),
            # What changed since: for systems that keep a copy.
            models.Index(fields=["changed_at", "id"], name="dossier_changed_idx"),
            models.Index(fields=["requester"], name="dossier_requester_idx"),
            # The deadline scan reads only dossiers not yet warned / not yet reported, so a
            # daily run costs what is new, not every dossier that is already overdue.
            models.Index(
                fields=["warn_on"],
                name="dossier_scan_warn_idx",
                condition=Q(is_open=True) & Q(warning_level__lt=1),
            ),
            models.Index(
                fields=["deadline"],
                name="dossier_scan_overdue_idx",
                condition=Q(is_open=True) & Q(warning_level__lt=2),
            ),
            # The daily archive run and the archivist's list: closed dossiers whose archive
            # action is still to do (no hold, not transferred or destroyed), by date. The
            # type rides along (a key column: SQLite has no INCLUDE) so the daily count per
            # action and type reads only this index; what is done or held drops out of it.
            models.Index(
                fields=["archive_action", "archive_date", "id", "dossier_type"],
                name="dossier_archive_pending_idx",
                condition=Q(is_open=False, archive_state="", legal_hold_reason=""),
            ),
            # The archive API's due list without an action: all due dossiers by date.
            models.Index(
                fields=["archive_date", "id"],
                name="dossier_archive_due_idx",
                condition=Q(is_open=False, archive_state="", legal_hold_reason=""),
            ),
            # The archive page's dossiers under a legal hold, newest first: few, so only
            # those are indexed.
            models.Index(
                fields=["id"], name="dossier_legal_hold_idx", condition=~Q(legal_hold_reason="")
            ),
            # Dossiers about the same property (places.selectors): by address object or
            # parcel; most dossiers have neither, so only those that do are indexed.
            models.Index(
                fields=["address_uri"], name="dossier_address_uri_idx", condition=~Q(address_uri="")
            ),
            models.Index(fields=["capakey"], name="dossier_capakey_idx", condition=~Q(capakey="")),
            # The verification sweep reads only what is still to verify.
            models.Index(
                fields=["id"],
                name="dossier_address_unverified_idx",
                condition=Q(address_verification="unverified"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.subject}"

    @property
    def day_unit(self) -> str:
        """How the dossier's deadline counts days (its type's ``day_unit``)."""
        return self.dossier_type.day_unit


class DossierParty(models.Model):
    Role = PartyRole  # the vocabulary is the catalog's (which roles a type opens to the portal)

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="parties")
    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="dossier_roles")
    role = models.CharField("rol", max_length=20, choices=Role.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["dossier", "party", "role"], name="dossier_party_role_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.party_id} als {self.role}"


class StatusChange(AppendOnlyModel):
    """The append-only status history of a dossier."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="status_history")
    from_status = models.ForeignKey(
        StatusType, on_delete=models.PROTECT, null=True, related_name="+"
    )
    to_status = models.ForeignKey(StatusType, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(blank=True, default="")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.dossier_id}: {self.from_status_id} → {self.to_status_id}"


class EventKind(models.TextChoices):
    OPENED = "dossier.opened", "Dossier geopend"
    STATUS_CHANGED = "dossier.status_changed", "Status gewijzigd"
    ASSIGNED = "dossier.assigned", "Toegewezen"
    UNASSIGNED = "dossier.unassigned", "Toewijzing ingetrokken"
    NOTE_ADDED = "dossier.note_added", "Notitie"
    INTERACTION = "dossier.interaction", "Contactmoment"
    SUSPENDED = "dossier.suspended", "Termijn opgeschort"
    RESUMED = "dossier.resumed", "Termijn hervat"
    EXTENDED = "dossier.extended", "Termijn verlengd"
    LINK_ADDED = "dossier.link_added", "Koppeling toegevoegd"
    DEADLINE_WARNING = "dossier.deadline_warning", "Termijnwaarschuwing"
    DEADLINE_OVERDUE = "dossier.deadline_overdue", "Termijn overschreden"
    CLOSED = "dossier.closed", "Afgesloten"
    MESSAGE_RECEIVED = "message.received", "Bericht ontvangen"
    MESSAGE_SENT = "message.sent", "Bericht verstuurd"
    MESSAGE_BOUNCED = "message.bounced", "Bericht niet afgeleverd"
    MESSAGE_DELIVERED = "message.delivered", "Bericht afgeleverd"
    LETTER_CHANGED = "letter.changed", "Uitgaande brief"
    ATTACHMENT_HELD = "attachment.held", "Bijlage tegengehouden"
    ATTACHMENT_RELEASED = "attachment.released", "Tegengehouden bijlage vrijgegeven"
    VIEWED = "dossier.viewed", "Ingekeken"
    APPOINTMENT_BOOKED = "appointment.booked", "Afspraak gemaakt"
    APPOINTMENT_RESCHEDULED = "appointment.rescheduled", "Afspraak verplaatst"
    APPOINTMENT_CANCELLED = "appointment.cancelled", "Afspraak geannuleerd"
    APPOINTMENT_ARRIVED = "appointment.arrived", "Aangemeld voor de afspraak"
    APPOINTMENT_NO_SHOW = "appointment.no_show", "Niet gekomen op de afspraak"
    ARCHIVE_DETERMINED = "archive.determined", "Archiefactie bepaald"
    LEGAL_HOLD_SET = "archive.hold_set", "Archiefblokkering ingesteld"
    LEGAL_HOLD_LIFTED = "archive.hold_lifted", "Archiefblokkering opgeheven"
    ARCHIVE_TRANSFERRED = "archive.transferred", "Overgebracht naar het e-depot"
    DESTRUCTION_LISTED = "archive.destruction_listed", "Op een vernietigingslijst gezet"
    SYSTEM_RECORD_LINKED = "system.record_linked", "Gekoppeld in een maatsysteem"
    SYSTEM_RECORD_UNLINKED = "system.record_unlinked", "Ontkoppeld in een maatsysteem"
    SYSTEM_STATUS_RECEIVED = "system.status_received", "Status uit een maatsysteem"
    SYSTEM_DOCUMENT_ADDED = "system.document_added", "Document uit een maatsysteem"
    DOSIS_REFUSED = "dosis.refused", "Geweigerd door DOSIS (Mijn Burgerprofiel)"
    DOSIS_RESENT = "dosis.resent", "Opnieuw naar DOSIS gestuurd (Mijn Burgerprofiel)"


class Event(AppendOnlyModel):
    """One typed, append-only event: the timeline, the audit trail and the BI feed."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=40, choices=EventKind.choices)
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    actor_label = models.CharField(max_length=120, blank=True, default="")
    public = models.BooleanField(default=False, help_text="Zichtbaar voor de burger.")
    summary = models.CharField(max_length=300, blank=True, default="")
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["dossier", "at"], name="event_dossier_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.summary}"


class Interaction(models.Model):
    """A contact moment: a call, a visit, a mail, a portal message, an appointment."""

    class Channel(models.TextChoices):
        EMAIL = "email", "E-mail"
        PHONE = "phone", "Telefoon"
        COUNTER = "counter", "Loket"
        PORTAL = "portal", "Portaal"
        LETTER = "letter", "Brief"
        APPOINTMENT = "appointment", "Afspraak"

    class Direction(models.TextChoices):
        INBOUND = "in", "Inkomend"
        OUTBOUND = "out", "Uitgaand"

    dossier = models.ForeignKey(
        Dossier, on_delete=models.CASCADE, null=True, related_name="interactions"
    )
    party = models.ForeignKey(
        Party, on_delete=models.PROTECT, null=True, related_name="interactions"
    )
    channel = models.CharField(max_length=16, choices=Channel.choices)
    direction = models.CharField(max_length=3, choices=Direction.choices)
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    summary = models.TextField()
    message_ref = models.CharField(max_length=120, blank=True, default="")

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.channel} {self.direction} {self.at:%Y-%m-%d}"


class Suspension(models.Model):
    """A period during which the deadline does not run (waiting for the citizen)."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="suspensions")
    start = models.DateField()
    end = models.DateField(null=True, blank=True)
    reason = models.CharField(max_length=300, blank=True, default="")

    def __str__(self) -> str:
        return f"{self.start} – {self.end or '…'}"


class ExternalLink(models.Model):
    """A link to the dossier's record in a specialist system (maatsysteem)."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="external_links")
    system = models.CharField("systeem", max_length=80)
    external_id = models.CharField("kenmerk", max_length=120)
    url = models.URLField("adres", blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.system} {self.external_id}"


class QueueStamp(models.Model):
    """The stamp of a team's or an assignee's dossiers (``team:3``, ``assignee:11``): a
    random token the database's triggers renew with every write to one of them, so what
    was counted under one stamp holds until it changes (:mod:`midoffice.dossiers.stamps`,
    ADR 33). Never written by the application, except after a bulk load."""

    key = models.CharField(max_length=40, primary_key=True)
    stamp = models.CharField(max_length=40)

    def __str__(self) -> str:
        return f"{self.key} {self.stamp}"


class Notification(models.Model):
    """An in-app message for one member of staff, under *Meldingen*."""

    class Kind(models.TextChoices):
        DEADLINE_WARNING = "deadline_warning", "Termijn loopt af"
        DEADLINE_OVERDUE = "deadline_overdue", "Termijn overschreden"
        LETTER_TO_SIGN = "letter_to_sign", "Brief te ondertekenen"
        LETTER_REFUSED = "letter_refused", "Brief teruggestuurd"
        CITIZEN_MAIL = "citizen_mail", "Nieuwe e-mail van de burger"
        PORTAL_QUESTION = "portal_question", "Nieuwe vraag via het portaal"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        db_index=False,  # notification_list_idx leads with it
    )
    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # What it is about inside the dossier (e.g. "letter:12"), so the notices of every
    # recipient are resolved together when one of them acts. A database default, because
    # the deadline scan inserts its notices in plain SQL.
    about = models.CharField(max_length=40, blank=True, default="", db_default="")
    summary = models.CharField(max_length=300, blank=True, default="", db_default="")
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)
    mailed = models.BooleanField(default=False, help_text="Opgenomen in de dagelijkse e-mail.")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # Meldingen: a user's most recent notifications, read backwards (ADR 30).
            models.Index(fields=["user", "created_at", "id"], name="notification_list_idx"),
            models.Index(
                fields=["user", "created_at"],
                name="notification_unread_idx",
                condition=Q(read_at__isnull=True),
            ),
            models.Index(
                fields=["user"], name="notification_unmailed_idx", condition=Q(mailed=False)
            ),
            models.Index(
                fields=["dossier", "about"],
                name="notification_about_idx",
                condition=Q(read_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.dossier_id} → {self.user_id}"


class PartyView(AppendOnlyModel):
    """Audit: a member of staff opened a contact's page (reads of personal data)."""

    party = models.ForeignKey(Party, on_delete=models.CASCADE, related_name="+")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["party", "at"], name="partyview_party_idx")]

    def __str__(self) -> str:
        return f"{self.actor_id} bekeek {self.party_id}"


class SearchDocument(models.Model):
    """The searchable text of one dossier or one contact (front-desk search).

    The key encodes what it is: ``2·dossier_id`` for a dossier, ``2·party_id + 1`` for a
    contact, so the SQLite FTS5 table (same rowid) needs no extra columns. On PostgreSQL
    a GIN index on ``to_tsvector('dutch', body)`` serves the search. Written only by
    ``dossiers.search`` when a service changes what is searchable (no signals).
    """

    id = models.BigIntegerField(primary_key=True)
    dossier = models.OneToOneField(
        Dossier, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    party = models.OneToOneField(
        Party, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    body = models.TextField()

    def __str__(self) -> str:
        return f"search {self.id}"
