"""Reads for the contacts screens, each scoped to one agent."""

import re

from django.db.models import Exists, OuterRef, Q

from contacts.models import Contact
from messaging.selectors import FLAGGED, flagged_phones
from optin.models import Consent, ConsentEvent, ConsentState

CONTACTS_PAGE_SIZE = 50
HISTORY_LIMIT = 200


_PHONE_LIKE = re.compile(r"^[\d\s()+.\-]+$")


def _search(contacts, query: str):
    """A query that looks like a phone matches phones by their digits; any
    other matches word by word, each in a name or the e-mail (or, for a run
    of three digits or more, the phone)."""
    digits = re.sub(r"\D", "", query)
    if _PHONE_LIKE.match(query) and len(digits) >= 3:
        return contacts.filter(phone__contains=digits)
    for word in query.split():
        digits = re.sub(r"\D", "", word)
        match = (
            Q(first_name__icontains=word) | Q(last_name__icontains=word) | Q(email__icontains=word)
        )
        if len(digits) >= 3:
            match |= Q(phone__contains=digits)
        contacts = contacts.filter(match)
    return contacts


def _with_consent(contacts, *, bay_number, consent: str):
    consents = Consent.objects.filter(bay_number=bay_number, phone=OuterRef("phone"))
    if consent == ConsentState.NEVER_ASKED:
        return contacts.exclude(Exists(consents.exclude(state=ConsentState.NEVER_ASKED)))
    if consent == FLAGGED:
        phones = contacts.values_list("phone", flat=True)
        return contacts.filter(phone__in=flagged_phones(bay_number=bay_number, phones=phones))
    return contacts.filter(Exists(consents.filter(state=consent)))


def contact_list(*, agent, query: str = "", bay_number=None, consent: str = ""):
    """The agent's contacts by name, narrowed by a search and by their consent
    to be texted from `bay_number`. One query however many match."""
    contacts = Contact.objects.filter(agent=agent).order_by("first_name", "last_name", "id")
    if query.strip():
        contacts = _search(contacts, query.strip())
    if consent and bay_number is not None:
        contacts = _with_consent(contacts, bay_number=bay_number, consent=consent)
    return contacts


def consent_history(*, contact, bay_numbers):
    """The consent ledger of the contact's phone with the agent's BAY Numbers,
    newest first (at most HISTORY_LIMIT rows)."""
    return (
        ConsentEvent.objects.filter(bay_number__in=bay_numbers, phone=contact.phone)
        .select_related("bay_number", "acting_user")
        .order_by("-occurred_at", "-id")[:HISTORY_LIMIT]
    )
