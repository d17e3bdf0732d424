"""A development backend that prints each text instead of sending it."""

import sys
import threading
import uuid

from messaging.backends.base import BaseSmsBackend, SmsBackendError


class ConsoleBackend(BaseSmsBackend):
    def __init__(self, *args, stream=None, **kwargs):
        self.stream = stream or sys.stdout
        self._lock = threading.RLock()
        super().__init__(*args, **kwargs)

    def send_messages(self, messages):
        """Write each message to the stream and give it a SID; return how many
        were written. A stream that cannot be written to is a send failure."""
        sent = 0
        with self._lock:
            for message in messages:
                try:
                    self._write(message)
                except (OSError, ValueError) as error:
                    if not self.fail_silently:
                        raise SmsBackendError(str(error), reached_provider=False) from error
                    continue
                sent += 1
        return sent

    def _write(self, message):
        sid = message.sid or f"SM{uuid.uuid4().hex}"
        self.stream.write(
            f"--- SMS {sid} (message #{message.message_id})\n"
            f"From: {message.from_}\nTo: {message.to}\n\n{message.body}\n"
            f"{'-' * 40}\n"
        )
        self.stream.flush()
        message.sid = sid
        message.provider_status = "sent"
