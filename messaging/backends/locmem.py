"""An in-memory backend for tests: sent messages land in `outbox`."""

import uuid

from messaging.backends.base import BaseSmsBackend

outbox: list = []


class LocmemBackend(BaseSmsBackend):
    def send_messages(self, messages):
        """Append the messages to the module's outbox and give each a SID."""
        for message in messages:
            message.sid = message.sid or f"SM{uuid.uuid4().hex}"
            message.provider_status = "queued"
            outbox.append(message)
        return len(messages)
