"""IMAP polling against a real Dovecot: store first, mark or move only after the commit,
and a crash between fetch and commit imports nothing twice and misses nothing."""

from __future__ import annotations

import imaplib
import uuid

import pytest

from midoffice.intake import imap, services
from midoffice.intake.models import InboundMessage, MailSource
from tests.intake.conftest import make_mail

pytestmark = pytest.mark.imap


@pytest.fixture
def mailbox(dovecot, triage_type):
    """A fresh folder per test in the Dovecot user's mailbox, and its MailSource."""
    folder = f"T{uuid.uuid4().hex[:10]}"
    client = imaplib.IMAP4(dovecot["host"], dovecot["port"])
    client.login(dovecot["user"], dovecot["password"])
    client.create(folder)
    client.create(f"{folder}-verwerkt")
    source = MailSource.objects.create(
        name=f"Onthaal {folder}",
        kind=MailSource.Kind.IMAP,
        host=dovecot["host"],
        port=dovecot["port"],
        security=MailSource.Security.NONE,
        username=dovecot["user"],
        password=dovecot["password"],
        folder=folder,
    )

    def append(raw: bytes) -> None:
        client.append(folder, None, None, raw)

    def unseen(name: str = folder) -> int:
        client.select(name)
        return len(client.uid("SEARCH", "UNSEEN")[1][0].split())

    def count(name: str) -> int:
        _typ, data = client.select(name)
        return int(data[0])

    yield source, append, unseen, count
    client.logout()


def test_poll_stores_and_marks_seen(mailbox):
    source, append, unseen, _ = mailbox
    for n in range(3):
        append(make_mail(subject=f"Vraag {n}"))
    assert imap.mailbox_poll(source=source) == 3
    assert InboundMessage.objects.filter(source=source).count() == 3
    assert unseen() == 0
    assert imap.mailbox_poll(source=source) == 0  # nothing new


def test_poll_moves_to_processed_folder(mailbox):
    source, append, _, count = mailbox
    source.processed_folder = f"{source.folder}-verwerkt"
    source.save()
    append(make_mail())
    imap.mailbox_poll(source=source)
    assert count(source.folder) == 0
    assert count(source.processed_folder) == 1


def test_crash_between_fetch_and_commit_then_rerun_exactly_once(mailbox, monkeypatch):
    source, append, unseen, _ = mailbox
    for n in range(3):
        append(make_mail(subject=f"Vraag {n}"))
    real_store = services.inbound_store
    calls = {"n": 0}

    def crash_on_second(raw, *, source, enqueue=True):
        calls["n"] += 1
        if calls["n"] == 2:
            raise SystemExit("worker killed after fetch, before commit")
        return real_store(raw, source=source, enqueue=enqueue)

    monkeypatch.setattr(imap.services, "inbound_store", crash_on_second)
    with pytest.raises(SystemExit):
        imap.mailbox_poll(source=source)
    assert InboundMessage.objects.count() == 1
    assert unseen() == 2  # the crashed one and the one after it stay unseen

    monkeypatch.setattr(imap.services, "inbound_store", real_store)
    imap.mailbox_poll(source=source)
    assert InboundMessage.objects.count() == 3
    assert unseen() == 0


def test_crash_after_commit_before_mark_then_rerun_exactly_once(mailbox, monkeypatch):
    source, append, unseen, _ = mailbox
    append(make_mail())

    def crash(*args, **kwargs):
        raise ConnectionError("connection lost before STORE \\Seen")

    monkeypatch.setattr(imap, "_mark_done", crash)
    with pytest.raises(ConnectionError):
        imap.mailbox_poll(source=source)
    assert InboundMessage.objects.count() == 1
    assert unseen() == 1

    monkeypatch.undo()
    imap.mailbox_poll(source=source)
    assert InboundMessage.objects.count() == 1
    assert unseen() == 0


def test_poll_all_records_error_of_unreachable_mailbox(db, files_dir):
    source = MailSource.objects.create(
        name="Kapot", kind="imap", host="127.0.0.1", port=1, security="none", username="x"
    )
    assert imap.mailbox_poll_all() == 0
    source.refresh_from_db()
    assert source.last_error
