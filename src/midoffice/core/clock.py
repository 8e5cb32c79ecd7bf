"""The one place Midoffice asks what time it is, so tests can move time."""

from __future__ import annotations

from datetime import date, datetime

from django.utils import timezone


def now() -> datetime:
    """The current aware datetime."""
    return timezone.now()


def today() -> date:
    """Today's date in the town's time zone."""
    return timezone.localdate()


def localdate(value: datetime) -> date:
    """The town's calendar date of an aware datetime."""
    return timezone.localdate(value)
