"""Reads of consent, its ledger, reviews and the do-not-text list.

Scoping lives here, in one place: an agent sees only their own BAY Numbers
and contacts; a brokerage admin sees their brokerage; nobody sees another
brokerage. A row outside the viewer's scope does not exist for them (404).
"""

import dataclasses
import datetime

from django.conf import settings
from django.db.models import Q
from django.shortcuts import get_object_or_404

from contacts.models import Contact
from messaging.models import BayNumber, Message
from optin.models import Consent, ConsentEvent, DoNotTextEntry, OptOutReview


def can_manage(user, bay_number) -> bool:
    """Whether `user` may act on the consent of `bay_number`'s phones: its
    own agent, or an admin of its brokerage."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if bay_number.agent_id == user.pk:
        return True
    return user.is_brokerage_admin and user.brokerage_id == bay_number.brokerage_id


def visible_bay_numbers(user):
    """The BAY Numbers whose consent `user` may see: their own, or every one
    of an admin's brokerage (released ones too: their history stays)."""
    if user.is_brokerage_admin:
        return BayNumber.objects.filter(brokerage_id=user.brokerage_id)
    return BayNumber.objects.filter(agent=user)


def visible_contacts(user):
    """An agent's own contacts, or every contact of an admin's brokerage."""
    if user.is_brokerage_admin:
        return Contact.objects.filter(agent__brokerage_id=user.brokerage_id)
    return Contact.objects.filter(agent=user)


def visible_contact(user, contact_id: int) -> Contact:
    return get_object_or_404(visible_contacts(user).select_related("agent"), pk=contact_id)


def visible_consent(user, consent_id: int) -> Consent:
    return get_object_or_404(
        Consent.objects.select_related("bay_number__brokerage", "bay_number__agent"),
        pk=consent_id,
        bay_number__in=visible_bay_numbers(user),
    )


def visible_reviews(user):
    """Every review of the BAY Numbers `user` may see, with what the list shows."""
    return OptOutReview.objects.filter(bay_number__in=visible_bay_numbers(user)).select_related(
        "bay_number", "inbound_message__contact", "decided_by"
    )


def visible_review(user, review_id: int) -> OptOutReview:
    return get_object_or_404(visible_reviews(user), pk=review_id)


def open_reviews(user):
    """Possible opt-outs waiting for `user` to decide, soonest deadline first."""
    return visible_reviews(user).filter(decided_at__isnull=True).order_by("deadline", "id")


def recently_decided_reviews(user, *, limit: int = 20):
    return visible_reviews(user).filter(decided_at__isnull=False).order_by("-decided_at")[:limit]


def flagged_phones(*, bay_number, phones) -> set[str]:
    """Those of `phones` with an open possible opt-out on `bay_number`; one
    query, for the consent badges of a list."""
    return set(
        OptOutReview.objects.filter(
            bay_number=bay_number, phone__in=list(phones), decided_at__isnull=True
        ).values_list("phone", flat=True)
    )


def consent_history(*, bay_number, phone: str):
    """Every ledger row of one phone with one BAY Number, oldest first."""
    return ConsentEvent.objects.filter(bay_number=bay_number, phone=phone).select_related(
        "acting_user", "inbound_message"
    )


@dataclasses.dataclass(frozen=True)
class OptinRequestStatus:
    """When the last opt-in request went, and what came back."""

    requests_sent: int
    requests_left: int
    last_request: Message | None
    reply: Message | None
    reply_outcome: str


def _reply_outcome(reply: Message | None) -> str:
    if reply is None:
        return ""
    event = ConsentEvent.objects.filter(inbound_message=reply).order_by("id").first()
    if event is not None:
        return event.get_event_type_display()
    if OptOutReview.objects.filter(inbound_message=reply).exists():
        return "Possible opt-out, waiting for review"
    return "A reply that changed nothing"


def optin_request_status(*, bay_number, phone: str) -> OptinRequestStatus:
    """The opt-in requests sent to `phone` from `bay_number`: how many, the
    last one (its delivery status and times) and the first reply after it."""
    requests = Message.objects.filter(
        bay_number=bay_number, to_phone=phone, kind=Message.Kind.OPTIN_REQUEST
    )
    last = requests.order_by("-created_at", "-id").first()
    sent = requests.count()
    reply = None
    if last is not None:
        reply = (
            Message.objects.filter(
                bay_number=bay_number,
                from_phone=phone,
                direction=Message.Direction.INBOUND,
                created_at__gte=last.created_at,
            )
            .order_by("created_at", "id")
            .first()
        )
    return OptinRequestStatus(
        requests_sent=sent,
        requests_left=max(settings.OPTIN_REQUEST_MAX - sent, 0),
        last_request=last,
        reply=reply,
        reply_outcome=_reply_outcome(reply),
    )


def conversation_messages(*, bay_number, phone: str):
    """Every text between a BAY Number and a phone, both ways, oldest first."""
    return Message.objects.filter(bay_number=bay_number).filter(
        Q(direction=Message.Direction.OUTBOUND, to_phone=phone)
        | Q(direction=Message.Direction.INBOUND, from_phone=phone)
    )


@dataclasses.dataclass(frozen=True)
class ProofEntry:
    """One line of a proof of consent: a ledger row or a text."""

    at: datetime.datetime
    event: ConsentEvent | None = None
    message: Message | None = None


def proof_of_consent(consent: Consent) -> list[ProofEntry]:
    """Every ledger row and every text, both ways, between the consent's BAY
    Number and phone, in time order: the whole story for an audit."""
    events = consent_history(bay_number=consent.bay_number, phone=consent.phone)
    texts = conversation_messages(bay_number=consent.bay_number, phone=consent.phone)
    entries = [ProofEntry(at=event.occurred_at, event=event) for event in events]
    entries += [ProofEntry(at=text.created_at, message=text) for text in texts]
    return sorted(entries, key=lambda entry: (entry.at, entry.event is not None))


def ledger_for_export(*, brokerage_id: int, start: datetime.date, end: datetime.date):
    """The brokerage's ledger rows from `start` to `end` (whole UTC days,
    both included), oldest first, for streaming."""
    first = datetime.datetime.combine(start, datetime.time.min, tzinfo=datetime.UTC)
    last = datetime.datetime.combine(end, datetime.time.max, tzinfo=datetime.UTC)
    return (
        ConsentEvent.objects.filter(
            bay_number__brokerage_id=brokerage_id, occurred_at__gte=first, occurred_at__lte=last
        )
        .select_related("bay_number", "acting_user")
        .order_by("occurred_at", "id")
    )


def do_not_text_entries(*, brokerage_id: int):
    """The brokerage's do-not-text list, newest first (current entries only)."""
    return DoNotTextEntry.objects.filter(
        brokerage_id=brokerage_id, removed_at__isnull=True
    ).select_related("added_by")


def removed_do_not_text_entries(*, brokerage_id: int, limit: int = 50):
    return (
        DoNotTextEntry.objects.filter(brokerage_id=brokerage_id, removed_at__isnull=False)
        .select_related("added_by", "removed_by")
        .order_by("-removed_at")[:limit]
    )


def visible_do_not_text_entry(user, entry_id: int) -> DoNotTextEntry:
    return get_object_or_404(
        DoNotTextEntry, pk=entry_id, brokerage_id=user.brokerage_id, removed_at__isnull=True
    )
