"""A development backend that prints each text instead of sending it."""

import sys
import threading
import uuid

from messaging.backends.base import BaseSmsBackend


class ConsoleBackend(BaseSmsBackend):
    def __init__(self, *args, stream=None, **kwargs):
        self.stream = stream or sys.stdout
        self._lock = threading.RLock()
        super().__init__(*args, **kwargs)

    def send_messages(self, messages):
        """Write each message to the stream and give it a SID."""
        with self._lock:
            for message in messages:
                message.sid = message.sid or f"SM{uuid.uuid4().hex}"
                message.provider_status = "sent"
                self.stream.write(
                    f"--- SMS {message.sid} (message #{message.message_id})\n"
                    f"From: {message.from_}\nTo: {message.to}\n\n{message.body}\n"
                    f"{'-' * 40}\n"
                )
            self.stream.flush()
        return len(messages)
