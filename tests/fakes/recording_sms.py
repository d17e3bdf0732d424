"""An SMS backend that records each send to a file many processes share.

Worker tests run several `celery worker` processes; each appends one JSON
line when a send begins and one when it ends (with the time and its pid) to
`SMS_FILE_PATH/sends.jsonl`, so the test can count sends per message and
check the spacing of their start times. `RECORDING_SMS_DELAY` (seconds) makes
each send take that long, so a test can kill a worker in the middle of one.
"""

import json
import os
import time
import uuid
from pathlib import Path

from django.conf import settings

from messaging.backends.base import BaseSmsBackend

RECORD_NAME = "sends.jsonl"


class RecordingBackend(BaseSmsBackend):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.path = Path(settings.SMS_FILE_PATH) / RECORD_NAME
        self.delay = float(os.environ.get("RECORDING_SMS_DELAY", "0"))

    def _record(self, event: str, message) -> None:
        line = json.dumps(
            {
                "event": event,
                "message_id": message.message_id,
                "at": time.time(),
                "pid": os.getpid(),
                "sid": message.sid,
            }
        )
        # One short write in append mode: lines from many processes never mix.
        with self.path.open("a", encoding="utf-8") as record:
            record.write(line + "\n")

    def send_messages(self, messages):
        """Record the start, wait the configured delay, record the end."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for message in messages:
            self._record("begin", message)
            time.sleep(self.delay)
            message.sid = f"SM{uuid.uuid4().hex}"
            message.provider_status = "queued"
            self._record("end", message)
        return len(messages)


def read_record(directory: Path) -> list[dict]:
    """Every line recorded so far, in file order."""
    path = Path(directory) / RECORD_NAME
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
