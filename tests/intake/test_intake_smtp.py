"""The SMTP/LMTP listener: 250 only after the message is stored, 451 on failure, long
lines and 8-bit content accepted. Outgoing mail is received by an aiosmtpd sink."""

from __future__ import annotations

import smtplib

import pytest
from aiosmtpd.controller import Controller
from django.core.mail import EmailMessage, get_connection

from midoffice.core.models import OutboxMessage
from midoffice.core.outbox import outbox_deliver
from midoffice.intake import services, smtp_listener
from midoffice.intake.models import InboundMessage
from tests.intake.conftest import free_port, make_mail


@pytest.fixture
def listener(transactional_db, triage_type):
    port = free_port()
    controller = smtp_listener.IntakeController(host="127.0.0.1", port=port)
    controller.start()
    yield port
    controller.stop()


def test_listener_stores_before_250_long_lines_and_8bit(listener):
    long_line = b"Lange regel " + b"x" * 5000
    raw = (
        b"From: Ren\xe9e <renee@example.org>\r\nTo: onthaal@leemdonk.example\r\n"
        b"Subject: Vraag\r\nMessage-ID: <long-8bit@example.org>\r\n"
        b"Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: 8bit\r\n"
        b"\r\nHallo,\r\n" + long_line + b"\r\nGroetjes, Ren\xe9e\r\n"
    )
    with smtplib.SMTP("127.0.0.1", listener, timeout=10) as client:
        refused = client.sendmail("emma@example.org", ["onthaal@leemdonk.example"], raw)
    assert refused == {}
    message = InboundMessage.objects.get()
    assert message.size >= len(long_line)
    # processing is queued as a task, not done by the listener
    assert message.state == InboundMessage.State.RECEIVED
    processed = services.inbound_process(inbound_id=message.pk)
    assert processed.state == InboundMessage.State.ROUTED


def test_listener_answers_451_when_storing_fails(listener, monkeypatch):
    def broken(raw, *, source, enqueue=True):
        raise OSError("disk full")

    monkeypatch.setattr(services, "inbound_store", broken)
    with (
        smtplib.SMTP("127.0.0.1", listener, timeout=10) as client,
        pytest.raises(smtplib.SMTPDataError) as info,
    ):
        client.sendmail("emma@example.org", ["onthaal@leemdonk.example"], make_mail())
    assert info.value.smtp_code == 451
    assert InboundMessage.objects.count() == 0


def test_same_message_twice_is_stored_once(listener):
    raw = make_mail()
    for _ in range(2):
        with smtplib.SMTP("127.0.0.1", listener, timeout=10) as client:
            client.sendmail("emma@example.org", ["onthaal@leemdonk.example"], raw)
    assert InboundMessage.objects.count() == 1


class Sink:
    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope.original_content)
        return "250 OK"


def test_acknowledgement_goes_out_over_smtp_to_a_sink(triage_type, settings, transactional_db):
    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = port
        settings.EMAIL_USE_TLS = False
        source = services.mail_source_for(kind="import")
        stored = services.inbound_store(make_mail(), source=source)
        message = services.inbound_process(inbound_id=stored.pk)
        outbox_id = OutboxMessage.objects.get(topic="mail.send").pk
        assert outbox_deliver(message_id=outbox_id) == "sent"
        assert outbox_deliver(message_id=outbox_id) == "skipped"
    finally:
        controller.stop()
    assert len(sink.messages) == 1
    sent = sink.messages[0]
    assert f"[{message.dossier.reference}]".encode() in sent
    assert b"Auto-Submitted: auto-replied" in sent
    assert (
        f"Message-ID: <{InboundMessage.objects.get(pk=message.pk).acknowledgement_message_id}>".encode()
        in sent
    )


def test_outbox_retries_when_mail_server_is_down(triage_type, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()  # nothing listens here
    settings.EMAIL_TIMEOUT = 2
    source = services.mail_source_for(kind="import")
    stored = services.inbound_store(make_mail(), source=source)
    services.inbound_process(inbound_id=stored.pk)
    outbox = OutboxMessage.objects.get(topic="mail.send")
    assert outbox_deliver(message_id=outbox.pk) == "pending"
    outbox.refresh_from_db()
    assert outbox.attempts == 1
    assert outbox.last_error


def test_django_mail_connection_is_usable():
    # guards the handler's use of get_connection() with the test backend
    assert EmailMessage("x", "y", to=["a@example.org"], connection=get_connection()).send() == 1


@pytest.fixture
def lmtp_listener(transactional_db, triage_type):
    port = free_port()
    controller = smtp_listener.IntakeController(host="127.0.0.1", port=port, lmtp=True)
    controller.start()
    yield port
    controller.stop()


def _lmtp_session(port: int, recipients: list[str], raw: bytes) -> list[str]:
    """Speak LMTP over a plain socket, as Postfix's lmtp client does, and return the
    replies after the data: RFC 2033 wants one per accepted recipient."""
    import socket

    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        reader = sock.makefile("rb")

        def reply() -> list[str]:
            lines = []
            while True:
                line = reader.readline().decode().rstrip("\r\n")
                lines.append(line)
                if len(line) < 4 or line[3] != "-":
                    return lines

        def send(command: bytes) -> list[str]:
            sock.sendall(command + b"\r\n")
            return reply()

        assert reply()[0].startswith("220")
        assert send(b"LHLO mail.leemdonk.example")[-1].startswith("250")
        assert send(b"MAIL FROM:<emma@example.org>")[0].startswith("250")
        for rcpt in recipients:
            assert send(f"RCPT TO:<{rcpt}>".encode())[0].startswith("250")
        assert send(b"DATA")[0].startswith("354")
        sock.sendall(raw.replace(b"\r\n.", b"\r\n..") + b"\r\n.\r\n")
        answers = [reply()[0] for _ in recipients]
        send(b"QUIT")
    return answers


def test_lmtp_answers_once_per_recipient_and_stores_once(lmtp_listener):
    recipients = ["onthaal@leemdonk.example", "info@leemdonk.example"]
    answers = _lmtp_session(lmtp_listener, recipients, make_mail())
    assert [a[:3] for a in answers] == ["250", "250"]
    assert InboundMessage.objects.count() == 1


def test_lmtp_refuses_smtp_greeting_and_answers_451_per_recipient(lmtp_listener, monkeypatch):
    with smtplib.SMTP("127.0.0.1", lmtp_listener, timeout=10) as client:
        code, _ = client.ehlo()
        assert code == 500  # LMTP speaks LHLO only

    def broken(raw, *, source, enqueue=True):
        raise OSError("disk full")

    monkeypatch.setattr(services, "inbound_store", broken)
    answers = _lmtp_session(
        lmtp_listener, ["a@leemdonk.example", "b@leemdonk.example"], make_mail()
    )
    assert [a[:3] for a in answers] == ["451", "451"]
    assert InboundMessage.objects.count() == 0


def test_smtplib_lmtp_client_delivers(lmtp_listener):
    with smtplib.LMTP("127.0.0.1", lmtp_listener, timeout=10) as client:
        refused = client.sendmail("emma@example.org", ["onthaal@leemdonk.example"], make_mail())
    assert refused == {}
    assert InboundMessage.objects.count() == 1
