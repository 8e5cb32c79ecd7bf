"""Section "latency": issue 18's intake targets, measured on the live path on PostgreSQL.

    .venv/bin/python bench/run.py --only latency
    .venv/bin/python bench/bench_latency.py [--quick] [--rate 20] [--seconds 60]
        [--idle 30] [--throughput 600] [--interval 0.5]

Run by ``bench/run.py`` as section ``latency`` (``BENCH_QUICK=1`` makes it shorter,
``BENCH_SKIP_POSTGRES=1`` skips it: it runs on PostgreSQL only). Nothing here asserts on
time; the run fails only when a mail is lost or acknowledged twice, or a process dies.

The real product processes run as subprocesses, each in its own process group, stopped at
the end whatever happens: ``midoffice intake listen`` (the SMTP listener that answers 250
once the mail is stored) and ``midoffice db_worker --queue-name '*'`` workers, which send
the acknowledgements through the outbox to an SMTP sink running in this process
(``EMAIL_HOST=127.0.0.1``, ``EMAIL_PORT=<sink>``). Every mail is a plain Dutch question
from a distinct first-time sender at an external domain, so each one opens a dossier and
gets exactly one acknowledgement (the per-sender daily cap, ``INTAKE_ACK_MAX_PER_DAY``,
never applies). A mail's latency runs from the listener's ``250`` to the moment the sink
has the acknowledgement whose ``In-Reply-To`` is the mail's Message-ID.

1. load: 20 mails/s for 60 s, paced by schedule from two SMTP clients, two workers;
2. idle: single mails, one at a time, a random pause between;
3. throughput: 400 mails stored through the listener with no worker running, then one
   worker (and, on a fresh copy of the database, two) work them off;
4. the first mail after a worker starts (also after django-tasks-db's own worker, which
   lacks Midoffice's warm-up) versus mails after a worker has handled 100.

Each part also prints where the time went (from the task rows' timestamps), the CPU the
workers used per mail, how often a worker waited for a lock, and the load average.

PostgreSQL is reached at ``BENCH_PG_URL``. The harness sets up a template database once
(``midoffice migrate``, ``demo_data``, ``classifier train --from-jsonl train.jsonl``, as
``make run`` does) and gives every part a fresh copy of it (``CREATE DATABASE ...
TEMPLATE``); all of them are dropped at the end. ``DATABASE_URL`` is never used.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import json
import os
import random
import resource
import shutil
import signal
import smtplib
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from email.utils import formatdate
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    BIN,
    PG_ADMIN_URL,
    ROOT,
    Target,
    free_port,
    log,
    postgres_available,
    psql,
    run,
    table,
)

DB_PREFIX = "midoffice_bench_lat"
TRAIN_JSONL = (ROOT / ".." / "shared" / "data" / "classification" / "train.jsonl").resolve()
TOWN_ADDRESS = "onthaal@leemdonk.example"
TARGET_P95_S = 2.0
# What the product runs: `midoffice serve_all` starts its worker with --interval 0.5
# (django-tasks-db's own default is 1 s). An idle worker sleeps this long between polls.
PRODUCT_INTERVAL = 0.5
READY_LINE = b"Starting worker"  # django-tasks-db logs it when its loop starts
SEND_CLIENTS = 2
SETPRIV = shutil.which("setpriv")  # util-linux; sets the children's parent-death signal
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
CORES = os.cpu_count() or 1
PLAIN_WORKER = (
    "import django; django.setup(); "
    "from django.core.management import call_command; "
    "from django_tasks_db.management.commands.db_worker import Command; "
    "call_command(Command(), queue_name='*', interval={interval}, reload=False)"
)
# After the worker logged READY_LINE: its start-up delay (a random sleep of up to 1 s
# unless --no-startup-delay) has passed and it has polled at least once.
FIRST_MAIL_AFTER_READY_S = 1.5

GIVEN = ["Emma", "Lucas", "Noor", "Arthur", "Marie", "Louis", "Olivia", "Jules", "Ella",
         "Finn", "Lotte", "Wout", "Fien", "Mathis", "Nora", "Vic"]  # fmt: skip
FAMILY = ["Peeters", "Janssens", "Maes", "Jacobs", "Mertens", "Willems", "Claes",
          "Goossens", "Wouters", "De Smet", "Dubois", "Hermans"]  # fmt: skip
DOMAINS = ["example.org", "example.net", "example.com"]
# Plain questions a citizen sends to the town's general address.
QUESTIONS = [
    ("Vraag over mijn verbouwing", "Mogen we onze garage zonder vergunning ombouwen tot keuken?"),
    ("Parkeerkaart", "Hoe vraag ik een bewonerskaart aan? Wij zijn net verhuisd."),
    ("Afval niet opgehaald", "De gft-container in de Molenstraat is niet geleegd. Wanneer wel?"),
    ("Uittreksel geboorteakte", "Kan ik een uittreksel uit mijn geboorteakte per e-mail vragen?"),
    ("Buurtfeest", "Welke toelating hebben we nodig voor een buurtfeest op het marktplein?"),
    ("Boom op het voetpad", "Er ligt een grote tak op het voetpad. Kan iemand die weghalen?"),
    ("Premie zonnepanelen", "Bestaat er nog een gemeentelijke premie voor zonnepanelen?"),
    ("Adreswijziging", "Ik verhuis binnen de gemeente. Hoe geef ik mijn nieuwe adres door?"),
    ("Speelpleinwerking", "Vanaf wanneer kan ik mijn kinderen inschrijven voor het speelplein?"),
    ("Factuur onduidelijk", "Ik begrijp een factuur van de gemeente niet. Waarvoor is die?"),
    ("Lawaai van een werf", "Elke nacht is er lawaai van een werf. Bij wie kan ik terecht?"),
    ("Hulp bij thuiszorg", "Mijn moeder heeft hulp nodig bij het poetsen. Wat biedt het OCMW?"),
]


# --- mails ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mail:
    message_id: str  # without the angle brackets, as the product stores it
    sender: str
    raw: bytes


class MailMaker:
    """Distinct first-time senders: one new address per mail, over the whole run."""

    def __init__(self) -> None:
        self.count = 0
        self.rng = random.Random(18)

    def make(self, phase: str) -> Mail:
        self.count += 1
        n = self.count
        given, family = self.rng.choice(GIVEN), self.rng.choice(FAMILY)
        domain = DOMAINS[n % len(DOMAINS)]
        local = f"{given}.{family}".lower().replace(" ", "")
        sender = f"{local}.{n}@{domain}"
        subject, body = QUESTIONS[n % len(QUESTIONS)]
        message_id = f"lat-{phase}-{n}@{domain}"
        msg = EmailMessage()
        msg["Subject"] = subject
        msg["From"] = f"{given} {family} <{sender}>"
        msg["To"] = TOWN_ADDRESS
        msg["Date"] = formatdate(localtime=True)
        msg["Message-ID"] = f"<{message_id}>"
        msg.set_content(f"{body}\n\nMet vriendelijke groeten,\n{given} {family}\n")
        return Mail(message_id, sender, msg.as_bytes())


# --- the outgoing mail server -----------------------------------------------------------


def _bare(value: str) -> str:
    return value.strip().strip("<>").strip()


class Sink:
    """The town's outgoing SMTP server: notes when each acknowledgement arrives."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self.by_reply: dict[str, list[float]] = {}  # In-Reply-To -> arrival times
        self.recipients: Counter[str] = Counter()
        self.total = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        at = time.perf_counter()
        head = BytesHeaderParser(policy=policy.compat32).parsebytes(envelope.original_content)
        in_reply_to = _bare(str(head.get("In-Reply-To", "")))
        with self._cond:
            self.total += 1
            self.by_reply.setdefault(in_reply_to, []).append(at)
            self.recipients.update(r.lower() for r in envelope.rcpt_tos)
            self._cond.notify_all()
        return "250 2.0.0 Ok"

    def arrival(self, message_id: str) -> float | None:
        with self._cond:
            times = self.by_reply.get(message_id)
            return times[0] if times else None

    def wait(self, message_ids: Sequence[str], timeout: float) -> int:
        """Wait until every mail has its acknowledgement; return how many are missing."""
        deadline = time.perf_counter() + timeout
        pending = set(message_ids)
        with self._cond:
            while True:
                pending = {m for m in pending if m not in self.by_reply}
                left = deadline - time.perf_counter()
                if not pending or left <= 0:
                    return len(pending)
                self._cond.wait(min(left, 0.5))


# --- processes --------------------------------------------------------------------------


@dataclass
class Child:
    name: str
    proc: subprocess.Popen[bytes]
    log: Path
    launched: float


class Processes:
    """The product processes this run started. Each runs in its own process group and
    is stopped by its id (SIGTERM, then SIGKILL), on success, failure or Ctrl-C."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.running: list[Child] = []
        self.logs: list[Path] = []

    def start(self, name: str, argv: list[str], env: dict[str, str]) -> Child:
        path = self.log_dir / f"{name}-{len(self.logs) + 1}.log"
        self.logs.append(path)
        if SETPRIV:  # if this process is killed outright, the kernel stops the child
            argv = [SETPRIV, "--pdeathsig", "TERM", "--", *argv]
        with path.open("wb") as out:
            proc = subprocess.Popen(
                argv,
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own group: stopped with it, not by Ctrl-C
            )
        child = Child(name, proc, path, time.perf_counter())
        self.running.append(child)
        return child

    def stop(self, child: Child) -> None:
        for sig, grace in ((signal.SIGTERM, 15.0), (signal.SIGKILL, 10.0)):
            if child.proc.poll() is not None:
                break
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.proc.pid, sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.proc.wait(timeout=grace)
        if child in self.running:
            self.running.remove(child)

    def stop_all(self) -> None:
        for child in list(self.running):
            self.stop(child)

    def check(self) -> None:
        for child in self.running:
            if child.proc.poll() is not None:
                raise RuntimeError(
                    f"{child.name} exited with {child.proc.returncode}:\n{tail(child.log)}"
                )

    def wait_for_line(self, child: Child, needle: bytes, timeout: float = 60) -> float:
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            if needle in child.log.read_bytes():
                return time.perf_counter()
            self.check()
            time.sleep(0.02)
        raise RuntimeError(f"{child.name} did not log {needle!r}:\n{tail(child.log)}")

    def wait_for_port(self, child: Child, port: int, timeout: float = 60) -> None:
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            self.check()
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
                    if sock.recv(64).startswith(b"220"):
                        return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"{child.name} does not answer on port {port}:\n{tail(child.log)}")


def process_cpu(pid: int) -> float:
    """User + system CPU seconds process ``pid`` has used so far (Linux /proc); 0 if gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime


def cpu_seconds(children: Sequence[Child]) -> float:
    return sum(process_cpu(child.proc.pid) for child in children)


def postgres_cpu_snapshot() -> dict[int, float]:
    """CPU so far of every PostgreSQL process on this machine, by pid."""
    snapshot = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if (entry / "comm").read_text().strip() == "postgres":
                    snapshot[int(entry.name)] = process_cpu(int(entry.name))
    return snapshot


def harness_cpu() -> float:
    """This process's CPU (the sink, the clients, the samplers)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def machine_jiffies() -> tuple[int, int]:
    """(busy, total) clock ticks of all cores so far, from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    idle = fields[3] + fields[4]  # idle, iowait
    total = sum(fields)
    return total - idle, total


def tail(path: Path, lines: int = 30) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])


def warm_up_seconds(child: Child) -> str:
    """The seconds the worker's start-up warm-up took, from its log line, or "-"."""
    for line in child.log.read_text(errors="replace").splitlines():
        with contextlib.suppress(ValueError):
            record = json.loads(line)
            if isinstance(record, dict) and record.get("message") == "worker warmed up":
                took = record.get("seconds", {})
                return f"{sum(took.values()):.2f}" if isinstance(took, dict) else str(took)
    return "-"


def log_errors(path: Path) -> list[str]:
    """ERROR/CRITICAL lines and tracebacks a child wrote (its log is JSON lines)."""
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return []
    markers = ('"level": "ERROR"', '"level": "CRITICAL"', "Traceback")
    return [line for line in text.splitlines() if any(m in line for m in markers)]


# --- databases --------------------------------------------------------------------------


class Databases:
    """A template database set up once, fresh copies of it per part; all dropped at the end."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.dirs: list[Path] = []
        self.template: Target | None = None
        self.base_dossiers = 0  # the demo town's

    def _create(self, name: str, template: str | None = None) -> Target:
        configured = urlsplit(os.environ.get("DATABASE_URL", "")).path.strip("/")
        if name == configured:
            raise RuntimeError(f"{name} is the database DATABASE_URL names: not touching it")
        if psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'").strip():
            psql(f"DROP DATABASE {name} WITH (FORCE)")  # left by an interrupted run
        self.names.append(name)
        psql(f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if template else ""))
        data_dir = Path(tempfile.mkdtemp(prefix=f"{name}-"))
        self.dirs.append(data_dir)
        return Target("postgresql", data_dir, f"{PG_ADMIN_URL}/{name}")

    def create_template(self) -> Target:
        """migrate, the demo town (with its triage type) and the routing model, as
        ``make run`` has them."""
        target = self._create(f"{DB_PREFIX}_template")
        env = target.env(MIDOFFICE_DEBUG="false")
        midoffice = str(BIN / "midoffice")
        run([midoffice, "migrate", "--no-input", "-v0"], env=env)
        run([midoffice, "demo_data"], env=env)
        train = [midoffice, "classifier", "train", "--if-missing"]
        if TRAIN_JSONL.exists():
            train += ["--from-jsonl", str(TRAIN_JSONL)]
        out = run(train, env=env)
        log(f"latency: template ready ({out.strip().splitlines()[-1]})")
        self.template = target
        self.base_dossiers = int(sql_rows(target, "SELECT count(*) FROM dossiers_dossier")[0][0])
        return target

    def copy(self, label: str) -> Target:
        assert self.template is not None
        template = self.template.database_url.rsplit("/", 1)[-1]
        target = self._create(f"{DB_PREFIX}_{label}", template=template)
        # The data folder holds the town's signing certificate demo_data made.
        shutil.copytree(self.template.data_dir, target.data_dir, dirs_exist_ok=True)
        return target

    def drop(self, target: Target) -> None:
        name = target.database_url.rsplit("/", 1)[-1]
        with contextlib.suppress(subprocess.CalledProcessError):
            psql(f"DROP DATABASE {name} WITH (FORCE)")
        self.names.remove(name)
        shutil.rmtree(target.data_dir, ignore_errors=True)

    def close(self) -> None:
        for name in self.names:
            with contextlib.suppress(subprocess.CalledProcessError):
                psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        self.names.clear()
        for data_dir in self.dirs:
            shutil.rmtree(data_dir, ignore_errors=True)


def sql_rows(target: Target, sql: str) -> list[list[str]]:
    out = psql(sql, database=target.database_url.rsplit("/", 1)[-1])
    return [line.split("|") for line in out.splitlines() if line]


# --- sending ----------------------------------------------------------------------------


@dataclass
class Sent:
    mail: Mail
    scheduled: float
    started: float
    replied: float | None  # when the listener's 250 arrived; None: refused or failed
    error: str = ""


class Client:
    """One SMTP connection to the listener, kept open as a relaying mail server keeps it."""

    def __init__(self, port: int) -> None:
        self.port = port
        self._smtp: smtplib.SMTP | None = None

    def send(self, mail: Mail) -> float:
        for attempt in (1, 2):
            if self._smtp is None:
                self._smtp = smtplib.SMTP("127.0.0.1", self.port, timeout=60)
            try:
                self._smtp.sendmail(mail.sender, [TOWN_ADDRESS], mail.raw)
                return time.perf_counter()
            except smtplib.SMTPServerDisconnected:
                self._smtp = None  # reconnect once; the same Message-ID is stored once
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self._smtp is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self._smtp.quit()
            self._smtp = None


def send_all(port: int, mails: list[Mail], rate: float | None) -> list[Sent]:
    """Send ``mails`` from SEND_CLIENTS threads: mail i at start + i/rate (by schedule, so a
    slow answer does not slow the offered load down), or back to back when rate is None."""
    start = time.perf_counter() + 0.2
    results: list[Sent | None] = [None] * len(mails)

    def client_loop(k: int) -> None:
        client = Client(port)
        try:
            for i in range(k, len(mails), SEND_CLIENTS):
                due = start + i / rate if rate else start
                if (delay := due - time.perf_counter()) > 0:
                    time.sleep(delay)
                began = time.perf_counter()
                try:
                    results[i] = Sent(mails[i], due, began, client.send(mails[i]))
                except (smtplib.SMTPException, OSError) as exc:
                    results[i] = Sent(mails[i], due, began, None, f"{type(exc).__name__}: {exc}")
                    client.close()
        finally:
            client.close()

    threads = [threading.Thread(target=client_loop, args=(k,)) for k in range(SEND_CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [r for r in results if r is not None]


def send_idle(port: int, sink: Sink, mails: list[Mail], rng: random.Random) -> list[Sent]:
    """One mail at a time: a random pause (so it lands anywhere in the workers' poll
    cycle), send, wait for its acknowledgement."""
    client = Client(port)
    sent: list[Sent] = []
    try:
        for mail in mails:
            time.sleep(rng.uniform(0.3, 1.0))
            began = time.perf_counter()
            sent.append(Sent(mail, began, began, client.send(mail)))
            sink.wait([mail.message_id], timeout=60)
    finally:
        client.close()
    return sent


# --- figures ----------------------------------------------------------------------------


def pct(values: Sequence[float], q: float) -> float:
    """The q-quantile, interpolated between the closest ranks."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * q
    lo = int(k)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def load1() -> str:
    return f"{os.getloadavg()[0]:.2f}"


def latencies(sink: Sink, sent: Sequence[Sent]) -> list[float]:
    out = []
    for s in sent:
        arrived = sink.arrival(s.mail.message_id)
        if s.replied is not None and arrived is not None:
            out.append(arrived - s.replied)
    return out


def seconds(v: float) -> str:
    return f"{v:.3f}"


def verdict(p95: float) -> str:
    return "met" if p95 <= TARGET_P95_S else "not met"


@dataclass
class Check:
    """Exactly one acknowledgement per mail, checked at the sink and in the database."""

    label: str
    mails: int
    missing: int = 0
    doubled: int = 0
    refused: int = 0
    inbound_rows: int = 0
    acknowledged: int = 0
    dossiers: int = 0
    problems: list[str] = field(default_factory=list)
    message_ids: list[str] = field(default_factory=list)

    def line(self) -> str:
        return (
            f"{self.mails:,} mails: {self.mails - self.missing - self.refused:,} acknowledged at "
            f"the sink, {self.missing} missing, {self.doubled} doubled, {self.refused} refused by "
            f"the listener; database: {self.inbound_rows:,} inbound rows "
            f"({self.acknowledged:,} acknowledged), {self.dossiers:,} dossiers"
        )


def check_exactly_once(
    label: str, target: Target, sink: Sink, sent: Sequence[Sent], phase: str
) -> Check:
    check = Check(label, len(sent), message_ids=[s.mail.message_id for s in sent])
    check.refused = sum(1 for s in sent if s.replied is None)
    for s in sent:
        if s.replied is None:
            continue
        n = len(sink.by_reply.get(s.mail.message_id, []))
        check.missing += n == 0
        check.doubled += n > 1
        if sink.recipients[s.mail.sender.lower()] != 1:
            check.problems.append(f"{label}: one sender got {sink.recipients[s.mail.sender]}")
    rows = sql_rows(
        target,
        "SELECT count(*), count(*) FILTER (WHERE state = 'acknowledged'), "
        "count(DISTINCT dossier_id) FROM intake_inboundmessage "
        f"WHERE message_id LIKE 'lat-{phase}-%'",
    )[0]
    check.inbound_rows, check.acknowledged, check.dossiers = (int(v) for v in rows)
    expected = check.mails - check.refused
    if check.missing or check.doubled or check.refused:
        check.problems.append(
            f"{label}: {check.missing} missing, {check.doubled} doubled, {check.refused} refused"
        )
    if not check.inbound_rows == check.acknowledged == check.dossiers == expected:
        check.problems.append(
            f"{label}: {expected} mails stored, but {check.inbound_rows} inbound rows, "
            f"{check.acknowledged} acknowledged, {check.dossiers} dossiers"
        )
    for s in sent:
        if s.error:
            check.problems.append(f"{label}: {s.error}")
            break
    return check


# Per mail, from the task rows (timestamps the listener and the workers wrote):
# waiting for a worker to pick up the intake task, running it (parse, route, dossier,
# acknowledgement queued), waiting for the outbox task after that, and sending.
PARTS = ["wait for a worker", "intake task", "wait for outbox task", "outbox task (send)"]
_BREAKDOWN_SQL = """
SELECT m.message_id,
       EXTRACT(EPOCH FROM t.started_at - t.enqueued_at),
       EXTRACT(EPOCH FROM t.finished_at - t.started_at),
       EXTRACT(EPOCH FROM o.started_at - t.finished_at),
       EXTRACT(EPOCH FROM o.finished_at - o.started_at)
FROM intake_inboundmessage m
JOIN django_tasks_database_dbtaskresult t
  ON t.task_path LIKE '%%.inbound_process_task'
 AND (t.args_kwargs -> 'kwargs' ->> 'inbound_id')::bigint = m.id
JOIN core_outboxmessage b
  ON b.topic = 'mail.send' AND (b.payload ->> 'inbound_id')::bigint = m.id
JOIN django_tasks_database_dbtaskresult o
  ON o.task_path LIKE '%%.outbox_deliver_task'
 AND (o.args_kwargs -> 'kwargs' ->> 'message_id')::bigint = b.id
WHERE m.message_id LIKE 'lat-{phase}-%%'
"""


def breakdown(target: Target, phase: str) -> dict[str, list[float]]:
    sql = _BREAKDOWN_SQL.format(phase=phase).replace("%%", "%")
    parts: dict[str, list[float]] = {p: [] for p in PARTS}
    for row in sql_rows(target, sql):
        for name, value in zip(PARTS, row[1:], strict=True):
            if value:
                parts[name].append(float(value))
    return parts


def breakdown_line(parts: dict[str, list[float]]) -> str:
    return "; ".join(
        f"{name} {seconds(pct(v, 0.5))} / {seconds(pct(v, 0.95))}" for name, v in parts.items()
    )


def print_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    print(table(headers, rows))


def database_totals(target: Target, *, mails: int, base_dossiers: int) -> tuple[str, list[str]]:
    """What the database holds after a part: every mail one inbound row and one dossier,
    every outbox message sent, no failed task."""

    def counts(sql: str) -> dict[str, int]:
        return {k: int(v) for k, v in sql_rows(target, sql)}

    states = counts("SELECT state, count(*) FROM intake_inboundmessage GROUP BY 1 ORDER BY 1")
    outbox = counts("SELECT state, count(*) FROM core_outboxmessage GROUP BY 1 ORDER BY 1")
    tasks = counts(
        "SELECT status, count(*) FROM django_tasks_database_dbtaskresult GROUP BY 1 ORDER BY 1"
    )
    dossiers = int(sql_rows(target, "SELECT count(*) FROM dossiers_dossier")[0][0])
    opened = dossiers - base_dossiers
    line = (
        f"database: {sum(states.values()):,} inbound rows {states}, {opened:,} dossiers opened, "
        f"outbox {outbox}, tasks {tasks}"
    )
    problems = []
    if sum(states.values()) != mails or states.get("acknowledged", 0) != mails:
        problems.append(f"{mails} mails sent, inbound rows by state {states}")
    if opened != mails:
        problems.append(f"{mails} mails sent, {opened} dossiers opened")
    if set(outbox) - {"sent"} or set(tasks) - {"SUCCESSFUL"}:
        problems.append(f"outbox {outbox}, tasks {tasks}")
    return line, problems


# --- the run ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    rate: float
    seconds: float
    idle: int
    throughput: int
    after: int  # mails a worker handles before "the hundredth"
    first_runs: int
    interval: float
    parts: str  # which of "1234" to run


class Sampler:
    """What a measurement cost, sampled while it runs: twice a second the backends serving
    the database (their CPU, and which statements wait for a lock another transaction
    holds: do the workers serialise on a row?); at the end the CPU of the given process
    groups, of those backends and of this harness (the sink), and how busy the whole
    machine was - on a shared machine the rest is other people's work."""

    def __init__(self, target: Target, groups: Mapping[str, Sequence[Child]]) -> None:
        self.database = target.database_url.rsplit("/", 1)[-1]
        self.groups = groups
        self.samples = 0
        self.waiting = 0
        self.statements: Counter[str] = Counter()
        self.backend_cpu: dict[int, float] = {}
        self.cpu: dict[str, float] = {}
        self.machine_busy = 0.0  # share of all cores
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> Sampler:
        self._pg_before = postgres_cpu_snapshot()
        self._before = {name: cpu_seconds(children) for name, children in self.groups.items()}
        self._harness = harness_cpu()
        self._machine = machine_jiffies()
        self._started = time.perf_counter()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()
        self._ended = time.perf_counter()
        busy, total = (b - a for a, b in zip(self._machine, machine_jiffies(), strict=True))
        self.machine_busy = busy / max(total, 1)
        self.cpu = {
            name: cpu_seconds(children) - self._before[name]
            for name, children in self.groups.items()
        }
        self.cpu["PostgreSQL"] = sum(
            cpu - self._pg_before.get(pid, 0.0) for pid, cpu in self.backend_cpu.items()
        )
        self.cpu["harness"] = harness_cpu() - self._harness

    def _loop(self) -> None:
        while not self._stop.wait(0.5):
            self._sample()

    def _sample(self) -> None:
        sql = (
            "SELECT pid, coalesce(wait_event_type, ''), "
            r"left(regexp_replace(query, '\s+', ' ', 'g'), 72) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        try:
            out = psql(sql, database=self.database)
        except subprocess.CalledProcessError:
            return
        waiting = []
        for line in out.splitlines():
            pid, wait, query = [*line.split("|", 2), "", ""][:3]
            if pid.isdigit():
                # The latest reading: a backend that exits keeps what it had used.
                self.backend_cpu[int(pid)] = process_cpu(int(pid)) or self.backend_cpu.get(
                    int(pid), 0.0
                )
            if wait == "Lock":
                waiting.append(query)
        self.samples += 1
        self.waiting += bool(waiting)
        self.statements.update(waiting)

    def locks_line(self) -> str:
        top = "; ".join(f"{n}x {q}" for q, n in self.statements.most_common(2))
        return (
            f"lock waits: a worker waited for a lock in {self.waiting} of {self.samples} "
            f"samples (every 0.5 s)" + (f"; waiting statements: {top}" if top else "")
        )

    def cpu_line(self, mails: int) -> str:
        per_mail = ", ".join(f"{k} {v / mails * 1000:.0f} ms" for k, v in self.cpu.items())
        ours = sum(self.cpu.values()) / max((self._ended - self._started) * CORES, 1e-9)
        return (
            f"CPU per mail: {per_mail}; the machine's {CORES} cores were "
            f"{self.machine_busy * 100:.0f} % busy, {ours * 100:.0f} % with this bench's "
            f"processes (the rest is other work on the machine)"
        )


class Bench:
    def __init__(self, plan: Plan, work_dir: Path) -> None:
        self.plan = plan
        self.work_dir = work_dir
        self.procs = Processes(work_dir)
        self.dbs = Databases()
        self.sink = Sink()
        self.sink_port = free_port()
        self.maker = MailMaker()
        self.rng = random.Random(2026)
        self.checks: list[Check] = []
        self.notes: list[str] = []  # database totals, printed with the exactly-once check

    def env(self, target: Target) -> dict[str, str]:
        # MIDOFFICE_DEBUG=false: with DEBUG on, db_worker runs under the autoreloader,
        # whose child would outlive a stopped parent.
        return target.env(
            MIDOFFICE_DEBUG="false",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=str(self.sink_port),
            EMAIL_HOST_USER="",
            EMAIL_HOST_PASSWORD="",
            EMAIL_USE_TLS="false",
            EMAIL_USE_SSL="false",
            # The product's default level: the workers then log their warm-up's seconds.
            MIDOFFICE_LOG_LEVEL="INFO",
        )

    def start_listener(self, target: Target) -> tuple[int, Child]:
        port = free_port()
        child = self.procs.start(
            "listener",
            [str(BIN / "midoffice"), "intake", "listen", "--port", str(port)],
            self.env(target),
        )
        self.procs.wait_for_port(child, port)
        return port, child

    def start_worker(
        self, target: Target, *, startup_delay: bool = True, plain: bool = False
    ) -> Child:
        """``midoffice db_worker`` as ``midoffice serve_all`` starts it (--no-reload is
        what DEBUG=false means anyway). ``plain``: django-tasks-db's own command, without
        what Midoffice's ``db_worker`` adds (its warm-up), for comparison."""
        if plain:
            argv = [str(BIN / "python"), "-c", PLAIN_WORKER.format(interval=self.plan.interval)]
        else:
            argv = [str(BIN / "midoffice"), "db_worker", "--queue-name", "*",
                    "--interval", f"{self.plan.interval:g}", "--no-reload"]  # fmt: skip
            if not startup_delay:
                argv.append("--no-startup-delay")
        return self.procs.start("worker", argv, self.env(target))

    def mails(self, phase: str, n: int) -> list[Mail]:
        return [self.maker.make(phase) for _ in range(n)]

    def settle(self, sent: Sequence[Sent], timeout: float, grace: float = 1.5) -> None:
        """Wait for every acknowledgement, then a moment for a late double and for the
        workers to commit the 'acknowledged' state after the send."""
        ids = [s.mail.message_id for s in sent if s.replied is not None]
        self.sink.wait(ids, timeout)
        time.sleep(grace)

    def check(self, label: str, target: Target, sent: Sequence[Sent], phase: str) -> Check:
        check = check_exactly_once(label, target, self.sink, sent, phase)
        self.checks.append(check)
        return check

    def totals(self, label: str, target: Target, mails: int) -> None:
        line, problems = database_totals(target, mails=mails, base_dossiers=self.dbs.base_dossiers)
        self.notes.append(f"{label}, {mails:,} mails; {line}")
        self.checks[-1].problems.extend(f"{label}: {p}" for p in problems)

    # -- parts 1 and 2: the live system, listener + two workers --

    def load_and_idle(self) -> None:
        plan = self.plan
        target = self.dbs.copy("live")
        first_mail = self.maker.count
        port, listener = self.start_listener(target)
        workers = [self.start_worker(target) for _ in range(2)]
        for worker in workers:
            self.procs.wait_for_line(worker, READY_LINE)
        # Warm-up, not counted: the figures are for a running system (part 4 measures
        # the first mail after a worker starts).
        warm = send_all(port, self.mails("warm", 10), rate=5)
        self.settle(warm, 60)
        self.check("warm-up", target, warm, "warm")
        if "1" in plan.parts:
            self.load(target, port, listener, workers)
        if "2" in plan.parts:
            self.idle(target, port)
        self.procs.stop_all()
        self.totals("parts 1 and 2", target, self.maker.count - first_mail)
        self.dbs.drop(target)

    def load(self, target: Target, port: int, listener: Child, workers: list[Child]) -> None:
        plan = self.plan
        n = int(plan.rate * plan.seconds)
        log(f"latency: part 1, {n} mails at {plan.rate:g}/s")
        groups = {"workers": workers, "listener": [listener]}
        with Sampler(target, groups) as sampler:
            sent = send_all(port, self.mails("load", n), rate=plan.rate)
            sending_s = time.perf_counter() - sent[0].scheduled
            self.settle(sent, 120)
        lat = latencies(self.sink, sent)
        load = load1()
        check = self.check("part 1", target, sent, "load")
        replies = [s.replied - s.started for s in sent if s.replied is not None]
        behind = max(s.started - s.scheduled for s in sent)
        p95 = pct(lat, 0.95)
        print(f"\n== 1. Acknowledgement latency under load (PostgreSQL, listener + 2 workers, "
              f"poll interval {plan.interval:g} s)")  # fmt: skip
        print(
            f"{n:,} mails offered at {plan.rate:g}/s for {plan.seconds:g} s by {SEND_CLIENTS} "
            f"SMTP clients (sending took {sending_s:.1f} s; a send started at most "
            f"{behind * 1000:.0f} ms behind its schedule); the listener's 250 came after "
            f"p50 {pct(replies, 0.5) * 1000:.0f} ms, p95 {pct(replies, 0.95) * 1000:.0f} ms."
        )
        print("check: " + check.line())
        print_table(
            ["measure", "mails", "p50 s", "p95 s", "p99 s", "max s", "p95 target", "verdict",
             "load 1 min"],
            [["250 -> acknowledgement at the sink", len(lat), seconds(pct(lat, 0.5)),
              seconds(p95), seconds(pct(lat, 0.99)), seconds(max(lat, default=0)),
              f"<= {TARGET_P95_S:g} s", verdict(p95), load]],
        )  # fmt: skip
        print("where the time goes, p50 / p95 s: " + breakdown_line(breakdown(target, "load")))
        print(sampler.cpu_line(n))
        print(sampler.locks_line())

    def idle(self, target: Target, port: int) -> None:
        plan = self.plan
        log(f"latency: part 2, {plan.idle} single mails")
        sent = send_idle(port, self.sink, self.mails("idle", plan.idle), self.rng)
        self.settle(sent, 60)
        lat = latencies(self.sink, sent)
        load = load1()
        self.check("part 2", target, sent, "idle")
        print(f"\n== 2. One mail at an idle system (same processes, poll interval "
              f"{plan.interval:g} s)")  # fmt: skip
        print(
            f"{plan.idle} mails one at a time, each after a random 0.3-1.0 s pause, waiting "
            f"for its acknowledgement. The workers poll the task table: an idle worker sleeps "
            f"--interval between polls ({plan.interval:g} s here, as `midoffice serve_all` "
            f"runs it; django-tasks-db's default is 1 s), so with two workers a mail waits "
            f"0-{plan.interval:g} s to be picked up."
        )
        print_table(
            ["measure", "mails", "p50 s", "p95 s", "max s", "load 1 min"],
            [["250 -> acknowledgement at the sink", len(lat), seconds(pct(lat, 0.5)),
              seconds(pct(lat, 0.95)), seconds(max(lat, default=0)), load]],
        )  # fmt: skip
        print("where the time goes, p50 / p95 s: " + breakdown_line(breakdown(target, "idle")))

    # -- part 3: throughput --

    def throughput(self) -> None:
        plan = self.plan
        log(f"latency: part 3, throughput with {plan.throughput} mails")
        rows, summaries = [], []
        for workers in (1, 2):
            row, summary = self.drain(workers)
            rows.append(row)
            summaries.append(f"{workers} worker(s): {summary}")
        print(f"\n== 3. Throughput on PostgreSQL ({plan.throughput} mails stored through the "
              f"listener with no worker running, then the workers start)")  # fmt: skip
        print(
            "seconds: from the moment the last worker logged 'Starting worker' (after its "
            "warm-up, if it has one; --no-startup-delay) to the last acknowledgement at the "
            "sink; a fresh copy of the database for each. Deliveries outrank the waiting "
            "intake tasks (core.tasks.DELIVERY_PRIORITY), so each acknowledgement leaves as "
            "soon as its mail is done ('first ack after' is negative when it left before "
            "the last worker had started). "
            "CPU per mail (user + system; workers, and the PostgreSQL backends serving this "
            "database) depends little on what else runs on the machine: together they say "
            "how many mails/s the cores could carry if this were all that ran."
        )
        print_table(
            ["workers", "mails", "seconds", "mails/s", "first ack after s",
             "worker CPU ms/mail", "PostgreSQL CPU ms/mail", "stored/s via listener",
             "load 1 min"],
            rows,
        )  # fmt: skip
        ratio = float(str(rows[1][3])) / float(str(rows[0][3]))
        print(f"two workers / one: {ratio:.2f}")
        for summary in summaries:
            print(summary)

    def drain(self, workers: int) -> tuple[list[object], str]:
        """Store N mails with no worker running, start the workers, time until the sink
        has every acknowledgement. One row of part 3's table."""
        n = self.plan.throughput
        target = self.dbs.copy(f"tp{workers}")
        port, _ = self.start_listener(target)
        phase = f"tp{workers}w"
        t0 = time.perf_counter()
        sent = send_all(port, self.mails(phase, n), rate=None)
        store_rate = n / (time.perf_counter() - t0)
        log(f"latency: part 3, {n} stored ({store_rate:.0f}/s); starting {workers} worker(s)")
        children = [self.start_worker(target, startup_delay=False) for _ in range(workers)]
        ready = max(self.procs.wait_for_line(c, READY_LINE) for c in children)
        with Sampler(target, {"workers": children}) as sampler:
            self.sink.wait([s.mail.message_id for s in sent if s.replied], 600)
        cpu_ms = sampler.cpu["workers"] / n * 1000
        pg_ms = sampler.cpu["PostgreSQL"] / n * 1000
        arrivals = [a for s in sent if (a := self.sink.arrival(s.mail.message_id)) is not None]
        took = max(arrivals) - ready
        load = load1()
        time.sleep(1.5)
        self.check(f"part 3, {workers} worker(s)", target, sent, phase)
        self.procs.stop_all()
        self.totals(f"part 3 with {workers} worker(s)", target, n)
        self.dbs.drop(target)
        row: list[object] = [workers, len(arrivals), f"{took:.1f}", f"{len(arrivals) / took:.1f}",
                             f"{min(arrivals) - ready:.1f}", f"{cpu_ms:.0f}", f"{pg_ms:.0f}",
                             f"{store_rate:.0f}", load]  # fmt: skip
        return row, f"{sampler.cpu_line(n)}; {sampler.locks_line()}"

    # -- part 4: the first mail after a worker starts --

    def first_versus_later(self) -> None:
        plan = self.plan
        target = self.dbs.copy("first")
        first_mail = self.maker.count
        port, _ = self.start_listener(target)
        log(f"latency: part 4, first mail after a worker starts ({plan.first_runs} starts)")
        rows: list[list[object]] = []
        worker: Child | None = None
        # The last start is django-tasks-db's own worker, without Midoffice's warm-up:
        # what the first mail costs when nothing is loaded ahead.
        starts = [*(False for _ in range(plan.first_runs)), True]
        for run_no, plain in enumerate(starts, start=1):
            if worker is not None:
                self.procs.stop(worker)
            worker = self.start_worker(target, plain=plain)
            ready = self.procs.wait_for_line(worker, READY_LINE)
            time.sleep(FIRST_MAIL_AFTER_READY_S)
            phase = f"first{run_no}"
            sent = send_idle(port, self.sink, self.mails(phase, 1), self.rng)
            self.settle(sent, 60, grace=0.5)
            self.check(f"part 4, start {run_no}", target, sent, phase)
            parts = breakdown(target, phase)
            label = "no warm-up (django-tasks-db's command)" if plain else f"worker start {run_no}"
            startup = f"{ready - worker.launched:.2f}"
            rows.append([f"first mail, {label}", startup, warm_up_seconds(worker),
                         *self._one(sent, parts)])  # fmt: skip
        # Then through a worker as the product starts it.
        if worker is not None:
            self.procs.stop(worker)
        worker = self.start_worker(target)
        self.procs.wait_for_line(worker, READY_LINE)
        log(f"latency: part 4, {plan.after} mails through that worker, then single mails")
        busy = send_all(port, self.mails("busy", plan.after), rate=plan.rate)
        self.settle(busy, 120)
        self.check("part 4, busy", target, busy, "busy")
        for k in range(1, 4):
            phase = f"later{k}"
            sent = send_idle(port, self.sink, self.mails(phase, 1), self.rng)
            self.settle(sent, 60, grace=0.5)
            self.check(f"part 4, later {k}", target, sent, phase)
            parts = breakdown(target, phase)
            rows.append([f"after {plan.after} mails, mail {k}", "", "", *self._one(sent, parts)])
        self.procs.stop_all()
        self.totals("part 4", target, self.maker.count - first_mail)
        self.dbs.drop(target)

        print("\n== 4. First mail after a worker starts versus later ones (one worker)")
        print(
            f"A fresh `db_worker` (as above); the mail is sent {FIRST_MAIL_AFTER_READY_S:g} s "
            f"after it logged 'Starting worker' (its random start-up delay, <= 1 s, is over). "
            f"The 'no warm-up' row runs django-tasks-db's own db_worker command instead of "
            f"Midoffice's, for comparison. Then a fresh worker as the product starts it gets "
            f"{plan.after} mails at {plan.rate:g}/s, and single mails again. 'start-up' is "
            f"launch -> 'Starting worker'; 'warm-up' is what the worker logged as its warm-up "
            f"('worker warmed up'; '-' when it logged none)."
        )
        print_table(
            ["mail", "start-up s", "of which warm-up s", "250 -> ack s", *PARTS, "load 1 min"],
            rows,
        )

    def _one(self, sent: Sequence[Sent], parts: dict[str, list[float]]) -> list[str]:
        lat = latencies(self.sink, sent)
        values = [seconds(lat[0]) if lat else "lost"]
        values += [seconds(v[0]) if v else "-" for v in parts.values()]
        return [*values, load1()]

    # -- everything --

    def run(self) -> list[str]:
        from aiosmtpd.controller import Controller

        parts = self.plan.parts
        log("latency: setting up the template database (migrate, demo town, routing model)")
        self.dbs.create_template()
        controller = Controller(self.sink, hostname="127.0.0.1", port=self.sink_port)
        controller.start()
        try:
            if "1" in parts or "2" in parts:
                self.load_and_idle()
            if "3" in parts:
                self.throughput()
            if "4" in parts:
                self.first_versus_later()
        finally:
            self.procs.stop_all()
            controller.stop()
        return self.report_problems()

    def report_problems(self) -> list[str]:
        problems = [p for c in self.checks for p in c.problems]
        total = sum(c.mails for c in self.checks)
        print(
            f"\nexactly once: {total:,} mails over all parts; "
            + ("every one acknowledged exactly once" if not problems else "PROBLEMS")
        )
        for note in self.notes:
            print(f"  {note}")
        ours = {m for c in self.checks for m in c.message_ids}
        unexpected = sum(len(v) for k, v in self.sink.by_reply.items() if k not in ours)
        if unexpected:
            problems.append(f"the sink got {unexpected} mails that answer none of ours")
        errors = {path: log_errors(path) for path in self.procs.logs}
        errors = {path: lines for path, lines in errors.items() if lines}
        if errors:
            problems.append(f"errors in {len(errors)} child log(s)")
        print(
            "errors in the listener's and workers' logs: "
            + (", ".join(f"{p.name}: {len(v)}" for p, v in errors.items()) or "none")
        )
        for problem in problems:
            print(f"  PROBLEM {problem}")
        if problems:
            for path in self.procs.logs:
                print(f"--- tail of {path.name}\n{tail(path)}")
        return problems


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)  # run the finally blocks: children stopped, databases dropped


def main(argv: Sequence[str] | None = None) -> int:
    quick = os.environ.get("BENCH_QUICK") == "1"
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", default=quick, help="a shorter run")
    parser.add_argument("--rate", type=float, default=20.0, help="mails/s offered in part 1")
    parser.add_argument("--seconds", type=float, default=None, help="part 1's length (60)")
    parser.add_argument("--idle", type=int, default=None, help="single mails in part 2 (30)")
    parser.add_argument("--throughput", type=int, default=None, help="mails in part 3 (400)")
    parser.add_argument("--interval", type=float, default=PRODUCT_INTERVAL,
                        help="the workers' poll interval (the product's: 0.5)")  # fmt: skip
    parser.add_argument("--parts", default="1234", help="which parts to run, e.g. 4 (1234)")
    args = parser.parse_args(argv)
    plan = Plan(
        rate=args.rate,
        seconds=args.seconds or (15 if args.quick else 60),
        idle=args.idle or (10 if args.quick else 30),
        throughput=args.throughput or (150 if args.quick else 400),
        after=100,
        first_runs=2 if args.quick else 3,
        interval=args.interval,
        parts=args.parts,
    )
    print(
        f"Intake latency (issue 18) on PostgreSQL: {plan.rate:g} mails/s for {plan.seconds:g} s, "
        f"{plan.idle} idle mails, {plan.throughput} for throughput; {os.cpu_count()} CPUs; "
        f"load average {load1()} at the start"
    )
    if os.environ.get("BENCH_SKIP_POSTGRES") == "1":
        print("skipped: PostgreSQL left out (--skip-postgres); this section runs on it only")
        return 0
    if not postgres_available():
        print(f"skipped: PostgreSQL is not reachable at {PG_ADMIN_URL} (set BENCH_PG_URL)")
        return 0
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _terminate)
    # Ctrl-C raises KeyboardInterrupt even when a shell started us with SIGINT ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    work_dir = Path(tempfile.mkdtemp(prefix="midoffice-bench-latency-"))
    bench = Bench(plan, work_dir)
    atexit.register(bench.procs.stop_all)  # a second line of defence behind the finally
    started = time.perf_counter()
    keep_logs = True  # unless the run ends cleanly or is interrupted
    try:
        problems = bench.run()
        keep_logs = bool(problems)
    except Exception:
        for path in bench.procs.logs:
            print(f"--- tail of {path.name}\n{tail(path)}", file=sys.stderr)
        raise
    except BaseException:  # Ctrl-C, SIGTERM: clean up, keep nothing
        keep_logs = False
        raise
    finally:
        bench.procs.stop_all()
        bench.dbs.close()
        if keep_logs:
            print(f"children's logs kept in {work_dir}", file=sys.stderr)
        else:
            shutil.rmtree(work_dir, ignore_errors=True)
    print(f"latency section took {time.perf_counter() - started:.0f} s; load average {load1()}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    sys.exit(main())
