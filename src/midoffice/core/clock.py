"""The one place Midoffice asks what time it is, so tests can move time."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime

from django.utils import timezone

_frozen: ContextVar[datetime | None] = ContextVar("midoffice_clock_frozen", default=None)


def now() -> datetime:
    """The current aware datetime."""
    return _frozen.get() or timezone.now()


def today() -> date:
    """Today's date in the town's time zone."""
    return timezone.localdate(now())


@contextmanager
def frozen_at(moment: datetime) -> Iterator[None]:
    """Within the block (this thread or task only), it is ``moment``: for writing history
    as it happened, e.g. the demo town's dossiers of the past weeks."""
    token = _frozen.set(moment)
    try:
        yield
    finally:
        _frozen.reset(token)


def localdate(value: datetime) -> date:
    """The town's calendar date of an aware datetime."""
    return timezone.localdate(value)
