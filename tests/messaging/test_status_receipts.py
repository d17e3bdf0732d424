"""Status callbacks: one receipt per (MessageSid, status), forward only,
ErrorCode and RawDlrDoneDate kept, early callbacks applied when the SID is known."""

import pytest

from messaging import services
from messaging.backends.locmem import LocmemBackend
from messaging.models import Message, StatusReceipt
from tests.concurrency import at_the_same_moment
from tests.factories import OutboundMessageFactory
from tests.messaging import support
from tests.services import require_postgres

SID = "SM" + "a" * 32


@pytest.fixture
def sent(bay_number, contact):
    return OutboundMessageFactory(
        bay_number=bay_number, contact=contact, status=Message.Status.SENDING, twilio_sid=SID
    )


@pytest.mark.django_db
class StatusReceiptTests:
    def test_repeated_callback_is_kept_once_and_changes_nothing_more(self, twilio, sent):
        for _ in range(2):
            assert twilio.status(MessageSid=SID, MessageStatus="delivered").status_code == 204

        assert StatusReceipt.objects.filter(message_sid=SID, status="delivered").count() == 1
        sent.refresh_from_db()
        assert sent.status == Message.Status.DELIVERED

    def test_each_status_of_a_message_gets_its_own_receipt(self, twilio, sent):
        for status in ("sent", "delivered"):
            twilio.status(MessageSid=SID, MessageStatus=status)

        assert sorted(sent.receipts.values_list("status", flat=True)) == ["delivered", "sent"]

    def test_late_sent_after_delivered_is_recorded_but_moves_nothing(self, twilio, sent):
        twilio.status(MessageSid=SID, MessageStatus="delivered", RawDlrDoneDate="2607011530")
        twilio.status(MessageSid=SID, MessageStatus="sent")

        sent.refresh_from_db()
        assert sent.status == Message.Status.DELIVERED
        assert sent.dlr_done_date == "2607011530"
        assert StatusReceipt.objects.get(status="sent").applied_at is not None

    def test_error_code_and_raw_dlr_done_date_are_recorded(self, twilio, sent):
        twilio.status(
            MessageSid=SID,
            MessageStatus="undelivered",
            ErrorCode="30003",
            RawDlrDoneDate="2607011531",
        )

        receipt = StatusReceipt.objects.get()
        sent.refresh_from_db()
        assert (receipt.error_code, receipt.raw_dlr_done_date) == ("30003", "2607011531")
        assert receipt.payload["MessageStatus"] == "undelivered"
        assert (sent.status, sent.error_code, sent.dlr_done_date) == (
            Message.Status.UNDELIVERED,
            "30003",
            "2607011531",
        )
        assert sent.failure_reason == "The phone is unreachable (off or out of service)."

    def test_callback_before_the_sid_is_recorded_is_applied_when_it_is(
        self, twilio, bay_number, contact, monkeypatch
    ):
        """Twilio can call back before its answer to the send is recorded."""
        support.opt_in(bay_number, contact.phone)
        message = OutboundMessageFactory(bay_number=bay_number, contact=contact)
        twilio.status(MessageSid=SID, MessageStatus="delivered")

        def accept_as_sid(self, messages):
            messages[0].sid = SID
            return 1

        monkeypatch.setattr(LocmemBackend, "send_messages", accept_as_sid)
        services.sms_deliver(message.pk)

        message.refresh_from_db()
        assert message.status == Message.Status.DELIVERED
        assert StatusReceipt.objects.get().message_id == message.pk

    def test_periodic_sweep_applies_receipts_that_missed_their_sid(self, twilio, sent):
        twilio.status(MessageSid="SM" + "b" * 32, MessageStatus="sent")
        Message.objects.filter(pk=sent.pk).update(twilio_sid="SM" + "b" * 32)

        assert services.receipts_apply_waiting() == 1
        sent.refresh_from_db()
        assert sent.status == Message.Status.SENT

    def test_callback_without_sid_or_with_unknown_status_is_ignored(self, twilio, sent):
        twilio.status(MessageSid=SID, MessageStatus="exploded")

        assert not StatusReceipt.objects.exists()


@pytest.mark.django_db(transaction=True)
class ConcurrentReceiptTests:
    def test_two_copies_at_once_make_one_receipt_and_one_change(self, bay_number, contact):
        """The unique constraint, not a check-then-insert, decides."""
        require_postgres()
        sent = OutboundMessageFactory(
            bay_number=bay_number, contact=contact, status=Message.Status.SENT, twilio_sid=SID
        )
        params = {"MessageSid": SID, "MessageStatus": "failed", "ErrorCode": "21610"}

        def deliver():
            from django.http import QueryDict

            query = QueryDict(mutable=True)
            query.update(params)
            return services.status_callback_apply(params=query)

        results = at_the_same_moment(deliver)

        assert sorted(result is None for result in results) == [False, True]
        assert StatusReceipt.objects.count() == 1
        assert bay_number.consents.get(phone=contact.phone).events.count() == 1
        sent.refresh_from_db()
        assert sent.status == Message.Status.FAILED
