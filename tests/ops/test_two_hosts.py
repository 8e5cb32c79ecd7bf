"""Issue 23 part 6: more than one host, sharing only PostgreSQL and the object storage.

Real subprocesses, each with its own empty ``MIDOFFICE_DATA_DIR`` as if on its own host:
two web processes (gunicorn, one sync worker each), two task workers, one scheduler and
the SMTP listener; all on the test's PostgreSQL database and one S3 bucket (moto's S3
server on loopback, as in tests/ops/test_object_storage.py), with the same secret key.

Mail comes in by SMTP (to the listener) and by IMAP (a real Dovecot, polled by a worker);
then nothing is lost, nothing twice: one inbound row and one dossier per mail, one
acknowledgement per mail (the outgoing mail is caught per host in its
``MIDOFFICE_DATA_DIR/mail-out``: the two worker hosts' folders are summed), every stored
file in the bucket and none on any host's disk. One session works on either web
process (sessions live in the database); what one web process changes the other shows;
an attachment that came in on the listener's host downloads through a web host. A
second scheduler stands by.
"""

from __future__ import annotations

import imaplib
import logging
import os
import re
import signal
import smtplib
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection
from django_tasks_db.models import DBTaskResult
from moto.server import ThreadedMotoServer

from midoffice.core.models import OutboxMessage, SchedulerHeartbeat
from midoffice.dossiers.models import Dossier
from midoffice.intake.models import Attachment, InboundMessage, MailSource
from midoffice.intake.tasks import mailbox_poll_task
from tests.factories import TeamFactory, UserFactory, triage_type
from tests.intake.conftest import dovecot, free_port, make_mail  # noqa: F401 - the fixture

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.imap,
    pytest.mark.django_db(transaction=True),
    # Decided before any fixture starts Dovecot or the S3 server.
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="hosts share a PostgreSQL database (SQLite is one host's file)",
    ),
]

SMTP_MAILS = 30
IMAP_MAILS = 10
DEADLINE_S = 90  # a bound on waiting, not a performance assertion
SECRET_KEY = "two-hosts-test-secret-" + "x" * 40
PASSWORD = "twee-hosts-wachtwoord-1"
LOGIN_FAILURE_LIMIT = 4
KEYS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
REGION = "us-east-1"
MESSAGE_ID = re.compile(rb"^Message-ID:\s*<([^>\r\n]+)>", re.IGNORECASE | re.MULTILINE)
TO = re.compile(rb"^To:\s*(.+)$", re.IGNORECASE | re.MULTILINE)
HANDLER = re.compile(r"<dt>Behandelaar</dt><dd>([^<]*)</dd>")
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _database_url() -> str:
    s = connection.settings_dict
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    return f"postgres://{s['USER']}{password}@{s['HOST']}:{s['PORT']}/{s['NAME']}"


def _wait_for(condition: Callable[[], bool], what: str, timeout: float = DEADLINE_S) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not in time: {what}")
        time.sleep(0.1)


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


@dataclass
class Host:
    """One process on its own 'host': its own empty data folder and log."""

    name: str
    argv: list[str]
    data_dir: Path
    log: Path
    proc: subprocess.Popen[bytes] | None = None
    port: int = 0
    url: str = ""

    def start(self, env: dict[str, str]) -> None:
        self.data_dir.mkdir(parents=True)
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                self.argv,
                env={**env, "MIDOFFICE_DATA_DIR": str(self.data_dir)},
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def alive(self) -> bool:
        if self.proc is None or self.proc.poll() is not None:
            raise AssertionError(f"{self.name} exited:\n{self.output()[-3000:]}")
        return True

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=15)

    def files(self) -> list[Path]:
        return sorted(p for p in self.data_dir.rglob("*") if p.is_file())


@dataclass
class Site:
    tmp: Path
    env: dict[str, str]
    hosts: list[Host] = field(default_factory=list)

    def add(self, name: str, argv: list[str], *, port: int = 0) -> Host:
        host = Host(name, argv, self.tmp / name, self.tmp / f"{name}.log", port=port)
        if port:
            host.url = f"http://127.0.0.1:{port}"
        self.hosts.append(host)
        host.start(self.env)
        return host

    def stop_all(self) -> None:
        for host in reversed(self.hosts):
            host.stop()


def _manage(*args: str) -> list[str]:
    return [sys.executable, "-m", "midoffice.manage", *args]


def _gunicorn(port: int) -> list[str]:
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    return [
        gunicorn,
        "-c",
        "python:midoffice.core.gunicorn_conf",
        "midoffice.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "1",
        "--timeout",
        "60",
    ]


@pytest.fixture
def s3() -> Iterator[tuple[str, Any]]:
    """moto's S3 server on a free loopback port, with one fresh bucket."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    requests_log = logging.getLogger("werkzeug")  # one line per S3 request otherwise
    level = requests_log.level
    requests_log.setLevel(logging.WARNING)
    server.start()
    try:
        client = boto3.client("s3", endpoint_url=url, region_name=REGION, **KEYS)
        bucket = f"midoffice-{uuid.uuid4().hex[:12]}"
        client.create_bucket(Bucket=bucket)
        yield url, bucket, client
    finally:
        server.stop()
        requests_log.setLevel(level)


def _objects(client: Any, bucket: str) -> dict[str, bytes]:
    keys = [
        item["Key"]
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket)
        for item in page.get("Contents", [])
    ]
    return {key: client.get_object(Bucket=bucket, Key=key)["Body"].read() for key in keys}


def _outgoing(host: Host) -> list[bytes]:
    """The mails the file backend wrote on this host (Django separates them by a line
    of 79 dashes)."""
    folder = host.data_dir / "mail-out"
    mails: list[bytes] = []
    for path in sorted(folder.glob("*")) if folder.exists() else []:
        for part in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
            if part.strip():
                mails.append(part)
    return mails


def _all_processed(expected: int) -> bool:
    if InboundMessage.objects.count() < expected:
        return False
    if InboundMessage.objects.filter(
        state__in=[InboundMessage.State.RECEIVED, InboundMessage.State.PARSED]
    ).exists():
        return False
    if DBTaskResult.objects.filter(status__in=["READY", "RUNNING"]).exists():
        return False
    return not OutboxMessage.objects.exclude(state=OutboxMessage.State.SENT).exists()


def _pdf(i: int) -> bytes:
    return b"%PDF-1.4\n% Midoffice two-hosts test\n" + bytes([i]) * 3000 + b"\n%%EOF\n"


def _lines(raw: bytes) -> bytes:
    """A mail as lines: SMTP and IMAP carry it with CRLF, Python wrote it with LF."""
    return raw.replace(b"\r\n", b"\n").rstrip(b"\n")


def _csrf(page: requests.Response) -> str:
    match = CSRF.search(page.text)
    assert match, page.text[:2000]
    return match.group(1)


def test_two_web_two_workers_one_scheduler_one_listener_share_only_database_and_bucket(
    dovecot,  # noqa: F811
    s3,
    tmp_path,
):
    started = time.monotonic()
    s3_url, bucket, s3_client = s3

    # Given: the site's configuration, made before any process starts
    team = TeamFactory(code="onthaal")
    triage_type(team=team)
    staff = UserFactory(teams=[team], username="medewerker")
    # The product's own hasher (the tests' fast one is not in the processes' settings).
    staff.password = PBKDF2PasswordHasher().encode(PASSWORD, PBKDF2PasswordHasher().salt())
    staff.save(update_fields=["password"])
    colleague = UserFactory(teams=[team], username="collega")
    colleague.password = staff.password
    colleague.save(update_fields=["password"])
    folder = f"T{uuid.uuid4().hex[:10]}"
    imap = imaplib.IMAP4(dovecot["host"], dovecot["port"])
    imap.login(dovecot["user"], dovecot["password"])
    imap.create(folder)
    MailSource.objects.create(
        name="Onthaal IMAP",
        kind=MailSource.Kind.IMAP,
        host=dovecot["host"],
        port=dovecot["port"],
        security=MailSource.Security.NONE,
        username=dovecot["user"],
        password=dovecot["password"],
        folder=folder,
    )

    env = {k: v for k, v in os.environ.items() if not k.startswith(("MIDOFFICE_", "EMAIL_"))}
    env.update(
        {
            "DATABASE_URL": _database_url(),
            "MIDOFFICE_SECRET_KEY": SECRET_KEY,
            "MIDOFFICE_DEBUG": "false",
            # Plain HTTP on loopback: a browser would get the cookies over HTTPS only.
            "MIDOFFICE_SECURE_COOKIES": "false",
            "MIDOFFICE_STORAGE": "s3",
            "MIDOFFICE_S3_BUCKET": bucket,
            "MIDOFFICE_S3_ENDPOINT_URL": s3_url,
            "MIDOFFICE_S3_REGION": REGION,
            "MIDOFFICE_S3_ACCESS_KEY_ID": KEYS["aws_access_key_id"],
            "MIDOFFICE_S3_SECRET_ACCESS_KEY": KEYS["aws_secret_access_key"],
            "MIDOFFICE_LOG_LEVEL": "INFO",
            "MIDOFFICE_LOGIN_FAILURE_LIMIT": str(LOGIN_FAILURE_LIMIT),
            # Production start-up requires what signing needs (tests/conftest.py sets both).
            "MIDOFFICE_SIGNING_TRUST_ROOT": os.environ["MIDOFFICE_SIGNING_TRUST_ROOT"],
            "MIDOFFICE_SIGNING_TSA_URL": os.environ["MIDOFFICE_SIGNING_TSA_URL"],
        }
    )
    site = Site(tmp_path, env)
    try:
        # When: every process starts on its own host
        web_a = site.add("web-a", _gunicorn(port := free_port()), port=port)
        web_b = site.add("web-b", _gunicorn(port := free_port()), port=port)
        workers = [
            site.add(
                f"worker-{n}",
                _manage("db_worker", "--queue-name", "*", "--interval", "0.1"),
            )
            for n in (1, 2)
        ]
        scheduler = site.add("scheduler", _manage("scheduler", "--standby-seconds", "0.5"))
        listener = site.add(
            "listener",
            _manage("intake", "listen", "--host", "127.0.0.1", "--port", str(port := free_port())),
            port=port,
        )
        for host in (web_a, web_b, listener):
            _wait_for(lambda h=host: h.alive() and _listening(h.port), f"{host.name} listens")
        for host in workers:
            _wait_for(lambda h=host: h.alive() and "Starting worker" in h.output(), host.name)
        _wait_for(lambda: "scheduler active" in scheduler.output(), "scheduler active", 30)
        ready = time.monotonic()

        # … and mail comes in: by SMTP to the listener, by IMAP polled by a worker
        sent: dict[str, bytes] = {}
        attachments_sent: dict[str, bytes] = {}
        with smtplib.SMTP("127.0.0.1", listener.port, timeout=30) as smtp:
            for i in range(SMTP_MAILS):
                sender = f"burger.smtp{i}@example.org"
                message_id = f"two-hosts-smtp-{i}-{uuid.uuid4().hex[:8]}@example.org"
                attachments = None
                if i % 5 == 0:
                    attachments = [(f"plan-{i}.pdf", "application/pdf", _pdf(i))]
                    attachments_sent[message_id] = _pdf(i)
                raw = make_mail(
                    subject=f"Vraag over mijn verbouwing ({i})",
                    sender=f"Burger {i} <{sender}>",
                    body=f"Beste,\n\nVraag nummer {i}.\n\nGroeten",
                    attachments=attachments,
                    message_id=f"<{message_id}>",
                )
                assert smtp.sendmail(sender, ["onthaal@leemdonk.example"], raw) == {}
                sent[message_id] = raw
        for i in range(IMAP_MAILS):
            message_id = f"two-hosts-imap-{i}-{uuid.uuid4().hex[:8]}@example.org"
            raw = make_mail(
                subject=f"Aanvraag parkeerkaart ({i})",
                sender=f"Burger IMAP {i} <burger.imap{i}@example.org>",
                body=f"Beste,\n\nAanvraag nummer {i}.\n\nGroeten",
                message_id=f"<{message_id}>",
            )
            imap.append(folder, None, None, raw)
            sent[message_id] = raw
        imap.logout()
        # What the scheduler enqueues every minute, enqueued now: a worker polls.
        mailbox_poll_task.enqueue()
        expected = SMTP_MAILS + IMAP_MAILS
        _wait_for(
            lambda: all(h.alive() for h in site.hosts) and _all_processed(expected),
            "every mail processed and acknowledged",
        )
        processed = time.monotonic()

        # Then: every mail is one inbound row, one dossier, one acknowledgement
        messages = list(InboundMessage.objects.all())
        assert Counter(m.message_id for m in messages) == Counter(dict.fromkeys(sent, 1))
        assert {m.state for m in messages} == {InboundMessage.State.ACKNOWLEDGED}
        assert Dossier.objects.count() == expected
        assert len({m.dossier_id for m in messages}) == expected
        outgoing = [mail for host in site.hosts for mail in _outgoing(host)]
        per_host = {h.name: len(_outgoing(h)) for h in site.hosts if _outgoing(h)}
        assert set(per_host) <= {"worker-1", "worker-2"}, per_host
        ids = Counter(m.group(1).decode() for mail in outgoing if (m := MESSAGE_ID.search(mail)))
        assert len(outgoing) == expected
        assert sum(ids.values()) == expected
        assert max(ids.values()) == 1, "a Message-ID sent twice"
        assert set(ids) == {m.acknowledgement_message_id.strip("<>") for m in messages}
        recipients = Counter(
            t.group(1).strip().decode() for mail in outgoing if (t := TO.search(mail))
        )
        assert recipients == Counter({m.from_address: 1 for m in messages})

        # … raw mails and attachments are in the bucket, as they came in
        stored = _objects(s3_client, bucket)
        by_id = {m.message_id: m for m in messages}
        for message_id, raw in sent.items():
            message = by_id[message_id]
            assert message.raw_name in stored
            assert _lines(stored[message.raw_name]) == _lines(raw)
        attachments = list(Attachment.objects.filter(message__message_id__in=attachments_sent))
        assert len(attachments) == len(attachments_sent)
        for attachment in attachments:
            assert stored[attachment.stored_name] == attachments_sent[attachment.message.message_id]
        # … and no host keeps a stored file on its own disk (only the caught outgoing mail)
        local = {
            h.name: [str(p.relative_to(h.data_dir)) for p in h.files()]
            for h in site.hosts
            if any("mail-out" not in p.parts for p in h.files())
        }
        assert local == {}, local

        # … and either web process is ready: the database, the bucket, the scheduler's
        # heartbeat (written by another host) and the mailbox's last poll (by a worker)
        for web in (web_a, web_b):
            readiness = requests.get(f"{web.url}/readyz", timeout=30)
            assert readiness.status_code == 200, (web.name, readiness.text)
            assert readiness.json()["checks"]["storage"] == {"ok": True}

        # When: one member of staff signs in on web A
        browser = requests.Session()
        login = browser.get(f"{web_a.url}/aanmelden/", timeout=30)
        assert login.status_code == 200
        signed_in = browser.post(
            f"{web_a.url}/aanmelden/",
            data={
                "username": "medewerker",
                "password": PASSWORD,
                "csrfmiddlewaretoken": _csrf(login),
            },
            headers={"Referer": f"{web_a.url}/aanmelden/"},
            timeout=30,
            allow_redirects=False,
        )
        assert signed_in.status_code == 302, signed_in.text[:2000]
        assert "sessionid" in browser.cookies

        # Then: the same session works on web B, and B's "take" is seen on A
        with_attachment = by_id[next(iter(attachments_sent))]
        reference = with_attachment.dossier.reference
        before_a = browser.get(f"{web_a.url}/dossiers/{reference}/", timeout=30)
        assert HANDLER.search(before_a.text).group(1) == "niet toegewezen"
        assert 'id="take"' in before_a.text
        page_b = browser.get(f"{web_b.url}/dossiers/{reference}/", timeout=30)
        assert page_b.status_code == 200, page_b.text[:2000]
        assert reference in page_b.text
        taken = browser.post(
            f"{web_b.url}/dossiers/{reference}/nemen/",
            data={"csrfmiddlewaretoken": _csrf(page_b)},
            headers={"Referer": f"{web_b.url}/dossiers/{reference}/"},
            timeout=30,
        )
        assert taken.status_code == 200, taken.text[:2000]
        assert taken.url.startswith(web_b.url)
        assert Dossier.objects.get(reference=reference).assignee_id == staff.pk
        page_a = browser.get(f"{web_a.url}/dossiers/{reference}/", timeout=30)
        assert page_a.status_code == 200
        assert HANDLER.search(page_a.text).group(1) == staff.get_full_name()
        assert 'id="take"' not in page_a.text

        # … and the attachment that came in on the listener's host downloads through B
        attachment = with_attachment.attachments.get()
        download = browser.get(
            f"{web_b.url}/dossiers/{reference}/bijlagen/{attachment.pk}/", timeout=30
        )
        assert download.status_code == 200
        assert download.content == attachments_sent[with_attachment.message_id]

        # When: someone guesses a colleague's password, in turn on A and on B, as often
        # as the limit allows in all (neither process alone sees that many failures)
        guessed = requests.Session()
        for attempt in range(LOGIN_FAILURE_LIMIT):
            web = (web_a, web_b)[attempt % 2]
            form = guessed.get(f"{web.url}/aanmelden/", timeout=30)
            refused = guessed.post(
                f"{web.url}/aanmelden/",
                data={
                    "username": "collega",
                    "password": f"fout-{attempt}",
                    "csrfmiddlewaretoken": _csrf(form),
                },
                timeout=30,
            )
            assert refused.status_code in (200, 429)
        # Then: the right password is refused on either: the lockout is in the database
        for web in (web_b, web_a):
            form = guessed.get(f"{web.url}/aanmelden/", timeout=30)
            locked = guessed.post(
                f"{web.url}/aanmelden/",
                data={
                    "username": "collega",
                    "password": PASSWORD,
                    "csrfmiddlewaretoken": _csrf(form),
                },
                timeout=30,
                allow_redirects=False,
            )
            assert locked.status_code == 429, (web.name, locked.status_code)

        # When: a second scheduler is started by mistake, on yet another host
        second = site.add("scheduler-2", _manage("scheduler", "--standby-seconds", "0.5"))
        _wait_for(lambda: second.alive() and "scheduler standby" in second.output(), "standby")
        # Then: it stands by; the first keeps the lock and the heartbeat
        assert "scheduler active" not in second.output()
        holder = SchedulerHeartbeat.objects.values_list("holder", flat=True).get(name="scheduler")
        assert scheduler.proc is not None
        assert holder.endswith(f":{scheduler.proc.pid}")
        checked = time.monotonic()
    finally:
        site.stop_all()
    print(  # noqa: T201 - the figures, shown with -s
        f"two hosts: start {ready - started:.1f}s, mail {processed - ready:.1f}s, "
        f"web and scheduler {checked - processed:.1f}s"
    )
