"""gunicorn hooks for prometheus-client's multiprocess mode (ADR 21b).

Used as ``gunicorn -c python:midoffice.core.gunicorn_conf midoffice.wsgi …``. Only when
``PROMETHEUS_MULTIPROC_DIR`` is set: the workers then keep their request latency
histograms in files in that folder and every scrape adds them up. This module is read by
gunicorn's master before Django is set up, so it imports nothing of Django.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any


def on_starting(server: Any) -> None:
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
