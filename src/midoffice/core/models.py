"""Core models: the transactional outbox for everything that leaves Midoffice."""

from __future__ import annotations

from django.db import models


class OutboxMessage(models.Model):
    """A message to an external system, written in the same transaction as its cause.

    The delivery task claims it with a lease, calls the topic's handler outside any
    transaction and records the outcome. Handlers receive the ``idempotency_key`` so the
    far side can refuse a repeat when a worker died between "sent" and "recorded".
    Messages with the same ``ordering_key`` go out one at a time, oldest first.
    """

    class State(models.TextChoices):
        PENDING = "pending", "Wacht"
        SENDING = "sending", "Wordt verstuurd"
        SENT = "sent", "Verstuurd"
        FAILED = "failed", "Mislukt"

    topic = models.CharField(max_length=64)
    ordering_key = models.CharField(max_length=128, blank=True, default="")
    idempotency_key = models.CharField(max_length=128, unique=True)
    payload = models.JSONField(default=dict)
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    lease_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    result = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "uitgaand bericht (outbox)"
        verbose_name_plural = "uitgaande berichten (outbox)"
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="outbox_due_idx"),
            models.Index(fields=["ordering_key", "id"], name="outbox_order_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.topic} #{self.pk} ({self.state})"


class ApiRateWindow(models.Model):
    """How many API requests one client made in its current rate-limit window.

    One row per limit and client (``bucket``: ``user:42``, ``anon:192.0.2.7``), counted
    with one atomic upsert per request (core.throttling), so the limit holds across
    gunicorn workers and hosts that share the database (ADR 11).
    """

    bucket = models.CharField(max_length=200, primary_key=True)
    started = models.BigIntegerField(help_text="Start of the window, in Unix seconds.")
    hits = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "API-teller"
        verbose_name_plural = "API-tellers"
        indexes = [models.Index(fields=["started"], name="api_rate_window_started_idx")]

    def __str__(self) -> str:
        return f"{self.bucket}: {self.hits}"


class SchedulerHeartbeat(models.Model):
    """The last tick of the active scheduler (``midoffice scheduler``), for ``/readyz``.

    One row per scheduler name (today only ``scheduler``). Only the scheduler that holds
    the lock (core.scheduler_lock) writes it, every few seconds; a standby never does.
    """

    name = models.CharField(max_length=40, primary_key=True)
    holder = models.CharField(
        max_length=200, help_text="Host name and process id of the active scheduler."
    )
    started_at = models.DateTimeField(help_text="When this holder became the active scheduler.")
    beat_at = models.DateTimeField(help_text="Its last tick.")

    class Meta:
        verbose_name = "hartslag van de planner"
        verbose_name_plural = "hartslagen van de planner"

    def __str__(self) -> str:
        return f"{self.name}: {self.beat_at:%Y-%m-%d %H:%M:%S}"
