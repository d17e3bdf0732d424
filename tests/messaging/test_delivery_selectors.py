"""Delivery reads and edges: texts held for review, held numbers, the new
models' names, and the review and failure services' refusals."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from messaging import holds, selectors, services
from messaging.models import BulkSend, Message, StatusReceipt
from tests.factories import (
    AdminFactory,
    AgentFactory,
    BayNumberFactory,
    ContactFactory,
    OutboundMessageFactory,
)


@pytest.mark.django_db
class DeliverySelectorTests:
    def test_texts_needing_review_are_the_agents_own_or_the_brokerages(self, bay_number):
        agent = bay_number.agent
        mine = OutboundMessageFactory(
            bay_number=bay_number, contact=ContactFactory(agent=agent), status="needs_review"
        )
        OutboundMessageFactory(bay_number=bay_number, status="sending")
        colleague = BayNumberFactory(agent=AgentFactory(brokerage=bay_number.brokerage))
        theirs = OutboundMessageFactory(
            bay_number=colleague,
            contact=ContactFactory(agent=colleague.agent),
            status="needs_review",
        )
        OutboundMessageFactory(bay_number=BayNumberFactory(), status="needs_review")
        admin = AdminFactory(brokerage=bay_number.brokerage)

        assert list(selectors.held_texts(agent)) == [mine]
        assert set(selectors.held_texts(admin)) == {
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


@pytest.mark.django_db
class DeliveryModelTests:
    def test_receipt_and_bulk_send_name_themselves(self, bay_number):
        receipt = StatusReceipt.objects.create(message_sid="SM" + "a" * 32, status="sent")
        bulk = BulkSend.objects.create(agent=bay_number.agent, bay_number=bay_number, body="Hi")

        assert str(receipt) == f"SM{'a' * 32} sent"
        assert str(bulk) == f"Bulk send #{bulk.pk}"

    def test_a_text_that_does_not_wait_has_no_local_time(self, bay_number):
        assert OutboundMessageFactory(bay_number=bay_number).not_before_local is None


@pytest.mark.django_db
class ReviewAndRetryEdgeTests:
    def test_closing_a_text_that_is_not_held_for_review_is_refused(self, bay_number):
        sent = OutboundMessageFactory(bay_number=bay_number, status="sent")

        with pytest.raises(ValidationError):
            services.sms_review_close(message=sent, actor=bay_number.agent)

    def test_failure_hook_leaves_a_claimed_text_alone(self, bay_number):
        claimed = OutboundMessageFactory(bay_number=bay_number, status="sending")

        services.sms_mark_failed(claimed.pk, "gave up")

        claimed.refresh_from_db()
        assert claimed.status == Message.Status.SENDING

    def test_redelivered_task_before_its_window_leaves_the_text_waiting(self, bay_number):
        later = timezone.now() + datetime.timedelta(hours=3)
        waiting = OutboundMessageFactory(bay_number=bay_number, not_before=later)

        assert services.sms_deliver(waiting.pk) == "skipped"

        waiting.refresh_from_db()
        assert (waiting.status, waiting.not_before, waiting.attempts) == ("queued", later, 0)
