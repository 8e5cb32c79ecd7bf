"""Mail backends for the invitation tests."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import EmailMessage


class MailServerDown(BaseEmailBackend):
    """The town's SMTP server does not answer: every send fails, as smtplib's would."""

    attempts = 0

    def open(self) -> bool:
        type(self).attempts += 1
        raise ConnectionRefusedError(111, "Connection refused")

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        raise ConnectionRefusedError(111, "Connection refused")
