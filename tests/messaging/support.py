"""Put consent where a delivery test needs it, through the consent services
(so each change has its ledger row), and other small shared steps."""

import itertools

from messaging.models import Message
from optin import services as consent_services
from optin.models import ConsentEvent

_sids = itertools.count(1)


def _reply(bay_number, phone: str, body: str) -> Message:
    return Message.objects.create(
        direction=Message.Direction.INBOUND,
        bay_number=bay_number,
        from_phone=phone,
        to_phone=bay_number.phone_number,
        body=body,
        status=Message.Status.RECEIVED,
        twilio_sid=f"SMIN{next(_sids):030d}",
    )


def opt_in(bay_number, phone: str) -> None:
    """The phone texted YES to the number (no confirmation is queued)."""
    consent_services.consent_grant(
        inbound_message=_reply(bay_number, phone, "YES"),
        source=ConsentEvent.Source.INBOUND_KEYWORD,
        keyword="yes",
        confirm=False,
    )


def opt_out(bay_number, phone: str) -> None:
    """The phone texted STOP to the number (no confirmation is queued)."""
    consent_services.consent_revoke(
        bay_number=bay_number,
        phone=phone,
        source=ConsentEvent.Source.INBOUND_KEYWORD,
        inbound_message=_reply(bay_number, phone, "STOP"),
        keyword="stop",
        confirm=False,
    )
