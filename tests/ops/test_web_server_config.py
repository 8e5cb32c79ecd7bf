"""One web server configuration (ADR 31): the systemd unit and the benchmark both start
gunicorn with ``midoffice.core.gunicorn_conf``, which holds workers and timeouts."""

from __future__ import annotations

import os
import re
from pathlib import Path

from midoffice.core import gunicorn_conf

ROOT = Path(__file__).resolve().parents[2]


def test_the_configuration_file_holds_the_decided_settings():
    assert gunicorn_conf.workers == 2 * (os.cpu_count() or 1)
    assert gunicorn_conf.worker_class == "sync"
    assert (gunicorn_conf.timeout, gunicorn_conf.graceful_timeout) == (60, 30)
    assert (gunicorn_conf.max_requests, gunicorn_conf.max_requests_jitter) == (2000, 200)
    assert gunicorn_conf.preload_app is True


def test_the_unit_and_the_bench_take_their_settings_from_that_file_only():
    unit = (ROOT / "deploy/systemd/midoffice-web.service").read_text()
    start = next(line for line in unit.splitlines() if line.startswith("ExecStart="))
    assert "-c python:midoffice.core.gunicorn_conf" in start
    assert not re.search(r"--(workers|threads|timeout|graceful-timeout|max-requests)\b", start)
    bench = (ROOT / "bench/http_load.py").read_text()
    assert '"python:midoffice.core.gunicorn_conf"' in bench
    assert '"--timeout"' not in bench


def test_loading_the_application_opens_no_database_connection(tmp_path):
    """The master loads the application once and forks the workers from it
    (``preload_app``): a connection opened while loading would be shared by every worker."""
    import subprocess
    import sys

    script = (
        "import midoffice.wsgi\n"
        "from django.db import connections\n"
        "print([alias for alias in connections if connections[alias].connection is not None])\n"
    )
    env = {**os.environ, "MIDOFFICE_DATA_DIR": str(tmp_path), "MIDOFFICE_DEBUG": "false"}
    env.setdefault("MIDOFFICE_SECRET_KEY", "test-only")
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"
