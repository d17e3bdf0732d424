"""Texts held for review (a send that may or may not have gone out): listed
on the Reviews page, and sent again or closed only by a person who may."""

import pytest
from django.urls import reverse

from messaging.models import Message
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
