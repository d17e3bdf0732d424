"""Twilio webhook signatures: every webhook request must carry a valid one.

The signature covers the URL Twilio called, which behind a TLS-terminating
proxy is not the URL Django sees, so it is rebuilt from PUBLIC_BASE_URL plus
the path and query as received (FC-01). The SDK's validator also tries the
URL with and without the default port (FC-02) and hashes every value of a
repeated parameter, which is why it is given the QueryDict itself (FC-03).

The validator computes both port forms for every request. Twilio signs the
URL as it was configured, which is nearly always the URL as rebuilt here, so
that one signature is checked first and the SDK tries the other forms only
when it does not match: the same requests pass, for half the hashing.
"""

import functools
import hmac
import logging

from django.conf import settings
from django.http import HttpResponseForbidden
from twilio.request_validator import RequestValidator

logger = logging.getLogger(__name__)


def public_url(request) -> str:
    """Return the URL Twilio called: the public base URL, path and query."""
    return settings.PUBLIC_BASE_URL.rstrip("/") + request.get_full_path()


def is_valid_signature(request) -> bool:
    """Whether the request's X-Twilio-Signature matches its URL and form."""
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature:
        return False
    url = public_url(request)
    validator = RequestValidator(settings.TWILIO_AUTH_TOKEN)
    expected = validator.compute_signature(url, request.POST)
    if hmac.compare_digest(expected.encode(), signature.encode()):
        return True
    return validator.validate(url, request.POST, signature)


def sign(url: str, params) -> str:
    """Return the signature Twilio would send for `params` posted to `url`."""
    return RequestValidator(settings.TWILIO_AUTH_TOKEN).compute_signature(url, params)


def twilio_signature_required(view):
    """Answer 403, changing nothing, unless the request is signed by Twilio."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if not is_valid_signature(request):
            logger.warning("Rejected a webhook with a bad or missing signature: %s", request.path)
            return HttpResponseForbidden("Invalid Twilio signature.")
        return view(request, *args, **kwargs)

    return wrapped
