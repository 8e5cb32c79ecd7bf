"""Production refuses to start without what it needs: also the web server under gunicorn,
which (unlike the management commands) does not run Django's system checks by itself."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.once


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_gunicorn_refuses_to_start_without_the_signing_trust_root(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MIDOFFICE_")}
    env.update(
        {
            "MIDOFFICE_DEBUG": "false",
            "MIDOFFICE_SECRET_KEY": "x" * 60,
            "MIDOFFICE_ALLOWED_HOSTS": "127.0.0.1",
            "MIDOFFICE_DATA_DIR": str(tmp_path),
            "MIDOFFICE_SIGNING_TSA_URL": "http://127.0.0.1:9/tsa",
            "MIDOFFICE_SIGNING_TRUST_ROOT": str(tmp_path / "missing-root.pem"),
        }
    )
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    argv = [gunicorn, "-c", "python:midoffice.core.gunicorn_conf", "midoffice.wsgi"]
    argv += ["--bind", f"127.0.0.1:{_free_port()}", "--workers", "1"]
    process = subprocess.Popen(
        argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        _out, err = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode != 0
    assert "correspondence.E001" in err
    assert "missing-root.pem" in err
    assert "Booting worker" not in err  # stopped before any worker served a request
