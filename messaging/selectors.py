"""Reads for the agent's screens. Each is scoped to one agent's data, and
each list costs a fixed number of queries however much data there is."""

import dataclasses
import datetime

from django.core.paginator import Page, Paginator
from django.db.models import Count, Max, Q
from django.shortcuts import get_object_or_404
from django.utils import timezone

from contacts.models import Contact
from messaging.models import BayNumber, Message, MessageTemplate
from optin import selectors as optin_selectors
from optin.gate import do_not_text_phones
from optin.models import Consent, ConsentState

INBOX_PAGE_SIZE = 25
THREAD_PAGE_SIZE = 100
FLAGGED = "flagged"
DO_NOT_TEXT = "do_not_text"


def agent_bay_numbers(agent):
    """The BAY Numbers the agent texts from: assigned, not released, and of
    the agent's own brokerage."""
    return BayNumber.objects.filter(
        agent=agent, brokerage_id=agent.brokerage_id, released_at__isnull=True
    ).select_related("brokerage")


def bay_numbers_among(phones) -> set[str]:
    """Those of `phones` that are BAY Numbers in use (not released); one
    query. Such a phone is never a contact: it would text us back."""
    return set(
        BayNumber.objects.filter(
            phone_number__in=list(phones), released_at__isnull=True
        ).values_list("phone_number", flat=True)
    )


def agent_bay_number(agent, bay_number_id: int) -> BayNumber:
    """The agent's own BAY Number, or 404: another agent's does not exist."""
    return get_object_or_404(agent_bay_numbers(agent), pk=bay_number_id)


def agent_contact(agent, contact_id: int) -> Contact:
    """The agent's own contact, or 404: another agent's contact does not exist."""
    return get_object_or_404(Contact, pk=contact_id, agent=agent)


def agent_templates(agent):
    """The agent's saved templates, by name."""
    return MessageTemplate.objects.filter(agent=agent)


def agent_template(agent, template_id: int) -> MessageTemplate:
    """The agent's own saved template, or 404."""
    return get_object_or_404(MessageTemplate, pk=template_id, agent=agent)


# --- Consent badges -----------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Badge:
    """How a phone's consent looks on screen: a short label and what it means."""

    key: str
    label: str
    description: str


BADGES = {
    ConsentState.NEVER_ASKED: Badge(
        "never_asked", "Never asked", "Not asked to opt in yet. Send an opt-in request first."
    ),
    ConsentState.PENDING: Badge(
        "pending", "Pending", "Opt-in request sent. Waiting for the contact to reply YES."
    ),
    ConsentState.OPTED_IN: Badge("opted_in", "Opted in", "The contact agreed to get texts."),
    ConsentState.OPTED_OUT: Badge(
        "opted_out", "Opted out", "The contact said stop. Only they can opt back in."
    ),
    FLAGGED: Badge(
        FLAGGED, "Flagged", "A reply may be an opt-out. Review it before texting again."
    ),
    DO_NOT_TEXT: Badge(
        DO_NOT_TEXT,
        "Do not text",
        "On your brokerage's do-not-text list. Nobody in the brokerage may text this phone.",
    ),
}
# The order of the consent filter on the contacts list.
BADGE_CHOICES = [(key, badge.label) for key, badge in BADGES.items()]


def flagged_phones(*, bay_number: BayNumber, phones) -> set[str]:
    """The phones among `phones` with a reply to `bay_number` that may be an
    opt-out and still waits for review (optin's review list). One query."""
    return optin_selectors.flagged_phones(bay_number=bay_number, phones=phones)


def do_not_text(*, bay_number: BayNumber, phones) -> set[str]:
    """The phones among `phones` on the brokerage's do-not-text list. One query."""
    return do_not_text_phones(brokerage_id=bay_number.brokerage_id, phones=phones)


def consent_states(*, bay_number: BayNumber, phones) -> dict[str, str]:
    """Each phone's consent state for `bay_number`; one query."""
    phones = list(dict.fromkeys(phones))
    found = dict(
        Consent.objects.filter(bay_number=bay_number, phone__in=phones).values_list(
            "phone", "state"
        )
    )
    return {phone: found.get(phone, ConsentState.NEVER_ASKED) for phone in phones}


def _badge(state: str, *, flagged: bool, blocked: bool) -> Badge:
    # The do-not-text list refuses whatever the consent, and a flag asks the
    # agent to act, so each shows over the state.
    if blocked:
        return BADGES[DO_NOT_TEXT]
    if flagged:
        return BADGES[FLAGGED]
    return BADGES[ConsentState(state)]


def consent_badges(*, bay_number: BayNumber, phones) -> dict[str, Badge]:
    """Each phone's badge for `bay_number`. Three queries, whatever the count."""
    states = consent_states(bay_number=bay_number, phones=phones)
    flagged = flagged_phones(bay_number=bay_number, phones=list(states))
    blocked = do_not_text(bay_number=bay_number, phones=list(states))
    return {
        phone: _badge(state, flagged=phone in flagged, blocked=phone in blocked)
        for phone, state in states.items()
    }


def consent_badge(*, bay_number: BayNumber, phone: str, decision) -> Badge:
    """The badge of one phone whose gate decision is already known; one
    query, for the flag."""
    flagged = bool(flagged_phones(bay_number=bay_number, phones=[phone]))
    return _badge(decision.state, flagged=flagged, blocked=decision.do_not_text)


# --- The inbox ------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class ConversationSummary:
    contact: Contact
    last_message: Message
    unread: int
    badge: Badge


def unread_counts(*, agent, bay_numbers) -> dict[int, int]:
    """Unread inbound texts per BAY Number, for the tabs; one query."""
    rows = (
        Message.objects.filter(
            bay_number__in=bay_numbers,
            contact__agent=agent,
            direction=Message.Direction.INBOUND,
            read_at__isnull=True,
        )
        .values("bay_number")
        .annotate(unread=Count("id"))
        .order_by()
    )
    return {row["bay_number"]: row["unread"] for row in rows}


def _conversations(*, agent, bay_number: BayNumber):
    """One row per contact the BAY Number has texted with, newest first.

    Only the agent's own contacts count: texts a BAY Number exchanged while
    another agent held it stay that agent's.
    """
    return (
        Message.objects.filter(bay_number=bay_number, contact__agent=agent)
        .values("contact_id")
        .annotate(
            last_at=Max("created_at"),
            last_id=Max("id"),
            unread=Count(
                "id",
                filter=Q(direction=Message.Direction.INBOUND, read_at__isnull=True),
            ),
        )
        .order_by("-last_at", "-last_id")
    )


def inbox_page(
    *, agent, bay_number: BayNumber, page_number=1, per_page: int = INBOX_PAGE_SIZE
) -> tuple[Page, list[ConversationSummary]]:
    """A page of the BAY Number's conversations and what each row shows.

    Five queries whatever the number of texts and contacts: the count, the
    page, its contacts, their last texts, and their badges (two).
    """
    page = Paginator(_conversations(agent=agent, bay_number=bay_number), per_page).get_page(
        page_number
    )
    rows = list(page.object_list)
    contacts = Contact.objects.in_bulk([row["contact_id"] for row in rows])
    last = Message.objects.in_bulk([row["last_id"] for row in rows])
    badges = consent_badges(
        bay_number=bay_number, phones=[contact.phone for contact in contacts.values()]
    )
    summaries = [
        ConversationSummary(
            contact=contacts[row["contact_id"]],
            last_message=last[row["last_id"]],
            unread=row["unread"],
            badge=badges[contacts[row["contact_id"]].phone],
        )
        for row in rows
    ]
    return page, summaries


# --- A conversation -----------------------------------------------------------------


def thread(
    *, bay_number: BayNumber, contact: Contact, before: int | None = None
) -> tuple[list[Message], bool]:
    """The latest texts between a BAY Number and a contact, oldest first, and
    whether earlier ones exist. `before` pages back from a message id."""
    messages = Message.objects.filter(bay_number=bay_number, contact=contact)
    if before:
        messages = messages.filter(id__lt=before)
    latest = list(messages.order_by("-created_at", "-id")[: THREAD_PAGE_SIZE + 1])
    has_earlier = len(latest) > THREAD_PAGE_SIZE
    return latest[:THREAD_PAGE_SIZE][::-1], has_earlier


def thread_changes(
    *, bay_number: BayNumber, contact: Contact, since: datetime.datetime
) -> list[Message]:
    """Texts of a conversation that arrived or changed since `since`, oldest first."""
    return list(
        Message.objects.filter(
            bay_number=bay_number, contact=contact, updated_at__gte=since
        ).order_by("created_at", "id")[:THREAD_PAGE_SIZE]
    )


# --- A BAY Number's page ------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class BayNumberStats:
    consents: dict[str, int]
    sent_30_days: int
    received_30_days: int


def bay_number_stats(*, bay_number: BayNumber) -> BayNumberStats:
    """Consents by state and the last 30 days' texts of one BAY Number; two queries."""
    consents = dict.fromkeys(ConsentState.values, 0)
    consents.update(
        Consent.objects.filter(bay_number=bay_number)
        .values_list("state")
        .annotate(total=Count("id"))
        .order_by()
    )
    since = timezone.now() - datetime.timedelta(days=30)
    counts = Message.objects.filter(bay_number=bay_number, created_at__gte=since).aggregate(
        sent=Count("id", filter=Q(direction=Message.Direction.OUTBOUND)),
        received=Count("id", filter=Q(direction=Message.Direction.INBOUND)),
    )
    return BayNumberStats(
        consents=consents, sent_30_days=counts["sent"], received_30_days=counts["received"]
    )


def _outbound_texts_of(user):
    """Outbound texts `user` answers for: an agent's to their own contacts
    (wherever the BAY Number went since), every one of an admin's brokerage."""
    texts = Message.objects.filter(direction=Message.Direction.OUTBOUND)
    if user.is_brokerage_admin:
        return texts.filter(bay_number__brokerage_id=user.brokerage_id)
    return texts.filter(Q(contact__agent=user) | Q(contact__isnull=True, sent_by=user))


def held_texts(user):
    """The texts held for review that `user` decides on, newest first."""
    return (
        _outbound_texts_of(user)
        .filter(status=Message.Status.NEEDS_REVIEW)
        .select_related("contact", "bay_number")
        .order_by("-updated_at")
    )


def decidable_text(user, message_id: int) -> Message:
    """An outbound text `user` answers for (404 otherwise), whatever its
    status: a second click on a decided text is told so."""
    return get_object_or_404(_outbound_texts_of(user), pk=message_id)


def held_bay_numbers(*, brokerage):
    """A brokerage's BAY Numbers whose sending is held (error 30034)."""
    return BayNumber.objects.filter(brokerage=brokerage, sending_held_at__isnull=False)
