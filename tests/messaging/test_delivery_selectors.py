"""Reads for the screens about delivery: texts held for review, held numbers."""

import pytest

from messaging import holds, selectors
from messaging.models import Message
from tests.factories import AgentFactory, BayNumberFactory, OutboundMessageFactory


@pytest.mark.django_db
class DeliverySelectorTests:
    def test_texts_needing_review_are_the_agents_own_or_the_brokerages(self, bay_number):
        mine = OutboundMessageFactory(bay_number=bay_number, status="needs_review")
        OutboundMessageFactory(bay_number=bay_number, status="sending")
        colleague = BayNumberFactory(agent=AgentFactory(brokerage=bay_number.brokerage))
        theirs = OutboundMessageFactory(bay_number=colleague, status="needs_review")
        OutboundMessageFactory(bay_number=BayNumberFactory(), status="needs_review")

        assert list(selectors.messages_needing_review(agent=bay_number.agent)) == [mine]
        assert set(selectors.messages_needing_review(brokerage=bay_number.brokerage)) == {
            mine,
            theirs,
        }
        assert Message.objects.filter(status="needs_review").count() == 3

    def test_held_numbers_of_a_brokerage(self, bay_number):
        other = BayNumberFactory(agent=AgentFactory(brokerage=bay_number.brokerage))
        holds.bay_number_hold_sending(bay_number_id=bay_number.pk, reason="30034")

        assert list(selectors.held_bay_numbers(brokerage=bay_number.brokerage)) == [bay_number]
        assert other not in selectors.held_bay_numbers(brokerage=bay_number.brokerage)

    def test_holding_twice_holds_once(self, bay_number):
        assert holds.bay_number_hold_sending(bay_number_id=bay_number.pk, reason="30034")
        assert not holds.bay_number_hold_sending(bay_number_id=bay_number.pk, reason="again")
