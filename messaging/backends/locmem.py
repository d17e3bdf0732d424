"""An in-memory backend for tests: sent messages land in `outbox`."""

import uuid

from messaging.backends.base import BaseSmsBackend, SmsBackendError

outbox: list = []

# Errors to raise instead of sending, by recipient phone, so that a test can
# play a provider's refusal (21211, 21610, a 5xx) without a network. The
# test suite empties it, with the outbox, around every test.
failures: dict[str, SmsBackendError] = {}


class LocmemBackend(BaseSmsBackend):
    def send_messages(self, messages):
        """Append the messages to the module's outbox and give each a SID;
        a recipient listed in `failures` gets that error instead."""
        sent = 0
        for message in messages:
            error = failures.get(message.to)
            if error is not None:
                if not self.fail_silently:
                    raise error
                continue
            message.sid = message.sid or f"SM{uuid.uuid4().hex}"
            message.provider_status = "queued"
            outbox.append(message)
            sent += 1
        return sent
