"""Settings, read from the environment only (django-environ).

Defaults are the embedded column of DESIGN.md: SQLite, local files, in-memory channel layer,
Huey on SQLite. `SECRETARIAT_ENV=production` refuses those defaults that are unsafe.
"""

from __future__ import annotations

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
env = environ.Env()

SECRETARIAT_ENV = env.str("SECRETARIAT_ENV", default="development")
PRODUCTION = SECRETARIAT_ENV == "production"
DATA_DIR = Path(env.str("SECRETARIAT_DATA_DIR", default=str(BASE_DIR / "var"))).resolve()
# The SQLite file, the Huey queue, stored files and keys live here; it must exist before the
# database and the queue open their files.
DATA_DIR.mkdir(parents=True, exist_ok=True)

# A development-only key: production refuses it (see the checks at the end of this file).
_DEVELOPMENT_SECRET_KEY = "development-only-secret-key-do-not-use-in-production"  # noqa: S105
SECRET_KEY = env.str("SECRETARIAT_SECRET_KEY", default=_DEVELOPMENT_SECRET_KEY)
DEBUG = env.bool("SECRETARIAT_DEBUG", default=False)
ALLOWED_HOSTS = env.list(
    "SECRETARIAT_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"]
)
CSRF_TRUSTED_ORIGINS = env.list("SECRETARIAT_CSRF_TRUSTED_ORIGINS", default=[])
# Demo mode: seed_demo may run and the login page shows the demo accounts.
DEMO = env.bool("SECRETARIAT_DEMO", default=not PRODUCTION)
# Trust X-Real-IP from the reverse proxy for the client address in audit events.
TRUST_PROXY = env.bool("SECRETARIAT_TRUST_PROXY", default=False)
# Format of official electronic unit codes (edXML OrganId, Decision 20/2020/QĐ-TTg; unverified,
# hence configurable).
ORG_CODE_PATTERN = env.str(
    "SECRETARIAT_ORG_CODE_PATTERN", default=r"^\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}$"
)
NODE_NAME = env.str("SECRETARIAT_NODE_NAME", default="secretariat-demo")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "treebeard",
    "ninja",
    "channels",
    "huey.contrib.djhuey",
    "secretariat.core",
    "secretariat.orgs",
    "secretariat.accounts",
    "secretariat.audit",
    "secretariat.signing",
    "secretariat.documents",
    "secretariat.office",
    "secretariat.exchange",
    "secretariat.meetings",
    "secretariat.members",
    "secretariat.web",
    "secretariat.api",
    "secretariat.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "secretariat.core.middleware.RequestContextMiddleware",
    "secretariat.accounts.middleware.SessionTimeoutMiddleware",
    "secretariat.accounts.middleware.PasswordChangeRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "secretariat.config.urls"
WSGI_APPLICATION = "secretariat.config.wsgi.application"
ASGI_APPLICATION = "secretariat.config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "secretariat.web.context.navigation",
            ],
        },
    }
]

# --- Database -------------------------------------------------------------------------------
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'secretariat.sqlite3'}")
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # IMMEDIATE: a write transaction takes the write lock at BEGIN, so read-then-write
        # sequences (audit chain head, counters) serialize instead of failing with "locked".
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
# PostgreSQL connections per server process (psycopg-pool). Under ASGI every request runs in its
# own thread context, so without a pool Django opens a connection per request (~17 ms here;
# docs/operations.md). 0: no pool. Workers × size must fit in max_connections.
DB_POOL_SIZE = env.int("SECRETARIAT_DB_POOL_SIZE", default=0)
if DB_POOL_SIZE and DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": min(2, DB_POOL_SIZE),
        "max_size": DB_POOL_SIZE,
        "timeout": 10,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Identity -------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "web:home"

AXES_FAILURE_LIMIT = env.int("SECRETARIAT_LOCKOUT_FAILURES", default=5)
AXES_COOLOFF_TIME = env.float("SECRETARIAT_LOCKOUT_MINUTES", default=15.0) / 60.0
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "secretariat.accounts.views.auth.lockout_response"
AXES_VERBOSE = False
# Axes keeps the form data of failed attempts: never the second-factor codes in clear.
AXES_SENSITIVE_PARAMETERS = ["password", "code", "recovery_code"]
# Lockout is per account on purpose: in an agency many officials share one NAT address, so an
# address-based lockout would lock out a whole office.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

# Session timeouts: idle (sliding) and absolute (from login), both in minutes.
SESSION_IDLE_MINUTES = env.int("SECRETARIAT_SESSION_IDLE_MINUTES", default=30)
SESSION_ABSOLUTE_MINUTES = env.int("SECRETARIAT_SESSION_ABSOLUTE_MINUTES", default=600)
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_MINUTES * 60
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION

OTP_TOTP_ISSUER = env.str("SECRETARIAT_TOTP_ISSUER", default="Secretariat")
WEBAUTHN_RP_ID = env.str("SECRETARIAT_WEBAUTHN_RP_ID", default="localhost")
WEBAUTHN_RP_NAME = env.str("SECRETARIAT_WEBAUTHN_RP_NAME", default="Secretariat")
WEBAUTHN_ORIGINS = env.list(
    "SECRETARIAT_WEBAUTHN_ORIGINS", default=["http://localhost:8000", "http://127.0.0.1:8000"]
)

# --- Languages and time ---------------------------------------------------------------------
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Vietnamese")), ("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "secretariat" / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
# Third-party front-end assets are installed from the npm registry by `make assets` into
# static_build/ (never committed, never loaded from a CDN).
STATICFILES_DIRS = [BASE_DIR / "static_build"] if (BASE_DIR / "static_build").is_dir() else []
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

# --- Keys, audit ----------------------------------------------------------------------------
KEYS_DIR = DATA_DIR / "keys"
# The node's Ed25519 key signs audit checkpoints. Production must provide it (PEM, PKCS#8);
# development generates one under KEYS_DIR on first use.
NODE_SIGNING_KEY = env.str("SECRETARIAT_NODE_SIGNING_KEY", default="")
AUDIT_CHECKPOINT_FILE = DATA_DIR / "audit" / "checkpoints.log"
# Hex Ed25519 public keys of retired node keys, so checkpoints signed before a key rotation
# still verify.
AUDIT_TRUSTED_PUBLIC_KEYS = env.list("SECRETARIAT_AUDIT_TRUSTED_PUBLIC_KEYS", default=[])
AUDIT_CHECKPOINT_MINUTES = env.int("SECRETARIAT_AUDIT_CHECKPOINT_MINUTES", default=15)

# --- Documents --------------------------------------------------------------------------------
# The node master key (32 bytes, base64) wraps every file's own AES-256-GCM key. Production must
# provide it; development generates one under KEYS_DIR on first use.
MASTER_KEY = env.str("SECRETARIAT_MASTER_KEY", default="")
FILES_DIR = Path(env.str("SECRETARIAT_FILES_DIR", default=str(DATA_DIR / "files")))
# Optional S3-compatible object store for the encrypted files (django-storages).
FILES_S3_BUCKET = env.str("SECRETARIAT_FILES_S3_BUCKET", default="")
FILES_S3_ENDPOINT = env.str("SECRETARIAT_FILES_S3_ENDPOINT", default="")
FILES_S3_REGION = env.str("SECRETARIAT_FILES_S3_REGION", default="")
# Empty keys: boto3's own credential chain (environment, instance role).
FILES_S3_ACCESS_KEY_ID = env.str("SECRETARIAT_FILES_S3_ACCESS_KEY_ID", default="")
FILES_S3_SECRET_ACCESS_KEY = env.str("SECRETARIAT_FILES_S3_SECRET_ACCESS_KEY", default="")
# "path" for MinIO / Ceph; empty: the client's default.
FILES_S3_ADDRESSING_STYLE = env.str("SECRETARIAT_FILES_S3_ADDRESSING_STYLE", default="")
MAX_UPLOAD_MB = env.int("SECRETARIAT_MAX_UPLOAD_MB", default=50)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
OCR_LANGUAGES = env.str("SECRETARIAT_OCR_LANGUAGES", default="vie+fra+eng")
SOFFICE = env.str("SECRETARIAT_SOFFICE", default="soffice")

# --- Digital signatures -----------------------------------------------------------------------
# PAdES baseline level of every signature made here: B-B, B-T, B-LT or B-LTA.
SIGNING_LEVEL = env.str("SECRETARIAT_SIGNING_LEVEL", default="B-T")
# RFC 3161 time-stamp authority. Empty: the node's built-in authority (in-process for signing,
# also served over HTTP at /signing/tsa for other clients).
SIGNING_TSA_URL = env.str("SECRETARIAT_SIGNING_TSA_URL", default="")
# Policy OID of the built-in time-stamp authority's tokens; empty: its own UUID-based OID.
SIGNING_TSA_POLICY_OID = env.str("SECRETARIAT_SIGNING_TSA_POLICY_OID", default="")
# The data center's HSM (PKCS#11 module, token label, PIN) for organization seals and
# server-side personal keys. Empty module: keys of the demo live in sealed PKCS#12 files.
SIGNING_PKCS11_MODULE = env.str("SECRETARIAT_SIGNING_PKCS11_MODULE", default="")
SIGNING_HSM_TOKEN_LABEL = env.str("SECRETARIAT_SIGNING_HSM_TOKEN_LABEL", default="")
SIGNING_HSM_PIN = env.str("SECRETARIAT_SIGNING_HSM_PIN", default="")
# A TrueType font with Vietnamese glyphs for the visible stamp; empty: DejaVu Sans from the
# Debian package fonts-dejavu-core.
SIGNING_STAMP_FONT = env.str("SECRETARIAT_SIGNING_STAMP_FONT", default="")
# Public base URL of this node, printed in the QR code of visible signatures and in the CRL /
# OCSP addresses of the certificates the built-in authority issues.
PUBLIC_URL = env.str("SECRETARIAT_PUBLIC_URL", default="http://127.0.0.1:8000")
# Lifetime of the one-time URLs handed to the workstation signing agent.
SIGNING_SESSION_MINUTES = env.int("SECRETARIAT_SIGNING_SESSION_MINUTES", default=5)
# Loopback port on which the workstation signing agent listens for the web page.
SIGNING_AGENT_PORT = env.int("SECRETARIAT_SIGNING_AGENT_PORT", default=8987)
# Public verification page: uploads per client address per minute.
SIGNING_VERIFY_PER_MINUTE = env.int("SECRETARIAT_SIGNING_VERIFY_PER_MINUTE", default=10)

# --- Exchange between nodes (edXML packages, mutual TLS) --------------------------------------
EXCHANGE_LISTEN = env.str("SECRETARIAT_EXCHANGE_LISTEN", default="127.0.0.1:9443")
EXCHANGE_DIRECTORY_URL = env.str("SECRETARIAT_EXCHANGE_DIRECTORY_URL", default="")
EXCHANGE_MAX_PACKAGE_BYTES = env.int(
    "SECRETARIAT_EXCHANGE_MAX_PACKAGE_BYTES", default=64 * 1024 * 1024
)
EXCHANGE_MAX_AGE_HOURS = env.int("SECRETARIAT_EXCHANGE_MAX_AGE_HOURS", default=14 * 24)
EXCHANGE_BATCH_FRAMES = env.int("SECRETARIAT_EXCHANGE_BATCH_FRAMES", default=32)
EXCHANGE_BATCH_BYTES = env.int("SECRETARIAT_EXCHANGE_BATCH_BYTES", default=8 * 1024 * 1024)
EXCHANGE_WORKER_BATCH = env.int("SECRETARIAT_EXCHANGE_WORKER_BATCH", default=256)
# The listener (`exchange_serve`) also runs the delivery worker unless this is false.
EXCHANGE_WORKER = env.bool("SECRETARIAT_EXCHANGE_WORKER", default=True)
EXCHANGE_RETRY_SECONDS = env.float("SECRETARIAT_EXCHANGE_RETRY_SECONDS", default=2.0)
EXCHANGE_RETRY_MAX_SECONDS = env.float("SECRETARIAT_EXCHANGE_RETRY_MAX_SECONDS", default=900.0)

# Video rooms of meetings (meetings/video.py; docs/meetings.md).
JITSI_URL = env.str("SECRETARIAT_JITSI_URL", default="")
JITSI_APP_ID = env.str("SECRETARIAT_JITSI_APP_ID", default="")
JITSI_SECRET = env.str("SECRETARIAT_JITSI_SECRET", default="")
JITSI_AUDIENCE = env.str("SECRETARIAT_JITSI_AUDIENCE", default="jitsi")
JITSI_TOKEN_HOURS = env.int("SECRETARIAT_JITSI_TOKEN_HOURS", default=12)
BBB_URL = env.str("SECRETARIAT_BBB_URL", default="")
BBB_SECRET = env.str("SECRETARIAT_BBB_SECRET", default="")
BBB_CHECKSUM = env.str("SECRETARIAT_BBB_CHECKSUM", default="sha1")
VIDEO_TIMEOUT_SECONDS = env.float("SECRETARIAT_VIDEO_TIMEOUT_SECONDS", default=5.0)

# Party members (members/; docs/members.md): days before the end of a probation when the
# records officers are reminded.
MEMBERS_PROBATION_REMINDER_DAYS = env.int("SECRETARIAT_MEMBERS_PROBATION_REMINDER_DAYS", default=30)

# --- Office work ------------------------------------------------------------------------------
# A task's assignee is reminded this many working days before its deadline.
TASK_REMINDER_WORKING_DAYS = env.int("SECRETARIAT_TASK_REMINDER_WORKING_DAYS", default=1)
# Reminders and escalations also go by e-mail when the user has an address. The embedded
# default writes mails to files under var/mail instead of sending them.
EMAIL_BACKEND = env.str(
    "SECRETARIAT_EMAIL_BACKEND", default="django.core.mail.backends.filebased.EmailBackend"
)
EMAIL_FILE_PATH = DATA_DIR / "mail"
EMAIL_HOST = env.str("SECRETARIAT_EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("SECRETARIAT_EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("SECRETARIAT_EMAIL_USER", default="")
EMAIL_HOST_PASSWORD = env.str("SECRETARIAT_EMAIL_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("SECRETARIAT_EMAIL_TLS", default=False)
DEFAULT_FROM_EMAIL = env.str("SECRETARIAT_EMAIL_FROM", default="secretariat@localhost")

# --- Background jobs and live updates -------------------------------------------------------
REDIS_URL = env.str("SECRETARIAT_REDIS_URL", default="")
if REDIS_URL:
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": "secretariat",
        "connection": {"url": REDIS_URL},
        "immediate": False,
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # No read timeout: an idle meeting socket waits for minutes between events (redis-py
            # 8 would otherwise drop it after 5 s); a pool large enough for a full conference
            # hall joining at once (docs/meetings.md, bench/meeting_fanout.py).
            "CONFIG": {
                "hosts": [{"address": REDIS_URL, "socket_timeout": None, "max_connections": 10000}]
            },
        }
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "secretariat",
        "filename": str(DATA_DIR / "huey.sqlite3"),
        "immediate": env.bool("SECRETARIAT_HUEY_IMMEDIATE", default=False),
    }
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# --- Logging --------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("SECRETARIAT_LOG_LEVEL", default="WARNING")},
}

# --- Production refuses unsafe defaults -----------------------------------------------------
if PRODUCTION:
    problems = []
    if SECRET_KEY == _DEVELOPMENT_SECRET_KEY or "SECRETARIAT_SECRET_KEY" not in env:
        problems.append("SECRETARIAT_SECRET_KEY is missing or is the development default")
    elif len(SECRET_KEY) < 50:
        problems.append("SECRETARIAT_SECRET_KEY is shorter than 50 characters")
    if DEBUG:
        problems.append("SECRETARIAT_DEBUG is on")
    if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        problems.append("the database is SQLite: set DATABASE_URL to PostgreSQL")
    if not MASTER_KEY:
        problems.append("SECRETARIAT_MASTER_KEY (the master key that wraps file keys) is missing")
    if not NODE_SIGNING_KEY:
        problems.append("SECRETARIAT_NODE_SIGNING_KEY (the node's Ed25519 key, PEM) is missing")
    if not SIGNING_PKCS11_MODULE:
        problems.append(
            "SECRETARIAT_SIGNING_PKCS11_MODULE (the HSM that keeps the seals' keys) is missing: "
            "keys in files are for the demo only"
        )
    if DEMO:
        problems.append("SECRETARIAT_DEMO is on")
    if problems:
        raise ImproperlyConfigured("Refusing to start in production: " + "; ".join(problems) + ".")
