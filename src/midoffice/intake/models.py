"""Mail sources, inbound messages (raw bytes stored first), their attachments, and the
Message-IDs of mail we sent (for threading replies and matching bounces)."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from midoffice.dossiers.models import Dossier

MICROSOFT_365_IMAP_SCOPE = "https://outlook.office365.com/.default"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def validate_token_endpoint(value: str) -> None:
    """A token endpoint receives the client secret: https only, plain http only on
    loopback (tests, a local fake provider)."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError(
            "Geef een volledige URL op, bv. "
            "https://login.microsoftonline.com/<tenant>/oauth2/v2.0/token.",
            code="invalid_url",
        )
    if parts.scheme == "http" and parts.hostname not in LOOPBACK_HOSTS:
        raise ValidationError(
            "Het tokenadres moet met https:// beginnen (http:// mag enkel voor "
            "127.0.0.1 of localhost).",
            code="insecure_url",
        )


class MailSource(models.Model):
    """Where mail comes from: an IMAP mailbox (configured in the admin), the SMTP/LMTP
    listener, or an import of old mailboxes."""

    class Kind(models.TextChoices):
        IMAP = "imap", "IMAP-mailbox"
        SMTP = "smtp", "SMTP/LMTP-ontvanger"
        IMPORT = "import", "Import"

    class Security(models.TextChoices):
        SSL = "ssl", "IMAPS (TLS vanaf de start)"
        STARTTLS = "starttls", "STARTTLS"
        NONE = "none", "Geen (enkel voor tests op loopback)"

    name = models.CharField("naam", max_length=120, unique=True)
    kind = models.CharField("soort", max_length=10, choices=Kind.choices, default=Kind.IMAP)
    host = models.CharField("server", max_length=200, blank=True, default="")
    port = models.PositiveIntegerField("poort", default=993)
    security = models.CharField(
        "beveiliging", max_length=10, choices=Security.choices, default=Security.SSL
    )
    username = models.CharField("gebruikersnaam", max_length=200, blank=True, default="")
    password = models.CharField("wachtwoord", max_length=500, blank=True, default="")
    oauth2_token = models.TextField(
        "OAuth2-toegangstoken (handmatig)",
        blank=True,
        default="",
        help_text=(
            "Een met de hand geplakt toegangstoken (XOAUTH2). Verloopt meestal na een uur "
            "en wordt niet vernieuwd: gebruik liever de OAuth2-clientgegevens hieronder, "
            "die voorrang krijgen. Leeg: aanmelden met het wachtwoord."
        ),
    )
    # OAuth2 client configuration: Midoffice fetches and refreshes the access token itself.
    oauth2_token_url = models.CharField(
        "OAuth2-tokenadres",
        max_length=500,
        blank=True,
        default="",
        validators=[validate_token_endpoint],
        help_text=(
            "Bv. https://login.microsoftonline.com/<tenant>/oauth2/v2.0/token. "
            "Ingevuld: aanmelden met XOAUTH2 en een token dat Midoffice zelf ophaalt."
        ),
    )
    oauth2_client_id = models.CharField(
        "OAuth2-client-id",
        max_length=200,
        blank=True,
        default="",
        help_text="De 'Application (client) ID' van de app-registratie.",
    )
    oauth2_client_secret = models.CharField(
        "OAuth2-clientgeheim", max_length=500, blank=True, default=""
    )
    oauth2_scope = models.CharField(
        "OAuth2-scope",
        max_length=500,
        blank=True,
        default=MICROSOFT_365_IMAP_SCOPE,
        help_text=(
            f"Voor Microsoft 365 met client credentials: {MICROSOFT_365_IMAP_SCOPE}. "
            "Meerdere scopes scheiden met een spatie."
        ),
    )
    oauth2_refresh_token = models.TextField(
        "OAuth2-vernieuwingstoken",
        blank=True,
        default="",
        help_text=(
            "Optioneel. Ingevuld: het toegangstoken wordt met dit vernieuwingstoken "
            "opgehaald (refresh_token); leeg: met het clientgeheim (client_credentials)."
        ),
    )
    oauth2_access_token = models.TextField(
        "OAuth2-toegangstoken (bewaard)", blank=True, default="", editable=False
    )
    oauth2_access_token_expires_at = models.DateTimeField(
        "OAuth2-toegangstoken geldig tot", null=True, blank=True, editable=False
    )
    folder = models.CharField("map", max_length=200, default="INBOX")
    processed_folder = models.CharField(
        "map voor verwerkte berichten",
        max_length=200,
        blank=True,
        default="",
        help_text="Leeg: verwerkte berichten worden enkel als gelezen gemarkeerd.",
    )
    active = models.BooleanField("actief", default=True)
    last_polled_at = models.DateTimeField("laatst opgehaald", null=True, blank=True)
    last_error = models.TextField("laatste fout", blank=True, default="")

    class Meta:
        verbose_name = "postbus"
        verbose_name_plural = "postbussen"

    def __str__(self) -> str:
        return self.name

    @property
    def has_oauth2_client(self) -> bool:
        """Whether Midoffice fetches the XOAUTH2 access token itself."""
        return bool(self.oauth2_token_url and self.oauth2_client_id)

    def clean(self) -> None:
        errors: list[tuple[str, str]] = []
        if self.oauth2_token_url:
            if not self.oauth2_client_id:
                errors.append(("oauth2_client_id", "Vul de client-id in bij een tokenadres."))
            if not self.oauth2_refresh_token and not self.oauth2_client_secret:
                errors.append(
                    (
                        "oauth2_client_secret",
                        "Vul het clientgeheim in (client credentials) of een vernieuwingstoken.",
                    )
                )
            if not self.username:
                errors.append(
                    ("username", "Vul de gebruikersnaam in: het e-mailadres van de postbus.")
                )
        elif self.oauth2_client_id or self.oauth2_client_secret or self.oauth2_refresh_token:
            errors.append(
                (
                    "oauth2_token_url",
                    "Vul het OAuth2-tokenadres in, of laat de andere OAuth2-velden leeg.",
                )
            )
        if errors:
            raise ValidationError(dict(errors))


class InboundMessage(models.Model):
    """One received message. The raw bytes are stored before this row exists."""

    class State(models.TextChoices):
        RECEIVED = "received", "Ontvangen"
        PARSED = "parsed", "Gelezen"
        ROUTED = "routed", "Nieuw dossier"
        LINKED = "linked", "Aan dossier gekoppeld"
        IGNORED = "ignored", "Genegeerd"
        ACKNOWLEDGED = "acknowledged", "Ontvangst bevestigd"
        QUARANTINED = "quarantined", "In quarantaine"

    class Kind(models.TextChoices):
        UNKNOWN = "", "Onbekend"
        NORMAL = "normal", "Gewoon bericht"
        AUTO_REPLY = "auto_reply", "Automatisch antwoord"
        BOUNCE = "bounce", "Onbestelbaar"
        BULK = "bulk", "Massamail"
        OWN = "own", "Eigen bericht"

    source = models.ForeignKey(MailSource, on_delete=models.PROTECT, related_name="messages")
    raw_name = models.CharField("bestand", max_length=200)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField("grootte")
    message_id = models.CharField("Message-ID", max_length=998, blank=True, default="")
    subject = models.TextField("onderwerp", blank=True, default="")
    from_address = models.CharField("afzender", max_length=320, blank=True, default="")
    from_name = models.CharField("naam afzender", max_length=300, blank=True, default="")
    to_addresses = models.JSONField("aan", default=list, blank=True)
    sent_at = models.DateTimeField("verzonden", null=True, blank=True)
    kind = models.CharField(
        "soort", max_length=16, choices=Kind.choices, blank=True, default=Kind.UNKNOWN
    )
    state = models.CharField(
        "toestand", max_length=16, choices=State.choices, default=State.RECEIVED
    )
    reason_code = models.CharField("reden (code)", max_length=64, blank=True, default="")
    reason = models.TextField("reden", blank=True, default="")
    attempts = models.PositiveIntegerField("pogingen", default=0)
    dossier = models.ForeignKey(
        Dossier,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="inbound_messages",
    )
    recognition = models.JSONField("herkenning", default=dict, blank=True)
    acknowledgement_message_id = models.CharField(max_length=300, blank=True, default="")
    created_at = models.DateTimeField("ontvangen", auto_now_add=True, db_index=True)
    processed_at = models.DateTimeField("verwerkt", null=True, blank=True)

    class Meta:
        verbose_name = "inkomend bericht"
        verbose_name_plural = "inkomende berichten"
        constraints = [
            models.UniqueConstraint(
                fields=["message_id", "sha256"], name="inbound_once_per_id_and_content"
            )
        ]
        indexes = [models.Index(fields=["state", "created_at"], name="inbound_state_idx")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject[:60]}"


class Attachment(models.Model):
    """A document that came with an inbound message; the bytes are stored once per hash.

    A dangerous attachment (``mailparse.danger``) is **held** from the moment it is
    stored: staff cannot download it until someone who may (``Action.RELEASE_ATTACHMENT``)
    releases it with a reason; who, when and why stay on the row and on the dossier's
    timeline (ADR 12).
    """

    message = models.ForeignKey(
        InboundMessage, on_delete=models.CASCADE, related_name="attachments"
    )
    position = models.PositiveIntegerField(default=0)
    filename = models.CharField("bestandsnaam", max_length=255, blank=True, default="")
    original_filename = models.CharField(
        "naam zoals verstuurd",
        max_length=1000,
        blank=True,
        default="",
        help_text="Enkel om te tonen; nooit als pad gebruiken.",
    )
    content_type = models.CharField("mediatype", max_length=255)
    size = models.PositiveBigIntegerField("grootte")
    sha256 = models.CharField(max_length=64, db_index=True)
    stored_name = models.CharField(max_length=200)
    is_inline = models.BooleanField(default=False)
    content_id = models.CharField(max_length=300, blank=True, default="")
    origin = models.CharField(max_length=16, default="mime")
    dangerous_reason = models.CharField(
        "waarom gevaarlijk",
        max_length=300,
        blank=True,
        default="",
        help_text="In het Nederlands, bv. ‘dit is een Windows-programma (.exe)’.",
    )
    held_at = models.DateTimeField("tegengehouden op", null=True, blank=True)
    released_at = models.DateTimeField("vrijgegeven op", null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="vrijgegeven door",
    )
    release_reason = models.TextField("reden van vrijgave", blank=True, default="")

    class Meta:
        verbose_name = "bijlage"
        verbose_name_plural = "bijlagen"
        ordering = ["message", "position"]
        constraints = [
            models.UniqueConstraint(fields=["message", "position"], name="attachment_position"),
            # A release is always audited: only of a held attachment, by someone, with a reason.
            models.CheckConstraint(
                condition=Q(released_at__isnull=True)
                | (Q(held_at__isnull=False, released_by__isnull=False) & ~Q(release_reason="")),
                name="attachment_release_audited",
            ),
        ]
        indexes = [
            models.Index(
                fields=["held_at"],
                name="attachment_held_idx",
                condition=Q(held_at__isnull=False, released_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return self.filename or self.sha256[:12]

    @property
    def is_held(self) -> bool:
        """Held back and not released: no download, no preview."""
        return self.held_at is not None and self.released_at is None


class SentMessage(models.Model):
    """A mail we sent (the acknowledgement, later letters): its Message-ID lets replies
    and bounces find their dossier."""

    class Kind(models.TextChoices):
        ACKNOWLEDGEMENT = "ack", "Ontvangstbevestiging"

    message_id = models.CharField(max_length=300, unique=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    dossier = models.ForeignKey(
        Dossier, on_delete=models.CASCADE, null=True, related_name="sent_mail"
    )
    inbound = models.ForeignKey(
        InboundMessage, on_delete=models.SET_NULL, null=True, related_name="sent_mail"
    )
    recipient_key = models.CharField(max_length=320, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "verstuurd bericht"
        verbose_name_plural = "verstuurde berichten"

    def __str__(self) -> str:
        return self.message_id


class PendingBlob(models.Model):
    """The bytes of a stored file that the storage refused (unreachable, full), kept in
    the database until ``storage_backlog_move`` writes them out (ADR 21g).

    Keyed by content hash like the storage itself (``intake.storage.blob_name``), so a
    raw mail and an attachment with the same bytes share one row, and a row is the
    same file whether it waits here or already sits in the storage: readers look here
    first (``intake.storage.blob_read``), then in the storage.
    """

    sha256 = models.CharField(max_length=64, unique=True)
    #: The name the file gets in the storage; the backup treats it as held (core.backup).
    name = models.CharField(max_length=200, unique=True)
    data = models.BinaryField()
    size = models.PositiveBigIntegerField("grootte")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = "bestand dat op de opslag wacht"
        verbose_name_plural = "bestanden die op de opslag wachten"

    def __str__(self) -> str:
        return self.name
