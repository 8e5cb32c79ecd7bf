"""SMTP/LMTP listener for mail servers that push (aiosmtpd).

It answers ``250`` only after :func:`services.inbound_store` has committed the raw bytes;
on any failure it answers ``451`` so the sending server keeps the message and retries.
A storage that is away is not such a failure: the bytes are committed in the database
until it is back (ADR 21g); a database that is away is.
Long lines and 8-bit content are accepted: real mail has them.

LMTP (RFC 2033, e.g. Postfix's ``lmtp:`` transport) differs in one way that matters: after
the data the server gives one reply per accepted recipient, and the client waits for
all of them. The message is stored once (it is one mail to the town, whatever the
number of its addresses here) and every recipient gets that one outcome.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP
from django.conf import settings
from django.db import close_old_connections

from midoffice.intake import services

logger = logging.getLogger(__name__)

LINE_LENGTH_LIMIT = 1024 * 1024  # RFC 5321 says 1,000; real mail does not care


class IntakeSMTP(SMTP):
    line_length_limit = LINE_LENGTH_LIMIT


class IntakeLMTP(LMTP):
    line_length_limit = LINE_LENGTH_LIMIT


def _store(raw: bytes, lmtp: bool) -> int:
    close_old_connections()
    try:
        source = services.mail_source_for(kind="smtp")
        return services.inbound_store(raw, source=source).pk
    finally:
        close_old_connections()


class IntakeHandler:
    def __init__(self, *, lmtp: bool = False) -> None:
        self.lmtp = lmtp

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or b""
        try:
            loop = asyncio.get_running_loop()
            # The ORM is synchronous: store in a worker thread; answer when committed.
            inbound_id = await loop.run_in_executor(None, _store, raw, self.lmtp)
        except Exception:
            logger.exception("listener could not store a message")
            return self._reply(
                "451 4.3.0 Tijdelijke fout bij het opslaan; probeer later opnieuw", envelope
            )
        logger.info("listener stored a message", extra={"inbound_id": inbound_id})
        return self._reply("250 2.0.0 Ok: stored", envelope)

    def _reply(self, line: str, envelope: Any) -> str:
        """SMTP: one reply. LMTP: one per recipient (RFC 2033 §4.2), same outcome."""
        if not self.lmtp:
            return line
        return "\r\n".join([line] * max(len(envelope.rcpt_tos), 1))


class IntakeController(Controller):
    def __init__(self, *, host: str, port: int, lmtp: bool = False) -> None:
        self.lmtp = lmtp
        super().__init__(
            IntakeHandler(lmtp=lmtp),
            hostname=host,
            port=port,
            data_size_limit=settings.INTAKE_MAX_MESSAGE_BYTES,
        )

    def factory(self) -> SMTP:
        cls = IntakeLMTP if self.lmtp else IntakeSMTP
        return cls(self.handler, **self.SMTP_kwargs)


def serve_forever(*, host: str, port: int, lmtp: bool = False) -> None:
    controller = IntakeController(host=host, port=port, lmtp=lmtp)
    controller.start()
    stop = threading.Event()
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()
