"""A web worker loads the URL configuration when it starts, not in its first request."""

from __future__ import annotations

import os
import subprocess
import sys


def test_importing_the_wsgi_application_loads_every_view() -> None:
    code = (
        "import sys, midoffice.wsgi;"
        "from django.urls import get_resolver;"
        "assert 'url_patterns' in vars(get_resolver()), 'URLconf not loaded';"
        "assert 'midoffice.analytics.odata.views' in sys.modules"
    )
    env = {**os.environ, "MIDOFFICE_DEBUG": "true"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]
