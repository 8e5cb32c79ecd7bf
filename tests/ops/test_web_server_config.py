"""One web server configuration (ADR 31): the systemd unit and the benchmark both start
gunicorn with ``midoffice.core.gunicorn_conf``, which holds workers and timeouts."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from midoffice.core import gunicorn_conf

ROOT = Path(__file__).resolve().parents[2]


def test_the_configuration_file_holds_the_decided_settings():
    assert gunicorn_conf.workers == 2 * (os.cpu_count() or 1)
    assert gunicorn_conf.worker_class == "sync"
    assert (gunicorn_conf.timeout, gunicorn_conf.graceful_timeout) == (60, 30)
    assert (gunicorn_conf.max_requests, gunicorn_conf.max_requests_jitter) == (10000, 1000)
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


@pytest.mark.once
def test_preloaded_workers_recycle_and_their_request_counts_add_up(tmp_path):
    """gunicorn as configured (``preload_app``), three workers replaced every seven
    requests: every request is answered, and the latency histograms of the workers, the
    replaced ones included, add up in /metrics (prometheus-client's multiprocess mode)."""
    import signal
    import socket
    import subprocess
    import sys
    import time

    import requests

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    env = {k: v for k, v in os.environ.items() if not k.startswith("MIDOFFICE_")}
    env.pop("DATABASE_URL", None)  # an SQLite file of its own
    env.update(
        {
            "MIDOFFICE_DEBUG": "true",  # no signing set-up needed; the reloader is not used
            "MIDOFFICE_SECRET_KEY": "x" * 60,
            "MIDOFFICE_ALLOWED_HOSTS": "127.0.0.1",
            "MIDOFFICE_DATA_DIR": str(tmp_path),
            "MIDOFFICE_METRICS_TOKEN": "scrape-token",
            "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
        }
    )
    bin_dir = Path(sys.executable).parent
    subprocess.run([str(bin_dir / "midoffice"), "migrate", "-v0"], env=env, check=True, timeout=300)
    argv = [str(bin_dir / "gunicorn"), "-c", "python:midoffice.core.gunicorn_conf"]
    argv += ["midoffice.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "3"]
    argv += ["--max-requests", "7", "--max-requests-jitter", "0"]
    log = (tmp_path / "gunicorn.log").open("w")
    process = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                requests.get(f"{base}/healthz", timeout=5)
                break
            except requests.ConnectionError:
                assert process.poll() is None, (tmp_path / "gunicorn.log").read_text()
                assert time.monotonic() < deadline, "gunicorn did not answer"
                time.sleep(0.3)
        statuses = [requests.get(f"{base}/healthz", timeout=10).status_code for _ in range(29)]
        assert statuses == [200] * 29
        text = requests.get(
            f"{base}/metrics", headers={"Authorization": "Bearer scrape-token"}, timeout=10
        ).text
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
    served = [
        line
        for line in text.splitlines()
        if line.startswith("midoffice_http_request_duration_seconds_count{")
        and 'view="healthz"' in line
    ]
    assert len(served) == 1, served
    assert float(served[0].rsplit(" ", 1)[1]) == 30.0, served
    booted = (tmp_path / "gunicorn.log").read_text().count("Booting worker")
    assert booted >= 4  # three at start; 30 requests make at least one worker serve 8
