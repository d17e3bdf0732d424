import pytest
from django.core.exceptions import PermissionDenied

from messaging.services import conversation_mark_read
from tests.factories import BayNumberFactory, ContactFactory, InboundMessageFactory

pytestmark = pytest.mark.django_db


class ConversationMarkReadTests:
    def test_marks_only_this_conversations_unread_inbound_texts(self, agent, bay_number, contact):
        mine = [InboundMessageFactory(bay_number=bay_number, contact=contact) for _ in range(2)]
        other = InboundMessageFactory(
            bay_number=bay_number, contact=ContactFactory(agent=agent, phone="+12025550150")
        )

        marked = conversation_mark_read(agent=agent, bay_number=bay_number, contact=contact)

        assert marked == 2
        for message in mine + [other]:
            message.refresh_from_db()
        assert all(message.read_at is not None for message in mine)
        assert other.read_at is None

    def test_a_second_call_marks_nothing(self, agent, bay_number, contact):
        InboundMessageFactory(bay_number=bay_number, contact=contact)
        conversation_mark_read(agent=agent, bay_number=bay_number, contact=contact)

        assert conversation_mark_read(agent=agent, bay_number=bay_number, contact=contact) == 0

    def test_reading_leaves_updated_at_alone(self, agent, bay_number, contact):
        message = InboundMessageFactory(bay_number=bay_number, contact=contact)
        before = message.updated_at

        conversation_mark_read(agent=agent, bay_number=bay_number, contact=contact)

        message.refresh_from_db()
        assert message.updated_at == before

    def test_another_agents_conversation_is_refused(self, agent, contact):
        with pytest.raises(PermissionDenied):
            conversation_mark_read(agent=agent, bay_number=BayNumberFactory(), contact=contact)
