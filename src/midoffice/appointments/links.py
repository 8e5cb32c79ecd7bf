"""Signed links to move or cancel an appointment without signing in (ADR 0016).

The token names the appointment (its id and its iCalendar UID) and is signed with the
site's secret (``django.core.signing``, its own salt). It holds no expiry of its own: it
works until the appointment's *current* start. So a link from the confirmation of the
first booking keeps working after a reschedule — until the new time — and the citizen
need not find the newest mail; a link never outlives the appointment it opens. A
cancelled appointment's link still opens it (the page says it is cancelled) until its
start. Opening the link changes nothing; moving and cancelling are POSTs on the page
(``portal:appointment-manage``, built by the portal).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin

from django.conf import settings
from django.core import signing
from django.urls import reverse

from midoffice.appointments.models import Appointment
from midoffice.core import clock
from midoffice.core.errors import UserError

SALT = "midoffice.appointments.manage"
URL_NAME = "portal:appointment-manage"


class ManageLinkInvalid(UserError):
    """Not a link we made (typed over, cut off, or for an appointment that is gone)."""

    status_code = 400
    code = "link_invalid"


class ManageLinkExpired(UserError):
    """The appointment has started or is over: nothing left to move or cancel."""

    status_code = 410
    code = "expired"


INVALID = (
    "Deze link werkt niet. Gebruik de link uit de laatste e-mail over je afspraak, "
    "of neem contact op met de gemeente."
)
EXPIRED = "Deze link is verlopen: je afspraak is al begonnen of voorbij."


def manage_token(appointment: Appointment) -> str:
    """A token for the appointment's manage page; valid until the appointment starts."""
    # No timestamp (Signer, not dumps' TimestampSigner): the expiry is the appointment's
    # start, and the same appointment always gets the same link.
    return signing.Signer(salt=SALT).sign_object({"a": appointment.pk, "u": appointment.uid})


def appointment_for_token(token: str) -> Appointment:
    """The appointment of a manage token.

    Raises ``ManageLinkInvalid`` (400) for a token we did not sign or whose appointment
    is gone, ``ManageLinkExpired`` (410) once the appointment has started — with a
    message in Dutch for the citizen.
    """
    try:
        data: Any = signing.Signer(salt=SALT).unsign_object(token)
    except (signing.BadSignature, ValueError) as exc:  # ValueError: signed, but not ours
        raise ManageLinkInvalid(INVALID) from exc
    if not isinstance(data, dict) or not isinstance(data.get("a"), int):
        raise ManageLinkInvalid(INVALID)
    appointment = (
        Appointment.objects.select_related("service", "location", "room", "dossier", "staff")
        .filter(pk=data["a"], uid=str(data.get("u", "")))
        .first()
    )
    if appointment is None:
        raise ManageLinkInvalid(INVALID)
    if clock.now() >= appointment.start:
        raise ManageLinkExpired(EXPIRED)
    return appointment


def public_url(path: str) -> str:
    """``path`` on the public address of the site (as the acknowledgement's links)."""
    return urljoin(settings.PUBLIC_URL.rstrip("/") + "/", path.lstrip("/"))


def manage_url(appointment: Appointment) -> str:
    """The absolute manage link for mails."""
    return public_url(reverse(URL_NAME, args=[manage_token(appointment)]))
