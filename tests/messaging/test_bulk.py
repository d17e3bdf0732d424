"""Bulk send: merge fields, one gate query for all recipients, skipped ones
with their reason, per-recipient results and progress (FC-18)."""

import datetime
import re
import uuid

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from brokerages.models import Agent, Brokerage
from contacts.models import Contact
from messaging import bulk
from messaging.models import BulkSend, Message
from optin.services import consent_request_optin, do_not_text_add
from tests.concurrency import at_the_same_moment
from tests.factories import (
    AdminFactory,
    AgentFactory,
    BayNumberFactory,
    ContactFactory,
    OutboundMessageFactory,
)
from tests.fakes import twilio_http
from tests.messaging import support
from tests.services import require_postgres


def contacts_for(agent, count, first=101):
    return [
        ContactFactory(agent=agent, first_name=f"Pat{n}", phone=f"+1202555{first + n:04d}")
        for n in range(count)
    ]


def post_bulk_form(client, form, **kwargs):
    """Post the bulk send form as a page shown to the agent would: with a
    token of its own."""
    return client.post(
        reverse("messaging:bulk_new"), {"submission": uuid.uuid4(), **form}, **kwargs
    )


@pytest.fixture
def opted_in_contacts(bay_number):
    people = contacts_for(bay_number.agent, 3)
    for person in people:
        support.opt_in(bay_number, person.phone)
    return people


class TemplateTests:
    def test_merge_fields_are_those_of_saved_templates(self):
        agent = Agent(first_name="Bea", last_name="Agent", brokerage=Brokerage(name="Harbor"))
        contact = Contact(first_name="Pat", last_name="Lee")

        text = bulk.render(
            "Hi {first_name} {last_name}! {agent_name} of {brokerage}", contact, agent
        )

        assert text == "Hi Pat Lee! Bea Agent of Harbor"

    def test_unknown_merge_field_is_refused_before_anything_is_queued(self):
        with pytest.raises(ValidationError) as refused:
            bulk.validate_template("Hi {first_name} {email}{__class__}")

        assert "Unknown merge field {email}, {__class__}." in refused.value.messages[0]

    @pytest.mark.parametrize("body", ["", "   ", "a" * 1601])
    def test_empty_or_too_long_template_is_refused(self, body):
        with pytest.raises(ValidationError):
            bulk.validate_template(body)


@pytest.mark.django_db
class BulkPlanTests:
    def test_each_skipped_recipient_has_its_reason(self, bay_number):
        agent = bay_number.agent
        yes, never, asked, stopped, invalid, listed = contacts_for(agent, 6)
        for person in (yes, invalid, listed):
            support.opt_in(bay_number, person.phone)
        admin = AdminFactory(brokerage=bay_number.brokerage)
        do_not_text_add(brokerage=bay_number.brokerage, phone=listed.phone, actor=admin)
        support.opt_out(bay_number, stopped.phone)
        consent_request_optin(bay_number=bay_number, contact=asked, actor=agent)
        Contact.objects.filter(pk=invalid.pk).update(invalid_phone_reason="Invalid phone number.")

        plan = bulk.bulk_plan(
            bay_number=bay_number,
            contacts=[*agent.contacts.order_by("id"), yes],
            template="Hi {first_name}",
        )

        assert [(c.pk, body) for c, body in plan.sendable] == [(yes.pk, "Hi Pat0")]
        assert [(entry["contact_id"], entry["reason_code"]) for entry in plan.skipped] == [
            (never.pk, "never_asked"),
            (asked.pk, "pending"),
            (stopped.pk, "opted_out"),
            (invalid.pk, bulk.INVALID_NUMBER),
            (listed.pk, bulk.DO_NOT_TEXT),
            (yes.pk, bulk.DUPLICATE_PHONE),
        ]
        reasons = {entry["reason_code"]: entry["reason"] for entry in plan.skipped}
        assert "START or YES" in reasons["opted_out"]
        assert "opt-in request" in reasons["never_asked"]
        assert "do-not-text list" in reasons[bulk.DO_NOT_TEXT]

    def test_text_too_long_once_merged_is_skipped(self, bay_number):
        (person,) = contacts_for(bay_number.agent, 1)
        support.opt_in(bay_number, person.phone)
        Contact.objects.filter(pk=person.pk).update(first_name="P" * 100)

        plan = bulk.bulk_plan(
            bay_number=bay_number,
            contacts=bay_number.agent.contacts.all(),
            template="{first_name}" + "x" * 1590,
        )

        assert plan.sendable == [] and plan.skipped[0]["reason_code"] == bulk.TOO_LONG

    def test_text_empty_once_merged_is_skipped(self, bay_number):
        (person,) = contacts_for(bay_number.agent, 1)
        support.opt_in(bay_number, person.phone)
        Contact.objects.filter(pk=person.pk).update(last_name="")

        plan = bulk.bulk_plan(
            bay_number=bay_number, contacts=bay_number.agent.contacts.all(), template="{last_name}"
        )

        assert plan.sendable == []
        assert plan.skipped[0]["reason_code"] == bulk.EMPTY

    def test_gate_costs_the_same_queries_for_any_number_of_recipients(self, bay_number):
        """The contacts, their consents, the do-not-text list: three, for 3 or 60."""
        people = contacts_for(bay_number.agent, 60)
        for person in people[::2]:
            support.opt_in(bay_number, person.phone)
        queries, planned = [], []

        for chosen in (people[:3], people):
            ids = [person.pk for person in chosen]
            with CaptureQueriesContext(connection) as captured:
                plan = bulk.bulk_plan(
                    bay_number=bay_number,
                    contacts=bay_number.agent.contacts.filter(pk__in=ids),
                    template="Hi",
                )
            queries.append(len(captured))
            planned.append(len(plan.sendable))

        assert queries == [3, 3]
        assert planned == [2, 30]


@pytest.mark.django_db
class BulkSendTests:
    def test_allowed_recipients_are_queued_and_sent_with_their_merge_fields(
        self, bay_number, opted_in_contacts, outbox, run_on_commit
    ):
        never = ContactFactory(agent=bay_number.agent, phone="+12025550190")

        with run_on_commit():
            sent = bulk.bulk_send(
                agent=bay_number.agent,
                bay_number=bay_number,
                body="Hi {first_name}, open house Sat.",
                contacts=bay_number.agent.contacts.all(),
            )

        assert (sent.recipients, sent.queued, len(sent.skipped)) == (4, 3, 1)
        assert sent.skipped[0]["contact_id"] == never.pk
        assert sorted(sms.body for sms in outbox) == [
            f"Hi Pat{n}, open house Sat." for n in range(3)
        ]
        assert set(sent.messages.values_list("status", flat=True)) == {Message.Status.SENDING}
        progress = bulk.bulk_progress(sent)
        assert (progress["sent"], progress["waiting"], progress["done"]) == (3, 0, True)
        assert progress["percent"] == 100

    def test_another_agents_number_is_refused(self, bay_number, opted_in_contacts):
        stranger = AgentFactory()

        with pytest.raises(PermissionDenied):
            bulk.bulk_send(
                agent=stranger,
                bay_number=bay_number,
                body="Hi",
                contacts=stranger.contacts.all(),
            )

    def test_no_recipients_is_refused(self, bay_number):
        with pytest.raises(ValidationError):
            bulk.bulk_send(
                agent=bay_number.agent,
                bay_number=bay_number,
                body="Hi",
                contacts=Contact.objects.none(),
            )


@pytest.mark.django_db
class BulkScreenTests:
    """FC-18: one invalid number mid-bulk stops nothing; results are shown."""

    @pytest.fixture
    def browser(self, bay_number):
        client = Client()
        client.force_login(bay_number.agent)
        return client

    def test_invalid_number_mid_bulk_fails_alone_and_results_are_shown(
        self, browser, bay_number, opted_in_contacts, settings, run_on_commit
    ):
        settings.SMS_BACKEND = "tests.fakes.twilio_http.ScriptedTwilioBackend"
        api = twilio_http.reset()
        first, second, third = opted_in_contacts
        api.by_to[second.phone] = [twilio_http.error(400, 21211, "Invalid 'To' Phone Number")]

        with run_on_commit():
            response = post_bulk_form(
                browser,
                {
                    "bay_number": bay_number.pk,
                    "body": "Hi {first_name}",
                    "contacts": [c.pk for c in opted_in_contacts],
                },
            )

        sent = BulkSend.objects.get()
        assert response.status_code == 302
        assert response["Location"] == reverse("messaging:bulk_detail", args=[sent.pk])
        results = {m.contact_id: m for m in sent.messages.all()}
        assert results[first.pk].status == results[third.pk].status == Message.Status.SENDING
        assert results[second.pk].status == Message.Status.FAILED
        assert results[second.pk].failure_reason == "Invalid phone number."
        assert [api.sent_to(c.phone) for c in opted_in_contacts] == [1, 1, 1]
        second.refresh_from_db()
        assert second.invalid_phone_reason == "Invalid phone number."

        page = browser.get(response["Location"])
        assert page.status_code == 200
        html = page.content.decode()
        assert html.count('data-status="sending"') == 2
        assert 'data-status="failed"' in html and "Invalid phone number." in html
        assert "3</strong> of 3 going out" in html

        progress = browser.get(reverse("messaging:bulk_progress", args=[sent.pk])).json()
        assert (progress["sent"], progress["not_sent"], progress["done"]) == (2, 1, True)

    def test_the_same_form_posted_twice_sends_once(
        self, browser, bay_number, opted_in_contacts, outbox, run_on_commit
    ):
        page = browser.get(reverse("messaging:bulk_new")).content.decode()
        (token,) = re.findall(r'name="submission" value="([0-9a-f-]{36})"', page)
        form = {
            "bay_number": bay_number.pk,
            "body": "Open house Sat.",
            "contacts": [c.pk for c in opted_in_contacts],
            "submission": token,
        }

        with run_on_commit():
            first = browser.post(reverse("messaging:bulk_new"), form)
            second = browser.post(reverse("messaging:bulk_new"), form)

        sent = BulkSend.objects.get()
        assert first["Location"] == second["Location"]
        assert first["Location"] == reverse("messaging:bulk_detail", args=[sent.pk])
        assert sent.messages.count() == 3 and len(outbox) == 3
        fresh = browser.get(reverse("messaging:bulk_new")).content.decode()
        assert token not in fresh

    def test_a_form_without_its_token_is_shown_again_with_one_and_sends_nothing(
        self, browser, bay_number, opted_in_contacts, outbox
    ):
        form = {"bay_number": bay_number.pk, "body": "Open house Sat.", "all_contacts": "on"}

        response = browser.post(reverse("messaging:bulk_new"), form)

        html = response.content.decode()
        assert response.status_code == 400
        assert "This page had expired: check it, then press Send again." in html
        assert "Open house Sat." in html
        (token,) = re.findall(r'name="submission" value="([0-9a-f-]{36})"', html)
        assert not BulkSend.objects.exists() and outbox == []

        again = browser.post(reverse("messaging:bulk_new"), {**form, "submission": token})
        assert again.status_code == 302 and BulkSend.objects.count() == 1

    def test_ids_and_searches_no_database_holds_are_refused_not_errors(self, browser, bay_number):
        huge = post_bulk_form(
            browser, {"bay_number": bay_number.pk, "body": "Hi", "contacts": ["9" * 23]}
        )
        nul = browser.get(reverse("messaging:bulk_new"), {"q": "a\x00b"})
        found = post_bulk_form(browser, {"find": "1", "q": "\x00", "body": "Hi"})

        assert (huge.status_code, nul.status_code, found.status_code) == (400, 200, 200)
        assert not BulkSend.objects.exists()

    def test_more_than_a_thousand_ticked_contacts_are_taken(self, browser, bay_number):
        people = Contact.objects.bulk_create(
            Contact(agent=bay_number.agent, first_name=f"P{n}", phone=f"+1202555{n:04d}")
            for n in range(1000, 2200)
        )

        response = post_bulk_form(
            browser, {"bay_number": bay_number.pk, "body": "Hi", "contacts": [c.pk for c in people]}
        )

        assert response.status_code == 302
        assert BulkSend.objects.get().recipients == 1200

    def test_skipped_recipients_are_summarised_by_reason(self, browser, bay_number):
        people = contacts_for(bay_number.agent, 3)
        support.opt_out(bay_number, people[0].phone)

        response = post_bulk_form(
            browser, {"bay_number": bay_number.pk, "body": "Hi", "all_contacts": "on"}, follow=True
        )

        html = response.content.decode()
        assert "0</strong> of 3 going out" in html
        assert "Never asked: 2" in html and "Opted out: 1" in html

    def test_another_agents_bulk_send_does_not_exist(self, browser, bay_number):
        other_number = BayNumberFactory()
        theirs = BulkSend.objects.create(
            agent=other_number.agent, bay_number=other_number, body="x"
        )

        assert browser.get(reverse("messaging:bulk_detail", args=[theirs.pk])).status_code == 404
        assert browser.get(reverse("messaging:bulk_progress", args=[theirs.pk])).status_code == 404

    def test_another_agents_contacts_and_numbers_cannot_be_chosen(self, browser, bay_number):
        other_number = BayNumberFactory()
        stranger = ContactFactory(agent=other_number.agent)

        response = post_bulk_form(
            browser, {"bay_number": other_number.pk, "body": "Hi", "contacts": [stranger.pk]}
        )

        assert response.status_code == 400
        assert not BulkSend.objects.exists() and not Message.objects.exists()

    def test_form_needs_a_recipient_and_known_merge_fields(self, browser, bay_number):
        response = post_bulk_form(browser, {"bay_number": bay_number.pk, "body": "Hi {nick}"})

        html = response.content.decode()
        assert response.status_code == 400
        assert "Unknown merge field {nick}" in html
        assert "Choose at least one contact" in html

    def test_form_needs_a_csrf_token(self, bay_number):
        client = Client(enforce_csrf_checks=True)
        client.force_login(bay_number.agent)

        response = post_bulk_form(
            client, {"bay_number": bay_number.pk, "body": "Hi", "all_contacts": "on"}
        )

        assert response.status_code == 403

    def test_new_form_lists_only_the_agents_contacts(self, browser, bay_number):
        mine = ContactFactory(agent=bay_number.agent, first_name="Mine")
        ContactFactory(first_name="Theirs")

        html = browser.get(reverse("messaging:bulk_new")).content.decode()

        assert mine.first_name in html and "Theirs" not in html

    def test_the_list_to_pick_from_stays_short_however_many_contacts(self, browser, bay_number):
        from contacts.models import Contact
        from messaging.bulk_views import PICKER_SIZE

        agent = bay_number.agent
        Contact.objects.bulk_create(
            Contact(agent=agent, first_name=f"Person{n:04d}", phone=f"+1202555{n:04d}")
            for n in range(PICKER_SIZE + 5)
        )
        zed = ContactFactory(agent=agent, first_name="Zed", last_name="Quill", phone="+13305550999")

        page = browser.get(reverse("messaging:bulk_new")).content.decode()
        first = agent.contacts.get(first_name="Person0000")
        found = post_bulk_form(
            browser,
            {
                "bay_number": bay_number.pk,
                "body": "Open house Sat",
                "contacts": [first.pk],
                "q": "quill",
                "find": "1",
            },
        ).content.decode()

        assert page.count('name="contacts"') == PICKER_SIZE
        assert f"The first {PICKER_SIZE}" in page and "Zed Quill" not in page
        assert f"All my contacts\n      ({PICKER_SIZE + 6})" in page
        # The search keeps the message and the contact ticked before it.
        assert found.count('type="checkbox" name="contacts"') == 1
        assert f'value="{zed.pk}"' in found
        assert f'<input type="hidden" name="contacts"\n        value="{first.pk}">' in found
        assert ">\nOpen house Sat</textarea>" in found
        assert "1\n        chosen, 1 of them in an earlier\n        search." in found
        assert not BulkSend.objects.exists()
        assert browser.get(reverse("messaging:bulk_new"), {"q": "quill"}).status_code == 200
        response = post_bulk_form(
            browser, {"bay_number": bay_number.pk, "body": "Hi", "contacts": [zed.pk]}
        )
        assert response.status_code == 302
        assert BulkSend.objects.get().messages.count() == 0  # Zed never opted in

    def test_login_is_required(self, db):
        response = Client().get(reverse("messaging:bulk_new"))

        assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.django_db
class BulkProgressTests:
    def test_texts_under_way_or_waiting_for_their_window_are_not_finished(self, bay_number):
        sent = BulkSend.objects.create(
            agent=bay_number.agent, bay_number=bay_number, body="Hi", queued=4
        )
        later = timezone.now() + datetime.timedelta(hours=9)
        for status, sid, not_before in [
            ("sending", "SM" + "1" * 32, None),  # Twilio has it
            ("sending", None, None),  # the call is under way
            ("queued", None, later),  # waits for the recipient's morning
            ("delivered", "SM" + "2" * 32, None),
        ]:
            OutboundMessageFactory(
                bay_number=bay_number,
                bulk_send=sent,
                status=status,
                twilio_sid=sid,
                not_before=not_before,
            )

        progress = bulk.bulk_progress(sent)

        assert {key: progress[key] for key in ("sent", "delivered", "waiting", "for_window")} == {
            "sent": 2,
            "delivered": 1,
            "waiting": 2,
            "for_window": 1,
        }
        assert (progress["done"], progress["active"], progress["percent"]) == (False, True, 50)
        assert progress["next_window"] == later.isoformat()

    def test_texts_blocked_at_send_time_finish_the_bulk_send(self, bay_number):
        """A campaign no longer approved blocks the texts still waiting; the
        progress bar must end rather than poll for ever."""
        sent = BulkSend.objects.create(
            agent=bay_number.agent, bay_number=bay_number, body="Hi", queued=3
        )
        for status in ("delivered", "blocked_unregistered", "not_needed"):
            OutboundMessageFactory(bay_number=bay_number, bulk_send=sent, status=status)

        progress = bulk.bulk_progress(sent)

        assert (progress["sent"], progress["not_sent"], progress["waiting"]) == (1, 2, 0)
        assert (progress["done"], progress["active"], progress["percent"]) == (True, False, 100)

    def test_nothing_to_poll_while_all_wait_for_their_window(self, bay_number):
        sent = BulkSend.objects.create(
            agent=bay_number.agent, bay_number=bay_number, body="Hi", queued=1
        )
        OutboundMessageFactory(
            bay_number=bay_number,
            bulk_send=sent,
            not_before=timezone.now() + datetime.timedelta(hours=1),
        )

        assert bulk.bulk_progress(sent)["active"] is False

    def test_agent_without_contacts_gets_the_reason_not_an_error(self, bay_number):
        client = Client()
        client.force_login(bay_number.agent)

        response = post_bulk_form(
            client, {"bay_number": bay_number.pk, "body": "Hi", "all_contacts": "on"}
        )

        assert response.status_code == 400
        assert "Choose at least one contact" in response.content.decode()


@pytest.mark.django_db(transaction=True)
class DoubleSubmissionTests:
    def test_two_posts_of_one_form_at_the_same_moment_make_one_bulk_send(self, bay_number):
        """A double click sends both requests before either answers."""
        require_postgres()  # SQLite's in-memory test database locks whole tables
        people = contacts_for(bay_number.agent, 3)
        for person in people:
            support.opt_in(bay_number, person.phone)
        token = uuid.uuid4()

        def submit():
            return bulk.bulk_send(
                agent=bay_number.agent,
                bay_number=bay_number,
                body="Open house Sat.",
                contacts=Contact.objects.filter(agent=bay_number.agent),
                submission=token,
            ).pk

        made = at_the_same_moment(submit)

        (only,) = BulkSend.objects.values_list("pk", flat=True)
        assert made == [only, only]
        assert Message.objects.filter(bulk_send_id=only).count() == 3
