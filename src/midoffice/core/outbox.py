"""Services for the transactional outbox: enqueue, deliver exactly once, sweep."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import transaction

from midoffice.core import clock
from midoffice.core.models import OutboxMessage

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 12
LEASE = timedelta(minutes=5)


class TemporaryFailure(Exception):
    """The far side is unavailable; try again later."""


class PermanentFailure(Exception):
    """The far side refused the message; retrying will not help."""


@dataclass(frozen=True)
class Delivery:
    """What a handler gets: the payload and the key that makes a repeat harmless."""

    message_id: int
    topic: str
    payload: dict[str, Any]
    idempotency_key: str
    attempt: int


Handler = Callable[[Delivery], dict[str, Any] | None]
HANDLERS: dict[str, Handler] = {}


def outbox_handler(topic: str) -> Callable[[Handler], Handler]:
    """Register the function that delivers messages of ``topic``."""

    def decorator(func: Handler) -> Handler:
        HANDLERS[topic] = func
        return func

    return decorator


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min … capped at 1 hour."""
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


def outbox_enqueue(
    *,
    topic: str,
    payload: dict[str, Any],
    ordering_key: str = "",
    idempotency_key: str | None = None,
) -> OutboxMessage:
    """Write a message in the caller's transaction and schedule its delivery on commit.

    The delivery task is itself a database row (django-tasks-db), so it is committed or
    rolled back together with the message and the change that caused it.
    """
    from midoffice.core.tasks import outbox_deliver_task

    message = OutboxMessage.objects.create(
        topic=topic,
        payload=payload,
        ordering_key=ordering_key,
        idempotency_key=idempotency_key or uuid.uuid4().hex,
        next_attempt_at=clock.now(),
    )
    outbox_deliver_task.enqueue(message_id=message.pk)
    return message


def _claim(message_id: int) -> OutboxMessage | None:
    now = clock.now()
    with transaction.atomic():
        message = (
            OutboxMessage.objects.select_for_update(skip_locked=True).filter(pk=message_id).first()
        )
        if message is None or message.state in (
            OutboxMessage.State.SENT,
            OutboxMessage.State.FAILED,
        ):
            return None
        if message.state == OutboxMessage.State.SENDING and (
            message.lease_until and message.lease_until > now
        ):
            return None  # another worker holds it
        if message.next_attempt_at > now:
            return None
        if message.ordering_key and (
            OutboxMessage.objects.filter(
                ordering_key=message.ordering_key,
                id__lt=message.pk,
                state__in=[OutboxMessage.State.PENDING, OutboxMessage.State.SENDING],
            ).exists()
        ):
            return None  # an older message for the same key goes first
        message.state = OutboxMessage.State.SENDING
        message.lease_until = now + LEASE
        message.attempts += 1
        message.save(update_fields=["state", "lease_until", "attempts"])
        return message


def outbox_mark_sent(delivery: Delivery, *, result: dict[str, Any] | None = None) -> None:
    """Record ``delivery`` as sent, in the handler's own transaction.

    For a far side that cannot deduplicate (an SMTP server): a handler calls this in
    the transaction that records its own bookkeeping, right after the far side
    accepted, so that the window in which a crash makes the sweep deliver again (same
    idempotency key) is one short commit. ``outbox_deliver`` finds the row sent.
    """
    OutboxMessage.objects.filter(pk=delivery.message_id).update(
        state=OutboxMessage.State.SENT,
        sent_at=clock.now(),
        result=result or {},
        last_error="",
        lease_until=None,
    )


def outbox_deliver(*, message_id: int) -> str:
    """Deliver one message if it is due; returns the resulting state.

    Safe to call any number of times and from any number of workers.
    """
    message = _claim(message_id)
    if message is None:
        return "skipped"
    handler = HANDLERS.get(message.topic)
    delivery = Delivery(
        message_id=message.pk,
        topic=message.topic,
        payload=message.payload,
        idempotency_key=message.idempotency_key,
        attempt=message.attempts,
    )
    fields = ["state", "lease_until", "last_error"]
    try:
        if handler is None:
            raise PermanentFailure(f"no handler for topic {message.topic!r}")
        result = handler(delivery)
    except PermanentFailure as exc:
        message.state = OutboxMessage.State.FAILED
        message.last_error = str(exc)[:2000]
        logger.warning("outbox message failed permanently", extra={"outbox_id": message.pk})
    except Exception as exc:  # noqa: BLE001 - any failure of the far side is retried
        message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        if message.attempts >= MAX_ATTEMPTS:
            message.state = OutboxMessage.State.FAILED
        else:
            message.state = OutboxMessage.State.PENDING
            message.next_attempt_at = clock.now() + backoff(message.attempts)
            fields.append("next_attempt_at")
        logger.info("outbox delivery will be retried", extra={"outbox_id": message.pk})
    else:
        message.state = OutboxMessage.State.SENT
        message.sent_at = clock.now()
        message.result = result or {}
        message.last_error = ""
        fields += ["sent_at", "result"]
    message.lease_until = None
    message.save(update_fields=fields)
    if message.state == OutboxMessage.State.SENT and message.ordering_key:
        _kick_next(message.ordering_key, after_id=message.pk)
    return str(message.state)


def _kick_next(ordering_key: str, *, after_id: int) -> None:
    nxt = (
        OutboxMessage.objects.filter(
            ordering_key=ordering_key, id__gt=after_id, state=OutboxMessage.State.PENDING
        )
        .order_by("id")
        .values_list("id", flat=True)
        .first()
    )
    if nxt is not None:
        outbox_deliver(message_id=nxt)


def outbox_sweep(*, limit: int = 500) -> int:
    """Re-drive every due message (after an outage, a crash, or an expired lease)."""
    now = clock.now()
    due = list(
        OutboxMessage.objects.filter(
            state__in=[OutboxMessage.State.PENDING, OutboxMessage.State.SENDING],
            next_attempt_at__lte=now,
        )
        .exclude(lease_until__gt=now)
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )
    for message_id in due:
        outbox_deliver(message_id=message_id)
    return len(due)


@outbox_handler("core.ping")
def _ping(delivery: Delivery) -> dict[str, Any]:
    """A no-op topic that proves the enqueue → worker → outbox path end to end."""
    return {"echo": delivery.payload}
