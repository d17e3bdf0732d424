"""The consent gate in every state."""

import datetime

import pytest
from django.utils import timezone

from optin.gate import check_send, check_send_many, decide, may_deliver
from optin.models import Consent, ConsentState
from tests.factories import BayNumberFactory

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
        decision = decide(None, BAY, NOW)

        assert not decision.allowed
        assert decision.state == ConsentState.NEVER_ASKED
        assert decision.can_request_optin
        assert "opt-in request" in decision.reason

    def test_opted_in_is_allowed(self):
        decision = decide(consent(ConsentState.OPTED_IN), BAY, NOW)

        assert decision.allowed
        assert not decision.can_request_optin

    def test_pending_within_the_cooldown_says_when_it_was_asked(self):
        decision = decide(consent(ConsentState.PENDING, 1, asked_hours_ago=2), BAY, NOW)

        assert not decision.allowed
        assert not decision.can_request_optin
        assert "Dec 4" in decision.reason
        assert decision.next_request_at == NOW + datetime.timedelta(hours=22)

    def test_pending_past_the_cooldown_may_be_asked_once_more(self):
        decision = decide(consent(ConsentState.PENDING, 1, asked_hours_ago=25), BAY, NOW)

        assert not decision.allowed
        assert decision.can_request_optin

    def test_pending_after_two_requests_is_never_asked_again(self):
        decision = decide(consent(ConsentState.PENDING, 2, asked_hours_ago=100), BAY, NOW)

        assert not decision.can_request_optin
        assert decision.next_request_at is None
        assert "most opt-in requests" in decision.reason

    def test_opted_out_is_refused_without_an_opt_in_offer(self):
        decision = decide(consent(ConsentState.OPTED_OUT, 1, asked_hours_ago=100), BAY, NOW)

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

    def test_many_phones_are_decided_in_one_query(self, django_assert_num_queries):
        bay_number = BayNumberFactory()
        phones = [f"+1202555{n:04d}" for n in range(101, 161)]
        for phone in phones[:20]:
            Consent.objects.create(bay_number=bay_number, phone=phone, state="opted_in")

        with django_assert_num_queries(1):
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
            ("optin_confirmation", "opted_in", True),
            ("optin_confirmation", "opted_out", False),
            ("optout_confirmation", "opted_out", True),
            ("help_reply", "opted_out", True),
            ("help_reply", "never_asked", True),
        ],
    )
    def test_each_kind_of_text_in_each_state(self, kind, state, expected):
        assert may_deliver(kind=kind, state=state) is expected
