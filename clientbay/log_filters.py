"""Logging filters for the console handler."""

import logging


class RefusalWithoutTraceback(logging.Filter):
    """Keep Django's one-line warning for a refused request, without the
    traceback of the PermissionDenied or 404 behind it.

    A 403 or 404 is the app answering as it should (another agent's contact,
    a page that does not exist), not a fault; a traceback for each one buries
    the real faults. Server errors keep theirs.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "django.request" and getattr(record, "status_code", None) in (403, 404):
            record.exc_info = None
            record.exc_text = None
        return True
