from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from midoffice.envconfig import REGISTRY, render_markdown

ROOT = Path(settings.BASE_DIR)


def test_config_docs_match_the_code():
    """docs/config.md is generated from the settings code; regenerate with `make config-docs`."""
    assert (ROOT / "docs" / "config.md").read_text(encoding="utf-8") == render_markdown()


def test_every_setting_is_documented():
    for name in ["DATABASE_URL", "MIDOFFICE_SECRET_KEY", "EMAIL_HOST", "MIDOFFICE_ALLOWED_HOSTS"]:
        assert REGISTRY[name].doc


def test_production_without_secret_key_refuses_to_start(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "MIDOFFICE_DATA_DIR": str(tmp_path)}
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            (
                "import django, os; os.environ['DJANGO_SETTINGS_MODULE']="
                "'midoffice.settings'; django.setup()"
            ),
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "MIDOFFICE_SECRET_KEY is not set" in result.stderr


def test_bad_boolean_is_a_clear_error(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "MIDOFFICE_DEBUG": "misschien"}
    result = subprocess.run(
        [sys.executable, "-c", "import midoffice.settings"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert "MIDOFFICE_DEBUG must be true or false" in result.stderr


def test_healthz(client):
    assert client.get("/healthz").json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_checks_database_and_migrations(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    checks = response.json()["checks"]  # every part: tests/ops/test_health.py
    assert checks["database"] == {"ok": True}
    assert checks["migrations"] == {"ok": True}


def test_security_headers(client):
    response = client.get("/healthz")
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Request-ID"]
