"""Clearance settings: one file, driven by the environment (see README for every variable)."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def envint(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def envlist(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    return [part.strip() for part in value.split(",") if part.strip()] if value else default


DEBUG = envbool("DEBUG", True)
# A fixed development key keeps `make run` zero-configuration; production must set SECRET_KEY
# (`manage.py check --deploy` flags a key this short and predictable).
SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-insecure-key-change-me")
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "axes",
    "lib",
    "entities",
    "licensing",
    "compliance",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Integration accounts (order systems) reach the export check API and no page.
    "lib.middleware.MachineAccountsOnlyOnTheApi",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Content-Security-Policy on every response (policy below; the API docs relax it in config/urls.py).
    "csp.middleware.CSPMiddleware",
    # Records request.user as the history user of every tracked change made in a request.
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes requires, so it sees the outcome of authentication.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "lib.context_processors.navigation",
            ],
        },
    },
]

# No DATABASE_URL: an embedded SQLite file so `make run` needs nothing installed.
# The test suite refuses SQLite (tests/conftest.py): it must run on PostgreSQL.
DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'var' / 'clearance.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=envint("CONN_MAX_AGE", 60))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite has one writer at a time. Left at its defaults a transaction starts as a reader and
    # asks for the write lock at its first write, and a second writer doing the same gets
    # "database is locked" at once (a 500) instead of waiting. Taking the lock at BEGIN
    # (IMMEDIATE) makes concurrent writers queue for up to SQLITE_TIMEOUT_SECONDS, so a race
    # ends in a 409 from the services or in both succeeding; WAL lets pages read while someone
    # writes. Enough for the handful of users `make run` is for; production uses PostgreSQL.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": envint("SQLITE_TIMEOUT_SECONDS", 30),
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# An API token stops working this many days after it was issued (asking again gives a new one);
# a password change or reset, or deactivating the account, revokes it at once (lib/auth.py).
API_TOKEN_LIFETIME_DAYS = envint("API_TOKEN_LIFETIME_DAYS", 30)
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Log-in throttling: lock a username+IP pair out after repeated failures.
AXES_FAILURE_LIMIT = envint("AXES_FAILURE_LIMIT", 10)
AXES_COOLOFF_TIME = timedelta(minutes=envint("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
# WhiteNoise serves from app finders in development; the folder must exist for it to start quietly.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
WHITENOISE_USE_FINDERS = DEBUG
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "var" / "media"))
MEDIA_URL = "media/"
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 50 * 1024 * 1024
# Largest list file accepted by the browser upload (the full CSL is ~10 MB).
LIST_UPLOAD_MAX_BYTES = envint("LIST_UPLOAD_MAX_BYTES", 100 * 1024 * 1024)
# Days an imported list file is kept after its import for audit, then deleted by a daily task.
# The list version records what changed and the job keeps the file's SHA-256, so the raw file is
# needed only to answer "show me the file": raise this where the audit policy keeps it longer.
IMPORT_FILE_RETENTION_DAYS = envint("IMPORT_FILE_RETENTION_DAYS", 30)
# Where the case-file PDFs' small CJK fonts are kept once built (lib/pdf_fonts.py); empty means
# a directory under the system's temporary directory.
PDF_FONT_CACHE_DIR = os.environ.get("PDF_FONT_CACHE_DIR", "")
# Scheduled fetches of the official lists (entities.sources): a file larger, or a server slower,
# than this is refused rather than imported (the 2022 CSL CSV is about 10 MB).
LIST_SOURCE_MAX_BYTES = envint("LIST_SOURCE_MAX_BYTES", 200 * 1024 * 1024)
LIST_SOURCE_TIMEOUT_SECONDS = envint("LIST_SOURCE_TIMEOUT_SECONDS", 60)
# A dry run's file waits this long for an admin to apply it from the preview, then goes.
IMPORT_DRY_RUN_FILE_HOURS = envint("IMPORT_DRY_RUN_FILE_HOURS", 24)

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "clearance@localhost")

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = envbool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = envbool("SECURE_COOKIES", not DEBUG)
# Secure by default in production: with DEBUG off, plain HTTP is redirected and browsers are told
# to refuse it for a year unless a deployment says otherwise (a TLS proxy in front sets
# SECURE_PROXY_SSL_HEADER; a plain-HTTP test server sets SECURE_SSL_REDIRECT=0).
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 0 if DEBUG else 365 * 24 * 60 * 60)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Production hardening (README "Production"): HSTS scope and preload are commitments for the
# whole domain, so they are opt-in; behind a TLS-terminating proxy, trust its X-Forwarded-Proto.
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", False)
if envbool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Content-Security-Policy (django-csp): everything from this server and nothing inline, so an
# injected <script> or on*= handler does not run and a stolen page cannot be framed elsewhere.
# Page scripts are static files (static/js/); the only inline CSS is each dashboard chart's <style>
# from pygal, which carries the request's nonce. Air-gapped sites need no outside host anyway.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, NONCE],
        "img-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "lib.auth.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["lib.permissions.SignedInPerson"],
    # JSON nested too deeply is a 400 (lib/drf.py); forms and files as DRF's defaults.
    "DEFAULT_PARSER_CLASSES": [
        "lib.drf.DepthLimitedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "EXCEPTION_HANDLER": "lib.drf.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Clearance API",
    "DESCRIPTION": "Export-control compliance: the restricted-party list, screening, licence requests.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Air-gapped deployments: Swagger UI assets come from the installed sidecar package.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Swagger UI would otherwise send the schema to validator.swagger.io: nothing leaves the network.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    # Two models have a `kind` choice; naming both enums keeps the schema stable (and check --deploy quiet).
    "ENUM_NAME_OVERRIDES": {
        "ListVersionKindEnum": "entities.models.ListVersion.Kind",
        "RescreenJobKindEnum": "compliance.models.RescreenJob.Kind",
        "LicenceStatusEnum": "licensing.status.LicenceStatus",
        "ShipmentKindEnum": "licensing.models.Shipment.Kind",
    },
}

# Celery. Without REDIS_URL tasks run in-process (eagerly); they are still enqueued with
# transaction.on_commit, so they see committed data either way.
REDIS_URL = os.environ.get("REDIS_URL", "")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = envbool("CELERY_TASK_ALWAYS_EAGER", not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = envint("CELERY_TASK_TIME_LIMIT", 15 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = envint("CELERY_TASK_SOFT_TIME_LIMIT", 14 * 60)
# Must exceed the longest task, or Redis redelivers a task that is still running.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": envint("CELERY_VISIBILITY_TIMEOUT", 60 * 60)}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    # Screening is CPU-bound; everything else (e-mails, licensing's and the list's housekeeping)
    # stays on the default queue, so e-mails never wait behind a big re-screen.
    "compliance.tasks.*": {"queue": "screening"},
}
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    # Re-sends re-screen jobs that never reached a worker (Redis down) or lost theirs.
    "sweep-rescreens": {"task": "compliance.tasks.sweep_rescreens", "schedule": envint("RESCREEN_SWEEP_SECONDS", 30)},
    # Re-sends outbox e-mails whose task never ran or died.
    "sweep-outbox": {"task": "lib.tasks.sweep_outbox", "schedule": envint("RESCREEN_SWEEP_SECONDS", 30)},
    "nightly-full-rescreen": {"task": "compliance.tasks.nightly_full_rescreen", "schedule": crontab(hour=2, minute=0)},
    "expire-licences": {"task": "licensing.tasks.expire_licences", "schedule": crontab(hour=0, minute=15)},
    "remind-open-questions": {
        "task": "licensing.tasks.remind_open_questions",
        "schedule": crontab(hour=7, minute=0),
    },
    "remind-expiring-licences": {
        "task": "licensing.tasks.remind_expiring_licences",
        "schedule": crontab(hour=6, minute=0),
    },
    "purge-import-files": {"task": "entities.tasks.purge_import_files", "schedule": crontab(hour=3, minute=30)},
    # Each list source has its own schedule; this only looks for the ones that are due.
    "fetch-list-sources": {"task": "entities.tasks.fetch_due_sources", "schedule": 60},
}
# Short-lived caches (the dashboards' figures). With REDIS_URL every web process shares one
# cache; without it each process keeps its own in memory. CACHE_URL may name another Redis db.
CACHE_URL = os.environ.get("CACHE_URL", REDIS_URL)
CACHES: dict[str, dict[str, object]] = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL, "KEY_PREFIX": "clearance"}
        if CACHE_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "clearance"}
    )
}
# How long a dashboard's figures are reused before they are counted again (0: never cached).
DASHBOARD_CACHE_SECONDS = envint("DASHBOARD_CACHE_SECONDS", 30)

# Re-screening: a pending job is re-sent after this long; a running one whose heartbeat is older
# than RESCREEN_STALL_SECONDS has lost its worker (keep it above the longest chunk).
RESCREEN_PENDING_GRACE_SECONDS = envint("RESCREEN_PENDING_GRACE_SECONDS", 10)
RESCREEN_STALL_SECONDS = envint("RESCREEN_STALL_SECONDS", 300)
# Parties per chunk of a full re-screen: about 10 s of matching, well under the task time limit
# and the broker's visibility timeout, and small enough that a killed worker loses little.
RESCREEN_PARTY_CHUNK_SIZE = envint("RESCREEN_PARTY_CHUNK_SIZE", 5000)
# Entities per chunk of a delta re-screen: a 3,000-entity import becomes a handful of chunks.
RESCREEN_ENTITY_CHUNK_SIZE = envint("RESCREEN_ENTITY_CHUNK_SIZE", 500)
# Deliveries of a chunk (raising, or killing its worker) after which its job is failed, the
# Compliance admins are e-mailed, and nothing retries it until an admin does.
RESCREEN_CHUNK_MAX_ATTEMPTS = envint("RESCREEN_CHUNK_MAX_ATTEMPTS", 5)
# Outbox e-mails (new hits): an unsent one is handed to a worker again after this long, by the
# same sweeper, until it is sent or has failed NOTIFICATION_MAX_ATTEMPTS times.
NOTIFICATION_GRACE_SECONDS = envint("NOTIFICATION_GRACE_SECONDS", 60)
NOTIFICATION_MAX_ATTEMPTS = envint("NOTIFICATION_MAX_ATTEMPTS", 20)

# Kosovo's code is user-assigned, so django-countries leaves it out; the sanctions lists and the
# Commerce Country Chart use it (entities/countries.py has the list's other exception).
COUNTRIES_OVERRIDE = {"XK": "Kosovo"}

# Clearance's own knobs.
LICENCE_VALIDITY_YEARS = envint("LICENCE_VALIDITY_YEARS", 4)
# Where the product is served, for links in e-mails (no trailing slash).
SITE_URL = os.environ.get("SITE_URL", "http://localhost:8000").rstrip("/")
# Public holidays that do not count as working days (ISO dates, comma-separated).
HOLIDAYS = envlist("HOLIDAYS", [])
# The internal review target of a request, in working days from submission (the clock stops
# while a question waits for the applicant).
REVIEW_TARGET_WORKING_DAYS = envint("REVIEW_TARGET_WORKING_DAYS", 20)
# An unanswered question to the applicant is reminded after this many working days (and again
# after as many more); checked daily by beat.
QUESTION_REMINDER_WORKING_DAYS = envint("QUESTION_REMINDER_WORKING_DAYS", 5)
# The holder is reminded this many days before a licence expires; Sales' dashboard lists those.
LICENCE_EXPIRY_REMINDER_DAYS = envint("LICENCE_EXPIRY_REMINDER_DAYS", 60)
SHARED_DATA_DIR = Path(os.environ.get("SHARED_DATA_DIR", BASE_DIR.parent / "shared" / "data"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
