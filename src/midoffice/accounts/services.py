"""Sign-in throttling."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from django.conf import settings

from midoffice.accounts.models import LoginFailure
from midoffice.core import clock

WINDOW = timedelta(minutes=15)


def _address_hash(address: str) -> str:
    return hashlib.sha256(f"{settings.SECRET_KEY}:{address}".encode()).hexdigest()


def login_is_throttled(*, username: str, address: str) -> bool:
    """True when this user name, or this address, failed too often in the last 15 minutes."""
    since = clock.now() - WINDOW
    recent = LoginFailure.objects.filter(at__gte=since)
    limit: int = settings.LOGIN_FAILURE_LIMIT
    return (
        recent.filter(username=username.lower()).count() >= limit
        or recent.filter(address_hash=_address_hash(address)).count() >= limit * 4
    )


def login_failure_record(*, username: str, address: str) -> None:
    LoginFailure.objects.create(username=username.lower(), address_hash=_address_hash(address))
    LoginFailure.objects.filter(at__lt=clock.now() - WINDOW * 4).delete()
