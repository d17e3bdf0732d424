"""FC-17: carriers report 30034 (campaign not registered) in a status
callback. The text fails with the reason and no retry, consent is untouched,
and the brokerage's admins are alerted, because every text of that number
is affected, not one contact's."""

import logging

import pytest
from django.urls import reverse

from messaging.models import Message
from optin.models import Consent, ConsentEvent
from registration.models import RegistrationAlert
from tests.factories import AdminFactory, OutboundMessageFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(bay_number, contact):
    return OutboundMessageFactory(
        bay_number=bay_number, contact=contact, twilio_sid="SM_OUT_01", status="sent"
    )


class CampaignNotRegisteredTests:
    def test_30034_fails_the_text_without_retry_or_consent_change(
        self, twilio, sent, outbox, run_on_commit
    ):
        with run_on_commit():
            response = twilio.status(MessageStatus="undelivered", ErrorCode="30034")

        assert response.status_code == 204
        sent.refresh_from_db()
        assert sent.status == Message.Status.UNDELIVERED
        assert sent.error_code == "30034"
        assert sent.failure_reason.startswith("A2P 10DLC campaign not registered")
        assert sent.attempts == 0
        assert outbox == []
        assert not Consent.objects.exists()
        assert not ConsentEvent.objects.exists()

    def test_an_alert_fires_with_an_error_log(self, twilio, sent, bay_number, caplog):
        with caplog.at_level(logging.ERROR, logger="registration.services"):
            twilio.status(MessageStatus="undelivered", ErrorCode="30034")

        alert = RegistrationAlert.objects.get()
        assert (alert.brokerage, alert.bay_number, alert.error_code) == (
            bay_number.brokerage,
            bay_number,
            "30034",
        )
        assert alert.reason.startswith("A2P 10DLC campaign not registered")
        assert [record.getMessage() for record in caplog.records] == [
            f"BAY Number {bay_number.pk} cannot send: carrier error 30034; alert {alert.pk} "
            f"raised for the admins of brokerage {bay_number.brokerage_id}"
        ]
        assert "+1202" not in caplog.text

    def test_repeats_count_on_one_alert(self, twilio, bay_number, contact):
        for n in range(3):
            OutboundMessageFactory(bay_number=bay_number, twilio_sid=f"SM_OUT_{n}", status="sent")
            twilio.status(MessageSid=f"SM_OUT_{n}", MessageStatus="undelivered", ErrorCode="30034")

        alert = RegistrationAlert.objects.get()
        assert alert.occurrences == 3

    def test_the_admin_sees_it_and_can_dismiss_it(self, twilio, sent, bay_number, client):
        twilio.status(MessageStatus="undelivered", ErrorCode="30034")
        admin = AdminFactory(brokerage=bay_number.brokerage)
        client.force_login(admin)

        for page in ("registration:status", "registration:numbers"):
            content = client.get(reverse(page)).content.decode()
            assert f"Carriers are refusing texts from {bay_number.display}." in content
            assert "A2P 10DLC campaign not registered" in content

        alert = RegistrationAlert.objects.get()
        client.post(reverse("registration:alert_dismiss", args=[alert.pk]))
        alert.refresh_from_db()
        assert alert.dismissed_by == admin
        content = client.get(reverse("registration:status")).content.decode()
        assert "Carriers are refusing texts" not in content

    def test_after_dismissal_a_repeat_raises_a_new_alert(self, twilio, sent, bay_number, client):
        twilio.status(MessageStatus="undelivered", ErrorCode="30034")
        RegistrationAlert.objects.update(dismissed_at="2026-12-04T15:00:00Z")
        OutboundMessageFactory(bay_number=bay_number, twilio_sid="SM_OUT_02", status="sent")

        twilio.status(MessageSid="SM_OUT_02", MessageStatus="undelivered", ErrorCode="30034")

        assert RegistrationAlert.objects.filter(dismissed_at__isnull=True).count() == 1

    def test_other_brokerages_admins_do_not_see_it(self, twilio, sent, client):
        twilio.status(MessageStatus="undelivered", ErrorCode="30034")
        client.force_login(AdminFactory())
        assert (
            "Carriers are refusing"
            not in client.get(reverse("registration:status")).content.decode()
        )

    def test_a_30034_when_sending_alerts_too(self, bay_number, contact, monkeypatch):
        from messaging import services
        from messaging.backends import SmsBackendError
        from messaging.backends.locmem import LocmemBackend

        def refuse(self, messages):
            raise SmsBackendError("unregistered", code=30034, http_status=400)

        monkeypatch.setattr(LocmemBackend, "send_messages", refuse)
        message = OutboundMessageFactory(bay_number=bay_number, contact=contact)
        Consent.objects.create(bay_number=bay_number, phone=message.to_phone, state="opted_in")

        services.sms_deliver(message.pk)

        message.refresh_from_db()
        assert message.status == Message.Status.FAILED
        assert RegistrationAlert.objects.get().bay_number == bay_number
