"""IMAP polling: per active mailbox, fetch new messages, store each, and only after the
commit mark it as seen (or move it to the processed folder).

A crash between fetch and commit leaves the message unmarked: the next poll fetches it
again. A crash after the commit and before the mark makes the next poll fetch it again
too, and :func:`services.inbound_store` returns the existing row. So nothing is missed
and nothing is imported twice.

A mailbox logs in with its password, with XOAUTH2 and a token pasted by hand, or (Microsoft
365) with XOAUTH2 and a token Midoffice fetches and refreshes itself (:mod:`.oauth`).
"""

from __future__ import annotations

import contextlib
import imaplib
import logging
import ssl

from imap_tools import MailBox, MailBoxStartTls, MailBoxUnencrypted
from imap_tools.consts import MailMessageFlags
from imap_tools.errors import MailboxLoginError

from midoffice.core import clock
from midoffice.intake import oauth, services
from midoffice.intake.models import MailSource

logger = logging.getLogger(__name__)


def _open(source: MailSource) -> MailBox | MailBoxStartTls | MailBoxUnencrypted:
    """A connection, not yet authenticated."""
    if source.security == MailSource.Security.SSL:
        return MailBox(source.host, port=source.port, ssl_context=ssl.create_default_context())
    if source.security == MailSource.Security.STARTTLS:
        return MailBoxStartTls(
            source.host, port=source.port, ssl_context=ssl.create_default_context()
        )
    return MailBoxUnencrypted(source.host, port=source.port)


def _close_quietly(box: MailBox | MailBoxStartTls | MailBoxUnencrypted) -> None:
    # The connection is of no more use; a failure to say goodbye changes nothing.
    with contextlib.suppress(imaplib.IMAP4.error, OSError):
        box.client.logout()


class OAuth2LoginRefused(Exception):
    """The IMAP server refused the XOAUTH2 login."""


def _xoauth2_login(
    box: MailBox | MailBoxStartTls | MailBoxUnencrypted, source: MailSource, token: str
) -> None:
    try:
        box.xoauth2(source.username, token, initial_folder=None)
    except (imaplib.IMAP4.error, MailboxLoginError) as exc:
        _close_quietly(box)
        raise OAuth2LoginRefused(
            f"IMAP-aanmelding met OAuth2-token geweigerd ({exc}). Controleer de "
            "gebruikersnaam (het adres van de postbus) en de rechten van de app op die postbus."
        ) from exc


def _connect_oauth2(source: MailSource) -> MailBox | MailBoxStartTls | MailBoxUnencrypted:
    """Log in with XOAUTH2 and a token from the token endpoint. A cached token the server
    refuses (revoked before its expiry) is replaced once by a freshly fetched one."""
    from_cache = oauth.cached_token_valid(source)
    token = oauth.access_token_for(source)  # before connecting: it may fail
    box = _open(source)
    try:
        _xoauth2_login(box, source, token)
    except OAuth2LoginRefused:
        if not from_cache:
            raise  # a token fetched just now: another one will not fare better
        logger.info("cached OAuth2 token refused, fetching a new one", extra={"source": source.pk})
        token = oauth.access_token_for(source, force=True)
        box = _open(source)
        _xoauth2_login(box, source, token)
    return box


def _connect(source: MailSource) -> MailBox | MailBoxStartTls | MailBoxUnencrypted:
    box: MailBox | MailBoxStartTls | MailBoxUnencrypted
    if source.has_oauth2_client:
        box = _connect_oauth2(source)
        try:
            box.folder.set(source.folder)
        except Exception:
            _close_quietly(box)
            raise
    elif source.oauth2_token:  # pasted by hand; expires, is never refreshed
        box = _open(source)
        box.xoauth2(source.username, source.oauth2_token, initial_folder=source.folder)
    else:
        box = _open(source)
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
