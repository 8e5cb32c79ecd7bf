"""gunicorn hooks: Django's start-up checks, and prometheus-client's multiprocess mode.

Used as ``gunicorn -c python:midoffice.core.gunicorn_conf midoffice.wsgi …``.

gunicorn does not run Django's system checks, which every management command (worker,
scheduler, migrate) runs; so the master runs ``midoffice check`` once before it starts any
worker, and a configuration that cannot work in production (no trust root for letter
signatures, no timestamp authority, ADR 22a) stops the web server too, with the message.

Only when ``PROMETHEUS_MULTIPROC_DIR`` is set: the workers keep their request latency
histograms in files in that folder and every scrape adds them up (ADR 21b). This module is
read by gunicorn's master before Django is set up, so it imports nothing of Django: the
check runs in a child process, and the master's memory stays free of Django (and of
metric files of its own).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any


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


def child_exit(server: Any, worker: Any) -> None:
    """A stopped worker's live gauges leave the sum (its counts and histograms stay)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]  # unannotated upstream
