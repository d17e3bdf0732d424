"""A development backend that writes each text as a JSON file."""

import json
import uuid
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from messaging.backends.base import BaseSmsBackend, SmsBackendError


class FileBackend(BaseSmsBackend):
    """Write one JSON file per message into SMS_FILE_PATH (or `file_path`)."""

    def __init__(self, *args, file_path=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.file_path = Path(file_path or settings.SMS_FILE_PATH)
        if self.file_path.exists() and not self.file_path.is_dir():
            raise ImproperlyConfigured(f"SMS_FILE_PATH {self.file_path} is not a directory")

    def send_messages(self, messages):
        """Write each message to its own file; return how many were written."""
        self.file_path.mkdir(parents=True, exist_ok=True)
        sent = 0
        for message in messages:
            message.sid = message.sid or f"SM{uuid.uuid4().hex}"
            message.provider_status = "queued"
            record = {
                "sid": message.sid,
                "message_id": message.message_id,
                "from": message.from_,
                "to": message.to,
                "body": message.body,
                "status_callback": message.status_callback,
            }
            target = self.file_path / f"{message.message_id or 'sms'}-{message.sid}.json"
            try:
                target.write_text(json.dumps(record, indent=2), encoding="utf-8")
            except OSError as error:
                if not self.fail_silently:
                    raise SmsBackendError(str(error), reached_provider=False) from error
                continue
            sent += 1
        return sent
