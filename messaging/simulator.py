"""Play the contact's phone and Twilio in development: build the webhook
Twilio would send for an inbound text, sign it as Twilio would, and post it.

Used by `manage.py simulate_sms` and the development phone page. Nothing
here skips the signature check: the receiving view verifies it as always.
"""

import urllib.parse
import urllib.request
import uuid

from django.conf import settings
from django.test import Client
from django.urls import reverse

from messaging.signatures import sign

FAKE_ACCOUNT_SID = "AC" + "0" * 32


def inbound_params(*, from_phone: str, to_phone: str, body: str) -> dict[str, str]:
    """Every parameter Twilio sends with an inbound SMS, for a new MessageSid."""
    sid = "SM" + uuid.uuid4().hex
    return {
        "MessageSid": sid,
        "SmsSid": sid,
        "SmsMessageSid": sid,
        "AccountSid": settings.TWILIO_ACCOUNT_SID or FAKE_ACCOUNT_SID,
        "MessagingServiceSid": "",
        "From": from_phone,
        "To": to_phone,
        "Body": body,
        "NumMedia": "0",
        "NumSegments": "1",
        "FromCity": "",
        "FromState": "",
        "FromZip": "",
        "FromCountry": "US",
        "ToCity": "",
        "ToState": "",
        "ToZip": "",
        "ToCountry": "US",
        "SmsStatus": "received",
        "ApiVersion": "2010-04-01",
    }


def inbound_path() -> str:
    return reverse("messaging:twilio_inbound")


def post_over_http(*, server: str, params: dict[str, str]) -> tuple[int, str]:
    """POST a signed inbound webhook to a running server; return status and body.

    The signature is computed over PUBLIC_BASE_URL plus the path, the URL the
    server checks, while the request itself goes to `server`.
    """
    path = inbound_path()
    signature = sign(settings.PUBLIC_BASE_URL.rstrip("/") + path, params)
    request = urllib.request.Request(
        server.rstrip("/") + path,
        data=urllib.parse.urlencode(params).encode(),
        headers={"X-Twilio-Signature": signature},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def post_in_process(*, params: dict[str, str], host: str) -> int:
    """Send a signed inbound webhook through this process's own URL routing
    and middleware, as if Twilio had posted it; return the status code."""
    path = inbound_path()
    signature = sign(settings.PUBLIC_BASE_URL.rstrip("/") + path, params)
    client = Client(enforce_csrf_checks=True, HTTP_HOST=host)
    response = client.post(path, params, HTTP_X_TWILIO_SIGNATURE=signature)
    return response.status_code
