import re

import pytest
from django.test import Client
from django.urls import reverse

from messaging.models import Message
from optin.models import ConsentState
from optin.services import do_not_text_add
from tests.factories import (
    AdminFactory,
    BayNumberFactory,
    ContactFactory,
    InboundMessageFactory,
    MessageTemplateFactory,
    OutboundMessageFactory,
)
from tests.messaging.test_segments import FC20_SMART, FC20_STRAIGHT
from tests.screens import give_consent, reply

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent_client(client, agent):
    client.force_login(agent)
    return client


def conversation_url(contact, bay_number, **extra):
    query = "&".join(
        f"{key}={value}" for key, value in {"bay_number": bay_number.pk, **extra}.items()
    )
    return f"{reverse('messaging:conversation', args=[contact.pk])}?{query}"


class InboxViewTests:
    def test_lists_conversations_newest_first_with_unread_and_badge(
        self, agent_client, agent, bay_number
    ):
        older = ContactFactory(agent=agent, first_name="Olga", phone="+12025550111")
        newer = ContactFactory(agent=agent, first_name="Nina", phone="+12025550112")
        give_consent(bay_number=bay_number, contact=older, state=ConsentState.OPTED_IN)
        reply(bay_number=bay_number, phone=newer.phone, body="Is the house still for sale?")

        response = agent_client.get(reverse("messaging:inbox"))

        html = response.content.decode()
        assert response.status_code == 200
        assert html.index("Nina") < html.index("Olga")
        assert "Is the house still for sale?" in html
        assert re.search(r'count-pill">1<span class="visually-hidden"> unread', html)
        assert 'data-state="opted_in"' in html
        assert 'data-state="never_asked"' in html

    def test_shows_a_tab_for_each_bay_number_of_the_agent_only(self, agent_client, agent):
        mine = [BayNumberFactory(agent=agent), BayNumberFactory(agent=agent)]
        other = BayNumberFactory()

        html = agent_client.get(reverse("messaging:inbox")).content.decode()

        for number in mine:
            assert reverse("messaging:number_inbox", args=[number.pk]) in html
        assert reverse("messaging:number_inbox", args=[other.pk]) not in html

    def test_another_agents_bay_number_is_404(self, agent_client):
        other = BayNumberFactory()

        for name in (
            "messaging:number_inbox",
            "messaging:number_detail",
            "messaging:conversation_list",
        ):
            assert agent_client.get(reverse(name, args=[other.pk])).status_code == 404

    def test_the_list_alone_is_what_the_inbox_polls(self, agent_client, agent, bay_number):
        inbox = agent_client.get(reverse("messaging:inbox")).content.decode()
        url = reverse("messaging:conversation_list", args=[bay_number.pk])
        assert f'data-live-list="{url}?page=1"' in inbox
        nina = ContactFactory(agent=agent, first_name="Nina", phone="+12025550112")
        reply(bay_number=bay_number, phone=nina.phone, body="Is the house still for sale?")
        stranger = ContactFactory(first_name="Stranger", phone="+12025550113")
        OutboundMessageFactory(bay_number=bay_number, contact=stranger, to_phone=stranger.phone)

        response = agent_client.get(url, {"page": 1})

        html = response.content.decode()
        assert response.status_code == 200
        assert html.lstrip().startswith('<ul class="convo-list"')
        assert "Is the house still for sale?" in html
        assert re.search(r'count-pill">1<span class="visually-hidden"> unread', html)
        assert "Stranger" not in html
        assert "<html" not in html

    def test_the_polled_list_needs_a_login(self, client, bay_number):
        url = reverse("messaging:conversation_list", args=[bay_number.pk])

        response = client.get(url)

        assert response.status_code == 403
        assert "<ul" not in response.content.decode()

    def test_texts_of_another_agents_contacts_stay_out(self, agent_client, agent, bay_number):
        stranger = ContactFactory(first_name="Stranger", phone="+12025550113")
        OutboundMessageFactory(bay_number=bay_number, contact=stranger, to_phone=stranger.phone)

        html = agent_client.get(reverse("messaging:inbox")).content.decode()

        assert "Stranger" not in html

    def test_without_a_bay_number_says_how_to_get_one(self, agent_client):
        html = agent_client.get(reverse("messaging:inbox")).content.decode()

        assert "You have no BAY Number yet" in html

    def test_needs_login(self, client):
        response = client.get(reverse("messaging:inbox"))

        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


class BayNumberDetailViewTests:
    def test_shows_the_number_and_its_consent_counts(self, agent_client, agent, bay_number):
        give_consent(bay_number=bay_number, contact=ContactFactory(agent=agent), state="opted_in")

        response = agent_client.get(reverse("messaging:number_detail", args=[bay_number.pk]))

        html = response.content.decode()
        assert response.status_code == 200
        assert "(202) 555-0100" in html
        assert bay_number.brokerage.name in html
        assert re.search(r'stat-value">1</span>\s*<span class="badge badge-opted_in"', html)


class ConversationViewTests:
    def test_never_asked_shows_the_refusal_and_the_optin_button_not_send(
        self, agent_client, contact, bay_number
    ):
        html = agent_client.get(conversation_url(contact, bay_number)).content.decode()

        assert "This contact hasn&#x27;t agreed to receive texts yet." in html
        assert ">Send Opt In Notification</button>" in html
        assert "data-composer" not in html

    def test_opted_in_shows_the_composer(self, agent_client, contact, bay_number):
        give_consent(bay_number=bay_number, contact=contact, state=ConsentState.OPTED_IN)

        html = agent_client.get(conversation_url(contact, bay_number)).content.decode()

        assert "data-composer" in html
        assert "Send Opt In Notification" not in html
        assert 'data-state="opted_in"' in html

    def test_opted_out_refuses_without_an_optin_button(self, agent_client, contact, bay_number):
        give_consent(bay_number=bay_number, contact=contact, state=ConsentState.OPTED_OUT)

        html = agent_client.get(conversation_url(contact, bay_number)).content.decode()

        assert "Only they can opt back in" in html
        assert "Send Opt In Notification" not in html

    def test_a_possible_opt_out_is_flagged_with_a_link_to_review_it(
        self, agent_client, contact, bay_number
    ):
        give_consent(bay_number=bay_number, contact=contact, state=ConsentState.OPTED_IN)
        reply(bay_number=bay_number, phone=contact.phone, body="Please don't stop sending listings")

        html = agent_client.get(conversation_url(contact, bay_number)).content.decode()

        assert 'data-state="flagged"' in html
        assert "Possible opt-out: “Please don&#x27;t stop sending listings”" in html
        assert f'href="{reverse("optin:reviews")}"' in html

    def test_do_not_text_refuses_whatever_the_consent(self, agent_client, contact, bay_number):
        give_consent(bay_number=bay_number, contact=contact, state=ConsentState.OPTED_IN)
        admin = AdminFactory(brokerage=bay_number.brokerage)
        do_not_text_add(brokerage=bay_number.brokerage, phone=contact.phone, actor=admin)

        html = agent_client.get(conversation_url(contact, bay_number)).content.decode()

        assert "Pat is on the do-not-text list" in html
        assert 'data-state="do_not_text"' in html
        assert "data-composer" not in html
        assert "Send Opt In Notification" not in html

    def test_shows_the_thread_both_ways_with_statuses(self, agent_client, contact, bay_number):
        OutboundMessageFactory(
            bay_number=bay_number,
            contact=contact,
            body="Open house Saturday",
            status=Message.Status.DELIVERED,
        )
        InboundMessageFactory(bay_number=bay_number, contact=contact, body="See you there")

        html = agent_client.get(conversation_url(contact, bay_number)).content.decode()

        html = html[html.index('id="thread"') :]
        assert html.index("Open house Saturday") < html.index("See you there")
        assert 'data-testid="message-status">Delivered<' in html
        assert "msg-inbound" in html

    def test_opening_marks_inbound_texts_read(self, agent_client, contact, bay_number):
        message = InboundMessageFactory(bay_number=bay_number, contact=contact)

        agent_client.get(conversation_url(contact, bay_number))

        message.refresh_from_db()
        assert message.read_at is not None

    def test_another_agents_contact_is_404(self, agent_client, bay_number):
        stranger = ContactFactory()

        response = agent_client.get(conversation_url(stranger, bay_number))

        assert response.status_code == 404

    def test_another_agents_bay_number_is_404(self, agent_client, contact, bay_number):
        other = BayNumberFactory()

        response = agent_client.get(conversation_url(contact, other))

        assert response.status_code == 404

    def test_template_query_prefills_the_merged_text(
        self, agent_client, agent, contact, bay_number
    ):
        give_consent(bay_number=bay_number, contact=contact, state=ConsentState.OPTED_IN)
        template = MessageTemplateFactory(agent=agent, body="Hi {first_name}, it's {agent_name}.")

        html = agent_client.get(
            conversation_url(contact, bay_number, template=template.pk)
        ).content.decode()

        assert f"Hi Pat, it&#x27;s {agent.display_name}.</textarea>" in html

    def test_another_agents_template_is_404(self, agent_client, contact, bay_number):
        give_consent(bay_number=bay_number, contact=contact, state=ConsentState.OPTED_IN)
        template = MessageTemplateFactory()

        response = agent_client.get(conversation_url(contact, bay_number, template=template.pk))

        assert response.status_code == 404


class ConversationWithoutBayNumberTests:
    def test_says_how_to_get_a_number(self, agent_client, contact):
        url = reverse("messaging:conversation", args=[contact.pk])

        html = agent_client.get(url).content.decode()

        assert "You have no BAY Number yet." in html
        assert "Send Opt In Notification" not in html

    def test_an_optin_request_is_refused(self, agent_client, contact, outbox):
        url = reverse("messaging:send_optin_request", args=[contact.pk])

        assert agent_client.post(url).status_code == 403
        assert outbox == []

    def test_the_poll_is_404(self, agent_client, contact):
        url = reverse("messaging:conversation_updates", args=[contact.pk])

        assert agent_client.get(url).status_code == 404

    def test_needs_login(self, client, contact):
        response = client.get(reverse("messaging:conversation", args=[contact.pk]))

        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


class ConversationUpdatesViewTests:
    def url(self, contact, bay_number, since):
        base = reverse("messaging:conversation_updates", args=[contact.pk])
        return f"{base}?bay_number={bay_number.pk}&since={since}"

    def test_returns_new_texts_badge_and_gate(self, agent_client, contact, bay_number):
        give_consent(bay_number=bay_number, contact=contact, state=ConsentState.PENDING)
        first = agent_client.get(self.url(contact, bay_number, "2000-01-01T00:00:00Z")).json()
        reply(bay_number=bay_number, phone=contact.phone, body="YES")

        data = agent_client.get(self.url(contact, bay_number, first["cursor"])).json()

        bodies = " ".join(item["html"] for item in data["messages"])
        assert first["badge"]["key"] == "pending"
        assert data["badge"]["key"] == "opted_in"
        assert "YES" in bodies
        assert "subscribed to texts" in bodies
        assert data["gate"]["key"].startswith("opted_in:True")
        assert "data-composer" in data["gate"]["html"]

    def test_without_since_it_answers_the_last_moments(self, agent_client, contact, bay_number):
        InboundMessageFactory(bay_number=bay_number, contact=contact, body="Just now")
        base = reverse("messaging:conversation_updates", args=[contact.pk])

        missing = agent_client.get(f"{base}?bay_number={bay_number.pk}").json()
        broken = agent_client.get(
            f"{base}?bay_number={bay_number.pk}&since=2026-13-45T99:00"
        ).json()
        naive = agent_client.get(f"{base}?bay_number={bay_number.pk}&since=2000-01-01T00:00").json()
        too_early = agent_client.get(
            f"{base}?bay_number={bay_number.pk}&since=0001-01-01T00:00:00%2B14:00"
        ).json()

        assert ["Just now" in m["html"] for m in missing["messages"]] == [True]
        assert ["Just now" in m["html"] for m in broken["messages"]] == [True]
        assert ["Just now" in m["html"] for m in naive["messages"]] == [True]
        assert ["Just now" in m["html"] for m in too_early["messages"]] == [True]

    def test_digits_that_are_no_number_are_ignored(
        self, agent_client, contact, bay_number, settings
    ):
        """ "²" passes str.isdigit() but not int(): never a 500."""
        page = reverse("messaging:conversation", args=[contact.pk])

        for query in ("before=\u00b2", "template=\u00b2"):
            response = agent_client.get(f"{page}?bay_number={bay_number.pk}&{query}")
            assert response.status_code == 200, query
        for extra, status in (({"find": "1"}, 200), ({}, 400)):
            response = agent_client.post(
                reverse("messaging:bulk_new"),
                {"bay_number": bay_number.pk, "body": "Hi", "contacts": ["\u00b2"], **extra},
            )
            assert response.status_code == status, extra
        settings.DEV_PHONE_ENABLED = True
        dev_phone = agent_client.get(reverse("messaging:dev_phone"), {"contact": "abc"})
        assert dev_phone.status_code == 200

    def test_hidden_page_does_not_mark_texts_read(self, agent_client, contact, bay_number):
        message = InboundMessageFactory(bay_number=bay_number, contact=contact)

        agent_client.get(self.url(contact, bay_number, "2000-01-01T00:00:00Z") + "&hidden=1")

        message.refresh_from_db()
        assert message.read_at is None

    def test_another_agents_contact_is_404(self, agent_client, bay_number):
        response = agent_client.get(self.url(ContactFactory(), bay_number, ""))

        assert response.status_code == 404


class SendMessageViewTests:
    @pytest.fixture(autouse=True)
    def _commits(self, run_on_commit):
        self.run_on_commit = run_on_commit

    def post(self, client, contact, bay_number, body):
        """Post as the browser does; queued texts go out when the request commits."""
        url = reverse("messaging:send", args=[contact.pk])
        with self.run_on_commit():
            return client.post(url, {"bay_number": bay_number.pk, "body": body})

    @pytest.fixture
    def opted_in(self, contact, bay_number, outbox):
        give_consent(bay_number=bay_number, contact=contact, state=ConsentState.OPTED_IN)
        outbox.clear()
        return contact

    def regular_texts(self):
        return Message.objects.filter(kind=Message.Kind.REGULAR, direction="outbound")

    def test_sends_and_redirects_to_the_conversation(
        self, agent_client, opted_in, bay_number, outbox
    ):
        response = self.post(agent_client, opted_in, bay_number, FC20_STRAIGHT)

        assert response.status_code == 302
        assert response["Location"] == conversation_url(opted_in, bay_number)
        assert [sms.body for sms in outbox] == [FC20_STRAIGHT]

    def test_fc20_1601_characters_is_refused_before_anything_is_queued(
        self, agent_client, opted_in, bay_number, outbox
    ):
        response = self.post(agent_client, opted_in, bay_number, "a" * 1601)

        assert response.status_code == 400
        assert "A text can be at most 1,600 characters; this one has 1,601." in (
            response.content.decode()
        )
        assert not self.regular_texts().exists()
        assert outbox == []

    def test_emoji_count_as_two_toward_the_limit_as_twilio_counts_them(
        self, agent_client, opted_in, bay_number, outbox
    ):
        response = self.post(agent_client, opted_in, bay_number, "\U0001f3e1" * 801)

        assert response.status_code == 400
        assert (
            "A text can be at most 1,600 characters (an emoji counts as two); this one has 1,602."
        ) in response.content.decode()
        assert not self.regular_texts().exists()
        assert outbox == []

        accepted = self.post(agent_client, opted_in, bay_number, "\U0001f3e1" * 800)
        assert accepted.status_code == 302
        assert [len(sms.body) for sms in outbox] == [800]

    def test_fc20_1600_characters_is_accepted(self, agent_client, opted_in, bay_number, outbox):
        self.post(agent_client, opted_in, bay_number, "a" * 1600)

        assert [len(sms.body) for sms in outbox] == [1600]

    def test_browser_line_breaks_count_once(self, agent_client, opted_in, bay_number, outbox):
        """A textarea posts CRLF; the text counted 1,600 in the composer stays 1,600."""
        body = ("a" * 99 + "\r\n") * 16

        response = self.post(agent_client, opted_in, bay_number, body)

        assert response.status_code == 302
        assert outbox[0].body == ("a" * 99 + "\n") * 15 + "a" * 99

    def test_smart_quotes_go_as_typed(self, agent_client, opted_in, bay_number, outbox):
        self.post(agent_client, opted_in, bay_number, FC20_SMART)

        assert outbox[0].body == FC20_SMART

    def test_gate_refusal_queues_nothing_and_says_why(
        self, agent_client, contact, bay_number, outbox
    ):
        response = self.post(agent_client, contact, bay_number, "Hi")

        follow = agent_client.get(response["Location"]).content.decode()
        assert "Not sent. This contact hasn&#x27;t agreed to receive texts yet." in follow
        assert not self.regular_texts().exists()
        assert outbox == []

    def test_another_agents_contact_is_404(self, agent_client, bay_number, outbox):
        response = self.post(agent_client, ContactFactory(), bay_number, "Hi")

        assert response.status_code == 404
        assert outbox == []

    def test_needs_a_csrf_token(self, agent, opted_in, bay_number, outbox):
        client = Client(enforce_csrf_checks=True)
        client.force_login(agent)

        response = self.post(client, opted_in, bay_number, "Hi")

        assert response.status_code == 403
        assert outbox == []


class SendOptinRequestViewTests:
    def test_sends_the_request_and_shows_pending(
        self, agent_client, contact, bay_number, outbox, run_on_commit
    ):
        url = reverse("messaging:send_optin_request", args=[contact.pk])

        with run_on_commit():
            response = agent_client.post(url, {"bay_number": bay_number.pk}, follow=True)

        html = response.content.decode()
        assert len(outbox) == 1
        assert "Reply YES to opt in" in outbox[0].body
        assert 'data-state="pending"' in html
        assert "Opt-in request sent to" in html

    def test_a_second_request_within_the_cool_down_is_refused_with_why(
        self, agent_client, contact, bay_number, outbox, run_on_commit
    ):
        url = reverse("messaging:send_optin_request", args=[contact.pk])
        with run_on_commit():
            agent_client.post(url, {"bay_number": bay_number.pk})

        with run_on_commit():
            response = agent_client.post(url, {"bay_number": bay_number.pk}, follow=True)

        assert len(outbox) == 1
        assert "Opt-in request not sent. You asked this contact to opt in" in (
            response.content.decode()
        )

    def test_a_request_held_for_texting_hours_says_when_it_goes_and_counts_from_then(
        self, agent_client, agent, bay_number, outbox, run_on_commit, monkeypatch
    ):
        import datetime
        import zoneinfo

        from django.utils import timezone

        from optin.models import Consent

        contact = ContactFactory(agent=agent, phone="+12135550142")  # Los Angeles
        eight_am_pacific = timezone.now() + datetime.timedelta(hours=9)
        monkeypatch.setattr("messaging.quiet_hours.send_after", lambda **kwargs: eight_am_pacific)
        url = reverse("messaging:send_optin_request", args=[contact.pk])

        with run_on_commit():
            first = agent_client.post(url, {"bay_number": bay_number.pk}, follow=True)
            second = agent_client.post(url, {"bay_number": bay_number.pk}, follow=True)

        assert outbox == []
        request = Message.objects.get(kind=Message.Kind.OPTIN_REQUEST)
        assert (request.status, request.not_before) == (Message.Status.QUEUED, eight_am_pacific)
        page = first.content.decode()
        assert f"Opt-in request to {contact.full_name} queued: it is outside texting hours" in page
        assert "Opt-in request sent to" not in page
        consent = Consent.objects.get(bay_number=bay_number, phone=contact.phone)
        assert consent.last_optin_request_at == eight_am_pacific
        assert consent.optin_requests_sent == 1
        pacific = eight_am_pacific.astimezone(zoneinfo.ZoneInfo("America/Los_Angeles"))
        assert (
            "Opt-in request not sent. Your opt-in request to this contact waits for their "
            f"texting hours and goes out {pacific:%a %b %-d at %-I:%M %p} their time."
        ) in second.content.decode()
        assert Message.objects.filter(kind=Message.Kind.OPTIN_REQUEST).count() == 1

    def test_another_agents_bay_number_is_404(self, agent_client, contact, outbox):
        url = reverse("messaging:send_optin_request", args=[contact.pk])

        response = agent_client.post(url, {"bay_number": BayNumberFactory().pk})

        assert response.status_code == 404
        assert outbox == []


_POST_FORM = re.compile(r"<form[^>]*method=\"post\"[^>]*>(.*?)</form>", re.S | re.I)


class CsrfOnEveryFormTests:
    def test_every_post_form_of_the_screens_carries_a_token(
        self, agent_client, agent, contact, bay_number
    ):
        template = MessageTemplateFactory(agent=agent)
        give_consent(bay_number=bay_number, contact=contact, state=ConsentState.OPTED_IN)
        never = ContactFactory(agent=agent, phone="+12025550114")
        pages = [
            reverse("messaging:inbox"),
            conversation_url(contact, bay_number),
            conversation_url(never, bay_number),
            reverse("messaging:templates"),
            reverse("messaging:template_edit", args=[template.pk]),
            reverse("messaging:template_delete", args=[template.pk]),
            reverse("contacts:list"),
            reverse("contacts:create"),
            reverse("contacts:edit", args=[contact.pk]),
            reverse("contacts:import"),
            reverse("contacts:detail", args=[contact.pk]),
        ]
        forms = 0
        for page in pages:
            html = agent_client.get(page).content.decode()
            for form in _POST_FORM.findall(html):
                forms += 1
                assert 'name="csrfmiddlewaretoken"' in form, page
        # Every page has the log-out form; the others add theirs.
        assert forms >= len(pages) + 6


class QuietHoursNoticeTests:
    def test_agent_is_told_when_a_text_waits_for_the_contacts_hours(
        self, agent_client, agent, bay_number, monkeypatch
    ):
        import datetime

        contact = ContactFactory(agent=agent, phone="+12135550142")  # Los Angeles
        give_consent(bay_number=bay_number, contact=contact, state=ConsentState.OPTED_IN)
        eight_am_pacific = datetime.datetime(2026, 12, 5, 16, 0, tzinfo=datetime.UTC)
        monkeypatch.setattr("messaging.quiet_hours.send_after", lambda **kwargs: eight_am_pacific)

        response = agent_client.post(
            reverse("messaging:send", args=[contact.pk]),
            {"bay_number": bay_number.pk, "body": "Open house tomorrow"},
            follow=True,
        )

        page = response.content.decode()
        assert (
            "outside texting hours where the contact lives (8 am to 9 pm, or less in some "
            "states), so it goes out Sat 8:00 AM"
        ) in page
        assert "Waiting for the contact's texting hours: goes out Sat 8:00 AM" in page
        message = Message.objects.get(body="Open house tomorrow")
        assert message.status == Message.Status.QUEUED


class HeldNumberNoticeTests:
    def test_agent_sees_why_a_held_numbers_texts_wait(self, agent_client, agent, bay_number):
        from messaging.holds import bay_number_hold_sending

        contact = ContactFactory(agent=agent)
        bay_number_hold_sending(
            bay_number_id=bay_number.pk, reason="A2P 10DLC campaign not registered."
        )

        page = agent_client.get(conversation_url(contact, bay_number)).content.decode()

        assert "are on hold: A2P 10DLC campaign not registered." in page
        assert "admins have been alerted" in page
