"""Settings of the test provider's own Django project (not Midoffice's).

Its process gets ``OIDC_TEST_PROVIDER_DB`` (the SQLite file) and ``OIDC_TEST_PROVIDER_URL``
(http://127.0.0.1:<port>, the issuer) from :mod:`tests.integrations.real_oidc`."""

from __future__ import annotations

import os
from pathlib import Path

SECRET_KEY = "test-provider-only-not-a-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
USE_TZ = True
TIME_ZONE = "UTC"
ROOT_URLCONF = "tests.integrations.oidc_provider_site.urls"
SITE_URL = os.environ.get("OIDC_TEST_PROVIDER_URL", "http://127.0.0.1")
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "oidc_provider",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [Path(__file__).parent / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
    }
]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("OIDC_TEST_PROVIDER_DB", ":memory:"),
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGIN_URL = "/accounts/login/"
# The claims go into the ID token itself (Midoffice reads the ID token, not userinfo).
OIDC_IDTOKEN_INCLUDE_CLAIMS = True
# Seconds an ID token lives (the library's default, 600); a negative value plays a
# provider whose tokens are already expired when they arrive.
OIDC_IDTOKEN_EXPIRE = int(os.environ.get("OIDC_TEST_PROVIDER_IDTOKEN_EXPIRE", "600"))
OIDC_USERINFO = "tests.integrations.oidc_provider_site.claims.userinfo"
OIDC_EXTRA_SCOPE_CLAIMS = "tests.integrations.oidc_provider_site.claims.TownClaims"
