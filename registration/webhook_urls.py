"""The public URLs Twilio calls, as given to Twilio when numbers and
Messaging Services are set up."""

from django.conf import settings
from django.urls import reverse


def _public(name: str) -> str:
    return settings.PUBLIC_BASE_URL.rstrip("/") + reverse(name)


def inbound_sms_url() -> str:
    """Where Twilio posts texts that arrive at a BAY Number."""
    return _public("messaging:twilio_inbound")


def status_callback_url() -> str:
    """Where Twilio posts the delivery status of sent texts."""
    return _public("messaging:twilio_status")
