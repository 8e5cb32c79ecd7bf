"""A second scheduler started by mistake runs no job twice; it takes over when the first stops."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from apscheduler.triggers.interval import IntervalTrigger
from django.db import connection, connections

from midoffice.core.models import SchedulerHeartbeat
from midoffice.core.schedule import ScheduledCall, SchedulerRunner
from midoffice.core.scheduler_lock import PostgresAdvisoryLock, scheduler_lock

FAST = 0.05  # seconds: the job's interval, the heartbeat and the standby retry


def _wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)


@contextmanager
def _running(runner: SchedulerRunner) -> Iterator[threading.Event]:
    """Run ``runner`` in a thread; always stopped (and its connections closed) on exit."""
    stop = threading.Event()

    def target() -> None:
        try:
            runner.run(stop)
        finally:
            connections.close_all()

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    try:
        yield stop
    finally:
        stop.set()
        thread.join(timeout=10)
        assert not thread.is_alive()


def _runner(name: str, ran: list[str]) -> SchedulerRunner:
    return SchedulerRunner(
        lock=scheduler_lock(),
        calls=[ScheduledCall("sweep", IntervalTrigger(seconds=FAST), lambda: ran.append(name))],
        heartbeat_seconds=FAST,
        standby_seconds=FAST,
        holder=name,
    )


def _holder() -> str | None:
    return (
        SchedulerHeartbeat.objects.filter(name="scheduler").values_list("holder", flat=True).first()
    )


@pytest.mark.django_db(transaction=True)
def test_only_one_scheduler_runs_jobs_and_the_other_takes_over(caplog):
    caplog.set_level("INFO", logger="midoffice.core.schedule")
    ran: list[str] = []
    first, second = _runner("first", ran), _runner("second", ran)

    # Given a first scheduler that is running its jobs
    with _running(first) as stop_first:
        _wait_for(lambda: ran.count("first") >= 2)
        # When a second one is started by mistake
        with _running(second):
            _wait_for(lambda: "scheduler standby" in caplog.text)
            time.sleep(10 * FAST)  # ten of the job's intervals
            # Then it runs nothing and the heartbeat is the first's
            assert "second" not in ran
            assert not second.active.is_set()
            assert _holder() == "first"

            # When the first stops, the second takes over within a retry
            stop_first.set()
            _wait_for(lambda: "second" in ran)
            _wait_for(lambda: _holder() == "second")
            switched = len(ran)
            time.sleep(5 * FAST)
    # never both: once the second ran, the first ran no more
    assert "first" not in ran[ran.index("second") :]
    assert len(ran) > switched


@pytest.mark.django_db(transaction=True)
def test_the_lock_is_exclusive_until_released():
    first, second = scheduler_lock(), scheduler_lock()
    try:
        assert first.acquire()
        assert first.held()
        assert not second.acquire()
        first.release()
        assert not first.held()
        assert second.acquire()
        assert not first.acquire()
    finally:
        first.release()
        second.release()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_lost_database_session_loses_the_lock():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's advisory lock")
    lock = scheduler_lock()
    assert isinstance(lock, PostgresAdvisoryLock)
    other = scheduler_lock()
    try:
        assert lock.acquire()
        assert lock._connection is not None
        backend_pid = lock._connection.connection.info.backend_pid
        # The database restarts, or the network drops the scheduler's session:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [backend_pid])

        # The scheduler notices at its next heartbeat, and another one can take over
        assert not lock.held()
        assert other.acquire()
    finally:
        lock.release()
        other.release()


@pytest.mark.django_db(transaction=True)
def test_the_scheduler_command_stands_by_while_another_holds_the_lock(tmp_path):
    """The real ``midoffice scheduler`` process, against this test's database."""
    settings_dict = connection.settings_dict
    if connection.vendor == "postgresql":
        url = (
            f"postgres://{settings_dict['USER']}:{settings_dict['PASSWORD'] or ''}"
            f"@{settings_dict['HOST']}:{settings_dict['PORT'] or 5432}/{settings_dict['NAME']}"
        )
    else:
        url = f"sqlite:///{settings_dict['NAME']}"
    env = {
        "PATH": os.environ["PATH"],
        "DATABASE_URL": url,
        "MIDOFFICE_DATA_DIR": str(tmp_path),
        "MIDOFFICE_DEBUG": "true",
    }
    held = scheduler_lock()
    assert held.acquire()
    lines: list[str] = []
    process = subprocess.Popen(
        [sys.executable, "-m", "midoffice.manage", "scheduler", "--standby-seconds", "0.2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        reader = threading.Thread(
            target=lambda: lines.extend(iter(process.stderr.readline, "")), daemon=True
        )
        reader.start()
        _wait_for(lambda: any("scheduler standby" in line for line in lines), timeout=30)
        assert not any("scheduler active" in line for line in lines)

        held.release()
        _wait_for(lambda: any("scheduler active" in line for line in lines), timeout=10)
        _wait_for(lambda: _holder() is not None, timeout=10)

        process.terminate()
        assert process.wait(timeout=10) == 0
        reader.join(timeout=5)
        assert any("scheduler stopped" in line for line in lines)
        assert held.acquire()  # the stopped scheduler let go of the lock
    finally:
        held.release()
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
