"""Video links for digital and hybrid appointments, through a plugin (ADR 0016).

A provider is any class with the two methods of :class:`VideoProvider`, named by its
dotted path in ``MIDOFFICE_VIDEO_PROVIDER``. The default, :class:`JitsiProvider`, makes an
unguessable meeting address on ``MIDOFFICE_VIDEO_HOST`` (``meet.jit.si`` by default, or
the town's own Jitsi server) and needs no account: a Jitsi room exists while people are
in it.

**Writing another provider (e.g. Microsoft Teams).** ``create`` is called by the booking
services *inside* the booking transaction (through :func:`meeting_url`), once per
appointment — a reschedule keeps the link. An adapter for Teams would create an online
meeting with Microsoft Graph (``POST /users/{organizer}/onlineMeetings`` with the start,
end and subject; return its ``joinWebUrl``) through the one HTTP client with timeouts,
and raise :class:`VideoUnavailable` when Graph does not answer: the booking then fails
with a Dutch message and nothing is written. ``cancel`` is called later by the outbox
(topic ``appointments.video_cancel``), outside any transaction and retried until it
succeeds, so it must be idempotent (deleting a meeting that is gone is success).
"""

from __future__ import annotations

import base64
import logging
import secrets
from functools import cache
from typing import Any, Protocol, runtime_checkable
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.text import slugify

from midoffice.appointments.models import Appointment
from midoffice.core.errors import UserError
from midoffice.core.outbox import Delivery, outbox_enqueue, outbox_handler

logger = logging.getLogger(__name__)

TOPIC_CANCEL = "appointments.video_cancel"


class VideoUnavailable(UserError):
    """The video service could not make a meeting now; the booking is not made."""

    status_code = 503
    code = "video_unavailable"


@runtime_checkable
class VideoProvider(Protocol):
    """Makes and ends the video meeting of one appointment."""

    def create(self, appointment: Appointment) -> str:
        """A new meeting for ``appointment`` (its row is written: it has its id, UID,
        times and service); returns the ``https://`` address every participant joins
        with. Raise ``VideoUnavailable`` when the service cannot make one now."""
        ...

    def cancel(self, *, url: str, appointment_uid: str) -> None:
        """End the meeting at ``url`` (the appointment was cancelled). Idempotent; raise
        any exception to have the outbox try again later."""
        ...


def town_slug() -> str:
    """``leemdonk`` for "Gemeente Leemdonk": the town's name without its kind."""
    slug = slugify(settings.TOWN_NAME)
    for prefix in ("gemeente-", "stad-", "stadsbestuur-"):
        if slug.startswith(prefix) and len(slug) > len(prefix):
            return slug.removeprefix(prefix)
    return slug or "gemeente"


class JitsiProvider:
    """``https://<MIDOFFICE_VIDEO_HOST>/<town>-<128 random bits>``.

    The random part is 128 bits from ``secrets`` in lower-case base32 (26 characters):
    Jitsi treats room names without regard to case, so a mixed-case alphabet would
    silently lose bits; base32 keeps all 128 and is safe in a URL.
    """

    def create(self, appointment: Appointment) -> str:
        token = base64.b32encode(secrets.token_bytes(16)).decode().rstrip("=").lower()
        return f"https://{settings.VIDEO_HOST}/{town_slug()}-{token}"

    def cancel(self, *, url: str, appointment_uid: str) -> None:
        """Nothing to do: a Jitsi room ends when the last person leaves."""


@cache
def _provider_for(path: str) -> VideoProvider:
    provider = import_string(path)()
    if not isinstance(provider, VideoProvider):
        raise TypeError(f"{path} does not implement VideoProvider (create, cancel)")
    return provider


def provider() -> VideoProvider:
    """The configured provider (one instance per process and setting)."""
    return _provider_for(settings.VIDEO_PROVIDER)


def _checked(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.netloc or len(url) > 400:
        raise VideoUnavailable(
            "De videolink kon niet gemaakt worden. Probeer het zo meteen opnieuw."
        )
    return url


def meeting_url(appointment: Appointment) -> str:
    """The appointment's video link: the one it has (a reschedule keeps it), or a new
    one from the provider. Called by the booking services inside their transaction."""
    if appointment.video_url:
        return appointment.video_url
    return _checked(provider().create(appointment))


def meeting_cancel_enqueue(appointment: Appointment) -> None:
    """Have the provider end the meeting after the cancellation commits (outbox)."""
    if not appointment.video_url:
        return
    outbox_enqueue(
        topic=TOPIC_CANCEL,
        payload={"url": appointment.video_url, "uid": appointment.uid},
        ordering_key=f"appointment:{appointment.pk}",
    )


@outbox_handler(TOPIC_CANCEL)
def _cancel(delivery: Delivery) -> dict[str, Any]:
    provider().cancel(url=delivery.payload["url"], appointment_uid=delivery.payload["uid"])
    return {"cancelled": True}
