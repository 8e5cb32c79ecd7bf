"""Django settings for Midoffice, read from the environment (see docs/config.md)."""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from midoffice.core.storage import s3_storage
from midoffice.envconfig import env

BASE_DIR = Path(__file__).resolve().parents[2]
# pytest-django imports these settings before any conftest can set variables, so the
# test run is recognised here; it only relaxes the secret-key requirement.
TESTING = "pytest" in sys.modules

DATA_DIR = Path(
    env(
        "MIDOFFICE_DATA_DIR",
        "",
        "Folder for the embedded SQLite database, stored files and caught mail. "
        "Empty: var/ in the project folder.",
    )
    or BASE_DIR / "var"
)

# The embedded default must work on a fresh machine: the data folder is made on start.
DATA_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env(
    "MIDOFFICE_DEBUG", False, "Development mode: detailed error pages. Never in production."
)
SECRET_KEY = env(
    "MIDOFFICE_SECRET_KEY",
    "",
    "Secret used to sign sessions and links. Required unless MIDOFFICE_DEBUG is true.",
    group="Security",
)
if not SECRET_KEY:
    if not (DEBUG or TESTING):
        raise ImproperlyConfigured(
            "MIDOFFICE_SECRET_KEY is not set. Set it to a long random string "
            "(python -c 'import secrets; print(secrets.token_urlsafe(50))'), "
            "or set MIDOFFICE_DEBUG=true for a development machine."
        )
    SECRET_KEY = "insecure-development-key-never-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env(
    "MIDOFFICE_ALLOWED_HOSTS",
    ["127.0.0.1", "localhost"],
    "Host names this server answers to.",
    group="Security",
)
CSRF_TRUSTED_ORIGINS = env(
    "MIDOFFICE_CSRF_TRUSTED_ORIGINS",
    [],
    "Origins (scheme://host) trusted for form posts behind a proxy.",
    group="Security",
)
SECURE_COOKIES = (
    env(
        "MIDOFFICE_SECURE_COOKIES",
        True,
        "Send session and CSRF cookies over HTTPS only (always off when MIDOFFICE_DEBUG is true).",
        group="Security",
    )
    and not DEBUG
)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
# HSTS: once a browser has seen Midoffice over HTTPS it refuses plain HTTP to this host for
# a year, so a network attacker cannot strip TLS from a later visit (a sign-in, a session
# cookie). Django sends it only on HTTPS responses (behind the proxy: X-Forwarded-Proto,
# MIDOFFICE_BEHIND_TLS_PROXY). Never in development, where the server speaks plain HTTP on
# 127.0.0.1 and a stuck HSTS entry would break other local projects on that host name.
HSTS_SECONDS = env(
    "MIDOFFICE_HSTS_SECONDS",
    365 * 24 * 3600,
    "Strict-Transport-Security max-age sent on HTTPS responses (one year); 0 turns HSTS off. "
    "Always off when MIDOFFICE_DEBUG is true.",
    group="Security",
)
SECURE_HSTS_SECONDS = 0 if DEBUG else HSTS_SECONDS
# Off by default: on a host name at the top of the town's domain it would force HTTPS on
# every sibling service below it, some of which may still speak plain HTTP.
SECURE_HSTS_INCLUDE_SUBDOMAINS = env(
    "MIDOFFICE_HSTS_INCLUDE_SUBDOMAINS",
    False,
    "Add includeSubDomains to the HSTS header: also every host name below Midoffice's own.",
    group="Security",
)
# Preload (a browser-built-in list) is a commitment for the whole domain that a town makes
# with its DNS owner, not a product setting: never sent.
SECURE_HSTS_PRELOAD = False
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
BEHIND_TLS_PROXY = env(
    "MIDOFFICE_BEHIND_TLS_PROXY",
    False,
    "Midoffice runs behind a reverse proxy that terminates TLS: trust its X-Forwarded-Proto, "
    "and take the client's address from X-Forwarded-For (see MIDOFFICE_PROXY_COUNT). "
    "Off: both headers are ignored and the client is the connection's peer.",
    group="Security",
)
if BEHIND_TLS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
PROXY_COUNT = env(
    "MIDOFFICE_PROXY_COUNT",
    1,
    "How many proxies in front of Midoffice each append to X-Forwarded-For; the client's "
    "address is the entry that many places from the right (the entries further left are "
    "written by the client and not trusted). Read only when MIDOFFICE_BEHIND_TLS_PROXY is true.",
    group="Security",
)

PUBLIC_URL = env(
    "MIDOFFICE_PUBLIC_URL",
    "http://127.0.0.1:8000",
    "The address citizens use to reach the portal; used in links in mail.",
)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    # Before django_tasks_db: its ``db_worker`` command is ours (warmed up, core.warmup).
    "midoffice.core",
    "django_tasks",
    "django_tasks_db",
    "django_htmx",
    "axes",
    "midoffice.accounts",
    "midoffice.catalog",
    "midoffice.parties",
    "midoffice.dossiers",
    "midoffice.routing",
    "midoffice.correspondence",
    "midoffice.intake",
    "midoffice.appointments",
    "midoffice.archive",
    "midoffice.analytics",
    "midoffice.web",
    "midoffice.publication",
    "midoffice.portal",
    "midoffice.places",
    "midoffice.systems",
    "midoffice.propertyinfo",
]

MIDDLEWARE = [
    # First: the latency it measures per view covers every other middleware (core.metrics).
    "midoffice.core.metrics.RequestLatencyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "midoffice.core.middleware.RequestIdMiddleware",
    "midoffice.core.middleware.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # A view that meets an unreachable database answers 503 and says so (issue 23).
    "midoffice.core.middleware.DatabaseUnavailableMiddleware",
    # Last: turns a sign-in that axes locked out into accounts.lockout.lockout_response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "midoffice.urls"
WSGI_APPLICATION = "midoffice.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
            # {{ value|display_text }} everywhere text from outside is shown (core.display).
            "builtins": ["midoffice.core.templatetags.display"],
        },
    },
]

DATABASE_URL = env(
    "DATABASE_URL",
    "",
    "Database, e.g. postgres://user:pass@host:5432/midoffice. Empty: embedded SQLite in "
    "MIDOFFICE_DATA_DIR.",
    group="Database",
)
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(DATA_DIR / "midoffice.sqlite3"),
        }
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers work beside the one writer; IMMEDIATE takes the write lock at
        # BEGIN, so two writers queue on busy_timeout instead of failing mid-transaction.
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }
    # Keep the connection (and SQLite's page and statement caches) between requests and
    # worker tasks: opening one per task made the worker spend more time reconnecting
    # and re-reading pages than processing a mail.
    DATABASES["default"]["CONN_MAX_AGE"] = 600
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test-midoffice.sqlite3")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# Sign-in lockout (django-axes, accounts.lockout): every door that takes a password (the
# workbench sign-in, the admin login) goes through authenticate(), so they share one count.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # ModelBackend that reads with the user whether the admin granted them anything.
    "midoffice.accounts.backends.StaffBackend",
    # Sessions signed in before StaffBackend name this one; kept so they stay valid.
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env(
    "MIDOFFICE_LOGIN_FAILURE_LIMIT",
    5,
    "Failed sign-ins for one user name (workbench and admin together) before that user name "
    "is locked out for MIDOFFICE_LOGIN_COOLOFF_MINUTES.",
    group="Security",
)
LOGIN_ADDRESS_FAILURE_LIMIT = (
    env(
        "MIDOFFICE_LOGIN_ADDRESS_FAILURE_LIMIT",
        0,
        "Failed sign-ins from one client address, whatever the user names, before that address "
        "is locked out. 0: four times MIDOFFICE_LOGIN_FAILURE_LIMIT.",
        group="Security",
    )
    or 4 * AXES_FAILURE_LIMIT
)
LOGIN_COOLOFF_MINUTES = env(
    "MIDOFFICE_LOGIN_COOLOFF_MINUTES",
    15,
    "Minutes after the last failed sign-in before a locked-out user name or address may try "
    "again. Administrators can lift a lockout sooner in the admin (Axes, access attempts).",
    group="Security",
)
AXES_COOLOFF_TIME = timedelta(minutes=LOGIN_COOLOFF_MINUTES)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # each on its own, not the pair
AXES_HANDLER = "midoffice.accounts.lockout.LockoutHandler"
AXES_CLIENT_IP_CALLABLE = "midoffice.accounts.lockout.client_ip"
AXES_LOCKOUT_CALLABLE = "midoffice.accounts.lockout.lockout_response"
AXES_COOLOFF_MESSAGE = (
    "Te veel mislukte aanmeldpogingen. "
    f"Probeer het over {LOGIN_COOLOFF_MINUTES} minuten opnieuw of vraag een beheerder om hulp."
)
# Tries while locked out are refused but do not restart the cool-off: the page promises a
# time, and keeping it lets the rightful user back in even while someone keeps guessing.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# No log row per successful sign-in: it would keep addresses forever, with no retention.
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False  # no start-up banner on every command; lockouts are still logged

LANGUAGE_CODE = "nl-be"
# Dutch only: every page's text exists in Dutch alone, so the browser's Accept-Language
# must not switch Django's own dates and messages to English inside a Dutch page (no
# LocaleMiddleware; tests/web/test_language.py).
LANGUAGES = [("nl", "Nederlands")]
LOCALE_PATHS = [BASE_DIR / "src" / "midoffice" / "locale"]
TIME_ZONE = env("MIDOFFICE_TIME_ZONE", "Europe/Brussels", "Time zone of the town.")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {
            "location": env(
                "MIDOFFICE_FILES_DIR",
                "",
                "Where raw mails, attachments, letters and packages are stored. "
                "Empty: MIDOFFICE_DATA_DIR/files.",
                group="Storage",
            )
            or str(DATA_DIR / "files")
        },
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Object storage (issue 23 part 5, ADR 21e): the same files in a private S3-compatible
# bucket, so web and worker hosts share them (options: core.storage.s3_storage).
STORAGE_KIND = env(
    "MIDOFFICE_STORAGE",
    "local",
    "Where stored files live: local (MIDOFFICE_FILES_DIR) or s3 (a private bucket in an "
    "S3-compatible object store, MIDOFFICE_S3_*).",
    group="Storage",
)
S3_BUCKET = env("MIDOFFICE_S3_BUCKET", "", "Bucket name (MIDOFFICE_STORAGE=s3).", group="Storage")
S3_ENDPOINT_URL = env(
    "MIDOFFICE_S3_ENDPOINT_URL",
    "",
    "Address of the S3-compatible server, e.g. https://s3.example.be. Empty: Amazon S3. "
    "With an address, buckets are addressed by path (https://host/bucket/...).",
    group="Storage",
)
S3_REGION = env("MIDOFFICE_S3_REGION", "", "Region of the bucket; empty: none.", group="Storage")
S3_ACCESS_KEY_ID = env(
    "MIDOFFICE_S3_ACCESS_KEY_ID",
    "",
    "Access key. Empty: boto3's own lookup (AWS_* variables, instance role).",
    group="Storage",
)
S3_SECRET_ACCESS_KEY = env(
    "MIDOFFICE_S3_SECRET_ACCESS_KEY", "", "Secret of the access key.", group="Storage"
)
if STORAGE_KIND not in ("local", "s3"):
    raise ImproperlyConfigured(f"MIDOFFICE_STORAGE must be local or s3, not {STORAGE_KIND!r}")
if STORAGE_KIND == "s3":
    if not S3_BUCKET:
        raise ImproperlyConfigured("MIDOFFICE_STORAGE=s3 needs MIDOFFICE_S3_BUCKET.")
    STORAGES["default"] = s3_storage(
        bucket=S3_BUCKET,
        endpoint_url=S3_ENDPOINT_URL,
        region=S3_REGION,
        access_key_id=S3_ACCESS_KEY_ID,
        secret_access_key=S3_SECRET_ACCESS_KEY,
    )
WHITENOISE_USE_FINDERS = True

TASKS = {
    "default": {
        "BACKEND": env(
            "MIDOFFICE_TASK_BACKEND",
            "django_tasks_db.DatabaseBackend",
            "Task backend. The database backend keeps tasks in the same transaction as data.",
            group="Background work",
        ),
        "QUEUES": ["default", "intake", "outbox"],
    }
}
TASK_RESULTS_KEEP_DAYS = env(
    "MIDOFFICE_TASK_RESULTS_KEEP_DAYS",
    14,
    "Finished background task results are deleted after this many days (nightly); every "
    "mail and outgoing message leaves one.",
    group="Background work",
)

EMAIL_HOST = env(
    "EMAIL_HOST",
    "",
    "Outgoing mail server. Empty: mail is caught in MIDOFFICE_DATA_DIR/mail-out and shown in "
    "the staff UI.",
    group="Mail",
)
EMAIL_PORT = env("EMAIL_PORT", 587, "Outgoing mail server port.", group="Mail")
EMAIL_HOST_USER = env("EMAIL_HOST_USER", "", "User name on the mail server.", group="Mail")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", "", "Password on the mail server.", group="Mail")
EMAIL_USE_TLS = env("EMAIL_USE_TLS", False, "Use STARTTLS to the mail server.", group="Mail")
EMAIL_USE_SSL = env("EMAIL_USE_SSL", False, "Use implicit TLS to the mail server.", group="Mail")
EMAIL_TIMEOUT = 30
DEFAULT_FROM_EMAIL = env(
    "MIDOFFICE_FROM_EMAIL",
    "Gemeente Leemdonk <onthaal@leemdonk.example>",
    "Sender of the mail Midoffice sends.",
    group="Mail",
)
INTAKE_ACK_MAX_PER_DAY = env(
    "MIDOFFICE_INTAKE_ACK_MAX_PER_DAY",
    3,
    "At most this many automatic acknowledgements per sender per day (loop protection).",
    group="Mail",
)
INTAKE_OWN_DOMAINS = env(
    "MIDOFFICE_INTAKE_OWN_DOMAINS",
    [],
    "Our own mail domains (besides the sender's): mail from them never gets an automatic reply.",
    group="Mail",
)
INTAKE_MAX_MESSAGE_BYTES = env(
    "MIDOFFICE_INTAKE_MAX_MESSAGE_BYTES",
    50 * 1024 * 1024,
    "Largest inbound message accepted; larger ones are quarantined with the reason.",
    group="Mail",
)
INTAKE_MAX_ATTACHMENTS = env(
    "MIDOFFICE_INTAKE_MAX_ATTACHMENTS",
    100,
    "Most attachments in one inbound message.",
    group="Mail",
)
INTAKE_MAX_NESTING = env(
    "MIDOFFICE_INTAKE_MAX_NESTING", 5, "How deep attached messages are read.", group="Mail"
)
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(DATA_DIR / "mail-out")

API_RATE_USER = env(
    "MIDOFFICE_API_RATE_USER",
    "6000/min",
    "API requests one user (one API token) may make per period: a number, a slash and "
    "sec, min, hour or day. Past it the API answers 429 with Retry-After. Counted in the "
    "database, so the limit holds for all workers and hosts together. Empty: no limit.",
    group="API",
)
API_RATE_ANON = env(
    "MIDOFFICE_API_RATE_ANON",
    "60/min",
    "API requests without a valid token one client address may make per period (all are "
    "refused; the limit slows down guessing). Same form as MIDOFFICE_API_RATE_USER.",
    group="API",
)
for _name, _rate in (
    ("MIDOFFICE_API_RATE_USER", API_RATE_USER),
    ("MIDOFFICE_API_RATE_ANON", API_RATE_ANON),
):
    _count, _, _period = _rate.partition("/")
    if _rate and not (_count.isdigit() and _period[:1] in ("s", "m", "h", "d")):
        raise ImproperlyConfigured(f"{_name} must look like 60/min (or be empty), not {_rate!r}")
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON in, as the OpenAPI document says; form posts get 415.
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "midoffice.core.api.DefaultCursorPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "midoffice.core.api.exception_handler",
    # Counted in the database (core.throttling, ADR 11); requests refused for want of a
    # valid token are counted per address by the exception handler (core.api).
    "DEFAULT_THROTTLE_CLASSES": [
        "midoffice.core.throttling.TokenThrottle",
        "midoffice.core.throttling.AddressThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {"anon": API_RATE_ANON or None, "user": API_RATE_USER or None},
}
# The OData feed for Power BI (/odata/, analytics.odata; docs/odata.md).
ODATA_PAGE_SIZE = env(
    "MIDOFFICE_ODATA_PAGE_SIZE",
    5000,
    "Rows per page of the OData feed; the next page is behind @odata.nextLink. A client "
    "may ask for smaller pages (Prefer: odata.maxpagesize).",
    group="OData",
)
ODATA_RATE = env(
    "MIDOFFICE_ODATA_RATE",
    "600/min",
    "OData requests one token may make per period (same form as MIDOFFICE_API_RATE_USER; "
    "empty: no limit). Requests without a valid token count towards MIDOFFICE_API_RATE_ANON.",
    group="OData",
)
if ODATA_RATE and not (
    ODATA_RATE.partition("/")[0].isdigit() and ODATA_RATE.partition("/")[2][:1] in "smhd"
):
    raise ImproperlyConfigured(
        f"MIDOFFICE_ODATA_RATE must look like 600/min (or be empty), not {ODATA_RATE!r}"
    )
if ODATA_PAGE_SIZE < 1:
    raise ImproperlyConfigured("MIDOFFICE_ODATA_PAGE_SIZE must be 1 or more")
ODATA_STAFF_NAMES = env(
    "MIDOFFICE_ODATA_STAFF_NAMES",
    False,
    "Show staff members' names in the OData feed (entity set Staff). Off: staff are ids with "
    "their role and teams.",
    group="OData",
)
SPECTACULAR_SETTINGS = {
    "TITLE": "Midoffice API",
    "DESCRIPTION": (
        "Dossiers, catalog and parties of the Midoffice mid-office.\n\n"
        "Every operation needs an API token (`Authorization: Token <key>`). Requests are "
        f"limited to {API_RATE_USER or 'no limit'} per token, and requests without a valid "
        f"token to {API_RATE_ANON or 'no limit'} per client address; past a limit the answer "
        "is 429 with `Retry-After` (seconds). Errors are JSON in Dutch: `detail` for the "
        "request as a whole, or a list of messages per field."
    ),
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and the docs page are for staff, like the API (README, issue 19).
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    # No "validator" badge: it would send the schema's address to swagger.io (and be
    # blocked by our CSP, img-src 'self').
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "COMPONENT_SPLIT_REQUEST": True,
    # Served from our own static files: no CDN, so the docs work offline and under CSP.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "PartyKindEnum": "midoffice.parties.models.Party.Kind",
        "ContactPointKindEnum": "midoffice.parties.models.ContactPoint.Kind",
    },
    # An appointment's invitation is documented at its .ics address (appointments.api_ical).
    "PREPROCESSING_HOOKS": ["midoffice.appointments.api_ical.schema_ics_path"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        # Documents the 400/401/403/404/415/429 answers of every operation in one shape.
        "midoffice.core.api.error_responses",
    ],
}

LOG_LEVEL = env("MIDOFFICE_LOG_LEVEL", "INFO", "Log level (DEBUG, INFO, WARNING, ERROR).")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "midoffice.core.logging.JsonFormatter"}},
    # Every line carries the request id; the redaction filter is a safety net (see
    # core.logging.RedactFilter), not a licence to log personal data.
    "filters": {
        "request_id": {"()": "midoffice.core.logging.RequestIdFilter"},
        "redact": {"()": "midoffice.core.logging.RedactFilter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "filters": ["request_id", "redact"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    # axes says INFO for every sign-in it looks at; its warnings (failures, lockouts) stay.
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        # aiosmtpd (the SMTP/LMTP listener) logs each sender and recipient address at INFO
        # and every line of a mail's content at DEBUG; its warnings stay.
        "mail.log": {"level": "WARNING"},
    },
}

# Correspondence (letters, signature folder, delivery) and its plugins.
TOWN_NAME = env(
    "MIDOFFICE_TOWN_NAME",
    "Gemeente Leemdonk",
    "The town's name on letters.",
    group="Correspondence",
)
TOWN_ADDRESS = env(
    "MIDOFFICE_TOWN_ADDRESS",
    "Marktplein 1, 2640 Leemdonk",
    "The town hall's address in the letterhead.",
    group="Correspondence",
)
CHANNEL_FALLBACK = env(
    "MIDOFFICE_CHANNEL_FALLBACK",
    ["ebox", "email", "paper"],
    "Order of channels tried when the citizen's preferred one is not usable (ebox, email, paper).",
    group="Correspondence",
)
MAGDA_PLUGIN = env(
    "MIDOFFICE_MAGDA_PLUGIN", "rest", "Documentendienst plugin (rest).", group="Correspondence"
)
MAGDA_URL = env(
    "MIDOFFICE_MAGDA_URL",
    "http://127.0.0.1:8083",
    "Base URL of the MAGDA Documentendienst. The default is the fake, which serve_all starts.",
    group="Correspondence",
)
MAGDA_TOKEN = env(
    "MIDOFFICE_MAGDA_TOKEN", "", "Bearer token for the Documentendienst.", group="Correspondence"
)
MAGDA_TIMEOUT = env(
    "MIDOFFICE_MAGDA_TIMEOUT",
    20,
    "Seconds to wait for the Documentendienst.",
    group="Correspondence",
)
MAGDA_EMAIL = env(
    "MIDOFFICE_MAGDA_EMAIL",
    False,
    "Send e-mail answers through the Documentendienst instead of the town's SMTP server.",
    group="Correspondence",
)
# Read by integrations.transport (ADR 22d): mutual TLS and OAuth2 for the Documentendienst,
# checked at start-up by correspondence.apps (a bad file or password names its variable).
MAGDA_CLIENT_P12 = env(
    "MIDOFFICE_MAGDA_CLIENT_P12",
    "",
    "PKCS#12 file with the town's client certificate (and chain) and key for mutual TLS "
    "with MAGDA. Empty: no client certificate, or the PEM files below.",
    group="Correspondence: MAGDA connection",
)
MAGDA_CLIENT_P12_PASSWORD = env(
    "MIDOFFICE_MAGDA_CLIENT_P12_PASSWORD",
    "",
    "Password of MIDOFFICE_MAGDA_CLIENT_P12.",
    group="Correspondence: MAGDA connection",
)
MAGDA_CLIENT_CERT = env(
    "MIDOFFICE_MAGDA_CLIENT_CERT",
    "",
    "Instead of the PKCS#12 file: PEM file with the client certificate, then its "
    "intermediate certificates.",
    group="Correspondence: MAGDA connection",
)
MAGDA_CLIENT_KEY = env(
    "MIDOFFICE_MAGDA_CLIENT_KEY",
    "",
    "PEM file with the unencrypted private key of MIDOFFICE_MAGDA_CLIENT_CERT (readable by "
    "Midoffice only). Empty: the key is in the certificate file.",
    group="Correspondence: MAGDA connection",
)
MAGDA_CA_BUNDLE = env(
    "MIDOFFICE_MAGDA_CA_BUNDLE",
    "",
    "PEM file with the CA certificates the Documentendienst's server certificate must chain "
    "to. Empty: the system's trust store.",
    group="Correspondence: MAGDA connection",
)
MAGDA_OAUTH_TOKEN_URL = env(
    "MIDOFFICE_MAGDA_OAUTH_TOKEN_URL",
    "",
    "Token endpoint for the OAuth2 client-credentials grant (https). Empty: no OAuth2; "
    "MIDOFFICE_MAGDA_TOKEN, if set, is sent as it is.",
    group="Correspondence: MAGDA connection",
)
MAGDA_OAUTH_CLIENT_ID = env(
    "MIDOFFICE_MAGDA_OAUTH_CLIENT_ID",
    "",
    "OAuth2 client id of the town at the token endpoint.",
    group="Correspondence: MAGDA connection",
)
MAGDA_OAUTH_AUTH_METHOD = env(
    "MIDOFFICE_MAGDA_OAUTH_AUTH_METHOD",
    "client_secret_basic",
    "How the client proves itself at the token endpoint: client_secret_basic, "
    "client_secret_post, or private_key_jwt (a signed client assertion, RFC 7523).",
    group="Correspondence: MAGDA connection",
)
MAGDA_OAUTH_CLIENT_SECRET = env(
    "MIDOFFICE_MAGDA_OAUTH_CLIENT_SECRET",
    "",
    "Client secret (client_secret_basic and client_secret_post).",
    group="Correspondence: MAGDA connection",
)
MAGDA_OAUTH_PRIVATE_KEY = env(
    "MIDOFFICE_MAGDA_OAUTH_PRIVATE_KEY",
    "",
    "private_key_jwt: PEM file with the unencrypted RSA or EC key that signs the client "
    "assertion. Empty: the key of the client certificate.",
    group="Correspondence: MAGDA connection",
)
MAGDA_OAUTH_KEY_ID = env(
    "MIDOFFICE_MAGDA_OAUTH_KEY_ID",
    "",
    "private_key_jwt: the key id (kid) under which the public key is registered.",
    group="Correspondence: MAGDA connection",
)
MAGDA_OAUTH_AUDIENCE = env(
    "MIDOFFICE_MAGDA_OAUTH_AUDIENCE",
    "",
    "private_key_jwt: the audience (aud) of the client assertion. Empty: the token URL.",
    group="Correspondence: MAGDA connection",
)
MAGDA_OAUTH_SCOPE = env(
    "MIDOFFICE_MAGDA_OAUTH_SCOPE",
    "",
    "Scopes asked for, separated by spaces. Empty: none asked (the client's default).",
    group="Correspondence: MAGDA connection",
)
SIGNING_PLUGIN = env(
    "MIDOFFICE_SIGNING_PLUGIN",
    "pades",
    "Signing adapter: pades (built-in, pyHanko, the PKCS#12 file below) or csc (the town's "
    "key at a remote signing service, Cloud Signature Consortium API v2; see "
    "MIDOFFICE_SIGNING_CSC_URL).",
    group="Correspondence",
)
SIGNING_P12 = env(
    "MIDOFFICE_SIGNING_P12",
    "",
    "PKCS#12 file with the town's signing key and certificate. Empty: "
    "MIDOFFICE_DATA_DIR/town-signing.p12 (the demo certificate).",
    group="Correspondence",
) or str(DATA_DIR / "town-signing.p12")
SIGNING_P12_PASSWORD = env(
    "MIDOFFICE_SIGNING_P12_PASSWORD", "", "Passphrase of that PKCS#12 file.", group="Correspondence"
)
SIGNING_TRUST_ROOT = env(
    "MIDOFFICE_SIGNING_TRUST_ROOT",
    "",
    "PEM file of the root that issued the town's certificate (to verify signatures). Empty: "
    "the demo root beside the PKCS#12 file.",
    group="Correspondence",
)
SIGNING_LEVEL = env(
    "MIDOFFICE_SIGNING_LEVEL",
    "B-LT",
    "PAdES level of signed letters: B-LT (timestamp and revocation data embedded, verifiable "
    "after the certificate expires), B-LTA (plus a document timestamp, for archives), B-T "
    "(timestamp only) or B-B (no timestamp; only allowed when MIDOFFICE_DEBUG is true).",
    group="Correspondence",
)
if SIGNING_LEVEL not in ("B-B", "B-T", "B-LT", "B-LTA"):
    raise ImproperlyConfigured(
        f"MIDOFFICE_SIGNING_LEVEL must be B-LT, B-LTA, B-T or B-B, not {SIGNING_LEVEL!r}"
    )
SIGNING_TSA_URL = env(
    "MIDOFFICE_SIGNING_TSA_URL",
    "",
    "RFC 3161 timestamp authority for signed letters. Empty: http://127.0.0.1:8088/tsa (the "
    "demo PKI that serve_all starts) when MIDOFFICE_DEBUG is true; required otherwise.",
    group="Correspondence",
) or ("http://127.0.0.1:8088/tsa" if DEBUG else "")
SIGNING_TSA_USERNAME = env(
    "MIDOFFICE_SIGNING_TSA_USERNAME",
    "",
    "User name for HTTP basic authentication at the timestamp authority (empty: none).",
    group="Correspondence",
)
SIGNING_TSA_PASSWORD = env(
    "MIDOFFICE_SIGNING_TSA_PASSWORD",
    "",
    "Password for that user at the timestamp authority.",
    group="Correspondence",
)
SIGNING_TIMEOUT = env(
    "MIDOFFICE_SIGNING_TIMEOUT",
    10,
    "Seconds to wait for the timestamp authority and each OCSP responder or CRL.",
    group="Correspondence",
)
if SIGNING_PLUGIN not in ("pades", "csc"):
    # "fake-external" is gone: the demo's external service is csc with the fake CSC service.
    raise ImproperlyConfigured(
        f"MIDOFFICE_SIGNING_PLUGIN must be pades or csc, not {SIGNING_PLUGIN!r}"
    )
SIGNING_CSC_URL = env(
    "MIDOFFICE_SIGNING_CSC_URL",
    "",
    "Base URL of the remote signing service (CSC API v2: the part before /csc/v2/), for "
    "MIDOFFICE_SIGNING_PLUGIN=csc. Empty: the fake CSC service on http://127.0.0.1:8089 "
    "(which serve_all starts) when MIDOFFICE_DEBUG is true; required otherwise.",
    group="Correspondence: remote signing (CSC)",
)
SIGNING_CSC_TOKEN_URL = env(
    "MIDOFFICE_SIGNING_CSC_TOKEN_URL",
    "",
    "OAuth2 token endpoint of the signing service. Empty: <oauth2>/oauth2/token, with the "
    "oauth2 address the service gives in /csc/v2/info (else the service's own URL).",
    group="Correspondence: remote signing (CSC)",
)
SIGNING_CSC_CLIENT_ID = env(
    "MIDOFFICE_SIGNING_CSC_CLIENT_ID",
    "",
    "OAuth2 client id of Midoffice at the signing service (client-credentials grant; the "
    "token is cached until shortly before it expires). Empty: no token is sent.",
    group="Correspondence: remote signing (CSC)",
)
SIGNING_CSC_CLIENT_SECRET = env(
    "MIDOFFICE_SIGNING_CSC_CLIENT_SECRET",
    "",
    "OAuth2 client secret that goes with MIDOFFICE_SIGNING_CSC_CLIENT_ID.",
    group="Correspondence: remote signing (CSC)",
)
SIGNING_CSC_CREDENTIAL_ID = env(
    "MIDOFFICE_SIGNING_CSC_CREDENTIAL_ID",
    "",
    "The credential (key and certificate, usually the town's e-seal) to sign with. Empty: "
    "the only credential credentials/list gives Midoffice.",
    group="Correspondence: remote signing (CSC)",
)
SIGNING_CSC_PIN = env(
    "MIDOFFICE_SIGNING_CSC_PIN",
    "",
    "PIN sent with credentials/authorize when the credential's authorisation is explicit. "
    "Unused for implicit credentials; credentials that need a one-time code or a person "
    "signing in (oauth2code) cannot sign unattended and are refused.",
    group="Correspondence: remote signing (CSC)",
)
SIGNING_CSC_TIMEOUT = env(
    "MIDOFFICE_SIGNING_CSC_TIMEOUT",
    30,
    "Seconds to wait for each call to the signing service.",
    group="Correspondence: remote signing (CSC)",
)
# The demo's external signing service: the fake, with the fake's demo client and PIN.
FAKE_CSC = SIGNING_PLUGIN == "csc" and not SIGNING_CSC_URL and DEBUG
if FAKE_CSC:
    SIGNING_CSC_URL = "http://127.0.0.1:8089"
if SIGNING_PLUGIN == "csc" and not SIGNING_CSC_URL:
    raise ImproperlyConfigured("MIDOFFICE_SIGNING_PLUGIN=csc needs MIDOFFICE_SIGNING_CSC_URL.")
if SIGNING_PLUGIN == "csc" and not (
    SIGNING_CSC_URL.startswith("https://")
    or (
        SIGNING_CSC_URL.startswith("http://")
        and urlsplit(SIGNING_CSC_URL).hostname in ("127.0.0.1", "localhost", "::1")
    )
):
    # The PIN and the tokens travel with every call.
    raise ImproperlyConfigured(
        "MIDOFFICE_SIGNING_CSC_URL must be an https:// address (plain http only on loopback)."
    )

# --- Citizen portal, citizen login, DOSIS and webhooks (apps portal and publication) ---
PORTAL_LINK_MINUTES = env(
    "MIDOFFICE_PORTAL_LINK_MINUTES",
    30,
    "Minutes an e-mailed portal sign-in link stays valid (it works once).",
    group="Citizen portal",
)
PORTAL_LINKS_PER_HOUR = env(
    "MIDOFFICE_PORTAL_LINKS_PER_HOUR",
    3,
    "Sign-in links mailed per address per hour (ten times that per client address).",
    group="Citizen portal",
)
PORTAL_ADDRESS_SUGGESTIONS_PER_MINUTE = env(
    "MIDOFFICE_PORTAL_ADDRESS_SUGGESTIONS_PER_MINUTE",
    60,
    "Address suggestions (the portal's autocomplete, no sign-in) per client address per minute.",
    group="Citizen portal",
)
PORTAL_UPLOAD_MAX_MB = env(
    "MIDOFFICE_PORTAL_UPLOAD_MAX_MB",
    10,
    "Largest attachment (MB) a citizen may add to a follow-up question.",
    group="Citizen portal",
)
OIDC_ISSUER = env(
    "MIDOFFICE_OIDC_ISSUER",
    "",
    "Issuer URL of the citizen login (ACM/IDM). Empty: the fake provider on "
    "http://127.0.0.1:8081 when MIDOFFICE_DEBUG is true, else no OIDC sign-in.",
    group="Citizen login (OIDC)",
)
OIDC_CLIENT_ID = env(
    "MIDOFFICE_OIDC_CLIENT_ID",
    "",
    "Client id registered at the provider.",
    group="Citizen login (OIDC)",
)
OIDC_CLIENT_SECRET = env(
    "MIDOFFICE_OIDC_CLIENT_SECRET",
    "",
    "Client secret registered at the provider.",
    group="Citizen login (OIDC)",
)
OIDC_SCOPES = env(
    "MIDOFFICE_OIDC_SCOPES",
    ["openid", "profile", "rrn"],
    "Scopes asked for at sign-in.",
    group="Citizen login (OIDC)",
)
OIDC_RRN_CLAIM = env(
    "MIDOFFICE_OIDC_RRN_CLAIM",
    "rrn",
    "Claim that holds the national number.",
    group="Citizen login (OIDC)",
)
OIDC_GIVEN_NAME_CLAIM = env(
    "MIDOFFICE_OIDC_GIVEN_NAME_CLAIM",
    "given_name",
    "Claim that holds the first name.",
    group="Citizen login (OIDC)",
)
OIDC_FAMILY_NAME_CLAIM = env(
    "MIDOFFICE_OIDC_FAMILY_NAME_CLAIM",
    "family_name",
    "Claim that holds the family name.",
    group="Citizen login (OIDC)",
)
FAKE_OIDC = not OIDC_ISSUER and DEBUG
if FAKE_OIDC:
    OIDC_ISSUER, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET = (
        "http://127.0.0.1:8081",
        "midoffice-demo",
        "demo-secret",
    )
STAFF_OIDC_ISSUER = env(
    "MIDOFFICE_STAFF_OIDC_ISSUER",
    "",
    "Issuer URL of the town's identity provider for staff sign-in, e.g. "
    "https://login.microsoftonline.com/<tenant-id>/v2.0 for Entra ID. Empty: staff sign in "
    "with local passwords only.",
    group="Staff sign-in (OIDC)",
)
STAFF_OIDC_CLIENT_ID = env(
    "MIDOFFICE_STAFF_OIDC_CLIENT_ID",
    "",
    "Client (application) id of Midoffice at the town's identity provider.",
    group="Staff sign-in (OIDC)",
)
STAFF_OIDC_CLIENT_SECRET = env(
    "MIDOFFICE_STAFF_OIDC_CLIENT_SECRET",
    "",
    "Client secret of Midoffice at the town's identity provider.",
    group="Staff sign-in (OIDC)",
)
STAFF_OIDC_SCOPES = env(
    "MIDOFFICE_STAFF_OIDC_SCOPES",
    ["openid", "profile", "email"],
    "Scopes asked for at staff sign-in.",
    group="Staff sign-in (OIDC)",
)
STAFF_OIDC_USERNAME_CLAIM = env(
    "MIDOFFICE_STAFF_OIDC_USERNAME_CLAIM",
    "preferred_username",
    "Claim that becomes the staff user name (preferred_username, upn or email).",
    group="Staff sign-in (OIDC)",
)
STAFF_OIDC_GROUPS_CLAIM = env(
    "MIDOFFICE_STAFF_OIDC_GROUPS_CLAIM",
    "groups",
    'Claim with the user\'s groups: "groups" (Entra ID sends group object ids) or "roles" '
    "(app roles).",
    group="Staff sign-in (OIDC)",
)
STAFF_OIDC_GROUP_MAP = env(
    "MIDOFFICE_STAFF_OIDC_GROUP_MAP",
    "{}",
    'JSON: group claim value -> {"role": ..., "teams": [team codes]}, e.g. '
    '{"6f1c...": {"role": "handler", "teams": ["omgeving"]}}. Roles: front_desk, handler, '
    "team_lead, archivist, administrator. Several groups: the strongest role and all teams. "
    "A user in no mapped group cannot sign in.",
    group="Staff sign-in (OIDC)",
)
# `make run`: the fake provider (port 8081) also plays the town's identity provider, with
# the demo staff and groups of integrations/fake_oidc/staff.py.
FAKE_STAFF_OIDC = FAKE_OIDC and not STAFF_OIDC_ISSUER
if FAKE_STAFF_OIDC:
    STAFF_OIDC_ISSUER, STAFF_OIDC_CLIENT_ID, STAFF_OIDC_CLIENT_SECRET = (
        "http://127.0.0.1:8081",
        "midoffice-staff-demo",
        "staff-secret",
    )
    if STAFF_OIDC_GROUP_MAP == "{}":
        STAFF_OIDC_GROUP_MAP = (
            '{"sg-midoffice-omgeving": {"role": "handler", "teams": ["omgeving"]},'
            ' "sg-midoffice-teamleads": {"role": "team_lead", "teams": []}}'
        )
DOSIS_ENDPOINT = env(
    "MIDOFFICE_DOSIS_ENDPOINT",
    "",
    "Base URL of the MAGDA DOSIS services. Empty: the fake DOSIS on http://127.0.0.1:8082 "
    "when MIDOFFICE_DEBUG is true, else no status publication.",
    group="DOSIS",
)
DOSIS_ENTITY = env(
    "MIDOFFICE_DOSIS_ENTITY",
    "LEEMDONK",
    "Code of the town as DOSIS entity (Entiteit).",
    group="DOSIS",
)
DOSIS_SOURCE = env(
    "MIDOFFICE_DOSIS_SOURCE",
    "MIDOFFICE",
    "Source system code (Bron) sent to DOSIS.",
    group="DOSIS",
)
# Read by publication.services: the poll of GeefResultaatRegistratie (ADR 24).
DOSIS_RESULT_MAX_AGE_HOURS = env(
    "MIDOFFICE_DOSIS_RESULT_MAX_AGE_HOURS",
    72,
    "How long Midoffice keeps asking DOSIS (GeefResultaatRegistratie) for the outcome of a "
    "registration; after that it is flagged 'no result' in the admin and on the dossier.",
    group="DOSIS",
)
DOSIS_POLL_BATCH = env(
    "MIDOFFICE_DOSIS_POLL_BATCH",
    200,
    "How many registrations one run of the DOSIS result poll asks about (oldest first).",
    group="DOSIS",
)
DOSIS_RETRY_LIMIT = env(
    "MIDOFFICE_DOSIS_RETRY_LIMIT",
    5,
    "How many times a registration DOSIS refused for a transient reason is sent again "
    "before it is flagged.",
    group="DOSIS",
)
DOSIS_TRANSIENT_REASONS = env(
    "MIDOFFICE_DOSIS_TRANSIENT_REASONS",
    ["30010"],
    "DOSIS reason codes (Uitzondering/Identificatie) that mean 'try again later'; a refusal "
    "with any other code is flagged for a person. Correct after the MAGDA onboarding.",
    group="DOSIS",
)
# Read by integrations.transport (ADR 22d): mutual TLS with DOSIS, checked at start-up by
# publication.apps.
DOSIS_CLIENT_P12 = env(
    "MIDOFFICE_DOSIS_CLIENT_P12",
    "",
    "PKCS#12 file with the town's client certificate (and chain) and key for mutual TLS "
    "with DOSIS. Empty: no client certificate, or the PEM files below.",
    group="DOSIS",
)
DOSIS_CLIENT_P12_PASSWORD = env(
    "MIDOFFICE_DOSIS_CLIENT_P12_PASSWORD",
    "",
    "Password of MIDOFFICE_DOSIS_CLIENT_P12.",
    group="DOSIS",
)
DOSIS_CLIENT_CERT = env(
    "MIDOFFICE_DOSIS_CLIENT_CERT",
    "",
    "Instead of the PKCS#12 file: PEM file with the client certificate, then its "
    "intermediate certificates.",
    group="DOSIS",
)
DOSIS_CLIENT_KEY = env(
    "MIDOFFICE_DOSIS_CLIENT_KEY",
    "",
    "PEM file with the unencrypted private key of MIDOFFICE_DOSIS_CLIENT_CERT (readable by "
    "Midoffice only). Empty: the key is in the certificate file.",
    group="DOSIS",
)
DOSIS_CA_BUNDLE = env(
    "MIDOFFICE_DOSIS_CA_BUNDLE",
    "",
    "PEM file with the CA certificates DOSIS's server certificate must chain to. Empty: "
    "the system's trust store.",
    group="DOSIS",
)
FAKE_DOSIS = not DOSIS_ENDPOINT and DEBUG
if FAKE_DOSIS:
    DOSIS_ENDPOINT = "http://127.0.0.1:8082"

# --- Addresses and parcels: the Flemish base registers (app places, ADR 26) ---
# Read by places.registers: the address autocomplete, verification and same-property links.
ADDRESS_REGISTER_URL = env(
    "MIDOFFICE_ADDRESS_REGISTER_URL",
    "",
    "Base URL of the Adressenregister API v2 (Basisregisters Vlaanderen), e.g. "
    "https://api.basisregisters.vlaanderen.be. Empty: the fake registers on "
    "http://127.0.0.1:8090 when MIDOFFICE_DEBUG is true, else addresses are kept as typed "
    "and not verified.",
    group="Address registers",
)
CAPAKEY_REGISTER_URL = env(
    "MIDOFFICE_CAPAKEY_REGISTER_URL",
    "",
    "Base URL of the parcel register (Perceelregister API v2, parcels by CaPaKey). Empty: "
    "the same as MIDOFFICE_ADDRESS_REGISTER_URL.",
    group="Address registers",
)
ADDRESS_REGISTER_API_KEY = env(
    "MIDOFFICE_ADDRESS_REGISTER_API_KEY",
    "",
    "API key sent as the x-api-key header to both registers. Empty: none (the registers "
    "then apply a lower rate limit).",
    group="Address registers",
)
ADDRESS_REGISTER_TIMEOUT = env(
    "MIDOFFICE_ADDRESS_REGISTER_TIMEOUT",
    3,
    "Seconds to wait for a register answer. Slower: the address is saved as typed, marked "
    "not verified, and verified later by a background task.",
    group="Address registers",
)
FAKE_REGISTERS = not ADDRESS_REGISTER_URL and DEBUG
if FAKE_REGISTERS:
    ADDRESS_REGISTER_URL = "http://127.0.0.1:8090"

# Appointments
# Read by appointments.backends.get_backend: whose agenda the bookings go into.
APPOINTMENTS_BACKEND = env(
    "MIDOFFICE_APPOINTMENTS_BACKEND",
    "local",
    "Agenda the appointments are booked in: local (Midoffice's own: staff working hours, "
    "rooms and bookings) or jcc (the town's JCC-Afspraken; see MIDOFFICE_JCC_WSDL).",
    group="Appointments",
)
if APPOINTMENTS_BACKEND not in ("local", "jcc"):
    raise ImproperlyConfigured(
        f"MIDOFFICE_APPOINTMENTS_BACKEND must be local or jcc, not {APPOINTMENTS_BACKEND!r}"
    )

# Appointments: invitations and video
# Read by appointments.video (ADR 16): the video link of digital and hybrid appointments.
VIDEO_PROVIDER = env(
    "MIDOFFICE_VIDEO_PROVIDER",
    "midoffice.appointments.video.JitsiProvider",
    "Dotted path of the video-link provider (a class with create and cancel, see "
    "appointments.video.VideoProvider). The default makes Jitsi meeting links.",
    group="Appointments: invitations and video",
)
VIDEO_HOST = env(
    "MIDOFFICE_VIDEO_HOST",
    "meet.jit.si",
    "Host of the Jitsi server the default provider makes meeting links on (the town's own "
    "Jitsi server, or meet.jit.si).",
    group="Appointments: invitations and video",
)

# Appointments: JCC-Afspraken
# Read by appointments.backends.jcc when MIDOFFICE_APPOINTMENTS_BACKEND is jcc (ADR 17).
JCC_WSDL = env(
    "MIDOFFICE_JCC_WSDL",
    "",
    "The town's JCC-Afspraken GGS2 WSDL: a URL or a file path. Empty: the fake JCC on "
    "http://127.0.0.1:8086 (which serve_all starts) when MIDOFFICE_DEBUG is true.",
    group="Appointments: JCC-Afspraken",
)
JCC_ENDPOINT = env(
    "MIDOFFICE_JCC_ENDPOINT",
    "",
    "Address of the GGS2 service when it differs from the WSDL's soap:address. Empty: the WSDL's.",
    group="Appointments: JCC-Afspraken",
)
JCC_TIMEOUT = env(
    "MIDOFFICE_JCC_TIMEOUT",
    10,
    "Seconds to wait for JCC-Afspraken (each call, and reading the WSDL).",
    group="Appointments: JCC-Afspraken",
)
JCC_CLIENT_CERT = env(
    "MIDOFFICE_JCC_CLIENT_CERT",
    "",
    "PEM file of the client certificate for mutual TLS with JCC. Empty: none.",
    group="Appointments: JCC-Afspraken",
)
JCC_CLIENT_KEY = env(
    "MIDOFFICE_JCC_CLIENT_KEY",
    "",
    "PEM file of that certificate's private key. Empty: the key is in the certificate file.",
    group="Appointments: JCC-Afspraken",
)
JCC_CA_BUNDLE = env(
    "MIDOFFICE_JCC_CA_BUNDLE",
    "",
    "PEM file of the CAs that JCC's server certificate is checked against. Empty: the system's.",
    group="Appointments: JCC-Afspraken",
)
FAKE_JCC = not JCC_WSDL and DEBUG
if FAKE_JCC:
    JCC_WSDL = "http://127.0.0.1:8086/ggs2?wsdl"

# --- Archive: retention, E-ARK packages and the e-depot (app archive, ADR 14) ---
ARCHIVE_CREATOR_CODE = env(
    "MIDOFFICE_ARCHIVE_CREATOR_CODE",
    "",
    "Identification code of the town as archival creator in E-ARK packages (its KBO or "
    "OVO code). Empty: the packages name the town without a code.",
    group="Archive",
)
EDEPOT_NAME = env(
    "MIDOFFICE_EDEPOT_NAME",
    "Digitaal Archief Vlaanderen",
    "Name of the e-depot that preserves transferred dossiers (in every package).",
    group="Archive",
)
EDEPOT_PLUGIN = env(
    "MIDOFFICE_EDEPOT_PLUGIN",
    "http",
    "How packages reach the e-depot: http (its API; by default the fake e-depot) or "
    "folder (a drop folder, e.g. an SFTP mount, as BagIt bags).",
    group="Archive",
)
EDEPOT_URL = env(
    "MIDOFFICE_EDEPOT_URL",
    "http://127.0.0.1:8087",
    "Base URL of the e-depot's API. The default is the fake e-depot, which serve_all starts.",
    group="Archive",
)
EDEPOT_TOKEN = env("MIDOFFICE_EDEPOT_TOKEN", "", "Bearer token for the e-depot.", group="Archive")
EDEPOT_TIMEOUT = env(
    "MIDOFFICE_EDEPOT_TIMEOUT",
    120,
    "Seconds to wait for the e-depot (uploading a large package takes a while).",
    group="Archive",
)
EDEPOT_FOLDER = env(
    "MIDOFFICE_EDEPOT_FOLDER",
    "",
    "Drop folder of the folder plugin. Empty: MIDOFFICE_DATA_DIR/edepot-out.",
    group="Archive",
) or str(DATA_DIR / "edepot-out")
ARCHIVE_AUTO_TRANSFER = env(
    "MIDOFFICE_ARCHIVE_AUTO_TRANSFER",
    False,
    "Let the daily archive run request the transfer of due 'keep' dossiers itself; "
    "otherwise an archivist starts it on /archief/.",
    group="Archive",
)
ARCHIVE_TRANSFER_BATCH = env(
    "MIDOFFICE_ARCHIVE_TRANSFER_BATCH",
    200,
    "Most transfers requested at once (one click on /archief/, or one daily run).",
    group="Archive",
)

# --- Monitoring: /readyz and /metrics (core.health, core.metrics, ADR 21b) ---
METRICS_TOKEN = env(
    "MIDOFFICE_METRICS_TOKEN",
    "",
    "Bearer token Prometheus sends to GET /metrics (Authorization: Bearer ...). Empty: "
    "/metrics answers 404.",
    group="Monitoring",
)
HEALTH_TASK_MAX_AGE = env(
    "MIDOFFICE_HEALTH_TASK_MAX_AGE",
    300,
    "Seconds the oldest waiting background task may wait before /readyz reports the "
    "workers as behind (status degraded).",
    group="Monitoring",
)
HEALTH_SCHEDULER_MAX_AGE = env(
    "MIDOFFICE_HEALTH_SCHEDULER_MAX_AGE",
    180,
    "Seconds since the active scheduler's last tick before /readyz reports it as stopped "
    "(status degraded). It ticks every 30 seconds.",
    group="Monitoring",
)
HEALTH_MAILBOX_MAX_AGE = env(
    "MIDOFFICE_HEALTH_MAILBOX_MAX_AGE",
    900,
    "Seconds since an active IMAP mailbox's last successful poll before /readyz reports "
    "it (status degraded). Mailboxes are polled every minute.",
    group="Monitoring",
)
HEALTH_OUTBOX_MAX_FAILED = env(
    "MIDOFFICE_HEALTH_OUTBOX_MAX_FAILED",
    0,
    "Outgoing messages that failed for good (outbox) that /readyz tolerates before it "
    "reports the outbox (status degraded).",
    group="Monitoring",
)

# Property information per parcel (issue 15, ADR 27).
PROPERTY_PLUGIN = env(
    "MIDOFFICE_PROPERTY_PLUGIN",
    "",
    "Where the dossier page finds a parcel's permits, plans, heritage and zoning documents: "
    "fake (sample documents for every parcel, for the demo) or none (no platform: the "
    "dossier page says so). Empty: fake when MIDOFFICE_DEBUG is true, else none.",
    group="Property information",
) or ("fake" if DEBUG else "none")
if PROPERTY_PLUGIN not in ("fake", "none"):
    raise ImproperlyConfigured(
        f"MIDOFFICE_PROPERTY_PLUGIN must be fake or none, not {PROPERTY_PLUGIN!r}"
    )
