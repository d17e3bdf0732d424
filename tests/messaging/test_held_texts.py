"""Texts held for review (a send that may or may not have gone out): listed
on the Reviews page, and sent again or closed only by a person who may."""

import pytest
from django.urls import reverse
from django.utils import timezone

from messaging import services
from messaging.models import BayNumber, Message
from tests.factories import AdminFactory, AgentFactory, BayNumberFactory, OutboundMessageFactory

REVIEWS_URL = reverse("optin:reviews")


def decide_url(message) -> str:
    return reverse("messaging:held_text_decide", args=[message.pk])


@pytest.fixture
def held(bay_number, contact):
    return OutboundMessageFactory(
        bay_number=bay_number,
        contact=contact,
        to_phone=contact.phone,
        body="The offer on Maple St is in.",
        status=Message.Status.NEEDS_REVIEW,
        failure_reason="Twilio did not answer.",
    )


@pytest.mark.django_db
class HeldTextScreenTests:
    def test_the_reviews_page_lists_the_agents_held_texts_and_the_nav_counts_them(
        self, client, bay_number, held
    ):
        colleague = BayNumberFactory(agent=AgentFactory(brokerage=bay_number.brokerage))
        OutboundMessageFactory(bay_number=colleague, status=Message.Status.NEEDS_REVIEW)
        client.force_login(bay_number.agent)

        html = client.get(REVIEWS_URL).content.decode()

        assert html.count("data-held-text=") == 1
        assert f'data-held-text="{held.pk}"' in html
        assert "The offer on Maple St is in." in html
        assert 'nav-pill">1<' in html

    def test_an_admin_sees_every_held_text_of_the_brokerage(self, client, bay_number, held):
        colleague = BayNumberFactory(agent=AgentFactory(brokerage=bay_number.brokerage))
        theirs = OutboundMessageFactory(bay_number=colleague, status=Message.Status.NEEDS_REVIEW)
        client.force_login(AdminFactory(brokerage=bay_number.brokerage))

        html = client.get(REVIEWS_URL).content.decode()

        assert f'data-held-text="{held.pk}"' in html
        assert f'data-held-text="{theirs.pk}"' in html

    def test_send_again_queues_it_for_the_gate_and_the_worker(self, client, bay_number, held):
        client.force_login(bay_number.agent)

        response = client.post(decide_url(held), {"decision": "resend"})

        assert response.status_code == 302
        assert response["Location"] == REVIEWS_URL + "#held-texts"
        held.refresh_from_db()
        assert (held.status, held.failure_reason, held.claimed_at) == ("queued", "", None)

    def test_dont_send_closes_it_as_failed_with_who_decided(self, client, bay_number, held):
        client.force_login(bay_number.agent)

        client.post(decide_url(held), {"decision": "close"})

        held.refresh_from_db()
        assert held.status == Message.Status.FAILED
        assert bay_number.agent.display_name in held.failure_reason

    def test_a_second_decision_is_refused_with_a_reason(self, client, bay_number, held):
        client.force_login(bay_number.agent)
        client.post(decide_url(held), {"decision": "close"})

        response = client.post(decide_url(held), {"decision": "resend"}, follow=True)

        assert "Only a text held for review can be sent again." in response.content.decode()
        held.refresh_from_db()
        assert held.status == Message.Status.FAILED

    def test_an_unknown_decision_changes_nothing(self, client, bay_number, held):
        client.force_login(bay_number.agent)

        response = client.post(decide_url(held), {"decision": "maybe"}, follow=True)

        assert "Choose whether to send the text again." in response.content.decode()
        held.refresh_from_db()
        assert held.status == Message.Status.NEEDS_REVIEW

    def test_another_agents_text_is_not_found_and_unchanged(self, client, held):
        client.force_login(AgentFactory(brokerage=held.bay_number.brokerage))

        assert client.post(decide_url(held), {"decision": "resend"}).status_code == 404
        held.refresh_from_db()
        assert held.status == Message.Status.NEEDS_REVIEW

    def test_an_admin_of_another_brokerage_cannot_decide(self, client, held):
        client.force_login(AdminFactory())

        assert client.post(decide_url(held), {"decision": "close"}).status_code == 404

    def test_signed_out_people_are_sent_to_log_in(self, client, held):
        response = client.post(decide_url(held), {"decision": "resend"})

        assert response.status_code == 302
        assert "login" in response["Location"]
        held.refresh_from_db()
        assert held.status == Message.Status.NEEDS_REVIEW

    def test_the_thread_links_a_held_text_to_its_decision(self, client, bay_number, held):
        client.force_login(bay_number.agent)

        html = client.get(reverse("messaging:conversation", args=[held.contact.pk])).content
        assert f"{REVIEWS_URL}#held-{held.pk}".encode() in html


@pytest.mark.django_db
class HeldTextNumberChangeTests:
    def test_after_reassignment_the_text_stays_with_the_contacts_agent(
        self, client, bay_number, held
    ):
        new_holder = AgentFactory(brokerage=bay_number.brokerage)
        BayNumber.objects.filter(pk=bay_number.pk).update(agent=new_holder)

        client.force_login(new_holder)
        assert f'data-held-text="{held.pk}"' not in client.get(REVIEWS_URL).content.decode()
        assert client.post(decide_url(held), {"decision": "resend"}).status_code == 404

        client.force_login(bay_number.agent)
        response = client.post(decide_url(held), {"decision": "resend"}, follow=True)
        assert "now belongs to another agent" in response.content.decode()
        held.refresh_from_db()
        assert held.status == Message.Status.NEEDS_REVIEW
        client.post(decide_url(held), {"decision": "close"})
        held.refresh_from_db()
        assert held.status == Message.Status.FAILED

    def test_a_released_numbers_text_is_not_sent_again(self, client, bay_number, held):
        BayNumber.objects.filter(pk=bay_number.pk).update(released_at=timezone.now())
        client.force_login(bay_number.agent)

        response = client.post(decide_url(held), {"decision": "resend"}, follow=True)

        assert "has been released" in response.content.decode()
        held.refresh_from_db()
        assert held.status == Message.Status.NEEDS_REVIEW

    def test_a_queued_text_of_a_released_number_fails_when_its_turn_comes(
        self, bay_number, contact, outbox
    ):
        queued = OutboundMessageFactory(
            bay_number=bay_number, contact=contact, to_phone=contact.phone
        )
        BayNumber.objects.filter(pk=bay_number.pk).update(released_at=timezone.now())

        assert services.sms_deliver(queued.pk) == "skipped"

        queued.refresh_from_db()
        assert queued.status == Message.Status.FAILED
        assert "BAY Number was released" in queued.failure_reason
        assert outbox == []

    def test_a_queued_text_fails_when_its_number_went_to_another_agent(
        self, bay_number, contact, outbox
    ):
        queued = OutboundMessageFactory(
            bay_number=bay_number, contact=contact, to_phone=contact.phone, sent_by=contact.agent
        )
        BayNumber.objects.filter(pk=bay_number.pk).update(
            agent=AgentFactory(brokerage=bay_number.brokerage)
        )

        assert services.sms_deliver(queued.pk) == "skipped"

        queued.refresh_from_db()
        assert queued.status == Message.Status.FAILED
        assert queued.failure_reason == "Not sent: its BAY Number now belongs to another agent."
        assert outbox == []

    def test_an_automatic_answer_still_goes_after_the_number_changed_hands(
        self, bay_number, contact, outbox
    ):
        from tests.messaging import support

        support.opt_in(bay_number, contact.phone)
        answer = OutboundMessageFactory(
            bay_number=bay_number,
            contact=contact,
            to_phone=contact.phone,
            kind=Message.Kind.HELP_REPLY,
        )
        BayNumber.objects.filter(pk=bay_number.pk).update(
            agent=AgentFactory(brokerage=bay_number.brokerage)
        )

        assert services.sms_deliver(answer.pk) == "sent"
        assert len(outbox) == 1

    def test_links_open_the_agents_own_thread_on_the_texts_number(self, client, bay_number, held):
        thread = reverse("messaging:conversation", args=[held.contact.pk])
        link = f'href="{thread}?bay_number={bay_number.pk}"'

        client.force_login(bay_number.agent)
        assert link in client.get(REVIEWS_URL).content.decode()

        client.force_login(AdminFactory(brokerage=bay_number.brokerage))
        html = client.get(REVIEWS_URL).content.decode()
        assert f'data-held-text="{held.pk}"' in html and thread not in html
