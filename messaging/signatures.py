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

A Twilio Webhook Setting may sign with a SharedKey instead of the auth token;
Twilio then adds X-Twilio-Webhooks-Signature-Settings naming the algorithm
(HMAC_SHA256). Such a request is checked with TWILIO_WEBHOOK_SHARED_KEY and
that algorithm, and refused when no shared key is set here. Without the
header, the auth token and HMAC-SHA1 check it, as before.
"""

import functools
import hmac
import logging

from django.conf import settings
from django.http import HttpResponseForbidden
from twilio.request_validator import (
    HMAC_SHA1,
    SIGNATURE_SETTINGS_HEADER,
    RequestValidator,
    get_signature_algorithm,
)

logger = logging.getLogger(__name__)


def public_url(request) -> str:
    """Return the URL Twilio called: the public base URL, path and query."""
    return settings.PUBLIC_BASE_URL.rstrip("/") + request.get_full_path()


def is_valid_signature(request) -> bool:
    """Whether the request's X-Twilio-Signature matches its URL and form."""
    signature = request.headers.get("X-Twilio-Signature", "")
    secret, algorithm = _secret_and_algorithm(request)
    if not signature or not secret:
        return False
    url = public_url(request)
    validator = RequestValidator(secret)
    try:
        expected = validator.compute_signature(url, request.POST, algorithm)
    except ValueError:
        logger.warning("Rejected a webhook signed with an unknown algorithm: %.40s", algorithm)
        return False
    if hmac.compare_digest(expected.encode(), signature.encode()):
        return True
    return validator.validate(url, request.POST, signature, algorithm)


def _secret_and_algorithm(request) -> tuple[str | None, str]:
    """The secret and algorithm this request says it was signed with."""
    signature_settings = request.headers.get(SIGNATURE_SETTINGS_HEADER, "")
    if not signature_settings:
        return settings.TWILIO_AUTH_TOKEN, HMAC_SHA1
    if not settings.TWILIO_WEBHOOK_SHARED_KEY:
        logger.error(
            "A webhook was signed with a Twilio SharedKey, but TWILIO_WEBHOOK_SHARED_KEY is not "
            "set: it is refused"
        )
        return None, HMAC_SHA1
    return settings.TWILIO_WEBHOOK_SHARED_KEY, get_signature_algorithm(signature_settings)


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
