"""The outbox and its dispatcher: texts wait in the database for their
window, lost tasks are queued again, held numbers wait, the backlog is paced."""

import datetime
import logging

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from messaging import holds, ratelimit, services, tasks
from messaging.models import Message
from messaging.outbox import dispatch_soon, outbox_dispatch
from messaging.redis_client import get_redis, key
from tests.factories import BayNumberFactory, ContactFactory, OutboundMessageFactory
from tests.messaging import support
from tests.services import redis_url, require_postgres

UTC = datetime.UTC
LOS_ANGELES = "+13235550142"


class Clock:
    """Django's clock, set by the test."""

    def __init__(self, monkeypatch, now):
        self.now = now
        monkeypatch.setattr(timezone, "now", lambda: self.now)

    def advance(self, **delta):
        self.now += datetime.timedelta(**delta)


@pytest.fixture
def clock(monkeypatch, settings):
    settings.SMS_QUIET_HOURS_ENABLED = True
    return Clock(monkeypatch, datetime.datetime(2026, 7, 1, 5, 30, tzinfo=UTC))


@pytest.fixture
def la_contact(bay_number):
    contact = ContactFactory(agent=bay_number.agent, phone=LOS_ANGELES, first_name="Lee")
    support.opt_in(bay_number, contact.phone)
    return contact


@pytest.mark.django_db
class QuietHoursWaitTests:
    def test_text_at_night_waits_in_the_database_and_says_until_when(
        self, clock, bay_number, la_contact, outbox, django_capture_on_commit_callbacks
    ):
        """05:30Z is 10:30 pm in Los Angeles: no task, and 8 am PDT is given."""
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            message = services.sms_send(
                agent=bay_number.agent, bay_number=bay_number, contact=la_contact, body="Hi"
            )

        assert callbacks == []
        assert message.not_before == datetime.datetime(2026, 7, 1, 15, tzinfo=UTC)
        assert message.not_before_local.strftime("%H:%M %Z") == "08:00 PDT"
        message.refresh_from_db()
        assert (message.status, message.dispatched_at) == (Message.Status.QUEUED, None)
        assert outbox == []

    def test_dispatcher_sends_it_only_once_the_window_opens(
        self, clock, bay_number, la_contact, outbox, run_on_commit
    ):
        with run_on_commit():
            message = services.sms_send(
                agent=bay_number.agent, bay_number=bay_number, contact=la_contact, body="Hi"
            )

        with run_on_commit():
            early = tasks.dispatch_queued_sms.delay().get()
        clock.now = datetime.datetime(2026, 7, 1, 15, 0, 5, tzinfo=UTC)
        with run_on_commit():
            on_time = tasks.dispatch_queued_sms.delay().get()

        assert early["dispatched"] == 0
        assert on_time == {
            "dispatched": 1,
            "requeued_lost": 0,
            "window_opened": 1,
            "left_for_later": 0,
        }
        message.refresh_from_db()
        assert message.status == Message.Status.SENDING
        assert [sms.body for sms in outbox] == ["Hi"]

    def test_text_queued_by_day_but_run_at_night_waits_at_claim(
        self, clock, bay_number, la_contact, outbox
    ):
        """A backlog can carry a text past 9 pm; the worker checks again."""
        message = OutboundMessageFactory(
            bay_number=bay_number, contact=la_contact, to_phone=LOS_ANGELES
        )

        assert services.sms_deliver(message.pk) == "skipped"

        message.refresh_from_db()
        assert message.status == Message.Status.QUEUED
        assert message.not_before == datetime.datetime(2026, 7, 1, 15, tzinfo=UTC)
        assert message.attempts == 0 and outbox == []

    def test_reply_to_the_contact_goes_at_night(
        self, clock, bay_number, twilio, outbox, run_on_commit
    ):
        """HELP at 10:30 pm gets its answer at once."""
        with run_on_commit():
            twilio.inbound(From=LOS_ANGELES, Body="HELP", MessageSid="SM_IN_HELP")

        help_reply = Message.objects.get(kind=Message.Kind.HELP_REPLY)
        assert help_reply.not_before is None
        assert help_reply.status == Message.Status.SENDING


@pytest.mark.django_db
class LostTaskTests:
    def test_text_whose_task_was_lost_is_queued_again_once(
        self, bay_number, contact, monkeypatch, django_capture_on_commit_callbacks
    ):
        long_ago = timezone.now() - datetime.timedelta(minutes=20)
        lost = OutboundMessageFactory(
            bay_number=bay_number, contact=contact, dispatched_at=long_ago
        )
        live = OutboundMessageFactory(
            bay_number=bay_number, contact=contact, dispatched_at=timezone.now()
        )
        sent = []
        monkeypatch.setattr(
            "messaging.outbox.enqueue_send", lambda pk, countdown=0: sent.append(pk)
        )

        with django_capture_on_commit_callbacks(execute=True):
            counts = outbox_dispatch()
        with django_capture_on_commit_callbacks(execute=True):
            again = outbox_dispatch()

        assert counts["dispatched"] == 1 and counts["requeued_lost"] == 1
        assert sent == [lost.pk]
        assert again["dispatched"] == 0
        live.refresh_from_db()
        assert live.status == Message.Status.QUEUED

    def test_broker_down_leaves_the_text_queued_for_the_dispatcher(
        self, bay_number, contact, outbox, run_on_commit, monkeypatch, settings, caplog
    ):
        """A text queued while Redis is down goes out once the dispatcher runs."""
        support.opt_in(bay_number, contact.phone)
        settings.CELERY_TASK_ALWAYS_EAGER = False

        def broker_down(*args, **kwargs):
            raise ConnectionError("Redis is down")

        monkeypatch.setattr(tasks.send_sms, "apply_async", broker_down)
        with caplog.at_level(logging.ERROR), run_on_commit():
            message = services.sms_send(
                agent=bay_number.agent, bay_number=bay_number, contact=contact, body="Hi"
            )
        message.refresh_from_db()
        monkeypatch.undo()
        settings.CELERY_TASK_ALWAYS_EAGER = True

        assert f"Could not enqueue message {message.pk}" in caplog.text
        assert (message.status, message.dispatched_at) == (Message.Status.QUEUED, None)

        with run_on_commit():
            counts = outbox_dispatch()

        message.refresh_from_db()
        assert counts["dispatched"] == 1
        assert message.status == Message.Status.SENDING and len(outbox) == 1

    def test_texts_whose_tasks_went_with_an_emptied_redis_go_at_the_next_run(
        self,
        bay_number,
        contact,
        monkeypatch,
        settings,
        request,
        django_capture_on_commit_callbacks,
    ):
        """Redis restarted without its data: a minute-old dispatch is as lost
        as a twenty-minute-old one, and waits no SMS_REQUEUE_AFTER_SECONDS."""
        settings.SMS_REDIS_URL = settings.CELERY_BROKER_URL = redis_url()
        settings.SMS_REDIS_PREFIX = f"test-{request.node.name}"
        marker = key("outbox", "broker-has-data")
        get_redis().delete(marker)
        request.addfinalizer(lambda: get_redis().delete(marker))
        monkeypatch.setattr(ratelimit, "is_active", lambda: False)  # no pacing here
        sent = []
        monkeypatch.setattr(
            "messaging.outbox.enqueue_send", lambda pk, countdown=0: sent.append(pk)
        )
        get_redis().set(marker, "1")  # an earlier run saw Redis with its data
        a_minute_ago = timezone.now() - datetime.timedelta(minutes=1)
        first = OutboundMessageFactory(
            bay_number=bay_number, contact=contact, dispatched_at=a_minute_ago
        )

        with django_capture_on_commit_callbacks(execute=True):
            assert outbox_dispatch()["dispatched"] == 0  # its task may still be alive
        get_redis().delete(marker)  # Redis restarted empty
        with django_capture_on_commit_callbacks(execute=True):
            assert outbox_dispatch()["dispatched"] == 1
        second = OutboundMessageFactory(
            bay_number=bay_number, contact=contact, dispatched_at=a_minute_ago
        )
        with django_capture_on_commit_callbacks(execute=True):
            assert outbox_dispatch()["dispatched"] == 0  # Redis kept its data since

        assert sent == [first.pk]
        second.refresh_from_db()
        assert second.dispatched_at == a_minute_ago

    def test_held_number_is_not_dispatched(self, bay_number, contact):
        OutboundMessageFactory(bay_number=bay_number, contact=contact, dispatched_at=None)
        holds.bay_number_hold_sending(bay_number_id=bay_number.pk, reason="30034")

        assert outbox_dispatch()["dispatched"] == 0


@pytest.mark.django_db
class PacingTests:
    """With a shared rate limit, a backlog goes to the broker a little at a time."""

    @pytest.fixture
    def redis_on(self, settings, request):
        settings.SMS_REDIS_URL = redis_url()
        settings.SMS_REDIS_PREFIX = f"test-{request.node.name}"
        yield get_redis()
        client = get_redis()
        for name in client.scan_iter(f"{settings.SMS_REDIS_PREFIX}:*"):
            client.delete(name)

    def backlog(self, bay_number, count):
        contact = ContactFactory(agent=bay_number.agent)
        return [
            OutboundMessageFactory(bay_number=bay_number, contact=contact, dispatched_at=None)
            for _ in range(count)
        ]

    def test_backlog_is_queued_one_slot_apart_up_to_the_horizon(
        self, redis_on, settings, monkeypatch, django_capture_on_commit_callbacks
    ):
        settings.SMS_DISPATCH_HORIZON_SECONDS = 10
        bay_number = BayNumberFactory(send_rate_mps=2)
        texts = self.backlog(bay_number, 30)
        queued = []
        monkeypatch.setattr(
            "messaging.outbox.enqueue_send", lambda pk, countdown=0: queued.append((pk, countdown))
        )

        with django_capture_on_commit_callbacks(execute=True):
            first = outbox_dispatch()
        with django_capture_on_commit_callbacks(execute=True):
            second = outbox_dispatch()

        assert first["dispatched"] == 20 and first["left_for_later"] == 10
        assert [pk for pk, _ in queued] == [text.pk for text in texts[:20]]
        assert [countdown for _, countdown in queued] == [n / 2 for n in range(20)]
        assert second["dispatched"] == 0, "the 20 in flight fill the horizon"

    def test_numbers_are_paced_separately(self, redis_on, settings, monkeypatch):
        settings.SMS_DISPATCH_HORIZON_SECONDS = 5
        slow, fast = BayNumberFactory(send_rate_mps=1), BayNumberFactory(send_rate_mps=4)
        self.backlog(slow, 10)
        self.backlog(fast, 30)
        monkeypatch.setattr("messaging.outbox.enqueue_send", lambda pk, countdown=0: None)

        counts = outbox_dispatch()

        assert counts["dispatched"] == 5 + 20
        in_flight = Message.objects.filter(dispatched_at__isnull=False)
        assert in_flight.filter(bay_number=slow).count() == 5
        assert in_flight.filter(bay_number=fast).count() == 20

    def test_numbers_of_one_campaign_share_its_limit(
        self, redis_on, settings, monkeypatch, django_capture_on_commit_callbacks
    ):
        """Two numbers at 2 a second under a campaign limit of 3 are paced at
        1.5 each: paced at 2, they asked for 4 a second, and one number's
        texts lost every slot to the other's."""
        settings.SMS_DISPATCH_HORIZON_SECONDS = 10
        settings.SMS_BROKERAGE_RATE_MPS = 3
        one = BayNumberFactory(send_rate_mps=2)
        other = BayNumberFactory(send_rate_mps=2, brokerage=one.brokerage, agent=one.agent)
        elsewhere = BayNumberFactory(send_rate_mps=2)
        for number in (one, other, elsewhere):
            self.backlog(number, 30)
        queued = {}
        monkeypatch.setattr(
            "messaging.outbox.enqueue_send",
            lambda pk, countdown=0: queued.setdefault(pk, countdown),
        )

        with django_capture_on_commit_callbacks(execute=True):
            outbox_dispatch()

        countdowns = {
            number: sorted(
                queued[pk] for pk in number.messages.values_list("pk", flat=True) if pk in queued
            )
            for number in (one, other, elsewhere)
        }
        assert countdowns[one] == countdowns[other] == [round(n / 1.5, 3) for n in range(15)]
        assert countdowns[elsewhere] == [n / 2 for n in range(20)]

    def test_without_redis_everything_due_is_queued_at_once(self, settings, monkeypatch):
        bay_number = BayNumberFactory()
        self.backlog(bay_number, 40)
        monkeypatch.setattr("messaging.outbox.enqueue_send", lambda pk, countdown=0: None)

        assert outbox_dispatch()["dispatched"] == 40

    def test_overlapping_run_skips(self, redis_on):
        lock = redis_on.lock(key("lock", "dispatch"), timeout=30)
        assert lock.acquire(blocking=False)
        try:
            assert tasks.dispatch_queued_sms() == {"skipped": 1}
        finally:
            lock.release()
        assert "dispatched" in tasks.dispatch_queued_sms()


@pytest.mark.django_db
class StuckSendTests:
    def test_text_claimed_but_never_confirmed_is_flagged_for_review(self, bay_number, contact):
        old = timezone.now() - datetime.timedelta(minutes=11)
        stuck = OutboundMessageFactory(
            bay_number=bay_number, contact=contact, status="sending", claimed_at=old
        )
        handed_over = OutboundMessageFactory(
            bay_number=bay_number, status="sending", claimed_at=old, twilio_sid="SM" + "1" * 32
        )
        recent = OutboundMessageFactory(
            bay_number=bay_number, status="sending", claimed_at=timezone.now()
        )

        assert tasks.flag_stuck_sms() == {"flagged": 1, "receipts_applied": 0}

        statuses = {m.pk: m.status for m in Message.objects.all()}
        assert statuses[stuck.pk] == Message.Status.NEEDS_REVIEW
        assert statuses[handed_over.pk] == statuses[recent.pk] == Message.Status.SENDING
        stuck.refresh_from_db()
        assert "may or may not have gone out" in stuck.failure_reason

    def test_review_resend_goes_through_the_gate_again(
        self, bay_number, contact, outbox, run_on_commit
    ):
        support.opt_in(bay_number, contact.phone)
        held = OutboundMessageFactory(bay_number=bay_number, contact=contact, status="needs_review")

        with run_on_commit():
            services.sms_review_resend(message=held, actor=bay_number.agent)

        held.refresh_from_db()
        assert held.status == Message.Status.SENDING and len(outbox) == 1

    def test_review_close_marks_it_not_sent(self, bay_number, contact):
        held = OutboundMessageFactory(bay_number=bay_number, contact=contact, status="needs_review")

        services.sms_review_close(message=held, actor=bay_number.agent)

        held.refresh_from_db()
        assert held.status == Message.Status.FAILED
        assert held.failure_reason.startswith("Not sent again after review")

    def test_only_texts_held_for_review_can_be_resent(self, bay_number, contact):
        from django.core.exceptions import ValidationError

        sent = OutboundMessageFactory(bay_number=bay_number, contact=contact, status="sent")

        with pytest.raises(ValidationError):
            services.sms_review_resend(message=sent, actor=bay_number.agent)


@pytest.mark.django_db
class InboundRetryTests:
    def test_stored_inbound_whose_handling_failed_is_handled_later(
        self, twilio, bay_number, contact, monkeypatch
    ):
        from optin import services as consent_services

        def broken(**kwargs):
            raise RuntimeError("handler crashed")

        monkeypatch.setattr(consent_services, "consent_apply_reply", broken)
        twilio.inbound(Body="STOP", MessageSid="SM_IN_STOP")
        monkeypatch.undo()
        stored = Message.objects.get(twilio_sid="SM_IN_STOP")
        assert stored.processed_at is None

        Message.objects.filter(pk=stored.pk).update(
            created_at=timezone.now() - datetime.timedelta(minutes=2)
        )
        counts = tasks.retry_unprocessed_inbound()

        stored.refresh_from_db()
        assert counts == {"processed": 1, "failed": 0}
        assert stored.processed_at is not None
        assert bay_number.consents.get(phone=contact.phone).state == "opted_out"

    def test_recent_or_still_failing_inbound_is_counted(self, twilio, bay_number, monkeypatch):
        from optin import services as consent_services

        monkeypatch.setattr(
            consent_services, "consent_apply_reply", lambda **kw: (_ for _ in ()).throw(ValueError)
        )
        twilio.inbound(Body="STOP", MessageSid="SM_IN_A")
        twilio.inbound(Body="STOP", MessageSid="SM_IN_B")
        Message.objects.filter(twilio_sid="SM_IN_A").update(
            created_at=timezone.now() - datetime.timedelta(minutes=2)
        )

        assert services.inbound_retry_unprocessed() == {"processed": 0, "failed": 1}

    def test_the_retry_reads_its_own_index_not_the_whole_history(self, twilio, bay_number):
        """It runs every minute; reading every old text would grow with the history."""
        require_postgres()
        for n in range(20):
            twilio.inbound(Body=f"Thanks {n}", MessageSid=f"SM_IN_OLD_{n}")
        Message.objects.update(created_at=timezone.now() - datetime.timedelta(days=30))

        with CaptureQueriesContext(connection) as queries:
            assert services.inbound_retry_unprocessed() == {"processed": 0, "failed": 0}
        (search,) = [query["sql"] for query in queries if "processed_at" in query["sql"]]
        with connection.cursor() as cursor:
            # Tables this small are cheapest to read whole; barring that
            # shows which index the planner takes when the table is large.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN {search}")
            plan = "\n".join(row[0] for row in cursor.fetchall())
        assert "message_unprocessed_idx" in plan, plan


@pytest.mark.django_db
class DispatchSoonTests:
    def test_broker_down_leaves_it_to_the_periodic_run(self, settings, monkeypatch, caplog):
        settings.CELERY_TASK_ALWAYS_EAGER = False

        def broker_down(*args, **kwargs):
            raise ConnectionError("Redis is down")

        monkeypatch.setattr(tasks.dispatch_queued_sms, "delay", broker_down)
        with caplog.at_level(logging.ERROR):
            dispatch_soon([7])

        assert "Could not ask for a dispatch of BAY Numbers [7]" in caplog.text
