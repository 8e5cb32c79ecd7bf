"""Contacts: persons and organisations, their identifiers, contact points and preferences."""

from __future__ import annotations

from typing import Any

from django.conf import settings
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
    # What the newest consent record (``Consent``) says, kept here for reading; only the
    # contact services write them, together with that record.
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
    def insz_masked(self) -> str:
        """The national number for staff pages: the birth date part only."""
        from midoffice.parties.identifiers import mask_insz

        return mask_insz(self.insz) if self.insz else ""

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
    # Set by the intake when the citizen writes to us from this (e-mail) address: an
    # answer may go back the same way without a separate consent (correspondence.channels).
    last_inbound_at = models.DateTimeField("laatst van dit adres geschreven", null=True, blank=True)

    class Meta:
        verbose_name = "contactgegeven"
        verbose_name_plural = "contactgegevens"
        indexes = [models.Index(fields=["kind", "value"], name="contactpoint_value_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.value}"


class ConsentChannel(models.TextChoices):
    """The channels that need the citizen's consent."""

    EMAIL = "email", "e-mail"
    EBOX = "ebox", "eBox"


class Consent(models.Model):
    """One consent or refusal of a citizen for a channel (OSLO *Toestemming*).

    Append-only: a new statement is a new row. The newest statement per channel (by the
    date the citizen gave it, then by entry) holds, and is copied to ``Party.email_consent``
    / ``ebox_consent`` by the service that records it.
    """

    class Source(models.TextChoices):
        COUNTER = "counter", "mondeling aan het loket"
        PHONE = "phone", "telefonisch"
        EMAIL = "email", "per e-mail"
        LETTER = "letter", "per brief"
        FORM = "form", "op een ondertekend formulier"
        PORTAL = "portal", "in het portaal"
        LINK = "link", "via de link in de ontvangstbevestiging"

    party = models.ForeignKey(Party, on_delete=models.CASCADE, related_name="consents")
    channel = models.CharField("kanaal", max_length=10, choices=ConsentChannel.choices)
    granted = models.BooleanField("akkoord", help_text="Nee: de burger weigert dit kanaal.")
    given_on = models.DateField("datum")
    source = models.CharField("bron", max_length=10, choices=Source.choices)
    note = models.CharField("toelichting", max_length=300, blank=True, default="")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField("geregistreerd", auto_now_add=True)

    class Meta:
        verbose_name = "toestemming"
        verbose_name_plural = "toestemmingen"
        indexes = [models.Index(fields=["party", "channel", "given_on"], name="consent_party_idx")]

    def __str__(self) -> str:
        return f"{self.channel} {'ja' if self.granted else 'nee'} {self.given_on}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise RuntimeError("Consent rows cannot be changed")  # history: append only
        super().save(*args, **kwargs)


class PartyChange(models.Model):
    """Audit: who changed what of a contact, and when (append-only).

    ``data`` holds what changed, per field ``{"before": …, "after": …}`` or the contact
    point added or removed. The contact page shows these rows.
    """

    party = models.ForeignKey(Party, on_delete=models.CASCADE, related_name="changes")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    actor_label = models.CharField(max_length=120, blank=True, default="")
    at = models.DateTimeField(auto_now_add=True)
    summary = models.CharField(max_length=300)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = "wijziging van een contact"
        verbose_name_plural = "wijzigingen van contacten"
        indexes = [models.Index(fields=["party", "at"], name="partychange_party_idx")]

    def __str__(self) -> str:
        return f"{self.party_id}: {self.summary}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise RuntimeError("PartyChange rows cannot be changed")  # audit: append only
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise RuntimeError("PartyChange rows cannot be deleted")


class PartyLink(models.Model):
    """Two contacts proven to be one citizen (ADR 29): a link, not a merge.

    ``canonical`` holds the national number (proven by the government login); ``linked``
    is the contact the citizen's proven e-mail address belongs to. Nothing is moved: the
    portal shows the canonical contact the dossiers of its active links, DOSIS registers
    them under the national number, and undoing is one state change. Contested cases (the
    address's contact has another national number, or the address is shared) wait for a
    staff decision (``pending``). Rows are never deleted: the states are the history.
    """

    class State(models.TextChoices):
        PENDING = "pending", "Wacht op beslissing van een medewerker"
        ACTIVE = "active", "Gekoppeld"
        REFUSED = "refused", "Geweigerd"
        UNDONE = "undone", "Ontkoppeld"

    class Reason(models.TextChoices):
        NONE = "", "Bewezen in één sessie"
        OTHER_RRN = "other_rrn", "Het e-mailadres hoort bij een ander rijksregisternummer"
        SHARED = "shared", "Het e-mailadres wordt door meerdere contacten gedeeld"
        ALREADY_LINKED = "already_linked", "Het contact is al aan iemand anders gekoppeld"
        ORGANISATION = "organisation", "Het e-mailadres hoort bij een organisatie"

    canonical = models.ForeignKey(Party, on_delete=models.CASCADE, related_name="links_in")
    linked = models.ForeignKey(Party, on_delete=models.CASCADE, related_name="links_out")
    email = models.CharField("bewezen e-mailadres", max_length=320)
    proof = models.CharField("bewijs", max_length=10)  # "link" or "code"
    state = models.CharField("toestand", max_length=10, choices=State.choices)
    reason = models.CharField(
        "reden voor beslissing", max_length=20, choices=Reason.choices, blank=True, default=""
    )
    created_at = models.DateTimeField("aangevraagd")
    decided_at = models.DateTimeField("beslist", null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    undone_at = models.DateTimeField("ontkoppeld", null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = "koppeling van contacten"
        verbose_name_plural = "koppelingen van contacten"
        constraints = [
            models.UniqueConstraint(
                fields=["linked"],
                condition=models.Q(state="active"),
                name="partylink_one_active_per_linked",
            ),
            models.UniqueConstraint(
                fields=["canonical", "linked"],
                condition=models.Q(state__in=["active", "pending"]),
                name="partylink_one_open_per_pair",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.linked_id} → {self.canonical_id} ({self.state})"

    @property
    def canonical_insz_masked(self) -> str:
        """The canonical contact's national number for staff pages: birth date part only
        (two contacts of one family often share a name)."""
        from midoffice.parties.identifiers import mask_insz

        return mask_insz(self.canonical.insz or "")

    @property
    def proof_label(self) -> str:
        """How the citizen's identity was proven, in Dutch."""
        from midoffice.parties.linking import PROOF_LABELS

        return PROOF_LABELS.get(self.proof, self.proof)
