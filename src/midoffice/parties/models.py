"""Contacts: persons and organisations, their identifiers, contact points and preferences."""

from __future__ import annotations

from django.db import models


class Channel(models.TextChoices):
    """The channel a citizen prefers to hear from the town (OSLO Toestemming in mind)."""

    EMAIL = "email", "E-mail"
    PHONE = "phone", "Telefoon"
    LETTER = "letter", "Brief"
    EBOX = "ebox", "eBox"


class Party(models.Model):
    class Kind(models.TextChoices):
        PERSON = "person", "Persoon"
        ORGANISATION = "organisation", "Organisatie"

    kind = models.CharField("soort", max_length=16, choices=Kind.choices, default=Kind.PERSON)
    given_name = models.CharField("voornaam", max_length=120, blank=True, default="")
    family_name = models.CharField("familienaam", max_length=120, blank=True, default="")
    organisation_name = models.CharField("organisatie", max_length=200, blank=True, default="")
    display_name = models.CharField("naam", max_length=250, db_index=True)
    insz = models.CharField(
        "rijksregisternummer", max_length=11, null=True, blank=True, unique=True
    )
    kbo = models.CharField("ondernemingsnummer", max_length=10, null=True, blank=True, unique=True)
    preferred_channel = models.CharField(
        "voorkeurskanaal", max_length=10, choices=Channel.choices, blank=True, default=""
    )
    email_consent = models.BooleanField("akkoord met e-mail", default=False)
    ebox_consent = models.BooleanField("akkoord met eBox", default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "contact"
        verbose_name_plural = "contacten"

    def __str__(self) -> str:
        return self.display_name

    @property
    def primary_email(self) -> str | None:
        point = (
            self.contact_points.filter(kind=ContactPoint.Kind.EMAIL)
            .order_by("-is_primary", "id")
            .first()
        )
        return point.value if point else None


class ContactPoint(models.Model):
    """An e-mail address, phone number (E.164) or postal address of a contact."""

    class Kind(models.TextChoices):
        EMAIL = "email", "E-mail"
        PHONE = "phone", "Telefoon"
        ADDRESS = "address", "Adres"

    party = models.ForeignKey(Party, on_delete=models.CASCADE, related_name="contact_points")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    value = models.CharField(
        "waarde",
        max_length=320,
        help_text="E-mail (kleine letters), telefoon (E.164) of adres op één regel.",
    )
    match_key = models.CharField(max_length=320, db_index=True, blank=True, default="")
    street = models.CharField("straat", max_length=200, blank=True, default="")
    house_number = models.CharField("huisnummer", max_length=20, blank=True, default="")
    box = models.CharField("bus", max_length=20, blank=True, default="")
    postcode = models.CharField("postcode", max_length=10, blank=True, default="")
    municipality = models.CharField("gemeente", max_length=120, blank=True, default="")
    country = models.CharField("land", max_length=2, default="BE")
    is_primary = models.BooleanField("voorkeur", default=False)

    class Meta:
        verbose_name = "contactgegeven"
        verbose_name_plural = "contactgegevens"
        indexes = [models.Index(fields=["kind", "value"], name="contactpoint_value_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.value}"
