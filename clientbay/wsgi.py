"""WSGI entry point, for gunicorn: `gunicorn clientbay.wsgi`."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clientbay.settings.base")

application = get_wsgi_application()
