"""Plain outgoing mail with a Message-ID in the town's own domain.

Django names a message after the host it runs on (``…@localhost`` on many servers), which
spam filters hold against it and which says nothing about who sent it. Everything the
product mails goes out with an id in the domain of ``DEFAULT_FROM_EMAIL``.
"""

from __future__ import annotations

from email.utils import make_msgid, parseaddr

from django.conf import settings
from django.core.mail import EmailMessage


def mail_domain() -> str:
    """The domain of the sender address (``leemdonk.example``), or a reserved one."""
    return parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "midoffice.invalid"


def new_message_id() -> str:
    return make_msgid(idstring="midoffice", domain=mail_domain())


def send_plain(*, subject: str, body: str, to: list[str], fail_silently: bool = False) -> int:
    """Send a plain-text mail from the town's address; returns how many were sent."""
    message = EmailMessage(
        subject=subject, body=body, to=to, headers={"Message-ID": new_message_id()}
    )
    return message.send(fail_silently=fail_silently)
