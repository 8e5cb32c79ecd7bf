"""gunicorn's configuration: the web server's settings, Django's start-up checks, and
prometheus-client's multiprocess mode.

Used as ``gunicorn -c python:midoffice.core.gunicorn_conf midoffice.wsgi --bind …``, by the
systemd unit and by the benchmark alike, so what is measured is what runs (ADR 31,
docs/operations.md). An option on the command line or in ``GUNICORN_CMD_ARGS`` overrides
the value here (e.g. ``--workers 8`` on a larger server).

Workers: sync workers, two per core (four on the 2-core town server). A request spends a
good part of its time waiting for PostgreSQL on the same machine, so two per core keep both
cores busy without the memory and context switches of more; sync workers keep Django's
one-connection-per-process model and make a slow request cost one worker, not a thread
pool's shared GIL. nginx buffers slow clients, so no worker waits on a citizen's network.

gunicorn does not run Django's system checks, which every management command (worker,
scheduler, migrate) runs; so the master runs ``midoffice check`` once before it starts any
worker, and a configuration that cannot work in production (no trust root for letter
signatures, no timestamp authority, ADR 22a) stops the web server too, with the message.

Only when ``PROMETHEUS_MULTIPROC_DIR`` is set: the workers keep their request latency
histograms in files in that folder and every scrape adds them up (ADR 21b). This module is
read by gunicorn's master before Django is set up, so it imports nothing of Django: the
check runs in a child process.

The application is loaded once, in the master (``preload_app``), and each worker is a fork
of it: starting a worker cost some 1.4 s of CPU (Django, the URL configuration, every
view module), paid by each of the four workers at start and again at every recycling.
The master holds no database connection (Django connects on the first query, and the
master makes none); ``pre_fork`` closes any all the same, so no two workers ever share
one. Loading in the master means new code needs a restart (``systemctl restart``), which
an upgrade already does; a reload (``HUP``) starts fresh workers of the same code. Request
latency histograms have labels, so their files are made by the workers that observe,
never by the master.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

#: Two sync workers per core (see above).
workers = 2 * (os.cpu_count() or 1)
worker_class = "sync"
#: A request still running after 60 s is stopped (nginx waits 75 s for an answer).
timeout = 60
#: On reload or stop, requests under way get 30 s to finish.
graceful_timeout = 30
#: Each worker is replaced after about 10,000 requests (spread, so not all at once): what
#: a long-lived process accumulates (memory fragmentation) does not build up. Not more
#: often: a fresh worker reads its memos, its queue counts and a new database session's
#: catalog again, which showed as a tail at sixteen clients (ADR 31).
max_requests = 10000
max_requests_jitter = 1000
preload_app = True


def on_starting(server: Any) -> None:
    _system_checks()
    _empty_metrics_folder()


def _system_checks() -> None:
    """Refuse to start on a configuration error, as the management commands do."""
    result = subprocess.run(
        [sys.executable, "-m", "midoffice.manage", "check", "--fail-level", "ERROR"],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit("Midoffice does not start: Django's system checks found errors (above).")


def _empty_metrics_folder() -> None:
    """Start from an empty folder: files of a previous run would be counted again."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        for stale in Path(folder).glob("*.db"):
            stale.unlink()


def pre_fork(server: Any, worker: Any) -> None:
    """No worker inherits a database connection of the master (there should be none)."""
    db = sys.modules.get("django.db")
    if db is not None:
        db.connections.close_all()


def child_exit(server: Any, worker: Any) -> None:
    """A stopped worker's live gauges leave the sum (its counts and histograms stay)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]  # unannotated upstream
