"""Writes for the portal: sign-in links, citizen sign-in, follow-up questions, preferences."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import re
import secrets
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse

from midoffice.core import clock
from midoffice.core.display import display_text
from midoffice.core.errors import UserError
from midoffice.core.mail import send_plain
from midoffice.dossiers.events import event_record
from midoffice.dossiers.models import Dossier, EventKind, Interaction
from midoffice.dossiers.notices import dossier_citizen_message
from midoffice.dossiers.services import Location, dossier_open, interaction_log
from midoffice.parties.identifiers import email_match_key, normalise_insz
from midoffice.parties.linking import identity_link
from midoffice.parties.models import Party, PartyLink
from midoffice.parties.selectors import party_find_by_email
from midoffice.parties.services import party_create, party_set_preference
from midoffice.places.services import CheckedAddress, dossier_address_from_citizen
from midoffice.portal.models import (
    CitizenDocument,
    EmailLinkCode,
    FollowUpQuestion,
    SignInLink,
    SignInRequest,
)
from midoffice.portal.selectors import citizen_dossier_list
from midoffice.publication.services import webhooks_emit

logger = logging.getLogger(__name__)

QUESTION_MAX_CHARS = 5000


class TooManyRequests(UserError):
    status_code = 429
    code = "too_many_requests"


def _keyed_hash(value: str) -> str:
    """A keyed hash, so stored rate-limit rows do not reveal addresses."""
    return hmac.new(settings.SECRET_KEY.encode(), value.encode(), hashlib.sha256).hexdigest()


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _public(path: str) -> str:
    return f"{settings.PUBLIC_URL.rstrip('/')}{path}"


# --- sign-in ---------------------------------------------------------------------------


def signin_link_request(*, email: str, client_address: str, next_path: str = "") -> bool:
    """Mail a single-use sign-in link if ``email`` belongs to a citizen with a dossier.

    The answer to the caller is the same whether the address is known or not (no
    enumeration); only the rate limit is visible: PORTAL_LINKS_PER_HOUR per address and
    ten times that per client address. Returns whether a mail was sent (for tests).
    ``next_path`` (a portal page, checked by the view) rides along in the link, so the
    citizen lands where they wanted to go, as with the government login.
    """
    address = email.strip()
    if "@" not in address or len(address) > 320:
        raise UserError("Geef een geldig e-mailadres op.", field="email")
    now = clock.now()
    hour_ago = now - dt.timedelta(hours=1)
    address_hash = _keyed_hash(email_match_key(address))
    client_hash = _keyed_hash(client_address or "-")
    with transaction.atomic():
        SignInRequest.objects.filter(at__lt=now - dt.timedelta(days=1)).delete()
        per_address = SignInRequest.objects.filter(address_hash=address_hash, at__gte=hour_ago)
        per_client = SignInRequest.objects.filter(client_hash=client_hash, at__gte=hour_ago)
        if (
            per_address.count() >= settings.PORTAL_LINKS_PER_HOUR
            or per_client.count() >= settings.PORTAL_LINKS_PER_HOUR * 10
        ):
            raise TooManyRequests(
                "Je vroeg al enkele aanmeldlinks aan. Probeer het over een uur opnieuw."
            )
        SignInRequest.objects.create(address_hash=address_hash, client_hash=client_hash, at=now)
        party = party_find_by_email(email=address)
        if party is None or not citizen_dossier_list(party=party).exists():
            return False
        token = secrets.token_urlsafe(32)
        SignInLink.objects.create(
            party=party,
            email=address.lower(),
            token_hash=_token_hash(token),
            created_at=now,
            expires_at=now + dt.timedelta(minutes=settings.PORTAL_LINK_MINUTES),
        )
        link = _public(reverse("portal:link", args=[token]))
        if next_path.startswith("/mijn/") and next_path != reverse("portal:home"):
            link += "?" + urlencode({"next": next_path})
        minutes = settings.PORTAL_LINK_MINUTES
        transaction.on_commit(
            lambda: send_plain(
                subject="Je aanmeldlink voor Mijn dossiers",
                body=(
                    f"Beste {party.display_name},\n\n"
                    f"Met deze link meld je je aan om je dossiers te volgen:\n{link}\n\n"
                    f"De link werkt één keer en blijft {minutes} minuten geldig. "
                    "Vroeg je hem niet aan? Dan mag je deze e-mail negeren.\n\n"
                    f"{settings.TOWN_NAME}\n"
                ),
                to=[address],
            )
        )
    logger.info("portal sign-in link sent", extra={"party": party.pk})
    return True


def signin_link_check(*, token: str) -> SignInLink:
    """The unused, unexpired link for ``token``, or a UserError (without consuming it)."""
    link = SignInLink.objects.filter(token_hash=_token_hash(token)).first()
    if link is None or link.used_at is not None or link.expires_at <= clock.now():
        raise UserError(
            "Deze aanmeldlink is niet meer geldig. Vraag een nieuwe aan.", code="link_invalid"
        )
    return link


def signin_link_consume(*, token: str) -> Party:
    """Use the link once: the citizen it was made for, or a UserError."""
    return signin_link_use(token=token).party


@transaction.atomic
def signin_link_use(*, token: str) -> SignInLink:
    """Use the link once: the link (its contact, and the address it proves), or a UserError."""
    link = signin_link_check(token=token)
    link = SignInLink.objects.select_for_update().get(pk=link.pk)
    if link.used_at is not None:  # used by a parallel request between check and lock
        raise UserError("Deze aanmeldlink is niet meer geldig. Vraag een nieuwe aan.")
    link.used_at = clock.now()
    link.save(update_fields=["used_at"])
    return link


@transaction.atomic
def citizen_from_claims(*, claims: dict[str, Any]) -> Party:
    """The contact for a verified ACM/IDM identity (by national number), made if new."""
    raw = str(claims.get(settings.OIDC_RRN_CLAIM) or "")
    try:
        rrn = normalise_insz(raw)
    except UserError:
        raise UserError(
            "Je aanmelding bevat geen geldig rijksregisternummer.", code="no_rrn"
        ) from None
    party = Party.objects.filter(insz=rrn).first()
    if party is None:
        party = party_create(
            given_name=str(claims.get(settings.OIDC_GIVEN_NAME_CLAIM) or ""),
            family_name=str(claims.get(settings.OIDC_FAMILY_NAME_CLAIM) or ""),
            insz=rrn,
        )
    return party


# --- linking the mailed contact and the government login (ADR 29) -------------------------

LINK_CODE_ATTEMPTS = 5


def identity_link_outcome(*, party: Party, email: str, proof: str) -> str:
    """Link ``email``'s contacts to ``party`` (signed in with the national number in this
    session, and ``email`` proven in it too); the message for the citizen, in Dutch."""
    links = identity_link(canonical=party, email=email, proof=proof)
    states = {link.state for link in links}
    if PartyLink.State.PENDING in states:
        return (
            "Een medewerker van de gemeente kijkt na of we je e-mailadres aan je aanmelding "
            "mogen koppelen. Tot dan zie je hier de dossiers van je aanmelding."
        )
    if PartyLink.State.ACTIVE in states:
        return "Je e-mailadres is gekoppeld. Je ziet nu ook de dossiers die je per e-mail stuurde."
    if PartyLink.State.REFUSED in states:
        return (
            "Dit e-mailadres kunnen we niet aan je aanmelding koppelen. Neem contact op met "
            "de gemeente als je denkt dat dit niet klopt."
        )
    return "Je e-mailadres is bevestigd. We vonden er geen andere dossiers bij."


def _rate_limit(*, kind: str, email: str, client_address: str) -> None:
    now = clock.now()
    hour_ago = now - dt.timedelta(hours=1)
    address_hash = _keyed_hash(f"{kind}:{email_match_key(email)}")
    client_hash = _keyed_hash(f"{kind}:{client_address or '-'}")
    SignInRequest.objects.filter(at__lt=now - dt.timedelta(days=1)).delete()
    per_address = SignInRequest.objects.filter(address_hash=address_hash, at__gte=hour_ago)
    per_client = SignInRequest.objects.filter(client_hash=client_hash, at__gte=hour_ago)
    if (
        per_address.count() >= settings.PORTAL_LINKS_PER_HOUR
        or per_client.count() >= settings.PORTAL_LINKS_PER_HOUR * 10
    ):
        raise TooManyRequests("Je vroeg al enkele codes aan. Probeer het over een uur opnieuw.")
    SignInRequest.objects.create(address_hash=address_hash, client_hash=client_hash, at=now)


def link_code_request(*, party: Party, email: str, client_address: str) -> None:
    """Mail a one-time code to ``email``, for ``party`` signed in with the government
    login, rate-limited like the sign-in links (per address and per client)."""
    if not party.insz:
        raise UserError("Meld je eerst aan met je rijksregisternummer.", code="no_rrn")
    address = email.strip().lower()
    if "@" not in address or len(address) > 320 or any(ch.isspace() for ch in address):
        raise UserError("Geef een geldig e-mailadres op.", field="email")
    now = clock.now()
    with transaction.atomic():
        _rate_limit(kind="code", email=address, client_address=client_address)
        code = f"{secrets.randbelow(1_000_000):06d}"
        EmailLinkCode.objects.filter(party=party, used_at__isnull=True).update(used_at=now)
        EmailLinkCode.objects.create(
            party=party,
            email=address,
            code_hash=_keyed_hash(f"code:{party.pk}:{address}:{code}"),
            created_at=now,
            expires_at=now + dt.timedelta(minutes=settings.PORTAL_LINK_MINUTES),
        )
        minutes = settings.PORTAL_LINK_MINUTES
        transaction.on_commit(
            lambda: send_plain(
                subject="Je code om je e-mailadres te koppelen",
                body=(
                    f"Beste {party.display_name},\n\n"
                    f"Je code om dit e-mailadres aan Mijn dossiers te koppelen is: {code}\n\n"
                    f"De code werkt één keer en blijft {minutes} minuten geldig. "
                    "Vroeg je hem niet aan? Dan mag je deze e-mail negeren.\n\n"
                    f"{settings.TOWN_NAME}\n"
                ),
                to=[address],
            )
        )


def link_code_verify(*, party: Party, code: str) -> str:
    """Check the citizen's code: right, unexpired and unused → link; the message for the
    citizen. Wrong codes count; after a few the code is void."""
    invalid = "Deze code is niet (meer) geldig. Vraag een nieuwe code aan."
    now = clock.now()
    error: UserError | None = None
    with transaction.atomic():
        row = (
            EmailLinkCode.objects.select_for_update()
            .filter(party=party, used_at__isnull=True)
            .order_by("-created_at", "-pk")
            .first()
        )
        if row is None or row.expires_at <= now or row.attempts >= LINK_CODE_ATTEMPTS:
            raise UserError(invalid, field="code", code="code_invalid")
        given = "".join(ch for ch in code if ch.isdigit())
        expected = _keyed_hash(f"code:{party.pk}:{row.email}:{given}")
        if hmac.compare_digest(expected, row.code_hash):
            row.used_at = now
            row.save(update_fields=["used_at"])
            return identity_link_outcome(party=party, email=row.email, proof="code")
        # A wrong code counts (committed, so the error below does not undo it).
        row.attempts += 1
        row.save(update_fields=["attempts"])
        left = LINK_CODE_ATTEMPTS - row.attempts
        if left <= 0:
            error = UserError(invalid, field="code", code="code_invalid")
        else:
            error = UserError(
                f"Deze code klopt niet. Je kan het nog {left} keer proberen.",
                field="code",
                code="code_wrong",
            )
    raise error


# --- follow-up questions -----------------------------------------------------------------


@dataclass(frozen=True)
class CheckedFile:
    name: str
    content_type: str
    data: bytes


ALLOWED_FILES: dict[str, tuple[str, tuple[bytes, ...]]] = {
    ".pdf": ("application/pdf", (b"%PDF-",)),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        (b"PK\x03\x04",),
    ),
    ".odt": ("application/vnd.oasis.opendocument.text", (b"PK\x03\x04",)),
    ".txt": ("text/plain", ()),
}


def attachment_check(upload: UploadedFile) -> CheckedFile:
    """A safe name, an allowed type (by extension and content) and the size limit."""
    limit = settings.PORTAL_UPLOAD_MAX_MB * 1024 * 1024
    raw_name = PurePath((upload.name or "bestand").replace("\\", "/")).name
    name = re.sub(r"[^\w .()-]", "_", raw_name).strip(" .")[:150] or "bestand"
    suffix = PurePath(name).suffix.lower()
    if suffix not in ALLOWED_FILES:
        raise UserError(
            "Dit soort bestand kunnen we niet aannemen. Gebruik PDF, JPG, PNG, DOCX, ODT of TXT.",
            field="attachment",
        )
    if (upload.size or 0) > limit:
        raise UserError(
            f"Het bestand is te groot (maximaal {settings.PORTAL_UPLOAD_MAX_MB} MB).",
            field="attachment",
        )
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise UserError(
            f"Het bestand is te groot (maximaal {settings.PORTAL_UPLOAD_MAX_MB} MB).",
            field="attachment",
        )
    content_type, magics = ALLOWED_FILES[suffix]
    if not data or (magics and not data.startswith(magics)):
        raise UserError("Het bestand is leeg of niet wat de naam belooft.", field="attachment")
    if suffix == ".txt":
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            raise UserError("Een tekstbestand moet UTF-8 zijn.", field="attachment") from None
    return CheckedFile(name=name, content_type=content_type, data=data)


def dossier_location(dossier: Dossier) -> Location | None:
    if not (dossier.location_street or dossier.capakey):
        return None
    return Location(
        street=dossier.location_street,
        number=dossier.location_number,
        postcode=dossier.location_postcode,
        municipality=dossier.location_municipality,
        capakey=dossier.capakey,
    )


def question_ask(
    *,
    party: Party,
    dossier: Dossier,
    text: str,
    attachment: UploadedFile | None = None,
    about_property: bool = False,
    address: CheckedAddress | None = None,
) -> FollowUpQuestion:
    """A follow-up question from the citizen, on ``dossier`` or (``about_property``) as a
    new dossier about the same property, linked to it. ``address``: the address the
    question is about, checked against the Adressenregister before this call; stored on
    a dossier that has none yet (ADR 26).

    It lands on the timeline as a portal Interaction; the dossier is flagged unread and
    its handler (or the team) gets a notice under *Meldingen* and a mail after commit;
    webhook subscribers get an event. ``dossier`` must come from
    ``citizen_dossier_get`` (the access check is the caller's door).
    """
    text = text.strip()
    if not text:
        raise UserError("Schrijf je vraag in het tekstvak.", field="text")
    if len(text) > QUESTION_MAX_CHARS:
        raise UserError(
            f"Je vraag is te lang (maximaal {QUESTION_MAX_CHARS} tekens).", field="text"
        )
    checked = attachment_check(attachment) if attachment else None
    now = clock.now()
    with transaction.atomic():
        target, new = dossier, None
        if about_property:
            location = dossier_location(dossier)
            if location is None:
                raise UserError("Bij dit dossier hoort geen adres of perceel.", field="about")
            place = f"{location.street} {location.number}".strip() or location.capakey
            new = dossier_open(
                actor=None,
                actor_label=party.display_name,
                dossier_type=dossier.dossier_type,
                subject=f"Nieuwe vraag over {place} (vervolg op {dossier.reference})",
                requester=party,
                channel="portal",
                description=text,
                location=location,
            )
            # The same property: the register's object and its check come along.
            Dossier.objects.filter(pk=new.pk).update(
                address_uri=dossier.address_uri,
                address_verification=dossier.address_verification,
                capakey_verified=dossier.capakey_verified,
            )
            for here, there in ((dossier, new), (new, dossier)):
                event_record(
                    dossier=here,
                    kind=EventKind.LINK_ADDED,
                    actor=None,
                    actor_label=party.display_name,
                    public=True,
                    summary=f"Gekoppeld aan dossier {there.reference} (zelfde pand)",
                    data={"dossier": there.reference, "reason": "same_property"},
                )
            target = new
        elif address is not None:
            dossier_address_from_citizen(dossier, address)
        interaction = interaction_log(
            actor=None,
            dossier=target,
            party=party,
            channel=Interaction.Channel.PORTAL,
            direction=Interaction.Direction.INBOUND,
            summary=f"Vraag via het portaal: {text}",
            at=now,
        )
        question = FollowUpQuestion.objects.create(
            dossier=dossier,
            party=party,
            text=text,
            created_at=now,
            interaction=interaction,
            new_dossier=new,
        )
        if checked is not None:
            document = CitizenDocument(
                dossier=target,
                party=party,
                question=question,
                name=checked.name,
                content_type=checked.content_type,
                size=len(checked.data),
                created_at=now,
            )
            suffix = PurePath(checked.name).suffix.lower()
            document.file.save(f"{secrets.token_hex(16)}{suffix}", ContentFile(checked.data))
        webhooks_emit(
            dossier=target,
            event_type="dossier.question_received",
            data={"channel": "portal", "attachments": int(checked is not None)},
        )
        # Under *Meldingen* too, and the dossier flagged unread until its handler opens it.
        dossier_citizen_message(
            dossier=target,
            channel=Interaction.Channel.PORTAL,
            summary=" ".join(text.split())[:200],
        )
        target_pk = target.pk
        transaction.on_commit(lambda: _notify_handler(dossier_id=target_pk))
    return question


def _notify_handler(*, dossier_id: int) -> None:
    """Mail the handler (or, when nobody has the dossier yet, the team)."""
    dossier = Dossier.objects.select_related("assignee", "team").get(pk=dossier_id)
    recipient = (dossier.assignee.email if dossier.assignee else "") or dossier.team.email
    if not recipient:
        return
    link = _public(reverse("web:dossier", args=[dossier.reference]))
    send_plain(
        subject=f"[{dossier.reference}] Nieuwe vraag via het portaal",
        body=(
            f"Er kwam een nieuwe vraag binnen via het portaal bij dossier {dossier.reference} "
            f"({display_text(dossier.subject)}).\n\nBekijk het dossier: {link}\n"
        ),
        to=[recipient],
        fail_silently=True,
    )


def preferences_set(
    *, party: Party, channel: str, email_consent: bool, ebox_consent: bool
) -> Party:
    """The citizen's contact preferences, stored on the contact (same as the mail links)."""
    return party_set_preference(
        party=party, channel=channel, email_consent=email_consent, ebox_consent=ebox_consent
    )
