"""Issue 19, item 9: HSTS in production (configurable, never in development)."""

from __future__ import annotations

import json
import subprocess
import sys

ONE_YEAR = 365 * 24 * 3600


def _production_settings(tmp_path, **extra: str) -> dict[str, object]:
    """The settings a production process gets from this environment (a fresh interpreter,
    so nothing of the test run's settings leaks in)."""
    env = {
        "PATH": "/usr/bin:/bin",
        "MIDOFFICE_DATA_DIR": str(tmp_path),
        "MIDOFFICE_SECRET_KEY": "x" * 50,
        **extra,
    }
    names = ["SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD"]
    script = (
        "import json, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'midoffice.settings'\n"
        "import django; django.setup()\n"
        "from django.conf import settings\n"
        f"print(json.dumps({{n: getattr(settings, n) for n in {names!r}}}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_sends_hsts_for_a_year_without_subdomains_or_preload(tmp_path):
    assert _production_settings(tmp_path) == {
        "SECURE_HSTS_SECONDS": ONE_YEAR,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": False,
        "SECURE_HSTS_PRELOAD": False,
    }


def test_hsts_is_configurable_and_off_in_development(tmp_path):
    configured = _production_settings(
        tmp_path, MIDOFFICE_HSTS_SECONDS="600", MIDOFFICE_HSTS_INCLUDE_SUBDOMAINS="true"
    )
    assert configured["SECURE_HSTS_SECONDS"] == 600
    assert configured["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert _production_settings(tmp_path, MIDOFFICE_DEBUG="true")["SECURE_HSTS_SECONDS"] == 0


def test_an_https_response_carries_hsts(client):
    assert client.get("/healthz", secure=True)["Strict-Transport-Security"] == (
        f"max-age={ONE_YEAR}"
    )
    # Plain HTTP never does (a browser ignores it there anyway).
    assert "Strict-Transport-Security" not in client.get("/healthz")
