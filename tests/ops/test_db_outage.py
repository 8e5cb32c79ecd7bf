"""The database goes away for a while and comes back: every process reconnects by itself
and no task is lost (issue 23, "Bad input and faults").

The real processes run against this test's PostgreSQL database: the task worker, the
scheduler, the SMTP listener and gunicorn. The outage is real to them: the database is
closed to new connections (``ALLOW_CONNECTIONS false``) and every session on it is
terminated, over and over, for ``OUTAGE_SECONDS``; then it is opened again. Nothing in
the processes depends on how long that lasts (they retry on a fixed interval), so a few
seconds prove what a minute would.
"""

from __future__ import annotations

import os
import smtplib
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from django.db import OperationalError, connection
from django.http import HttpResponse
from django_tasks_db.models import DBTaskResult

from midoffice.core import clock
from midoffice.core.management.commands.db_worker import tasks_cut_short_requeue
from midoffice.core.models import SchedulerHeartbeat
from midoffice.intake.models import InboundMessage
from tests.intake.conftest import free_port, make_mail
from tests.ops.outage_tasks import database_wait_task

OUTAGE_SECONDS = float(os.environ.get("MIDOFFICE_OUTAGE_TEST_SECONDS", "8"))
BEFORE = 12  # mails accepted just before the outage: queued while the worker is busy
# A request that needs the database whoever sends it: the API looks its token up.
PAGE = "/api/v1/"
TOKEN = {"Authorization": "Token 0123456789abcdef0123456789abcdef01234567"}
DURING = 3  # mails offered during the outage: refused with 451, offered again after


def _wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not in time: {what}")
        time.sleep(0.1)


def _database_url() -> str:
    s = connection.settings_dict
    return (
        f"postgres://{s['USER']}:{s['PASSWORD'] or ''}@{s['HOST']}:{s['PORT'] or 5432}/{s['NAME']}"
    )


def _admin_connection() -> psycopg.Connection:
    """A session on the server's ``postgres`` database: untouched by the outage."""
    s = connection.settings_dict
    return psycopg.connect(
        host=s["HOST"],
        port=s["PORT"] or 5432,
        user=s["USER"],
        password=s["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    )


@contextmanager
def _database_away(name: str) -> Iterator[None]:
    """Closed to new sessions, and every session on it ended, until the block exits."""
    admin = _admin_connection()
    stop = threading.Event()

    def terminate_sessions() -> None:
        while not stop.is_set():
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                [name],
            )
            stop.wait(0.2)

    killer = threading.Thread(target=terminate_sessions, daemon=True)
    try:
        admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        killer.start()
        yield
    finally:
        stop.set()
        if killer.is_alive():
            killer.join(timeout=10)
        admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        admin.close()
        connection.close()  # this test's own session was ended too


class Processes:
    """The long-running processes; each one stopped on exit, also when the test fails."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env = env
        self.logs = logs
        self.running: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, argv: list[str]) -> subprocess.Popen[bytes]:
        log = (self.logs / f"{name}.log").open("wb")
        process = subprocess.Popen(argv, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        self.running[name] = process
        return process

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")

    def stop_all(self) -> None:
        for process in self.running.values():
            if process.poll() is None:
                process.terminate()
        for process in self.running.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def _send(port: int, raw: bytes) -> int:
    """The SMTP reply code to the message's DATA (what the town's mail server sees)."""
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        try:
            client.sendmail("burger@example.org", ["onthaal@leemdonk.example"], raw)
        except smtplib.SMTPDataError as refused:
            return refused.smtp_code
    return 250


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 - our server
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - our server
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def _smtp_open(port: int) -> bool:
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=5) as client:
            return client.noop()[0] == 250
    except OSError:
        return False


def _web_status(url: str) -> int:
    try:
        return _get(url)[0]
    except OSError:
        return 0


def _heartbeat_at() -> object:
    return (
        SchedulerHeartbeat.objects.filter(name="scheduler")
        .values_list("beat_at", flat=True)
        .first()
    )


def _advisory_lock_holders(name: str) -> int:
    with _admin_connection() as admin:
        row = admin.execute(
            "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND a.datname = %s",
            [name],
        ).fetchone()
    return int(row[0]) if row else 0


def _work_left() -> bool:
    return DBTaskResult.objects.filter(status__in=["READY", "RUNNING"]).exists()


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_every_process_reconnects_after_the_database_was_away_and_no_task_is_lost(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("an outage of the PostgreSQL server")
    name = connection.settings_dict["NAME"]
    smtp_port, web_port = free_port(), free_port()
    web = f"http://127.0.0.1:{web_port}"
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "MIDOFFICE_DEBUG": "false",
        "MIDOFFICE_SECRET_KEY": "test-only",
        "MIDOFFICE_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "MIDOFFICE_DATA_DIR": str(tmp_path / "data"),
        "MIDOFFICE_FILES_DIR": str(tmp_path / "files"),
        "MIDOFFICE_LOG_LEVEL": "INFO",
        "EMAIL_HOST": "",
    }
    manage = [sys.executable, "-m", "midoffice.manage"]
    processes = Processes(env, tmp_path)
    try:
        # Given the four kinds of process, running
        worker = processes.start(
            "worker",
            [*manage, "db_worker", "--queue-name", "*", "--interval", "0.2", "--no-reload"],
        )
        scheduler = processes.start(
            "scheduler",
            [*manage, "scheduler", "--standby-seconds", "0.5", "--heartbeat-seconds", "0.5"],
        )
        listener = processes.start(
            "listener",
            [*manage, "intake", "listen", "--host", "127.0.0.1", "--port", str(smtp_port)],
        )
        gunicorn = processes.start(
            "web",
            [
                str(Path(sys.executable).with_name("gunicorn")),
                "-c",
                "python:midoffice.core.gunicorn_conf",
                "midoffice.wsgi",
                "--bind",
                f"127.0.0.1:{web_port}",
                "--workers",
                "1",
            ],
        )
        _wait_for(lambda: _smtp_open(smtp_port), 60, "the listener answers")
        _wait_for(lambda: _web_status(f"{web}/readyz") == 200, 60, "the web server is ready")
        _wait_for(lambda: _heartbeat_at() is not None, 60, "the scheduler is active")
        _wait_for(lambda: "worker warmed up" in processes.log("worker"), 60, "worker started")

        # and a task the worker is running when the outage comes
        cut_short = database_wait_task.enqueue(until=time.time() + OUTAGE_SECONDS + 3).id
        _wait_for(
            lambda: DBTaskResult.objects.filter(pk=cut_short, status="RUNNING").exists(),
            30,
            "the worker runs the first task",
        )
        # and mail arriving meanwhile: its processing waits in the queue
        sent_ids: list[str] = []
        for n in range(BEFORE):
            sent_ids.append(f"before-{n}@example.org")
            raw = make_mail(subject=f"Vraag {n}", message_id=f"<{sent_ids[-1]}>")
            assert _send(smtp_port, raw) == 250

        # When the database is away
        during = [
            make_mail(subject=f"Tijdens {n}", message_id=f"<during-{n}@example.org>")
            for n in range(DURING)
        ]
        with _database_away(name):
            away_from = time.monotonic()
            time.sleep(1)
            # Then mail is refused for now, with a temporary failure: the sender retries
            assert [_send(smtp_port, raw) for raw in during] == [451] * DURING
            # and a page says so, rather than hanging
            status, page = _get(f"{web}/readyz")
            assert status == 503
            assert "database" in page
            status, page = _get(f"{web}{PAGE}", TOKEN)
            assert status == 503
            assert '"code": "database_unavailable"' in page
            time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - away_from)))
        back_at = clock.now()

        # And when it is back, the same processes carry on
        _wait_for(lambda: _web_status(f"{web}/readyz") == 200, 30, "the web server recovers")
        status, page = _get(f"{web}{PAGE}", TOKEN)
        assert status == 401, page  # an unknown token, told so: the database answered
        for n, raw in enumerate(during):
            sent_ids.append(f"during-{n}@example.org")
            assert _send(smtp_port, raw) == 250  # the sender's retry
        _wait_for(
            lambda: (_heartbeat_at() or back_at) > back_at, 30, "the scheduler is active again"
        )
        assert _advisory_lock_holders(name) == 1
        try:
            _wait_for(lambda: not _work_left(), 60, "the worker drains the queue")
        except AssertionError:
            left = list(
                DBTaskResult.objects.exclude(status="SUCCESSFUL").values_list(
                    "task_path", "status", "worker_ids"
                )
            )
            raise AssertionError(f"{left}\n{processes.log('worker')[-4000:]}") from None
        for name_, process in (
            ("worker", worker),
            ("scheduler", scheduler),
            ("listener", listener),
            ("web", gunicorn),
        ):
            assert process.poll() is None, f"{name_} ended:\n{processes.log(name_)[-3000:]}"

        # and every task ran, once: every mail stored once and processed once
        messages = list(InboundMessage.objects.all())
        assert sorted(m.message_id for m in messages) == sorted(sent_ids)
        assert all(m.attempts == 1 for m in messages), [
            (m.message_id, m.attempts) for m in messages
        ]
        assert all(m.state != InboundMessage.State.RECEIVED for m in messages)
        statuses = list(DBTaskResult.objects.values_list("task_path", "status"))
        assert statuses
        assert all(status == "SUCCESSFUL" for _, status in statuses), statuses
        # the task cut short ran again, by the same worker, to the end
        again = DBTaskResult.objects.get(pk=cut_short)
        assert again.return_value == "done"
        assert len(again.worker_ids) == 2
        assert len(set(again.worker_ids)) == 1
        assert "worker lost the database; reconnecting" in processes.log("worker")
    finally:
        processes.stop_all()


@pytest.mark.django_db(transaction=False)
def test_a_page_that_meets_an_unreachable_database_says_so_with_503(client, monkeypatch):
    from rest_framework.authentication import TokenAuthentication

    def unreachable(*args: object) -> None:
        raise OperationalError("connection to server failed")

    monkeypatch.setattr(TokenAuthentication, "authenticate_credentials", unreachable)
    response = client.get(PAGE, HTTP_AUTHORIZATION=TOKEN["Authorization"])
    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    # An API client gets the API's error shape (docs/api.md), in Dutch.
    assert response.json()["code"] == "database_unavailable"
    assert "niet bereiken" in response.json()["detail"]


def test_a_staff_or_citizen_page_gets_the_dutch_page():
    from django.test import RequestFactory

    from midoffice.core.middleware import DatabaseUnavailableMiddleware

    middleware = DatabaseUnavailableMiddleware(lambda request: HttpResponse())
    request = RequestFactory().get("/mijn/dossiers/")
    response = middleware.process_exception(request, OperationalError("server closed"))
    assert response is not None
    assert response.status_code == 503
    assert "Even niet beschikbaar" in response.content.decode()
    assert middleware.process_exception(request, ValueError("not ours")) is None


@pytest.mark.django_db(transaction=False)
def test_only_the_task_this_worker_left_running_is_queued_again():
    ours, others, done = (database_wait_task.enqueue(until=0.0).id for _ in range(3))
    for pk, worker_id in ((ours, "this-worker"), (others, "other-worker"), (done, "this-worker")):
        DBTaskResult.objects.get(pk=pk).claim(worker_id)
    DBTaskResult.objects.get(pk=done).set_successful("done")

    assert tasks_cut_short_requeue("this-worker") == 1

    status = {str(pk): value for pk, value in DBTaskResult.objects.values_list("id", "status")}
    assert status == {ours: "READY", others: "RUNNING", done: "SUCCESSFUL"}
