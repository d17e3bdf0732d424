"""Helpers for the screen tests: bring a phone's consent to a state the way
a real one gets there, through the opt-in request and the contact's reply."""

from urllib.parse import urlencode

from django.http import QueryDict

from messaging import services, simulator
from optin.models import ConsentState
from optin.services import consent_request_optin

_REPLIES = {ConsentState.OPTED_IN: "YES", ConsentState.OPTED_OUT: "STOP"}


def reply(*, bay_number, phone: str, body: str):
    """Receive and process an inbound text from `phone`, as the webhook does."""
    params = simulator.inbound_params(from_phone=phone, to_phone=bay_number.phone_number, body=body)
    message, _ = services.inbound_receive(params=QueryDict(urlencode(params)))
    services.inbound_process(message.pk)
    return message


def give_consent(*, bay_number, contact, state: str) -> None:
    """Move the contact's consent for `bay_number` to `state`."""
    if state == ConsentState.NEVER_ASKED:
        return
    consent_request_optin(bay_number=bay_number, contact=contact, actor=bay_number.agent)
    if state in _REPLIES:
        reply(bay_number=bay_number, phone=contact.phone, body=_REPLIES[state])
