"""WSGI entry point, for gunicorn: `gunicorn clientbay.wsgi`."""

import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clientbay.settings.base")

application = get_wsgi_application()


def _settle_long_lived_objects() -> None:
    """Import what the first request would (every URLconf, so every view and
    what it uses), then take those long-lived objects out of the garbage
    collector's sight.

    A full collection walks every tracked object, and a loaded worker holds
    hundreds of thousands: bench/webhook.py caught such collections pausing
    requests for 100 to 260 ms, several times a minute per worker under load.
    Frozen objects are never walked; they are still freed by reference
    counting if they ever become garbage.
    """
    get_resolver().url_patterns  # noqa: B018 - the import is the point
    gc.collect()
    gc.freeze()


_settle_long_lived_objects()
