"""Reads for the consent screens."""

import pytest

from optin import selectors, services
from optin.models import OptOutReview
from tests.factories import (
    AdminFactory,
    AgentFactory,
    BayNumberFactory,
    ContactFactory,
    InboundMessageFactory,
)
from tests.optin.states import PHONE, opt_in


@pytest.mark.django_db
class OptinRequestStatusTests:
    def test_nothing_sent_yet(self, bay_number):
        status = selectors.optin_request_status(bay_number=bay_number, phone=PHONE)

        assert (status.requests_sent, status.requests_left) == (0, 2)
        assert status.last_request is None and status.reply is None

    def test_the_last_request_and_the_first_reply_after_it(self, bay_number, contact):
        request = services.consent_request_optin(
            bay_number=bay_number, contact=contact, actor=bay_number.agent
        )
        reply = InboundMessageFactory(bay_number=bay_number, body="Yes")
        services.consent_apply_reply(message=reply)
        InboundMessageFactory(bay_number=bay_number, body="Thanks!")

        status = selectors.optin_request_status(bay_number=bay_number, phone=PHONE)

        assert (status.requests_sent, status.requests_left) == (1, 1)
        assert status.last_request == request
        assert status.reply == reply
        assert status.reply_outcome == "Opted in"

    @pytest.mark.parametrize(
        ("body", "outcome"),
        [
            ("No problem", "Possible opt-out, waiting for review"),
            ("Who is this?", "A reply that changed nothing"),
            ("STOP", "Opted out"),
        ],
    )
    def test_what_came_back(self, bay_number, contact, body, outcome):
        services.consent_request_optin(
            bay_number=bay_number, contact=contact, actor=bay_number.agent
        )
        services.consent_apply_reply(
            message=InboundMessageFactory(bay_number=bay_number, body=body)
        )

        status = selectors.optin_request_status(bay_number=bay_number, phone=PHONE)

        assert status.reply_outcome == outcome


@pytest.mark.django_db
class ScopeSelectorTests:
    def test_can_manage_is_the_owner_or_an_admin_of_the_brokerage(self, bay_number):
        admin = AdminFactory(brokerage=bay_number.brokerage)
        colleague = AgentFactory(brokerage=bay_number.brokerage)
        inactive = AdminFactory(brokerage=bay_number.brokerage, is_active=False)

        assert selectors.can_manage(bay_number.agent, bay_number)
        assert selectors.can_manage(admin, bay_number)
        assert not selectors.can_manage(colleague, bay_number)
        assert not selectors.can_manage(AdminFactory(), bay_number)
        assert not selectors.can_manage(inactive, bay_number)

    def test_admins_see_every_number_and_contact_of_their_brokerage_only(self, bay_number):
        admin = AdminFactory(brokerage=bay_number.brokerage)
        colleague_number = BayNumberFactory(agent__brokerage=bay_number.brokerage)
        BayNumberFactory()
        contact = ContactFactory(agent=colleague_number.agent)

        assert set(selectors.visible_bay_numbers(admin)) == {bay_number, colleague_number}
        assert list(selectors.visible_bay_numbers(bay_number.agent)) == [bay_number]
        assert list(selectors.visible_contacts(admin)) == [contact]
        assert list(selectors.visible_contacts(bay_number.agent)) == []


@pytest.mark.django_db
class FlaggedPhonesTests:
    def test_phones_with_an_open_review_in_one_query(self, bay_number, django_assert_num_queries):
        for phone, body in [(PHONE, "No problem"), ("+12025550143", "see you at the end")]:
            message = InboundMessageFactory(bay_number=bay_number, from_phone=phone, body=body)
            services.consent_apply_reply(message=message)
        review = OptOutReview.objects.get(phone="+12025550143")
        services.optout_review_decide(review_id=review.pk, actor=bay_number.agent, opt_out=False)
        phones = [PHONE, "+12025550143", "+12025550144"]

        with django_assert_num_queries(1):
            flagged = selectors.flagged_phones(bay_number=bay_number, phones=phones)

        assert flagged == {PHONE}


@pytest.mark.django_db
class ProofOfConsentTests:
    def test_rows_and_texts_in_time_order(self, bay_number, contact):
        services.consent_request_optin(
            bay_number=bay_number, contact=contact, actor=bay_number.agent
        )
        opt_in(bay_number)
        consent = bay_number.consents.get()

        entries = selectors.proof_of_consent(consent)

        kinds = [
            entry.event.event_type if entry.event else entry.message.direction for entry in entries
        ]
        assert kinds == ["optin_requested", "outbound", "inbound", "opted_in"]
