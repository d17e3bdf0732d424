"""The inbound webhook's own work: one insert for an ordinary text, the
consent step only for replies that ask something of it."""

from urllib.parse import urlencode

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext

from contacts.models import Contact
from messaging.models import Message
from optin.models import Consent, ConsentEvent
from optin.services import reply_needs_action
from tests.conftest import INBOUND_PATH, inbound_params, twilio_signature
from tests.factories import OutboundMessageFactory


class ReplyNeedsActionTests:
    @pytest.mark.parametrize(
        ("body", "opt_out_type", "needed"),
        [
            ("Sounds good, see you Saturday", "", False),
            ("", "", False),
            ("STOP", "", True),
            ("Yes!", "", True),
            ("HELP", "", True),
            ("Please don't stop sending listings", "", True),  # possible opt-out: review
            ("Sounds good", "STOP", True),
            ("Sounds good", "start", True),
        ],
    )
    def test_only_replies_that_change_or_question_consent_need_action(
        self, body, opt_out_type, needed
    ):
        assert reply_needs_action(body=body, opt_out_type=opt_out_type) is needed


@pytest.mark.django_db
class InboundPathTests:
    def test_ordinary_text_is_stored_processed_in_one_statement(self, twilio, bay_number, contact):
        with CaptureQueriesContext(connection) as captured:
            response = twilio.inbound(Body="Sounds good, see you Saturday")

        assert response.status_code == 200
        message = Message.objects.get(twilio_sid="SM_IN_01")
        assert message.processed_at is not None
        assert (message.bay_number, message.contact) == (bay_number, contact)
        statements = [
            q["sql"] for q in captured if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))
        ]
        assert len(statements) == 1
        assert "INSERT INTO" in statements[0] and "ON CONFLICT" in statements[0]

    def test_first_text_from_a_new_phone_makes_a_linked_lead(self, twilio, bay_number, db):
        twilio.inbound(From="+12025550188", Body="Is the house on Elm still for sale?")

        message = Message.objects.get(twilio_sid="SM_IN_01")
        lead = Contact.objects.get(agent=bay_number.agent, phone="+12025550188")
        assert (lead.kind, lead.first_name) == (Contact.Kind.LEAD, "Unknown")
        assert message.contact == lead and message.processed_at is not None

    def test_text_from_a_short_code_is_stored_processed_without_a_contact(
        self, twilio, bay_number, db
    ):
        twilio.inbound(From="22395", Body="STOP")

        message = Message.objects.get(twilio_sid="SM_IN_01")
        assert (message.bay_number, message.contact, message.from_phone) == (
            bay_number,
            None,
            "22395",
        )
        assert message.processed_at is not None
        assert not bay_number.consents.exists()

    def test_keyword_text_is_stored_then_handled(self, twilio, bay_number, contact):
        twilio.inbound(Body="STOP")

        message = Message.objects.get(twilio_sid="SM_IN_01")
        assert message.processed_at is not None
        assert bay_number.consents.get(phone=contact.phone).state == "opted_out"

    def test_repeat_delivery_returns_the_stored_text(self, twilio, bay_number, contact):
        for _ in range(2):
            assert twilio.inbound(Body="Hello").status_code == 200

        assert Message.objects.filter(twilio_sid="SM_IN_01").count() == 1

    def test_text_to_an_unknown_number_is_stored_processed(self, twilio, db):
        twilio.inbound(To="+12025550177", Body="STOP")

        message = Message.objects.get(twilio_sid="SM_IN_01")
        assert message.bay_number is None and message.processed_at is not None

    def test_an_inbound_webhook_with_an_outbound_texts_sid_changes_nothing(
        self, twilio, bay_number, contact
    ):
        sent = OutboundMessageFactory(
            bay_number=bay_number, contact=contact, twilio_sid="SM_OUT_X", body="STOP"
        )

        response = twilio.inbound(MessageSid="SM_OUT_X", SmsSid="SM_OUT_X", Body="hello")

        assert response.status_code == 400
        sent.refresh_from_db()
        assert (sent.direction, sent.body, sent.processed_at) == ("outbound", "STOP", None)
        assert not Consent.objects.exists() and not ConsentEvent.objects.exists()
        assert Message.objects.count() == 1

    def test_a_repeated_opt_out_type_is_read_alike_when_stored_and_when_handled(
        self, twilio, bay_number, contact
    ):
        params = inbound_params(Body="Sounds good")
        body = urlencode(params) + "&OptOutType=STOP&OptOutType=STOP"
        url = "https://app.example.com" + INBOUND_PATH
        signature = twilio_signature(url, QueryDict(body))

        response = twilio.client.post(
            INBOUND_PATH,
            body,
            content_type="application/x-www-form-urlencoded",
            HTTP_X_TWILIO_SIGNATURE=signature,
        )

        assert response.status_code == 200
        consent = Consent.objects.get(bay_number=bay_number, phone=contact.phone)
        assert consent.state == "opted_out"
