"""Consent services: replies, confirmations, opt-in requests, opt-outs
recorded by people, reviews of possible opt-outs, the do-not-text list."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from messaging.models import Message
from optin import services
from optin.keywords import ReplyKind
from optin.models import Consent, ConsentEvent, ConsentState, DoNotTextEntry, OptOutReview
from tests.factories import (
    AdminFactory,
    AgentFactory,
    ContactFactory,
    InboundMessageFactory,
)
from tests.optin.states import PHONE, events_of, opt_in, opt_out, state_of


def reply(bay_number, body, *, opt_out_type=None, phone=PHONE):
    """Store an inbound text and act on it, as the webhook does."""
    payload = {"Body": body}
    if opt_out_type:
        payload["OptOutType"] = opt_out_type
    message = InboundMessageFactory(
        bay_number=bay_number, from_phone=phone, body=body, raw_payload=payload
    )
    services.consent_apply_reply(message=message)
    return message


def queued(kind) -> list[Message]:
    return list(Message.objects.filter(direction=Message.Direction.OUTBOUND, kind=kind))


@pytest.mark.django_db
class ApplyReplyTests:
    def test_stop_opts_out_with_one_row_and_one_confirmation(
        self, bay_number, outbox, run_on_commit
    ):
        opt_in(bay_number)

        with run_on_commit():
            message = reply(bay_number, "Stop. Thank you")

        assert state_of(bay_number) == ConsentState.OPTED_OUT
        event = events_of(bay_number)[-1]
        assert (event.event_type, event.old_state, event.new_state) == (
            "opted_out",
            "opted_in",
            "opted_out",
        )
        assert (event.source, event.keyword, event.raw_text) == (
            "inbound_keyword",
            "stop",
            "Stop. Thank you",
        )
        assert event.inbound_message == message
        assert event.message_sid == message.twilio_sid
        assert [sms.body for sms in outbox] == [queued("optout_confirmation")[0].body]

    def test_repeated_stop_writes_nothing_and_sends_nothing(
        self, bay_number, outbox, run_on_commit
    ):
        opt_in(bay_number)
        with run_on_commit():
            reply(bay_number, "STOP")
        rows = len(events_of(bay_number))

        with run_on_commit():
            reply(bay_number, "STOP")
            reply(bay_number, "unsubscribe")

        assert len(events_of(bay_number)) == rows
        assert len(queued("optout_confirmation")) == 1
        assert len(outbox) == 1

    def test_yes_twice_confirms_once(self, bay_number, outbox, run_on_commit):
        with run_on_commit():
            reply(bay_number, "YES")
            reply(bay_number, "Yes please")

        assert state_of(bay_number) == ConsentState.OPTED_IN
        assert [e.event_type for e in events_of(bay_number)] == ["opted_in"]
        assert len(queued("optin_confirmation")) == 1
        assert len(outbox) == 1

    def test_opt_out_type_is_trusted_and_no_confirmation_of_ours_goes(
        self, bay_number, outbox, run_on_commit
    ):
        opt_in(bay_number)

        with run_on_commit():
            reply(bay_number, "stopall", opt_out_type="STOP")

        event = events_of(bay_number)[-1]
        assert state_of(bay_number) == ConsentState.OPTED_OUT
        # The contact's own word, which means what Twilio's type says.
        assert (event.source, event.keyword) == ("twilio_opt_out_type", "stopall")
        assert outbox == [] and queued("optout_confirmation") == []

    def test_opt_out_type_decides_over_the_words(self, bay_number, run_on_commit):
        opt_in(bay_number)

        with run_on_commit():
            reply(bay_number, "YES", opt_out_type="STOP")

        assert state_of(bay_number) == ConsentState.OPTED_OUT
        assert events_of(bay_number)[-1].keyword == "stop"  # Twilio's type, not "yes"

    def test_opt_out_type_start_opts_back_in_without_confirmation(
        self, bay_number, outbox, run_on_commit
    ):
        opt_out(bay_number)

        with run_on_commit():
            reply(bay_number, "Start", opt_out_type="START")

        assert state_of(bay_number) == ConsentState.OPTED_IN
        assert events_of(bay_number)[-1].source == "twilio_opt_out_type"
        assert outbox == []

    def test_opt_out_type_help_leaves_the_answer_to_twilio(self, bay_number, outbox, run_on_commit):
        with run_on_commit():
            reply(bay_number, "HELP", opt_out_type="HELP")

        assert outbox == [] and queued("help_reply") == []
        assert not Consent.objects.exists()

    @pytest.mark.parametrize("body", ["HELP", "info", "Help me please"])
    def test_help_answers_with_agent_brokerage_contact_and_stop(
        self, bay_number, outbox, run_on_commit, body
    ):
        agent = bay_number.agent
        agent.phone = "+12025550198"
        agent.save()

        with run_on_commit():
            reply(bay_number, body)

        assert len(outbox) == 1
        text = outbox[0].body
        assert agent.display_name in text
        assert agent.brokerage.name in text
        assert "+12025550198" in text
        assert "STOP" in text
        assert state_of(bay_number) == ConsentState.NEVER_ASKED

    def test_help_without_an_agent_phone_gives_the_brokerage_phone(
        self, bay_number, outbox, run_on_commit
    ):
        agent = bay_number.agent
        agent.phone = ""
        agent.save()

        with run_on_commit():
            reply(bay_number, "HELP")

        assert agent.brokerage.phone in outbox[0].body

    def test_help_to_a_number_without_an_agent_names_the_brokerage(
        self, bay_number, outbox, run_on_commit
    ):
        bay_number.agent = None
        bay_number.save()

        with run_on_commit():
            reply(bay_number, "HELP")

        assert outbox[0].body.startswith(f"{bay_number.brokerage.name}:")
        assert Message.objects.get(kind="help_reply").contact is None

    def test_help_to_an_opted_out_phone_still_goes(self, bay_number, outbox, run_on_commit):
        opt_out(bay_number)

        with run_on_commit():
            reply(bay_number, "HELP")

        assert len(outbox) == 1
        assert state_of(bay_number) == ConsentState.OPTED_OUT

    @pytest.mark.parametrize(("body", "back_in"), [("yeah", False), ("si", False), ("START", True)])
    def test_only_start_yes_or_unstop_bring_an_opted_out_phone_back(
        self, bay_number, body, back_in
    ):
        opt_out(bay_number)

        reply(bay_number, body)

        expected = ConsentState.OPTED_IN if back_in else ConsentState.OPTED_OUT
        assert state_of(bay_number) == expected

    def test_a_flagged_reply_opens_a_review_and_changes_nothing(self, bay_number, outbox):
        opt_in(bay_number)

        message = reply(bay_number, "Please don't stop sending listings")

        review = OptOutReview.objects.get()
        assert review.inbound_message == message
        assert (review.bay_number, review.phone, review.flagged_by) == (
            bay_number,
            PHONE,
            "stop",
        )
        assert review.received_at == message.created_at
        assert review.deadline > review.received_at + datetime.timedelta(days=13)
        assert review.is_open
        assert state_of(bay_number) == ConsentState.OPTED_IN
        assert len(events_of(bay_number)) == 1

    def test_no_review_for_a_phone_already_opted_out(self, bay_number):
        opt_out(bay_number)

        kind = services.consent_apply_reply(
            message=InboundMessageFactory(bay_number=bay_number, body="No problem, see you at 3")
        )

        assert kind == ReplyKind.OTHER
        assert not OptOutReview.objects.exists()

    def test_an_ordinary_reply_changes_nothing(self, bay_number, outbox):
        opt_in(bay_number)

        reply(bay_number, "Sounds good, see you Saturday")

        assert len(events_of(bay_number)) == 1
        assert not OptOutReview.objects.exists()


@pytest.mark.django_db
class ConsentGrantTests:
    def test_only_an_inbound_text_can_opt_a_phone_in(self, bay_number):
        opt_out(bay_number)
        outbound = Message.objects.create(
            direction=Message.Direction.OUTBOUND,
            bay_number=bay_number,
            from_phone=bay_number.phone_number,
            to_phone=PHONE,
            body="START",
            status=Message.Status.SENT,
        )

        with pytest.raises(services.ConsentRefused):
            services.consent_grant(
                inbound_message=outbound,
                source=ConsentEvent.Source.INBOUND_KEYWORD,
                keyword="start",
            )

        assert state_of(bay_number) == ConsentState.OPTED_OUT


@pytest.mark.django_db
class ConsentRequestOptinTests:
    def ask(self, bay_number, contact):
        return services.consent_request_optin(
            bay_number=bay_number, contact=contact, actor=bay_number.agent
        )

    def age_last_request(self, bay_number, hours):
        Consent.objects.filter(bay_number=bay_number).update(
            last_optin_request_at=timezone.now() - datetime.timedelta(hours=hours)
        )

    @pytest.mark.parametrize(
        ("answer", "status", "reason"),
        [
            ("YES", "not_needed", "Not sent: the contact opted in first."),
            ("STOP", "blocked_opted_out", "Not sent: the contact opted out first."),
        ],
    )
    def test_a_request_waiting_for_texting_hours_is_settled_by_an_answer(
        self, bay_number, contact, monkeypatch, answer, status, reason
    ):
        morning = timezone.now() + datetime.timedelta(hours=9)
        monkeypatch.setattr("messaging.quiet_hours.send_after", lambda **kwargs: morning)
        request = self.ask(bay_number, contact)
        assert (request.status, request.not_before) == ("queued", morning)

        reply(bay_number, answer, phone=contact.phone)

        request.refresh_from_db()
        assert (request.status, request.failure_reason) == (status, reason)

    def test_a_phone_never_asked_gets_the_request(self, bay_number, contact):
        message = self.ask(bay_number, contact)

        assert (message.kind, message.to_phone) == ("optin_request", contact.phone)
        assert "Reply YES" in message.body and "NO" in message.body
        assert "Msg & data rates may apply" in message.body
        assert bay_number.agent.display_name in message.body
        [event] = events_of(bay_number)
        assert (event.event_type, event.old_state, event.new_state) == (
            "optin_requested",
            "never_asked",
            "pending",
        )
        assert (event.acting_user, event.extra_data) == (bay_number.agent, {"request_number": 1})

    def test_a_second_request_within_24_hours_is_refused(self, bay_number, contact):
        self.ask(bay_number, contact)
        self.age_last_request(bay_number, hours=23)

        with pytest.raises(services.ConsentRefused, match="ask once more after"):
            self.ask(bay_number, contact)

        assert len(queued("optin_request")) == 1
        assert len(events_of(bay_number)) == 1

    def test_a_second_request_after_24_hours_goes_and_is_recorded(self, bay_number, contact):
        self.ask(bay_number, contact)
        self.age_last_request(bay_number, hours=25)

        self.ask(bay_number, contact)

        last = events_of(bay_number)[-1]
        assert (last.old_state, last.new_state, last.extra_data) == (
            "pending",
            "pending",
            {"request_number": 2},
        )
        assert Consent.objects.get().optin_requests_sent == 2

    def test_never_a_third_request(self, bay_number, contact):
        self.ask(bay_number, contact)
        self.age_last_request(bay_number, hours=25)
        self.ask(bay_number, contact)
        self.age_last_request(bay_number, hours=24 * 30)

        with pytest.raises(services.ConsentRefused, match="most opt-in requests"):
            self.ask(bay_number, contact)

        assert len(queued("optin_request")) == 2

    def test_never_after_an_opt_out(self, bay_number, contact):
        self.ask(bay_number, contact)
        opt_out(bay_number)
        self.age_last_request(bay_number, hours=24 * 30)

        with pytest.raises(services.ConsentRefused, match="opted out"):
            self.ask(bay_number, contact)

        assert len(queued("optin_request")) == 1

    def test_not_to_a_phone_already_opted_in(self, bay_number, contact):
        opt_in(bay_number)

        with pytest.raises(services.ConsentRefused):
            self.ask(bay_number, contact)

    def test_not_to_a_do_not_text_phone(self, bay_number, contact):
        admin = AdminFactory(brokerage=bay_number.brokerage)
        services.do_not_text_add(brokerage=bay_number.brokerage, phone=PHONE, actor=admin)

        with pytest.raises(services.ConsentRefused, match="do-not-text"):
            self.ask(bay_number, contact)

        assert queued("optin_request") == []


@pytest.mark.django_db
class ConsentRecordOptoutTests:
    def record(self, bay_number, actor, note="Called the office on Monday and asked to stop."):
        return services.consent_record_optout(
            bay_number=bay_number, phone=PHONE, actor=actor, channel="call", note=note
        )

    def test_the_agent_records_an_opt_out_given_by_phone(self, bay_number, run_on_commit, outbox):
        opt_in(bay_number)

        with run_on_commit():
            event = self.record(bay_number, bay_number.agent)

        assert state_of(bay_number) == ConsentState.OPTED_OUT
        assert (event.source, event.acting_user) == ("agent_action", bay_number.agent)
        assert event.extra_data == {
            "channel": "call",
            "note": "Called the office on Monday and asked to stop.",
        }
        assert outbox == [] and queued("optout_confirmation") == []

    def test_an_admin_of_the_brokerage_records_it_as_an_admin(self, bay_number):
        admin = AdminFactory(brokerage=bay_number.brokerage)

        event = self.record(bay_number, admin)

        assert (event.source, event.acting_user) == ("admin_action", admin)

    def test_nobody_else_may(self, bay_number):
        for stranger in (AgentFactory(brokerage=bay_number.brokerage), AdminFactory()):
            with pytest.raises(PermissionDenied):
                self.record(bay_number, stranger)

        assert not ConsentEvent.objects.exists()

    @pytest.mark.parametrize(("channel", "note"), [("call", "  "), ("carrier pigeon", "Asked")])
    def test_a_note_and_a_channel_are_required(self, bay_number, channel, note):
        with pytest.raises(ValidationError):
            services.consent_record_optout(
                bay_number=bay_number,
                phone=PHONE,
                actor=bay_number.agent,
                channel=channel,
                note=note,
            )

        assert not ConsentEvent.objects.exists()

    def test_an_opted_out_phone_changes_nothing(self, bay_number):
        opt_out(bay_number)

        assert self.record(bay_number, bay_number.agent) is None
        assert len(events_of(bay_number)) == 1


def flagged(bay_number, body="No problem, see you at 3"):
    message = InboundMessageFactory(bay_number=bay_number, body=body)
    services.consent_apply_reply(message=message)
    return OptOutReview.objects.get(inbound_message=message)


@pytest.mark.django_db
class OptoutReviewDecideTests:
    def test_the_agent_marks_it_an_opt_out(self, bay_number, outbox, run_on_commit):
        opt_in(bay_number)
        review = flagged(bay_number)

        with run_on_commit():
            decided = services.optout_review_decide(
                review_id=review.pk, actor=bay_number.agent, opt_out=True, note="Meant stop."
            )

        event = decided.consent_event
        assert state_of(bay_number) == ConsentState.OPTED_OUT
        assert (decided.decision, decided.decided_by) == ("opt_out", bay_number.agent)
        assert (event.event_type, event.source, event.keyword) == (
            "opted_out",
            "agent_action",
            "no",
        )
        assert event.raw_text == "No problem, see you at 3"
        assert event.extra_data["review_id"] == review.pk
        assert event.extra_data["note"] == "Meant stop."
        assert outbox == []

    def test_an_admin_marks_it_not_an_opt_out_and_that_is_a_ledger_row(self, bay_number):
        opt_in(bay_number)
        review = flagged(bay_number)
        admin = AdminFactory(brokerage=bay_number.brokerage)

        decided = services.optout_review_decide(review_id=review.pk, actor=admin, opt_out=False)

        event = decided.consent_event
        assert decided.decision == "not_opt_out"
        assert (event.event_type, event.source, event.acting_user) == (
            "review_dismissed",
            "admin_action",
            admin,
        )
        assert event.old_state == event.new_state == ConsentState.OPTED_IN
        assert state_of(bay_number) == ConsentState.OPTED_IN

    def test_a_review_is_decided_once(self, bay_number):
        review = flagged(bay_number)
        services.optout_review_decide(review_id=review.pk, actor=bay_number.agent, opt_out=False)

        with pytest.raises(services.ReviewClosed):
            services.optout_review_decide(review_id=review.pk, actor=bay_number.agent, opt_out=True)

        assert len(events_of(bay_number)) == 1

    def test_nobody_outside_the_number_decides(self, bay_number):
        review = flagged(bay_number)

        for stranger in (AgentFactory(brokerage=bay_number.brokerage), AdminFactory()):
            with pytest.raises(PermissionDenied):
                services.optout_review_decide(review_id=review.pk, actor=stranger, opt_out=True)

        review.refresh_from_db()
        assert review.is_open

    def test_a_later_stop_settles_the_review(self, bay_number):
        opt_in(bay_number)
        review = flagged(bay_number)

        reply(bay_number, "STOP")

        review.refresh_from_db()
        assert review.decision == "superseded"
        assert review.consent_event.event_type == "opted_out"

    def test_a_later_yes_settles_earlier_reviews_only(self, bay_number):
        review = flagged(bay_number)
        reply(bay_number, "YES")
        later = flagged(bay_number, body="I'll stop by the office tomorrow")

        review.refresh_from_db()
        assert review.decision == "superseded"
        assert review.consent_event.event_type == "opted_in"
        assert later.is_open

    def test_an_opt_out_on_a_phone_already_opted_out_is_upheld_as_a_row(self, bay_number):
        opt_in(bay_number)
        review = flagged(bay_number)
        Consent.objects.filter(bay_number=bay_number).update(state=ConsentState.OPTED_OUT)

        decided = services.optout_review_decide(
            review_id=review.pk, actor=bay_number.agent, opt_out=True
        )

        event = decided.consent_event
        assert event.event_type == "review_upheld"
        assert event.old_state == event.new_state == ConsentState.OPTED_OUT


@pytest.mark.django_db
class OptoutReviewExpireTests:
    def test_a_review_past_its_deadline_is_an_opt_out(self, bay_number, outbox, run_on_commit):
        opt_in(bay_number)
        review = flagged(bay_number)

        with run_on_commit():
            expired = services.optout_review_expire(
                review_id=review.pk, now=review.deadline + datetime.timedelta(seconds=1)
            )

        assert expired.decision == "deadline"
        assert expired.decided_by is None
        assert (expired.consent_event.event_type, expired.consent_event.source) == (
            "opted_out",
            "review_deadline",
        )
        assert state_of(bay_number) == ConsentState.OPTED_OUT
        assert outbox == []

    def test_a_review_falls_due_at_its_deadline_not_before(self, bay_number):
        review = flagged(bay_number)
        early = review.deadline - datetime.timedelta(seconds=1)

        assert services.optout_review_expire(review_id=review.pk, now=early) is None
        assert services.optout_review_expire(review_id=review.pk, now=review.deadline) is not None

    def test_a_decided_review_does_not_expire(self, bay_number):
        review = flagged(bay_number)
        services.optout_review_decide(review_id=review.pk, actor=bay_number.agent, opt_out=False)

        later = review.deadline + datetime.timedelta(days=1)
        assert services.optout_review_expire(review_id=review.pk, now=later) is None
        assert state_of(bay_number) == ConsentState.NEVER_ASKED


@pytest.mark.django_db
class DoNotTextServiceTests:
    def test_an_admin_adds_a_phone_in_any_format(self, bay_number):
        admin = AdminFactory(brokerage=bay_number.brokerage)

        entry = services.do_not_text_add(
            brokerage=admin.brokerage, phone="(202) 555-0142", actor=admin, note="Asked by letter"
        )

        assert (entry.phone, entry.note, entry.added_by) == (PHONE, "Asked by letter", admin)
        assert not ConsentEvent.objects.exists()

    def test_agents_and_other_admins_cannot_change_the_list(self, bay_number):
        brokerage = bay_number.brokerage
        for stranger in (bay_number.agent, AdminFactory()):
            with pytest.raises(PermissionDenied):
                services.do_not_text_add(brokerage=brokerage, phone=PHONE, actor=stranger)
        entry = services.do_not_text_add(
            brokerage=brokerage, phone=PHONE, actor=AdminFactory(brokerage=brokerage)
        )
        for stranger in (bay_number.agent, AdminFactory()):
            with pytest.raises(PermissionDenied):
                services.do_not_text_remove(entry_id=entry.pk, actor=stranger)

        assert DoNotTextEntry.objects.filter(removed_at__isnull=True).count() == 1

    @pytest.mark.parametrize("phone", ["not a phone", "55501", ""])
    def test_a_phone_that_is_not_one_is_refused(self, bay_number, phone):
        admin = AdminFactory(brokerage=bay_number.brokerage)

        with pytest.raises(ValidationError):
            services.do_not_text_add(brokerage=admin.brokerage, phone=phone, actor=admin)

    def test_a_phone_is_on_the_list_once_and_can_come_back_after_removal(self, bay_number):
        admin = AdminFactory(brokerage=bay_number.brokerage)
        entry = services.do_not_text_add(brokerage=admin.brokerage, phone=PHONE, actor=admin)
        with pytest.raises(ValidationError, match="already"):
            services.do_not_text_add(brokerage=admin.brokerage, phone=PHONE, actor=admin)

        removed = services.do_not_text_remove(entry_id=entry.pk, actor=admin)
        again = services.do_not_text_add(brokerage=admin.brokerage, phone=PHONE, actor=admin)

        assert (removed.removed_at is not None, removed.removed_by) == (True, admin)
        assert again.pk != entry.pk
        assert DoNotTextEntry.objects.count() == 2

    def test_the_note_can_change(self, bay_number):
        admin = AdminFactory(brokerage=bay_number.brokerage)
        entry = services.do_not_text_add(brokerage=admin.brokerage, phone=PHONE, actor=admin)

        services.do_not_text_update(entry_id=entry.pk, actor=admin, note=" Litigator ")

        entry.refresh_from_db()
        assert entry.note == "Litigator"


@pytest.mark.django_db
class NobodyButTheContactOptsInTests:
    """FC-09 step 2, at the service level: every service an agent or admin can
    call leaves an opted-out phone opted out."""

    def test_no_service_for_people_opts_an_opted_out_phone_in(self, bay_number):
        contact = ContactFactory(agent=bay_number.agent, phone=PHONE)
        admin = AdminFactory(brokerage=bay_number.brokerage)
        opt_in(bay_number)
        review = flagged(bay_number)
        opt_out(bay_number)

        with pytest.raises(services.ConsentRefused):
            services.consent_request_optin(
                bay_number=bay_number, contact=contact, actor=bay_number.agent
            )
        assert self.record(bay_number, admin) is None
        with pytest.raises(services.ReviewClosed):
            services.optout_review_decide(review_id=review.pk, actor=admin, opt_out=False)
        entry = services.do_not_text_add(brokerage=admin.brokerage, phone=PHONE, actor=admin)
        services.do_not_text_remove(entry_id=entry.pk, actor=admin)

        assert state_of(bay_number) == ConsentState.OPTED_OUT

    def record(self, bay_number, actor):
        return services.consent_record_optout(
            bay_number=bay_number, phone=PHONE, actor=actor, channel="email", note="Asked"
        )
