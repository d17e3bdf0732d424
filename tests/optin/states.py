"""Put a phone in a consent state the way the product does: through the
services, from the contact's own texts or the agent's actions."""

from optin.models import Consent, ConsentEvent
from optin.services import consent_grant, consent_revoke
from tests.factories import InboundMessageFactory

PHONE = "+12025550142"


def opt_in(bay_number, phone: str = PHONE, body: str = "YES"):
    """The contact texted YES; no confirmation is queued."""
    message = InboundMessageFactory(bay_number=bay_number, from_phone=phone, body=body)
    return consent_grant(
        inbound_message=message,
        source=ConsentEvent.Source.INBOUND_KEYWORD,
        keyword="yes",
        confirm=False,
    )


def opt_out(bay_number, phone: str = PHONE):
    """The contact texted STOP; no confirmation is queued."""
    message = InboundMessageFactory(bay_number=bay_number, from_phone=phone, body="STOP")
    return consent_revoke(
        bay_number=bay_number,
        phone=phone,
        source=ConsentEvent.Source.INBOUND_KEYWORD,
        inbound_message=message,
        keyword="stop",
        confirm=False,
    )


def state_of(bay_number, phone: str = PHONE) -> str:
    consent = Consent.objects.filter(bay_number=bay_number, phone=phone).first()
    return consent.state if consent else "never_asked"


def events_of(bay_number, phone: str = PHONE) -> list[ConsentEvent]:
    return list(ConsentEvent.objects.filter(bay_number=bay_number, phone=phone))
