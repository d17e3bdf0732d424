"""Pluggable SMS backends, chosen by a dotted path in settings.SMS_BACKEND,
as Django chooses e-mail backends."""

from django.conf import settings
from django.utils.module_loading import import_string

from messaging.backends.base import BaseSmsBackend, SmsBackendError, SmsMessage

__all__ = ["BaseSmsBackend", "SmsBackendError", "SmsMessage", "get_connection"]

# Short names the brief uses, for convenience in SMS_BACKEND.
ALIASES = {
    "console": "messaging.backends.console.ConsoleBackend",
    "filebased": "messaging.backends.filebased.FileBackend",
    "locmem": "messaging.backends.locmem.LocmemBackend",
    "twilio": "messaging.backends.twilio.TwilioBackend",
}


def get_connection(backend: str | None = None, fail_silently: bool = False, **kwargs):
    """Return an instance of the configured (or named) SMS backend.

    Without `backend`, the SMS_BACKEND setting names the class and the
    SMS_BACKEND_OPTIONS setting (a dict) gives its constructor's keyword
    arguments; `kwargs` override those options. A backend named here gets only
    `kwargs`, since the options belong to the configured backend.
    """
    if backend is None:
        path = settings.SMS_BACKEND
        kwargs = {**settings.SMS_BACKEND_OPTIONS, **kwargs}
    else:
        path = backend
    klass = import_string(ALIASES.get(path, path))
    return klass(fail_silently=fail_silently, **kwargs)
