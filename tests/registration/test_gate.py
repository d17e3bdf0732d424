"""Until the brokerage's campaign is approved, its BAY Numbers send nothing:
the consent gate says so when asked, and the worker re-checks it."""

import pytest
from django.urls import reverse
from django.utils.html import escape

from messaging import services
from messaging.models import Message
from optin.gate import check_send, check_send_many, registration_hold
from optin.models import Consent, ConsentState
from optin.services import ConsentRefused, consent_request_optin
from registration.models import Campaign
from tests.factories import BrandFactory, CampaignFactory, OutboundMessageFactory

pytestmark = pytest.mark.django_db

ON_HOLD = "Texts from this BAY Number are on hold: your brokerage's A2P 10DLC registration is"


@pytest.fixture
def registration_required(settings):
    settings.REGISTRATION_REQUIRED_TO_SEND = True


@pytest.fixture
def opted_in(twilio, bay_number, contact, run_on_commit, outbox, settings):
    """The contact opted in the real way, while sending was not held."""
    settings.REGISTRATION_REQUIRED_TO_SEND = False
    with run_on_commit():
        consent_request_optin(bay_number=bay_number, contact=contact, actor=bay_number.agent)
    with run_on_commit():
        twilio.inbound(MessageSid="SM_IN_YES", Body="YES")
    outbox.clear()
    settings.REGISTRATION_REQUIRED_TO_SEND = True
    return contact


def approve(bay_number):
    return CampaignFactory(brokerage=bay_number.brokerage, status="approved")


class RegistrationHoldTests:
    @pytest.mark.parametrize(
        ("brand", "campaign", "words"),
        [
            (None, None, "not submitted yet"),
            ("draft", "draft", "not submitted yet"),
            ("submitted", "submitted", "submitted to Twilio"),
            ("in_review", "submitted", "in review"),
            ("approved", "in_review", "in review"),
            ("failed", "draft", "refused and needs corrections"),
            ("approved", "failed", "refused and needs corrections"),
        ],
    )
    def test_says_why_until_the_campaign_is_approved(
        self, registration_required, bay_number, brand, campaign, words
    ):
        if brand:
            BrandFactory(brokerage=bay_number.brokerage, status=brand)
            CampaignFactory(brokerage=bay_number.brokerage, status=campaign)
        assert registration_hold(bay_number) == (
            f"{ON_HOLD} {words}. US carriers block texts from business numbers until it is "
            "approved; your brokerage admin follows it under Registration."
        )

    def test_an_approved_campaign_releases_the_hold(self, registration_required, bay_number):
        approve(bay_number)
        assert registration_hold(bay_number) is None

    def test_another_brokerages_approval_does_not_count(self, registration_required, bay_number):
        CampaignFactory(status="approved")
        assert registration_hold(bay_number) is not None

    def test_the_sandbox_setting_turns_it_off(self, settings, bay_number):
        settings.REGISTRATION_REQUIRED_TO_SEND = False
        assert registration_hold(bay_number) is None


class SendGateTests:
    def test_an_opted_in_contact_is_refused_before_approval(self, opted_in, bay_number):
        decision = check_send(bay_number=bay_number, phone=opted_in.phone)

        assert not decision.allowed
        assert decision.reason.startswith(ON_HOLD)
        assert decision.state == ConsentState.OPTED_IN
        assert not decision.can_request_optin

    def test_and_allowed_after_approval(self, opted_in, bay_number):
        approve(bay_number)
        decision = check_send(bay_number=bay_number, phone=opted_in.phone)
        assert decision.allowed
        assert decision.reason == "The contact opted in."

    def test_consent_still_decides_after_approval(self, registration_required, bay_number):
        approve(bay_number)
        decision = check_send(bay_number=bay_number, phone="+12025550141")
        assert not decision.allowed
        assert decision.can_request_optin

    @pytest.mark.parametrize("count", [1, 25])
    def test_three_queries_whatever_the_number_of_phones(
        self, registration_required, bay_number, django_assert_num_queries, count
    ):
        phones = [f"+1202555{101 + n:04d}" for n in range(count)]
        with django_assert_num_queries(3):
            decisions = check_send_many(bay_number=bay_number, phones=phones)
        assert len(decisions) == count
        assert not any(decision.allowed for decision in decisions.values())

    def test_the_agents_text_is_refused_with_the_reason(self, opted_in, bay_number, client):
        client.force_login(bay_number.agent)
        url = reverse("messaging:conversation", args=[opted_in.pk])
        assert escape(ON_HOLD) in client.get(url).content.decode()

        response = client.post(
            reverse("messaging:send", args=[opted_in.pk]),
            {"bay_number": bay_number.pk, "body": "Open house Saturday?"},
            follow=True,
        )

        assert escape(f"Not sent. {ON_HOLD}") in response.content.decode()
        assert not Message.objects.filter(direction="outbound", body="Open house Saturday?")

    def test_no_opt_in_request_goes_out_on_hold(self, registration_required, bay_number, contact):
        with pytest.raises(ConsentRefused, match="on hold"):
            consent_request_optin(bay_number=bay_number, contact=contact, actor=bay_number.agent)
        assert not Consent.objects.exists()
        assert not Message.objects.exists()

    def test_an_approved_brokerage_sends(self, opted_in, bay_number, outbox, run_on_commit):
        approve(bay_number)
        with run_on_commit():
            services.sms_send(
                agent=bay_number.agent, bay_number=bay_number, contact=opted_in, body="Hi!"
            )
        assert [sms.body for sms in outbox] == ["Hi!"]


class WorkerRecheckTests:
    def test_a_text_queued_before_a_suspension_is_not_sent(self, opted_in, bay_number, outbox):
        """The worker asks again right before the provider call: a campaign
        suspended after the text was queued still holds it back."""
        campaign = approve(bay_number)
        message = OutboundMessageFactory(bay_number=bay_number, to_phone=opted_in.phone)
        Campaign.objects.filter(pk=campaign.pk).update(status="failed")

        services.sms_deliver(message.pk)

        message.refresh_from_db()
        assert message.status == Message.Status.BLOCKED_UNREGISTERED
        assert message.failure_reason.startswith(ON_HOLD)
        assert outbox == []

    def test_every_kind_of_text_waits(self, registration_required, bay_number, outbox):
        """HELP replies and confirmations too: carriers would refuse them (30034)."""
        message = OutboundMessageFactory(bay_number=bay_number, kind=Message.Kind.HELP_REPLY)

        services.sms_deliver(message.pk)

        message.refresh_from_db()
        assert message.status == Message.Status.BLOCKED_UNREGISTERED
        assert outbox == []

    def test_an_approved_number_sends_at_the_worker(self, opted_in, bay_number, outbox):
        approve(bay_number)
        message = OutboundMessageFactory(bay_number=bay_number, to_phone=opted_in.phone)

        services.sms_deliver(message.pk)

        message.refresh_from_db()
        assert message.status == Message.Status.SENDING
        assert len(outbox) == 1
