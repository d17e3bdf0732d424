"""Sending through the real Twilio backend and SDK over a scripted API:
errors classified, retried or recorded, each kind as a kind (FC-16 to FC-19)."""

import pytest
import requests
from django.urls import reverse

from messaging import holds, services, tasks
from messaging.models import BayNumber, Message
from optin.models import Consent, ConsentEvent, ConsentState
from registration.models import RegistrationAlert
from registration.services import alert_dismiss
from registration.submission import apply_campaign_state
from registration.twilio_api import RegistrationState
from tests.factories import (
    AdminFactory,
    BayNumberFactory,
    CampaignFactory,
    ContactFactory,
    OutboundMessageFactory,
)
from tests.fakes import twilio_http
from tests.messaging import support


@pytest.fixture
def twilio_api(settings):
    """Twilio's API, scripted; the real backend and SDK run over it."""
    settings.SMS_BACKEND = "tests.fakes.twilio_http.ScriptedTwilioBackend"
    return twilio_http.reset()


@pytest.fixture
def opted_in(bay_number, contact):
    support.opt_in(bay_number, contact.phone)
    return contact


@pytest.fixture
def send(bay_number, opted_in, run_on_commit):
    """Queue the agent's text and run its task, as a commit would."""

    def sender(body="Open house Saturday 2-4pm.", contact=None):
        with run_on_commit():
            message = services.sms_send(
                agent=bay_number.agent,
                bay_number=bay_number,
                contact=contact or opted_in,
                body=body,
            )
        message.refresh_from_db()
        return message

    return sender


@pytest.mark.django_db
class AtMostOnceTests:
    def test_text_goes_once_and_records_its_sid(self, send, twilio_api):
        message = send()

        assert message.status == Message.Status.SENDING
        assert message.twilio_sid.startswith("SM")
        assert message.attempts == 1 and message.claimed_at is not None
        assert twilio_api.sent_to(message.to_phone) == 1
        assert twilio_api.requests[0]["data"]["StatusCallback"].endswith("/webhooks/twilio/status/")

    def test_redelivered_task_after_the_send_does_nothing(self, send, twilio_api):
        message = send()

        tasks.send_sms.delay(message.pk)

        assert twilio_api.sent_to(message.to_phone) == 1

    def test_task_finding_the_text_claimed_but_unconfirmed_does_nothing(
        self, bay_number, opted_in, twilio_api
    ):
        """A worker died after claiming: the redelivered task must not resend."""
        message = OutboundMessageFactory(
            bay_number=bay_number, contact=opted_in, status=Message.Status.SENDING
        )

        assert tasks.send_sms.delay(message.pk).get() == "skipped"
        assert twilio_api.requests == []


@pytest.mark.django_db
class OptOutErrorTests:
    """FC-16: the carrier says the phone unsubscribed (21610)."""

    def test_21610_on_send_fails_once_and_opts_the_phone_out(self, send, twilio_api, bay_number):
        twilio_api.script = [twilio_http.error(400, 21610, "Attempt to send to unsubscribed")]

        message = send()

        assert message.status == Message.Status.FAILED
        assert message.error_code == "21610"
        assert "opted out" in message.failure_reason
        assert len(twilio_api.requests) == 1
        consent = Consent.objects.get(bay_number=bay_number, phone=message.to_phone)
        assert consent.state == ConsentState.OPTED_OUT
        event = consent.events.latest("id")
        assert (event.source, event.new_state) == (
            ConsentEvent.Source.TWILIO_21610,
            ConsentState.OPTED_OUT,
        )

    def test_after_21610_the_gate_refuses_the_next_text(self, send, twilio_api):
        twilio_api.script = [twilio_http.error(400, 21610)]
        send()

        with pytest.raises(services.SendRefused) as refused:
            send()

        assert "opted out" in refused.value.decision.reason


@pytest.mark.django_db
class InvalidNumberErrorTests:
    @pytest.mark.parametrize(
        ("code", "words"), [(21211, "Invalid phone number"), (21614, "not a mobile number")]
    )
    def test_invalid_or_landline_number_is_flagged_on_the_contact(
        self, send, twilio_api, opted_in, code, words
    ):
        twilio_api.script = [twilio_http.error(400, code)]

        message = send()

        opted_in.refresh_from_db()
        assert message.status == Message.Status.FAILED
        assert words in message.failure_reason
        assert words in opted_in.invalid_phone_reason
        assert len(twilio_api.requests) == 1


@pytest.mark.django_db
class PermanentErrorTests:
    @pytest.mark.parametrize(
        ("code", "words"),
        [
            (21408, "country is not enabled"),
            (21612, "route not supported"),
            (30007, "Avoid link shorteners"),
        ],
    )
    def test_refusal_is_recorded_with_a_readable_reason_and_not_retried(
        self, send, twilio_api, code, words
    ):
        twilio_api.script = [twilio_http.error(400, code)]

        message = send()

        assert message.status == Message.Status.FAILED
        assert words in message.failure_reason
        assert len(twilio_api.requests) == 1

    def test_unknown_refusal_names_the_code(self, send, twilio_api):
        twilio_api.script = [twilio_http.error(400, 21999)]

        assert send().failure_reason == "Twilio refused the text (error 21999)."


@pytest.mark.django_db
class RetryTests:
    """FC-19 and its kind: 429, 20429, 5xx and a refused connection retry."""

    @pytest.fixture
    def retries(self, monkeypatch):
        """Each retry's countdown and the text's status when it was asked."""
        seen = []
        retry = tasks.send_sms.retry

        def spy(*args, **kwargs):
            message = Message.objects.get(direction="outbound", kind="regular")
            seen.append((message.status, kwargs["countdown"]))
            return retry(*args, **kwargs)

        monkeypatch.setattr(tasks.send_sms, "retry", spy)
        return seen

    def test_20429_twice_then_success_sends_exactly_once(self, send, twilio_api, retries):
        twilio_api.script = [twilio_http.error(429, 20429), twilio_http.error(429, 20429)]

        message = send()

        assert [status for status, _ in retries] == [Message.Status.QUEUED] * 2
        first, second = (countdown for _, countdown in retries)
        assert 1 <= first <= 2 and 2 <= second <= 4
        assert message.status == Message.Status.SENDING
        assert message.twilio_sid and message.attempts == 3
        assert message.error_code == ""  # the retries' 20429 is not its outcome
        assert len(twilio_api.requests) == 3
        assert Message.objects.filter(twilio_sid=message.twilio_sid).count() == 1

    @pytest.mark.parametrize(
        "failure",
        [
            lambda: twilio_http.error(500, 20500, "Internal Server Error"),
            lambda: twilio_http.error(503, None, "Service Unavailable"),
            lambda: twilio_http.error(429, None, "Too Many Requests"),
            twilio_http.connection_refused,
        ],
    )
    def test_transient_failure_is_retried_then_sent(self, send, twilio_api, retries, failure):
        twilio_api.script = [failure()]

        message = send()

        assert len(retries) == 1
        assert message.status == Message.Status.SENDING and message.twilio_sid

    def test_backoff_doubles_to_five_minutes_with_jitter(self):
        for retries in range(10):
            ceiling = min(300, 2 ** (retries + 1))
            assert ceiling / 2 <= tasks._backoff(retries) <= ceiling

    def test_retries_run_out_and_the_text_fails(self, send, twilio_api):
        twilio_api.script = [twilio_http.error(503, None)] * (tasks.SEND_MAX_RETRIES + 1)

        message = send()

        assert message.status == Message.Status.FAILED
        assert message.failure_reason == "Gave up after 6 retries: Twilio answered HTTP 503."
        assert len(twilio_api.requests) == tasks.SEND_MAX_RETRIES + 1

    def test_read_timeout_is_held_for_review_not_resent(self, send, twilio_api, retries):
        """The request may have reached Twilio: resending could text twice."""
        twilio_api.script = [requests.ReadTimeout("read timed out")]

        message = send()

        assert message.status == Message.Status.NEEDS_REVIEW
        assert "held for review" in message.failure_reason
        assert retries == [] and len(twilio_api.requests) == 1


@pytest.mark.django_db
class CampaignHoldTests:
    """FC-17 and its kind: 30034 holds the number's texts and alerts once."""

    @staticmethod
    def alerts(bay_number):
        return list(
            RegistrationAlert.objects.filter(bay_number=bay_number).values_list(
                "error_code", "occurrences"
            )
        )

    def test_30034_callback_fails_the_text_and_holds_the_number(
        self, send, twilio_api, twilio, bay_number, opted_in, run_on_commit
    ):
        sent = send()
        waiting = OutboundMessageFactory(bay_number=bay_number, contact=opted_in)

        with run_on_commit():
            response = twilio.status(
                MessageSid=sent.twilio_sid, MessageStatus="undelivered", ErrorCode="30034"
            )

        assert response.status_code == 204
        sent.refresh_from_db()
        assert sent.status == Message.Status.UNDELIVERED
        assert sent.failure_reason.startswith("A2P 10DLC campaign not registered")
        assert Consent.objects.get(phone=opted_in.phone).state == ConsentState.OPTED_IN
        bay_number.refresh_from_db()
        assert bay_number.sending_held_at is not None
        assert self.alerts(bay_number) == [("30034", 1)]

        tasks.send_sms.delay(waiting.pk)

        waiting.refresh_from_db()
        assert waiting.status == Message.Status.QUEUED
        assert len(twilio_api.requests) == 1

    def test_30034_on_send_holds_the_rest_until_the_admin_clears_the_alert(
        self, send, twilio_api, bay_number, run_on_commit
    ):
        twilio_api.script = [twilio_http.error(400, 30034)]
        failed = send()
        later = [send(body=f"Text {n}") for n in range(2)]

        assert failed.status == Message.Status.FAILED
        assert [message.status for message in later] == [Message.Status.QUEUED] * 2
        assert self.alerts(bay_number) == [("30034", 1)] and len(twilio_api.requests) == 1
        alert = RegistrationAlert.objects.get(bay_number=bay_number)

        with run_on_commit():
            alert_dismiss(admin=AdminFactory(brokerage=bay_number.brokerage), alert_id=alert.pk)

        bay_number.refresh_from_db()
        assert bay_number.sending_held_at is None
        assert len(twilio_api.requests) == 3
        assert {m.status for m in Message.objects.filter(pk__in=[m.pk for m in later])} == {
            Message.Status.SENDING
        }

    def test_refused_credentials_keep_every_text_queued_until_the_admin_clears_the_alert(
        self, send, twilio_api, bay_number, run_on_commit, client
    ):
        """20003: Twilio refused the request, so the text did not go; failing
        it, and each text after it, would lose a whole backlog."""
        twilio_api.script = [twilio_http.error(401, 20003, "Authenticate")]
        first = send()
        later = send(body="Text 2")

        assert [first.status, later.status] == [Message.Status.QUEUED] * 2
        assert (first.error_code, first.attempts, first.claimed_at) == ("20003", 0, None)
        assert self.alerts(bay_number) == [("20003", 1)] and len(twilio_api.requests) == 1
        bay_number.refresh_from_db()
        assert bay_number.sending_held_reason.startswith("Twilio refused the account's credentials")
        admin = AdminFactory(brokerage=bay_number.brokerage)
        client.force_login(admin)
        page = client.get(reverse("registration:status")).content.decode()
        assert f"Twilio is refusing texts from {bay_number.display}." in page

        with run_on_commit():
            alert_dismiss(admin=admin, alert_id=RegistrationAlert.objects.get().pk)

        sent = Message.objects.filter(pk__in=[first.pk, later.pk])
        assert {message.status for message in sent} == {Message.Status.SENDING}
        assert len(twilio_api.requests) == 3

    def test_hold_on_one_number_leaves_another_sending(self, twilio_api, bay_number, run_on_commit):
        other = BayNumberFactory(agent=bay_number.agent, phone_number="+12025550111")
        contact = ContactFactory(agent=bay_number.agent, phone="+12025550150")
        support.opt_in(other, contact.phone)
        holds.bay_number_hold_sending(bay_number_id=bay_number.pk, reason="held")

        with run_on_commit():
            message = services.sms_send(
                agent=bay_number.agent, bay_number=other, contact=contact, body="Hi"
            )

        message.refresh_from_db()
        assert message.status == Message.Status.SENDING

    def test_campaign_approval_resumes_held_numbers(
        self, send, twilio_api, bay_number, run_on_commit
    ):
        holds.bay_number_hold_sending(bay_number_id=bay_number.pk, reason="30034")
        waiting = send()
        assert waiting.status == Message.Status.QUEUED

        with run_on_commit():
            apply_campaign_state(
                CampaignFactory(brokerage=bay_number.brokerage),
                RegistrationState(sid="QE" + "0" * 32, status="VERIFIED"),
            )

        waiting.refresh_from_db()
        assert waiting.status == Message.Status.SENDING
        assert BayNumber.objects.get(pk=bay_number.pk).sending_held_at is None

    def test_resuming_a_number_that_is_not_held_changes_nothing(self, bay_number):
        assert holds.bay_number_resume_sending(bay_number=bay_number) == 0
