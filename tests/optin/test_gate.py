"""The consent gate in every state."""

import datetime

import pytest
from django.utils import timezone

from messaging import services as messaging_services
from messaging.models import Message
from optin.gate import (
    DO_NOT_TEXT_REASON,
    check_send,
    check_send_many,
    decide,
    delivery_refusal,
    may_deliver,
)
from optin.models import Consent, ConsentState
from optin.services import do_not_text_add, do_not_text_remove
from tests.factories import AdminFactory, BayNumberFactory, ContactFactory

NOW = datetime.datetime(2026, 12, 4, 15, 0, tzinfo=datetime.UTC)
BAY = "+12025550100"


def consent(state, requests=0, asked_hours_ago=None):
    last = NOW - datetime.timedelta(hours=asked_hours_ago) if asked_hours_ago else None
    return Consent(
        phone="+12025550142",
        state=state,
        optin_requests_sent=requests,
        last_optin_request_at=last,
    )


class DecideTests:
    def test_never_asked_is_refused_and_offers_the_opt_in_request(self):
        decision = decide(None, BAY, NOW, do_not_text=False)

        assert not decision.allowed
        assert decision.state == ConsentState.NEVER_ASKED
        assert decision.can_request_optin
        assert "opt-in request" in decision.reason

    def test_opted_in_is_allowed(self):
        decision = decide(consent(ConsentState.OPTED_IN), BAY, NOW, do_not_text=False)

        assert decision.allowed
        assert not decision.can_request_optin

    def test_pending_within_the_cooldown_says_when_it_was_asked(self):
        decision = decide(
            consent(ConsentState.PENDING, 1, asked_hours_ago=2), BAY, NOW, do_not_text=False
        )

        assert not decision.allowed
        assert not decision.can_request_optin
        assert "Dec 4" in decision.reason
        assert decision.next_request_at == NOW + datetime.timedelta(hours=22)

    def test_pending_past_the_cooldown_may_be_asked_once_more(self):
        decision = decide(
            consent(ConsentState.PENDING, 1, asked_hours_ago=25), BAY, NOW, do_not_text=False
        )

        assert not decision.allowed
        assert decision.can_request_optin

    def test_pending_after_two_requests_is_never_asked_again(self):
        decision = decide(
            consent(ConsentState.PENDING, 2, asked_hours_ago=100), BAY, NOW, do_not_text=False
        )

        assert not decision.can_request_optin
        assert decision.next_request_at is None
        assert "most opt-in requests" in decision.reason

    def test_opted_out_is_refused_without_an_opt_in_offer(self):
        decision = decide(
            consent(ConsentState.OPTED_OUT, 1, asked_hours_ago=100), BAY, NOW, do_not_text=False
        )

        assert not decision.allowed
        assert not decision.can_request_optin
        assert "START or YES" in decision.reason
        assert "(202) 555-0100" in decision.reason


@pytest.mark.django_db
class CheckSendTests:
    def test_consent_belongs_to_the_bay_number_not_to_others(self):
        texting = BayNumberFactory()
        other = BayNumberFactory()
        Consent.objects.create(bay_number=other, phone="+12025550142", state="opted_out")

        decision = check_send(bay_number=texting, phone="+12025550142")

        assert decision.state == ConsentState.NEVER_ASKED

    def test_many_phones_are_decided_in_two_queries(self, django_assert_num_queries):
        bay_number = BayNumberFactory()
        phones = [f"+1202555{n:04d}" for n in range(101, 161)]
        for phone in phones[:20]:
            Consent.objects.create(bay_number=bay_number, phone=phone, state="opted_in")

        with django_assert_num_queries(2):
            decisions = check_send_many(bay_number=bay_number, phones=phones)

        assert sum(d.allowed for d in decisions.values()) == 20
        assert len(decisions) == 60

    def test_pending_reason_uses_real_time(self):
        bay_number = BayNumberFactory()
        Consent.objects.create(
            bay_number=bay_number,
            phone="+12025550142",
            state="pending",
            optin_requests_sent=1,
            last_optin_request_at=timezone.now(),
        )

        decision = check_send(bay_number=bay_number, phone="+12025550142")

        assert decision.state == ConsentState.PENDING
        assert not decision.can_request_optin


class MayDeliverTests:
    @pytest.mark.parametrize(
        ("kind", "state", "expected"),
        [
            ("regular", "opted_in", True),
            ("regular", "pending", False),
            ("regular", "never_asked", False),
            ("regular", "opted_out", False),
            ("optin_request", "never_asked", True),
            ("optin_request", "pending", True),
            ("optin_request", "opted_out", False),
            ("optin_request", "opted_in", False),
            ("optin_confirmation", "opted_in", True),
            ("optin_confirmation", "opted_out", False),
            ("optout_confirmation", "opted_out", True),
            ("help_reply", "opted_out", True),
            ("help_reply", "never_asked", True),
        ],
    )
    def test_each_kind_of_text_in_each_state(self, kind, state, expected):
        assert may_deliver(kind=kind, state=state, do_not_text=False) is expected


@pytest.mark.django_db
class DoNotTextGateTests:
    """The brokerage's do-not-text list refuses every text from every BAY
    Number of the brokerage, whatever the consent says."""

    def add(self, brokerage, phone="+12025550142"):
        admin = AdminFactory(brokerage=brokerage)
        return do_not_text_add(brokerage=brokerage, phone=phone, actor=admin)

    def test_an_opted_in_phone_on_the_list_is_refused_from_every_number(self):
        first = BayNumberFactory()
        second = BayNumberFactory(agent__brokerage=first.brokerage)
        for number in (first, second):
            Consent.objects.create(bay_number=number, phone="+12025550142", state="opted_in")
        self.add(first.brokerage)

        for number in (first, second):
            decision = check_send(bay_number=number, phone="+12025550142")
            assert not decision.allowed
            assert decision.do_not_text
            assert not decision.can_request_optin
            assert decision.state == ConsentState.OPTED_IN
            assert decision.reason == DO_NOT_TEXT_REASON
        assert "do-not-text list" in DO_NOT_TEXT_REASON

    def test_another_brokerages_list_does_not_apply(self):
        texting = BayNumberFactory()
        Consent.objects.create(bay_number=texting, phone="+12025550142", state="opted_in")
        self.add(BayNumberFactory().brokerage)

        assert check_send(bay_number=texting, phone="+12025550142").allowed

    def test_a_removed_entry_no_longer_refuses(self):
        texting = BayNumberFactory()
        Consent.objects.create(bay_number=texting, phone="+12025550142", state="opted_in")
        entry = self.add(texting.brokerage)
        do_not_text_remove(entry_id=entry.pk, actor=entry.added_by)

        assert check_send(bay_number=texting, phone="+12025550142").allowed

    def test_many_phones_with_list_entries_still_take_two_queries(self, django_assert_num_queries):
        bay_number = BayNumberFactory()
        phones = [f"+1202555{n:04d}" for n in range(101, 161)]
        for phone in phones[:30]:
            Consent.objects.create(bay_number=bay_number, phone=phone, state="opted_in")
        for phone in phones[:10]:
            self.add(bay_number.brokerage, phone)

        with django_assert_num_queries(2):
            decisions = check_send_many(bay_number=bay_number, phones=phones)

        assert sum(d.allowed for d in decisions.values()) == 20
        assert sum(d.do_not_text for d in decisions.values()) == 10

    def test_never_asked_over_the_limit_offers_no_request(self):
        over = Consent(phone="+12025550142", state="never_asked", optin_requests_sent=2)

        decision = decide(over, BAY, NOW, do_not_text=False)

        assert not decision.can_request_optin
        assert "most opt-in requests" in decision.reason


class DeliveryRefusalTests:
    @pytest.mark.parametrize(
        ("kind", "state", "allowed"),
        [
            ("regular", "opted_in", False),
            ("optin_request", "never_asked", False),
            ("optin_confirmation", "opted_in", False),
            ("help_reply", "opted_in", True),
            ("optout_confirmation", "opted_out", True),
        ],
    )
    def test_a_do_not_text_phone_gets_only_the_answers_it_asked_for(self, kind, state, allowed):
        reason = delivery_refusal(kind=kind, state=state, do_not_text=True)

        assert (reason == "") is allowed
        if not allowed:
            assert "do-not-text list" in reason

    @pytest.mark.parametrize(
        ("state", "words"),
        [("opted_out", "opted out"), ("pending", "consent changed"), ("never_asked", "consent")],
    )
    def test_a_refused_regular_text_says_why(self, state, words):
        assert words in delivery_refusal(kind="regular", state=state, do_not_text=False)


@pytest.mark.django_db
class DoNotTextAtSendTimeTests:
    def test_a_text_queued_before_the_phone_was_listed_is_not_sent(
        self, outbox, django_capture_on_commit_callbacks
    ):
        bay_number = BayNumberFactory()
        contact = ContactFactory(agent=bay_number.agent, phone="+12025550142")
        Consent.objects.create(bay_number=bay_number, phone=contact.phone, state="opted_in")
        with django_capture_on_commit_callbacks(execute=False) as queued_tasks:
            message = messaging_services.sms_send(
                agent=bay_number.agent, bay_number=bay_number, contact=contact, body="Hi"
            )
        admin = AdminFactory(brokerage=bay_number.brokerage)
        do_not_text_add(brokerage=bay_number.brokerage, phone=contact.phone, actor=admin)

        for run_task in queued_tasks:
            run_task()

        message.refresh_from_db()
        assert message.status == Message.Status.BLOCKED_NO_CONSENT
        assert (
            message.failure_reason == "Not sent: the phone is on the brokerage's do-not-text list."
        )
        assert outbox == []

    def test_the_send_service_refuses_a_listed_phone(self):
        bay_number = BayNumberFactory()
        contact = ContactFactory(agent=bay_number.agent, phone="+12025550142")
        Consent.objects.create(bay_number=bay_number, phone=contact.phone, state="opted_in")
        admin = AdminFactory(brokerage=bay_number.brokerage)
        do_not_text_add(brokerage=bay_number.brokerage, phone=contact.phone, actor=admin)

        with pytest.raises(messaging_services.SendRefused) as refused:
            messaging_services.sms_send(
                agent=bay_number.agent, bay_number=bay_number, contact=contact, body="Hi"
            )

        assert refused.value.decision.do_not_text
        assert not Message.objects.exists()
