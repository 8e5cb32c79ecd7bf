"""WSGI entry point (gunicorn midoffice.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "midoffice.settings")
application = get_wsgi_application()
# The URL configuration, and with it every view module, is loaded with the application -
# once, in gunicorn's master (``preload_app``, ADR 31) - and not during the first request
# each worker serves: that request took about 0.6 s more, once per worker and again after
# each recycling (ADR 32).
get_resolver().url_patterns  # noqa: B018 - loading is the point
