import datetime

import pytest
from django.utils import timezone

from messaging import selectors
from messaging.models import Message
from optin.models import ConsentState
from optin.services import do_not_text_add
from tests.factories import (
    AdminFactory,
    AgentFactory,
    BayNumberFactory,
    ContactFactory,
    InboundMessageFactory,
    OutboundMessageFactory,
)
from tests.screens import give_consent, reply

pytestmark = pytest.mark.django_db


def at(minutes_ago: int):
    return timezone.now() - datetime.timedelta(minutes=minutes_ago)


def text(bay_number, contact, *, inbound=False, minutes_ago=0, read=False, body="Hi"):
    if inbound:
        message = InboundMessageFactory(
            bay_number=bay_number,
            contact=contact,
            from_phone=contact.phone,
            body=body,
            read_at=at(0) if read else None,
        )
    else:
        message = OutboundMessageFactory(
            bay_number=bay_number, contact=contact, to_phone=contact.phone, body=body
        )
    Message.objects.filter(pk=message.pk).update(created_at=at(minutes_ago))
    return message


class InboxPageTests:
    def test_one_row_per_contact_newest_first_with_last_text_and_unread(self, agent, bay_number):
        ava = ContactFactory(agent=agent, first_name="Ava", phone="+12025550121")
        ben = ContactFactory(agent=agent, first_name="Ben", phone="+12025550122")
        text(bay_number, ava, minutes_ago=30)
        text(bay_number, ava, inbound=True, minutes_ago=20, body="Unread 1")
        text(bay_number, ava, inbound=True, minutes_ago=10, body="Unread 2")
        text(bay_number, ben, inbound=True, minutes_ago=15, read=True)
        last_ben = text(bay_number, ben, minutes_ago=5, body="Last to Ben")

        _page, rows = selectors.inbox_page(agent=agent, bay_number=bay_number)

        assert [(r.contact, r.last_message, r.unread) for r in rows] == [
            (ben, last_ben, 0),
            (ava, Message.objects.get(body="Unread 2"), 2),
        ]

    def test_only_this_bay_number_and_the_agents_own_contacts(self, agent, bay_number):
        ava = ContactFactory(agent=agent, phone="+12025550121")
        other_number = BayNumberFactory(agent=agent, phone_number="+13305550100")
        text(other_number, ava)
        text(bay_number, ContactFactory(phone="+12025550122"))

        page, rows = selectors.inbox_page(agent=agent, bay_number=bay_number)

        assert rows == []
        assert page.paginator.count == 0

    def test_badges_follow_consent(self, agent, bay_number):
        ava = ContactFactory(agent=agent, phone="+12025550121")
        give_consent(bay_number=bay_number, contact=ava, state=ConsentState.OPTED_OUT)

        _page, rows = selectors.inbox_page(agent=agent, bay_number=bay_number)

        assert [row.badge.key for row in rows] == ["opted_out"]

    def test_pages_of_25(self, agent, bay_number):
        for n in range(30):
            contact = ContactFactory(agent=agent, phone=f"+1{300 + n}5550101")
            text(bay_number, contact, minutes_ago=n)

        page, rows = selectors.inbox_page(agent=agent, bay_number=bay_number, page_number=2)

        assert page.paginator.count == 30
        assert len(rows) == 5


class ConsentBadgesTests:
    def test_each_state_has_its_badge(self, agent, bay_number):
        phones = {}
        for n, state in enumerate(ConsentState.values):
            contact = ContactFactory(agent=agent, phone=f"+1202555012{n}")
            give_consent(bay_number=bay_number, contact=contact, state=state)
            phones[contact.phone] = state

        badges = selectors.consent_badges(bay_number=bay_number, phones=list(phones))

        assert {phone: badge.key for phone, badge in badges.items()} == phones

    def test_a_reply_to_review_shows_flagged_over_its_state(self, agent, bay_number):
        contact = ContactFactory(agent=agent, phone="+12025550121")
        give_consent(bay_number=bay_number, contact=contact, state=ConsentState.OPTED_IN)
        reply(bay_number=bay_number, phone=contact.phone, body="Please don't stop sending listings")

        badges = selectors.consent_badges(bay_number=bay_number, phones=[contact.phone])

        assert badges[contact.phone].key == "flagged"
        assert badges[contact.phone].label == "Flagged"

    def test_a_do_not_text_phone_shows_do_not_text_over_all(self, agent, bay_number):
        contact = ContactFactory(agent=agent, phone="+12025550121")
        give_consent(bay_number=bay_number, contact=contact, state=ConsentState.OPTED_IN)
        reply(bay_number=bay_number, phone=contact.phone, body="Please don't stop sending listings")
        admin = AdminFactory(brokerage=bay_number.brokerage)
        do_not_text_add(brokerage=bay_number.brokerage, phone=contact.phone, actor=admin)

        badges = selectors.consent_badges(bay_number=bay_number, phones=[contact.phone])

        assert badges[contact.phone].key == "do_not_text"


class UnreadCountsTests:
    def test_counts_unread_inbound_per_number(self, agent, bay_number):
        second = BayNumberFactory(agent=agent, phone_number="+13305550100")
        ava = ContactFactory(agent=agent, phone="+12025550121")
        text(bay_number, ava, inbound=True)
        text(bay_number, ava, inbound=True)
        text(bay_number, ava, inbound=True, read=True)
        text(second, ava, inbound=True)
        text(bay_number, ava)

        counts = selectors.unread_counts(agent=agent, bay_numbers=[bay_number, second])

        assert counts == {bay_number.pk: 2, second.pk: 1}


class ThreadTests:
    def test_latest_texts_oldest_first_and_paging_back(self, agent, bay_number, monkeypatch):
        monkeypatch.setattr(selectors, "THREAD_PAGE_SIZE", 3)
        ava = ContactFactory(agent=agent, phone="+12025550121")
        sent = [text(bay_number, ava, minutes_ago=10 - n, body=f"#{n}") for n in range(5)]

        latest, has_earlier = selectors.thread(bay_number=bay_number, contact=ava)
        earlier, more = selectors.thread(bay_number=bay_number, contact=ava, before=latest[0].pk)

        assert [m.body for m in latest] == ["#2", "#3", "#4"]
        assert has_earlier is True
        assert earlier == sent[:2]
        assert more is False

    def test_changes_since_a_moment(self, agent, bay_number):
        ava = ContactFactory(agent=agent, phone="+12025550121")
        old = text(bay_number, ava)
        Message.objects.filter(pk=old.pk).update(updated_at=at(10))
        since = at(5)
        new = text(bay_number, ava, inbound=True)

        assert selectors.thread_changes(bay_number=bay_number, contact=ava, since=since) == [new]


class AgentScopeTests:
    def test_released_numbers_are_not_the_agents(self, agent):
        kept = BayNumberFactory(agent=agent)
        BayNumberFactory(agent=agent, released_at=timezone.now())
        BayNumberFactory(agent=AgentFactory())

        assert list(selectors.agent_bay_numbers(agent)) == [kept]
