"""Read-only tokens for the OData feed: made, revoked, checked, and their use counted.

Services (the admin and ``midoffice analytics token`` call these, nothing else writes the
tables). A token is ``mdo_`` followed by 256 random bits (URL-safe base64); it is shown
once and only its SHA-256 is stored, so a database copy does not open the feed.
"""

from __future__ import annotations

import hashlib
import logging
import secrets

from django.db import IntegrityError, transaction
from django.db.models import F

from midoffice.accounts.models import User
from midoffice.analytics.token_models import ODataToken, ODataTokenUse
from midoffice.core import clock
from midoffice.core.errors import UserError

logger = logging.getLogger(__name__)

KEY_PREFIX = "mdo_"
MAX_KEY_LENGTH = 200


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def odata_token_create(*, name: str, actor: User | None) -> tuple[ODataToken, str]:
    """Make a token called ``name``; returns it with the key, which is never shown again.

    Raises UserError (Dutch) for an empty, too long or taken name.
    """
    name = name.strip()
    if not name:
        raise UserError("Geef de sleutel een naam.", field="name")
    if len(name) > ODataToken._meta.get_field("name").max_length:  # type: ignore[operator]
        raise UserError("De naam is te lang (hoogstens 100 tekens).", field="name")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    try:
        with transaction.atomic():
            token = ODataToken.objects.create(
                name=name,
                key_hash=key_hash(key),
                key_hint=key[:10],
                created_at=clock.now(),
                created_by=actor,
            )
    except IntegrityError:
        raise UserError(f"Er is al een sleutel met de naam '{name}'.", field="name") from None
    logger.info(
        "odata token created",
        extra={"odata_token": token.name, "actor_id": actor.pk if actor else None},
    )
    return token, key


def odata_token_revoke(*, token: ODataToken, actor: User | None) -> ODataToken:
    """Revoke ``token``: it stops working at once. Revoking twice changes nothing."""
    with transaction.atomic():
        locked = ODataToken.objects.select_for_update().get(pk=token.pk)
        if locked.revoked_at is None:
            locked.revoked_at = clock.now()
            locked.save(update_fields=["revoked_at"])
            logger.info(
                "odata token revoked",
                extra={"odata_token": locked.name, "actor_id": actor.pk if actor else None},
            )
    return locked


def odata_token_for_key(key: str) -> ODataToken | None:
    """The active token with this key, or None (unknown, revoked, or not a key at all)."""
    if not key or len(key) > MAX_KEY_LENGTH:
        return None
    token = ODataToken.objects.filter(key_hash=key_hash(key)).first()
    if token is None or token.revoked_at is not None:
        return None
    return token


def odata_token_record_use(*, token: ODataToken, address: str, path: str) -> None:
    """Count one request with ``token`` in today's audit row (one ``UPDATE``; the first
    request of the day inserts the row)."""
    now = clock.now()
    day = clock.today()
    fields = {"last_at": now, "last_address": address[:45], "last_path": path[:200]}
    uses = ODataTokenUse.objects.filter(token=token, day=day)
    if uses.update(requests=F("requests") + 1, **fields):
        return
    try:
        with transaction.atomic():
            ODataTokenUse.objects.create(token=token, day=day, requests=1, first_at=now, **fields)
    except IntegrityError:  # another request made today's row a moment ago
        uses.update(requests=F("requests") + 1, **fields)
