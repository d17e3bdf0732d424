"""Reads for the contacts screens, each scoped to one agent."""

import dataclasses
import re

from django.db.models import Exists, OuterRef, Q

from contacts.models import Contact
from messaging.selectors import DO_NOT_TEXT, FLAGGED, consent_badge
from optin import selectors as optin_selectors
from optin.gate import check_send
from optin.models import Consent, ConsentState, DoNotTextEntry, OptOutReview

CONTACTS_PAGE_SIZE = 50


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
        reviews = OptOutReview.objects.filter(
            bay_number=bay_number, phone=OuterRef("phone"), decided_at__isnull=True
        )
        return contacts.filter(Exists(reviews))
    if consent == DO_NOT_TEXT:
        entries = DoNotTextEntry.objects.filter(
            brokerage_id=bay_number.brokerage_id, phone=OuterRef("phone"), removed_at__isnull=True
        )
        return contacts.filter(Exists(entries))
    return contacts.filter(Exists(consents.filter(state=consent)))


def contact_list(*, agent, query: str = "", bay_number=None, consent: str = ""):
    """The agent's contacts by name, narrowed by a search and by their consent
    to be texted from `bay_number`. One query however many match."""
    contacts = Contact.objects.filter(agent=agent).order_by("first_name", "last_name", "id")
    # PostgreSQL refuses a NUL in text, and no name or phone holds one.
    query = query.replace("\x00", "").strip()
    if query:
        contacts = _search(contacts, query)
    if consent and bay_number is not None:
        contacts = _with_consent(contacts, bay_number=bay_number, consent=consent)
    return contacts


@dataclasses.dataclass(frozen=True)
class TextingPanel:
    """What the contact page shows for one of the agent's BAY Numbers."""

    bay_number: object
    decision: object
    badge: object
    consent: Consent | None
    consent_events: object
    request_status: object
    open_reviews: list


def texting_panels(*, agent, contact, bay_numbers) -> list[TextingPanel]:
    """The contact's consent with each of the agent's BAY Numbers: the gate's
    decision, the opt-in requests, open reviews and the ledger (oldest first).
    A handful of queries for each BAY Number, none for each ledger row."""
    panels = []
    for bay_number in bay_numbers:
        decision = check_send(bay_number=bay_number, phone=contact.phone)
        panels.append(
            TextingPanel(
                bay_number=bay_number,
                decision=decision,
                badge=consent_badge(bay_number=bay_number, phone=contact.phone, decision=decision),
                consent=bay_number.consents.filter(phone=contact.phone).first(),
                consent_events=optin_selectors.consent_history(
                    bay_number=bay_number, phone=contact.phone
                ),
                request_status=optin_selectors.optin_request_status(
                    bay_number=bay_number, phone=contact.phone
                ),
                open_reviews=list(
                    optin_selectors.open_reviews(agent).filter(
                        bay_number=bay_number, phone=contact.phone
                    )
                ),
            )
        )
    return panels
