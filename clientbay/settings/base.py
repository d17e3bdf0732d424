"""Settings for every environment, read from environment variables.

Unset, they give the embedded development setup: SQLite, tasks in-process and
SMS printed to the console. The README lists every variable.
"""

from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from clientbay.settings.env import (
    env_base_url,
    env_bool,
    env_float,
    env_int,
    env_list,
    env_required,
    env_str,
)

BASE_DIR = Path(__file__).resolve().parent.parent.parent
LOOPBACK_HOSTS = {"127.0.0.1", "::1", "localhost"}

DEBUG = env_bool("DJANGO_DEBUG", default=False)

# A development key is fine only while DEBUG is on; production must set one.
SECRET_KEY = env_str("DJANGO_SECRET_KEY") or (
    "django-insecure-development-only-key" if DEBUG else None
)
if SECRET_KEY is None:
    SECRET_KEY = env_required("DJANGO_SECRET_KEY", "production needs its own secret key")

ALLOWED_HOSTS = env_list(
    "DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else []
)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "brokerages",
    "contacts",
    "optin",
    "messaging",
    "registration",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "brokerages.middleware.BrokerageRequiredMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "clientbay.urls"
WSGI_APPLICATION = "clientbay.wsgi.application"

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
                "clientbay.context_processors.product",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Writers take the lock up front and wait for each other, rather than
    # failing with "database is locked" under the development server's threads.
    DATABASES["default"]["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "timeout": 20}
elif env_bool("DATABASE_PREPARED_STATEMENTS", True):
    # Statements a connection runs again and again (the inbound webhook's
    # insert, the gate, the worker's claim) are parsed and planned once per
    # connection instead of on every run. Set DATABASE_PREPARED_STATEMENTS=0
    # behind a pooler in transaction mode that cannot keep them.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        server_side_binding=True, prepare_threshold=5
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "brokerages.Agent"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "messaging:inbox"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
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

# Production sits behind a TLS-terminating proxy that sets X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_HSTS_SECONDS = 0 if DEBUG else env_int("DJANGO_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])
# A bulk send posts one field per contact ticked, across searches; Django's
# 1,000 turned more than that into a bare "Bad Request" and lost the text.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_500

# --- Celery -----------------------------------------------------------------
# Without REDIS_URL every task runs in-process, right after its transaction
# commits; with it, tasks go through Redis to `celery worker` processes.
REDIS_URL = env_str("REDIS_URL")
CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"
if REDIS_URL:
    # kombu's Redis transport, but a worker survives Redis going away while
    # it holds tasks (messaging/broker.py).
    CELERY_BROKER_TRANSPORT = "messaging.broker:RedisTransport"
CELERY_TASK_ALWAYS_EAGER = REDIS_URL is None
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TIMEZONE = "UTC"
# Periodic jobs, run by `celery -A clientbay beat`. Each is locked against
# overlap and returns a dict of counts.
CELERY_BEAT_SCHEDULE = {
    "expire-optout-reviews": {
        "task": "optin.tasks.expire_optout_reviews",
        "schedule": 15 * 60,
    },
    "poll-registrations": {
        "task": "registration.tasks.poll_registrations",
        "schedule": 15 * 60,  # Twilio reviews take hours to days; 15 minutes is plenty.
    },
    "dispatch-queued-sms": {
        "task": "messaging.tasks.dispatch_queued_sms",
        "schedule": env_int("SMS_DISPATCH_INTERVAL_SECONDS", 15),
    },
    "flag-stuck-sms": {"task": "messaging.tasks.flag_stuck_sms", "schedule": 60.0},
    "retry-unprocessed-inbound": {
        "task": "messaging.tasks.retry_unprocessed_inbound",
        "schedule": 60.0,
    },
}

# --- SMS --------------------------------------------------------------------
# Development prints texts; production sends them through Twilio unless told
# otherwise, so a forgotten variable can never silently swallow real texts.
SMS_BACKEND = env_str("SMS_BACKEND", "console" if DEBUG else "twilio")
SMS_FILE_PATH = env_str("SMS_FILE_PATH", str(BASE_DIR / "var" / "sms"))
# Keyword arguments for the SMS_BACKEND class, as `get_connection()` builds
# it: e.g. {"file_path": ...} for the file backend, or {"http_client": ...}
# for the Twilio one (the tests route it to a local mock of Twilio's API).
SMS_BACKEND_OPTIONS: dict = {}

# --- Delivery ---------------------------------------------------------------
# Redis shared by every worker for the send-rate limit and the periodic jobs'
# locks. Unset (development, tests), there is no rate limit and no lock.
SMS_REDIS_URL = env_str("SMS_REDIS_URL", REDIS_URL)
SMS_REDIS_PREFIX = env_str("SMS_REDIS_PREFIX", "clientbay")
# Texts per second a BAY Number may send when it sets no rate of its own
# (1 suits a low-volume 10DLC campaign), and an optional limit shared by all
# the numbers of one brokerage (its campaign).
SMS_DEFAULT_RATE_MPS = env_float("SMS_DEFAULT_RATE_MPS", 1.0)
SMS_BROKERAGE_RATE_MPS = env_float("SMS_BROKERAGE_RATE_MPS", 0.0) or None
# Added to each one-second window, so the few milliseconds between taking a
# slot and calling Twilio cannot put two sends in one window.
SMS_RATE_GUARD_MS = env_int("SMS_RATE_GUARD_MS", 50)
# A queued text whose task has not run this long after it went to the broker
# is taken for lost (Redis emptied, down, or restarted while workers held
# tasks) and queued again. A live task waits at most the dispatch horizon
# (30 s) or its longest retry backoff (64 s); a task taken for lost that was
# not finds its text claimed by the new one, and does nothing.
SMS_REQUEUE_AFTER_SECONDS = env_int("SMS_REQUEUE_AFTER_SECONDS", 180)
# How far ahead the dispatcher queues a BAY Number's backlog, at its rate.
SMS_DISPATCH_HORIZON_SECONDS = env_int("SMS_DISPATCH_HORIZON_SECONDS", 30)
SMS_DISPATCH_BATCH = env_int("SMS_DISPATCH_BATCH", 2000)
# A text claimed for sending but with no answer from Twilio after this long
# is shown for review; it is never resent without a person deciding to.
SMS_SENDING_TIMEOUT_SECONDS = env_int("SMS_SENDING_TIMEOUT_SECONDS", 600)
# Texts the agent starts go out only from 8 am to 9 pm where the recipient
# is (narrower in some states); see messaging/quiet_hours.py.
SMS_QUIET_HOURS_ENABLED = env_bool("SMS_QUIET_HOURS_ENABLED", default=True)
# Stored inbound texts whose handling failed are retried after this long.
SMS_INBOUND_RETRY_AFTER_SECONDS = env_int("SMS_INBOUND_RETRY_AFTER_SECONDS", 60)
# Seconds to wait for Twilio's API before giving up on a request.
TWILIO_HTTP_TIMEOUT = env_int("TWILIO_HTTP_TIMEOUT", 15)

# The public base URL Twilio calls (scheme, host and port, no path). Webhook
# signatures are checked over this URL plus the path and query as received,
# so they hold behind a TLS-terminating proxy.
PUBLIC_BASE_URL = env_base_url(
    "PUBLIC_BASE_URL",
    default="http://127.0.0.1:8000" if DEBUG else None,
    require_https=not DEBUG,
    why="webhook signatures are checked over the public URL Twilio calls",
)

TWILIO_ACCOUNT_SID = env_str("TWILIO_ACCOUNT_SID")
# The secret of a Twilio SharedKey, for webhooks that a Webhook Setting signs
# with it (they carry X-Twilio-Webhooks-Signature-Settings); unset refuses them.
TWILIO_WEBHOOK_SHARED_KEY = env_str("TWILIO_WEBHOOK_SHARED_KEY")
if SMS_BACKEND in ("twilio", "messaging.backends.twilio.TwilioBackend"):
    TWILIO_ACCOUNT_SID = env_required(
        "TWILIO_ACCOUNT_SID", "SMS_BACKEND is Twilio, which needs the account SID"
    )
# The auth token checks every webhook's signature, so it is required even when
# SMS goes to the console. Development runs (DEBUG) get a fixed, public token
# that `simulate_sms` and the development phone page sign with; the check
# itself is never skipped.
TWILIO_AUTH_TOKEN = env_str("TWILIO_AUTH_TOKEN") or ("development-auth-token" if DEBUG else None)
if TWILIO_AUTH_TOKEN is None:
    TWILIO_AUTH_TOKEN = env_required(
        "TWILIO_AUTH_TOKEN", "it verifies the X-Twilio-Signature of every webhook"
    )

# --- Business registration (A2P 10DLC) ---------------------------------------
# US carriers block texts from a 10-digit business number until its brand and
# campaign are registered, so BAY Numbers do not send until the brokerage's
# campaign is approved. Development (DEBUG) is a sandbox and sends anyway,
# unless the variable turns the rule on.
REGISTRATION_REQUIRED_TO_SEND = env_bool("REGISTRATION_REQUIRED_TO_SEND", default=not DEBUG)
# The ISV's own approved primary customer profile in Twilio's Trust Hub (BU...);
# each brokerage's secondary profile is linked to it on submission.
TWILIO_PRIMARY_CUSTOMER_PROFILE_SID = env_str("TWILIO_PRIMARY_CUSTOMER_PROFILE_SID")
# Development and tests only: send every Twilio REST request to this local mock
# of Twilio's API (Prism) instead of Twilio. Only a loopback URL is accepted.
TWILIO_API_MOCK_URL = env_str("TWILIO_API_MOCK_URL")
if TWILIO_API_MOCK_URL and urlsplit(TWILIO_API_MOCK_URL).hostname not in LOOPBACK_HOSTS:
    raise ImproperlyConfigured("TWILIO_API_MOCK_URL must point at 127.0.0.1, ::1 or localhost")

# Hours before a pending opt-in request may be sent again, and the most that
# may ever be sent to one phone from one BAY Number.
OPTIN_REQUEST_COOLDOWN_HOURS = 24
OPTIN_REQUEST_MAX = 2
# A possible opt-out must be decided within this many business days of the
# reply, or it counts as an opt-out (FCC: "not to exceed ten business days").
# Business days end at this hour in this time zone (see optin/deadlines.py).
OPTOUT_REVIEW_BUSINESS_DAYS = 10
OPTOUT_REVIEW_DAY_ENDS_AT = 17
OPTOUT_REVIEW_TIME_ZONE = env_str("OPTOUT_REVIEW_TIME_ZONE", "America/New_York")
# The development phone page (`/dev/phone/`) exists only while DEBUG is on.
DEV_PHONE_ENABLED = DEBUG

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "filters": {
        "refusal_without_traceback": {"()": "clientbay.log_filters.RefusalWithoutTraceback"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["refusal_without_traceback"],
        },
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # The SDK logs every request and its headers at INFO.
        "twilio.http_client": {"level": "WARNING"},
    },
}
