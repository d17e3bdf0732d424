"""The two endpoints Twilio posts to: inbound texts and delivery status.

Both are CSRF-exempt (Twilio has no CSRF token) and both refuse, with 403 and
no change, any request whose X-Twilio-Signature does not verify.
"""

import logging

from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseBadRequest, QueryDict
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from messaging import services
from messaging.signatures import twilio_signature_required

logger = logging.getLogger(__name__)

# Twilio logs error 11200 for a non-TwiML answer, and warning 14103 for an
# empty <Message/>, so the answer is always this when there is nothing to say.
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'


def _form(request) -> QueryDict:
    """The signed form with NUL characters removed: PostgreSQL cannot store
    them, and a text that cannot be stored would be lost. The signature has
    already been checked over the form as received."""
    lists = list(request.POST.lists())
    if not any("\x00" in key or any("\x00" in value for value in values) for key, values in lists):
        return request.POST
    form = QueryDict(mutable=True)
    for key, values in lists:
        form.setlist(key.replace("\x00", ""), [value.replace("\x00", "") for value in values])
    return form


def twiml(body: str = EMPTY_TWIML, status: int = 200) -> HttpResponse:
    return HttpResponse(body, status=status, content_type="text/xml; charset=utf-8")


@csrf_exempt
@require_POST
@twilio_signature_required
def twilio_inbound(request):
    """Store the inbound text first, then act on it. A failure while acting
    still answers empty TwiML: the text is stored and is retried later."""
    try:
        message, _created = services.inbound_receive(params=_form(request))
    except ValidationError as error:
        return HttpResponseBadRequest(" ".join(error.messages))

    if message.processed_at is not None:
        return twiml()
    try:
        services.inbound_process(message.pk)
    except Exception:
        logger.exception("Handling inbound message %s failed; it stays stored", message.pk)
    return twiml()


@csrf_exempt
@require_POST
@twilio_signature_required
def twilio_status(request):
    """Apply a delivery status callback; answer an empty 204."""
    services.status_callback_apply(params=_form(request))
    return HttpResponse(status=204)
