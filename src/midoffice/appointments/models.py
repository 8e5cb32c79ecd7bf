"""Appointments: services the questions lead to, where and with whom, and the bookings.

A citizen answers a few questions (``BookingQuestion``/``BookingAnswer``); ordered
``BookingRule``s turn the answers into a ``Service`` (with a mode) or an ``InfoPage``.
A ``Service`` says how long it takes, which team's staff can take it, which modes it
allows and how far ahead it can be booked. Staff have ``WorkingHours`` and ``Absence``s;
``Location``s have ``Room``s (a hybrid room has a screen and a camera). An
``Appointment`` books one member of staff (and a room, unless it is digital) for a
time; its ``Participant``s receive the invitation.

All times are stored aware (UTC in the database) and computed in Europe/Brussels.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from midoffice.accounts.models import Team
from midoffice.catalog.models import DossierType
from midoffice.core.mail import mail_domain
from midoffice.dossiers.models import AddressVerification, Dossier
from midoffice.parties.models import Party


class Mode(models.TextChoices):
    PHYSICAL = "physical", "Op het gemeentehuis"
    DIGITAL = "digital", "Via video"
    HYBRID = "hybrid", "Hybride (in een zaal en via video)"


class Location(models.Model):
    """A town building where citizens can come (the town hall, a service centre)."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField("naam", max_length=120)
    street = models.CharField("straat", max_length=200, blank=True, default="")
    number = models.CharField("huisnummer", max_length=20, blank=True, default="")
    postcode = models.CharField("postcode", max_length=10, blank=True, default="")
    municipality = models.CharField("gemeente", max_length=120, blank=True, default="")
    directions = models.TextField("hoe vind je ons", blank=True, default="")
    active = models.BooleanField("actief", default=True)

    class Meta:
        verbose_name = "locatie"
        verbose_name_plural = "locaties"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Room(models.Model):
    """A meeting room or counter at a location; a hybrid room has a screen and a camera."""

    location = models.ForeignKey(
        Location, on_delete=models.PROTECT, related_name="rooms", verbose_name="locatie"
    )
    name = models.CharField("naam", max_length=120)
    capacity = models.PositiveSmallIntegerField(
        "aantal plaatsen", default=2, validators=[MinValueValidator(1), MaxValueValidator(500)]
    )
    hybrid = models.BooleanField(
        "scherm en camera",
        default=False,
        help_text="Geschikt voor hybride afspraken: wie niet komt, neemt deel via video.",
    )
    active = models.BooleanField("actief", default=True)

    class Meta:
        verbose_name = "zaal"
        verbose_name_plural = "zalen"
        ordering = ["location__name", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["location", "name"],
                name="room_unique_name",
                violation_error_message="Deze locatie heeft al een zaal met deze naam.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.location})"


class Service(models.Model):
    """Something a citizen can book: a building advice, a counter visit, a video call."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField("naam", max_length=200)
    description = models.TextField("uitleg voor de burger", blank=True, default="")
    duration_minutes = models.PositiveSmallIntegerField(
        "duur (minuten)", default=30, validators=[MinValueValidator(5), MaxValueValidator(480)]
    )
    buffer_minutes = models.PositiveSmallIntegerField(
        "buffer na de afspraak (minuten)",
        default=0,
        validators=[MaxValueValidator(120)],
        help_text="Tijd om na te werken; de medewerker en de zaal blijven zo lang bezet.",
    )
    allow_physical = models.BooleanField("op het gemeentehuis", default=True)
    allow_digital = models.BooleanField("via video", default=False)
    allow_hybrid = models.BooleanField("hybride", default=False)
    slot_step_minutes = models.PositiveSmallIntegerField(
        "tijd tussen twee begintijden (minuten)",
        default=15,
        validators=[MaxValueValidator(480)],
        help_text="Om de hoeveel minuten een afspraak kan beginnen. 0: de duur van de dienst.",
    )
    min_notice_hours = models.PositiveSmallIntegerField(
        "minstens zoveel uur vooraf boeken", default=24
    )
    max_days_ahead = models.PositiveSmallIntegerField(
        "hoogstens zoveel dagen vooruit", default=56, validators=[MinValueValidator(1)]
    )
    team = models.ForeignKey(Team, on_delete=models.PROTECT, verbose_name="team")
    staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="appointment_services",
        verbose_name="medewerkers",
        help_text="Leeg: elk lid van het team met werkuren.",
    )
    min_room_capacity = models.PositiveSmallIntegerField("minimum aantal plaatsen", default=2)
    dossier_type = models.ForeignKey(
        DossierType,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="opent een dossier van type",
        help_text="Een afspraak zonder dossier opent een dossier van dit type.",
    )
    dossier_types = models.ManyToManyField(
        DossierType,
        blank=True,
        related_name="appointment_services",
        verbose_name="aangeboden bij dossiers van type",
    )
    active = models.BooleanField("actief", default=True)

    class Meta:
        verbose_name = "dienst (afspraak)"
        verbose_name_plural = "diensten (afspraken)"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if not (self.allow_physical or self.allow_digital or self.allow_hybrid):
            raise ValidationError(
                "Kies minstens één wijze: op het gemeentehuis, via video of hybride."
            )

    @property
    def modes(self) -> list[str]:
        allowed = (
            (Mode.PHYSICAL, self.allow_physical),
            (Mode.DIGITAL, self.allow_digital),
            (Mode.HYBRID, self.allow_hybrid),
        )
        return [str(mode) for mode, ok in allowed if ok]


class Weekday(models.IntegerChoices):
    MONDAY = 0, "maandag"
    TUESDAY = 1, "dinsdag"
    WEDNESDAY = 2, "woensdag"
    THURSDAY = 3, "donderdag"
    FRIDAY = 4, "vrijdag"
    SATURDAY = 5, "zaterdag"
    SUNDAY = 6, "zondag"


class WorkingHours(models.Model):
    """When a member of staff takes appointments, in local (Brussels) wall-clock time."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="working_hours",
        verbose_name="medewerker",
    )
    weekday = models.PositiveSmallIntegerField("dag", choices=Weekday.choices)
    start = models.TimeField("van")
    end = models.TimeField("tot")
    location = models.ForeignKey(
        Location,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name="locatie",
        help_text="Waar de medewerker die dag zit (leeg: alleen video-afspraken).",
    )

    class Meta:
        verbose_name = "werkuren"
        verbose_name_plural = "werkuren"
        ordering = ["user", "weekday", "start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=models.F("start")),
                name="hours_end_after",
                violation_error_message="Het einde moet na het begin liggen.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.get_weekday_display()} {self.start:%H:%M}–{self.end:%H:%M}"


class Absence(models.Model):
    """Leave, training, illness: no appointments for this member of staff in this period."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="absences",
        verbose_name="medewerker",
    )
    start = models.DateTimeField("van")
    end = models.DateTimeField("tot")
    reason = models.CharField("reden", max_length=200, blank=True, default="")

    class Meta:
        verbose_name = "afwezigheid"
        verbose_name_plural = "afwezigheden"
        ordering = ["start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=models.F("start")),
                name="absence_end_after",
                violation_error_message="Het einde moet na het begin liggen.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.start:%d-%m-%Y %H:%M} – {self.end:%d-%m-%Y %H:%M}"


class InfoPage(models.Model):
    """Where an answer leads instead of a booking: "dit kan je online: …"."""

    slug = models.SlugField(max_length=60, unique=True)
    title = models.CharField("titel", max_length=200)
    body = models.TextField("tekst")
    link_url = models.URLField("link", blank=True, default="")
    link_text = models.CharField("tekst van de link", max_length=120, blank=True, default="")

    class Meta:
        verbose_name = "infopagina"
        verbose_name_plural = "infopagina's"

    def __str__(self) -> str:
        return self.title


class BookingQuestion(models.Model):
    """One question asked before the booking, in order; optionally only after an answer."""

    order = models.PositiveSmallIntegerField("volgorde", default=0)
    code = models.SlugField(max_length=40, unique=True)
    text = models.CharField("vraag", max_length=300)
    help_text = models.CharField("toelichting", max_length=300, blank=True, default="")
    ask_if = models.ForeignKey(
        "BookingAnswer",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="alleen vragen na antwoord",
    )

    class Meta:
        verbose_name = "vraag (afspraak)"
        verbose_name_plural = "vragen (afspraak)"
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.text


class BookingAnswer(models.Model):
    question = models.ForeignKey(
        BookingQuestion, on_delete=models.CASCADE, related_name="answers", verbose_name="vraag"
    )
    order = models.PositiveSmallIntegerField("volgorde", default=0)
    code = models.SlugField(max_length=40)
    text = models.CharField("antwoord", max_length=200)
    implied_by_types = models.ManyToManyField(
        DossierType,
        blank=True,
        related_name="+",
        verbose_name="al gekend bij dossiers van type",
        help_text="Een afspraak voor zo'n dossier slaat deze vraag over met dit antwoord.",
    )

    class Meta:
        verbose_name = "antwoord (afspraak)"
        verbose_name_plural = "antwoorden (afspraak)"
        ordering = ["question", "order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["question", "code"],
                name="answer_unique_code",
                violation_error_message="Deze vraag heeft al een antwoord met deze code.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.question.code}: {self.text}"


class BookingRule(models.Model):
    """Answers → a service (and mode) or an information page; the first match wins.

    A rule matches when every one of its answers was given; a rule without answers is
    the fallback and matches always (give it the highest order).
    """

    order = models.PositiveSmallIntegerField("volgorde", default=0)
    answers = models.ManyToManyField(
        BookingAnswer, blank=True, related_name="rules", verbose_name="als geantwoord"
    )
    service = models.ForeignKey(
        Service, on_delete=models.CASCADE, null=True, blank=True, verbose_name="dienst"
    )
    mode = models.CharField(
        "wijze",
        max_length=10,
        choices=Mode.choices,
        blank=True,
        default="",
        help_text="Leeg: de burger kiest uit wat de dienst toelaat.",
    )
    info_page = models.ForeignKey(
        InfoPage, on_delete=models.CASCADE, null=True, blank=True, verbose_name="infopagina"
    )

    class Meta:
        verbose_name = "regel (afspraak)"
        verbose_name_plural = "regels (afspraak)"
        ordering = ["order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(service__isnull=False) ^ Q(info_page__isnull=False),
                name="rule_service_xor_info",
                violation_error_message="Kies een dienst of een infopagina: één van beide.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.order}: {self.service or self.info_page}"

    def clean(self) -> None:
        if self.info_page_id and self.mode:
            raise ValidationError({"mode": "Een infopagina heeft geen wijze."})
        if self.service is not None and self.mode and self.mode not in self.service.modes:
            raise ValidationError(
                {"mode": f"{self.service} kan niet {self.get_mode_display().lower()}."}
            )


class AppointmentStatus(models.TextChoices):
    BOOKED = "booked", "Geboekt"
    ARRIVED = "arrived", "Aangemeld"
    NO_SHOW = "no_show", "Niet gekomen"
    CANCELLED = "cancelled", "Geannuleerd"


class Appointment(models.Model):
    """One booked meeting: a service, a time, one member of staff, a room or a video link."""

    uid = models.CharField("iCalendar-UID", max_length=200, unique=True, editable=False)
    sequence = models.PositiveIntegerField(
        default=0, help_text="iCalendar SEQUENCE: verhoogd bij elke wijziging."
    )
    # The foreign keys of the API's filters are indexed with (start, id) after them (Meta),
    # not on their own.
    service = models.ForeignKey(
        Service, on_delete=models.PROTECT, verbose_name="dienst", db_index=False
    )
    dossier = models.ForeignKey(
        Dossier,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="appointments",
        verbose_name="dossier",
    )
    party = models.ForeignKey(
        Party,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="appointments",
        verbose_name="burger",
    )
    mode = models.CharField("wijze", max_length=10, choices=Mode.choices)
    start = models.DateTimeField("begin")
    end = models.DateTimeField("einde")
    busy_until = models.DateTimeField("bezet tot", help_text="Einde plus de buffer van de dienst.")
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="appointments",
        verbose_name="medewerker",
        db_index=False,
    )
    location = models.ForeignKey(
        Location,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name="locatie",
        db_index=False,
    )
    room = models.ForeignKey(
        Room,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="appointments",
        verbose_name="zaal",
        db_index=False,
    )
    video_url = models.URLField("videolink", max_length=400, blank=True, default="")
    status = models.CharField(
        max_length=10, choices=AppointmentStatus.choices, default=AppointmentStatus.BOOKED
    )
    remark = models.TextField("opmerking van de burger", blank=True, default="")
    answers = models.JSONField(
        "antwoorden", default=dict, blank=True, help_text="De vragen en antwoorden vooraf."
    )
    # The address the citizen gave when the agenda asks one (issue 15, ADR 26): the text,
    # the Adressenregister's object when picked or found, and whether it was checked.
    address = models.CharField("adres", max_length=300, blank=True, default="")
    address_uri = models.CharField("adresobject (URI)", max_length=200, blank=True, default="")
    address_verification = models.CharField(
        "adres geverifieerd",
        max_length=12,
        choices=AddressVerification.choices,
        blank=True,
        default=AddressVerification.NONE,
    )
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="geboekt door",
        help_text="Leeg: de burger zelf (portaal of link).",
    )
    backend = models.CharField("agenda", max_length=20, default="local", help_text="local of jcc")
    external_id = models.CharField("kenmerk in de agenda", max_length=80, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=300, blank=True, default="")
    reminder_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "afspraak"
        verbose_name_plural = "afspraken"
        ordering = ["start", "id"]
        # The API's list is read in (start, id) order, with or without a filter on staff,
        # room, service or location: each has an index in that order (ADR 30), which also
        # serves the agenda of one member of staff, room or location.
        indexes = [
            models.Index(fields=["staff", "start", "id"], name="appointment_staff_idx"),
            models.Index(fields=["room", "start", "id"], name="appointment_room_idx"),
            models.Index(fields=["service", "start", "id"], name="appointment_service_idx"),
            models.Index(fields=["location", "start", "id"], name="appointment_location_idx"),
            # The free-slot search reads every appointment in a range of days: with these
            # columns in the index it never visits the table (an index-only scan). The id
            # after the start makes it the order of the list without a filter too.
            models.Index(
                fields=["start", "id", "busy_until", "staff", "room", "status"],
                name="appointment_agenda_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="appt_end_after"),
            models.CheckConstraint(
                condition=Q(busy_until__gte=models.F("end")), name="appt_busy_after_end"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service} {self.start:%d-%m-%Y %H:%M}"

    def save(self, *args: object, **kwargs: object) -> None:
        if not self.uid:
            self.uid = f"{uuid.uuid4()}@{mail_domain()}"
        super().save(*args, **kwargs)  # type: ignore[arg-type]


class ParticipantKind(models.TextChoices):
    CITIZEN = "citizen", "Burger"
    STAFF = "staff", "Medewerker"
    GUEST = "guest", "Gast"


class Participant(models.Model):
    """Who is invited: the citizen, the member of staff, external guests (the architect)."""

    appointment = models.ForeignKey(
        Appointment, on_delete=models.CASCADE, related_name="participants"
    )
    kind = models.CharField(max_length=10, choices=ParticipantKind.choices)
    name = models.CharField("naam", max_length=200)
    email = models.EmailField("e-mailadres", blank=True, default="")
    joins_remotely = models.BooleanField(
        "neemt deel via video", default=False, help_text="Bij een hybride afspraak."
    )
    partstat = models.CharField(
        max_length=20,
        default="NEEDS-ACTION",
        help_text="iCalendar PARTSTAT: NEEDS-ACTION, ACCEPTED, DECLINED, TENTATIVE.",
    )

    class Meta:
        verbose_name = "deelnemer"
        verbose_name_plural = "deelnemers"
        ordering = ["appointment", "id"]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>" if self.email else self.name
