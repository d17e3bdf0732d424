"""Sending: the gate on every path, the worker's re-check, status callbacks."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from messaging import services
from messaging.backends import SmsBackendError
from messaging.models import Message
from optin.models import Consent, ConsentEvent, ConsentState
from optin.services import consent_request_optin
from tests.factories import AgentFactory, BayNumberFactory, ContactFactory, OutboundMessageFactory


@pytest.fixture
def opted_in(twilio, bay_number, contact, run_on_commit, outbox):
    """The contact opted in the real way: an opt-in request, then YES."""
    with run_on_commit():
        consent_request_optin(bay_number=bay_number, contact=contact, actor=bay_number.agent)
    with run_on_commit():
        twilio.inbound(MessageSid="SM_IN_YES", Body="YES")
    outbox.clear()
    return contact


@pytest.mark.django_db
class SmsSendTests:
    def test_text_to_an_opted_in_contact_goes_out(
        self, opted_in, bay_number, outbox, run_on_commit
    ):
        with run_on_commit():
            message = services.sms_send(
                agent=bay_number.agent, bay_number=bay_number, contact=opted_in, body=" Hi Pat "
            )

        message.refresh_from_db()
        assert message.status == Message.Status.SENDING
        assert message.twilio_sid == outbox[0].sid
        assert message.sent_at is not None
        assert [(sms.to, sms.from_, sms.body) for sms in outbox] == [
            ("+12025550142", "+12025550100", "Hi Pat")
        ]
        assert outbox[0].status_callback == "https://app.example.com/webhooks/twilio/status/"

    @pytest.mark.parametrize("state", ["never_asked", "pending", "opted_out"])
    def test_text_without_consent_is_refused_and_nothing_queued(
        self, bay_number, contact, state, outbox
    ):
        if state != "never_asked":
            Consent.objects.create(
                bay_number=bay_number, phone=contact.phone, state=state, optin_requests_sent=1
            )

        with pytest.raises(services.SendRefused) as refused:
            services.sms_send(
                agent=bay_number.agent, bay_number=bay_number, contact=contact, body="Hi"
            )

        assert refused.value.decision.state == state
        assert not Message.objects.exists()
        assert outbox == []

    def test_another_agents_contact_or_number_is_refused(self, opted_in, bay_number):
        stranger = AgentFactory()
        with pytest.raises(PermissionDenied):
            services.sms_send(agent=stranger, bay_number=bay_number, contact=opted_in, body="Hi")
        own_number = BayNumberFactory(agent=stranger)
        with pytest.raises(PermissionDenied):
            services.sms_send(agent=stranger, bay_number=own_number, contact=opted_in, body="Hi")
        assert not Message.objects.filter(direction="outbound", kind="regular").exists()

    @pytest.mark.parametrize(
        ("body", "ok"), [("", False), ("   ", False), ("a" * 1600, True), ("a" * 1601, False)]
    )
    def test_body_must_have_text_and_fit_1600_characters(self, opted_in, bay_number, body, ok):
        send = lambda: services.sms_send(  # noqa: E731
            agent=bay_number.agent, bay_number=bay_number, contact=opted_in, body=body
        )
        if ok:
            assert send().body == body
        else:
            with pytest.raises(ValidationError):
                send()
            assert not Message.objects.filter(direction="outbound", kind="regular").exists()


@pytest.mark.django_db
class OptoutRaceTests:
    """FC-12: a STOP processed after a text was queued and before its task ran."""

    def test_stop_between_queue_and_task_blocks_the_text(
        self, opted_in, bay_number, twilio, outbox, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=False) as queued_tasks:
            message = services.sms_send(
                agent=bay_number.agent, bay_number=bay_number, contact=opted_in, body="Hi #43"
            )
        twilio.inbound(MessageSid="SM_IN_STOP", Body="STOP")

        for run_task in queued_tasks:
            run_task()

        message.refresh_from_db()
        assert message.status == Message.Status.BLOCKED_OPTED_OUT
        assert message.twilio_sid is None
        assert all(sms.body != "Hi #43" for sms in outbox)

    def test_redelivered_task_for_a_sent_text_does_nothing(self, opted_in, bay_number, outbox):
        message = OutboundMessageFactory(
            bay_number=bay_number, contact=opted_in, status=Message.Status.SENDING
        )

        services.sms_deliver(message.pk)

        assert outbox == []


@pytest.mark.django_db
class SendErrorTests:
    @pytest.fixture
    def failing_backend(self, monkeypatch):
        def install(error):
            def send_messages(self, messages):
                raise error

            monkeypatch.setattr(
                "messaging.backends.locmem.LocmemBackend.send_messages", send_messages
            )

        return install

    def test_21610_fails_the_text_and_opts_the_phone_out(
        self, opted_in, bay_number, failing_backend
    ):
        message = OutboundMessageFactory(bay_number=bay_number, contact=opted_in)
        failing_backend(SmsBackendError("unsubscribed", code=21610, http_status=400))

        services.sms_deliver(message.pk)

        message.refresh_from_db()
        assert message.status == Message.Status.FAILED
        assert message.error_code == "21610"
        assert "opted out" in message.failure_reason
        consent = Consent.objects.get(bay_number=bay_number, phone=opted_in.phone)
        assert consent.state == ConsentState.OPTED_OUT
        event = consent.events.latest("occurred_at")
        assert event.source == ConsentEvent.Source.TWILIO_21610

    def test_429_keeps_the_text_queued_for_a_retry(self, opted_in, bay_number, failing_backend):
        message = OutboundMessageFactory(bay_number=bay_number, contact=opted_in)
        failing_backend(SmsBackendError("busy", code=20429, http_status=429))

        with pytest.raises(services.TransientSendError):
            services.sms_deliver(message.pk)

        message.refresh_from_db()
        assert message.status == Message.Status.QUEUED
        assert message.attempts == 1

    def test_21211_flags_the_contacts_number(self, opted_in, bay_number, failing_backend):
        message = OutboundMessageFactory(bay_number=bay_number, contact=opted_in)
        failing_backend(SmsBackendError("invalid", code=21211, http_status=400))

        services.sms_deliver(message.pk)

        opted_in.refresh_from_db()
        assert opted_in.invalid_phone_reason == "Invalid phone number."


@pytest.mark.django_db
class StatusCallbackTests:
    @pytest.fixture
    def sent(self, bay_number, contact):
        return OutboundMessageFactory(
            bay_number=bay_number,
            contact=contact,
            twilio_sid="SM_OUT_01",
            status=Message.Status.SENDING,
        )

    def test_status_moves_forward(self, twilio, sent):
        twilio.status(MessageStatus="sent")
        twilio.status(MessageStatus="delivered")

        sent.refresh_from_db()
        assert sent.status == Message.Status.DELIVERED
        assert sent.delivered_at is not None

    def test_late_sent_never_replaces_delivered(self, twilio, sent):
        twilio.status(MessageStatus="delivered")
        twilio.status(MessageStatus="sent")

        sent.refresh_from_db()
        assert sent.status == Message.Status.DELIVERED

    def test_failed_with_21610_opts_the_phone_out(self, twilio, sent, bay_number, contact):
        twilio.status(MessageStatus="failed", ErrorCode="21610")

        sent.refresh_from_db()
        assert sent.status == Message.Status.FAILED
        assert sent.error_code == "21610"
        consent = Consent.objects.get(bay_number=bay_number, phone=contact.phone)
        assert consent.state == ConsentState.OPTED_OUT

    def test_undelivered_with_30034_names_the_registration_problem(self, twilio, sent, contact):
        twilio.status(MessageStatus="undelivered", ErrorCode="30034")

        sent.refresh_from_db()
        assert sent.status == Message.Status.UNDELIVERED
        assert sent.failure_reason.startswith("A2P 10DLC campaign not registered")
        assert not Consent.objects.exists()

    def test_unknown_message_or_status_changes_nothing(self, twilio, sent):
        assert twilio.status(MessageSid="SM_UNKNOWN", MessageStatus="delivered").status_code == 204
        assert twilio.status(MessageStatus="bogus").status_code == 204

        sent.refresh_from_db()
        assert sent.status == Message.Status.SENDING


@pytest.mark.django_db
class ConsentConversationTests:
    def test_stop_after_yes_opts_out_and_blocks_the_next_text(
        self, opted_in, bay_number, twilio, outbox, run_on_commit
    ):
        with run_on_commit():
            twilio.inbound(MessageSid="SM_IN_STOP", Body="Stop please")

        consent = Consent.objects.get(bay_number=bay_number, phone=opted_in.phone)
        assert consent.state == ConsentState.OPTED_OUT
        assert [event.event_type for event in consent.events.all()] == [
            "optin_requested",
            "opted_in",
            "opted_out",
        ]
        assert len(outbox) == 1 and "START" in outbox[0].body
        with pytest.raises(services.SendRefused):
            services.sms_send(
                agent=bay_number.agent, bay_number=bay_number, contact=opted_in, body="Hi"
            )

    def test_stop_to_one_bay_number_leaves_another_agents_number_alone(
        self, opted_in, bay_number, twilio
    ):
        other_number = BayNumberFactory(phone_number="+12025550177")
        other_contact = ContactFactory(agent=other_number.agent, phone=opted_in.phone)
        Consent.objects.create(bay_number=other_number, phone=other_contact.phone, state="opted_in")

        twilio.inbound(MessageSid="SM_IN_STOP", Body="STOP")

        assert Consent.objects.get(bay_number=other_number).state == ConsentState.OPTED_IN

    def test_help_gets_a_reply_naming_agent_and_brokerage(
        self, bay_number, contact, twilio, outbox, run_on_commit
    ):
        with run_on_commit():
            twilio.inbound(Body="HELP")

        agent = bay_number.agent
        assert len(outbox) == 1
        assert agent.display_name in outbox[0].body
        assert agent.brokerage.name in outbox[0].body
        assert "STOP" in outbox[0].body
        assert not Consent.objects.exists()


@pytest.mark.django_db
class ProviderStatusTests:
    def test_console_backend_marks_the_text_sent(
        self, opted_in, bay_number, settings, run_on_commit
    ):
        settings.SMS_BACKEND = "console"
        settings.SMS_BACKEND_OPTIONS = {"stream": __import__("io").StringIO()}
        with run_on_commit():
            message = services.sms_send(
                agent=bay_number.agent, bay_number=bay_number, contact=opted_in, body="Hi"
            )

        message.refresh_from_db()
        assert message.status == Message.Status.SENT

    def test_twilio_queued_answer_keeps_the_text_sending(self, opted_in, bay_number, run_on_commit):
        with run_on_commit():
            message = services.sms_send(
                agent=bay_number.agent, bay_number=bay_number, contact=opted_in, body="Hi"
            )

        message.refresh_from_db()
        assert message.status == Message.Status.SENDING
