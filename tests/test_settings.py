from django.conf import settings

from messaging.backends import get_connection
from messaging.backends.locmem import LocmemBackend


class SettingsTests:
    def test_active_sms_backend_is_locmem(self):
        """Tests can never reach Twilio: the configured backend is in-memory."""
        assert isinstance(get_connection(), LocmemBackend)

    def test_celery_runs_eagerly(self):
        assert settings.CELERY_TASK_ALWAYS_EAGER is True
