"""The acknowledgement of a new question: rendered from a Dutch template, queued in the
outbox in the intake transaction, sent exactly once by the ``mail.send`` handler.

Loop protection: no acknowledgement when the kind classifier says no (auto-submitted,
bulk, bounces, no-reply, our own mail), and at most ``INTAKE_ACK_MAX_PER_DAY`` per
sender per day.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from contextlib import suppress
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import urljoin

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.template.loader import render_to_string, select_template
from django.urls import reverse

from midoffice.core import clock
from midoffice.core.display import display_text
from midoffice.core.mail import mail_domain
from midoffice.core.outbox import Delivery, outbox_enqueue, outbox_handler, outbox_mark_sent
from midoffice.dossiers.models import Dossier, Interaction
from midoffice.dossiers.services import interaction_log
from midoffice.intake.models import InboundMessage, SentMessage
from midoffice.parties.identifiers import email_match_key
from midoffice.parties.linking import canonical_insz
from midoffice.parties.models import Channel, Party

PREFERENCE_SALT = "midoffice.intake.preference"
PREFERENCE_MAX_AGE = dt.timedelta(days=30)


@dataclass(frozen=True)
class PreferenceChoice:
    """What a preference link carries: whose choice, which channel, from which dossier's
    acknowledgement ("" in links made before the reference was added)."""

    party_id: int
    channel: str
    reference: str = ""


def preference_token(*, party: Party, channel: str, dossier: Dossier | None = None) -> str:
    """A signed, expiring token that sets ``channel`` as the party's preference; with the
    dossier's reference, so the page after the choice can lead to that dossier."""
    signer = signing.TimestampSigner(salt=PREFERENCE_SALT)
    data: dict[str, Any] = {"p": party.pk, "c": channel}
    if dossier is not None:
        data["d"] = dossier.reference
    return signer.sign_object(data)


def preference_token_read(token: str) -> PreferenceChoice:
    """The choice of a valid token; ``signing.BadSignature`` (or its subclass
    ``SignatureExpired``) otherwise."""
    signer = signing.TimestampSigner(salt=PREFERENCE_SALT)
    data = signer.unsign_object(token, max_age=PREFERENCE_MAX_AGE)
    if not isinstance(data, dict) or not isinstance(data.get("p"), int):
        raise signing.BadSignature("malformed token")
    return PreferenceChoice(
        party_id=int(data["p"]), channel=str(data.get("c", "")), reference=str(data.get("d", ""))
    )


def _public(path: str) -> str:
    return urljoin(settings.PUBLIC_URL.rstrip("/") + "/", path.lstrip("/"))


def _message_id(seed: str) -> str:
    """A Message-ID derived from the outbox idempotency key: a repeated send after a
    crash carries the same Message-ID, so receivers see one message."""
    digest = hashlib.sha256(seed.encode()).hexdigest()[:24]
    return f"midoffice.{digest}@{mail_domain()}"


_SLOT = "0"


@cache
def _preference_path() -> tuple[str, str]:
    """The preference page's path around its token, reversed once per process: every
    acknowledgement has four such links and ``reverse`` is not cheap."""
    path = reverse("intake:preference", args=[_SLOT])
    head, _, tail = path.rpartition(_SLOT)
    return head, tail


def preference_url(token: str) -> str:
    head, tail = _preference_path()
    return _public(f"{head}{token}{tail}")


def acknowledgement_context(*, dossier: Dossier, party: Party, to_name: str) -> dict[str, Any]:
    links = [
        (label, preference_url(preference_token(party=party, channel=code, dossier=dossier)))
        for code, label in Channel.choices
    ]
    return {
        "dossier": dossier,
        "reference": dossier.reference,
        # The sender chose this name: no bidi override or invisible-only name in our mail.
        "name": display_text(to_name, ""),
        "status_url": _public(f"/mijn/dossiers/{dossier.reference}"),
        "preference_links": links,
        # Without a national number the mail invites a government login once (ADR 29).
        "national_number_known": bool(canonical_insz(party)),
    }


def acknowledgement_queue(
    *,
    inbound: InboundMessage,
    dossier: Dossier,
    party: Party,
    to_address: str,
    to_name: str,
    allowed: bool,
    in_reply_to: str | None,
) -> str:
    """Queue the acknowledgement in the caller's transaction. Returns "" when queued,
    otherwise why it was not (loop protection). Sets ``inbound.acknowledgement_message_id``
    without saving: the caller saves the inbound message."""
    if not allowed:
        return "Geen automatisch antwoord (lusbeveiliging)."
    key = email_match_key(to_address)
    since = clock.now() - dt.timedelta(days=1)
    recent = SentMessage.objects.filter(
        recipient_key=key, kind=SentMessage.Kind.ACKNOWLEDGEMENT, created_at__gte=since
    ).count()
    if recent >= settings.INTAKE_ACK_MAX_PER_DAY:
        return "Maximum aantal ontvangstbevestigingen per dag bereikt voor deze afzender."
    idempotency_key = f"intake-ack-{inbound.pk}"
    message_id = _message_id(idempotency_key)
    context = acknowledgement_context(dossier=dossier, party=party, to_name=to_name)
    code = dossier.dossier_type.code
    text = select_template([f"intake/ack_{code}.txt", "intake/ack_default.txt"]).render(context)
    html = select_template([f"intake/ack_{code}.html", "intake/ack_default.html"]).render(context)
    subject = render_to_string("intake/ack_subject.txt", context).strip()
    headers = {"Auto-Submitted": "auto-replied", "X-Auto-Response-Suppress": "All"}
    if in_reply_to:
        headers["In-Reply-To"] = f"<{in_reply_to}>"
        headers["References"] = f"<{in_reply_to}>"
    outbox_enqueue(
        topic="mail.send",
        payload={
            "to": [to_address],
            "subject": subject,
            "text": text,
            "html": html,
            "message_id": message_id,
            "headers": headers,
            "inbound_id": inbound.pk,
        },
        ordering_key="",
        idempotency_key=idempotency_key,
    )
    SentMessage.objects.create(
        message_id=message_id,
        kind=SentMessage.Kind.ACKNOWLEDGEMENT,
        dossier=dossier,
        inbound=inbound,
        recipient_key=key,
    )
    # Saved by the caller, with the rest of the inbound message's changes.
    inbound.acknowledgement_message_id = message_id
    return ""


@outbox_handler("mail.send")
def mail_send(delivery: Delivery) -> dict[str, Any]:
    """Send one mail with Django's mail backend (SMTP, or the file backend that catches
    mail in MIDOFFICE_DATA_DIR/mail-out when EMAIL_HOST is empty)."""
    payload = delivery.payload
    message_id = payload.get("message_id") or _message_id(delivery.idempotency_key)
    headers = {**payload.get("headers", {}), "Message-ID": f"<{message_id}>"}
    connection = get_connection(fail_silently=False)
    mail = EmailMultiAlternatives(
        subject=payload["subject"],
        body=payload["text"],
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=payload["to"],
        headers=headers,
        connection=connection,
    )
    if payload.get("html"):
        mail.attach_alternative(payload["html"], "text/html")
    result = {"message_id": message_id}
    connection.open()
    try:
        mail.send(fail_silently=False)
        # The server said 250. Between that and this commit a crash means the sweep
        # sends again (same Message-ID, so the receiver sees one message twice, never
        # two messages): keep the window to one commit, before the QUIT round trip.
        with transaction.atomic():
            outbox_mark_sent(delivery, result=result)
            _record_sent(payload, message_id)
    finally:
        with suppress(Exception):  # delivered and recorded: a failed QUIT changes nothing
            connection.close()
    return result


def _record_sent(payload: dict[str, Any], message_id: str) -> None:
    """After the send: the inbound message is acknowledged, the dossier's timeline says so.
    Done once: only the first delivery moves the message out of ``routed``."""
    inbound_id = payload.get("inbound_id")
    if not inbound_id:
        return
    with transaction.atomic():
        moved = InboundMessage.objects.filter(
            pk=inbound_id, state=InboundMessage.State.ROUTED
        ).update(state=InboundMessage.State.ACKNOWLEDGED)
        sent = SentMessage.objects.filter(message_id=message_id).select_related("dossier").first()
        if moved and sent is not None and sent.dossier is not None:
            interaction_log(
                actor=None,
                dossier=sent.dossier,
                party=sent.dossier.requester,
                channel=Interaction.Channel.EMAIL,
                direction=Interaction.Direction.OUTBOUND,
                summary="Ontvangstbevestiging verstuurd (automatisch)",
                message_ref=message_id[:120],
            )
