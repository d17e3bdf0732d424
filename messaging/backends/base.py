"""The interface every SMS backend implements."""

import dataclasses


@dataclasses.dataclass
class SmsMessage:
    """One text for a backend to send. The backend fills in `sid` and
    `provider_status` when the provider accepts it."""

    to: str
    from_: str
    body: str
    message_id: int | None = None
    status_callback: str = ""
    messaging_service_sid: str = ""
    sid: str = ""
    provider_status: str = ""


class SmsBackendError(Exception):
    """The provider refused or could not be reached.

    `code` is the provider's error code (Twilio's, e.g. 21610), `http_status`
    the HTTP status, and `reached_provider` is False only when the request
    certainly never arrived (a refused connection), the one case a retry can
    never send a text twice.
    """

    def __init__(self, message, *, code=None, http_status=None, reached_provider=True):
        super().__init__(message)
        self.code = code
        self.http_status = http_status
        self.reached_provider = reached_provider


class BaseSmsBackend:
    """Base class for SMS backends.

    Subclasses implement `send_messages`. Settings are read in `__init__`,
    never at import time. Used as a context manager, the connection is opened
    once for a batch of sends.
    """

    def __init__(self, fail_silently: bool = False, **kwargs):
        self.fail_silently = fail_silently

    def open(self):
        """Open a connection to the provider, if the backend keeps one."""

    def close(self):
        """Close the connection opened by `open`."""

    def __enter__(self):
        try:
            self.open()
        except Exception:
            self.close()
            raise
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        self.close()

    def send_messages(self, messages: list[SmsMessage]) -> int:
        """Send the messages and return how many were accepted.

        On a failure, raise SmsBackendError unless `fail_silently` is set,
        in which case the message is skipped and not counted.
        """
        raise NotImplementedError("subclasses of BaseSmsBackend must override send_messages()")
