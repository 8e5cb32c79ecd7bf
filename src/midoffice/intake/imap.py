"""IMAP polling: per active mailbox, fetch new messages, store each, and only after the
commit mark it as seen (or move it to the processed folder).

A crash between fetch and commit leaves the message unmarked: the next poll fetches it
again. A crash after the commit and before the mark makes the next poll fetch it again
too, and :func:`services.inbound_store` returns the existing row. So nothing is missed
and nothing is imported twice.
"""

from __future__ import annotations

import logging
import ssl

from imap_tools import MailBox, MailBoxStartTls, MailBoxUnencrypted
from imap_tools.consts import MailMessageFlags

from midoffice.core import clock
from midoffice.intake import services
from midoffice.intake.models import MailSource

logger = logging.getLogger(__name__)


def _connect(source: MailSource) -> MailBox | MailBoxStartTls | MailBoxUnencrypted:
    box: MailBox | MailBoxStartTls | MailBoxUnencrypted
    if source.security == MailSource.Security.SSL:
        box = MailBox(source.host, port=source.port, ssl_context=ssl.create_default_context())
    elif source.security == MailSource.Security.STARTTLS:
        box = MailBoxStartTls(
            source.host, port=source.port, ssl_context=ssl.create_default_context()
        )
    else:
        box = MailBoxUnencrypted(source.host, port=source.port)
    if source.oauth2_token:
        box.xoauth2(source.username, source.oauth2_token, initial_folder=source.folder)
    else:
        box.login(source.username, source.password, initial_folder=source.folder)
    return box


def _fetch_raw(box: MailBox | MailBoxStartTls | MailBoxUnencrypted, uid: str) -> bytes | None:
    typ, data = box.client.uid("FETCH", uid, "(BODY.PEEK[])")
    if typ != "OK":
        return None
    for item in data:
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
            return item[1]
    return None


def _mark_done(
    box: MailBox | MailBoxStartTls | MailBoxUnencrypted, source: MailSource, uid: str
) -> None:
    if source.processed_folder:
        box.move(uid, source.processed_folder)
    else:
        box.flag(uid, MailMessageFlags.SEEN, True)


def mailbox_poll(*, source: MailSource) -> int:
    """Import the unseen messages of one mailbox; returns how many were new here."""
    new = 0
    started = clock.now()
    with _connect(source) as box:
        for uid in box.uids("UNSEEN"):
            raw = _fetch_raw(box, uid)
            if raw is None:
                continue
            message = services.inbound_store(raw, source=source)  # commits
            if message.created_at >= started:
                new += 1
            _mark_done(box, source, uid)
    source.last_polled_at = clock.now()
    source.last_error = ""
    source.save(update_fields=["last_polled_at", "last_error"])
    return new


def mailbox_poll_all() -> int:
    """Poll every active IMAP mailbox; a failing one does not stop the others."""
    total = 0
    for source in MailSource.objects.filter(kind=MailSource.Kind.IMAP, active=True):
        try:
            total += mailbox_poll(source=source)
        except Exception as exc:
            logger.exception("mailbox poll failed", extra={"source": source.pk})
            source.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            source.save(update_fields=["last_error"])
    return total
