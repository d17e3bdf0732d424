"""Settings for the test suite: the real code, with nothing that reaches out."""

import os

# Test values for what production must set; the base module reads them.
os.environ.setdefault("DJANGO_SECRET_KEY", "test-secret-key")
os.environ.setdefault("PUBLIC_BASE_URL", "https://app.example.com")
os.environ.setdefault("TWILIO_AUTH_TOKEN", "test-auth-token")
os.environ.setdefault("TWILIO_ACCOUNT_SID", "AC" + "0" * 32)

from clientbay.settings.base import *  # noqa: E402, F403

DEBUG = False
ALLOWED_HOSTS = ["testserver", "app.example.com", "localhost", "127.0.0.1"]
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
STORAGES["staticfiles"]["BACKEND"] = (  # noqa: F405
    "django.contrib.staticfiles.storage.StaticFilesStorage"
)

# Tests never reach Twilio: the in-memory outbox stands in, as Django's test
# runner swaps in the locmem e-mail backend. Tests that exercise the Twilio
# backend build it themselves against the local Prism mock.
SMS_BACKEND = "messaging.backends.locmem.LocmemBackend"
CELERY_TASK_ALWAYS_EAGER = True
CELERY_BROKER_URL = "memory://localhost/"
# No shared rate limit or job locks unless a test asks for Redis itself.
SMS_REDIS_URL = None
# Otherwise a test's outcome would hang on the hour it runs at; the quiet
# hours tests turn this on and set the clock.
SMS_QUIET_HOURS_ENABLED = False

# Tests are a sandbox for the registration rule, as development is: the tests
# of that rule turn it on (tests/registration/test_gate.py).
REGISTRATION_REQUIRED_TO_SEND = False
TWILIO_API_MOCK_URL = None

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
DEV_PHONE_ENABLED = True
