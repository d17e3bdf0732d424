"""The production backend: sends through Twilio's Programmable Messaging API.

This is the only module of the product that imports the `twilio` SDK.
"""

import logging
import os
import threading

import requests
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from twilio.base.exceptions import TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client
from urllib3.exceptions import NewConnectionError

from messaging.backends.base import BaseSmsBackend, SmsBackendError

logger = logging.getLogger(__name__)


class TwilioBackend(BaseSmsBackend):
    """Send with `twilio.rest.Client`; `http_client` may replace the SDK's
    HTTP client (the tests point it at a local mock of Twilio's API)."""

    def __init__(self, *args, account_sid=None, auth_token=None, http_client=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.account_sid = account_sid or settings.TWILIO_ACCOUNT_SID
        self.auth_token = auth_token or settings.TWILIO_AUTH_TOKEN
        if not self.account_sid or not self.auth_token:
            raise ImproperlyConfigured(
                "The Twilio SMS backend needs TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN"
            )
        self.http_client = http_client or _process_http_client()
        self.client = None

    def open(self):
        if self.client is None:
            self.client = Client(self.account_sid, self.auth_token, http_client=self.http_client)
            # The SDK imports its Messages resource on first use, which took
            # tens of milliseconds in a new worker. The send's rate-limit
            # slot is taken after open(), so that time must be spent here,
            # not between the slot and the request reaching Twilio.
            self.client.messages  # noqa: B018

    def close(self):
        self.client = None

    def send_messages(self, messages):
        """Create one Twilio message per SmsMessage; fill in its SID and status."""
        if not messages:
            return 0
        self.open()
        sent = 0
        for message in messages:
            try:
                self._send(message)
            except SmsBackendError:
                if not self.fail_silently:
                    raise
                continue
            sent += 1
        return sent

    def _send(self, message):
        params = {"to": message.to, "body": message.body}
        # Consent was checked for this BAY Number, so it is always the sender:
        # with From given, a Messaging Service applies its settings (Advanced
        # Opt-Out, status callbacks) but does not pick another number from
        # its pool. Without a From, the service alone is named.
        if message.from_:
            params["from_"] = message.from_
        if message.messaging_service_sid:
            params["messaging_service_sid"] = message.messaging_service_sid
        if message.status_callback:
            params["status_callback"] = message.status_callback
        try:
            created = self.client.messages.create(**params)
        except TwilioRestException as error:
            raise SmsBackendError(error.msg, code=error.code, http_status=error.status) from error
        except TwilioServiceException as error:
            # The SDK raises this for errors in the RFC 9457 problem-details
            # shape; it is a refusal like the other, with the same codes.
            raise SmsBackendError(
                error.detail or error.title, code=error.code, http_status=error.status
            ) from error
        except requests.RequestException as error:
            raise SmsBackendError(
                f"Twilio could not be reached: {type(error).__name__}",
                reached_provider=_reached(error),
            ) from error
        message.sid = created.sid
        message.provider_status = created.status or ""
        logger.info("Twilio accepted message %s as %s", message.message_id, created.sid)


_local = threading.local()


def _process_http_client() -> TwilioHttpClient:
    """The HTTP client this worker's sends share, so that each text reuses
    the connection to Twilio instead of opening one (and its TLS handshake).
    One per thread and per process: a forked worker makes its own. With
    TWILIO_API_MOCK_URL set (development), it talks to that loopback mock
    and to nothing else, as the registration's calls do.

    Without a timeout a hung connection would hold a worker forever; a read
    timeout leaves the text for review (it may have gone out).
    """
    made_for = (os.getpid(), settings.TWILIO_API_MOCK_URL)
    if getattr(_local, "made_for", None) != made_for:
        _local.made_for = made_for
        if settings.TWILIO_API_MOCK_URL:
            from registration.twilio_api import LoopbackHttpClient

            _local.client = LoopbackHttpClient(
                settings.TWILIO_API_MOCK_URL, timeout=settings.TWILIO_HTTP_TIMEOUT
            )
        else:
            _local.client = TwilioHttpClient(timeout=settings.TWILIO_HTTP_TIMEOUT)
    return _local.client


def _reached(error: requests.RequestException) -> bool:
    """False only when the request certainly never reached Twilio."""
    if isinstance(error, requests.ConnectTimeout):
        return False
    reason = getattr(error.args[0] if error.args else None, "reason", None)
    return not isinstance(reason, NewConnectionError)
