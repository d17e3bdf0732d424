"""The agent's lists cost a fixed number of queries, whatever the data size."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from contacts.models import Contact
from messaging.models import Message
from optin.models import Consent, ConsentState
from tests.factories import AgentFactory, BayNumberFactory

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

CONTACTS = 10_000
MESSAGES = 100_000
TALKATIVE = 2_000  # contacts that have a conversation
BATCH = 5_000
STATES = [ConsentState.PENDING, ConsentState.OPTED_IN, ConsentState.OPTED_OUT]


def phone(n: int) -> str:
    """The n-th phone of the fictional 555-01xx block, over 100 area codes."""
    return f"+1{200 + n // 100}55501{n % 100:02d}"


def add_contacts(agent, start: int, stop: int) -> list[Contact]:
    contacts = [
        Contact(agent=agent, first_name=f"Contact{n:05d}", last_name="Lee", phone=phone(n))
        for n in range(start, stop)
    ]
    return Contact.objects.bulk_create(contacts, batch_size=BATCH)


def add_consents(bay_number, contacts) -> None:
    """Consent rows for every other contact, each asked once two days ago."""
    asked = timezone.now() - datetime.timedelta(days=2)
    Consent.objects.bulk_create(
        [
            Consent(
                bay_number=bay_number,
                phone=c.phone,
                state=STATES[i % 3],
                state_changed_at=asked,
                optin_requests_sent=1,
                last_optin_request_at=asked,
            )
            for i, c in enumerate(contacts)
            if i % 2 == 0
        ],
        batch_size=BATCH,
    )


def add_messages(bay_number, contacts, count: int) -> None:
    """`count` texts spread over `contacts`, alternating direction, half
    the inbound ones unread, each a second after the last."""
    start = timezone.now() - datetime.timedelta(seconds=count)
    batch = []
    for i in range(count):
        contact = contacts[i % len(contacts)]
        inbound = i % 2 == 1
        when = start + datetime.timedelta(seconds=i)
        batch.append(
            Message(
                direction=Message.Direction.INBOUND if inbound else Message.Direction.OUTBOUND,
                bay_number=bay_number,
                contact=contact,
                from_phone=contact.phone if inbound else bay_number.phone_number,
                to_phone=bay_number.phone_number if inbound else contact.phone,
                body=f"Text number {i}",
                status=Message.Status.RECEIVED if inbound else Message.Status.DELIVERED,
                created_at=when,
                updated_at=when,
                read_at=when if inbound and i % 4 == 1 else None,
            )
        )
        if len(batch) == BATCH:
            Message.objects.bulk_create(batch)
            batch = []
    Message.objects.bulk_create(batch)


def queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured)


class ScreenQueryCountTests:
    def test_lists_do_not_grow_with_10000_contacts_and_100000_messages(
        self, client, django_assert_max_num_queries
    ):
        agent = AgentFactory()
        bay_number = BayNumberFactory(agent=agent, phone_number="+12025550100")
        client.force_login(agent)
        few = add_contacts(agent, 0, 6)
        add_consents(bay_number, few)
        add_messages(bay_number, few, 12)
        open_contact = few[0]
        conversation = reverse("messaging:conversation", args=[open_contact.pk])
        updates = reverse("messaging:conversation_updates", args=[open_contact.pk])
        urls = {
            "inbox": reverse("messaging:inbox"),
            "inbox page 3": reverse("messaging:inbox") + "?page=3",
            "conversation": f"{conversation}?bay_number={bay_number.pk}",
            "poll": f"{updates}?bay_number={bay_number.pk}&since=2000-01-01T00:00:00Z",
            "contacts": reverse("contacts:list"),
            "contacts filtered": reverse("contacts:list") + "?q=lee&consent=opted_in",
            "contacts never asked": reverse("contacts:list") + "?consent=never_asked",
            "contacts flagged": reverse("contacts:list") + "?consent=flagged",
            "contacts do not text": reverse("contacts:list") + "?consent=do_not_text",
        }
        small = {name: queries(client, url) for name, url in urls.items()}
        # The session, the agent and the BAY Numbers, then the page's own reads;
        # the conversation also shows the inbox beside the thread.
        assert max(small.values()) <= 20, small

        many = add_contacts(agent, 6, CONTACTS)
        add_consents(bay_number, many)
        add_messages(bay_number, few + many[:TALKATIVE], MESSAGES - 12)
        assert Contact.objects.filter(agent=agent).count() == CONTACTS
        assert Message.objects.count() == MESSAGES

        for name, url in urls.items():
            with django_assert_max_num_queries(small[name]):
                response = client.get(url)
            assert response.status_code == 200, name

        inbox = client.get(urls["inbox"]).content.decode()
        assert inbox.count('<a class="convo') == 25
        contacts = client.get(urls["contacts"]).content.decode()
        assert contacts.count('class="contact-link"') == 50
        assert "10,000 contacts" in contacts or "10000 contacts" in contacts
