"""Rapport settings, driven by environment variables.

Without RAPPORT_DEBUG=1 everything is production-safe: DEBUG off, secure cookies, HSTS, HTTPS
redirect, two-factor authentication required for staff. See README "Configuration".
"""

from __future__ import annotations

import os
import re
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from rapport import cli as rapport_cli
from rapport.audit.keys import keyring_from_environment
from rapport.core.auditchain import KeyringError


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int, *, low: int, high: int) -> int:
    """An integer setting, refused at start-up when it is not a whole number in its range."""
    text = os.environ.get(name, "").strip() or str(default)
    try:
        value = int(text)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise ImproperlyConfigured(f"{name} must be a whole number from {low} to {high}.")
    return value


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent

DEBUG = env_bool("RAPPORT_DEBUG", False)
TESTING = env_bool("RAPPORT_TESTING", False)
# Set by the `rapport` command for its offline CSV tools (score, change, suddengains, growth).
OFFLINE_TOOL = rapport_cli.offline_tool_running

SECRET_KEY = os.environ.get("RAPPORT_SECRET_KEY", "")
if not SECRET_KEY:
    if OFFLINE_TOOL:
        # The CSV tools neither sign nor serve anything: a throwaway key is enough.
        SECRET_KEY = secrets.token_urlsafe(50)
    elif not DEBUG:
        raise ImproperlyConfigured(
            "RAPPORT_SECRET_KEY must be set (50+ random characters) unless RAPPORT_DEBUG=1."
        )
    # Development only: a fixed key keeps sessions across restarts of `make run`.
    SECRET_KEY = "rapport-development-only-key-not-for-production-use-0123456789"

# Where people reach Rapport, for links in emails sent by the background worker.
RAPPORT_BASE_URL = os.environ.get("RAPPORT_BASE_URL", "http://127.0.0.1:8000" if DEBUG else "")
# The canonical base of exported FHIR resources (each entry's fullUrl is base/Type/id): where a
# receiver can tell them apart from another practice's. By default under RAPPORT_BASE_URL; with
# neither set, exports refuse to run rather than invent a host.
RAPPORT_FHIR_BASE = os.environ.get("RAPPORT_FHIR_BASE", "").strip() or (
    f"{RAPPORT_BASE_URL.strip().rstrip('/')}/fhir" if RAPPORT_BASE_URL.strip() else ""
)
if RAPPORT_FHIR_BASE and not re.fullmatch(
    r"https?://[^\s/?#]+(/[^\s?#]*[^\s?#/])?", RAPPORT_FHIR_BASE
):
    raise ImproperlyConfigured(
        "RAPPORT_FHIR_BASE must be an http(s) address without a trailing slash, query or "
        "fragment, e.g. https://rapport.example.org/fhir."
    )
ALLOWED_HOSTS = env_list("RAPPORT_ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("RAPPORT_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "django_tasks_db",
    "rapport.practices",
    "rapport.accounts",
    "rapport.people",
    "rapport.care",
    "rapport.measures",
    "rapport.alerts",
    "rapport.alliance",
    "rapport.plans",
    "rapport.exposure",
    "rapport.trajectories",
    "rapport.progress",
    "rapport.dashboards",
    "rapport.audit",
    "rapport.portal",
    "rapport.reports",
    "rapport.interop",
    "rapport.matching",
    # These three import the domain apps; no domain app imports them.
    "rapport.demo",
    "rapport.operations",
    "rapport.analysis",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "rapport.audit.middleware.RequestIdMiddleware",
    "rapport.audit.middleware.PermissionsPolicyMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "rapport.accounts.middleware.SessionPolicyMiddleware",
    "rapport.accounts.middleware.TwoFactorRequiredMiddleware",
    "rapport.measures.middleware.ClientModeMiddleware",
    "rapport.practices.middleware.PracticeTimezoneMiddleware",
    "rapport.practices.middleware.LanguageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, so that it sees the response of the authentication backend.
    "axes.middleware.AxesMiddleware",
]

if not DEBUG:
    # Production serves its own static files; in development runserver does.
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "rapport.urls"
WSGI_APPLICATION = "rapport.wsgi.application"

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
                "django.template.context_processors.csp",
                "rapport.practices.context_processors.rapport",
                "rapport.audit.context_processors.emergency_access",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# SQLite (WAL) is the embedded default; DATABASE_URL selects PostgreSQL in production.
SQLITE_PATH = Path(os.environ.get("RAPPORT_SQLITE_PATH", PROJECT_DIR / "var" / "rapport.sqlite3"))
DATABASE_URL = os.environ.get("DATABASE_URL", "")
DATABASE_REPLICA_URL = os.environ.get("DATABASE_REPLICA_URL", "").strip()
# Behind PgBouncer in transaction mode (README "National scale"): a server-side cursor cannot
# outlive the transaction after which the pooler hands the server connection to someone else,
# and the pooler, not each Django process, keeps the connections open.
DATABASE_POOLED = env_bool("RAPPORT_DB_POOLED", False)


def database_from_url(name: str, url: str, *, postgresql_only: bool = False) -> dict[str, Any]:
    """A connection from a database URL, refused at start-up when it cannot be one."""
    try:
        parsed: dict[str, Any] = dict(dj_database_url.parse(url, conn_max_age=60))
    except ValueError:
        parsed = {}
    engine = parsed.get("ENGINE", "")
    if not parsed.get("NAME") or (postgresql_only and engine != "django.db.backends.postgresql"):
        raise ImproperlyConfigured(
            f"{name} must be a PostgreSQL URL: postgresql://user:password@host:port/database."
        )
    parsed["CONN_HEALTH_CHECKS"] = True
    if DATABASE_POOLED:
        parsed["DISABLE_SERVER_SIDE_CURSORS"] = True
        parsed["CONN_MAX_AGE"] = 0
    return parsed


if DATABASE_REPLICA_URL and not DATABASE_URL:
    raise ImproperlyConfigured("DATABASE_REPLICA_URL needs DATABASE_URL: a replica of what?")
if DATABASE_URL:
    DATABASES = {"default": database_from_url("DATABASE_URL", DATABASE_URL)}
    if DATABASE_REPLICA_URL:
        # Only the dashboard refresh and the trajectory refit read here (rapport.routers);
        # tests point it at the test database rather than at a second one.
        DATABASES["replica"] = database_from_url(
            "DATABASE_REPLICA_URL", DATABASE_REPLICA_URL, postgresql_only=True
        )
        DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
else:
    SQLITE_PATH.parent.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(SQLITE_PATH),
            "OPTIONS": {
                # IMMEDIATE transactions take the write lock at BEGIN, so two writers never
                # both read the same audit-chain head.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
                ),
            },
            # A file, not Django's shared in-memory database: tests then see the same locking
            # (and WAL) as the app does. One per process, so that parallel runs never share.
            "TEST": {"NAME": str(SQLITE_PATH.parent / f"test-rapport-{os.getpid()}.sqlite3")},
        }
    }
DATABASE_ROUTERS = ["rapport.routers.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Caches ---------------------------------------------------------------------------------
# "charts" holds drawn charts keyed by the version of the data they show (rapport.web), so a
# chart is drawn once per change, not once per request. In memory per process by default;
# RAPPORT_CHART_CACHE_BACKEND and _LOCATION name a shared one (Redis, memcached, a directory).
_CHART_CACHE_BACKEND = os.environ.get("RAPPORT_CHART_CACHE_BACKEND", "")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "charts": {
        "BACKEND": _CHART_CACHE_BACKEND or "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": os.environ.get("RAPPORT_CHART_CACHE_LOCATION", "rapport-charts"),
        "TIMEOUT": env_int("RAPPORT_CHART_CACHE_SECONDS", 604800, low=60, high=7776000),
        # Compressed drawings are about 8 KB: a thousand take some 8 MB in each process.
        "OPTIONS": {} if _CHART_CACHE_BACKEND else {"MAX_ENTRIES": 1000},
    },
}

# --- Authentication -------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "rapport.accounts.hashers.OwaspArgon2PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24 * 3

# Lockout per account: 5 failures for an email address (known or not), whatever the address
# they come from, pause that account's sign-in for 15 minutes. Never per IP address alone: a
# practice behind one office router (or every user behind a proxy that is not declared with
# RAPPORT_PROXY_COUNT) would be locked out by one colleague's typos.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = ["username", ["username", "ip_address"]]
# Failed sign-ins per IP address in 15 minutes before that address is paused (15 minutes, then
# twice as long at each new strike); counted in the database, so across all app servers.
RAPPORT_SIGN_IN_IP_LIMIT = env_int("RAPPORT_SIGN_IN_IP_LIMIT", 100, low=10, high=10000)
AXES_USERNAME_FORM_FIELD = "username"
AXES_LOCKOUT_CALLABLE = "rapport.accounts.views.locked_out"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_ENABLE_ADMIN = False
# How many trusted proxies append to X-Forwarded-For in front of Rapport (0: none, the
# connecting address is the client's). `check --deploy` warns when it looks forgotten.
RAPPORT_PROXY_COUNT = env_int("RAPPORT_PROXY_COUNT", 0, low=0, high=5)
AXES_IPWARE_PROXY_COUNT = RAPPORT_PROXY_COUNT or None

RAPPORT_REQUIRE_STAFF_2FA = env_bool("RAPPORT_REQUIRE_STAFF_2FA", not DEBUG)
RAPPORT_STAFF_IDLE_TIMEOUT = timedelta(
    minutes=env_int("RAPPORT_STAFF_IDLE_MINUTES", 15, low=1, high=720)
)
RAPPORT_SESSION_ABSOLUTE_TIMEOUT = timedelta(hours=12)
RAPPORT_BREAK_GLASS_DURATION = timedelta(minutes=60)
OTP_TOTP_ISSUER = "Rapport"
# API tokens (personal access tokens of the JSON API). A token works without a second factor, so
# it must not live for ever: 90 days unless its maker says otherwise, a year at most (a yearly
# renewal is the longest a lost laptop's token should keep opening records).
RAPPORT_API_TOKEN_MAX_DAYS = env_int("RAPPORT_API_TOKEN_MAX_DAYS", 365, low=1, high=730)
RAPPORT_API_TOKEN_DAYS = env_int(
    "RAPPORT_API_TOKEN_DAYS",
    min(90, RAPPORT_API_TOKEN_MAX_DAYS),
    low=1,
    high=RAPPORT_API_TOKEN_MAX_DAYS,
)
# Calls per token per minute (a fixed window in the cache): far above what a script that syncs
# a caseload needs, low enough that a leaked token cannot copy a practice in minutes.
RAPPORT_API_RATE_PER_MINUTE = env_int("RAPPORT_API_RATE_PER_MINUTE", 120, low=10, high=10000)

# --- Sessions and cookies -------------------------------------------------------------------
SESSION_COOKIE_AGE = int(RAPPORT_SESSION_ABSOLUTE_TIMEOUT.total_seconds())
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_NAME = "__Host-rapport_session" if not DEBUG else "rapport_session"
CSRF_COOKIE_NAME = "__Host-rapport_csrf" if not DEBUG else "rapport_csrf"

# --- Transport security and headers ---------------------------------------------------------
SECURE_SSL_REDIRECT = env_bool("RAPPORT_SSL_REDIRECT", not DEBUG)
# Behind a proxy its X-Forwarded-Proto and X-Request-ID are trusted; otherwise both are ignored.
RAPPORT_BEHIND_PROXY = env_bool("RAPPORT_BEHIND_PROXY", False)
if RAPPORT_BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = (
    0 if DEBUG else env_int("RAPPORT_HSTS_SECONDS", 31536000, low=0, high=63072000)
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env_bool("RAPPORT_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_CSP = {
    "default-src": [CSP.NONE],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
}

# --- Internationalisation and time ----------------------------------------------------------
LANGUAGE_CODE = "en"
# The languages a client, guardian or staff member may choose (rapport.practices.languages picks
# one per request and per email). A translator adds a language with a catalogue under
# rapport/locale/<code>/LC_MESSAGES/django.po and one line here (README "Languages").
LANGUAGES = [
    ("en", "English"),
    ("es", "Spanish (español)"),
]
LOCALE_PATHS = [Path(__file__).resolve().parent / "locale"]
# The language switch on the pages before signing in (accounts.views.language_switch): a year,
# so a family's browser keeps its choice; read by no script, sent over HTTPS only.
LANGUAGE_COOKIE_NAME = "rapport_language"
LANGUAGE_COOKIE_AGE = 365 * 24 * 60 * 60
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SECURE = not DEBUG
TIME_ZONE = "UTC"  # storage and the audit trail; pages use the practice's own time zone
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("RAPPORT_STATIC_ROOT", PROJECT_DIR / "staticfiles"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- Email ----------------------------------------------------------------------------------
# Production sends through SMTP (RAPPORT_EMAIL_HOST, default a local mail server on port 25);
# development prints mail to the console, or writes files with RAPPORT_EMAIL_BACKEND=file.
_EMAIL_HOST = os.environ.get("RAPPORT_EMAIL_HOST", "")
_EMAIL_KIND = os.environ.get(
    "RAPPORT_EMAIL_BACKEND", "smtp" if _EMAIL_HOST or not DEBUG else "console"
)
_MAILER_BACKENDS = {
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "console": "django.core.mail.backends.console.EmailBackend",
    "file": "django.core.mail.backends.filebased.EmailBackend",
}
if _EMAIL_KIND not in _MAILER_BACKENDS:
    raise ImproperlyConfigured("RAPPORT_EMAIL_BACKEND must be one of smtp, console, file.")
_MAILER_OPTIONS: dict[str, object] = {}
if _EMAIL_KIND == "smtp":
    _MAILER_OPTIONS = {
        "host": _EMAIL_HOST or "localhost",
        "port": env_int("RAPPORT_EMAIL_PORT", 587 if _EMAIL_HOST else 25, low=1, high=65535),
        "username": os.environ.get("RAPPORT_EMAIL_USER", ""),
        "password": os.environ.get("RAPPORT_EMAIL_PASSWORD", ""),
        "use_tls": env_bool("RAPPORT_EMAIL_USE_TLS", bool(_EMAIL_HOST)),
        "timeout": 20,
    }
elif _EMAIL_KIND == "file":
    _MAILER_OPTIONS = {
        "file_path": os.environ.get("RAPPORT_EMAIL_FILE_PATH", str(PROJECT_DIR / "var" / "mail"))
    }
MAILERS = {"default": {"BACKEND": _MAILER_BACKENDS[_EMAIL_KIND], "OPTIONS": _MAILER_OPTIONS}}
DEFAULT_FROM_EMAIL = os.environ.get("RAPPORT_DEFAULT_FROM_EMAIL", "Rapport <rapport@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Text messages (links to forms only; see rapport/sms) -------------------------------------
# Development prints them; production sends none until a gateway is configured; tests choose.
RAPPORT_SMS_BACKEND = os.environ.get(
    "RAPPORT_SMS_BACKEND", "console" if DEBUG and not TESTING else "none"
).strip()
if RAPPORT_SMS_BACKEND not in ("console", "file", "http", "none"):
    raise ImproperlyConfigured("RAPPORT_SMS_BACKEND must be one of console, file, http, none.")
RAPPORT_SMS_FILE_PATH = os.environ.get("RAPPORT_SMS_FILE_PATH", str(PROJECT_DIR / "var" / "texts"))
RAPPORT_SMS_URL = os.environ.get("RAPPORT_SMS_URL", "").strip()
RAPPORT_SMS_TOKEN = os.environ.get("RAPPORT_SMS_TOKEN", "")
if RAPPORT_SMS_BACKEND == "http" and not (
    RAPPORT_SMS_URL.startswith("https://") and RAPPORT_SMS_TOKEN
):
    raise ImproperlyConfigured(
        "RAPPORT_SMS_BACKEND=http needs RAPPORT_SMS_URL (https://) and RAPPORT_SMS_TOKEN."
    )
# The gateway posts replies (STOP, START) to /sms/replies/ with this bearer token; unset, the
# address refuses every post, so replies cannot be forged.
RAPPORT_SMS_REPLY_TOKEN = os.environ.get("RAPPORT_SMS_REPLY_TOKEN", "")

# --- Background tasks -----------------------------------------------------------------------
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# --- Dashboards -----------------------------------------------------------------------------
# Closed episodes a therapist needs before their figures are shown beside colleagues': fewer
# gives intervals too wide to compare and makes a single client identifiable.
RAPPORT_DASHBOARD_MIN_CASELOAD = env_int("RAPPORT_DASHBOARD_MIN_CASELOAD", 15, low=1, high=1000)

# --- Audit trail: keys and checkpoints (README "Audit trail") -------------------------------
# The chain is keyed with a secret kept outside the database; signed checkpoints go to a
# directory outside it too. Development and tests derive a key from SECRET_KEY.
try:
    RAPPORT_AUDIT_KEYRING = keyring_from_environment(
        os.environ, development_secret=SECRET_KEY if DEBUG or TESTING or OFFLINE_TOOL else None
    )
except KeyringError as _error:
    raise ImproperlyConfigured(f"audit key: {_error}") from None
if RAPPORT_AUDIT_KEYRING is None:
    raise ImproperlyConfigured(
        "RAPPORT_AUDIT_KEY (32+ random characters), RAPPORT_AUDIT_KEYS or RAPPORT_AUDIT_KEY_FILE "
        "must be set unless RAPPORT_DEBUG=1; keep it outside the database and its backups."
    )
RAPPORT_AUDIT_CHECKPOINT_DIR = Path(
    os.environ.get("RAPPORT_AUDIT_CHECKPOINT_DIR", PROJECT_DIR / "var" / "audit-checkpoints")
)
RAPPORT_AUDIT_REQUIRE_CHECKPOINT = env_bool("RAPPORT_AUDIT_REQUIRE_CHECKPOINT", not DEBUG)
RAPPORT_AUDIT_CHECKPOINT_INTERVAL = timedelta(
    minutes=env_int("RAPPORT_AUDIT_CHECKPOINT_MINUTES", 60, low=1, high=1440)
)
if not timedelta(minutes=1) <= RAPPORT_AUDIT_CHECKPOINT_INTERVAL <= timedelta(days=1):
    raise ImproperlyConfigured("RAPPORT_AUDIT_CHECKPOINT_MINUTES must be between 1 and 1440.")
if TESTING and DATABASE_URL:
    # Lets the test runner empty the audit tables between tests (the append-only triggers
    # refuse TRUNCATE otherwise); never set outside tests. A test database is thrown away, so its
    # commits need not wait for the disk: a crash could lose only the last ones, never corrupt it.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
        "-c rapport.audit_maintenance=on -c synchronous_commit=off"
    )
    # Empties the database after a transactional test by deleting rows, not truncating tables.
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["default"]["ENGINE"] = "rapport.testing.postgresql"

# --- Logging --------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("RAPPORT_LOG_LEVEL", "INFO")},
    # WeasyPrint logs each step of every PDF at INFO.
    "loggers": {"axes": {"level": "WARNING"}, "weasyprint.progress": {"level": "WARNING"}},
}

if TESTING:
    # Argon2 at OWASP cost makes every test login ~50 ms; the hasher itself is tested directly.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]
