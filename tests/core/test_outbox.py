from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from midoffice.core import outbox
from midoffice.core.models import OutboxMessage

pytestmark = pytest.mark.django_db

CALLS: list[tuple[str, int]] = []
DOWN = {"flag": False}


@outbox.outbox_handler("test.flaky")
def _flaky(delivery: outbox.Delivery) -> dict[str, int]:
    if DOWN["flag"]:
        raise ConnectionError("service down")
    CALLS.append((delivery.idempotency_key, delivery.payload["n"]))
    return {"n": delivery.payload["n"]}


@pytest.fixture(autouse=True)
def _reset():
    CALLS.clear()
    DOWN["flag"] = False


def _make_due():
    OutboxMessage.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))


def test_delivery_retries_with_backoff_then_goes_out_once():
    DOWN["flag"] = True
    message = outbox.outbox_enqueue(topic="test.flaky", payload={"n": 1}, ordering_key="d1")
    assert outbox.outbox_deliver(message_id=message.pk) == "pending"
    message.refresh_from_db()
    assert message.attempts == 1
    assert message.next_attempt_at > timezone.now()
    assert "service down" in message.last_error
    assert outbox.outbox_deliver(message_id=message.pk) == "skipped"  # not due yet
    DOWN["flag"] = False
    _make_due()
    assert outbox.outbox_sweep() == 1
    assert outbox.outbox_sweep() == 0
    assert [n for _, n in CALLS] == [1]


def test_messages_with_one_ordering_key_go_out_in_order():
    DOWN["flag"] = True
    first = outbox.outbox_enqueue(topic="test.flaky", payload={"n": 1}, ordering_key="d1")
    second = outbox.outbox_enqueue(topic="test.flaky", payload={"n": 2}, ordering_key="d1")
    outbox.outbox_deliver(message_id=first.pk)
    DOWN["flag"] = False
    assert outbox.outbox_deliver(message_id=second.pk) == "skipped"  # waits for the first
    _make_due()
    outbox.outbox_sweep()
    assert [n for _, n in CALLS] == [1, 2]


def test_unknown_topic_fails_permanently():
    message = outbox.outbox_enqueue(topic="nobody.listens", payload={})
    assert outbox.outbox_deliver(message_id=message.pk) == "failed"


def test_backoff_is_capped():
    assert outbox.backoff(1) == timedelta(seconds=30)
    assert outbox.backoff(50) == timedelta(hours=1)
