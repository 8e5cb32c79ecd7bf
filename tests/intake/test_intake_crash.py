"""Crash test: 1,000 mails imported while the worker is killed (SIGKILL) at random moments.

Given 1,000 generated mails (varied senders and subjects, unique Message-IDs, some with
attachments, some replies that thread onto existing dossiers through ``[YYYY-NNNNNN]``,
some out-of-office replies that must not be answered), stored through ``inbound_store``
so their processing is queued as tasks;
when two real ``db_worker`` subprocesses process them side by side, each SIGKILLed at a
seeded random moment 0.5–2 s after it starts working and replaced at once, until the
queue is drained, and then the periodic sweeps run as
the scheduler runs them (a killed worker leaves its task "running" for good: the sweeps
are what re-drives an inbound message stuck in ``received`` and an outbox message whose
lease expired);
then every mail is stored once, processed once (one dossier or one link, no duplicate
interactions or events) and every acknowledgement reached the SMTP sink.

"Exactly once" at an SMTP server: the server's ``250`` and our commit of "sent" cannot
be one atomic step. A worker killed after the ``250`` but before the outbox row is
committed as sent leaves a lease that expires, and the sweep sends again. That resend
carries the same Message-ID (derived from the outbox idempotency key), so the receiving
side sees one message delivered twice, never two messages. The test asserts exactly
that: one Message-ID per acknowledgement, none missing, and a second delivery only for
an outbox message whose first attempt was cut off by a kill (its ``attempts`` > 1), at
most one such repeat per kill.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.db import connection
from django_tasks_db.models import DBTaskResult

from midoffice.core import clock, outbox
from midoffice.core.models import OutboxMessage
from midoffice.dossiers.models import Dossier, Event, EventKind, Interaction
from midoffice.dossiers.services import dossier_open
from midoffice.intake import services
from midoffice.intake.models import InboundMessage, SentMessage
from midoffice.parties.models import ContactPoint
from tests.intake.conftest import free_port, make_mail

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

MESSAGES = int(os.environ.get("MIDOFFICE_CRASH_TEST_MESSAGES", "1000"))
SEED = 20260302
DEADLINE_S = 1800  # a bound on the kill loop, not a performance assertion (a busy machine)
MESSAGE_ID_HEADER = re.compile(rb"^Message-ID:\s*<([^>\r\n]+)>", re.IGNORECASE | re.MULTILINE)

GIVEN = ["Emma", "Lucas", "Noor", "Arthur", "Marie", "Louis", "Olivia", "Jules", "Ella", "Finn"]
FAMILY = ["Peeters", "Janssens", "Maes", "Jacobs", "Mertens", "Willems", "Claes", "Goossens"]
TOPICS = [
    "Vraag over mijn verbouwing",
    "Aanvraag parkeerkaart",
    "Afvalophaling niet langsgekomen",
    "Uittreksel geboorteakte",
    "Evenement op het marktplein",
    "Boom op het voetpad",
    "Premie zonnepanelen",
    "Adreswijziging",
]


class Sink:
    """An SMTP server that counts deliveries per Message-ID."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.deliveries: Counter[str] = Counter()
        self.without_id = 0

    async def handle_DATA(self, server, session, envelope):
        match = MESSAGE_ID_HEADER.search(envelope.original_content or b"")
        with self.lock:
            if match:
                self.deliveries[match.group(1).decode()] += 1
            else:
                self.without_id += 1
        return "250 OK"


def _database_url() -> str:
    settings_dict = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings_dict['NAME']}"
    return (
        f"postgres://{settings_dict['USER']}@{settings_dict['HOST']}:{settings_dict['PORT']}"
        f"/{settings_dict['NAME']}"
    )


def _generate(rng: random.Random, references: list[str]) -> tuple[list[bytes], dict[str, str]]:
    """The mails, and what each Message-ID should become: new, reply or auto."""
    mails: list[bytes] = []
    expected: dict[str, str] = {}
    for i in range(MESSAGES):
        given, family = rng.choice(GIVEN), rng.choice(FAMILY)
        sender = f"{given} {family} <{given.lower()}.{family.lower()}.{i % 97}@example.org>"
        message_id = f"crash-{i}-{rng.getrandbits(40):x}@example.org"
        topic = rng.choice(TOPICS)
        roll = rng.random()
        headers: dict[str, str] = {}
        if roll < 0.05:
            kind, subject = "reply", f"Re: {topic} [{rng.choice(references)}]"
        elif roll < 0.08:
            kind, subject = "auto", f"Afwezig: {topic}"
            headers["Auto-Submitted"] = "auto-replied"
        else:
            kind, subject = "new", f"{topic} ({i})"
        attachments = None
        if rng.random() < 0.04:
            data = rng.randbytes(rng.randint(2_000, 40_000))
            attachments = [(f"bijlage-{i}.pdf", "application/pdf", data)]
        mails.append(
            make_mail(
                subject=subject,
                sender=sender,
                body=f"Beste,\n\nBericht nummer {i} over: {topic}.\n\nGroeten,\n{given}",
                headers=headers,
                attachments=attachments,
                message_id=f"<{message_id}>",
            )
        )
        expected[message_id] = kind
    return mails, expected


WORKERS = 2  # side by side, each killed on its own schedule


@dataclass
class Worker:
    proc: subprocess.Popen[bytes]
    log: Path
    kill_at: float | None = None  # set once the worker has started its loop


class Workers:
    """``db_worker`` subprocesses, each SIGKILLed at a random moment 0.5–2 s after it
    started working (Django start-up is not what we kill), and replaced at once."""

    def __init__(self, env: dict[str, str], log_dir: Path, rng: random.Random) -> None:
        self.env = env
        self.log_dir = log_dir
        self.rng = rng
        self.started = 0
        self.kills = 0
        self.running: list[Worker] = []

    def start(self) -> None:
        self.started += 1
        log = self.log_dir / f"worker-{self.started}.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "midoffice.manage",
                    "db_worker",
                    "--queue-name",
                    "*",
                    "--interval",
                    "0.05",
                ],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self.running.append(Worker(proc, log))

    def tick(self) -> None:
        """Arm the kill of workers that became ready; kill and replace the due ones."""
        now = time.monotonic()
        for worker in list(self.running):
            if worker.proc.poll() is not None:
                pytest.fail(f"worker exited by itself: {worker.log.read_text()[-3000:]}")
            if worker.kill_at is None:
                if b"Starting worker" in worker.log.read_bytes():
                    worker.kill_at = now + self.rng.uniform(0.5, 2.0)
            elif now >= worker.kill_at:
                self.kill(worker)
                self.start()

    def kill(self, worker: Worker) -> None:
        if worker.proc.poll() is None:
            worker.proc.send_signal(signal.SIGKILL)
            self.kills += 1
        worker.proc.wait(timeout=30)
        self.running.remove(worker)

    def kill_all(self) -> None:
        for worker in list(self.running):
            self.kill(worker)


def _work_left() -> bool:
    return DBTaskResult.objects.filter(status="READY").exists()


@pytest.fixture
def quiet_sink_log():
    """aiosmtpd logs every SMTP command at INFO: keep the test output readable."""
    log = logging.getLogger("mail.log")
    level = log.level
    log.setLevel(logging.WARNING)
    yield
    log.setLevel(level)


@pytest.mark.usefixtures("quiet_sink_log")
def test_import_1000_mails_while_the_worker_is_killed(triage_type, files_dir, settings, tmp_path):
    # Given: a few dossiers that replies refer to, and the generated mails
    references = [
        dossier_open(
            actor=None,
            dossier_type=triage_type,
            subject=f"Bestaand dossier {n}",
            channel="email",
        ).reference
        for n in range(5)
    ]
    rng = random.Random(SEED)
    mails, expected = _generate(rng, references)
    settings.INTAKE_ACK_MAX_PER_DAY = 100
    source = services.mail_source_for(kind="import")
    started = time.monotonic()
    for raw in mails:
        services.inbound_store(raw, source=source)
    assert InboundMessage.objects.count() == MESSAGES
    assert DBTaskResult.objects.filter(status="READY").count() == MESSAGES

    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "MIDOFFICE_SECRET_KEY": "test-only",
        "MIDOFFICE_DEBUG": "false",
        "MIDOFFICE_DATA_DIR": str(tmp_path / "worker-data"),
        "MIDOFFICE_FILES_DIR": str(files_dir),
        "MIDOFFICE_INTAKE_ACK_MAX_PER_DAY": "100",
        "MIDOFFICE_LOG_LEVEL": "WARNING",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(port),
    }
    workers = Workers(env, tmp_path, rng)
    imported = time.monotonic()
    try:
        # When: workers run and are killed at random moments until the queue is drained
        deadline = time.monotonic() + DEADLINE_S
        try:
            for _ in range(WORKERS):
                workers.start()
            while _work_left():
                assert time.monotonic() < deadline, "the workers did not drain the queue"
                workers.tick()
                time.sleep(0.05)
        finally:
            workers.kill_all()

        drained = time.monotonic()
        # … and the periodic sweeps run, as the scheduler runs them five minutes later
        # (later than the outbox lease): in this process, sending to the same sink.
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = port
        settings.EMAIL_USE_TLS = False
        later = clock.now() + outbox.LEASE + dt.timedelta(minutes=1)
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(clock, "now", lambda: later)
            services.inbound_sweep(older_than=dt.timedelta(0))
            while outbox.outbox_sweep():
                pass
        swept = time.monotonic()
    finally:
        controller.stop()

    # Then: every mail stored once and processed once
    messages = list(InboundMessage.objects.all())
    assert Counter(m.message_id for m in messages) == Counter(dict.fromkeys(expected, 1))
    states = Counter(str(m.state) for m in messages)
    assert states["received"] == 0
    assert states["quarantined"] == 0
    by_id = {m.message_id: m for m in messages}
    new = [by_id[mid] for mid, kind in expected.items() if kind == "new"]
    replies = [by_id[mid] for mid, kind in expected.items() if kind == "reply"]
    autos = [by_id[mid] for mid, kind in expected.items() if kind == "auto"]
    assert all(m.state == InboundMessage.State.ACKNOWLEDGED for m in new)
    assert all(m.state == InboundMessage.State.LINKED for m in replies)
    assert all(m.state == InboundMessage.State.IGNORED for m in autos)
    assert all(m.attempts == 1 for m in messages)

    # one dossier per new question, no extra ones
    assert Dossier.objects.count() == len(references) + len(new)
    assert len({m.dossier_id for m in new}) == len(new)
    assert all(m.dossier is not None and m.dossier.reference in references for m in replies)
    # one inbound interaction per routed or linked mail, one event per reply
    inbound_refs = Counter(
        Interaction.objects.filter(direction=Interaction.Direction.INBOUND).values_list(
            "message_ref", flat=True
        )
    )
    assert inbound_refs == Counter({m.message_id[:120]: 1 for m in [*new, *replies]})
    received_events = Counter(
        e.data["inbound"] for e in Event.objects.filter(kind=EventKind.MESSAGE_RECEIVED)
    )
    assert received_events == Counter({m.pk: 1 for m in replies})
    assert Event.objects.filter(kind=EventKind.OPENED).count() == Dossier.objects.count()
    # one contact per sender, though two workers may see mail of one new sender at once
    owners = Counter(
        ContactPoint.objects.filter(kind=ContactPoint.Kind.EMAIL).values_list(
            "match_key", flat=True
        )
    )
    assert owners
    assert max(owners.values()) == 1

    # Then: every acknowledgement sent, with one Message-ID each
    ack_ids = {m.acknowledgement_message_id for m in new}
    assert "" not in ack_ids
    assert len(ack_ids) == len(new)
    assert not any(m.acknowledgement_message_id for m in [*replies, *autos])
    assert set(SentMessage.objects.values_list("message_id", flat=True)) == ack_ids
    assert set(OutboxMessage.objects.values_list("state", flat=True)) == {"sent"}
    assert sink.without_id == 0
    assert set(sink.deliveries) == ack_ids  # none missing, none unknown
    outbound_refs = Counter(
        Interaction.objects.filter(direction=Interaction.Direction.OUTBOUND).values_list(
            "message_ref", flat=True
        )
    )
    assert outbound_refs == Counter({mid[:120]: 1 for mid in ack_ids})
    # a Message-ID delivered twice only when its first attempt was cut off by a kill
    attempts = {
        row.payload["message_id"]: row.attempts
        for row in OutboxMessage.objects.filter(topic="mail.send")
    }
    repeated = {mid: n for mid, n in sink.deliveries.items() if n > 1}
    assert all(n <= attempts[mid] for mid, n in repeated.items()), repeated
    assert sum(n - 1 for n in repeated.values()) <= workers.kills
    print(  # noqa: T201 - the figures the report quotes (shown with -s)
        f"crash test: {MESSAGES} mails, {workers.started} worker starts, {workers.kills} kills, "
        f"states {dict(states)}, {len(ack_ids)} acknowledgements, "
        f"{sum(sink.deliveries.values())} deliveries, repeated {len(repeated)}; "
        f"import {imported - started:.0f} s, workers {drained - imported:.0f} s, "
        f"sweeps {swept - drained:.0f} s"
    )
