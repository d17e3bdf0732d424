"""Reads for the agent's screens. Each is scoped to one agent's data."""

from django.db.models import Q
from django.shortcuts import get_object_or_404

from contacts.models import Contact
from messaging.models import BayNumber, Message


def agent_bay_numbers(agent):
    """The BAY Numbers the agent texts from (assigned, not released)."""
    return BayNumber.objects.filter(agent=agent, released_at__isnull=True).select_related(
        "brokerage"
    )


def agent_contact(agent, contact_id: int) -> Contact:
    """The agent's own contact, or 404: another agent's contact does not exist."""
    return get_object_or_404(Contact, pk=contact_id, agent=agent)


def conversation(*, bay_number: BayNumber, phone: str):
    """Every text between a BAY Number and a phone, oldest first."""
    return Message.objects.filter(bay_number=bay_number).filter(
        Q(direction=Message.Direction.OUTBOUND, to_phone=phone)
        | Q(direction=Message.Direction.INBOUND, from_phone=phone)
    )
