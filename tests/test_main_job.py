"""The product's main job, end to end through the agent's screens and a
signed webhook: refused, opt-in request, YES, then the text goes out."""

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from messaging.models import Message
from optin.models import Consent, ConsentEvent, ConsentState


@pytest.mark.django_db
class MainJobTests:
    def test_agent_texts_a_contact_after_the_contact_says_yes(
        self, agent, bay_number, contact, twilio, outbox, run_on_commit
    ):
        browser = Client(enforce_csrf_checks=False)
        assert browser.login(username=agent.username, password="agent-pass-123")
        conversation = reverse("messaging:conversation", args=[contact.pk])
        send = reverse("messaging:send", args=[contact.pk])
        form = {"bay_number": bay_number.pk, "body": "Hi Pat, the Elm St listing is live."}

        page = browser.get(conversation)
        assert "Send Opt In Notification" in page.content.decode()
        refused = browser.post(send, form, follow=True)
        assert "Not sent." in refused.content.decode()
        assert outbox == []

        with run_on_commit():
            browser.post(
                reverse("messaging:send_optin_request", args=[contact.pk]),
                {"bay_number": bay_number.pk},
            )
        assert len(outbox) == 1
        assert "Reply YES to opt in" in outbox[0].body
        assert Consent.objects.get().state == ConsentState.PENDING

        with run_on_commit():
            assert twilio.inbound(MessageSid="SM_IN_YES", Body="Yes!").status_code == 200
        assert Consent.objects.get().state == ConsentState.OPTED_IN
        assert "subscribed" in outbox[1].body

        with run_on_commit():
            browser.post(send, form)
        assert outbox[2].body == form["body"]
        sent = Message.objects.get(kind="regular", direction="outbound")
        assert sent.twilio_sid == outbox[2].sid
        assert sent.sent_by == agent
        assert list(ConsentEvent.objects.values_list("event_type", flat=True)) == [
            "optin_requested",
            "opted_in",
        ]

    def test_forged_yes_changes_nothing(self, agent, bay_number, contact, twilio):
        response = twilio.post(
            "/webhooks/twilio/sms/",
            {"MessageSid": "SM_FORGED", "From": contact.phone, "To": "+12025550100", "Body": "YES"},
            signature="bm90IGEgcmVhbCBzaWduYXR1cmU=",
        )

        assert response.status_code == 403
        assert not Consent.objects.exists()
        assert not Message.objects.exists()

    def test_another_agents_contact_is_not_found(self, agent, bay_number, contact):
        from tests.factories import AgentFactory

        stranger = AgentFactory()
        browser = Client()
        browser.force_login(stranger)

        assert browser.get(reverse("messaging:conversation", args=[contact.pk])).status_code == 404
        assert (
            browser.post(
                reverse("messaging:send", args=[contact.pk]),
                {"bay_number": bay_number.pk, "body": "Hi"},
            ).status_code
            == 404
        )

    def test_forms_need_a_csrf_token(self, agent, bay_number, contact):
        browser = Client(enforce_csrf_checks=True)
        browser.force_login(agent)

        response = browser.post(
            reverse("messaging:send_optin_request", args=[contact.pk]),
            {"bay_number": bay_number.pk},
        )

        assert response.status_code == 403
        assert not Consent.objects.exists()


@pytest.mark.django_db
class DemoTests:
    def test_seed_demo_makes_each_consent_state_and_prints_logins(self, capsys):
        call_command("seed_demo")
        call_command("seed_demo")  # a second run changes nothing

        out = capsys.readouterr().out
        assert "agent / demo-pass-2026" in out
        states = set(Consent.objects.values_list("state", flat=True))
        assert states == {"pending", "opted_in", "opted_out"}
        assert Consent.objects.count() == 3

    def test_dev_phone_replies_through_the_signed_webhook(self, agent, bay_number, contact):
        browser = Client()
        browser.force_login(agent)

        response = browser.post(
            reverse("messaging:dev_phone"),
            {"contact": contact.pk, "bay_number": bay_number.pk, "body": "START"},
        )

        assert response.status_code == 302
        assert Consent.objects.get().state == ConsentState.OPTED_IN
        inbound = Message.objects.get(direction="inbound")
        assert inbound.raw_payload["SmsStatus"] == "received"

    def test_dev_phone_cannot_play_another_agents_contact_or_number(
        self, agent, bay_number, contact
    ):
        from tests.factories import AgentFactory, BayNumberFactory

        rival = AgentFactory()
        rival_number = BayNumberFactory(agent=rival)
        browser = Client()
        browser.force_login(rival)

        for form in (
            {"contact": contact.pk, "bay_number": rival_number.pk, "body": "YES"},
            {"contact": contact.pk, "bay_number": bay_number.pk, "body": "YES"},
        ):
            assert browser.post(reverse("messaging:dev_phone"), form).status_code == 400
        assert not Consent.objects.exists()
        assert not Message.objects.exists()

    def test_dev_phone_is_off_outside_development(self, agent, settings):
        settings.DEV_PHONE_ENABLED = False
        browser = Client()
        browser.force_login(agent)

        assert browser.get(reverse("messaging:dev_phone")).status_code == 404
